"""When to poll: start fast, back off gently, and poll right where jobs usually finish.

The base schedule puts poll k+1 at ``factor * t_k + step`` seconds after submit (at most
``max_interval`` after the previous one), from ``first``. With the defaults (0.3, 1.25, 0.05,
6 s) a job done 1 s after submit is seen at 1.02 s, a 30 s job costs 20 polls, and a job is
never seen later than 50 ms + 25 % of its duration after it finished.

Learning: the client brackets its jobs' duration (still running at the latest ``lo``, done by
the earliest ``hi``, narrowed job after job like a bisection) and rescales the schedule, by a
factor between 0.8 and 1, so one poll lands just after the middle of the bracket, with one
follow-up poll 5 % later in case the job was slower. A job of the usual length is then seen
within tens of milliseconds of finishing, with the same number of polls (one more on a miss).
"""

from __future__ import annotations

from collections import deque
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
    spread: float = 0.05
    """The follow-up poll comes this fraction after the anchored one."""

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
    if expected is None or not policy.learn or expected <= 0:
        yield from _base(policy, 1.0)
        return
    target = expected + policy.settle
    first_after = next(t for t in _base(policy, 1.0) if t >= target)
    for t in _base(policy, target / first_after):
        yield t
        if abs(t - target) < 1e-9:
            yield target * (1 + policy.spread)


class DurationEstimate:
    """Typical job duration for one client, from the brackets of its last jobs.

    Each finished job gives a bracket in *send* times (seconds after the call started): the poll
    sent at ``lo`` still found it running, the one sent at ``hi`` found it done. Send times, not
    answer times: the server looks when the poll arrives, and answer times put ``lo`` a round
    trip late (past the finish, under load). The estimate is the middle of the intersection of
    the last brackets that agree. Brackets that do not overlap disagree: the one at odds with the
    most others is left out (the oldest on a tie), so one outlier job changes nothing and a new
    duration wins once it is half the window (two jobs).
    """

    __slots__ = ("_seen", "_value")

    WINDOW = 4

    def __init__(self) -> None:
        self._seen: deque[tuple[float, float]] = deque(maxlen=self.WINDOW)
        self._value: float | None = None

    @property
    def value(self) -> float | None:
        return self._value

    def observe(self, last_pending: float | None, finished_seen: float) -> None:
        """A job was still running at a poll sent ``last_pending`` s after the start and done at
        one sent ``finished_seen`` s after it (``None``: done at the first look)."""
        low = 0.0 if last_pending is None else min(last_pending, finished_seen)
        self._seen.append((low, finished_seen))
        agree = list(self._seen)
        while len(agree) > 1:
            odds = [
                sum(1 for j, (lo2, hi2) in enumerate(agree) if j != i and (lo >= hi2 or lo2 >= hi))
                for i, (lo, hi) in enumerate(agree)
            ]
            if max(odds) == 0:
                break
            del agree[odds.index(max(odds))]
        self._value = (max(lo for lo, _ in agree) + min(hi for _, hi in agree)) / 2
