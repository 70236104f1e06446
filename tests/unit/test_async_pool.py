"""The async client's own connection pool (issue 12: cost per edit flat as work grows).

httpcore's pool re-examines every queued request against every connection whenever a request
starts or ends, and closes idle connections past its keep-alive count: at 256 edits in flight
that was 92 s of client CPU for 1,000 edits. The default async transport therefore keeps
MAX_CONNECTIONS connections alive and lets at most that many requests into the pool at once;
the rest wait on a semaphore in the client. Idle connections are checked through their socket
directly instead of through anyio (26 us per idle connection per request).
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from step1x_edit._constants import MAX_CONNECTIONS
from step1x_edit._deadline_backend import ReadableBackend, _ReadableStream
from step1x_edit._transport import AsyncRetryTransport

_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def test_requests_past_the_pool_size_wait_in_the_client_not_in_httpcore() -> None:
    async def main() -> tuple[int, int, int, list[int]]:
        release = asyncio.Event()
        arrived: list[int] = []
        connections: list[int] = []
        handlers: list[int] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections.append(1)
            try:
                while await reader.readuntil(b"\r\n\r\n"):
                    arrived.append(1)
                    await release.wait()
                    writer.write(_OK)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass  # the client closed the connection
            finally:
                writer.close()
                handlers.append(1)

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        transport = AsyncRetryTransport()
        async with server, httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{port}") as client:
            tasks = [asyncio.create_task(client.get("/x")) for _ in range(MAX_CONNECTIONS + 8)]
            for _ in range(500):
                if len(arrived) >= MAX_CONNECTIONS:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)  # anything that would queue in httpcore has done so by now
            in_pool = len(transport._inner._pool._requests)  # type: ignore[attr-defined]
            held = len(arrived)
            release.set()
            statuses = [r.status_code for r in await asyncio.gather(*tasks)]
            # a second wave reuses the kept-alive connections (httpx alone keeps 20)
            statuses += [
                r.status_code for r in await asyncio.gather(*(client.get("/x") for _ in range(MAX_CONNECTIONS)))
            ]
        for _ in range(500):  # the client closed its connections: let every handler finish
            if len(handlers) == len(connections):
                break
            await asyncio.sleep(0.01)
        return in_pool, held, len(connections), statuses

    in_pool, held, connections, statuses = asyncio.run(main())
    assert held == MAX_CONNECTIONS
    assert in_pool == MAX_CONNECTIONS  # without the gate: MAX_CONNECTIONS + 8, the rest queued inside
    assert statuses == [200] * (2 * MAX_CONNECTIONS + 8)
    assert connections == MAX_CONNECTIONS, connections


def test_the_default_async_pool_has_the_cheap_idle_check() -> None:
    transport = AsyncRetryTransport()
    assert isinstance(transport._inner._pool._network_backend, ReadableBackend)  # type: ignore[attr-defined]


def test_a_caller_transport_is_left_as_it_is() -> None:
    inner = httpx.AsyncHTTPTransport()
    transport = AsyncRetryTransport(inner)
    assert transport._inner is inner
    assert transport._gate is None
    assert not isinstance(inner._pool._network_backend, ReadableBackend)


class _Stream:
    """The part of an httpcore stream _ReadableStream uses."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, info: str) -> object:
        return self.sock if info == "socket" else "inner"


def test_an_idle_connection_closed_by_the_server_reads_as_readable() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        stream = _ReadableStream(_Stream(ours))  # type: ignore[arg-type]
        assert stream.get_extra_info("is_readable") is False  # open and quiet: reusable
        theirs.close()
        assert stream.get_extra_info("is_readable") is True  # the pool must drop it
        assert stream.get_extra_info("other") == "inner"


def test_threads_downloading_at_once_share_one_download_client(monkeypatch: pytest.MonkeyPatch) -> None:
    # Step1XEdit.batch calls download() from a thread per item; the download client is made on
    # first use, and two threads racing through that must not each build (and leak) one.
    import threading
    import time

    from step1x_edit import Step1XEdit, _sync_client

    built: list[object] = []
    real = httpx.Client

    class SlowClient(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            time.sleep(0.02)  # widen the window two unlocked threads would both pass through
            built.append(self)
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    client = Step1XEdit(
        api_key="test-key-0123456789abcdef",
        base_url="https://api.test",
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
    )
    monkeypatch.setattr(_sync_client.httpx, "Client", SlowClient)
    start = threading.Barrier(8)
    got: list[object] = []

    def first_use() -> None:
        start.wait()
        got.append(client._download_client())

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert len(built) == 1
    assert all(c is got[0] for c in got)
