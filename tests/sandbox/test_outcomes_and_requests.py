"""The sandbox's controls for the pytest plugin: scripted outcomes, the request log, min_polls.

In-process, through the plugin's own sync transport; every response is checked against the spec.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sandbox_support import FakeClock, conforms

from step1x_edit._spec_data import SYNC_TIMEOUT_TASK_CODE
from step1x_edit.pytest_plugin import _Runtime, _SyncAppTransport
from step1x_edit.sandbox import Fault, Outcome, Sandbox, SandboxConfig, create_app

SUBMIT = "/api/v3/wavespeed-ai/step1x-edit"
IMAGE = "https://example.com/photo.png"
AUTH = {"Authorization": "Bearer sandbox-key"}


class Api(httpx.Client):
    sandbox: Sandbox


@pytest.fixture(scope="module")
def runtime() -> Iterator[_Runtime]:
    rt = _Runtime()
    yield rt
    rt.close()


_RUNTIME: list[_Runtime] = []


@pytest.fixture(autouse=True)
def _runtime(runtime: _Runtime) -> Iterator[None]:
    _RUNTIME.append(runtime)
    yield
    _RUNTIME.clear()


def _client(**config: object) -> Api:
    options: dict[str, object] = {"created_seconds": 0.0, "processing_seconds": 0.0, "max_output_side": 32}
    options.update(config)
    app = create_app(SandboxConfig(**options))  # type: ignore[arg-type]
    api = Api(transport=_SyncAppTransport(app, _RUNTIME[0]), base_url="http://127.0.0.1:9")
    api.sandbox = app.state.sandbox
    return api


def _submit(api: Api, prompt: str = "x", **extra: object) -> dict[str, object]:
    response = conforms(api.post(SUBMIT, json={"prompt": prompt, "image": IMAGE, **extra}, headers=AUTH))
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()["data"]
    return data


def _poll(api: Api, pid: object) -> dict[str, object]:
    response = conforms(api.get(f"/api/v3/predictions/{pid}/result", headers=AUTH))
    data: dict[str, object] = response.json()["data"]
    return data


def test_min_polls_answers_created_then_completed_on_the_first_poll() -> None:
    api = _client(min_polls=1)
    created = _submit(api)
    assert created["status"] == "created"  # mutation: min_polls ignored -> "completed" at submit
    assert _poll(api, created["id"])["status"] == "completed"


def test_without_min_polls_a_zero_duration_task_is_done_at_submit() -> None:
    assert _submit(_client())["status"] == "completed"


def test_sync_mode_does_not_wait_for_polls() -> None:
    data = _submit(_client(min_polls=1), enable_sync_mode=True)
    assert data["status"] == "completed"


def test_outcomes_outputs_nsfw_failure_and_order() -> None:
    api = _client()
    sandbox = api.sandbox
    sandbox.add_outcome(Outcome(outputs=3, nsfw=(False, True, False)))
    sandbox.add_outcome(Outcome("failed", code=1200, error="flagged"), prompt=re.compile(r"forbid+en"))
    failed = _submit(api, "a forbidden cat")  # the prompt rule applies first, though added second
    assert (failed["status"], failed["code"], failed["error"]) == ("failed", 1200, "flagged")
    done = _submit(api, "a cat")
    assert done["has_nsfw_contents"] == [False, True, False]
    assert len(done["outputs"]) == 3  # type: ignore[arg-type]
    assert len({api.get(u).content for u in done["outputs"]}) == 1  # type: ignore[attr-defined]
    assert len(_submit(api, "again")["outputs"]) == 1  # type: ignore[arg-type]  # times=1: used up


def test_outcome_forever_and_never_finishing() -> None:
    clock = FakeClock()
    api = _client(clock=clock, processing_seconds=1.0)
    api.sandbox.add_outcome(Outcome("never"), times=None)
    first, second = _submit(api), _submit(api)
    clock.advance(3600)
    assert _poll(api, first["id"])["status"] == "processing"
    assert _poll(api, second["id"])["status"] == "processing"


def test_sync_timeout_outcome_answers_5004_at_once_then_completes() -> None:
    api = _client(min_polls=1, sync_timeout_seconds=90.0)
    api.sandbox.add_outcome(Outcome(sync_timeout=True))
    data = _submit(api, enable_sync_mode=True)  # would hold 90 s without the outcome
    assert (data["status"], data["code"], data["outputs"]) == ("processing", SYNC_TIMEOUT_TASK_CODE, [])
    assert _poll(api, data["id"])["status"] == "completed"


def test_request_log_kinds_inputs_ids_and_faults() -> None:
    api = _client(min_polls=1)
    sandbox = api.sandbox
    sandbox.add_fault(Fault(route="result", status=503))
    pid = _submit(api, "log me", guidance_scale=7)["id"]
    api.get(f"/api/v3/predictions/{pid}/result", headers=AUTH)
    _poll(api, pid)
    log = sandbox.requests
    assert [(r.kind, r.status_code) for r in log] == [("submit", 200), ("result", 503), ("result", 200)]
    assert log[0].input == {"prompt": "log me", "image": IMAGE, "guidance_scale": 7}
    assert {r.prediction_id for r in log} == {pid}
    assert log[1].fault is not None
    assert log[0].fault is None
    assert log[0].monotonic <= log[2].monotonic
    sandbox.add_outcome(Outcome("never"))
    sandbox.reset()
    assert sandbox.requests == []
    assert _submit(api)["status"] == "created"  # the outcome went with the reset
    assert _poll(api, sandbox.requests[0].prediction_id)["status"] == "completed"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "done"}, "outcome status"),
        ({"outputs": -1}, "outputs"),
        ({"outputs": 2, "nsfw": (True,)}, "nsfw"),
        ({"status": "failed", "code": 123456}, "code"),
    ],
)
def test_outcome_refuses_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Outcome(**kwargs)  # type: ignore[arg-type]
