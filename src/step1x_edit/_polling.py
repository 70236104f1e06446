"""When to poll: start fast, back off gently, and poll right where jobs usually finish.

The base schedule puts poll k+1 at ``factor * t_k + step`` seconds after submit (at most
``max_interval`` after the previous one), from ``first``. With the defaults (0.3, 1.25, 0.05,
6 s) a job done 1 s after submit is seen at 1.02 s, a 30 s job costs 20 polls, and a job is
never seen later than 50 ms + 25 % of its duration after it finished.

Learning: the client remembers how long its jobs took (an estimate refined by bisection
between the last two polls of each job) and rescales the schedule, by a factor between 0.8 and
1, so that one poll lands just after the expected finish. Same number of polls, same worst
case, but a typical job is seen within ``settle`` (20 ms) of finishing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ._constants import POLL_FACTOR, POLL_FIRST, POLL_MAX_INTERVAL, POLL_STEP

__all__ = ["DurationEstimate", "PollPolicy", "poll_times"]


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """Polling schedule knobs (seconds after submit)."""

    first: float = POLL_FIRST
    factor: float = POLL_FACTOR
    step: float = POLL_STEP
    max_interval: float = POLL_MAX_INTERVAL
    learn: bool = True
    """Rescale the schedule so a poll lands just after the typical job duration seen so far."""
    settle: float = 0.02
    """How long after the expected finish the anchored poll comes."""

    def __post_init__(self) -> None:
        if not (self.first > 0 and self.factor >= 1 and self.step >= 0 and self.max_interval > 0):
            raise ValueError(f"invalid PollPolicy {self}: need first > 0, factor >= 1, step >= 0, max_interval > 0")
        if self.factor == 1 and self.step == 0:
            raise ValueError("PollPolicy with factor 1 and step 0 would never advance")


def _base(policy: PollPolicy, scale: float) -> Iterator[float]:
    t = policy.first * scale
    while True:
        yield t
        t = min(t * policy.factor + policy.step * scale, t + policy.max_interval * scale)


def poll_times(policy: PollPolicy, expected: float | None = None) -> Iterator[float]:
    """Endless poll times in seconds after submit, anchored on ``expected`` when given."""
    scale = 1.0
    if expected is not None and policy.learn and expected > 0:
        target = expected + policy.settle
        first_after = next(t for t in _base(policy, 1.0) if t >= target)
        scale = target / first_after
    return _base(policy, scale)


class DurationEstimate:
    """Typical job duration for one client, learned from the polls that saw jobs finish."""

    __slots__ = ("_value",)

    def __init__(self) -> None:
        self._value: float | None = None

    @property
    def value(self) -> float | None:
        return self._value

    def observe(self, last_pending: float | None, finished_seen: float) -> None:
        """A job was still running at ``last_pending`` s and done by ``finished_seen`` s."""
        low = 0.0 if last_pending is None else last_pending
        sample = (low + finished_seen) / 2
        self._value = sample if self._value is None else 0.5 * self._value + 0.5 * sample
