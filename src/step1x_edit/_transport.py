"""httpx transports that retry (per _retry's policy) and clip timeouts to the call's deadline.

They wrap any inner transport (``httpx.HTTPTransport`` by default; a MockTransport or an ASGI
transport in tests), so every request of the client passes through the same policy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import httpx

from ._retry import RetryPolicy, connect_retries, current_scope, monotonic, note_attempts, retry_delay, should_retry

__all__ = ["AsyncRetryTransport", "RetryTransport"]

log = logging.getLogger("step1x_edit")


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio  # not at module import: keeps `import step1x_edit` cheap

    await asyncio.sleep(seconds)


_MIN_TIMEOUT = 0.001


def _apply_scope(request: httpx.Request) -> float | None:
    """Clip this attempt's timeouts to the call's deadline; return the seconds left (or None)."""
    scope = current_scope.get()
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
    remaining = current_scope.get().remaining()
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


class RetryTransport(httpx.BaseTransport):
    """Synchronous retrying, deadline-aware transport."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._inner = inner if inner is not None else httpx.HTTPTransport()
        self._policy = policy or RetryPolicy()
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt, started = 0, monotonic()
        while True:
            _apply_scope(request)
            try:
                response = self._inner.handle_request(request)
                # Read the body here, so a connection lost mid-body is retried like any other
                # transport error (bodies of this API are small JSON or one image).
                response.read()
            except httpx.TransportError as exc:
                delay = _decide(request, attempt, self._policy, error=exc)
                if delay is None:
                    note_attempts(request, attempt + 1, started)
                    raise
            else:
                delay = _decide(request, attempt, self._policy, response=response)
                if delay is None:
                    return response
                response.close()
            self._sleep(delay)
            attempt += 1

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
    ) -> None:
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()
        self._policy = policy or RetryPolicy()
        self._sleep = sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt, started = 0, monotonic()
        while True:
            _apply_scope(request)
            try:
                response = await self._inner.handle_async_request(request)
                await response.aread()
            except httpx.TransportError as exc:
                delay = _decide(request, attempt, self._policy, error=exc)
                if delay is None:
                    note_attempts(request, attempt + 1, started)
                    raise
            else:
                delay = _decide(request, attempt, self._policy, response=response)
                if delay is None:
                    return response
                await response.aclose()
            await self._sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        await self._inner.aclose()
