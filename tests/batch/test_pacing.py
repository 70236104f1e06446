"""The batch's answer to 429s (issue 11: a rate-limited batch ends within 1.10x of the limit).

Regression: after a 429 the pace fell to 95 % of what the server had accepted and then climbed
back by 0.01/s per submit until the next 429 (one every few seconds, each a >= 1 s hold), and
the concurrency was halved each time, below what the pace needed. Now the accepted rate is the
ceiling: the pace stays just under it, and the concurrency is not cut below what that pace needs.
"""

from __future__ import annotations

import pytest

from step1x_edit import _deadline
from step1x_edit._pacing import Limiter as _Limiter
from step1x_edit._pacing import Pacer as _Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(_deadline, "_clock", fake)
    return fake


def test_after_a_429_the_pace_stays_just_under_what_the_server_accepted(clock: Clock) -> None:
    pacer = _Pacer(None)
    for _ in range(40):  # 40 accepted over the last second
        clock.now += 0.025
        pacer.accepted()
    pacer.rejected(1.0, sent_at=clock.now)
    assert pacer.rate == pytest.approx(0.98 * 40)
    assert pacer.hold_until == pytest.approx(clock.now + 1.0)
    for _ in range(500):  # a long run of accepted submits at that pace
        clock.now += 1 / 39.2
        pacer.accepted()
    assert pacer.rate is not None
    assert pacer.ceiling is not None
    assert pacer.rate <= 0.99 * pacer.ceiling
    assert pacer.rate < 40 * 1.01  # not back over the limit after 500 submits (it was by 200)
    for _ in range(5000):  # but a limit that was raised is found again, slowly
        clock.now += 1 / 39.2
        pacer.accepted()
    assert pacer.rate > 40


def test_the_pace_never_exceeds_the_callers_rate(clock: Clock) -> None:
    pacer = _Pacer(30.0)
    for _ in range(30):
        clock.now += 1 / 30
        pacer.accepted()
    pacer.rejected(None, sent_at=clock.now)
    assert pacer.rate == pytest.approx(0.98 * 30)
    for _ in range(20000):
        clock.now += 1 / 30
        pacer.accepted()
    assert pacer.rate == pytest.approx(30.0)


def test_the_concurrency_cut_keeps_what_the_pace_needs(clock: Clock) -> None:
    limiter = _Limiter(32)
    limiter.decrease(sent_at=clock.now, floor=23.5)
    assert limiter.limit == pytest.approx(23.5)  # halving alone would give 16
    clock.now += 1
    limiter.decrease(sent_at=clock.now, floor=23.5)
    assert limiter.limit == pytest.approx(23.5)  # never raised by a cut
    clock.now += 1
    limiter.decrease(sent_at=clock.now)
    assert limiter.limit == pytest.approx(23.5 / 2)
