"""The change report's classifier, versioning policy and griffe check, at unit level.

Covers (scripts/_spec_changes.py, scripts/_api_changes.py; the end-to-end gate on copies of the
tree is in test_regeneration.py):
* each kind of spec change gets the oasdiff check id, level and user category it should
  (mutation named in each case: removing a response field must read as err/parsing, narrowing a
  range as err/callers, adding an optional field as info/additive, a description as docs...);
* schemas written with $ref, allOf, anyOf, 3.1 type lists and if/then layers are compared by
  meaning, and a change inside any of them is found and named by JSON path;
* the committed spec compared with itself reports nothing;
* the versioning policy: a breaking change needs the first number of info.version raised, and
  the reason is one line naming the change and the version to bump to;
* griffe's check on rendered API snapshots: a public function or parameter removed, a required
  parameter added are breaking; an optional parameter added is not.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import _api_changes  # noqa: E402
import _spec_changes as sc  # noqa: E402

SPEC = ROOT / "openapi" / "step1x-edit.yaml"
SUBMIT, RESULT = "POST /v1/edit", "GET /v1/result/{id}"

# A small spec written with every construct the differ must see through.
BASE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1.0.0"},
    "paths": {
        "/v1/edit": {
            "post": {
                "operationId": "submit",
                "parameters": [{"name": "webhook", "in": "query", "required": False, "schema": {"type": "string"}}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Request"}}},
                },
                "responses": {"200": {"$ref": "#/components/responses/Ok"}},
            }
        },
        "/v1/result/{id}": {
            "get": {
                "operationId": "result",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"$ref": "#/components/responses/Ok"},
                    "404": {
                        "description": "gone",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                },
            }
        },
    },
    "components": {
        "responses": {
            "Ok": {
                "description": "ok",
                "content": {
                    "application/json": {
                        "schema": {
                            "anyOf": [{"$ref": "#/components/schemas/Envelope"}, {"$ref": "#/components/schemas/Error"}]
                        }
                    }
                },
            }
        },
        "schemas": {
            "Request": {
                "type": "object",
                "required": ["prompt"],
                "properties": {
                    "prompt": {"type": "string", "minLength": 1},
                    "steps": {"type": "integer", "minimum": 1, "maximum": 50, "default": 30},
                    "mode": {"type": "string", "enum": ["fast", "fine"]},
                },
            },
            "Envelope": {
                "allOf": [
                    {"type": "object", "required": ["code"], "properties": {"code": {"type": "integer"}}},
                    {
                        "type": "object",
                        "required": ["data"],
                        "properties": {"data": {"$ref": "#/components/schemas/Prediction"}},
                    },
                ]
            },
            "Error": {
                "type": "object",
                "properties": {"code": {"type": "integer"}, "message": {"type": "string"}, "data": {"type": "null"}},
            },
            "Prediction": {
                "type": "object",
                "required": ["id", "status"],
                "description": "One job.",
                "x-status": "documented",
                "allOf": [
                    {"if": {"type": "object"}, "then": {"required": ["urls"]}},
                    {
                        "if": {"required": ["status"], "properties": {"status": {"const": "completed"}}},
                        "then": {"required": ["outputs"], "properties": {"outputs": {"minItems": 1}}},
                    },
                ],
                "properties": {
                    "id": {"type": "string"},
                    "status": {"anyOf": [{"type": "string", "enum": ["created", "completed"]}, {"type": "string"}]},
                    "kind": {"type": "string", "enum": ["image", "video"]},
                    "outputs": {"type": "array", "items": {"type": "string"}},
                    "urls": {"type": "object", "properties": {"get": {"type": "string", "format": "uri"}}},
                    "error": {"type": "string", "description": "Why it failed."},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
        },
    },
}


def _at(spec: dict[str, Any], *path: str) -> Any:
    node: Any = spec
    for part in path:
        node = node[part]
    return node


def _props(spec: dict[str, Any], schema: str) -> dict[str, Any]:
    return _at(spec, "components", "schemas", schema, "properties")  # type: ignore[no-any-return]


Mutation = Callable[[dict[str, Any]], None]

# name: (mutation, expected id, level, category, field the change must name)
CASES: dict[str, tuple[Mutation, str, str, str, str]] = {
    "response required field removed": (
        lambda s: (
            _props(s, "Prediction").pop("id"),
            _at(s, "components", "schemas", "Prediction")["required"].remove("id"),
        ),
        "response-required-property-removed",
        "err",
        "parsing",
        "data.id",
    ),
    "response optional field removed": (
        lambda s: _props(s, "Prediction").pop("error"),
        "response-optional-property-removed",
        "err",
        "parsing",
        "data.error",
    ),
    "response field retyped": (
        lambda s: _props(s, "Prediction")["id"].update(type="integer"),
        "response-property-type-changed",
        "err",
        "parsing",
        "data.id",
    ),
    "response field format changed": (
        lambda s: _props(s, "Prediction")["created_at"].pop("format"),
        "response-property-type-changed",
        "err",
        "parsing",
        "data.created_at",
    ),
    "response field became nullable (3.1 type list)": (
        lambda s: _props(s, "Prediction")["error"].update(type=["string", "null"]),
        "response-property-became-nullable",
        "err",
        "parsing",
        "data.error",
    ),
    "response field became optional": (
        lambda s: _at(s, "components", "schemas", "Prediction")["required"].remove("status"),
        "response-property-became-optional",
        "err",
        "parsing",
        "data.status",
    ),
    "response enum value added": (
        lambda s: _props(s, "Prediction")["kind"]["enum"].append("audio"),
        "response-property-enum-value-added",
        "warn",
        "parsing",
        "data.kind",
    ),
    "response optional field added": (
        lambda s: _props(s, "Prediction").update(queue_position={"type": "integer"}),
        "response-optional-property-added",
        "info",
        "additive",
        "data.queue_position",
    ),
    "field inside an allOf branch retyped": (
        lambda s: _at(s, "components", "schemas", "Envelope")["allOf"][0]["properties"]["code"].update(type="string"),
        "response-property-type-changed",
        "err",
        "parsing",
        "code",
    ),
    "conditional requirement dropped (if status = completed then outputs)": (
        lambda s: _at(s, "components", "schemas", "Prediction")["allOf"][1]["then"]["required"].clear(),
        "response-property-became-optional",
        "err",
        "parsing",
        "data.outputs [if status = completed]",
    ),
    "implied if (type: object) requirement dropped": (
        lambda s: _at(s, "components", "schemas", "Prediction")["allOf"][0]["then"]["required"].clear(),
        "response-property-became-optional",
        "err",
        "parsing",
        "data.urls",
    ),
    "request range narrowed": (
        lambda s: _props(s, "Request")["steps"].update(maximum=40),
        "request-property-max-decreased",
        "err",
        "callers",
        "steps",
    ),
    "request minimum raised": (
        lambda s: _props(s, "Request")["steps"].update(minimum=5),
        "request-property-min-increased",
        "err",
        "callers",
        "steps",
    ),
    "request range widened": (
        lambda s: _props(s, "Request")["steps"].update(maximum=100),
        "request-property-max-increased",
        "info",
        "additive",
        "steps",
    ),
    "new required request field": (
        lambda s: (
            _props(s, "Request").update(region={"type": "string"}),
            _at(s, "components", "schemas", "Request")["required"].append("region"),
        ),
        "new-required-request-property",
        "err",
        "callers",
        "region",
    ),
    "new optional request field": (
        lambda s: _props(s, "Request").update(region={"type": "string"}),
        "new-optional-request-property",
        "info",
        "additive",
        "region",
    ),
    "request field removed": (
        lambda s: _props(s, "Request").pop("mode"),
        "request-property-removed",
        "err",
        "callers",
        "mode",
    ),
    "request enum value removed": (
        lambda s: _props(s, "Request")["mode"]["enum"].remove("fine"),
        "request-property-enum-value-removed",
        "err",
        "callers",
        "mode",
    ),
    "request field became required": (
        lambda s: _at(s, "components", "schemas", "Request")["required"].append("steps"),
        "request-property-became-required",
        "err",
        "callers",
        "steps",
    ),
    "new required query parameter": (
        lambda s: _at(s, "paths", "/v1/edit", "post", "parameters").append(
            {"name": "region", "in": "query", "required": True, "schema": {"type": "string"}}
        ),
        "new-required-request-parameter",
        "err",
        "callers",
        "region",
    ),
    "new optional query parameter": (
        lambda s: _at(s, "paths", "/v1/edit", "post", "parameters").append(
            {"name": "priority", "in": "query", "schema": {"type": "integer"}}
        ),
        "new-optional-request-parameter",
        "info",
        "additive",
        "priority",
    ),
    "query parameter removed": (
        lambda s: _at(s, "paths", "/v1/edit", "post", "parameters").clear(),
        "request-parameter-removed",
        "err",
        "callers",
        "webhook",
    ),
    "operation removed": (
        lambda s: s["paths"].pop("/v1/result/{id}"),
        "api-removed-without-deprecation",
        "err",
        "callers",
        "",
    ),
    "success status removed": (
        lambda s: _at(s, "paths", "/v1/edit", "post", "responses").pop("200"),
        "response-success-status-removed",
        "err",
        "parsing",
        "",
    ),
    "description edited": (
        lambda s: _props(s, "Prediction")["error"].update(description="Why the job failed."),
        "response-property-description-changed",
        "info",
        "docs",
        "data.error",
    ),
    "x-status mark changed": (
        lambda s: _at(s, "components", "schemas", "Prediction").update({"x-status": "observed"}),
        "response-property-status-changed",
        "info",
        "docs",
        "data",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_change_kind_is_classified(name: str) -> None:
    mutate, change_id, level, category, field = CASES[name]
    new = copy.deepcopy(BASE)
    mutate(new)
    changes = sc.diff_specs(BASE, new)
    matching = [c for c in changes if c.id == change_id and c.field == field]
    assert matching, f"{name}: expected {change_id} at {field!r}; got:\n" + "\n".join(c.line() for c in changes)
    assert {(c.level, c.category) for c in matching} == {(level, category)}
    # Nothing else of a higher level sneaks in (a documentation edit must not gate a release).
    if level != "err":
        assert not [c for c in changes if c.breaking], "\n".join(c.line() for c in changes)


def test_a_shared_response_change_is_reported_per_operation() -> None:
    new = copy.deepcopy(BASE)
    _props(new, "Prediction").pop("error")
    where = {c.where for c in sc.diff_specs(BASE, new) if c.id == "response-optional-property-removed"}
    assert where == {f"{SUBMIT} (submit) 200", f"{RESULT} (result) 200"}


def test_unchanged_spec_reports_nothing() -> None:
    assert sc.diff_specs(BASE, copy.deepcopy(BASE)) == []
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    assert sc.diff_specs(spec, copy.deepcopy(spec)) == []


def test_the_union_with_a_null_branch_keeps_the_object_fields() -> None:
    """anyOf [Envelope, Error(data: null)]: data's own fields are still compared (data.id required)."""
    fields = sc.flatten(
        sc.normalize(_at(BASE, "components", "responses", "Ok", "content", "application/json", "schema"), BASE)
    )
    assert fields["data.id"].required
    assert fields["data"].node.nullable
    assert "data.outputs [if status = completed]" in fields
    assert fields["data.urls"].required  # if: {type: object} always matches, so its then applies


def test_report_renders_by_category_with_levels() -> None:
    new = copy.deepcopy(BASE)
    _props(new, "Request")["steps"]["maximum"] = 40
    _props(new, "Prediction")["queue_position"] = {"type": "integer"}
    lines = sc.render(sc.diff_specs(BASE, new))
    text = "\n".join(lines)
    assert text.index("Breaking for callers") < text.index("Additive")
    assert f"err  request-property-max-decreased  {SUBMIT} (submit) request body: steps (maximum 50 -> 40)" in text


# -- versioning policy -----------------------------------------------------------------------


def test_breaking_change_without_bump_fails_naming_change_and_version() -> None:
    verdict = sc.version_verdict("2026.11.24", "2026.11.24", ["response-required-property-removed GET /x 200 data.id"])
    assert not verdict.ok
    assert verdict.check_id == "api-version-not-bumped"
    assert "\n" not in verdict.reason
    assert "data.id" in verdict.reason
    assert "2027.0.0" in verdict.reason


def test_breaking_change_with_minor_bump_fails() -> None:
    verdict = sc.version_verdict("1.4.0", "1.5.0", ["request-property-max-decreased POST /x request body steps"])
    assert (verdict.ok, verdict.check_id) == (False, "api-major-version-not-bumped")
    assert "2.0.0" in verdict.reason


@pytest.mark.parametrize(
    ("old", "new", "breaking", "ok"),
    [
        ("1.4.0", "2.0.0", ["x"], True),  # a major bump allows breaking changes
        ("1.4.0", "1.4.0", [], True),  # compatible changes need no bump
        ("1.4.0", "1.5.0", [], True),
        ("1.4.0", "1.3.9", [], False),  # api-version-decreased
        ("1.4.0", "v2", [], False),  # not dotted integers
    ],
)
def test_version_policy(old: str, new: str, breaking: list[str], ok: bool) -> None:
    assert sc.version_verdict(old, new, breaking).ok is ok


def test_next_major() -> None:
    assert sc.next_major("2026.11.24") == "2027.0.0"
    assert sc.next_major("1.2") == "2.0.0"


# -- public Python API (griffe) --------------------------------------------------------------

V1 = '''
"""A package."""

__all__ = ["edit", "Client"]


def edit(prompt: str, image: str, *, seed: int | None = None) -> str:
    return prompt


class Client:
    def get(self, prediction_id: str) -> str:
        return prediction_id
'''


def _snapshot(tmp_path: Path, name: str, source: str) -> str:
    package = tmp_path / name / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(source, encoding="utf-8")
    return _api_changes.render({"pkg": tmp_path / name})


@pytest.mark.parametrize(
    ("change", "edit", "kind", "path"),
    [
        ("function removed", lambda s: s.replace("def edit(", "def _edit("), "object-removed", "pkg.edit"),
        ("parameter removed", lambda s: s.replace(", *, seed: int | None = None", ""), "parameter-removed", "pkg.edit"),
        (
            "required parameter added",
            lambda s: s.replace("image: str,", "image: str, mask: str,"),
            "parameter-added-required",
            "pkg.edit",
        ),
        ("method removed", lambda s: s.replace("def get(", "def fetch("), "object-removed", "pkg.Client.get"),
    ],
)
def test_griffe_reports_public_api_breaks(
    tmp_path: Path, change: str, edit: Callable[[str], str], kind: str, path: str
) -> None:
    old = _snapshot(tmp_path, "old", V1)
    new = _snapshot(tmp_path, "new", edit(V1))
    breaks = _api_changes.breaking_changes(old, new)
    assert [(b.kind, b.path) for b in breaks] == [(kind, path)], change
    assert breaks[0].line().startswith(f"err  python-{kind}  {path}")


def test_griffe_accepts_an_optional_parameter(tmp_path: Path) -> None:
    old = _snapshot(tmp_path, "old", V1)
    new = _snapshot(tmp_path, "new", V1.replace("seed: int | None = None", "seed: int | None = None, steps: int = 30"))
    assert _api_changes.breaking_changes(old, new) == []


def test_committed_snapshot_names_the_public_api() -> None:
    """The released snapshot holds both packages, with step1x_edit's __all__ written in place."""
    text = (ROOT / "openapi" / "released" / "python-api.pyi").read_text(encoding="utf-8")
    assert "# module: step1x_edit (package)" in text
    assert "# module: step1x_edit_api.api.predictions.get_result" in text
    assert "class Step1XEdit(" in text
    trimmed = "\n".join(line for line in text.splitlines() if not line.startswith("def verify_webhook("))
    breaks = _api_changes.breaking_changes(text, trimmed)
    assert [(b.package, b.kind, b.path) for b in breaks] == [
        ("step1x_edit", "object-removed", "step1x_edit.verify_webhook")
    ]
