"""Retry policy as small pure functions (the call's deadline lives in _deadline).

What is retried, and why:

* A GET (result poll, download) is safe to repeat: retried on 408, 429, 5xx and on any
  transport error, with capped exponential backoff and jitter, honouring ``Retry-After``.
* A POST creates a billed task (submit) or stores a file (upload) and the API has no
  idempotency key, so it is resent only when it provably never reached the server (the
  connection could not be opened: ``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``), or
  when the server turned it away with 429. Never after a read timeout, a reset after sending,
  or a 5xx: the task may exist.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass

import httpx

from ._constants import (
    DEFAULT_MAX_RETRIES,
    ENV_BASE_URL,
    INITIAL_RETRY_DELAY,
    MAX_CONNECT_RETRIES,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
)
from ._deadline import monotonic

__all__ = [
    "NEVER_SENT",
    "UNSENDABLE",
    "RetryPolicy",
    "connect_retries",
    "describe_attempts",
    "is_loopback",
    "parse_retry_after",
    "retry_delay",
    "should_retry",
]

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Failures that happen before any byte of the request is sent.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Requests that cannot be sent as they are (a header value h11 refuses, an unsupported scheme):
# nothing reached the server, and trying again would fail the same way.
UNSENDABLE = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times and how long to wait; see the module docstring for what is retried."""

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    max_retry_after: float = MAX_RETRY_AFTER
    max_connect_retries: int = MAX_CONNECT_RETRIES
    """Retries when the connection could not be opened (never more than ``max_retries``)."""


# Set by the batch engine around its submits: a 429 is then handed straight back to it (it honours
# Retry-After for all its submits and lowers its concurrency) instead of being retried here.
rate_limits_to_caller: ContextVar[bool] = ContextVar("step1x_edit_rate_limits_to_caller", default=False)


def should_retry(method: str, *, status: int | None = None, error: Exception | None = None) -> tuple[bool, str]:
    """Decide whether one failed attempt may be repeated; return the decision and its reason."""
    safe = method.upper() in _SAFE_METHODS
    if error is not None:
        if isinstance(error, UNSENDABLE):
            return False, f"{type(error).__name__}: the request cannot be sent as it is; not retried"
        if isinstance(error, NEVER_SENT):
            return True, f"{type(error).__name__}: the request was never sent"
        if safe and isinstance(error, httpx.TransportError):
            return True, f"{type(error).__name__} on a safe {method} request"
        return False, f"{type(error).__name__} after the {method} may have reached the server; not resent"
    if status == 429:
        if rate_limits_to_caller.get():
            return False, "429: handed back to the caller, which paces its own requests"
        return True, "429: the server turned the request away; it did not run"
    if safe and status in RETRYABLE_STATUSES:
        return True, f"{status} on a safe {method} request"
    if status is not None and status >= 500:
        return False, f"{status} on {method}: it may have been processed; not resent"
    return False, f"status {status} is final"


def _refused(error: BaseException) -> bool:
    seen: BaseException | None = error
    for _ in range(8):  # httpx -> httpcore -> OSError
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "refused" in str(error).lower()


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (IPv6 with or without brackets)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def connect_retries(policy: RetryPolicy, host: str, error: BaseException) -> int | None:
    """How many retries a connection that could not be opened gets; None for other errors.

    A wrong base URL should fail fast and clearly, so connect failures get a short budget
    (``max_connect_retries``, 2 by default: about 1 s of backoff) instead of ``max_retries``,
    and a refused connection to a loopback address gets none: nothing listens on that port.
    """
    if not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return None
    if isinstance(error, httpx.ConnectError) and is_loopback(host) and _refused(error):
        return 0
    return min(policy.max_retries, policy.max_connect_retries)


ATTEMPTS_EXTENSION = "step1x_edit.attempts"


def note_attempts(request: httpx.Request, attempts: int, started: float) -> None:
    """Record on the request how many attempts were made, and since when (read by describe_attempts)."""
    request.extensions[ATTEMPTS_EXTENSION] = (attempts, monotonic() - started)


def describe_attempts(error: httpx.TransportError) -> str:
    """Where a failed request went, how often and for how long, and for connect failures what to check."""
    try:
        request = error.request
    except RuntimeError:  # raised outside an httpx client: nothing to add
        return ""
    attempts, elapsed = request.extensions.get(ATTEMPTS_EXTENSION, (1, 0.0))
    url = request.url.copy_with(query=None)  # the query may carry a webhook URL: keep it out
    plural = "attempt" if attempts == 1 else "attempts"
    text = f" ({request.method} {url}: {attempts} {plural} over {elapsed:.1f} s)"
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        text += f"; is the server up and the base URL right? (base_url= or {ENV_BASE_URL})"
    return text


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        import email.utils  # only needed for the rare HTTP-date form; keeps import time down

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def retry_delay(
    attempt: int,
    policy: RetryPolicy,
    headers: Mapping[str, str] | None = None,
    *,
    rand: float | None = None,
) -> float:
    """Delay before retry number ``attempt + 1`` (attempt counts from 0).

    A server-directed ``Retry-After`` wins, clipped to ``max_retry_after``. Otherwise capped
    exponential backoff with up to 25 % downward jitter (so many clients don't retry in step).
    """
    server = parse_retry_after(headers.get("retry-after")) if headers is not None else None
    if server is not None:
        return min(server, policy.max_retry_after)
    base = min(policy.initial_delay * 2.0 ** min(attempt, 30), policy.max_delay)
    jitter = random.random() if rand is None else rand
    return base * (1.0 - 0.25 * jitter)
