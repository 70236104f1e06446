"""Fixtures for the hand-written layer: a scripted fake API and a fake clock.

``api`` is a tiny in-memory WaveSpeed stand-in driven through ``httpx.MockTransport``: tests
script responses per route and read back every request the client sent.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from step1x_edit import Step1XEdit, _client, _deadline

KEY = "test-key-0123456789abcdef"
BASE = "https://api.test"
PID = "0123456789abcdef0123456789abcdef"
SUBMIT = "/api/v3/wavespeed-ai/step1x-edit"
RESULT = f"/api/v3/predictions/{PID}/result"
UPLOAD = "/api/v3/media/upload/binary"

Handler = Callable[[httpx.Request], httpx.Response]


def prediction(status: str = "created", **extra: Any) -> dict[str, Any]:
    outputs = ["https://cdn.test/out/0.png"] if status == "completed" else []
    data = {
        "id": PID,
        "model": "wavespeed-ai/step1x-edit",
        "outputs": outputs,
        "urls": {"get": f"{BASE}{RESULT}"},
        "has_nsfw_contents": [False] * len(outputs),
        "status": status,
        "created_at": "2025-05-19T06:09:15.948268264Z",
        "error": "",
        "executionTime": 0,
        "timings": {"inference": 0},
    }
    data.update(extra)
    return data


def envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": 200, "message": "success", "data": data}


def ok(status: str = "created", **extra: Any) -> httpx.Response:
    return httpx.Response(200, json=envelope(prediction(status, **extra)))


class FakeAPI:
    """Scripted responses per path; each entry a Response, an exception, or a handler."""

    def __init__(self) -> None:
        self.script: dict[str, list[Any]] = defaultdict(list)
        self.default: dict[str, Any] = {SUBMIT: ok("created"), RESULT: ok("completed")}
        self.requests: list[httpx.Request] = []

    def on(self, path: str, *responses: Any) -> FakeAPI:
        self.script[path].extend(responses)
        return self

    def count(self, path: str) -> int:
        return sum(1 for request in self.requests if request.url.path == path)

    def handler(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        queue = self.script.get(request.url.path)
        item = queue.pop(0) if queue else self.default.get(request.url.path)
        if item is None:
            return httpx.Response(404, json={"code": 404, "message": "not found", "data": None})
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            return item(request)  # type: ignore[no-any-return]
        # Responses are single-use objects: hand out a fresh copy each time.
        return httpx.Response(item.status_code, headers=item.headers, content=item.content)

    def sent_json(self, path: str = SUBMIT) -> list[Any]:
        return [json.loads(r.content) for r in self.requests if r.url.path == path]


class FakeClock:
    """Monotonic time that only moves when the client sleeps (or a test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(_deadline, "_clock", fake)
    monkeypatch.setattr(_client, "_sleep", fake.sleep)
    monkeypatch.setattr(_client, "_async_sleep", fake.async_sleep)
    return fake


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def client(api: FakeAPI, clock: FakeClock) -> Iterator[Step1XEdit]:
    with Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as c:
        yield c


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
