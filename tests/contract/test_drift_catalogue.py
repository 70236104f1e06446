"""Every drift of the catalogue (step1x_edit.sandbox.CATALOGUE), proven caught end to end.

* Offline: the drift applied to each committed cassette it names makes the offline check
  (``cassette_findings``, what ``test_cassette_keeps_the_contract`` runs) report it, with its
  verdict, the cassette, the JSON path and the rule; breaking ones fail that test, harmless
  ones pass with a note.
* Any cassette: renaming, removing or retyping a field the strict spec requires, in every
  cassette that carries it, is reported as breaking and names the field's path.
* Live path: the recorder's ``--live`` mode, with ``WAVESPEED_BASE_URL`` pointed at a sandbox on
  127.0.0.1, records, diffs against the committed cassettes and classifies: no drift against
  the plain sandbox, each drift named against a drifted one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from step1x_edit.sandbox import CATALOGUE, Drift, SandboxConfig, SandboxServer, get_drift, serve

from . import recorder
from .drift import Finding, cassette_findings, compare
from .scenarios import BY_NAME, SCENARIOS

CASSETTES = Path(__file__).resolve().parents[2] / "contracts" / "cassettes"
LIVE = [s.name for s in SCENARIOS if s.live]


def _load_yaml(text: str) -> Any:
    """yaml.safe_load with libyaml's C loader when present (cassettes are read often)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _interactions(name: str) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = _load_yaml((CASSETTES / f"{name}.yaml").read_text(encoding="utf-8"))["interactions"]
    return loaded


def _drifted(drift: Drift, interactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cassette as the drifted API would have answered it."""
    out = copy.deepcopy(interactions)
    for index, interaction in enumerate(out):
        request, response = interaction["request"], interaction["response"]
        if drift.refusal and request["method"] == "POST" and "step1x-edit" in request["uri"]:
            body = json.loads(request["body"]) if request.get("body") else {}
            if drift.refuses(body):
                refused = {"code": 400, "message": drift.refusal, "data": None}
                response["status"] = {"code": 400, "message": "Bad Request"}
                response["body"]["string"] = json.dumps(refused)
                return out[: index + 1]  # the server refused: nothing follows
        try:
            payload = json.loads(response["body"]["string"])
        except (ValueError, TypeError):
            continue
        if drift.errors_as_200 and response["status"]["code"] >= 400 and "code" in payload:
            response["status"] = {"code": 200, "message": "OK"}
        response["body"]["string"] = json.dumps(drift.apply_to_body(payload))
    return out


def _named(findings: list[Finding], drift: Drift) -> list[Finding]:
    return [f for f in findings if f.verdict == drift.verdict and f.path == drift.path and f.check == drift.check]


CASES = [(drift, name) for drift in CATALOGUE for name in drift.cassettes]


def test_the_catalogue_covers_the_issue() -> None:
    assert len(CATALOGUE) >= 10
    assert {d.verdict for d in CATALOGUE} == {"breaking", "compatible", "note"}
    for drift in CATALOGUE:
        assert drift.cassettes, drift.name
        assert set(drift.cassettes) <= set(BY_NAME), drift.name


@pytest.mark.parametrize(("drift", "cassette"), CASES, ids=[f"{d.name}:{c}" for d, c in CASES])
def test_drift_applied_to_a_cassette_is_caught(drift: Drift, cassette: str) -> None:
    baseline = cassette_findings(cassette, _interactions(cassette), BY_NAME[cassette].expect)
    assert not [f for f in baseline if f.verdict != "note"], baseline  # the committed cassette is clean
    findings = cassette_findings(cassette, _drifted(drift, _interactions(cassette)), BY_NAME[cassette].expect)
    named = _named(findings, drift)
    assert named, f"{drift.name} not reported as {drift.verdict} {drift.check} at {drift.path}:\n" + "\n".join(
        map(str, findings)
    )
    assert all(f.cassette == cassette for f in named)
    breaking = [f for f in findings if f.verdict != "note"]
    if drift.verdict == "breaking":
        assert breaking  # test_cassette_keeps_the_contract would fail on this cassette
        assert any("[rule " in f.message or "refused" in f.message or "ends" in f.message for f in named) or any(
            "[" in f.message for f in named
        )
    elif drift.verdict == "note":
        assert not breaking, "\n".join(map(str, breaking))  # harmless: passes, with a note
    else:
        assert [f.verdict for f in breaking] == ["compatible"] * len(breaking)


# --- any cassette: a required field renamed, removed or retyped turns the suite red -------------------


def _required_paths(body: dict[str, Any]) -> list[tuple[str, ...]]:
    """Fields of this body whose removal the strict spec refuses (envelope, data, nested)."""
    paths: list[tuple[str, ...]] = [(key,) for key in body]
    data = body.get("data")
    if isinstance(data, dict):
        paths += [("data", key) for key in data]
        for nested in ("urls", "timings", "upload"):
            if isinstance(data.get(nested), dict):
                paths += [("data", nested, key) for key in data[nested]]
    return paths


def _retyped(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return "x"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return 12345
    if isinstance(value, list):
        return {"items": value}
    return "x"


def _mutants(body: dict[str, Any], path: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for kind in ("removed", "renamed", "retyped"):
        mutant = copy.deepcopy(body)
        parent = mutant
        for part in path[:-1]:
            parent = parent[part]
        value = parent.pop(path[-1])
        if kind == "renamed":
            parent[path[-1] + "_v2"] = value
        elif kind == "retyped":
            parent[path[-1]] = _retyped(value)
        out.append((kind, mutant))
    return out


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_any_required_field_renamed_removed_or_retyped_is_caught(scenario: Any) -> None:
    """In every cassette that carries it, each field the strict spec requires cannot silently change."""
    interactions = _interactions(scenario.name)
    checked, survived = 0, []
    for index, interaction in enumerate(interactions):
        try:
            body = json.loads(interaction["response"]["body"]["string"])
        except (ValueError, TypeError):
            continue
        if not isinstance(body, dict):
            continue
        for path in _required_paths(body):
            mutants = _mutants(body, path)
            removed_only = copy.deepcopy(interaction)
            removed_only["response"]["body"]["string"] = json.dumps(mutants[0][1])
            if not [f for f in cassette_findings(scenario.name, [removed_only]) if f.verdict == "breaking"]:
                continue  # optional here (e.g. executionTime, a task code on a prediction that did not fail)
            dotted = "$." + ".".join(path)
            for kind, mutant in mutants:
                changed = copy.deepcopy(interaction)
                changed["response"]["body"]["string"] = json.dumps(mutant)
                findings = cassette_findings(scenario.name, [changed])
                checked += 1
                if not any(f.verdict == "breaking" and f.path.startswith(dotted) for f in findings):
                    survived.append(f"#{index} {dotted} {kind}")
    assert checked, "no required field found"
    assert not survived, f"{scenario.name}: these changes were not caught: {survived}"


def test_documented_prediction_fields_are_all_required_somewhere() -> None:
    """outputs, has_nsfw_contents, created_at, model, urls, error, timings: removal is caught in the lifecycle."""
    interactions = _interactions("result_lifecycle")
    for field in ("id", "model", "status", "outputs", "urls", "has_nsfw_contents", "created_at", "error", "timings"):
        changed = copy.deepcopy(interactions)
        response = changed[-1]["response"]
        body = json.loads(response["body"]["string"])
        del body["data"][field]
        response["body"]["string"] = json.dumps(body)
        findings = cassette_findings("result_lifecycle", changed)
        assert any(f.verdict == "breaking" and f.path == f"$.data.{field}" for f in findings), field


# --- the live path against sandboxes on 127.0.0.1 ---------------------------------------------------


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    """One sandbox on 127.0.0.1 for every live run; each run sets its drift (None: the plain API)."""
    with serve(SandboxConfig(created_seconds=0.02, processing_seconds=0.1)) as server:
        yield server


def _live_run(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drift: str | None
) -> tuple[int, list[Finding]]:
    server.sandbox.reset()
    monkeypatch.setattr(server.sandbox, "drift", get_drift(drift) if drift else None)
    monkeypatch.setenv("WAVESPEED_BASE_URL", server.base_url)
    monkeypatch.setenv("WAVESPEED_API_KEY", server.api_key)
    out = tmp_path / "fresh"
    status = recorder.main(["--live", "--yes", "--poll-interval", "0.02", "--poll-limit", "3", "--out", str(out)])
    return status, compare(CASSETTES, out, LIVE, {name: BY_NAME[name].expect for name in LIVE})


def test_live_path_against_the_plain_sandbox_reports_no_drift(
    sandbox_server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, findings = _live_run(sandbox_server, tmp_path, monkeypatch, None)
    printed = capsys.readouterr()
    assert "billed prediction" in printed.err
    assert "no drift" in printed.out, printed.out
    assert status == 0
    assert not [f for f in findings if f.verdict != "note"], "\n".join(map(str, findings))
    assert (tmp_path / "fresh" / "upload.yaml").exists()
    # the ticket flow too: the ticket, then its PUT (kept although it is no /api/ route), without the key
    ticket = _load_yaml((tmp_path / "fresh" / "upload_ticket.yaml").read_text(encoding="utf-8"))["interactions"]
    assert [(i["request"]["method"], i["response"]["status"]["code"]) for i in ticket] == [("POST", 200), ("PUT", 200)]
    assert "authorization" not in {name.lower() for name in ticket[1]["request"]["headers"]}
    assert "upload_ticket" in printed.err  # named in the plan
    assert "sandbox-key" not in "".join(p.read_text() for p in (tmp_path / "fresh").glob("*.yaml"))


LIVE_DRIFTS = [d for d in CATALOGUE if set(d.cassettes) & set(LIVE)]


@pytest.mark.parametrize("drift", LIVE_DRIFTS, ids=[d.name for d in LIVE_DRIFTS])
def test_live_path_against_a_drifted_sandbox_names_the_drift(
    sandbox_server: SandboxServer,
    drift: Drift,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, findings = _live_run(sandbox_server, tmp_path, monkeypatch, drift.name)
    printed = capsys.readouterr().out
    named = _named(findings, drift)
    assert named, f"{drift.name}: not reported as {drift.verdict} {drift.check} at {drift.path}:\n{printed}"
    assert drift.path in printed
    assert drift.check in printed
    assert status == (0 if drift.verdict == "note" else 1), printed


def test_every_catalogue_drift_runs_live_or_is_offline_only() -> None:
    offline_only = {d.name for d in CATALOGUE} - {d.name for d in LIVE_DRIFTS}
    assert not offline_only, offline_only


# --- the command itself -------------------------------------------------------------------------------


def _plan(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **env: str) -> tuple[int, str]:
    for name in ("WAVESPEED_API_KEY", "CI", "WAVESPEED_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    status = recorder.main(["--live", "--plan"])  # stdin is not a terminal here: nobody answers "y"
    captured = capsys.readouterr()
    return status, captured.err + captured.out


def test_live_without_key_fails_in_ci_naming_the_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, printed = _plan(monkeypatch, capsys, CI="true")
    assert status == 2
    assert "WAVESPEED_API_KEY" in printed


def test_live_without_key_outside_ci_is_a_clear_skip(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, printed = _plan(monkeypatch, capsys)
    assert status == 0
    assert "live mode skipped: WAVESPEED_API_KEY is not set" in printed


def test_live_states_the_cost_and_asks_before_sending(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, printed = _plan(monkeypatch, capsys, WAVESPEED_API_KEY="k-not-used")
    assert status == 1  # nobody answered "y": nothing sent
    assert "2 billed prediction(s) on the real API" in printed
    assert "https://api.wavespeed.ai" in printed
    assert "aborted: nothing was sent" in printed
    assert "k-not-used" not in printed
    assert _plan(monkeypatch, capsys, WAVESPEED_API_KEY="k", CI="true")[0] == 0


def test_scripts_test_live_asks_the_recorder_first() -> None:
    """./scripts/test --live runs the plan (cost, confirmation, missing secret) before pytest."""
    text = (Path(__file__).resolve().parents[2] / "scripts" / "test").read_text()
    assert "python tests/contract/recorder.py --live --plan" in text
    assert text.index("recorder.py --live --plan") < text.index("pytest --hypothesis-profile")


def test_cli_sandbox_serves_a_named_drift() -> None:
    from typer.testing import CliRunner

    from step1x_edit.cli import app

    unknown = CliRunner().invoke(app, ["sandbox", "--drift", "nope"])
    assert unknown.exit_code == 2
    assert "unknown drift 'nope'" in unknown.output
    assert "outputs-renamed" in unknown.output  # the names are listed
    served = CliRunner().invoke(app, ["sandbox", "--drift", "outputs-renamed", "--duration", "0"])
    assert served.exit_code == 0, served.output
    assert "DRIFTED: serving a changed API (outputs-renamed)" in served.output
