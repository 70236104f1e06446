"""The clock and the call's deadline: made, kept and read here only.

A client call (edit, submit, wait, get, upload, download) starts one ``Deadline`` from its
``timeout=`` (the overall budget of the call); ``Deadline.scope()`` publishes it, for the
requests made inside, in a ContextVar that the transport reads (``current_scope()``) to clip
every request's timeouts and to stop retrying once it has passed. Tests replace ``_clock``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final

from ._constants import DEFAULT_WAIT_TIMEOUT, MIN_SUBMIT_BUDGET
from ._exceptions import DeadlineExceededError, InvalidParameterError

__all__ = ["DEFAULT", "CallScope", "Deadline", "Timeout", "current_scope", "monotonic", "seconds"]

# The one clock for deadlines, polling and retries; tests replace it with a fake.
_clock: Callable[[], float] = time.monotonic


def monotonic() -> float:
    return _clock()


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Final = _Default()
"""Use the client's default (e.g. ``timeout=DEFAULT`` means 600 s for every call)."""

Timeout = float | _Default | None


def seconds(field: str, value: object, *, allow_none: bool = True) -> float | None:
    """A positive, finite number of seconds (or None when allowed), else InvalidParameterError."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or not value > 0:
        raise InvalidParameterError(
            field, value, "a positive, finite number of seconds" + (", or None for no limit" if allow_none else "")
        )
    return float(value)


@dataclass(frozen=True, slots=True)
class CallScope:
    """Limits for every request made during one client call (read by the transport)."""

    deadline: float | None = None
    """monotonic() value after which nothing more may be sent or waited for."""
    read_timeout: float | None = None
    """Overrides the client's read timeout (sync mode holds the submit open for long)."""

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - monotonic()


_current: ContextVar[CallScope] = ContextVar("step1x_edit_call_scope", default=CallScope())  # noqa: B039 (frozen)


def current_scope() -> CallScope:
    """The limits of the call the current request belongs to (no limit outside a call)."""
    return _current.get()


@dataclass(frozen=True, slots=True)
class Deadline:
    """One call's overall deadline: when it started and when it ends (``at``; None = no limit)."""

    at: float | None
    started: float

    @classmethod
    def start(cls, timeout: Timeout, *, submitting: bool = False) -> Deadline:
        """The deadline of a call given ``timeout=`` (DEFAULT: 600 s; None: no limit).

        ``submitting``: the call sends a submit, which needs more than MIN_SUBMIT_BUDGET.
        """
        if isinstance(timeout, _Default):
            timeout = DEFAULT_WAIT_TIMEOUT
        if type(timeout) is float and 0.0 < timeout < math.inf:
            limit: float | None = timeout  # the common case, checked without the call
        else:
            limit = seconds("timeout", timeout)
        if limit is not None and submitting and limit <= MIN_SUBMIT_BUDGET:
            raise InvalidParameterError(
                "timeout",
                timeout,
                f"more than {MIN_SUBMIT_BUDGET:g} s: a submit is sent only with at least "
                f"{MIN_SUBMIT_BUDGET:g} s left to hear its answer",
            )
        now = monotonic()
        return cls(None if limit is None else now + limit, now)

    def expired(self) -> bool:
        return self.at is not None and monotonic() >= self.at

    def left(self) -> float | None:
        """Seconds left (at least 1 ms, so a last request can still be tried), or None."""
        return None if self.at is None else max(self.at - monotonic(), 0.001)

    def elapsed(self) -> float:
        return monotonic() - self.started

    def require_submit_budget(self) -> None:
        """Never submit without budget: raise (nothing sent) if too little time is left to hear the answer."""
        if self.at is None:
            return
        left = self.at - monotonic()
        if left < MIN_SUBMIT_BUDGET:
            raise DeadlineExceededError(
                f"only {max(left, 0.0):.3f} s of the timeout were left before submitting, less than the "
                f"{MIN_SUBMIT_BUDGET:g} s minimum needed to hear the answer: nothing was submitted "
                "(no task exists; nothing was billed)",
                prediction_id=None,
                task_may_exist=False,
            )

    def scope(self, read_timeout: float | None = None) -> _Scope:
        """Make this deadline (and a read-timeout override) the one the transport clips to
        (a context manager: ``with deadline.scope(): ...``)."""
        return _Scope(CallScope(self.at, read_timeout))


class _Scope:
    """``Deadline.scope()``: publishes a CallScope for the requests made inside the ``with``.

    A plain class, not @contextmanager: it runs on every request (the generator-based one cost
    a few microseconds each time).
    """

    __slots__ = ("_scope", "_token")

    def __init__(self, scope: CallScope) -> None:
        self._scope = scope

    def __enter__(self) -> None:
        self._token = _current.set(self._scope)

    def __exit__(self, *exc_info: object) -> None:
        _current.reset(self._token)
