"""Batch runs under the sandbox's scripted faults: 429 + Retry-After, a rate limit, 503s, drops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from batch_support import FAST_POLL, KEY, assert_saved_outputs, items, journal_rows, tasks_per_prompt

from step1x_edit import RetryPolicy, Step1XEdit
from step1x_edit.sandbox import Fault, SandboxServer

JOURNAL = ".step1x-edit-batch.sqlite3"


def run(client: Step1XEdit, rows: list[dict[str, Any]], **options: Any) -> tuple[Any, dict[int, Any]]:
    batch = client.batch(rows, **options)
    return batch, {r.item.row: r for r in batch}


def test_429_with_retry_after_lowers_concurrency_and_loses_nothing(
    client: Step1XEdit, server: SandboxServer, tmp_path: Path
) -> None:
    server.sandbox.add_fault(Fault(route="submit", status=429, retry_after=1, times=3))
    batch, results = run(client, items(8), output_dir=tmp_path, concurrency=8)
    assert {r.status for r in results.values()} == {"saved"}
    assert batch.summary.rate_limited == 3
    assert server.sandbox.stats["tasks_created"] == 8  # a 429 created nothing; each item billed once
    assert batch._async.concurrency < 8  # multiplicative decrease happened (and was not undone at once)
    assert batch.summary.elapsed >= 1.0  # the Retry-After second was waited out (a lower bound)
    assert all(r["submits"] >= 1 for r in journal_rows(tmp_path / JOURNAL))


def test_a_rate_limited_key_finishes_with_no_failed_items_and_few_429s(
    client: Step1XEdit, server: SandboxServer, tmp_path: Path
) -> None:
    server.sandbox.config.rate_limit = 6
    server.sandbox.config.rate_limit_window = 1.0
    batch, results = run(client, items(18), output_dir=tmp_path, concurrency=12)
    assert {r.status for r in results.values()} == {"saved"}
    assert server.sandbox.stats["tasks_created"] == 18
    assert 0 < batch.summary.rate_limited < 18  # AIMD + Retry-After: far fewer 429s than items


def test_503_and_dropped_connections_on_results_are_retried(
    client: Step1XEdit, server: SandboxServer, tmp_path: Path
) -> None:
    server.sandbox.add_fault(Fault(route="result", status=503, times=4))
    server.sandbox.add_fault(Fault(route="result", action="drop_before", times=2))
    batch, results = run(client, items(5), output_dir=tmp_path, concurrency=3)
    assert batch.summary.ok, [r.error for r in results.values()]
    assert server.sandbox.stats["tasks_created"] == 5
    assert_saved_outputs(tmp_path / JOURNAL, tmp_path)


def test_a_connection_dropped_after_a_submit_leaves_the_item_may_exist(
    client: Step1XEdit, server: SandboxServer, tmp_path: Path
) -> None:
    server.sandbox.add_fault(Fault(route="submit", action="drop_after_headers", times=1))
    _, results = run(client, items(3), output_dir=tmp_path, concurrency=1)
    assert [results[i].status for i in (1, 2, 3)] == ["unknown", "saved", "saved"]
    assert "may have reached the server" in str(results[1].error) or "may exist" in str(results[1].error)
    assert server.sandbox.stats["tasks_created"] == 3  # the dropped submit did create its task
    _, again = run(client, items(3), output_dir=tmp_path)
    assert again[1].status == "unknown"
    assert server.sandbox.stats["submit"] == 3  # not resubmitted without being asked
    _, last = run(client, items(3), output_dir=tmp_path, resubmit_unknown=True)
    assert last[1].status == "saved"
    assert tasks_per_prompt(server)["item 0"] == 2  # the user chose to resubmit it


def test_a_503_on_submit_may_have_created_a_task(client: Step1XEdit, server: SandboxServer, tmp_path: Path) -> None:
    server.sandbox.add_fault(Fault(route="submit", status=503, times=1))
    _, results = run(client, items(2), output_dir=tmp_path, concurrency=1)
    assert [results[1].status, results[2].status] == ["unknown", "saved"]
    assert journal_rows(tmp_path / JOURNAL)[0]["state"] == "submitting"


def test_a_network_failure_while_waiting_leaves_the_item_resumable(server: SandboxServer, tmp_path: Path) -> None:
    server.sandbox.add_fault(Fault(route="result", status=503, times=None))
    with Step1XEdit(api_key=KEY, base_url=server.base_url, poll=FAST_POLL, retry=RetryPolicy(max_retries=0)) as c:
        batch, results = run(c, items(3), output_dir=tmp_path)
        assert {r.status for r in results.values()} == {"unfinished"}
        assert not batch.summary.ok
        assert {r["state"] for r in journal_rows(tmp_path / JOURNAL)} == {"submitted"}
        server.sandbox.clear_faults()
        batch, results = run(c, items(3), output_dir=tmp_path)
    assert batch.summary.ok
    assert server.sandbox.stats["tasks_created"] == 3  # re-attached by id, not resubmitted


def test_a_refused_key_stops_the_batch(server: SandboxServer, tmp_path: Path) -> None:
    with Step1XEdit(api_key="wrong-key", base_url=server.base_url, poll=FAST_POLL) as c:
        batch, results = run(c, items(4), output_dir=tmp_path, concurrency=1)
    assert batch.summary.stopped is not None
    assert "401" in batch.summary.stopped or "key" in batch.summary.stopped.lower()
    assert {r.status for r in results.values()} == {"unfinished"}
    assert server.sandbox.stats["upload"] == 1  # stopped after the first refusal
