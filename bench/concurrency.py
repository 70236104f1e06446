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

        t0, c0 = time.monotonic(), time.process_time()
        await asyncio.gather(*(one() for _ in range(edits)))
        wall, cpu = time.monotonic() - t0, time.process_time() - c0
    return {"wall": wall, "cpu": cpu, "statuses": statuses, "errors": errors[:5], "error_count": len(errors)}


def worker(base: str, edits: int, inflight: int, trace: bool = True) -> dict[str, Any]:
    import step1x_edit  # noqa: F401  (imported before the baseline RSS)

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timed = asyncio.run(batch(base, edits, inflight))
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if not trace:
        return {**timed, "rss_before_kib": rss0, "rss_peak_kib": rss1}
    tracemalloc.start()
    traced = asyncio.run(batch(base, edits, inflight))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {**timed, "rss_before_kib": rss0, "rss_peak_kib": rss1, "traced_peak": peak, "traced_wall": traced["wall"]}


def scale(quick: bool, job: float) -> dict[str, Any]:
    """The same worker at scale (no tracemalloc pass): many more edits, many more in flight."""
    edits, inflight = (128, 64) if quick else (2000, 256)
    config = json.dumps({"created_seconds": CREATED_S, "processing_seconds": job - CREATED_S})
    with helper(["bench._sandbox", config], cpu=1) as server:
        data = run_worker(
            ["bench.concurrency", "--worker", server.base_url, str(edits), str(inflight), "--no-trace"],
            cpu=0,
            timeout=900,
        )
    return {**data, "edits": edits, "inflight": inflight}


def run(quick: bool) -> Section:
    edits, inflight, job = (32, 8, 0.2) if quick else (200, 16, 0.5)
    ideal = edits / inflight * job
    config = json.dumps({"created_seconds": CREATED_S, "processing_seconds": job - CREATED_S})
    with helper(["bench._sandbox", config], cpu=1) as server:
        data = run_worker(
            ["bench.concurrency", "--worker", server.base_url, str(edits), str(inflight)], cpu=0, timeout=600
        )
        stats = server.command("stats")
    big = scale(quick, job)
    ratio = data["wall"] / ideal
    section = Section(
        "Concurrency: many edits through `AsyncStep1XEdit`",
        f"{edits} `edit()` calls, {inflight} in flight (`asyncio.Semaphore`), one client, sandbox (uvicorn) jobs "
        f"of {job:g} s in a separate process. Ideal = {edits} / {inflight} x {job:g} s = {ideal:.2f} s. "
        "The sandbox counted the requests of both passes (timed pass and tracemalloc pass). Client CPU is "
        "`time.process_time()` of the client process over the timed pass, so wall can be told apart from "
        "what two shared cores allow; the scale row is a second run (no tracemalloc pass) with "
        f"{big['edits']} edits, {big['inflight']} in flight.",
        [
            "edits",
            "in flight",
            "wall s",
            "ideal s",
            "ratio",
            "client CPU s (ms / edit)",
            "peak RSS MiB (before → after)",
            "tracemalloc peak MiB",
            "outcomes",
        ],
    )

    def outcomes(d: dict[str, Any]) -> str:
        text = ", ".join(f"{k}: {v}" for k, v in sorted(d["statuses"].items()))
        if d["error_count"]:
            text += f"; {d['error_count']} errors, e.g. {d['errors'][0]}"
        return text

    big_ideal = big["edits"] / big["inflight"] * job
    for d, n, k, ide in ((data, edits, inflight, ideal), (big, big["edits"], big["inflight"], big_ideal)):
        section.rows.append(
            [
                str(n),
                str(k),
                fmt(d["wall"], 2),
                fmt(ide, 2),
                f"{fmt(d['wall'] / ide, 2)}x",
                f"{fmt(d['cpu'], 2)} ({fmt(d['cpu'] / n * 1e3, 2)})",
                f"{fmt(d['rss_before_kib'] / 1024, 1)} → {fmt(d['rss_peak_kib'] / 1024, 1)}",
                fmt(d["traced_peak"] / 2**20, 2) if "traced_peak" in d else "—",
                outcomes(d),
            ]
        )
    per_edit = {k: v / (2 * edits) for k, v in stats.items() if isinstance(v, (int, float))}
    if per_edit:
        section.notes.append(
            "Requests per edit (sandbox counters / (2 x edits)): "
            + ", ".join(f"{k} {fmt(v, 2)}" for k, v in sorted(per_edit.items()))
        )
    section.targets.append(
        Target(
            f"{edits} edits, {inflight} in flight: wall vs ideal",
            "≤ 1.10x",
            f"{fmt(ratio, 2)}x",
            bool(ratio <= 1.10) and not data["error_count"],
        )
    )
    cpu_ratio = (big["cpu"] / big["edits"]) / (data["cpu"] / edits) if data["cpu"] else float("nan")
    section.targets.append(
        Target(
            f"{big['edits']} edits, {big['inflight']} in flight: client CPU per edit vs {inflight} in flight",
            "≤ 1.2x",
            f"{fmt(cpu_ratio, 2)}x",
            bool(cpu_ratio <= 1.2) and not big["error_count"],
        )
    )
    return section


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs=3, metavar=("BASE_URL", "EDITS", "INFLIGHT"), required=True)
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc pass")
    args = parser.parse_args()
    base, edits, inflight = args.worker
    print(json.dumps(worker(base, int(edits), int(inflight), trace=not args.no_trace)))


if __name__ == "__main__":
    main()
