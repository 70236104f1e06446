"""client.batch(): results, journal transitions, resume semantics, validation, outputs.

Every test runs against the sandbox served on 127.0.0.1 (fast jobs), counting what it received.
"""

from __future__ import annotations

import asyncio
import errno
import json
from pathlib import Path
from typing import Any

import pytest
from batch_support import SAMPLE, assert_saved_outputs, items, journal_rows, sha256, tasks_per_prompt

from step1x_edit import AsyncStep1XEdit, InvalidParameterError, Step1XEdit
from step1x_edit import _batch as batch_module
from step1x_edit._journal import Journal, JournalLockedError
from step1x_edit._manifest import InvalidRowsError, prepare_items
from step1x_edit.sandbox import SandboxServer

JOURNAL = ".step1x-edit-batch.sqlite3"


def run_sync(client: Step1XEdit, rows: list[dict[str, Any]], **options: Any) -> tuple[Any, list[Any]]:
    run = client.batch(rows, **options)
    results = list(run)
    return run, results


def test_sync_batch_saves_every_item_then_a_rerun_skips_them(
    client: Step1XEdit, server: SandboxServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run, results = run_sync(client, items(12), output_dir=out, concurrency=5)
    assert sorted(r.item.row for r in results) == list(range(1, 13))
    assert {r.status for r in results} == {"saved"}
    assert run.summary.ok
    assert run.summary.counts["saved"] == 12
    assert run.summary.submits == 12
    assert server.sandbox.stats["tasks_created"] == 12
    rows = assert_saved_outputs(out / JOURNAL, out)
    assert [r["state"] for r in rows] == ["saved"] * 12
    assert all(r["submits"] == 1 for r in rows)
    # Each output is what the sandbox made for that prediction.
    for result in results:
        fresh = client.download(client.get(result.prediction_id), tmp_path / "check")
        assert sha256(fresh[0]) == sha256(result.files[0])

    again, results = run_sync(client, items(12), output_dir=out, concurrency=5)
    assert {r.status for r in results} == {"skipped"}
    assert again.summary.ok
    assert again.summary.submits == 0
    assert server.sandbox.stats["submit"] == 12  # nothing sent again


def test_async_batch_yields_results_and_summary(
    async_client: AsyncStep1XEdit, server: SandboxServer, tmp_path: Path
) -> None:
    async def main() -> tuple[Any, list[Any]]:
        async with async_client:
            run = async_client.batch(items(6, fail=(2,)), output_dir=tmp_path, concurrency=3)
            return run, [r async for r in run]

    run, results = asyncio.run(main())
    by_row = {r.item.row: r for r in results}
    assert by_row[3].status == "failed"
    assert by_row[3].prediction.task_code == 1403
    assert [by_row[i].status for i in (1, 2, 4, 5, 6)] == ["saved"] * 5
    assert not run.summary.ok
    assert run.summary.counts["failed"] == 1
    failed_row = next(r for r in journal_rows(tmp_path / JOURNAL) if r["row"] == 3)
    assert failed_row["state"] == "failed"
    assert failed_row["task_code"] == 1403
    assert failed_row["error"]
    assert server.sandbox.stats["tasks_created"] == 6


def test_failed_items_are_not_resubmitted_unless_retry_failed(
    client: Step1XEdit, server: SandboxServer, tmp_path: Path
) -> None:
    rows = items(3, fail=(1,))
    run_sync(client, rows, output_dir=tmp_path)
    _, results = run_sync(client, rows, output_dir=tmp_path)
    assert sorted(r.status for r in results) == ["failed", "skipped", "skipped"]
    assert server.sandbox.stats["submit"] == 3
    _run, results = run_sync(client, rows, output_dir=tmp_path, retry_failed=True)
    assert server.sandbox.stats["submit"] == 4  # only the failed one, once more


def test_an_invalid_row_stops_the_batch_before_any_request(
    client: Step1XEdit, server: SandboxServer, tmp_path: Path
) -> None:
    rows = [
        *items(3),
        {"image": str(SAMPLE), "prompt": "x", "guidance_scale": 25},
        {"image": str(tmp_path / "nope.png"), "prompt": "y"},
    ]
    with pytest.raises(InvalidRowsError) as caught:
        client.batch(rows, output_dir=tmp_path)
    message = str(caught.value)
    assert "row 4: guidance_scale=25 is not allowed" in message
    assert "row 5: image=" in message
    assert "does not exist" in message
    assert caught.value.row == 4
    assert caught.value.field == "guidance_scale"
    assert isinstance(caught.value, InvalidParameterError)
    assert sum(server.sandbox.stats.values()) == 0  # nothing at all reached the server
    assert not (tmp_path / JOURNAL).exists()


def test_skip_invalid_goes_on_without_the_bad_rows(client: Step1XEdit, server: SandboxServer, tmp_path: Path) -> None:
    rows = [
        *items(2),
        {"image": str(SAMPLE), "prompt": "", "seed": 1},
        {"image": str(SAMPLE), "prompt": "z", "colour": "red"},
    ]
    run, results = run_sync(client, rows, output_dir=tmp_path, skip_invalid=True)
    assert [row for row, _ in run.invalid] == [3, 4]
    assert "colour" in str(run.invalid[1][1])
    assert {r.status for r in results} == {"saved"}
    assert len(results) == 2
    assert not run.summary.ok
    assert run.summary.invalid == 2


def test_keys_follow_what_is_sent(tmp_path: Path) -> None:
    copy = tmp_path / "copy.png"
    copy.write_bytes(SAMPLE.read_bytes())
    same = {"image": str(SAMPLE), "prompt": "p", "seed": 1, "guidance_scale": 4}
    keys = [
        prepare_items([row])[0][0].key
        for row in (
            same,
            {**same, "image": str(copy)},  # same content elsewhere: same key
            {**same, "seed": 1.0, "guidance_scale": 4.0},  # same values as sent
            {**same, "seed": 2},
            {**same, "prompt": "q"},
            {**same, "image": "https://example.com/a.png"},
        )
    ]
    assert keys[0] == keys[1] == keys[2]
    assert len(set(keys)) == 4
    valid, invalid, duplicates = prepare_items([same, same, {**same, "seed": 3}])
    assert (len(valid), invalid, duplicates) == (2, [], 1)


def test_an_edited_manifest_bills_only_changed_rows(client: Step1XEdit, server: SandboxServer, tmp_path: Path) -> None:
    rows = items(4)
    run_sync(client, rows, output_dir=tmp_path)
    rows[1] = {**rows[1], "prompt": "item 1 but bluer"}
    rows.append(items(1, start=9)[0])
    _run, results = run_sync(client, rows, output_dir=tmp_path)
    assert sorted(r.status for r in results) == ["saved", "saved", "skipped", "skipped", "skipped"]
    assert server.sandbox.stats["submit"] == 6


def test_a_submitted_item_is_reattached_by_id_not_resubmitted(
    client: Step1XEdit, server: SandboxServer, tmp_path: Path
) -> None:
    rows = items(2)
    prepared = prepare_items(rows)[0]
    made = client.submit(rows[0]["prompt"], rows[0]["image"], seed=0)  # the run that died after the submit
    with Journal(tmp_path / JOURNAL) as journal:
        journal.add((i.key, i.row, i.request()) for i in prepared)
        journal.move(prepared[0].key, "submitting", submit=True)
        journal.move(prepared[0].key, "submitted", prediction_id=made.id)
    before = server.sandbox.stats["submit"]
    _run, results = run_sync(client, rows, output_dir=tmp_path)
    assert {r.status for r in results} == {"saved"}
    assert next(r for r in results if r.item.row == 1).prediction_id == made.id
    assert server.sandbox.stats["submit"] == before + 1  # only the pending item
    assert tasks_per_prompt(server) == {"item 0": 1, "item 1": 1}


def test_an_item_left_submitting_may_exist_and_is_resubmitted_only_on_request(
    client: Step1XEdit, server: SandboxServer, tmp_path: Path
) -> None:
    rows = items(2)
    prepared = prepare_items(rows)[0]
    with Journal(tmp_path / JOURNAL) as journal:
        journal.add((i.key, i.row, i.request()) for i in prepared)
        journal.move(prepared[0].key, "submitting", submit=True)
    run, results = run_sync(client, rows, output_dir=tmp_path)
    unknown = next(r for r in results if r.item.row == 1)
    assert unknown.status == "unknown"
    assert "may exist" in str(unknown.error)
    assert tasks_per_prompt(server) == {"item 1": 1}
    assert not run.summary.ok
    assert run.summary.counts["unknown"] == 1

    run, results = run_sync(client, rows, output_dir=tmp_path, resubmit_unknown=True)
    assert {r.status for r in results} == {"saved", "skipped"}
    row = journal_rows(tmp_path / JOURNAL)[0]
    assert (row["state"], row["submits"], row["unknown_resubmits"]) == ("saved", 2, 1)


def test_a_second_process_on_the_journal_is_refused(client: Step1XEdit, server: SandboxServer, tmp_path: Path) -> None:
    with Journal(tmp_path / JOURNAL), pytest.raises(JournalLockedError, match="in use by another batch process"):
        list(client.batch(items(2), output_dir=tmp_path))
    assert server.sandbox.stats["submit"] == 0
    run, _results = run_sync(client, items(2), output_dir=tmp_path)  # free again once the holder closes
    assert run.summary.ok


def test_an_existing_different_file_is_never_overwritten(
    client: Step1XEdit, server: SandboxServer, tmp_path: Path
) -> None:
    rows = items(1)
    _, results = run_sync(client, rows, output_dir=tmp_path)
    target = results[0].files[0]
    with Journal(tmp_path / JOURNAL) as journal:  # pretend the save was not recorded
        journal.move(
            results[0].item.key,
            "completed",
            prediction_id=results[0].prediction_id,
            outputs=journal.get(results[0].item.key).outputs,  # type: ignore[union-attr]
        )
    target.write_bytes(b"somebody else's file")
    _, results = run_sync(client, rows, output_dir=tmp_path)
    assert results[0].status == "unfinished"
    assert "not overwritten" in str(results[0].error)
    assert target.read_bytes() == b"somebody else's file"
    target.unlink()
    _run, results = run_sync(client, rows, output_dir=tmp_path)
    assert results[0].status == "saved"
    assert server.sandbox.stats["submit"] == 1


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_an_unwritable_output_folder_stops_with_the_journal_intact(
    client: Step1XEdit, server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def broken(*_args: Any) -> None:
        raise OSError(code, "simulated")

    monkeypatch.setattr(batch_module, "place_once", broken)
    run, results = run_sync(client, items(5), output_dir=tmp_path, concurrency=2)
    assert run.summary.stopped is not None
    assert "cannot write to" in run.summary.stopped
    assert "run the same command again" in run.summary.stopped
    assert {r.status for r in results} == {"unfinished"}
    states = {r["state"] for r in journal_rows(tmp_path / JOURNAL)}
    assert states <= {"pending", "completed", "submitted"}
    assert "completed" in states
    monkeypatch.undo()
    run, results = run_sync(client, items(5), output_dir=tmp_path, concurrency=2)
    assert run.summary.ok
    assert server.sandbox.stats["tasks_created"] == 5  # no item was billed twice
    assert_saved_outputs(tmp_path / JOURNAL, tmp_path)


def test_without_output_dir_items_end_completed_with_their_outputs(client: Step1XEdit, server: SandboxServer) -> None:
    run, results = run_sync(client, items(3))
    assert {r.status for r in results} == {"completed"}
    assert all(r.prediction.outputs for r in results)
    assert run.summary.ok
    assert run.summary.journal is None


def test_options_are_checked(client: Step1XEdit, tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="concurrency"):
        client.batch(items(1), concurrency=0)
    with pytest.raises(InvalidParameterError, match="enable_sync_mode"):
        client.batch([{**items(1)[0], "enable_sync_mode": True}])


def test_journal_is_wal_and_outputs_are_named_from_the_key(client: Step1XEdit, tmp_path: Path) -> None:
    _run, results = run_sync(client, items(1), output_dir=tmp_path)
    assert results[0].files[0].name.startswith(results[0].item.key[:20])
    import sqlite3

    db = sqlite3.connect(tmp_path / JOURNAL)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert json.loads(journal_rows(tmp_path / JOURNAL)[0]["request"])["prompt"] == "item 0"


def test_bytes_and_url_images(client: Step1XEdit, server: SandboxServer, tmp_path: Path) -> None:
    upload = client.upload(SAMPLE)
    rows = [{"image": SAMPLE.read_bytes(), "prompt": "bytes"}, {"image": upload, "prompt": "url"}]
    run, _results = run_sync(client, rows, output_dir=tmp_path)
    assert run.summary.ok
    assert server.sandbox.stats["upload"] == 2  # the bytes item's upload plus ours


def test_leaving_the_loop_early_keeps_the_ids_of_submits_on_the_wire(
    client: Step1XEdit, server: SandboxServer, tmp_path: Path
) -> None:
    from step1x_edit.sandbox import Fault

    # The first submit answers at once; the next ones only after 0.5 s (their tasks exist by then).
    server.sandbox.add_fault(Fault(route="submit", action="delay", delay=0.5, skip=1, times=None))
    run = client.batch(items(6), output_dir=tmp_path, concurrency=4)
    for _result in run:
        break  # the consumer leaves while three submits are still on the wire
    states = [r["state"] for r in journal_rows(tmp_path / JOURNAL)]
    assert "submitting" not in states, states  # each answered submit's id was kept
    assert states.count("submitted") + states.count("completed") + states.count("saved") >= 4
    server.sandbox.clear_faults()
    again, results = run_sync(client, items(6), output_dir=tmp_path)
    assert again.summary.ok, [r.error for r in results]
    assert set(tasks_per_prompt(server).values()) == {1}  # nothing billed twice
