"""How fast a batch goes: items in flight (``Limiter``, AIMD on 429), submits per second
(``Pacer``: a caller's rate, Retry-After, and AIMD on the rate under the server's ceiling), and
when to look at a fresh submit (``Duration``). No I/O; the engine is ``_batch``."""

from __future__ import annotations

import asyncio
import collections
import statistics

from ._deadline import monotonic

__all__ = ["Duration", "Limiter", "Pacer"]


class Limiter:
    """AIMD concurrency: at most ``int(limit)`` items in flight; halve on 429, +1/limit per success."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self.limit = float(maximum)
        self.active = 0
        self.last_cut = -1.0
        self._changed = asyncio.Event()

    async def acquire(self) -> None:
        while self.active >= max(1, int(self.limit)):
            self._changed.clear()
            await self._changed.wait()
        self.active += 1

    def release(self) -> None:
        self.active -= 1
        self._changed.set()

    def decrease(self, sent_at: float, floor: float = 1.0) -> None:
        """Halve the limit, but not below ``floor`` (the items in flight the submit pace needs)."""
        if sent_at >= self.last_cut:  # one cut per round: 429s of requests sent before it don't count again
            self.limit = min(self.limit, max(1.0, self.limit / 2, floor))
            self.last_cut = monotonic()

    def increase(self) -> None:
        self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)
        self._changed.set()


class Pacer:
    """Submit pacing: at most ``rate`` submits per second, none before a Retry-After has passed.

    After a 429 the pace adapts too (AIMD on the rate, next to the concurrency's): the submits
    accepted over the last second are what the server allows (the ceiling), and the pace drops
    to 98 % of it. It then rises by 0.01/s per accepted submit, up to 99 % of the ceiling, and
    the ceiling itself creeps up by 1 % per 1,000 accepted submits, so a limit that was raised is
    found again without a 429 every few seconds. Never above the ``rate`` the caller gave.
    """

    def __init__(self, rate: float | None) -> None:
        self.cap = rate
        self.rate = rate
        self.ceiling: float | None = None
        self.next = 0.0
        self.hold_until = 0.0
        self._accepted: collections.deque[float] = collections.deque()

    async def wait(self) -> None:
        while True:
            now = monotonic()
            start = max(self.next, self.hold_until)
            if now >= start:
                self.next = max(now, self.next) + (1.0 / self.rate if self.rate else 0.0)
                return
            await asyncio.sleep(start - now)

    def accepted(self) -> None:
        now = monotonic()
        self._accepted.append(now)
        while self._accepted and self._accepted[0] < now - 1.0:
            self._accepted.popleft()
        if self.ceiling is not None and self.rate is not None:  # lowered by a 429: climb back
            self.ceiling *= 1.00001
            top = 0.99 * self.ceiling if self.cap is None else min(self.cap, 0.99 * self.ceiling)
            self.rate = max(self.rate, min(top, self.rate + 0.01))

    def rejected(self, retry_after: float | None, sent_at: float) -> None:
        now = monotonic()
        self.hold_until = max(self.hold_until, now + (retry_after if retry_after is not None else 1.0))
        if sent_at >= self._last_cut:
            observed = max(0.5, float(sum(1 for t in self._accepted if t >= now - 1.0)))
            self.ceiling = observed
            lowered = 0.98 * self.ceiling
            self.rate = lowered if self.rate is None else min(self.rate, lowered)
            self._last_cut = now

    _last_cut = -1.0


class Duration:
    """When to look at a fresh submit: a little before the median time items of this batch took.

    An observation is the time from a submit to the first request whose answer found the item
    done (a look; the client's wait() seeds it). The estimate is 0.95 x the median of the last 16:
    if looks come too early the misses push the median up; if they find items done, it drifts
    lower. A median over a window (not a per-look multiplier) keeps many items in flight from
    compounding.
    """

    def __init__(self) -> None:
        self._seen: collections.deque[float] = collections.deque(maxlen=16)
        self.guess: float | None = None

    def observe(self, seconds: float) -> None:
        self._seen.append(seconds)
        self.guess = 0.95 * statistics.median(self._seen)
