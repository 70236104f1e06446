"""Regeneration: generated/ and _spec_data.py are exactly what the spec produces, and a spec
edit is reported and versioned.

Covers (every edit runs on a copy of the tree in tmp_path, never on the real one):
* ``scripts/regenerate --check`` passes on the committed tree (the drift check);
* a spec changed without regenerating fails the check, naming each changed, new and removed
  file and the command that fixes it;
* the version gate, end to end through the real generator and griffe: removing a response
  field, retyping one, narrowing a range or adding a required parameter without a version
  bump makes ``--check`` fail with a one-line reason naming the field, after the report has
  printed the change as breaking; with a major bump ``scripts/regenerate`` records the release
  (CHANGELOG entry, new baseline) and ``--check`` passes; adding an optional response field or
  request parameter needs no bump and passes (listed as Unreleased in the CHANGELOG);
* a bumped version that was never recorded, and a CHANGELOG behind the spec, fail the check;
* the generated package ships ``py.typed``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SUBMIT = "/api/v3/wavespeed-ai/step1x-edit"


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "_regenerate.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def _run_check(root: Path) -> subprocess.CompletedProcess[str]:
    return _run(root, "--check")


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The parts of the repository the generator reads and writes."""
    for part in ("openapi", "generated", "scripts", "src/step1x_edit"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _edit_spec(root: Path, old: str, new: str) -> None:
    spec = root / "openapi" / "step1x-edit.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"mutation target not unique: {old!r}"
    spec.write_text(text.replace(old, new), encoding="utf-8")


def test_committed_output_matches_spec() -> None:
    result = _run_check(ROOT)
    assert result.returncode == 0, result.stderr
    assert "match the spec" in result.stdout


def test_changed_range_without_regenerating_fails(tree_copy: Path) -> None:
    _edit_spec(tree_copy, "maximum: 50\n", "maximum: 40\n")
    result = _run_check(tree_copy)
    assert result.returncode == 1
    assert "changed: src/step1x_edit/_spec_data.py" in result.stderr
    assert '"maximum": 40' in result.stderr  # the diff shows what moved
    assert "run `scripts/regenerate`" in result.stderr


def test_changed_default_names_the_generated_model(tree_copy: Path) -> None:
    _edit_spec(tree_copy, "default: 30\n", "default: 28\n")
    result = _run_check(tree_copy)
    assert result.returncode == 1
    assert "changed: generated/step1x_edit_api/models/edit_request.py" in result.stderr


def test_renamed_schema_lists_new_and_removed_files(tree_copy: Path) -> None:
    spec = tree_copy / "openapi" / "step1x-edit.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("BareError", "PlainError"), encoding="utf-8")
    result = _run_check(tree_copy)
    assert result.returncode == 1
    assert "new:     generated/step1x_edit_api/models/plain_error.py" in result.stderr
    assert "removed: generated/step1x_edit_api/models/bare_error.py" in result.stderr


def test_changed_template_without_regenerating_fails(tree_copy: Path) -> None:
    """The drift check covers our generator templates (openapi/templates), not only the spec."""
    template = tree_copy / "openapi" / "templates" / "endpoint_module.py.jinja"
    text = template.read_text(encoding="utf-8")
    old = "send the request; return the httpx response unparsed."
    assert text.count(old) == 2, "mutation target not found"
    template.write_text(text.replace(old, "send it; return the raw httpx response."), encoding="utf-8")
    result = _run_check(tree_copy)
    assert result.returncode == 1
    assert "changed: generated/step1x_edit_api/api/edit/submit_edit.py" in result.stderr
    assert "changed: generated/step1x_edit_api/api/predictions/get_result.py" in result.stderr
    assert "run `scripts/regenerate`" in result.stderr


def test_regenerating_the_copy_clears_the_drift(tree_copy: Path) -> None:
    _edit_spec(tree_copy, "maximum: 50\n", "maximum: 60\n")  # widened: compatible, no bump needed
    assert _run(tree_copy).returncode == 0
    assert _run_check(tree_copy).returncode == 0
    assert '"maximum": 60' in (tree_copy / "src" / "step1x_edit" / "_spec_data.py").read_text(encoding="utf-8")


# -- the version gate ------------------------------------------------------------------------


def _load(root: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((root / "openapi" / "step1x-edit.yaml").read_text(encoding="utf-8"))
    return loaded


def _save(root: Path, spec: dict[str, Any]) -> None:
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)
    (root / "openapi" / "step1x-edit.yaml").write_text(text, encoding="utf-8")


def _prediction(spec: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = spec["components"]["schemas"]["Prediction"]["properties"]
    return props


def _drop_required(node: Any, name: str) -> None:
    """Take ``name`` out of every ``required`` list in a schema, if/then layers included."""
    if isinstance(node, dict):
        if isinstance(node.get("required"), list) and name in node["required"]:
            node["required"].remove(name)
        for value in node.values():
            _drop_required(value, name)
    elif isinstance(node, list):
        for item in node:
            _drop_required(item, name)


def _remove_model(spec: dict[str, Any]) -> None:
    del _prediction(spec)["model"]
    _drop_required(spec["components"]["schemas"]["Prediction"], "model")


def _retype_id(spec: dict[str, Any]) -> None:
    _prediction(spec)["id"]["type"] = "integer"


def _narrow_steps(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["EditRequest"]["properties"]["num_inference_steps"]["maximum"] = 40


def _require_region(spec: dict[str, Any]) -> None:
    region = {"name": "region", "in": "query", "required": True, "schema": {"type": "string"}}
    spec["paths"][SUBMIT]["post"]["parameters"].append(region)


# mutation, the check id (a regex) the report must print at level err, the field it must name
BREAKING: dict[str, tuple[Callable[[dict[str, Any]], None], str, str]] = {
    # response-required-property-removed once a rule requires the field; optional before.
    "response field removed": (_remove_model, "response-(required|optional)-property-removed", "data.model"),
    "response field retyped": (_retype_id, "response-property-type-changed", "data.id"),
    "range narrowed": (_narrow_steps, "request-property-max-decreased", "num_inference_steps"),
    "required parameter added": (_require_region, "new-required-request-parameter", "region"),
}


def _next_major(version: str) -> str:
    return f"{int(version.split('.')[0]) + 1}.0.0"


@pytest.mark.parametrize("name", list(BREAKING))
def test_breaking_change_without_bump_fails_check(tree_copy: Path, name: str) -> None:
    mutate, change_id, field = BREAKING[name]
    spec = _load(tree_copy)
    version = str(spec["info"]["version"])
    mutate(spec)
    _save(tree_copy, spec)
    result = _run_check(tree_copy)
    assert result.returncode == 1
    report = result.stdout
    assert re.search(rf"^    err  {change_id}  .*: {re.escape(field)}( |$)", report, re.M), report
    assert "Breaking for" in report
    reason = result.stderr.strip().splitlines()[-1]  # the one-line reason comes last
    assert reason.startswith("api-version-not-bumped: ")
    assert field in reason
    assert f"bump info.version in openapi/step1x-edit.yaml to {_next_major(version)}" in reason


def test_regenerate_prints_the_breaking_change_and_exits_1(tree_copy: Path) -> None:
    spec = _load(tree_copy)
    _remove_model(spec)
    _save(tree_copy, spec)
    result = _run(tree_copy)
    assert result.returncode == 1
    assert re.search(r"err  response-(required|optional)-property-removed .*: data\.model$", result.stdout, re.M)
    assert "err  python-object-removed  step1x_edit_api.models.prediction.Prediction.model" in result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith("api-version-not-bumped: ")
    # The baseline did not move: the gate still holds on the next check.
    assert _run_check(tree_copy).returncode == 1


@pytest.mark.parametrize("name", list(BREAKING))
def test_breaking_change_with_major_bump_is_recorded_and_passes(tree_copy: Path, name: str) -> None:
    mutate, change_id, field = BREAKING[name]
    spec = _load(tree_copy)
    new_version = _next_major(str(spec["info"]["version"]))
    mutate(spec)
    spec["info"]["version"] = new_version
    _save(tree_copy, spec)
    result = _run(tree_copy)
    assert result.returncode == 0, result.stderr
    assert re.search(rf"^    err  {change_id}  .*: {re.escape(field)}( |$)", result.stdout, re.M)
    assert f"Recorded release {new_version}" in result.stdout
    check = _run_check(tree_copy)
    assert check.returncode == 0, check.stdout + check.stderr
    changelog = (tree_copy / "openapi" / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = changelog.split(f"## {new_version}\n", 1)[1].split("\n## ", 1)[0]
    assert re.search(rf"`{change_id}` err: .*`{re.escape(field)}`", entry), entry
    assert field in entry
    released = yaml.safe_load((tree_copy / "openapi" / "released" / "step1x-edit.yaml").read_text(encoding="utf-8"))
    assert released == spec


ADDITIVE: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "optional response field": (
        lambda spec: _prediction(spec).update(x_test_rank={"type": "integer", "description": "Place in the queue."}),
        "response-optional-property-added",
    ),
    "optional request parameter": (
        lambda spec: spec["paths"][SUBMIT]["post"]["parameters"].append(
            {"name": "x_test_priority", "in": "query", "required": False, "schema": {"type": "integer"}}
        ),
        "new-optional-request-parameter",
    ),
}


@pytest.mark.parametrize("name", list(ADDITIVE))
def test_additive_change_needs_no_bump(tree_copy: Path, name: str) -> None:
    mutate, change_id = ADDITIVE[name]
    spec = _load(tree_copy)
    mutate(spec)
    _save(tree_copy, spec)
    result = _run(tree_copy)
    assert result.returncode == 0, result.stderr
    assert f"info {change_id}" in result.stdout
    check = _run_check(tree_copy)
    assert check.returncode == 0, check.stdout + check.stderr
    changelog_path = tree_copy / "openapi" / "CHANGELOG.md"
    changelog = changelog_path.read_text(encoding="utf-8")
    unreleased = changelog.split("## Unreleased\n", 1)[1].split("\n## ", 1)[0]
    assert change_id in unreleased
    # A CHANGELOG that falls behind the spec fails the check.
    changelog_path.write_text(changelog.replace(unreleased, "\n"), encoding="utf-8")
    stale = _run_check(tree_copy)
    assert stale.returncode == 1
    assert stale.stderr.strip().splitlines()[-1].startswith("changelog-stale: ")


def test_bump_without_regenerating_fails_check(tree_copy: Path) -> None:
    spec = _load(tree_copy)
    spec["info"]["version"] = _next_major(str(spec["info"]["version"]))
    _save(tree_copy, spec)
    result = _run_check(tree_copy)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("release-not-recorded: ")


def test_generated_package_is_typed() -> None:
    assert (ROOT / "generated" / "step1x_edit_api" / "py.typed").is_file()


def test_bytecode_caches_are_not_drift(tree_copy: Path) -> None:
    """Running the package without PYTHONDONTWRITEBYTECODE (e.g. ./scripts/demo) leaves __pycache__."""
    cache = tree_copy / "generated" / "step1x_edit_api" / "__pycache__"
    cache.mkdir()
    (cache / "client.cpython-311.pyc").write_bytes(b"\x00")
    result = _run_check(tree_copy)
    assert result.returncode == 0, result.stderr


FOLLOW_PROBE = """
import inspect, sys, typing
import step1x_edit
from step1x_edit import Step1XEdit, InvalidParameterError
from step1x_edit._params import EditParams
from step1x_edit._validation import validate_edit_params
from step1x_edit.sandbox._validation import RequestInvalid, validate_edit_request
from typer.testing import CliRunner
from step1x_edit.cli import app

assert step1x_edit.__file__.startswith(sys.argv[1]), step1x_edit.__file__
assert typing.get_type_hints(EditParams)["strength"] is float
assert "strength" in inspect.signature(Step1XEdit.edit).parameters
body = {"prompt": "p", "image": "https://example.com/a.png", "strength": 0.5}
assert validate_edit_params(body)["strength"] == 0.5
try:
    validate_edit_params({**body, "strength": 2})
    raise SystemExit("client accepted strength=2")
except InvalidParameterError as exc:
    assert exc.field == "strength", exc
assert validate_edit_request(body)["strength"] == 0.5
assert validate_edit_request({"prompt": "p", "image": "https://example.com/a.png"})["strength"] == 0.8
try:
    validate_edit_request({**body, "strength": 2})
    raise SystemExit("sandbox accepted strength=2")
except RequestInvalid as exc:
    assert exc.field == "strength", exc
help_text = CliRunner().invoke(app, ["edit", "--help"], env={"COLUMNS": "200"}).output
print(help_text)
"""


def test_added_request_parameter_reaches_types_cli_and_sandbox(tree_copy: Path) -> None:
    """Adding a field to EditRequest and running scripts/regenerate is all it takes: EditParams
    (checked by mypy), the client's validation and signature, the CLI option with its range
    and default, and the sandbox's validation follow, with no hand-written edit."""
    spec = _load(tree_copy)
    spec["components"]["schemas"]["EditRequest"]["properties"]["strength"] = {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
        "default": 0.8,
        "description": "How far the edit may move from the input.",
    }
    _save(tree_copy, spec)
    result = _run(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _run_check(tree_copy).returncode == 0
    params = (tree_copy / "src" / "step1x_edit" / "_params.py").read_text(encoding="utf-8")
    assert "    strength: float\n" in params
    src = tree_copy / "src"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(tree_copy / "generated")])}
    probe = subprocess.run(
        [sys.executable, "-c", FOLLOW_PROBE, str(src)], capture_output=True, text=True, env=env, timeout=120
    )
    assert probe.returncode == 0, probe.stdout + probe.stderr
    help_line = " ".join(probe.stdout.split())
    assert "--strength" in help_line
    assert "How far the edit may move from the input. Range: 0 to 1 inclusive. Server default: 0.8." in help_line
    # mypy follows too: a string strength is a type error against the copy's EditParams.
    calls = tree_copy / "calls.py"
    calls.write_text(
        'from step1x_edit import Step1XEdit\n\n\ndef f(c: Step1XEdit) -> None:\n    c.edit("x", "a.png", strength="high")\n',
        encoding="utf-8",
    )
    from mypy import api as mypy_api

    env_path = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = os.pathsep.join([str(src), str(tree_copy / "generated")])
    try:
        out, err, status = mypy_api.run(
            ["--strict", "--no-incremental", "--cache-dir", str(tree_copy / ".mypy"), "--config-file", "", str(calls)]
        )
    finally:
        if env_path is None:
            os.environ.pop("MYPYPATH")
        else:
            os.environ["MYPYPATH"] = env_path
    assert status == 1, out + err
    assert '"strength"' in out, out
    assert "calls.py:5:" in out, out
    assert "Unexpected keyword" not in out, out  # the copy's EditParams was read, not the installed one
    assert "incompatible type" in out, out


def test_sync_client_is_generated_from_the_async_one(tree_copy: Path) -> None:
    """Step1XEdit's module is the unasync of AsyncStep1XEdit's: marked generated, and an edit to
    the async body without regenerating fails the check until scripts/regenerate carries it over."""
    package = tree_copy / "src" / "step1x_edit"
    sync_text = (package / "_sync_client.py").read_text(encoding="utf-8")
    assert "generated by scripts/regenerate" in sync_text.splitlines()[0].lower()
    assert "do not edit" in sync_text.splitlines()[0]
    assert "async def" not in sync_text
    assert "await " not in sync_text
    async_path = package / "_async_client.py"
    text = async_path.read_text(encoding="utf-8")
    old = '"""The prediction\'s current state (one request)."""'
    assert text.count(old) == 1
    async_path.write_text(
        text.replace(old, '"""The prediction\'s current state (exactly one request)."""'), encoding="utf-8"
    )
    stale = _run_check(tree_copy)
    assert stale.returncode == 1
    assert "changed: src/step1x_edit/_sync_client.py" in stale.stderr
    assert _run(tree_copy).returncode == 0
    assert "(exactly one request)" in (package / "_sync_client.py").read_text(encoding="utf-8")
    assert _run_check(tree_copy).returncode == 0
