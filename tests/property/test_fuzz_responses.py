"""Fuzzers: whatever the server answers and whatever a webhook carries, only our errors come out.

For each endpoint (submit, result, upload) hypothesis sends random JSON, random bytes, and
valid bodies with one part mutated (replaced by random JSON, deleted, retyped), under random
HTTP statuses. The call must either return a well-formed value or raise a Step1XEditError
subclass; any other exception is an escape and fails the test. The webhook verifier is fuzzed
the same way (headers, body, secret): it returns a Prediction or raises
WebhookVerificationError.

Examples per test: STEP1X_FUZZ_EXAMPLES (default 200, fast). bench/RESULTS.md reports a run
with 10,000 each: ``STEP1X_FUZZ_EXAMPLES=10000 pytest tests/property/test_fuzz_responses.py``.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from step1x_edit import (
    APIStatusError,
    AsyncStep1XEdit,
    Prediction,
    RetryPolicy,
    Step1XEdit,
    Step1XEditError,
    WebhookVerificationError,
    sign_webhook,
    verify_webhook,
)

EXAMPLES = int(os.environ.get("STEP1X_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
KEY = "fuzz-key"
BASE = "https://api.fuzz"
PID = "0123456789abcdef0123456789abcdef"

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def _valid(endpoint: str) -> dict[str, Any]:
    if endpoint == "upload":
        data: dict[str, Any] = {"type": "image", "download_url": "https://cdn.fuzz/u.png", "filename": "u", "size": 1}
    else:
        data = {
            "id": PID,
            "model": "wavespeed-ai/step1x-edit",
            "status": "completed",
            "outputs": ["https://cdn.fuzz/0.png"],
            "has_nsfw_contents": [False],
            "urls": {"get": f"{BASE}/api/v3/predictions/{PID}/result"},
            "created_at": "2025-05-19T06:09:15.948268264Z",
            "error": "",
            "code": 0,
            "executionTime": 5,
            "timings": {"inference": 5},
        }
    return {"code": 200, "message": "success", "data": data}


@st.composite
def mutated(draw: st.DrawFn, endpoint: str) -> Any:
    body = _valid(endpoint)
    optional = sorted(set(body["data"]) - {"id", "status", "download_url"})
    for name in draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional))):
        del body["data"][name]  # optional fields may be missing: start from many valid shapes
    for _ in range(draw(st.integers(1, 3))):
        target = body if draw(st.integers(0, 3)) == 0 else body.get("data")
        if not isinstance(target, dict) or not target:
            break
        key = draw(st.sampled_from(sorted(target)))
        action = draw(st.sampled_from(["retype", "retype", "replace", "delete", "add", "status"]))
        if action == "retype":  # same container kind, wrong contents: the subtle case
            original = target[key]
            if isinstance(original, list):
                target[key] = draw(st.lists(json_scalars, min_size=1, max_size=3))
            elif isinstance(original, dict):
                target[key] = draw(st.dictionaries(st.sampled_from(sorted(original) or ["x"]), json_scalars))
            else:
                target[key] = draw(json_scalars)
        elif action == "replace":
            target[key] = draw(json_values)
        elif action == "delete":
            del target[key]
        elif action == "add":
            target[draw(st.text(max_size=8))] = draw(json_values)
        elif isinstance(body.get("data"), dict):
            body["data"]["status"] = draw(
                st.sampled_from(["created", "processing", "completed", "failed", "queued", ""])
            )
    return body


def bodies(endpoint: str) -> st.SearchStrategy[bytes]:
    valid_ish = mutated(endpoint).map(lambda v: json.dumps(v).encode())
    random_json = json_values.map(lambda v: json.dumps(v).encode())
    deep = st.integers(1, 200_000).map(lambda n: b"[" * n + b"]" * n)
    # Mostly mutated valid bodies (they reach the deepest checks), plus noise.
    return st.one_of(valid_ish, valid_ish, valid_ish, valid_ish, random_json, st.binary(max_size=64), deep)


statuses = st.one_of(
    st.just(200),
    st.just(200),
    st.just(200),
    st.sampled_from([201, 204, 301, 400, 401, 403, 404, 413, 418, 429, 500, 502, 520]),
)
headers = st.one_of(
    st.just({}),
    st.just({}),
    st.sampled_from([{"content-type": "text/html"}, {"content-encoding": "gzip"}, {"retry-after": "nan"}]),
)


class Scripted:
    def __init__(self) -> None:
        self.status, self.body, self.headers = 200, b"", {}

    def __call__(self, _request: httpx.Request) -> httpx.Response:
        return httpx.Response(self.status, content=self.body, headers=self.headers)


def _check_result(endpoint: str, value: Any) -> None:
    if endpoint == "upload":
        assert isinstance(value, str)
        assert value.startswith(("https://", "http://"))
        return
    assert isinstance(value, Prediction)
    assert isinstance(value.id, str)
    assert value.id
    assert isinstance(value.status, str)
    assert all(isinstance(o, str) for o in value.outputs)
    assert all(isinstance(f, bool) for f in value.has_nsfw_contents)
    if value.status == "completed":
        assert value.outputs


SCRIPT = Scripted()
SYNC = Step1XEdit(api_key=KEY, base_url=BASE, retry=RetryPolicy(max_retries=0), transport=httpx.MockTransport(SCRIPT))
ASYNC = AsyncStep1XEdit(
    api_key=KEY, base_url=BASE, retry=RetryPolicy(max_retries=0), transport=httpx.MockTransport(SCRIPT)
)


def _call_sync(endpoint: str) -> Any:
    if endpoint == "submit":
        return SYNC.submit("x", "https://example.com/a.png", timeout=None)
    if endpoint == "result":
        return SYNC.get(PID, timeout=None)
    return SYNC.upload(b"\x89PNG\r\n\x1a\n", timeout=None)


async def _call_async(endpoint: str) -> Any:
    if endpoint == "submit":
        return await ASYNC.submit("x", "https://example.com/a.png", timeout=None)
    if endpoint == "result":
        return await ASYNC.get(PID, timeout=None)
    return await ASYNC.upload(b"\x89PNG\r\n\x1a\n", timeout=None)


@pytest.mark.parametrize("endpoint", ["submit", "result", "upload"])
@FUZZ
@given(data=st.data())
def test_no_escape_sync(endpoint: str, data: st.DataObject) -> None:
    SCRIPT.status = data.draw(statuses)
    SCRIPT.body = data.draw(bodies(endpoint))
    SCRIPT.headers = data.draw(headers)
    try:
        value = _call_sync(endpoint)
    except Step1XEditError as exc:
        refused = isinstance(exc, APIStatusError) and exc.code is not None and 400 <= exc.code < 500
        if endpoint == "submit" and SCRIPT.status < 400 and not refused:
            assert getattr(exc, "task_may_exist", False), exc  # noqa: PT017 - the POST reached the server
        return
    _check_result(endpoint, value)


@pytest.mark.parametrize("endpoint", ["submit", "result", "upload"])
@FUZZ
@given(data=st.data())
def test_no_escape_async(endpoint: str, data: st.DataObject) -> None:
    import asyncio

    SCRIPT.status = data.draw(statuses)
    SCRIPT.body = data.draw(bodies(endpoint))
    SCRIPT.headers = data.draw(headers)
    try:
        value = asyncio.run(_call_async(endpoint))
    except Step1XEditError:
        return
    _check_result(endpoint, value)


# --- webhooks --------------------------------------------------------------------------------

SECRET = "whsec_fuzz"
header_values = st.none() | st.integers() | st.text(max_size=30) | st.binary(max_size=10) | json_values


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[Any, Any, Any]:
    body_value = draw(mutated("result") | json_values)
    body: Any = json.dumps(body_value)
    ts = int(time.time()) + draw(st.integers(-1000, 1000))
    headers: Any = {
        "webhook-id": "msg",
        "webhook-timestamp": str(ts),
        "webhook-signature": sign_webhook("msg", ts, body, SECRET),
    }
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["header", "drop", "body", "secret", "shape", "signature", "none"]))
        if action == "header":
            headers[draw(st.sampled_from(sorted(headers) or ["x"]))] = draw(header_values)
        elif action == "drop" and headers:
            del headers[draw(st.sampled_from(sorted(headers)))]
        elif action == "body":
            body = draw(st.binary(max_size=40) | st.text(max_size=40) | st.none() | st.integers())
        elif action == "secret":
            return headers, body, draw(st.none() | st.text(max_size=10) | st.binary(max_size=5) | st.integers())
        elif action == "shape":
            headers = draw(st.sampled_from([None, [], "webhook-id: x", 5, list(headers.items())]))
            break
        elif action == "signature":
            headers["webhook-signature"] = "v3," + draw(st.text(max_size=70))
    return headers, body, SECRET


@FUZZ
@given(delivery=deliveries())
def test_webhook_no_escape(delivery: tuple[Any, Any, Any]) -> None:
    headers, body, secret = delivery
    try:
        prediction = verify_webhook(headers, body, secret)
    except WebhookVerificationError:
        return
    assert isinstance(prediction, Prediction)
    assert isinstance(prediction.id, str)
