"""Crash test: a batch process SIGKILLed at 22 points covering every journal state, resumed each time.

The batch runs in a subprocess against the sandbox served on 127.0.0.1. The engine's test-only
hook (``STEP1X_EDIT_BATCH_TEST_KILL_AT=POINT:N``, see step1x_edit._batch.KILL_ENV) makes the
process SIGKILL itself the Nth time it passes POINT: right after a journal state is committed
(pending, submitting, submitted, completed, failed, saved), right after a submit answered but
before its id is committed (posted: the "task may exist" case), after the outputs are
downloaded to the scratch folder (downloaded) and after one is linked into place (linked).
Each killed run resumes the journal as it is (items a kill left 'submitting' are reported as
"may exist" and left alone); the last run is the command line with --resubmit-unknown. The
sandbox must have received exactly one submit per item, apart from those resubmitted on request.
"""

from __future__ import annotations

import json
from pathlib import Path

from batch_support import (
    FAST_POLL,
    KEY,
    SAMPLE,
    assert_saved_outputs,
    items,
    journal_rows,
    python,
    sha256,
    tasks_per_prompt,
    write_jsonl,
)

from step1x_edit import Step1XEdit
from step1x_edit.sandbox import SandboxServer

N_ITEMS = 64
FAILING = (1, 2)  # rows 2 and 3 fail on the sandbox (task code 1403): they end 'failed'
CONCURRENCY = 4
POINTS = [
    "pending:1",
    "failed:1",
    "submitting:1",
    "posted:1",
    "submitted:1",
    "completed:1",
    "downloaded:1",
    "linked:1",
    "saved:1",
    "submitting:3",
    "posted:2",
    "submitted:4",
    "completed:3",
    "downloaded:2",
    "linked:3",
    "saved:2",
    "submitting:2",
    "posted:3",
    "submitted:2",
    "completed:2",
    "linked:2",
    "saved:3",
]
STATES = {"pending", "submitting", "submitted", "completed", "failed", "saved"}

DRIVER = """
import asyncio, json, sys
from step1x_edit import AsyncStep1XEdit, PollPolicy

async def main() -> None:
    manifest, out, base_url, key = sys.argv[1:5]
    rows = [json.loads(line) for line in open(manifest)]
    poll = PollPolicy(first=0.02, factor=1.5, step=0.01, max_interval=0.1, learn=False)
    async with AsyncStep1XEdit(api_key=key, base_url=base_url, poll=poll) as client:
        run = client.batch(rows, output_dir=out, concurrency=int(sys.argv[5]))
        async for _ in run:
            pass
        print(json.dumps(run.summary.to_dict()))

asyncio.run(main())
"""


def test_sigkill_at_22_points_then_resume_bills_each_item_once(server: SandboxServer, tmp_path: Path) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(SAMPLE.read_bytes())
    rows = items(N_ITEMS, image=image, fail=FAILING)
    manifest = write_jsonl(tmp_path / "rows.jsonl", rows)
    out = tmp_path / "out"
    killed: list[str] = []
    for point in POINTS:
        args = ("-c", DRIVER, str(manifest), str(out), server.base_url, KEY, str(CONCURRENCY))
        done = python(server, *args, cwd=tmp_path, kill_at=point)
        assert done.returncode in (-9, 0), done.stderr[-2000:]
        if done.returncode == -9:
            killed.append(point)
    assert len(killed) >= 20, sorted(set(POINTS) - set(killed))
    assert {p.split(":")[0] for p in killed} >= STATES | {"posted", "downloaded", "linked"}

    # The last run: the command line itself, to the end.
    args = ("-m", "step1x_edit", "batch", str(manifest), "-o", str(out), "--resubmit-unknown", "--json")
    final = python(server, *args, cwd=tmp_path)
    assert final.returncode == 7, final.stderr[-2000:]  # two items fail on purpose
    document = json.loads(final.stdout)
    assert document["summary"]["failed"] == 2
    assert document["summary"]["saved"] + document["summary"]["skipped"] == N_ITEMS - 2

    journal = out / ".step1x-edit-batch.sqlite3"
    final_rows = assert_saved_outputs(journal, out)  # every file with its hash; no partial file
    assert not (out / ".step1x-edit-batch.tmp").exists()
    states = {r["row"]: r["state"] for r in final_rows}
    assert [states[i + 1] for i in FAILING] == ["failed", "failed"]
    assert all(r["task_code"] == 1403 for r in final_rows if r["state"] == "failed")
    assert sum(1 for s in states.values() if s == "saved") == N_ITEMS - 2

    billed = tasks_per_prompt(server)
    chosen = 0
    for row in journal_rows(journal):
        prompt = json.loads(row["request"])["prompt"]
        if row["unknown_resubmits"] == 0:
            assert billed[prompt] == 1, (prompt, billed[prompt])
        else:  # the user asked to resubmit an item whose first submit may or may not have arrived
            assert 1 <= billed[prompt] <= 1 + row["unknown_resubmits"], (prompt, billed[prompt])
            chosen += row["unknown_resubmits"]
    assert sum(billed.values()) <= N_ITEMS + chosen
    assert chosen <= CONCURRENCY * len(killed)  # at most the items in flight at each kill
    assert server.sandbox.stats["rate_limited"] == server.sandbox.stats["invalid"] == 0

    # Each saved output is what the sandbox made for the item's prediction.
    with Step1XEdit(api_key=KEY, base_url=server.base_url, poll=FAST_POLL) as client:
        for row in final_rows:
            if row["state"] == "saved":
                fresh = client.download(client.get(row["prediction_id"]), tmp_path / "check" / row["key"][:8])
                assert sha256(fresh[0]) == json.loads(row["files"])[0][1]
