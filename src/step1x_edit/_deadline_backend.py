"""httpcore network backends. Sync: the deadline's hold on a socket, every read, write, connect
and TLS handshake clipped to the time left before the current call's deadline. Async: a cheap
answer to the pool's "is this idle connection still open?" (asked of every idle connection on
every request; through anyio it cost 26 us each, a third of the client's CPU at 16 in flight).

Kept apart from ``_transport`` because it imports httpcore, which ``import step1x_edit`` must not
pay for (ARCHITECTURE: the import stays within 1.1x of ``import httpx``); ``_transport`` loads it
when the first client builds its transport.
"""

from __future__ import annotations

import ssl
import typing
from collections.abc import Iterable

import httpcore
import httpx
from httpcore._utils import is_socket_readable

from ._transport import clip

__all__ = ["DeadlineBackend", "install", "install_async"]


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, clip(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, clip(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, clip(timeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """An httpcore network backend whose every socket operation is clipped to the call's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner if inner is not None else httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(host, port, clip(timeout), local_address, socket_options))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, clip(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _wrap_backend(
    transport: object,
    pool_type: type[httpcore.ConnectionPool | httpcore.AsyncConnectionPool],
    backend_type: type[httpcore.NetworkBackend | httpcore.AsyncNetworkBackend],
    wrapper: type[DeadlineBackend | ReadableBackend],
) -> bool:
    """Wrap the network backend of ``transport``'s pool in ``wrapper`` (once); False if httpx's
    internals changed (the transport then works as httpx built it).

    httpx does not expose httpcore's ``network_backend``; the pool it builds keeps it in
    ``_network_backend``. tests/security checks this returns True with the pinned httpx.
    """
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(pool, pool_type) or not isinstance(backend, backend_type):
        return False
    if not isinstance(backend, wrapper):
        pool._network_backend = wrapper(backend)  # type: ignore[arg-type]
    return True


def install(transport: httpx.HTTPTransport) -> bool:
    """Make ``transport``'s socket operations deadline-aware; False if httpx's internals changed."""
    return _wrap_backend(transport, httpcore.ConnectionPool, httpcore.NetworkBackend, DeadlineBackend)


class _ReadableStream(httpcore.AsyncNetworkStream):
    """An async stream that answers ``is_readable`` from its socket directly."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._sock = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _ReadableStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable" and self._sock is not None:
            return is_socket_readable(self._sock)
        return self._inner.get_extra_info(info)


class ReadableBackend(httpcore.AsyncNetworkBackend):
    """Wraps the async backend httpx picked; its streams are ``_ReadableStream``."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _ReadableStream(await self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _ReadableStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def install_async(transport: httpx.AsyncHTTPTransport) -> bool:
    """Give ``transport``'s pool the cheap readable check; False if httpx's internals changed."""
    return _wrap_backend(transport, httpcore.AsyncConnectionPool, httpcore.AsyncNetworkBackend, ReadableBackend)
