"""Retry policy: what is resent, how long to wait, and that a submit is never sent twice
when it may have reached the server.

Covers the pure policy functions (tables with ids) and the transport end to end through
Step1XEdit with a scripted MockTransport and a fake clock.
"""

from __future__ import annotations

import email.utils

import httpx
import pytest

from step1x_edit import APIConnectionError, APITimeoutError, RateLimitError, ServerError, Step1XEdit
from step1x_edit._retry import RetryPolicy, parse_retry_after, retry_delay, should_retry

from .conftest import BASE, KEY, PID, RESULT, SUBMIT, FakeAPI, FakeClock, ok

REQ = httpx.Request("POST", "https://api.test/x")


@pytest.mark.parametrize(
    ("method", "status", "error", "expected"),
    [
        ("GET", 503, None, True),
        ("GET", 500, None, True),
        ("GET", 502, None, True),
        ("GET", 504, None, True),
        ("GET", 429, None, True),
        ("GET", 408, None, True),
        ("GET", 404, None, False),
        ("GET", 400, None, False),
        ("POST", 429, None, True),
        ("POST", 500, None, False),
        ("POST", 503, None, False),
        ("POST", 408, None, False),
        ("GET", None, httpx.ReadTimeout("t", request=REQ), True),
        ("GET", None, httpx.RemoteProtocolError("reset", request=REQ), True),
        ("POST", None, httpx.ConnectError("refused", request=REQ), True),
        ("POST", None, httpx.ConnectTimeout("slow connect", request=REQ), True),
        ("POST", None, httpx.PoolTimeout("pool", request=REQ), True),
        ("POST", None, httpx.ReadTimeout("t", request=REQ), False),
        ("POST", None, httpx.WriteError("w", request=REQ), False),
        ("POST", None, httpx.RemoteProtocolError("reset after send", request=REQ), False),
        ("POST", None, httpx.ReadError("reset", request=REQ), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_should_retry_table(method: str, status: int | None, error: Exception | None, expected: bool) -> None:
    retry, reason = should_retry(method, status=status, error=error)
    assert retry is expected
    assert reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), (" 2.5 ", 2.5), ("0", 0.0), ("-4", 0.0), ("soon", None), (None, None), ("nan", None), ("inf", None)],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date_with_frozen_time() -> None:
    now = 1_750_000_000.0
    header = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(7.0)
    assert parse_retry_after(email.utils.formatdate(now - 60, usegmt=True), now=now) == 0.0


@pytest.mark.parametrize(
    ("attempt", "headers", "rand", "expected"),
    [
        (0, None, 0.0, 0.5),
        (1, None, 0.0, 1.0),
        (3, None, 0.0, 4.0),
        (10, None, 0.0, 8.0),  # capped
        (0, None, 1.0, 0.375),  # 25 % downward jitter
        (0, {"retry-after": "2"}, 0.0, 2.0),  # the server wins
        (0, {"retry-after": "3600"}, 0.0, 60.0),  # ...up to the cap
    ],
    ids=["first", "second", "fourth", "capped", "jitter", "retry-after", "retry-after-capped"],
)
def test_retry_delay(attempt: int, headers: dict[str, str] | None, rand: float, expected: float) -> None:
    assert retry_delay(attempt, RetryPolicy(), headers, rand=rand) == pytest.approx(expected)


def test_result_poll_retries_5xx_then_succeeds(client: Step1XEdit, api: FakeAPI, clock: FakeClock) -> None:
    api.on(RESULT, httpx.Response(503), httpx.Response(502, text="<html>bad gateway</html>"), ok("completed"))
    assert client.get(PID).status == "completed"
    assert api.count(RESULT) == 3
    assert len(clock.sleeps) == 2


def test_result_poll_honours_retry_after(client: Step1XEdit, api: FakeAPI, clock: FakeClock) -> None:
    api.on(RESULT, httpx.Response(429, headers={"Retry-After": "4"}, json={"code": 429, "message": "slow"}))
    client.get(PID)
    assert clock.sleeps == [4.0]


def test_result_poll_gives_up_after_max_retries(api: FakeAPI, clock: FakeClock) -> None:
    api.on(RESULT, *[httpx.Response(500, json={"code": 500, "message": "boom"})] * 10)
    with (
        Step1XEdit(api_key=KEY, base_url=BASE, max_retries=2, transport=httpx.MockTransport(api.handler)) as c,
        pytest.raises(ServerError) as info,
    ):
        c.get(PID)
    assert api.count(RESULT) == 3
    assert info.value.status_code == 500
    assert info.value.prediction_id == PID


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out", request=REQ),
        httpx.RemoteProtocolError("Server disconnected without sending a response", request=REQ),
        httpx.ReadError("connection reset", request=REQ),
    ],
    ids=["read-timeout", "disconnect-after-send", "reset"],
)
def test_submit_is_never_resent_after_it_may_have_arrived(client: Step1XEdit, api: FakeAPI, failure: Exception) -> None:
    api.on(SUBMIT, failure)
    with pytest.raises(APIConnectionError) as info:
        client.submit("make it blue", "https://example.com/a.png")
    assert api.count(SUBMIT) == 1
    assert info.value.task_may_exist is True
    assert "task may exist" in str(info.value)
    if isinstance(failure, httpx.TimeoutException):
        assert isinstance(info.value, APITimeoutError)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_submit_5xx_is_not_resent(client: Step1XEdit, api: FakeAPI, status: int) -> None:
    api.on(SUBMIT, httpx.Response(status, json={"code": status, "message": "oops", "data": None}))
    with pytest.raises(ServerError) as info:
        client.submit("make it blue", "https://example.com/a.png")
    assert api.count(SUBMIT) == 1
    assert info.value.task_may_exist is True


def test_submit_is_resent_when_the_connection_never_opened(client: Step1XEdit, api: FakeAPI) -> None:
    api.on(SUBMIT, httpx.ConnectError("refused", request=REQ), httpx.ConnectTimeout("slow", request=REQ))
    assert client.submit("make it blue", "https://example.com/a.png").id == PID
    assert api.count(SUBMIT) == 3


def test_submit_is_resent_after_429(client: Step1XEdit, api: FakeAPI, clock: FakeClock) -> None:
    api.on(SUBMIT, httpx.Response(429, headers={"Retry-After": "1"}, json={"code": 429, "message": "slow down"}))
    client.submit("make it blue", "https://example.com/a.png")
    assert api.count(SUBMIT) == 2
    assert clock.sleeps == [1.0]


def test_429_surfaces_retry_after_when_retries_run_out(api: FakeAPI, clock: FakeClock) -> None:
    api.on(SUBMIT, httpx.Response(429, headers={"Retry-After": "9"}, json={"code": 429, "message": "slow down"}))
    with (
        Step1XEdit(api_key=KEY, base_url=BASE, max_retries=0, transport=httpx.MockTransport(api.handler)) as c,
        pytest.raises(RateLimitError) as info,
    ):
        c.submit("x", "https://example.com/a.png")
    assert info.value.retry_after == 9.0
    assert info.value.task_may_exist is False
