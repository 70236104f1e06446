"""What a new user (coming from openai, replicate, fal or the vendor's SDK) runs into first.

Covers: the missing-key message; ``InternalServerError``; ``Prediction.to_dict()``;
``verify_webhook`` with openai's ``(payload, headers)`` order, keywords, a parsed dict, and the
secret from ``WAVESPEED_WEBHOOK_SECRET``; Ctrl-C during ``edit()``/``wait()`` carrying the
prediction id (sync and async); base URLs without a scheme or ending in ``/api/v3``;
connection failures that name the URL and the attempts, and a bounded connect-retry policy;
a directory as the image; an upload refused as "invalid file type" being the caller's fault.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import step1x_edit
from step1x_edit import (
    APIConnectionError,
    AsyncStep1XEdit,
    BadRequestError,
    InvalidParameterError,
    Prediction,
    PredictionInterrupted,
    ServerError,
    Step1XEdit,
    WebhookVerificationError,
    sign_webhook,
    verify_webhook,
)
from step1x_edit._retry import RetryPolicy, connect_retries

from .conftest import BASE, KEY, PID, RESULT, SUBMIT, UPLOAD, FakeAPI, FakeClock, ok

# -- missing key ----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Step1XEdit, AsyncStep1XEdit])
def test_missing_key_says_how_to_set_it(monkeypatch: pytest.MonkeyPatch, cls: type[Any]) -> None:
    monkeypatch.delenv("WAVESPEED_API_KEY", raising=False)
    with pytest.raises(InvalidParameterError) as info:
        cls(base_url=BASE)
    message = str(info.value)
    assert "WAVESPEED_API_KEY" in message
    assert "api_key=" in message
    assert "is not allowed" not in message
    assert "<hidden>" not in message


# -- openai names ---------------------------------------------------------------------------


def test_internal_server_error_is_the_openai_name_for_server_error(api: FakeAPI, clock: FakeClock) -> None:
    assert step1x_edit.InternalServerError is ServerError
    assert "InternalServerError" in step1x_edit.__all__
    api.on(SUBMIT, httpx.Response(500, json={"code": 500, "message": "boom", "data": None}))
    with (
        Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as c,
        pytest.raises(step1x_edit.InternalServerError),
    ):
        c.submit("x", "https://example.com/a.png")


# -- Prediction.to_dict ---------------------------------------------------------------------


def test_prediction_to_dict_is_json_ready(client: Step1XEdit, api: FakeAPI) -> None:
    api.on(RESULT, ok("completed", timings={"inference": 1234}, executionTime=1500, extra_field=[1, 2]))
    p = client.get(PID)
    data = p.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["id"] == PID
    assert data["status"] == "completed"
    assert data["outputs"] == ["https://cdn.test/out/0.png"]
    assert data["has_nsfw_contents"] == [False]
    assert data["created_at"] == p.created_at.isoformat()  # type: ignore[union-attr]
    assert (data["inference_ms"], data["execution_ms"]) == (1234, 1500)
    assert data["result_url"] == f"{BASE}{RESULT}"
    assert "raw" not in data
    # The raw dict as received (unknown fields included) is one documented call away.
    assert p.to_dict(raw=True)["raw"]["extra_field"] == [1, 2]
    assert json.dumps(p.to_dict(raw=True))


def test_prediction_to_dict_of_a_bare_prediction() -> None:
    data = Prediction(id="p", status="failed", error="boom", task_code=1402).to_dict()
    assert data == {
        "id": "p",
        "status": "failed",
        "model": None,
        "outputs": [],
        "has_nsfw_contents": [],
        "result_url": None,
        "created_at": None,
        "error": "boom",
        "task_code": 1402,
        "inference_ms": None,
        "execution_ms": None,
    }


# -- verify_webhook -------------------------------------------------------------------------

SECRET = "whsec_new-user-secret"
BODY = json.dumps({"id": PID, "status": "completed", "outputs": ["https://cdn.test/o.png"]}).encode()


def _signed(body: bytes = BODY) -> dict[str, str]:
    ts = int(time.time())
    return {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(ts),
        "webhook-signature": sign_webhook("evt_1", ts, body, SECRET),
    }


def test_verify_webhook_accepts_openai_argument_order() -> None:
    headers = _signed()
    assert verify_webhook(BODY, headers, SECRET).id == PID  # type: ignore[arg-type]
    assert verify_webhook(BODY.decode(), headers, secret=SECRET).id == PID  # type: ignore[arg-type]


def test_verify_webhook_by_keyword_in_any_order() -> None:
    headers = _signed()
    assert verify_webhook(secret=SECRET, body=BODY, headers=headers).id == PID


def test_verify_webhook_refuses_a_parsed_body() -> None:
    with pytest.raises(WebhookVerificationError, match="raw request body"):
        verify_webhook(_signed(), json.loads(BODY), SECRET)  # type: ignore[arg-type]
    with pytest.raises(WebhookVerificationError, match="raw request body"):
        verify_webhook(json.loads(BODY), _signed(), SECRET)  # type: ignore[arg-type]


def test_verify_webhook_refuses_headers_that_are_not_a_mapping() -> None:
    with pytest.raises(WebhookVerificationError, match="headers"):
        verify_webhook(["webhook-id"], BODY, SECRET)  # type: ignore[arg-type]


def test_verify_webhook_reads_the_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAVESPEED_WEBHOOK_SECRET", SECRET)
    assert verify_webhook(_signed(), BODY).id == PID
    monkeypatch.setenv("WAVESPEED_WEBHOOK_SECRET", "whsec_other")
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_webhook(_signed(), BODY)


def test_verify_webhook_without_any_secret_says_where_to_put_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WAVESPEED_WEBHOOK_SECRET", raising=False)
    with pytest.raises(WebhookVerificationError, match="WAVESPEED_WEBHOOK_SECRET"):
        verify_webhook(_signed(), BODY)


# -- Ctrl-C ---------------------------------------------------------------------------------


def _interrupt_on(status: str) -> Any:
    def callback(p: Prediction) -> None:
        if p.status == status:
            raise KeyboardInterrupt

    return callback


def test_ctrl_c_during_edit_carries_the_prediction_id(client: Step1XEdit, api: FakeAPI) -> None:
    api.on(RESULT, ok("processing"))
    with pytest.raises(KeyboardInterrupt) as info:  # `except KeyboardInterrupt` still catches it
        client.edit("x", "https://example.com/a.png", on_status=_interrupt_on("processing"))
    error = info.value
    assert isinstance(error, PredictionInterrupted)
    assert error.prediction_id == PID
    assert f"wait({PID!r})" in str(error)
    assert not isinstance(error, Exception)  # a bare `except Exception` does not swallow Ctrl-C


def test_ctrl_c_while_sleeping_in_wait_carries_the_prediction_id(
    client: Step1XEdit, api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def sleep(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(step1x_edit._client, "_sleep", sleep)
    with pytest.raises(PredictionInterrupted) as info:
        client.wait(PID)
    assert info.value.prediction_id == PID
    assert api.count(RESULT) == 0


def test_ctrl_c_in_the_first_status_callback_carries_the_prediction_id(client: Step1XEdit, api: FakeAPI) -> None:
    with pytest.raises(KeyboardInterrupt) as info:
        client.edit("x", "https://example.com/a.png", on_status=_interrupt_on("created"))
    # The submit answered, so its id is known although the callback fired inside submit.
    assert isinstance(info.value, PredictionInterrupted)
    assert info.value.prediction_id == PID


@pytest.mark.anyio
async def test_ctrl_c_during_async_edit_carries_the_prediction_id(api: FakeAPI, clock: FakeClock) -> None:
    api.on(RESULT, ok("processing"))
    async with AsyncStep1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as c:
        with pytest.raises(PredictionInterrupted) as info:
            await c.edit("x", "https://example.com/a.png", on_status=_interrupt_on("processing"))
    assert info.value.prediction_id == PID


@pytest.mark.anyio
async def test_cancelling_an_async_wait_notes_the_prediction_id(
    api: FakeAPI, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def sleep(_seconds: float) -> None:
        raise asyncio.CancelledError

    monkeypatch.setattr(step1x_edit._client, "_async_sleep", sleep)
    async with AsyncStep1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as c:
        with pytest.raises(asyncio.CancelledError) as info:
            await c.wait(PID)
    assert any(PID in note for note in getattr(info.value, "__notes__", []))


# -- base URL -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "suggested"),
    [
        ("127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("localhost:8765", "http://localhost:8765"),
        ("api.wavespeed.ai", "https://api.wavespeed.ai"),
    ],
)
def test_base_url_without_a_scheme_suggests_one(given: str, suggested: str) -> None:
    with pytest.raises(InvalidParameterError, match=f"did you mean {suggested}"):
        Step1XEdit(api_key=KEY, base_url=given)


@pytest.mark.parametrize("suffix", ["/api/v3", "/api/v3/", "/api/v3/wavespeed-ai/step1x-edit"])
def test_base_url_ending_in_the_api_path_is_normalised(api: FakeAPI, clock: FakeClock, suffix: str) -> None:
    with Step1XEdit(api_key=KEY, base_url=BASE + suffix, transport=httpx.MockTransport(api.handler)) as c:
        assert c.base_url == BASE
        assert c.get(PID).id == PID
    assert api.requests[0].url.path == RESULT


# -- connection failures --------------------------------------------------------------------


def test_connect_retry_policy() -> None:
    policy = RetryPolicy()
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    other = httpx.ConnectError("[Errno -2] Name or service not known")
    assert connect_retries(policy, "127.0.0.1", refused) == 0  # nothing listens there: fail at once
    assert connect_retries(policy, "localhost", refused) == 0
    assert connect_retries(policy, "api.wavespeed.ai", refused) == 2
    assert connect_retries(policy, "127.0.0.1", other) == 2
    assert connect_retries(policy, "api.wavespeed.ai", httpx.ConnectTimeout("slow")) == 2
    assert connect_retries(RetryPolicy(max_retries=1), "api.wavespeed.ai", refused) == 1
    assert connect_retries(policy, "api.wavespeed.ai", httpx.ReadError("reset")) is None


def test_refused_connection_names_the_url_and_the_attempts(api: FakeAPI, clock: FakeClock) -> None:
    api.on(RESULT, *[httpx.ConnectError("[Errno 111] Connection refused")] * 10)
    with (
        Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as c,
        pytest.raises(APIConnectionError) as info,
    ):
        c.get(PID)
    message = str(info.value)
    assert api.count(RESULT) == 3  # 2 retries for a connect failure, not the 5 of max_retries
    assert f"{BASE}{RESULT}" in message
    assert "3 attempts" in message
    assert f"over {sum(clock.sleeps):.1f} s" in message
    assert "base URL" in message
    assert len(clock.sleeps) == 2
    assert sum(clock.sleeps) < 2.0


def test_refused_connection_to_loopback_fails_at_once(api: FakeAPI, clock: FakeClock) -> None:
    api.on(RESULT, *[httpx.ConnectError("[Errno 111] Connection refused")] * 10)
    base = "http://127.0.0.1:9"
    with (
        Step1XEdit(api_key=KEY, base_url=base, transport=httpx.MockTransport(api.handler)) as c,
        pytest.raises(APIConnectionError) as info,
    ):
        c.get(PID)
    assert api.count(RESULT) == 1
    assert clock.sleeps == []
    assert f"{base}{RESULT}" in str(info.value)
    assert "1 attempt " in str(info.value)


def test_refused_connection_on_a_real_closed_port() -> None:
    """A real socket: nothing listens on the port, so the error comes at once and says where."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with Step1XEdit(api_key=KEY, base_url=base) as c, pytest.raises(APIConnectionError) as info:
        c.get(PID)
    assert base in str(info.value)
    assert "1 attempt" in str(info.value)


# -- bad images are the caller's fault ------------------------------------------------------


def test_a_directory_as_the_image_says_so(client: Step1XEdit, api: FakeAPI, tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="is a directory"):
        client.edit("x", str(tmp_path))
    with pytest.raises(InvalidParameterError, match="is a directory"):
        client.upload(tmp_path)
    assert api.requests == []


def test_a_missing_image_says_so(client: Step1XEdit, api: FakeAPI, tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="does not exist"):
        client.edit("x", str(tmp_path / "nope.png"))
    assert api.requests == []


def test_an_unreadable_image_is_an_input_error(
    client: Step1XEdit, api: FakeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = tmp_path / "locked.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")

    def denied(self: Path) -> bytes:
        if self != image:  # only the image: a module imported lazily meanwhile still loads
            return original(self)
        raise PermissionError(13, "Permission denied", str(self))

    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", denied)  # chmod does not stop root, who runs CI here
    with pytest.raises(InvalidParameterError, match="Permission denied"):
        client.edit("x", str(image))
    with pytest.raises(InvalidParameterError, match="Permission denied"):
        client.upload(image)
    assert api.requests == []


@pytest.mark.parametrize(
    "message",
    ["Upload failed: invalid file type", "unsupported file format", "Invalid file"],
)
def test_upload_refused_as_a_bad_file_is_a_bad_request(client: Step1XEdit, api: FakeAPI, message: str) -> None:
    api.on(UPLOAD, httpx.Response(200, json={"code": 500, "message": message}))
    with pytest.raises(BadRequestError) as info:
        client.upload(b"\x89PNG\r\n\x1a\nnot really")
    assert not isinstance(info.value, ServerError)
    assert info.value.code == 500  # the envelope code is kept as received
    assert message in str(info.value)


def test_upload_envelope_500_without_a_file_complaint_stays_a_server_error(client: Step1XEdit, api: FakeAPI) -> None:
    api.on(UPLOAD, httpx.Response(200, json={"code": 500, "message": "Upload failed: storage unavailable"}))
    with pytest.raises(ServerError):
        client.upload(b"\x89PNG\r\n\x1a\n")


def test_submit_envelope_500_mentioning_a_file_stays_a_server_error(client: Step1XEdit, api: FakeAPI) -> None:
    api.on(SUBMIT, httpx.Response(200, json={"code": 500, "message": "invalid file type"}))
    with pytest.raises(ServerError):
        client.submit("x", "https://example.com/a.png")
