"""Fault matrix: one scripted fault per scenario, against the sandbox over a real loopback socket.

For each scenario the table states the outcome (a completed prediction or the exact exception
class), how many submits the server received (never two for one edit() unless the first
provably never arrived), and, where a task may exist, that the error says so. The same table
renders the README's fault-matrix section (``python tests/faults/test_fault_matrix.py``).
"""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from step1x_edit import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ContractViolationError,
    InvalidParameterError,
    PollPolicy,
    Prediction,
    RetryPolicy,
    ServerError,
    Step1XEdit,
    Step1XEditError,
)
from step1x_edit.sandbox import Fault, SandboxConfig, SandboxServer, serve

IMAGE = "https://example.com/photo.png"


@dataclass(frozen=True)
class Scenario:
    id: str
    faults: tuple[Fault, ...]
    behaviour: str
    """What the client does, for the README table."""
    raises: type[Exception] | None = None
    submits: int = 1
    task_may_exist: bool = False
    kwargs: dict[str, object] = field(default_factory=dict)


def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


SCENARIOS = [
    Scenario(
        "429-retry-after-seconds-on-submit",
        (Fault(route="submit", status=429, retry_after=0),),
        "waits Retry-After, resends the submit (429 means it did not run), completes",
        submits=2,
    ),
    Scenario(
        "429-retry-after-http-date-on-result",
        (Fault(route="result", status=429, retry_after=_http_date(1)),),
        "waits until the HTTP date, polls again, completes",
    ),
    *[
        Scenario(
            f"{status}-on-submit",
            (Fault(route="submit", status=status),),
            "raises ServerError with task_may_exist; the submit is not resent",
            raises=ServerError,
            task_may_exist=True,
        )
        for status in (500, 502, 503, 504)
    ],
    *[
        Scenario(
            f"{status}-on-result",
            (Fault(route="result", status=status, times=2),),
            "retries the poll with backoff, completes",
        )
        for status in (500, 502, 503, 504)
    ],
    Scenario(
        "connection-refused-before-sending",
        (),
        "retries (nothing was sent), then APIConnectionError; 0 submits",
        raises=APIConnectionError,
        submits=0,
        kwargs={"refused": True},
    ),
    Scenario(
        "reset-after-submit-sent",
        (Fault(route="submit", action="drop_before"),),
        "APIConnectionError with task_may_exist; not resent (the task was created)",
        raises=APIConnectionError,
        task_may_exist=True,
    ),
    Scenario(
        "reset-mid-body-on-result",
        (Fault(route="result", action="drop_mid_body"),),
        "the poll is retried (safe), completes",
    ),
    Scenario(
        "read-timeout-on-submit",
        (Fault(route="submit", action="delay", delay=1.5),),
        "APITimeoutError with task_may_exist; not resent",
        raises=APITimeoutError,
        task_may_exist=True,
        kwargs={"read_timeout": 0.4},
    ),
    Scenario(
        "slow-body-on-result",
        (Fault(route="result", action="delay", delay=0.3),),
        "waits for the slow answer (within the read timeout), completes",
    ),
    Scenario(
        "malformed-json-on-result",
        (Fault(route="result", action="malformed_json"),),
        "ContractViolationError keeping the raw body and the prediction id",
        raises=ContractViolationError,
    ),
    Scenario(
        "html-gateway-page-on-submit",
        (Fault(route="submit", action="html"),),
        "ServerError carrying the HTML body; task_may_exist; not resent",
        raises=ServerError,
        task_may_exist=True,
    ),
    Scenario(
        "html-gateway-page-on-result",
        (Fault(route="result", action="html"),),
        "the poll is retried (502 on a safe request), completes",
    ),
    Scenario(
        "truncated-body-on-result",
        (Fault(route="result", action="truncated_body"),),
        "ContractViolationError with the truncated body",
        raises=ContractViolationError,
    ),
    Scenario(
        "200-with-error-envelope-on-submit",
        (Fault(route="submit", action="error_envelope", status=401),),
        "raises by the envelope code (AuthenticationError), although HTTP said 200",
        raises=AuthenticationError,
    ),
    Scenario(
        "unknown-status-on-result",
        (Fault(route="result", action="unknown_status", times=2),),
        "reports 'queued' to on_status, keeps polling, completes",
    ),
    Scenario(
        "missing-optional-fields-on-result",
        (Fault(route="result", action="missing_fields", times=2),),
        "parses id+status only while pending, keeps polling, completes",
    ),
    Scenario(
        "completed-without-outputs",
        (Fault(route="result", action="missing_fields", times=None),),
        "ContractViolationError with the raw body and the prediction id (a completed task needs outputs)",
        raises=ContractViolationError,
    ),
    Scenario(
        "sync-mode-5004-timeout",
        (),
        "sync submit answers 5004; falls back to polling the same id; completes",
        kwargs={"sync": True},
    ),
    Scenario(
        "webhook-plus-base64",
        (),
        "InvalidParameterError before sending (the API would answer 400)",
        raises=InvalidParameterError,
        submits=0,
        kwargs={"webhook": "https://hooks.example/x", "base64_output": True},
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    config = SandboxConfig(created_seconds=0.0, processing_seconds=0.3, sync_timeout_seconds=0.1)
    with serve(config) as running:
        yield running


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_fault(server: SandboxServer, scenario: Scenario) -> None:
    sandbox = server.sandbox
    sandbox.clear_faults()
    sandbox.reset()
    for fault in scenario.faults:
        sandbox.add_fault(fault)
    kwargs = dict(scenario.kwargs)
    base_url = f"http://127.0.0.1:{_closed_port()}" if kwargs.pop("refused", False) else server.base_url
    read_timeout = kwargs.pop("read_timeout", 10.0)
    statuses: list[str] = []
    client = Step1XEdit(
        api_key=server.api_key,
        base_url=base_url,
        request_timeout=httpx.Timeout(float(str(read_timeout)), connect=2.0),
        retry=RetryPolicy(max_retries=3, initial_delay=0.01, max_delay=0.05, max_retry_after=2.0),
        poll=PollPolicy(first=0.05, factor=1.25, step=0.02, max_interval=0.2, learn=False),
    )
    with client:
        if scenario.raises is None:
            result = client.edit(
                "make it blue", IMAGE, timeout=15, on_status=lambda p: statuses.append(p.status), **kwargs
            )
            assert isinstance(result, Prediction)
            assert result.status == "completed"
            if scenario.id.startswith("unknown-status"):
                assert "queued" in statuses
        else:
            with pytest.raises(scenario.raises) as info:
                client.edit("make it blue", IMAGE, timeout=15, **kwargs)
            error = info.value
            assert isinstance(error, Step1XEditError)
            assert len(str(error)) > 20, "the message should say what happened"
            if scenario.task_may_exist:
                assert getattr(error, "task_may_exist", False) is True
                assert "task may exist" in str(error)
            if scenario.raises is ContractViolationError:
                assert isinstance(error, ContractViolationError)
                assert error.body
                assert error.prediction_id is not None  # the paid prediction is not lost
    assert sandbox.stats["submit"] == scenario.submits


def markdown_table() -> str:
    rows = ["| scenario | behaviour | submits received |", "|---|---|---|"]
    rows += [f"| {s.id} | {s.behaviour} | {s.submits} |" for s in SCENARIOS]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())  # noqa: T201
