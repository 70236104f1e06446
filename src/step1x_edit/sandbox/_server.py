"""Serving the sandbox on a real loopback socket: uvicorn in a thread behind a tiny TCP proxy.

The proxy exists for the connection-drop faults: an ASGI app cannot close its socket without
answering, so the app tells the proxy (through ``Sandbox.drop_hook``) to cut the client's
connection before the response, after its headers, or halfway through its body. Both run on
the same event loop in one background thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from ._app import Sandbox, create_app
from ._config import SandboxConfig


@dataclass
class _Conn:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    mode: str | None = None


class _Proxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._conns: dict[int, _Conn] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def instruct(self, client: tuple[str, int] | None, mode: str) -> bool:
        """Called by the app (same loop) before it sends a response on this connection."""
        conn = self._conns.get(client[1]) if client else None
        if conn is None:
            return False
        conn.mode = mode
        if mode == "drop_before":
            self._abort(conn)
        return True

    @staticmethod
    def _abort(conn: _Conn) -> None:
        with contextlib.suppress(Exception):
            sock = conn.client.get_extra_info("socket")
            if sock is not None:  # RST instead of FIN, like a crashed gateway
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.client.transport.abort()
        conn.upstream.transport.abort()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        port = int(up_writer.get_extra_info("sockname")[1])
        conn = _Conn(writer, up_writer)
        self._conns[port] = conn
        tasks = [
            asyncio.create_task(self._to_upstream(reader, conn)),
            asyncio.create_task(self._to_client(up_reader, conn)),
        ]
        self._tasks.update(tasks)
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
                self._tasks.discard(task)
            self._conns.pop(port, None)
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    w.close()

    async def _to_upstream(self, reader: asyncio.StreamReader, conn: _Conn) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                conn.upstream.write(data)
                await conn.upstream.drain()

    async def _to_client(self, reader: asyncio.StreamReader, conn: _Conn) -> None:
        buffer = b""
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if conn.mode is None:
                    conn.client.write(data)
                    await conn.client.drain()
                    continue
                if conn.mode == "drop_before":
                    return
                buffer += data
                head_end = buffer.find(b"\r\n\r\n")
                if head_end < 0:
                    continue
                head = buffer[: head_end + 4]
                if conn.mode == "drop_after_headers":
                    cut = len(head)
                else:
                    length = 0
                    for line in head.split(b"\r\n"):
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                    cut = len(head) + length // 2
                    if len(buffer) < cut:
                        continue
                conn.client.write(buffer[:cut])
                await conn.client.drain()
                self._abort(conn)
                return

    def close(self) -> None:
        for conn in list(self._conns.values()):
            self._abort(conn)
        for task in list(self._tasks):
            task.cancel()


@dataclass
class SandboxServer:
    """A running sandbox (from :func:`serve`)."""

    base_url: str
    host: str
    port: int
    app: Starlette

    @property
    def sandbox(self) -> Sandbox:
        sandbox: Sandbox = self.app.state.sandbox
        return sandbox

    @property
    def api_key(self) -> str:
        return self.sandbox.config.api_key


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _listening_socket(family: socket.AddressFamily) -> socket.socket:
    """The socket uvicorn serves on. Its proto must say TCP: asyncio sets TCP_NODELAY only on
    sockets whose proto is IPPROTO_TCP, and accepted sockets inherit the listener's. With proto 0
    uvicorn's separate head and body writes met Nagle and delayed ACKs: 40 ms per response."""
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


@contextlib.contextmanager
def serve(
    config: SandboxConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    app: Starlette | None = None,
    proxy: bool = True,
    log_level: str = "warning",
    access_log: bool = False,
    startup_timeout: float = 10.0,
) -> Iterator[SandboxServer]:
    """Run the sandbox on ``host:port`` (default: a free 127.0.0.1 port) for the ``with`` block.

    uvicorn runs in a daemon thread; leaving the block stops it (bounded: in-flight requests get
    2 s). ``proxy=False`` serves uvicorn directly (connection-drop faults are then approximated).
    """
    import uvicorn

    app = app or create_app(config)
    sandbox: Sandbox = app.state.sandbox
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        upstream = _listening_socket(socket.AF_INET6 if ":" in host and not proxy else socket.AF_INET)
        proxy_server: asyncio.Server | None = None
        relay: _Proxy | None = None
        try:
            upstream.bind(("127.0.0.1", 0) if proxy else (host, port))
            upstream.listen(128)
            uv_config = uvicorn.Config(
                app, lifespan="off", log_config=None, log_level=log_level, access_log=access_log,
                timeout_graceful_shutdown=2, ws="none",
            )  # fmt: skip
            server = uvicorn.Server(uv_config)
            state["server"] = server
            actual = upstream.getsockname()[1]
            if proxy:
                relay = _Proxy(actual)
                proxy_server = await asyncio.start_server(relay.handle, host, port)
                actual = proxy_server.sockets[0].getsockname()[1]
                sandbox.drop_hook = relay.instruct
            state["port"] = actual
            serving = asyncio.create_task(server.serve(sockets=[upstream]))
            while not server.started and not serving.done():
                await asyncio.sleep(0.005)
            if serving.done():
                serving.result()
                raise RuntimeError("uvicorn stopped during startup")
            state["loop"] = asyncio.get_running_loop()
            ready.set()
            await serving
        except BaseException as exc:
            state["error"] = exc
            raise
        finally:
            sandbox.drop_hook = None
            if relay is not None:
                relay.close()
            for task in list(sandbox._background):
                task.cancel()
            if proxy_server is not None:
                proxy_server.close()
            upstream.close()
            ready.set()

    def run() -> None:
        with contextlib.suppress(BaseException):
            asyncio.run(main())

    thread = threading.Thread(target=run, name="step1x-edit-sandbox", daemon=True)
    thread.start()
    if not ready.wait(startup_timeout) or "error" in state:
        stop = state.get("server")
        if stop is not None:
            stop.should_exit = True
        thread.join(5)
        error = state.get("error")
        raise RuntimeError(f"the sandbox did not start on {host}:{port}: {error!r}") from error
    running = SandboxServer(
        base_url=f"http://{_url_host(host)}:{state['port']}", host=host, port=state["port"], app=app
    )
    try:
        yield running
    finally:
        state["server"].should_exit = True
        thread.join(10)
