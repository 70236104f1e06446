"""Issue 13, items 1 and 2: one deadline over every phase, and no paid submit without budget.

Reproduction 1: a server that sends headers and then trickles the body made
``edit(timeout=2)`` return after 53 s (httpx timeouts are per read). Reproduction 2: an upload
that used up the deadline still let the (billed) submit go out, and the id was lost.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from unit.conftest import BASE, KEY, PID, RESULT, SUBMIT, UPLOAD, envelope, ok, prediction

from step1x_edit import AsyncStep1XEdit, DeadlineExceededError, InvalidParameterError, Prediction, Step1XEdit
from step1x_edit._constants import MIN_SUBMIT_BUDGET

from ._servers import trickling_server
from .conftest import FakeAPI, FakeClock

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Trickle(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that arrives one byte per ``step`` seconds of the fake clock."""

    def __init__(self, clock: FakeClock, body: bytes, step: float) -> None:
        self.clock, self.body, self.step = clock, body, step

    def __iter__(self) -> Iterator[bytes]:
        for byte in self.body:
            self.clock.now += self.step
            yield bytes([byte])

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


def trickle(clock: FakeClock, data: dict[str, object], step: float = 0.5) -> httpx.Response:
    body = json.dumps(envelope(data)).encode()
    return httpx.Response(200, headers={"content-type": "application/json"}, stream=Trickle(clock, body, step))


async def _maybe_await(result: object) -> object:
    return await result if inspect.isawaitable(result) else result


def _clients(api: FakeAPI) -> tuple[Step1XEdit, AsyncStep1XEdit]:
    transport = httpx.MockTransport(api.handler)
    return (
        Step1XEdit(api_key=KEY, base_url=BASE, transport=transport),
        AsyncStep1XEdit(api_key=KEY, base_url=BASE, transport=transport),
    )


# --- 1. trickling bodies, every operation, both clients ----------------------------------------


def test_edit_deadline_holds_against_a_trickling_result(api: FakeAPI, clock: FakeClock) -> None:
    api.on(RESULT, lambda _r: trickle(clock, prediction("completed")))
    start = clock.now
    with (
        Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as client,
        pytest.raises(DeadlineExceededError) as info,
    ):
        client.edit("x", "https://example.com/a.png", timeout=2)
    assert info.value.prediction_id == PID  # the paid prediction is not lost
    assert clock.now - start <= 2 + 0.5  # at most one trickled chunk past the deadline


@pytest.mark.anyio
async def test_async_edit_deadline_holds_against_a_trickling_result(api: FakeAPI, clock: FakeClock) -> None:
    api.on(RESULT, lambda _r: trickle(clock, prediction("completed")))
    start = clock.now
    async with AsyncStep1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as client:
        with pytest.raises(DeadlineExceededError) as info:
            await client.edit("x", "https://example.com/a.png", timeout=2)
    assert info.value.prediction_id == PID
    assert clock.now - start <= 2 + 0.5


@pytest.mark.parametrize("operation", ["get", "wait", "upload", "download", "submit"])
@pytest.mark.anyio
async def test_every_operation_takes_a_deadline(api: FakeAPI, clock: FakeClock, operation: str, tmp_path: Path) -> None:
    api.on(RESULT, *[lambda _r: trickle(clock, prediction("processing"))] * 2)
    api.on(SUBMIT, *[lambda _r: trickle(clock, prediction("created"))] * 2)
    upload = {"type": "image", "download_url": "https://cdn.test/u.png", "filename": "u.png", "size": 1}
    api.on(UPLOAD, *[lambda _r: trickle(clock, upload)] * 2)
    api.on(
        "/out/0.png",
        *[lambda _r: httpx.Response(200, headers={"content-type": "image/png"}, stream=Trickle(clock, PNG * 20, 0.5))]
        * 2,
    )
    done = Prediction(id=PID, status="completed", outputs=("https://cdn.test/out/0.png",))
    sync, asynchronous = _clients(api)
    calls = {
        "get": ((PID,), {}),
        "wait": ((PID,), {}),
        "upload": ((PNG,), {}),
        "download": ((done, tmp_path / "s"), {}),
        "submit": (("x", "https://example.com/a.png"), {}),
    }
    args, kwargs = calls[operation]
    for client in (sync, asynchronous):
        start = clock.now
        with pytest.raises(DeadlineExceededError):
            await _maybe_await(getattr(client, operation)(*args, timeout=3, **kwargs))
        assert clock.now - start <= 3 + 0.5, (type(client).__name__, clock.now - start)
    sync.close()
    await asynchronous.aclose()


def test_trickling_server_over_a_real_socket() -> None:
    """Real loopback socket, one byte every 0.2 s: the call ends near its 1 s deadline, not after 30 s."""
    body = json.dumps(envelope(prediction("processing"))).encode()
    with trickling_server(body[:150], 0.2) as base, Step1XEdit(api_key=KEY, base_url=base) as client:
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError):
            client.get(PID, timeout=1.0)
        elapsed = time.monotonic() - started
    assert elapsed < 3.0  # generous bound for a loaded machine; before the fix: 30 s (bench/ measures precisely)


@pytest.mark.anyio
async def test_trickling_server_over_a_real_socket_async() -> None:
    body = json.dumps(envelope(prediction("processing"))).encode()
    with trickling_server(body[:150], 0.2) as base:
        async with AsyncStep1XEdit(api_key=KEY, base_url=base) as client:
            started = time.monotonic()
            with pytest.raises(DeadlineExceededError):
                await client.get(PID, timeout=1.0)
            elapsed = time.monotonic() - started
    assert elapsed < 3.0


# --- 2. never submit without budget -------------------------------------------------------------


def test_no_submit_when_the_upload_used_up_the_deadline(api: FakeAPI, clock: FakeClock) -> None:
    def slow_upload(_request: httpx.Request) -> httpx.Response:
        clock.now += 10 - 0.01  # the upload leaves 10 ms of a 10 s deadline
        data = {"type": "image", "download_url": "https://cdn.test/u.png", "filename": "u.png", "size": 1}
        return httpx.Response(200, json=envelope(data))

    api.on(UPLOAD, slow_upload)
    with (
        Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as client,
        pytest.raises(DeadlineExceededError) as info,
    ):
        client.edit("x", PNG, timeout=10)
    assert api.count(SUBMIT) == 0  # nothing was billed
    assert info.value.task_may_exist is False
    assert "nothing was submitted" in str(info.value)
    assert f"{MIN_SUBMIT_BUDGET:g} s" in str(info.value)


@pytest.mark.anyio
async def test_no_submit_when_the_upload_used_up_the_deadline_async(api: FakeAPI, clock: FakeClock) -> None:
    def slow_upload(_request: httpx.Request) -> httpx.Response:
        clock.now += 10 - 0.01
        data = {"type": "image", "download_url": "https://cdn.test/u.png", "filename": "u.png", "size": 1}
        return httpx.Response(200, json=envelope(data))

    api.on(UPLOAD, slow_upload)
    async with AsyncStep1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as client:
        with pytest.raises(DeadlineExceededError) as info:
            await client.edit("x", PNG, timeout=10)
    assert api.count(SUBMIT) == 0
    assert info.value.task_may_exist is False


def test_a_deadline_shorter_than_the_submit_minimum_is_refused_up_front(api: FakeAPI, clock: FakeClock) -> None:
    with Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as client:
        for too_short in (MIN_SUBMIT_BUDGET / 2, MIN_SUBMIT_BUDGET):
            with pytest.raises(InvalidParameterError, match="timeout"):
                client.edit("x", "https://example.com/a.png", timeout=too_short)
            with pytest.raises(InvalidParameterError, match="timeout"):
                client.submit("x", "https://example.com/a.png", timeout=too_short)
        assert api.requests == []
        # Just above the minimum: accepted, and the submit goes out with the time left.
        assert client.edit("x", "https://example.com/a.png", timeout=MIN_SUBMIT_BUDGET + 0.5).status == "completed"
    assert api.count(SUBMIT) == 1


def test_deadline_during_submit_says_a_task_may_exist(api: FakeAPI, clock: FakeClock) -> None:
    api.on(SUBMIT, lambda _r: trickle(clock, prediction("created")))
    with (
        Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as client,
        pytest.raises(DeadlineExceededError) as info,
    ):
        client.edit("x", "https://example.com/a.png", timeout=5)
    assert info.value.task_may_exist is True
    assert "task may exist" in str(info.value)
    assert api.count(SUBMIT) == 1


def test_ok_still_works(client: Step1XEdit, api: FakeAPI) -> None:
    api.on(RESULT, ok("completed"))
    assert client.edit("x", "https://example.com/a.png", timeout=5).status == "completed"


def test_the_deadline_backend_is_installed_on_the_default_transport() -> None:
    """The sync socket clip relies on httpx's internal pool attribute; a httpx upgrade that moves
    it must fail here, not silently lose the wall-time bound."""
    from step1x_edit._deadline_backend import DeadlineBackend
    from step1x_edit._transport import RetryTransport, install_deadline_backend

    transport = httpx.HTTPTransport()
    assert install_deadline_backend(transport) is True
    assert isinstance(transport._pool._network_backend, DeadlineBackend)
    retrying = RetryTransport()
    assert isinstance(retrying._inner._pool._network_backend, DeadlineBackend)  # type: ignore[attr-defined]
