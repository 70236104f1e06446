"""httpx transports that retry (per _retry's policy) and hold every request to the call's deadline.

They wrap any inner transport (``httpx.HTTPTransport`` by default; a MockTransport, an ASGI
transport, or the caller's own httpx client through ``ClientTransport``), so every request of
the client passes through the same policy.

The deadline bounds wall time, not only each read (httpx timeouts are per read: a server that
trickles its body one byte at a time never trips them):

* every attempt's connect/read/write/pool timeouts are clipped to the time left;
* the body is read here chunk by chunk, checking the deadline between chunks (and a size cap);
* sync, default transport: each socket operation's timeout is clipped to the time left at the
  moment it starts (``DeadlineBackend``, an httpcore network backend), so a trickle cannot
  outlast the deadline by more than one millisecond-scale read;
* async: each attempt runs under ``asyncio.timeout`` set to the time left (cancelled from outside).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING

import httpx

from ._constants import MAX_CONNECTIONS, MAX_RESPONSE_BYTES
from ._deadline import current_scope, monotonic
from ._exceptions import ContractViolationError
from ._retry import RetryPolicy, connect_retries, note_attempts, retry_delay, should_retry

__all__ = [
    "AsyncClientTransport",
    "AsyncRetryTransport",
    "ClientTransport",
    "RetryTransport",
    "install_deadline_backend",
]

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("step1x_edit")
_NO_GATE = contextlib.nullcontext()  # a caller's own transport: its pool, its limits


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio  # not at module import: keeps `import step1x_edit` cheap

    await asyncio.sleep(seconds)


_MIN_TIMEOUT = 0.001


def clip(timeout: float | None) -> float | None:
    """``timeout`` limited to the time left before the current call's deadline (at least 1 ms)."""
    remaining = current_scope().remaining()
    if remaining is None:
        return timeout
    left = max(remaining, _MIN_TIMEOUT)
    return left if timeout is None else min(timeout, left)


def default_async_transport() -> httpx.AsyncHTTPTransport:
    """The async client's own connection pool: MAX_CONNECTIONS connections, all kept alive
    (httpx keeps 20: past that, every idle connection is closed and the next request reconnects),
    with the cheap idle-connection check of ``_deadline_backend.install_async``."""
    from ._deadline_backend import install_async

    limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)
    transport = httpx.AsyncHTTPTransport(limits=limits)
    install_async(transport)
    return transport


def install_deadline_backend(transport: httpx.HTTPTransport) -> bool:
    """Make ``transport``'s socket operations deadline-aware (``_deadline_backend``, which imports
    httpcore: loaded when the first client is built, not by ``import step1x_edit``)."""
    from ._deadline_backend import install

    return install(transport)


def _deadline_passed(request: httpx.Request) -> httpx.ReadTimeout:
    return httpx.ReadTimeout("the call's deadline passed while the response was arriving", request=request)


def _too_large(limit: int) -> ContractViolationError:
    return ContractViolationError(f"the response body is larger than {limit} bytes; not read further")


class _Body:
    """A body read chunk by chunk: the size cap and the deadline are checked after each chunk."""

    def __init__(self, request: httpx.Request, limit: int) -> None:
        self.request, self.limit = request, limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.deadline = current_scope().deadline

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise _too_large(self.limit)
        self.chunks.append(chunk)
        if self.deadline is not None and monotonic() >= self.deadline:
            raise _deadline_passed(self.request)

    def buffered(self, response: httpx.Response) -> httpx.Response:
        """``response`` itself, its network stream (already closed) replaced by the bytes read.

        The same object, not a copy: httpx has not touched it yet (it reads the body after the
        transport returns), so it reads these bytes as if they came off the wire.
        """
        response.stream = httpx.ByteStream(self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks))
        return response


def read_body(response: httpx.Response, request: httpx.Request, limit: int = MAX_RESPONSE_BYTES) -> httpx.Response:
    """Read the raw body chunk by chunk (deadline and size checked between chunks); return it buffered."""
    body = _Body(request, limit)
    stream = response.stream
    try:
        for chunk in stream:  # type: ignore[union-attr]
            body.add(chunk)
    finally:
        stream.close()  # type: ignore[union-attr]  # the connection goes back to the pool
    return body.buffered(response)


async def aread_body(
    response: httpx.Response, request: httpx.Request, limit: int = MAX_RESPONSE_BYTES
) -> httpx.Response:
    """The async read_body."""
    body = _Body(request, limit)
    stream = response.stream
    try:
        async for chunk in stream:  # type: ignore[union-attr]
            body.add(chunk)
    finally:
        await stream.aclose()  # type: ignore[union-attr]
    return body.buffered(response)


class ClientTransport(httpx.BaseTransport):
    """Sends through the caller's own httpx.Client (its pool, proxies, TLS), never changing it."""

    def __init__(self, client: httpx.Client, *, merge_headers: bool) -> None:
        self._client = client
        self._merge_headers = merge_headers

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._merge_headers:
            for name, value in self._client.headers.multi_items():
                if name not in request.headers:
                    request.headers[name] = value
        return self._client.send(request, stream=True, follow_redirects=False)

    def close(self) -> None:
        """The caller's client is theirs to close."""


class AsyncClientTransport(httpx.AsyncBaseTransport):
    """Async twin of ClientTransport."""

    def __init__(self, client: httpx.AsyncClient, *, merge_headers: bool) -> None:
        self._client = client
        self._merge_headers = merge_headers

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._merge_headers:
            for name, value in self._client.headers.multi_items():
                if name not in request.headers:
                    request.headers[name] = value
        return await self._client.send(request, stream=True, follow_redirects=False)

    async def aclose(self) -> None:
        """The caller's client is theirs to close."""


# The last response of the current call, kept so a body the generated parser rejects can
# still be shown (set by the client's httpx response hook; read by _api, the adapter that parses it).
last_response: ContextVar[httpx.Response | None] = ContextVar("step1x_edit_last_response", default=None)


def remember_response(response: httpx.Response) -> None:
    """httpx response hook (sync)."""
    last_response.set(response)


async def async_remember_response(response: httpx.Response) -> None:
    """httpx response hook (async)."""
    last_response.set(response)


def _apply_scope(request: httpx.Request) -> float | None:
    """Clip this attempt's timeouts to the call's deadline; return the seconds left (or None)."""
    scope = current_scope()
    timeouts = dict(request.extensions.get("timeout") or {})
    if scope.read_timeout is not None:
        timeouts["read"] = scope.read_timeout
    remaining = scope.remaining()
    if remaining is not None:
        left = max(remaining, _MIN_TIMEOUT)
        for key in ("connect", "read", "write", "pool"):
            current = timeouts.get(key)
            timeouts[key] = left if current is None else min(current, left)
    request.extensions["timeout"] = timeouts
    return remaining


def _decide(
    request: httpx.Request,
    attempt: int,
    policy: RetryPolicy,
    *,
    response: httpx.Response | None = None,
    error: Exception | None = None,
) -> float | None:
    """Seconds to sleep before the next attempt, or None to stop here."""
    connect_limit = connect_retries(policy, request.url.host, error) if error is not None else None
    if attempt >= (policy.max_retries if connect_limit is None else connect_limit):
        return None
    status = response.status_code if response is not None else None
    retry, reason = should_retry(request.method, status=status, error=error)
    if not retry:
        log.debug("not retrying %s %s: %s", request.method, request.url.path, reason)
        return None
    delay = retry_delay(attempt, policy, response.headers if response is not None else None)
    remaining = current_scope().remaining()
    if remaining is not None and delay >= remaining:
        log.debug("not retrying %s %s: %s, but the deadline is near", request.method, request.url.path, reason)
        return None
    log.debug(
        "retrying %s %s in %.2fs (attempt %d of %d): %s",
        request.method,
        request.url.path,
        delay,
        attempt + 2,
        policy.max_retries + 1,
        reason,
    )
    return delay


class _RetryPlan:
    """The retry decisions of one request, without I/O (both transports drive it).

    ``decide(outcome)`` takes an attempt's response or transport error and returns the seconds
    to sleep before the next attempt, or None when this outcome is final: then ``final()``
    returns the response or raises the error (its attempts noted for the message).
    """

    def __init__(self, request: httpx.Request, policy: RetryPolicy) -> None:
        self.request, self.policy = request, policy
        self.attempt, self.started = 0, monotonic()
        self.outcome: httpx.Response | httpx.TransportError | None = None

    def decide(self, outcome: httpx.Response | httpx.TransportError) -> float | None:
        self.outcome = outcome
        if isinstance(outcome, httpx.TransportError):
            delay = _decide(self.request, self.attempt, self.policy, error=outcome)
        elif outcome.status_code < 400:
            delay = None  # an answer below 400 is final (should_retry says so for every one)
        else:
            delay = _decide(self.request, self.attempt, self.policy, response=outcome)
        self.attempt += 1
        return delay

    def discard(self) -> httpx.Response:
        """The retried attempt's response, to close (a transport error left nothing open)."""
        outcome = self.outcome
        return outcome if isinstance(outcome, httpx.Response) else httpx.Response(0)

    def final(self) -> httpx.Response:
        if isinstance(self.outcome, httpx.TransportError):
            note_attempts(self.request, self.attempt, self.started)
            raise self.outcome
        assert self.outcome is not None
        return self.outcome


class RetryTransport(httpx.BaseTransport):
    """Synchronous retrying, deadline-aware transport."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        buffer: bool = True,
    ) -> None:
        if inner is None:
            inner = httpx.HTTPTransport()
            install_deadline_backend(inner)
        self._inner = inner
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._buffer = buffer

    def _try(self, request: httpx.Request) -> httpx.Response | httpx.TransportError:
        _apply_scope(request)
        try:
            response = self._inner.handle_request(request)
            # Read the body here (unless streaming a download), so a connection lost
            # mid-body is retried like any other transport error, and the deadline and
            # size cap are checked between chunks.
            return read_body(response, request) if self._buffer else response
        except httpx.TransportError as exc:
            return exc

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        plan = _RetryPlan(request, self._policy)
        while (delay := plan.decide(self._try(request))) is not None:
            plan.discard().close()
            self._sleep(delay)
        return plan.final()

    def close(self) -> None:
        self._inner.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    """Asynchronous twin of RetryTransport."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = _asyncio_sleep,
        buffer: bool = True,
    ) -> None:
        # Our own pool gets a gate of as many slots as it has connections, so requests queue here
        # (an asyncio.Semaphore) and never inside httpcore's pool.
        self._gate: asyncio.Semaphore | None = None
        if inner is None:
            import asyncio

            inner, self._gate = default_async_transport(), asyncio.Semaphore(MAX_CONNECTIONS)
        self._inner = inner
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._buffer = buffer

    async def _send(self, request: httpx.Request) -> httpx.Response:
        async with self._gate or _NO_GATE:
            response = await self._inner.handle_async_request(request)
            return await aread_body(response, request) if self._buffer else response

    async def _attempt(self, request: httpx.Request, remaining: float | None) -> httpx.Response:
        if remaining is None:
            return await self._send(request)
        import asyncio

        try:
            # Cancelled from outside when the deadline passes, whatever the server trickles
            # (a wait for a free connection included).
            async with asyncio.timeout(max(remaining, _MIN_TIMEOUT)):
                return await self._send(request)
        except TimeoutError:
            raise _deadline_passed(request) from None

    async def _try(self, request: httpx.Request) -> httpx.Response | httpx.TransportError:
        remaining = _apply_scope(request)
        try:
            return await self._attempt(request, remaining)
        except httpx.TransportError as exc:
            return exc

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        plan = _RetryPlan(request, self._policy)
        while (delay := plan.decide(await self._try(request))) is not None:
            await plan.discard().aclose()
            await self._sleep(delay)
        return plan.final()

    async def aclose(self) -> None:
        await self._inner.aclose()
