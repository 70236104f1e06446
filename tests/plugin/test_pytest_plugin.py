"""The pytest plugin (``step1x_sandbox``), run as a user would: small test files in a fresh pytest.

Each test writes user test files with pytester and runs them in a subprocess, where the plugin is
loaded through its ``pytest11`` entry point (the package is installed in the venv). The user
files assert on what the plugin must do; these tests assert on the outcome counts, so a broken
fixture, marker, fault, request log or network guard turns a user test red and this one with it.
"""

from __future__ import annotations

import importlib.util

import pytest

pytest_plugins = ["pytester"]

# Subprocess runs: no cache, no repository conftest; only plugins loaded by entry point.
ARGS = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest")

USER_SYNC = """
import pytest
from step1x_edit import PredictionFailedError, RateLimitError, APIConnectionError

IMAGE = "https://example.com/cat.png"


def test_edit_and_requests(step1x_sandbox):
    with step1x_sandbox.client() as client:
        p = client.edit(prompt="purple sky", image=IMAGE, guidance_scale=7)
    assert p.succeeded and len(p.outputs) == 1
    assert [r.kind for r in step1x_sandbox.requests] == ["submit", "result"]
    assert step1x_sandbox.submits[0].input["guidance_scale"] == 7
    assert step1x_sandbox.polls[0].prediction_id == p.id
    assert step1x_sandbox.requests[0].time <= step1x_sandbox.requests[1].time


def test_outcomes(step1x_sandbox):
    step1x_sandbox.complete(3, nsfw=[False, True, False])
    step1x_sandbox.fail(1200, "flagged input", prompt="forbidden")
    client = step1x_sandbox.client()
    with pytest.raises(PredictionFailedError) as failed:
        client.edit(prompt="a forbidden cat", image=IMAGE)
    assert failed.value.prediction.task_code == 1200
    assert failed.value.prediction.error == "flagged input"
    p = client.edit(prompt="a cat", image=IMAGE)
    assert p.has_nsfw_contents == (False, True, False) and len(p.outputs) == 3


def test_rate_limited(step1x_sandbox):
    step1x_sandbox.fault("submit:429:retry_after=2:times=forever")
    with pytest.raises(RateLimitError) as limited:
        step1x_sandbox.client(max_retries=1).edit(prompt="x", image=IMAGE)
    assert limited.value.retry_after == 2
    assert len(step1x_sandbox.submits) == 2 and step1x_sandbox.stats["tasks_created"] == 0


def test_server_error_then_dropped(step1x_sandbox):
    step1x_sandbox.fault(route="result", status=503)
    assert step1x_sandbox.client().edit(prompt="x", image=IMAGE).succeeded  # the poll is retried
    step1x_sandbox.fault("submit:drop_before")
    with pytest.raises(APIConnectionError) as dropped:
        step1x_sandbox.client().edit(prompt="x", image=IMAGE)
    assert dropped.value.task_may_exist


def test_sync_mode_timeout_and_never(step1x_sandbox):
    step1x_sandbox.sync_timeout()
    client = step1x_sandbox.client()
    assert client.edit(prompt="x", image=IMAGE, sync=True).succeeded
    assert step1x_sandbox.polls, "after the 5004 answer the client polls"
    step1x_sandbox.never_finish()
    p = client.submit(prompt="y", image=IMAGE)
    assert client.get(p.id).status == "processing"


def test_env_is_set(step1x_sandbox):
    import os

    assert os.environ["WAVESPEED_BASE_URL"] == step1x_sandbox.base_url
    assert os.environ["WAVESPEED_API_KEY"] == step1x_sandbox.api_key
"""

USER_ASYNC_AND_MARKER = """
import asyncio

import pytest

from step1x_edit.sandbox import Outcome

IMAGE = "https://example.com/cat.png"


def test_async_client(step1x_sandbox):
    async def main():
        async with step1x_sandbox.async_client() as client:
            return await asyncio.gather(*(client.edit(prompt=f"p{i}", image=IMAGE) for i in range(3)))

    results = asyncio.run(main())
    assert all(p.succeeded for p in results)
    assert len(step1x_sandbox.submits) == 3


@pytest.mark.anyio
async def test_async_test_with_both_clients(step1x_sandbox):
    async with step1x_sandbox.async_client() as client:
        assert (await client.edit(prompt="x", image=IMAGE)).succeeded
    # a sync client inside a running event loop: the app runs on the plugin's background loop
    assert step1x_sandbox.client().edit(prompt="y", image=IMAGE).succeeded
    assert [r.input["prompt"] for r in step1x_sandbox.submits] == ["x", "y"]


@pytest.mark.step1x_sandbox(faults=["result:500"], duration=0.05)
def test_marker(step1x_sandbox):
    p = step1x_sandbox.client().edit(prompt="x", image=IMAGE)
    assert p.succeeded
    assert step1x_sandbox.polls[0].status_code == 500
    assert step1x_sandbox.polls[0].fault is not None
    assert step1x_sandbox.sandbox.config.processing_seconds == 0.05


@pytest.mark.step1x_sandbox(outcomes=[(Outcome("failed", code=1402), "broken"), Outcome(outputs=2)])
def test_marker_outcomes(step1x_sandbox):
    from step1x_edit import PredictionFailedError

    client = step1x_sandbox.client()
    with pytest.raises(PredictionFailedError) as failed:
        client.edit(prompt="a broken link", image=IMAGE)
    assert failed.value.prediction.task_code == 1402
    assert len(client.edit(prompt="fine", image=IMAGE).outputs) == 2


@pytest.mark.step1x_sandbox(rate_limit=1, api_key="my-key")
def test_marker_passes_sandbox_config(step1x_sandbox):
    from step1x_edit import RateLimitError

    client = step1x_sandbox.client(max_retries=0)
    assert step1x_sandbox.api_key == "my-key"
    client.submit(prompt="x", image=IMAGE)
    with pytest.raises(RateLimitError):
        client.submit(prompt="x", image=IMAGE)
"""

USER_NETWORK_BLOCKED = """
import socket

import pytest


def test_in_process_without_sockets(step1x_sandbox):
    with pytest.raises(Exception, match="(?i)socket"):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    assert not step1x_sandbox.loopback
    assert step1x_sandbox.base_url.startswith("https://") and ".invalid" in step1x_sandbox.base_url
    assert step1x_sandbox.client().edit(prompt="x", image="https://example.com/a.png").succeeded


def test_async_in_process_without_sockets(step1x_sandbox):
    import asyncio

    async def main():
        async with step1x_sandbox.async_client() as client:
            return await client.edit(prompt="x", image="https://example.com/a.png")

    assert asyncio.run(main()).succeeded
"""

USER_OWN_CLIENT = """
import httpx

from step1x_edit import Step1XEdit


def test_code_that_builds_its_own_client(step1x_sandbox):
    assert step1x_sandbox.loopback
    with Step1XEdit() as client:  # from WAVESPEED_BASE_URL / WAVESPEED_API_KEY
        p = client.edit(prompt="x", image="https://example.com/a.png")
    assert p.succeeded


def test_another_http_library(step1x_sandbox):
    import os

    response = httpx.post(
        os.environ["WAVESPEED_BASE_URL"] + "/api/v3/wavespeed-ai/step1x-edit",
        headers={"Authorization": "Bearer " + os.environ["WAVESPEED_API_KEY"]},
        json={"prompt": "x", "image": "https://example.com/a.png", "seed": 3},
    )
    assert response.json()["data"]["status"] == "created"
    assert step1x_sandbox.submits[0].input["seed"] == 3


def test_each_test_has_its_own_sandbox(step1x_sandbox):
    assert step1x_sandbox.requests == []
"""

# A suite that never asks for the plugin: it must see no sandbox import, no environment, no
# socket change, no extra fixture run, and give the same result with and without the plugin.
USER_UNRELATED = """
import os
import socket
import sys


def test_nothing_imported_or_set():
    assert "starlette" not in sys.modules
    assert "step1x_edit.sandbox" not in sys.modules
    assert "WAVESPEED_BASE_URL" not in os.environ


def test_sockets_untouched():
    s = socket.socket()
    s.close()


def test_fails_as_usual():
    assert 1 == 2
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.syspathinsert()
    return pytester.runpytest_subprocess(*ARGS, *args, timeout=120)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WAVESPEED_BASE_URL", "WAVESPEED_API_KEY", "PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
        monkeypatch.delenv(name, raising=False)


def test_user_suite_sync_async_marker_faults_requests_and_own_client(pytester: pytest.Pytester) -> None:
    # One subprocess for the three user files (each pytest start costs seconds on a busy machine);
    # every user test is named below, so a failure says which feature broke.
    pytester.makepyfile(test_sync=USER_SYNC, test_async=USER_ASYNC_AND_MARKER, test_own=USER_OWN_CLIENT)
    result = _run(pytester, "-v", "--strict-markers", "--allow-hosts=127.0.0.1")
    result.assert_outcomes(passed=14)
    result.stdout.fnmatch_lines_random(
        [
            f"*{name}*PASSED*"
            for name in (
                "test_sync.py::test_edit_and_requests",
                "test_sync.py::test_outcomes",
                "test_sync.py::test_rate_limited",
                "test_sync.py::test_server_error_then_dropped",
                "test_sync.py::test_sync_mode_timeout_and_never",
                "test_sync.py::test_env_is_set",
                "test_async.py::test_async_client",
                "test_async.py::test_async_test_with_both_clients",
                "test_async.py::test_marker",
                "test_async.py::test_marker_outcomes",
                "test_async.py::test_marker_passes_sandbox_config",
                "test_own.py::test_code_that_builds_its_own_client",
                "test_own.py::test_another_http_library",
                "test_own.py::test_each_test_has_its_own_sandbox",
            )
        ]
    )


def test_works_with_sockets_blocked(pytester: pytest.Pytester) -> None:
    # --allow-unix-socket: asyncio's event loop needs its local socketpair (pytest-socket's docs).
    pytester.makepyfile(test_user=USER_NETWORK_BLOCKED)
    result = _run(pytester, "--disable-socket", "--allow-unix-socket")
    result.assert_outcomes(passed=2)


def test_a_suite_that_does_not_use_it_runs_as_before(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_UNRELATED)
    with_plugin = _run(pytester, "-v", "--trace-config")
    without = _run(pytester, "-v", "--trace-config", "-p", "no:step1x_edit")
    with_plugin.assert_outcomes(passed=2, failed=1)
    without.assert_outcomes(passed=2, failed=1)
    # The plugin was really loaded in the first run (and not in the second).
    assert "step1x_edit/pytest_plugin.py" in with_plugin.stdout.str()
    assert "step1x_edit/pytest_plugin.py" not in without.stdout.str()
    outcome_lines = [
        [line for line in run.stdout.lines if line.startswith("test_user.py::")] for run in (with_plugin, without)
    ]
    assert outcome_lines[0] == outcome_lines[1]
    assert len(outcome_lines[0]) == 3


def test_unknown_marker_argument_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
import pytest

@pytest.mark.step1x_sandbox(no_such_option=1)
def test_x(step1x_sandbox):
    pass
"""
    )
    result = _run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no_such_option*"])


@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed")
def test_under_xdist_one_sandbox_per_worker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
import os

import pytest

IMAGE = "https://example.com/cat.png"


@pytest.mark.parametrize("n", range(6))
def test_isolated(step1x_sandbox, n):
    client = step1x_sandbox.client()
    for _ in range(n + 1):
        client.edit(prompt=f"worker {os.environ.get('PYTEST_XDIST_WORKER')}", image=IMAGE)
    assert len(step1x_sandbox.submits) == n + 1
    assert step1x_sandbox.stats["tasks_created"] == n + 1
    with open(f"urls-{os.environ['PYTEST_XDIST_WORKER']}.txt", "a") as f:
        f.write(step1x_sandbox.base_url + "\\n")
"""
    )
    result = _run(pytester, "-n", "2")
    result.assert_outcomes(passed=6)
    per_worker = {p.name: set(p.read_text().split()) for p in pytester.path.glob("urls-gw*.txt")}
    assert len(per_worker) == 2, per_worker  # both workers ran tests
    first, second = per_worker.values()
    assert len(first) == 1  # one loopback server per worker ...
    assert len(second) == 1
    assert first != second  # ... and not shared
