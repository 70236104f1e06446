"""Batch benchmark: `AsyncStep1XEdit.batch()` against the sandbox (in its own process).

    python -m bench.batch            # 1,000 items, 0.5 s jobs, concurrency 32; then rate limited
    python -m bench.batch --quick    # a small smoke run (seconds)

Figures (printed as markdown, copied into bench/RESULTS.md):
* unlimited: wall against the ideal, items / concurrency x job time (target <= 1.15x);
* rate limited (sandbox: R submits per 1 s window): wall against the bound items / R (target
  <= 1.10x), with --rate R given, and with AIMD alone (no --rate: only 429 + Retry-After to go by);
* journal cost per item (the six commits of pending -> saved), NORMAL and FULL synchronous;
* client CPU per item over the unlimited run, and the items per second one core could drive.

Not part of the test suite (tests/bench runs only the quick mode of `python -m bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import API_KEY, helper


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
    return {**result, "server_submits": stats.get("submit", 0), "server_429": stats.get("rate_limited", 0)}


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, job, conc, limit = (64, 0.2, 16, 40) if args.quick else (1000, 0.5, 32, 40)
    ideal = n / conc * job
    bound = n / limit
    free = scenario(n, job, conc, None, None)
    paced = scenario(n, job, conc, limit, float(limit))
    aimd = scenario(n, job, conc, limit, None)
    normal, full = journal_cost(min(n, 500), False), journal_cost(min(n, 200), True)
    cpu_ms = free["cpu"] / n * 1000
    print("## Batch: `AsyncStep1XEdit.batch()` / `step1x-edit batch`\n")
    print(f"{n} items, sandbox jobs of {job:g} s (separate process), concurrency {conc}; outputs saved.\n")
    print("| run | wall s | bound s | ratio | target | submits (server) | 429s | not saved |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| unlimited | {free['wall']:.2f} | {ideal:.2f} (ideal) | {free['wall'] / ideal:.3f}x | <= 1.15x | {free['server_submits']} | {free['server_429']} | {free['total'] - free['saved']} |"
    )
    print(
        f"| rate limit {limit}/s, `rate={limit}` | {paced['wall']:.2f} | {bound:.2f} | {paced['wall'] / bound:.3f}x | <= 1.10x | {paced['server_submits']} | {paced['server_429']} | {paced['total'] - paced['saved']} |"
    )
    print(
        f"| rate limit {limit}/s, AIMD only | {aimd['wall']:.2f} | {bound:.2f} | {aimd['wall'] / bound:.3f}x | <= 1.10x | {aimd['server_submits']} | {aimd['server_429']} | {aimd['total'] - aimd['saved']} |"
    )
    print()
    print(
        f"Journal cost per item (add + 4 commits + 1 read): {normal:.0f} us (synchronous=NORMAL, the default), {full:.0f} us (durable=True: FULL)."
    )
    print(
        f"Client CPU per item (unlimited run, whole process: upload-free submit, polls, download, hash, journal): {cpu_ms:.2f} ms, i.e. about {1000 / cpu_ms:.0f} items/s per core."
    )


if __name__ == "__main__":
    main()
