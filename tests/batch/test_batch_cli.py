"""`step1x-edit batch`: manifests, exit codes, --json, the summary table (a subprocess each)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from batch_support import FAST_POLL, KEY, SAMPLE, items, python, write_jsonl

from step1x_edit._journal import Journal
from step1x_edit._manifest import prepare_items
from step1x_edit.sandbox import SandboxServer


def cli(server: SandboxServer, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return python(server, "-m", "step1x_edit", "batch", *args, cwd=cwd)


def test_csv_manifest_with_relative_images_then_resume(server: SandboxServer, tmp_path: Path) -> None:
    (tmp_path / "shots").mkdir()
    (tmp_path / "shots" / "a.png").write_bytes(SAMPLE.read_bytes())
    (tmp_path / "rows.csv").write_text(
        "image,prompt,seed,guidance_scale\nshots/a.png,sky purple,1,4.5\nshots/a.png,sky red,2,\n"
    )
    done = cli(server, "rows.csv", "-o", "out", "--concurrency", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "step1x-edit batch" in done.stderr
    assert "saved" in done.stderr
    assert len(list((tmp_path / "out").glob("*.png"))) == 2
    again = cli(server, "rows.csv", "-o", "out", "--json", cwd=tmp_path)
    document = json.loads(again.stdout)
    assert again.returncode == 0
    assert document["summary"]["skipped"] == 2
    assert document["summary"]["ok"] is True
    assert server.sandbox.stats["submit"] == 2


def test_a_folder_of_images_with_prompt(server: SandboxServer, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("one.png", "two.png"):
        (folder / name).write_bytes(SAMPLE.read_bytes())
    missing = cli(server, "in", "-o", "out", cwd=tmp_path)
    assert missing.returncode == 2
    assert "prompt=None is not allowed: required" in missing.stderr
    assert server.sandbox.stats["upload"] == 0
    done = cli(server, "in", "-o", "out", "--prompt", "make it night", "--seed", "7", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # the two files have the same content and options: one item, one submit
    assert json.loads(done.stdout)["summary"]["duplicates"] == 1
    assert server.sandbox.stats["submit"] == 1


def test_an_invalid_row_exits_2_naming_row_and_field_and_sends_nothing(server: SandboxServer, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "rows.jsonl", [*items(2), {**items(1, start=5)[0], "num_inference_steps": 500}])
    done = cli(server, "rows.jsonl", "-o", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert "row 3: num_inference_steps=500 is not allowed: an integer from 1 to 50 inclusive" in done.stderr
    assert sum(server.sandbox.stats.values()) == 0
    skipped = cli(server, "rows.jsonl", "-o", "out", "--skip-invalid", cwd=tmp_path)
    assert skipped.returncode == 2  # not every row succeeded
    assert server.sandbox.stats["tasks_created"] == 2


def test_exit_codes_failed_unknown_and_locked(server: SandboxServer, tmp_path: Path) -> None:
    rows = items(2, fail=(1,))
    write_jsonl(tmp_path / "rows.jsonl", rows)
    failed = cli(server, "rows.jsonl", "-o", "out", "--json", cwd=tmp_path)
    assert failed.returncode == 7, failed.stderr
    by_row = {item["row"]: item for item in json.loads(failed.stdout)["items"]}
    assert by_row[2]["status"] == "failed"
    assert by_row[2]["task_code"] == 1403

    more = [*rows, *items(1, start=7)]
    write_jsonl(tmp_path / "rows.jsonl", more)
    journal_path = tmp_path / "out" / ".step1x-edit-batch.sqlite3"
    with Journal(journal_path) as journal:  # a run killed between its POST and the answer
        new = prepare_items(more)[0][2]
        journal.add([(new.key, new.row, new.request())])
        journal.move(new.key, "submitting", submit=True)
        locked = cli(server, "rows.jsonl", "-o", "out", cwd=tmp_path)
    assert locked.returncode == 11
    assert "in use by another batch process" in locked.stderr
    unknown = cli(server, "rows.jsonl", "-o", "out", cwd=tmp_path)
    assert unknown.returncode == 10
    assert "may exist" in unknown.stderr or "unknown" in unknown.stderr
    assert server.sandbox.stats["submit"] == 2
    resubmitted = cli(server, "rows.jsonl", "-o", "out", "--resubmit-unknown", "--retry-failed", cwd=tmp_path)
    assert resubmitted.returncode == 7  # the failing item fails again
    assert server.sandbox.stats["submit"] == 4


def test_a_journal_that_cannot_be_written_exits_12_before_sending(server: SandboxServer, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "rows.jsonl", items(2))
    (tmp_path / "not-a-folder").write_text("a file where the journal's folder should be")
    done = cli(server, "rows.jsonl", "-o", "out", "--journal", "not-a-folder/j.sqlite3", cwd=tmp_path)
    assert done.returncode == 12, done.stderr
    assert "cannot open the batch journal" in done.stderr
    assert sum(server.sandbox.stats.values()) == 0


def test_the_progress_bar_shows_done_failed_in_flight_rate_and_eta(server: SandboxServer, tmp_path: Path) -> None:
    import asyncio
    import io

    from rich.console import Console

    from step1x_edit import AsyncStep1XEdit
    from step1x_edit._batch_cli import drive, exit_code, summary_table

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160, color_system=None)

    async def main() -> tuple[object, list[object]]:
        async with AsyncStep1XEdit(api_key=KEY, base_url=server.base_url, poll=FAST_POLL) as client:
            run = client.batch(items(3, fail=(0,)), output_dir=tmp_path)
            return run, await drive(run, console)

    run, results = asyncio.run(main())
    drawn = screen.getvalue()
    for part in ("done 2", "failed 1", "in flight", "items/s", "3/3"):
        assert part in drawn, (part, drawn[-600:])
    console.print(summary_table(run, results))  # type: ignore[arg-type]
    assert "items to look at" in screen.getvalue()
    assert exit_code(run.summary) == 7  # type: ignore[attr-defined]
