"""Concurrency: 200 edits through `AsyncStep1XEdit`, 16 in flight, sandbox jobs of 0.5 s.

The sandbox runs in its own process (pinned to CPU 1); the client runs in a worker process
(`python -m bench.concurrency --worker ...`, pinned to CPU 0) so its peak RSS is its own.
The issue's ideal is 200 / 16 x 0.5 s = 6.25 s (perfect packing, zero client overhead, zero
detection delay). A second pass under tracemalloc gives
the peak of Python allocations made during the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
import tracemalloc
from typing import Any

from bench._common import API_KEY, INPUT, Section, Target, fmt, helper, run_worker

CREATED_S = 0.0


async def batch(base: str, edits: int, inflight: int) -> dict[str, Any]:
    from step1x_edit import AsyncStep1XEdit

    sem = asyncio.Semaphore(inflight)
    statuses: dict[str, int] = {}
    errors: list[str] = []

    async with AsyncStep1XEdit(api_key=API_KEY, base_url=base, max_retries=2) as client:

        async def one() -> None:
            async with sem:
                try:
                    p = await client.edit(**INPUT, timeout=60.0)
                    statuses[p.status] = statuses.get(p.status, 0) + 1
                except Exception as exc:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])

        t0 = time.monotonic()
        await asyncio.gather(*(one() for _ in range(edits)))
        wall = time.monotonic() - t0
    return {"wall": wall, "statuses": statuses, "errors": errors[:5], "error_count": len(errors)}


def worker(base: str, edits: int, inflight: int) -> dict[str, Any]:
    import step1x_edit  # noqa: F401  (imported before the baseline RSS)

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timed = asyncio.run(batch(base, edits, inflight))
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    traced = asyncio.run(batch(base, edits, inflight))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {**timed, "rss_before_kib": rss0, "rss_peak_kib": rss1, "traced_peak": peak, "traced_wall": traced["wall"]}


def run(quick: bool) -> Section:
    edits, inflight, job = (32, 8, 0.2) if quick else (200, 16, 0.5)
    ideal = edits / inflight * job
    config = json.dumps({"created_seconds": CREATED_S, "processing_seconds": job - CREATED_S})
    with helper(["bench._sandbox", config], cpu=1) as server:
        data = run_worker(
            ["bench.concurrency", "--worker", server.base_url, str(edits), str(inflight)], cpu=0, timeout=600
        )
        stats = server.command("stats")
    ratio = data["wall"] / ideal
    section = Section(
        "Concurrency: many edits through `AsyncStep1XEdit`",
        f"{edits} `edit()` calls, {inflight} in flight (`asyncio.Semaphore`), one client, sandbox jobs of "
        f"{job:g} s in a separate process. Ideal = {edits} / {inflight} x {job:g} s = {ideal:.2f} s. "
        "The sandbox counted the requests of both passes (timed pass and tracemalloc pass).",
        [
            "edits",
            "in flight",
            "wall s",
            "ideal s",
            "ratio",
            "peak RSS MiB (before → after)",
            "tracemalloc peak MiB",
            "outcomes",
        ],
    )
    outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(data["statuses"].items()))
    if data["error_count"]:
        outcomes += f"; {data['error_count']} errors, e.g. {data['errors'][0]}"
    section.rows.append(
        [
            str(edits),
            str(inflight),
            fmt(data["wall"], 2),
            fmt(ideal, 2),
            f"{fmt(ratio, 2)}x",
            f"{fmt(data['rss_before_kib'] / 1024, 1)} → {fmt(data['rss_peak_kib'] / 1024, 1)}",
            fmt(data["traced_peak"] / 2**20, 2),
            outcomes,
        ]
    )
    per_edit = {k: v / (2 * edits) for k, v in stats.items() if isinstance(v, (int, float))}
    if per_edit:
        section.notes.append(
            "Requests per edit (sandbox counters / (2 x edits)): "
            + ", ".join(f"{k} {fmt(v, 2)}" for k, v in sorted(per_edit.items()))
        )
    section.targets.append(
        Target("wall vs ideal", "≤ 1.25x", f"{fmt(ratio, 2)}x", bool(ratio <= 1.25) and not data["error_count"])
    )
    return section


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs=3, metavar=("BASE_URL", "EDITS", "INFLIGHT"), required=True)
    args = parser.parse_args()
    base, edits, inflight = args.worker
    print(json.dumps(worker(base, int(edits), int(inflight))))


if __name__ == "__main__":
    main()
