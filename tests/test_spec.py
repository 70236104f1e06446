"""The spec itself: it validates, and its facts match the vendor's documentation.

Covers:
* openapi/step1x-edit.yaml is a valid OpenAPI 3.1 document;
* the Step1X-Edit request schema equals the vendor's documented parameter table, written out
  below by hand as an independent oracle (ranges, defaults, required fields, types);
* the documented statuses, error responses and headers are declared;
* every fact carries its standing (x-status: documented / observed / inferred);
* the run-time copy in src/step1x_edit/_spec_data.py agrees with the spec.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from step1x_edit import _spec_data

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi" / "step1x-edit.yaml"
SUBMIT = "/api/v3/wavespeed-ai/step1x-edit"
RESULT = "/api/v3/predictions/{id}/result"
UPLOAD = "/api/v3/media/upload/binary"
TICKET = "/api/v3/media/uploads"
STANDINGS = {"documented", "observed", "inferred"}

# The vendor's table (wavespeed.ai/docs-api/step1x-edit, v3) plus the two documented
# platform flags (/docs/sync-mode, /docs/base64-output). Typed by hand from the docs;
# deliberately not derived from the spec.
NO_DEFAULT = object()
VENDOR_TABLE: dict[str, dict[str, Any]] = {
    "prompt": {"type": "string", "required": True, "default": NO_DEFAULT},
    "image": {"type": "string", "required": True, "default": NO_DEFAULT},
    "negative_prompt": {"type": "string", "required": False, "default": NO_DEFAULT},
    "seed": {"type": "integer", "required": False, "default": NO_DEFAULT, "minimum": -1, "maximum": 2147483647},
    "guidance_scale": {"type": "number", "required": False, "default": 4, "minimum": 0, "maximum": 20},
    "num_inference_steps": {"type": "integer", "required": False, "default": 30, "minimum": 1, "maximum": 50},
    "enable_sync_mode": {"type": "boolean", "required": False, "default": False},
    "enable_base64_output": {"type": "boolean", "required": False, "default": False},
}
DOCUMENTED_STATUSES = ["created", "processing", "completed", "failed"]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def test_spec_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_paths_are_the_documented_endpoints(spec: dict[str, Any]) -> None:
    assert {(path, method) for path, item in spec["paths"].items() for method in item} == {
        (SUBMIT, "post"),
        (RESULT, "get"),
        (UPLOAD, "post"),
        (TICKET, "post"),  # observed only (the vendor's SDKs), see test_upload_ticket_is_observed
    }
    assert spec["servers"][0]["url"] == "https://api.wavespeed.ai"
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        **spec["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    assert spec["security"] == [{"bearerAuth": []}]


@pytest.mark.parametrize("field", sorted(VENDOR_TABLE))
def test_request_field_matches_vendor_table(spec: dict[str, Any], field: str) -> None:
    schema = spec["components"]["schemas"]["EditRequest"]
    expected = VENDOR_TABLE[field]
    actual = schema["properties"][field]
    assert actual["type"] == expected["type"]
    assert (field in schema["required"]) is expected["required"]
    if expected["default"] is NO_DEFAULT:
        # The generated client sends every spec default, so an undocumented one would be billed.
        assert "default" not in actual
    else:
        assert actual["default"] == expected["default"]
    for bound in ("minimum", "maximum"):
        assert actual.get(bound) == expected.get(bound), f"{field}.{bound}"


def test_request_has_exactly_the_documented_fields(spec: dict[str, Any]) -> None:
    schema = spec["components"]["schemas"]["EditRequest"]
    assert set(schema["properties"]) == set(VENDOR_TABLE)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["prompt"]["minLength"] == 1


def test_webhook_is_an_optional_uri_query_parameter(spec: dict[str, Any]) -> None:
    (param,) = spec["paths"][SUBMIT]["post"]["parameters"]
    assert (param["name"], param["in"], param["required"]) == ("webhook", "query", False)
    assert param["schema"] == {"type": "string", "format": "uri"}


def test_statuses_are_documented_and_open(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["KnownPredictionStatus"]["enum"] == DOCUMENTED_STATUSES
    # Any other string is admitted, so an unknown status parses instead of crashing.
    assert {"type": "string", "minLength": 1, "description": "A status this spec does not list yet."} in schemas[
        "PredictionStatus"
    ]["anyOf"]
    assert {"cancelled", "timeout"} <= set(schemas["PredictionStatus"]["x-observed"])


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        (SUBMIT, "post", {"200", "400", "401", "403", "429", "500", "502", "503", "504", "default"}),
        (RESULT, "get", {"200", "400", "401", "403", "404", "429", "500", "502", "503", "504", "default"}),
        (UPLOAD, "post", {"200", "400", "401", "403", "413", "429", "500", "502", "503", "504", "default"}),
    ],
    ids=["submit", "result", "upload"],
)
def test_error_statuses_are_declared(spec: dict[str, Any], path: str, method: str, statuses: set[str]) -> None:
    assert set(spec["paths"][path][method]["responses"]) == statuses


def test_429_declares_optional_retry_after(spec: dict[str, Any]) -> None:
    header = spec["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"]
    assert header["$ref"] == "#/components/headers/RetryAfter"
    assert spec["components"]["headers"]["RetryAfter"]["required"] is False


def test_error_envelope_allows_null_data_and_error_code(spec: dict[str, Any]) -> None:
    envelope = spec["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["properties"]["data"]["type"] == "null"
    assert envelope["properties"]["error_code"]["type"] == "string"
    assert "required" not in envelope  # the generated model stays lenient; the strict rule is an if/then
    (rule,) = envelope["allOf"]
    assert rule["then"]["required"] == ["code", "message"]
    assert envelope["properties"]["code"]["not"] == {"const": 200}
    bad_request = spec["components"]["responses"]["BadRequest"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/BareError"} in bad_request["anyOf"]


def test_prediction_declares_observed_fields(spec: dict[str, Any]) -> None:
    prediction = spec["components"]["schemas"]["Prediction"]
    assert prediction["required"] == ["id", "status"]  # what the generated client insists on
    for name in ("executionTime", "input", "code", "timings", "has_nsfw_contents", "urls", "created_at", "error"):
        assert name in prediction["properties"], name
    assert prediction["properties"]["code"]["x-sync-timeout-code"] == 5004
    assert prediction["properties"]["created_at"]["format"] == "date-time"


def _standing_holders(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    holders: list[tuple[str, dict[str, Any]]] = [("info", spec["info"])]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            holders.append((f"{method.upper()} {path}", operation))
    for kind in ("schemas", "responses", "headers", "securitySchemes"):
        holders += [(f"components/{kind}/{name}", node) for name, node in spec["components"][kind].items()]
    holders += [
        (f"EditRequest.{name}", node)
        for name, node in spec["components"]["schemas"]["EditRequest"]["properties"].items()
    ]
    return holders


def test_every_fact_states_its_standing(spec: dict[str, Any]) -> None:
    missing = [name for name, node in _standing_holders(spec) if node.get("x-status") not in STANDINGS]
    assert not missing, f"these lack x-status: documented|observed|inferred: {missing}"


def test_every_field_is_described(spec: dict[str, Any]) -> None:
    undescribed = [
        f"{schema_name}.{prop}"
        for schema_name, schema in spec["components"]["schemas"].items()
        for prop, node in schema.get("properties", {}).items()
        if "$ref" not in node and not node.get("description")
    ]
    assert not undescribed


def test_runtime_facts_agree_with_spec(spec: dict[str, Any]) -> None:
    properties = spec["components"]["schemas"]["EditRequest"]["properties"]
    for field, node in properties.items():
        runtime = _spec_data.EDIT_REQUEST_SCHEMA["properties"][field]
        for keyword in ("type", "minimum", "maximum", "default", "minLength", "pattern"):
            assert runtime.get(keyword) == node.get(keyword), f"{field}.{keyword}"
    assert tuple(DOCUMENTED_STATUSES) == _spec_data.DOCUMENTED_STATUSES
    assert spec["servers"][0]["url"] == _spec_data.DEFAULT_BASE_URL
    assert spec["info"]["version"] == _spec_data.SPEC_VERSION


DOC_PAGE = re.compile(r"(?:^|[\s(,])(?:doc\.)?wavespeed\.ai/(?:docs|docs-api|docs-common-api)\b")


def mark_problems(spec: dict[str, Any]) -> list[str]:
    """Every x-status mark whose source does not back it.

    ``documented`` must name a wavespeed.ai doc page in its own ``x-source`` or the nearest one
    above it; ``observed`` must say in its own ``x-source`` what was observed; every mark is one
    of the three standings.
    """
    problems: list[str] = []

    def walk(node: Any, where: str, inherited: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}[{index}]", inherited)
            return
        if not isinstance(node, dict):
            return
        own = node.get("x-source", "")
        source = own or inherited
        status = node.get("x-status")
        label = node.get("fact") or node.get("x-rule") or ""
        at = f"{where}" + (f" ({label})" if label else "")
        if status is not None and status not in STANDINGS:
            problems.append(f"{at}: x-status {status!r} is not one of {sorted(STANDINGS)}")
        if status == "documented" and not DOC_PAGE.search(source):
            problems.append(f"{at}: marked documented but names no wavespeed.ai doc page (x-source: {source!r})")
        if status == "observed" and not own.strip():
            problems.append(f"{at}: marked observed but its own x-source does not say what was observed")
        for key, value in node.items():
            walk(value, f"{where}/{key}", source)

    for key, value in spec.items():  # info's own source is not inherited by the rest
        walk(value, f"#/{key}", "")
    return problems


def test_every_mark_is_backed_by_its_source(spec: dict[str, Any]) -> None:
    problems = mark_problems(spec)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("path", "change", "expected"),
    [
        (
            ["components", "schemas", "Prediction", "properties", "created_at"],
            {"x-source": ""},
            "names no wavespeed.ai doc page",
        ),
        (["components", "responses", "BadGateway"], {"x-source": ""}, "marked observed but"),
        (["components", "schemas", "EditRequest", "properties", "prompt"], {"x-status": "guessed"}, "is not one of"),
        (
            ["paths", SUBMIT, "post", "x-facts", 0],
            {"x-status": "documented", "x-source": "wavespeed-python tests"},
            "names no",
        ),
    ],
    ids=["documented-without-page", "observed-without-source", "unknown-standing", "sdk-fact-marked-documented"],
)
def test_mark_check_catches(spec: dict[str, Any], path: list[Any], change: dict[str, str], expected: str) -> None:
    mutated = copy.deepcopy(spec)
    node: Any = mutated
    for part in path:
        node = node[part]
    node.update(change)
    if change.get("x-source") == "" and "x-source" in node:
        del node["x-source"]
    # the nearest page above may not be inherited into a mark whose own source was removed on purpose
    mutated["components"]["schemas"]["Prediction"].pop("x-source", None) if path[-1] == "created_at" else None
    assert any(expected in p for p in mark_problems(mutated)), mark_problems(mutated)


def test_overstated_marks_are_fixed(spec: dict[str, Any]) -> None:
    """The facts issue 16 found marked documented are marked by what backs them."""
    facts = {f["fact"]: f["x-status"] for f in spec["paths"][SUBMIT]["post"]["x-facts"]}
    assert facts["sync-mode timeout is HTTP 200, status processing, task code 5004"] == "observed"
    assert facts["no idempotency key; a lost response may still have created (and billed) a task"] == "observed"
    (on_200,) = spec["components"]["responses"]["PredictionOk"]["x-facts"]
    assert on_200["x-status"] == "inferred"
    request = spec["components"]["schemas"]["EditRequest"]
    assert request["x-facts"][0]["x-status"] == "inferred"  # additionalProperties: false
    assert request["properties"]["prompt"]["x-facts"][0]["x-status"] == "inferred"  # minLength
    assert request["properties"]["image"]["x-facts"][0]["x-status"] == "inferred"  # pattern
    created_at = spec["components"]["schemas"]["Prediction"]["properties"]["created_at"]
    assert created_at["x-facts"][0]["x-status"] == "observed"  # 2/3/9 fractional digits


def test_gateway_errors_and_undeclared_statuses_are_declared(spec: dict[str, Any]) -> None:
    responses = spec["components"]["responses"]
    for name in ("InternalServerError", "BadGateway", "ServiceUnavailable", "GatewayTimeout", "UnexpectedError"):
        content = responses[name]["content"]
        assert next(iter(content)) == "application/json", name  # the generator uses the first
        assert content["text/html"]["schema"] == {"type": "string"}, name
        assert content["text/plain"]["schema"] == {"type": "string"}, name


def test_upload_ticket_is_observed_and_the_documented_upload_is_preferred(spec: dict[str, Any]) -> None:
    ticket = spec["paths"][TICKET]["post"]
    assert ticket["x-status"] == "observed"
    assert "wavespeed-python" in ticket["x-source"]
    instruction = spec["components"]["schemas"]["UploadInstruction"]
    assert set(instruction["required"]) == {"method", "url"}
    assert set(spec["components"]["schemas"]["UploadTicketRequest"]["required"]) == {"filename", "size"}
    marked = [op["operationId"] for item in spec["paths"].values() for op in item.values() if op.get("x-preferred")]
    assert marked == ["uploadBinary"]
    assert spec["paths"][UPLOAD]["post"]["x-status"] == "documented"
    assert _spec_data.PREFERRED_UPLOAD == "uploadBinary"


def test_unknown_inputs_fact_and_client_headers(spec: dict[str, Any]) -> None:
    facts = {f["x-status"]: f for f in spec["components"]["schemas"]["EditRequest"]["x-facts"]}
    assert "drops" in facts["observed"]["fact"]
    assert "wavespeed-cli" in facts["observed"]["x-source"]
    headers = {p["name"] for p in spec["components"]["parameters"].values() if p["in"] == "header"}
    assert headers == {"X-Client-Name", "X-Client-Version", "X-Client-OS"}
    assert not any(p["required"] for p in spec["components"]["parameters"].values())
