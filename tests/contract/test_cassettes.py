"""Contract tests over the recorded cassettes (contracts/cassettes/), replayed offline.

Covers, for every documented scenario:
* every recorded response conforms to the spec (a violation names the JSON path);
* the generated client replays it and parses the documented model;
* step1x_edit replays it and returns the expected status or raises the expected exception;
* provenance is recorded for each cassette and matches the current spec version;
* no cassette holds a bearer token, key or webhook secret;
* the drift differ reports new/missing fields, type changes, status codes and statuses.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
import yaml

from step1x_edit import PollPolicy, Prediction, Step1XEdit, _api
from step1x_edit._spec_data import SPEC_VERSION
from step1x_edit_api import Client
from step1x_edit_api.models import BareError, ErrorEnvelope, PredictionEnvelope, UploadEnvelope, UploadTicketEnvelope

from .drift import cassette_findings, shape, shape_findings, summarize
from .scenarios import IMAGE, KEY_PLACEHOLDER, PNG, RECORDED_BASE, RECORDING, SCENARIOS, Scenario
from .spec_check import cassette_problems, response_problems

CASSETTES = Path(__file__).resolve().parents[2] / "contracts" / "cassettes"
IDS = [s.name for s in SCENARIOS]


def _load_yaml(text: str) -> Any:
    """yaml.safe_load with libyaml's C loader when present (cassettes are read often)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _cassette(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = _load_yaml((CASSETTES / f"{name}.yaml").read_text(encoding="utf-8"))
    return loaded


def _body(response: dict[str, Any]) -> bytes:
    string = response["body"]["string"]
    return string.encode() if isinstance(string, str) else bytes(string)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_recorded_responses_conform_to_spec(scenario: Scenario) -> None:
    interactions = _cassette(scenario.name)["interactions"]
    assert interactions, "empty cassette"
    problems = cassette_problems(scenario.name, interactions)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_cassette_keeps_the_contract(scenario: Scenario) -> None:
    """The strict spec and the scenario's outcome: breaking findings fail, notes are printed."""
    findings = cassette_findings(scenario.name, _cassette(scenario.name)["interactions"], scenario.expect)
    for finding in findings:
        print(finding)  # noqa: T201
    assert not [f for f in findings if f.verdict != "note"], "\n".join(map(str, findings))


def test_spec_check_names_the_json_path() -> None:
    """The check has teeth: a broken body is reported with where it broke."""
    body = json.dumps(
        {"code": 200, "message": "success", "data": {"id": "a", "status": "completed", "timings": {"inference": "x"}}}
    )
    problems = response_problems(
        "GET", "/api/v3/predictions/a/result", 200, {"content-type": ["application/json"]}, body.encode()
    )
    assert any("$.data.timings.inference" in p for p in problems), problems
    missing = json.dumps({"code": 200, "data": {"status": "completed"}})
    problems = response_problems(
        "GET", "/api/v3/predictions/a/result", 200, {"content-type": ["application/json"]}, missing.encode()
    )
    assert (
        "GET /api/v3/predictions/{id}/result 200: $.data: 'id' is a required property [required of Prediction]"
        in problems
    )
    assert response_problems("GET", "/api/v3/predictions/a/result", 402, {}, b"{}") != []


def _has_authorization(request: Any) -> bool:
    return any(name.lower() == "authorization" for name in request.headers)


def same_authorization(sent: Any, recorded: Any) -> None:
    """vcrpy matcher: a request sends the key exactly when the recorded one did (a ticket's PUT never does)."""
    assert _has_authorization(sent) == _has_authorization(recorded), (
        f"{sent.method} {sent.path}: Authorization header {'sent' if _has_authorization(sent) else 'missing'}; "
        f"the recording {'has' if _has_authorization(recorded) else 'has none'}"
    )


@pytest.fixture
def replaying(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    scenario: Scenario = request.param
    monkeypatch.setattr(RECORDING, "poll_interval", 0.0)  # replays need no waiting between polls
    if scenario.replay == "upload_ticket":
        # What moving `x-preferred: true` to createUploadTicket and running scripts/regenerate does.
        monkeypatch.setattr(_api, "PREFERRED_UPLOAD", "createUploadTicket")
    match_on = ["method", "path", "authorization"] + (["query"] if scenario.replay == "webhook" else [])
    player = vcr.VCR(record_mode="none", match_on=match_on)
    player.register_matcher("authorization", same_authorization)
    with player.use_cassette(str(CASSETTES / f"{scenario.name}.yaml")) as cassette:
        yield scenario, cassette


def _generated_client() -> Client:
    http = httpx.Client(base_url=RECORDED_BASE, headers={"Authorization": f"Bearer {KEY_PLACEHOLDER}"})
    return Client(base_url=RECORDED_BASE).set_httpx_client(http)


@pytest.mark.parametrize("replaying", SCENARIOS, ids=IDS, indirect=True)
def test_generated_client_replays(replaying: Any) -> None:
    scenario, cassette = replaying
    scenario.record(_generated_client())  # the same calls that made the recording
    assert cassette.all_played, f"{len(cassette.data) - cassette.play_count} recorded responses were not requested"
    last = [r for r in cassette.responses if _body(r)][-1]  # a ticket's PUT answers with no body
    status = last["status"]["code"]
    parsed = json.loads(_body(last))
    if status >= 400 or parsed.get("code", 200) != 200:
        model: Any = BareError if "error" in parsed else ErrorEnvelope
    else:
        models = {"upload": UploadEnvelope, "upload_ticket": UploadTicketEnvelope}
        model = models.get(scenario.replay, PredictionEnvelope)
    assert model.from_dict(parsed).to_dict() is not None


def _recorded_download_url(name: str) -> str | None:
    """The download_url of a successful upload cassette (None for an upload the server refused)."""
    for interaction in _cassette(name)["interactions"]:
        try:
            data = json.loads(_body(interaction["response"])).get("data")
        except ValueError:
            continue
        if isinstance(data, dict) and "download_url" in data:
            return str(data["download_url"])
    return None


@pytest.mark.parametrize("replaying", SCENARIOS, ids=IDS, indirect=True)
def test_step1x_edit_replays(replaying: Any, tmp_path: Path) -> None:
    scenario, _ = replaying
    poll = PollPolicy(first=0.001, factor=1.0, step=0.001, learn=False)
    with Step1XEdit(api_key=KEY_PLACEHOLDER, base_url=RECORDED_BASE, max_retries=0, poll=poll) as client:

        def run() -> Any:
            if scenario.replay == "submit":
                return client.submit("make the sky purple", IMAGE)
            if scenario.replay == "webhook":
                return client.submit("make the sky purple", IMAGE, webhook="https://hooks.example.com/step1x?k=a&b=c")
            if scenario.replay == "edit":
                return client.edit("make the sky purple", IMAGE, timeout=10)
            if scenario.replay == "edit_sync":
                return client.edit("make the sky purple", IMAGE, sync=True, timeout=10)
            if scenario.replay == "edit_base64":
                return client.edit("make the sky purple", IMAGE, base64_output=True, timeout=10)
            if scenario.replay in ("upload", "upload_ticket"):
                return client.upload(PNG, filename="photo.png")
            recorded = _cassette(scenario.name)["interactions"][-1]["request"]["uri"]
            prediction_id = httpx.URL(recorded).path.split("/")[-2]
            return client.wait(prediction_id, timeout=10) if scenario.replay == "wait" else client.get(prediction_id)

        if isinstance(scenario.expect, type):
            with pytest.raises(scenario.expect) as info:
                run()
            assert type(info.value) is scenario.expect
            assert getattr(info.value, "body", None) or getattr(info.value, "prediction", None) is not None
            return
        result = run()
    if scenario.replay in ("upload", "upload_ticket"):
        assert isinstance(result, str)
        assert result == _recorded_download_url(scenario.name)
        return
    assert isinstance(result, Prediction)
    assert result.status == scenario.expect
    assert re.fullmatch(r"[0-9a-f]{32}", result.id)
    if scenario.replay == "edit_base64":
        assert base64.b64decode(result.outputs[0]).startswith(b"\x89PNG")
    if scenario.name == "extra_fields":
        assert result.raw["queue_position"] == 3
    if scenario.name == "result_lifecycle":
        assert result.outputs
        assert result.has_nsfw_contents == (False,) * len(result.outputs)


def test_every_cassette_has_current_provenance() -> None:
    provenance = json.loads((CASSETTES / "PROVENANCE.json").read_text())
    assert set(provenance) == {p.stem for p in CASSETTES.glob("*.yaml")} == set(IDS)
    stale = {name: entry["spec_version"] for name, entry in provenance.items() if entry["spec_version"] != SPEC_VERSION}
    assert not stale, f"re-record with scripts/record-cassettes: recorded under older spec versions {stale}"
    assert all(entry["source"] in {"sandbox", "live"} for entry in provenance.values())


SECRET = re.compile(
    r"Bearer (?!<WAVESPEED_API_KEY>)\S{8,}|wsk_[A-Za-z0-9]{8,}|whsec_[A-Za-z0-9]{8,}|sandbox-key"
    # a presigned upload URL's signature or credential (the recorder redacts every query value)
    r"|(?:Signature|Credential|Security-Token|sig)=(?!REDACTED)[^&\s'\"]{6,}",
    re.IGNORECASE,
)


def test_no_secret_in_any_cassette() -> None:
    leaks = [
        f"{path.name}: {match.group(0)[:16]}..."
        for path in CASSETTES.iterdir()
        for match in SECRET.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not leaks


def test_secret_scan_would_catch_a_key() -> None:
    assert SECRET.search("authorization:\n  - Bearer 0123456789abcdef")
    assert SECRET.search('"secret":"whsec_abcdefgh1234"')
    assert SECRET.search("https://s3.example.com/k?X-Amz-Signature=9f86d081884c7d65&X-Amz-Expires=600")
    assert SECRET.search("https://storage.example.com/k?sig=AbC123dEf456")
    assert not SECRET.search("Bearer <WAVESPEED_API_KEY>")
    assert not SECRET.search("https://s3.example.com/k?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED")


def test_drift_differ_reports_each_kind_of_change() -> None:
    committed = summarize(CASSETTES / "result_lifecycle.yaml")
    fresh = json.loads(json.dumps(committed))
    key = next(k for k in fresh if k.endswith("status=completed"))
    fresh[key]["$.data.timings.inference"] = "number"
    del fresh[key]["$.data.executionTime"]
    del fresh[next(k for k in fresh if k.endswith("status=processing"))]
    found = {(f.verdict, f.check, f.path) for f in shape_findings("x", committed, fresh)}
    assert ("breaking", "response-property-type-changed", "$.data.timings.inference") in found
    assert ("compatible", "response-optional-property-removed", "$.data.executionTime") in found
    assert ("note", "response-state-not-seen", "$") in found
    assert shape_findings("x", committed, committed) == []


def test_poll_count_does_not_matter() -> None:
    """Shapes are grouped by request and state: one more or one fewer poll is not drift."""
    lifecycle = _cassette("result_lifecycle")
    polls = [i for i in lifecycle["interactions"] if i["request"]["method"] == "GET"]
    assert len(polls) >= 2
    summary = summarize(CASSETTES / "result_lifecycle.yaml")
    assert all(" status=" in key for key in summary)
    assert len(summary) < len(lifecycle["interactions"]) or len(set(summary)) == len(summary)


def test_shape_walks_nested_arrays() -> None:
    assert shape({"a": [{"b": 1}], "c": None}) == {
        "$": "object",
        "$.a": "array",
        "$.a[*]": "object",
        "$.a[*].b": "integer",
        "$.c": "null",
    }


@pytest.mark.live
def test_live_api_has_not_drifted() -> None:
    """Re-record the live-safe scenarios against WAVESPEED_BASE_URL or the real API (opt-in: --live)."""
    import subprocess
    import sys

    recorder = Path(__file__).with_name("recorder.py")
    result = subprocess.run([sys.executable, str(recorder), "--live", "--yes"], capture_output=True, text=True)
    print(result.stdout, result.stderr)  # noqa: T201
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "no drift" in result.stdout
