"""Secrets and files: the key never leaks; outputs are fetched without it; base64 decodes.

Covers: repr, DEBUG logs and exception text free of the key; bearer refused over plain http
except loopback; key read when the client is built (argument, then environment); downloads
that carry no Authorization header; base64 outputs; webhook verification; __all__.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import types
from pathlib import Path

import httpx
import pytest

import step1x_edit
from step1x_edit import (
    AuthenticationError,
    InvalidParameterError,
    Prediction,
    Step1XEdit,
    WebhookVerificationError,
    sign_webhook,
    verify_webhook,
)

from .conftest import BASE, KEY, PID, RESULT, SUBMIT, FakeAPI, ok

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def test_key_is_not_in_repr_logs_or_errors(api: FakeAPI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.on(SUBMIT, httpx.Response(401, json={"code": 401, "message": "Invalid API key", "data": None}))
    api.on(RESULT, httpx.Response(503), ok("completed"))
    with Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as client:
        assert KEY not in repr(client)
        assert KEY not in str(vars(client).keys())
        with pytest.raises(AuthenticationError) as info:
            client.submit("x", "https://example.com/a.png")
        client.get(PID)
    assert api.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)
    assert KEY not in (info.value.body or "")
    assert "retrying GET" in caplog.text  # DEBUG logging is on and did log...
    assert KEY not in caplog.text  # ...without the key


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://api.wavespeed.ai", False),
        ("http://10.0.0.5:8000", False),
        ("ftp://api.wavespeed.ai", False),
        ("https://api.wavespeed.ai", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:8080", True),
        ("http://[::1]:8080", True),
    ],
)
def test_bearer_only_over_https_or_loopback(url: str, allowed: bool) -> None:
    if allowed:
        Step1XEdit(api_key=KEY, base_url=url).close()
    else:
        with pytest.raises(InvalidParameterError, match="https") as info:
            Step1XEdit(api_key=KEY, base_url=url)
        assert KEY not in str(info.value)


def test_key_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WAVESPEED_API_KEY", raising=False)
    with pytest.raises(InvalidParameterError, match="WAVESPEED_API_KEY"):
        Step1XEdit()
    monkeypatch.setenv("WAVESPEED_API_KEY", "env-key")
    monkeypatch.setenv("WAVESPEED_BASE_URL", "http://127.0.0.1:9")
    seen: list[httpx.Request] = []
    with Step1XEdit(transport=httpx.MockTransport(lambda r: seen.append(r) or ok("completed"))) as client:
        client.get(PID)
    assert seen[0].headers["authorization"] == "Bearer env-key"
    assert str(seen[0].url).startswith("http://127.0.0.1:9/")


def test_download_never_sends_the_key(client: Step1XEdit, api: FakeAPI, tmp_path: Path) -> None:
    api.on("/out/0.png", httpx.Response(200, content=PNG, headers={"content-type": "image/png"}))
    prediction = Prediction(id=PID, status="completed", outputs=("https://cdn.test/out/0.png",))
    (path,) = client.download(prediction, tmp_path / "out")
    assert path.read_bytes() == PNG
    assert path.suffix == ".png"
    fetch = api.requests[-1]
    assert fetch.url.host == "cdn.test"
    assert "authorization" not in fetch.headers


@pytest.mark.parametrize("form", ["raw", "data-uri"])
def test_base64_outputs_are_decoded(client: Step1XEdit, tmp_path: Path, form: str) -> None:
    encoded = base64.b64encode(PNG).decode()
    output = encoded if form == "raw" else f"data:image/png;base64,{encoded}"
    (path,) = client.download(Prediction(id=PID, status="completed", outputs=(output,)), tmp_path)
    assert path.read_bytes() == PNG
    assert path.suffix == ".png"


SECRET = "whsec_c2VjcmV0LWZvci10ZXN0cw=="
BODY = json.dumps({"id": PID, "status": "completed", "outputs": ["https://cdn.test/o.png"]})


def _headers(ts: int, body: str = BODY, secret: str = SECRET) -> dict[str, str]:
    return {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(ts),
        "webhook-signature": sign_webhook("evt_1", ts, body, secret),
    }


def test_webhook_signature_algorithm_by_hand() -> None:
    import hashlib
    import hmac

    ts = 1_758_798_328
    # key = secret without whsec_, as UTF-8 text (not base64-decoded); signed "id.ts.body"; hex.
    digest = hmac.new(b"c2VjcmV0LWZvci10ZXN0cw==", f"evt_1.{ts}.{BODY}".encode(), hashlib.sha256).hexdigest()
    assert sign_webhook("evt_1", ts, BODY, SECRET) == f"v3,{digest}"


def test_webhook_verifies_and_returns_the_prediction() -> None:
    now = int(time.time())
    got = verify_webhook(_headers(now), BODY.encode(), SECRET)
    assert (got.id, got.status, got.outputs) == (PID, "completed", ("https://cdn.test/o.png",))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda h, b: (h, b.replace("completed", "failed")), "does not match"),
        (lambda h, b: ({**h, "webhook-signature": h["webhook-signature"].replace("v3,", "v1,")}, b), "v3,"),
        (lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) - 301)}, b), "tolerance"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-id"}, b), "missing webhook-id"),
        (lambda h, b: ({**h, "webhook-id": "evt_2"}, b), "does not match"),
    ],
    ids=["tampered-body", "wrong-version", "stale", "no-id", "other-id"],
)
def test_webhook_rejections(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    headers, body = mutate(_headers(int(time.time())), BODY)
    with pytest.raises(WebhookVerificationError, match=message):
        verify_webhook(headers, body, SECRET)


def test_vendor_sample_vector_does_not_verify() -> None:
    """The vendor's documented example fails under its own documented algorithm (see README)."""
    body = (
        '{"id":"45b392b22c3b449fa935bd4dc","model":"wavespeed-ai/flux-dev","outputs":["https://d2p7pge43lyniu.'
        'cloudfront.net/output/18058184-5df8-4d05-9e1b-7ad84c8b963e-u1_9bfd4537-e541-4ad0-a0f6-4812b11a37f1.jpeg"],'
        '"urls":{"get":"https://api.wavespeed.ai/api/v3/predictions/45b392b22c3b449fa935bd4dc2219dfe/result"},'
        '"has_nsfw_contents":[false],"status":"completed","created_at":"2025-09-25T09:12:48.239112031Z","error":"",'
        '"executionTime":6710,"timings":{"inference":6710}}'
    )
    headers = {
        "webhook-id": "45b392b22c3b449fa935bd4dc",
        "webhook-timestamp": "1758798328",
        "webhook-signature": "v3,424a292e812c06273bc4efd6b451010a5f046454ae15e6a7c0834428ca76255d",
    }
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_webhook(headers, body, "whsec_e9EE3BdyXSxcB4ZyZUKjQUEoQX4sF9P1+eMpb/KluCM=", tolerance=None)


def test_exported_names() -> None:
    public = {
        name
        for name, value in vars(step1x_edit).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)  # subpackages like sandbox
    }
    lazy = set(step1x_edit._LAZY)  # exported on first use (the batch engine is not imported eagerly)
    assert set(step1x_edit.__all__) - {"__version__"} == public | lazy
    for name in lazy:
        assert getattr(step1x_edit, name).__name__ == name
