"""When to poll: start fast, back off gently, and poll right where jobs usually finish.

The base schedule puts poll k+1 at ``factor * t_k + step`` seconds after submit (at most
``max_interval`` after the previous one), from ``first``. With the defaults (0.3, 1.25, 0.05,
6 s) a job done 1 s after submit is seen at 1.02 s, a 30 s job costs 20 polls, and a job is
never seen later than 50 ms + 25 % of its duration after it finished.

Learning: the client brackets its jobs' duration (``DurationEstimate``: the last jobs, each
between the poll sent when it was last seen running and the one sent when it was seen done) and
anchors the schedule so one poll lands just after the usual finish, with one follow-up 5 %
later in case this job is slower. The anchor costs no poll more than the base schedule where it
can (the schedule starts a little later, as long as the bound still holds for jobs a quarter of
the usual length: a learnt 30 s job stays within 20 polls, follow-up included); otherwise the
base schedule is scaled down by 0.8-1 to land on it. A job of the usual length is then seen
within tens of milliseconds of finishing.
"""

from __future__ import annotations

import functools
import itertools
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


def _base(policy: PollPolicy, scale: float, first: float | None = None) -> Iterator[float]:
    t = (policy.first if first is None else first) * scale
    while True:
        yield t
        t = min(t * policy.factor + policy.step * scale, t + policy.max_interval * scale)


def _nth(policy: PollPolicy, first: float, n: int) -> float:
    return next(itertools.islice(_base(policy, 1.0, first), n, None))


SHORTER = 4
"""A learned schedule keeps the base schedule's bound (50 ms + 25 %) for every job at least
1/SHORTER of the usual duration, however much shorter than usual it runs."""


@functools.lru_cache(maxsize=64)
def _anchored(policy: PollPolicy, target: float) -> tuple[tuple[float, ...], float, float]:
    """(polls up to and including the anchor at ``target``, then the start and scale of the rest).

    Preferred: the base schedule started a little later, so the poll *before* the one that would
    first reach ``target`` lands on it; the follow-up then costs no poll more than the base
    schedule (a 30 s job stays within 20 polls). Later starts weaken the bound for very short
    jobs, so this is taken only while it holds for jobs of ``target / SHORTER``; otherwise the
    base schedule is scaled down (by 0.8-1) to land on ``target``, one poll more on a miss.
    """
    before = list(itertools.takewhile(lambda t: t < target, _base(policy, 1.0)))
    if before:
        lo, hi = policy.first, target
        for _ in range(48):  # bisection: the start whose poll number len(before) is target
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if _nth(policy, mid, len(before) - 1) < target else (lo, mid)
        if hi <= policy.factor * target / SHORTER + policy.step:
            head = [*itertools.islice(_base(policy, 1.0, hi), len(before) - 1), target]
            return tuple(head), target, 1.0
    first_after = next(t for t in _base(policy, 1.0) if t >= target)
    scale = target / first_after
    head = [*itertools.takewhile(lambda t: t < target - 1e-9, _base(policy, scale)), target]
    return tuple(head), target, scale


def poll_times(policy: PollPolicy, expected: float | None = None) -> Iterator[float]:
    """Endless poll times in seconds after submit, anchored on ``expected`` when given."""
    if expected is None or not policy.learn or expected <= 0:
        yield from _base(policy, 1.0)
        return
    head, anchor, scale = _anchored(policy, expected + policy.settle)
    yield from head
    yield anchor * (1 + policy.spread)  # the follow-up, in case this job runs a little longer
    rest = _base(policy, scale, anchor / scale)
    next(rest)  # the anchor itself
    yield from rest


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
