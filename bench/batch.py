"""Batch benchmark: `AsyncStep1XEdit.batch()` against the sandbox (in its own process).

    python -m bench --only batch     # 1,000 items, 0.5 s jobs, concurrency 32; then rate limited
    python -m bench.batch [--quick]  # the same section alone

Figures (a section of `python -m bench`, and of bench/RESULTS.md with --write):
* unlimited: wall against the ideal, items / concurrency x job time (target <= 1.15x);
* rate limited (sandbox: R submits per 1 s window): wall against the bound items / R (target
  <= 1.10x), with --rate R given, and with AIMD alone (no --rate: only 429 + Retry-After to go by);
* journal cost per item (the six commits of pending -> saved), NORMAL and FULL synchronous;
* client CPU per item over the unlimited run, and the items per second one core could drive.

The test suite runs only the quick mode (tests/bench), to prove it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import API_KEY, Section, Target, fmt, helper


async def _batch(base_url: str, n: int, concurrency: int, rate: float | None, out: Path) -> dict[str, Any]:
    from step1x_edit import AsyncStep1XEdit

    async with AsyncStep1XEdit(api_key=API_KEY, base_url=base_url) as client:
        image = await client.upload(
            Path(__file__).resolve().parent.parent / "src/step1x_edit/sandbox/assets/sample.png"
        )
        rows = [{"image": image, "prompt": f"bench item {i}", "seed": i} for i in range(n)]
        cpu0, t0 = time.process_time(), time.perf_counter()
        run = client.batch(rows, output_dir=out, concurrency=concurrency, rate=rate)
        async for _ in run:
            pass
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"wall": wall, "cpu": cpu, **run.summary.to_dict()}


def scenario(n: int, job: float, concurrency: int, rate_limit: int | None, rate: float | None) -> dict[str, Any]:
    config: dict[str, Any] = {"created_seconds": 0.0, "processing_seconds": job}
    if rate_limit is not None:
        config.update(rate_limit=rate_limit, rate_limit_window=1.0)
    with helper(["bench._sandbox", json.dumps(config)], cpu=None) as server, tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(_batch(server.base_url, n, concurrency, rate, Path(tmp)))
        stats = server.command("stats")
    return {
        **result,
        "server_submits": stats.get("submit", 0),
        "server_results": stats.get("result", 0),
        "server_429": stats.get("rate_limited", 0),
    }


def journal_cost(n: int, durable: bool) -> float:
    """Microseconds of journal work per item: add, then the five commits up to saved."""
    from step1x_edit._journal import Journal

    with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "j.sqlite3", durable=durable) as journal:
        keys = [f"{i:064x}" for i in range(n)]
        t0 = time.perf_counter()
        journal.add((k, i, {"prompt": "p", "image": "https://x/y.png"}) for i, k in enumerate(keys))
        for k in keys:
            journal.move(k, "submitting", submit=True)
            journal.move(k, "submitted", prediction_id="p" + k[:30])
            journal.move(k, "completed", prediction_id="p" + k[:30], outputs=["https://x/out.png"])
            journal.move(k, "saved", prediction_id="p" + k[:30], files=[("out/" + k[:20] + "-0.png", k)])
            journal.get(k)
        return (time.perf_counter() - t0) / n * 1e6


def run(quick: bool) -> Section:
    n, job, conc, limit = (64, 0.2, 16, 40) if quick else (1000, 0.5, 32, 40)
    ideal = n / conc * job
    bound = n / limit
    free = scenario(n, job, conc, None, None)
    paced = scenario(n, job, conc, limit, float(limit))
    aimd = scenario(n, job, conc, limit, None)
    normal, full = journal_cost(min(n, 500), False), journal_cost(min(n, 200), True)
    cpu_ms = free["cpu"] / n * 1000
    section = Section(
        "Batch: `AsyncStep1XEdit.batch()` / `step1x-edit batch` (issue 11)",
        f"{n} items, sandbox jobs of {job:g} s (`created_seconds=0`, its own process), concurrency {conc}, every "
        "output downloaded, hashed, linked into place and journalled. Rate-limited runs: the sandbox accepts "
        f"{limit} submits per sliding 1 s window (429 + `Retry-After` beyond). Client CPU is the whole client "
        "process (`time.process_time()`).",
        [
            "run",
            "wall s",
            "bound s",
            "ratio",
            "client CPU ms / item",
            "submits (server)",
            "result polls / item",
            "429s",
            "not saved",
        ],
    )
    runs = [
        ("unlimited (bound: the ideal, items / concurrency x job)", free, ideal, 1.15),
        (f"rate limit {limit}/s, `rate={limit}` (bound: items / rate)", paced, bound, 1.10),
        (f"rate limit {limit}/s, AIMD only, no `rate` (bound: items / rate)", aimd, bound, 1.10),
    ]
    for label, r, b, goal in runs:
        section.rows.append(
            [
                label,
                fmt(r["wall"], 2),
                fmt(b, 2),
                f"{r['wall'] / b:.3f}x",
                fmt(r["cpu"] / n * 1000, 2),
                str(r["server_submits"]),
                fmt(r["server_results"] / n, 2),
                str(r["server_429"]),
                str(r["total"] - r["saved"]),
            ]
        )
        section.targets.append(
            Target(
                f"{label.split(' (')[0]}: wall vs bound",
                f"≤ {goal:.2f}x",
                f"{r['wall'] / b:.3f}x",
                r["wall"] / b <= goal,
            )
        )
    section.notes.append(
        f"Journal cost per item (add, four state commits, one read): {normal:.0f} us with synchronous=NORMAL "
        f"(the default), {full:.0f} us with `durable=True` (FULL: an fsync per commit)."
    )
    section.notes.append(
        f"Client CPU per item over the unlimited run: {cpu_ms:.2f} ms, i.e. one core drives about "
        f"{1000 / cpu_ms:.0f} items per second; the account's rate limit bounds a real batch long before that."
    )
    if quick:
        section.notes.append("Quick mode: 64 items, 0.2 s jobs, concurrency 16.")
    return section


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(run(args.quick).markdown())


if __name__ == "__main__":
    main()
