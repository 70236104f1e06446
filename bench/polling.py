"""Polling: how soon a finished job is noticed, and how many requests it costs.

Jobs of 0.5 / 2 / 8 / 30 s on the sandbox (`created_seconds` + `processing_seconds` = the job's
duration, measured from the moment the sandbox accepts the submit). Every job gets its own
sandbox process (pinned to CPU 1), so its request counters belong to that job alone; all jobs of
one repetition run concurrently in threads (they are mostly asleep, so this does not distort
the figures, and a 30 s job does not make the run 4x longer).

Detection delay = (time `edit()` / `run()` returned) - (time the call started + job duration).
It is slightly pessimistic: it also contains the submit's own latency (about a millisecond).
"""

from __future__ import annotations

import contextlib
import io
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

from bench._common import API_KEY, INPUT, MODEL, Helper, Section, Target, fmt, helper, median

CREATED_S = 0.05


@dataclass
class Outcome:
    delay: float
    submits: int
    results: int
    error: str = ""


def sandbox_config(duration: float) -> str:
    import json

    return json.dumps({"created_seconds": CREATED_S, "processing_seconds": duration - CREATED_S})


def counts(server: Helper) -> tuple[int, int]:
    stats = server.command("stats")
    return int(stats.get("submit", 0)), int(stats.get("result", 0))


def job_step1x(base: str, duration: float) -> float:
    from step1x_edit import Step1XEdit

    with Step1XEdit(api_key=API_KEY, base_url=base) as client:  # fresh client: nothing learned yet
        t0 = time.monotonic()
        p = client.edit(**INPUT, timeout=duration * 2 + 30)
        t1 = time.monotonic()
    if p.status != "completed":
        raise RuntimeError(f"status {p.status}")
    return t1 - t0


def job_fixed(base: str, duration: float) -> float:
    """The official SDK's `run()` (poll at once, then every 1.0 s); a same-behaviour httpx loop without it."""
    try:
        import wavespeed
    except ImportError:
        wavespeed = None
    t0 = time.monotonic()
    if wavespeed is not None:
        with contextlib.redirect_stdout(io.StringIO()):
            out = wavespeed.Client(api_key=API_KEY, base_url=base).run(
                MODEL, dict(INPUT), timeout=duration * 2 + 30, poll_interval=1.0
            )
        if not out.get("outputs"):
            raise RuntimeError(out)
        return time.monotonic() - t0
    import httpx

    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        pid = client.post(f"/api/v3/{MODEL}", json=INPUT).json()["data"]["id"]
        while True:
            if client.get(f"/api/v3/predictions/{pid}/result").json()["data"]["status"] == "completed":
                return time.monotonic() - t0
            time.sleep(1.0)


_LEARNED: dict[str, object] = {}  # base URL -> the one client that has seen this sandbox's jobs
WARM_UP = 3


def learned_client(base: str) -> object:
    from step1x_edit import Step1XEdit

    return _LEARNED.setdefault(base, Step1XEdit(api_key=API_KEY, base_url=base))


def job_learned(base: str, duration: float) -> float:
    """The same client for every job of this sandbox: it has seen WARM_UP jobs before the first
    measured one (issue 12: detection delay once the client has seen a few)."""
    client = learned_client(base)
    t0 = time.monotonic()
    p = client.edit(**INPUT, timeout=duration * 2 + 30)  # type: ignore[attr-defined]
    t1 = time.monotonic()
    if p.status != "completed":
        raise RuntimeError(f"status {p.status}")
    return t1 - t0


VARIANTS = {"step1x_edit": job_step1x, "step1x_edit learned": job_learned, "fixed 1 s": job_fixed}


def one(server: Helper, variant: str, duration: float) -> Outcome:
    s0, r0 = counts(server)
    try:
        elapsed = VARIANTS[variant](server.base_url, duration)
        error = ""
    except Exception as exc:
        elapsed, error = float("nan"), f"{type(exc).__name__}: {exc}"[:200]
    s1, r1 = counts(server)
    return Outcome(elapsed - duration, s1 - s0, r1 - r0, error)


def run(quick: bool) -> Section:
    durations = [0.2, 0.5] if quick else [0.5, 2.0, 8.0, 30.0]
    reps = 1 if quick else 3
    try:
        import wavespeed  # noqa: F401

        fixed_label = "fixed 1 s poll (official `wavespeed` SDK `run()`, poll_interval=1.0)"
    except ImportError:
        fixed_label = "fixed 1 s poll (the official SDK's loop, re-implemented over httpx)"
    jobs = [(v, d) for d in durations for v in VARIANTS]
    results: dict[tuple[str, float], list[Outcome]] = {job: [] for job in jobs}
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        servers = dict(
            zip(
                jobs,
                pool.map(
                    lambda job: stack.enter_context(helper(["bench._sandbox", sandbox_config(job[1])], cpu=1)), jobs
                ),
                strict=True,
            )
        )
        warm = [pool.submit(lambda job: [VARIANTS[job[0]](servers[job].base_url, job[1]) for _ in range(WARM_UP)], job)
                for job in jobs if job[0] == "step1x_edit learned"]  # fmt: skip
        for future in warm:
            future.result()
        for _ in range(reps):
            futures = {job: pool.submit(one, servers[job], *job) for job in jobs}
            for job, future in futures.items():
                results[job].append(future.result())
    section = Section(
        "Polling: detection delay and requests per job",
        f"{reps} repetition(s); all jobs of a repetition run concurrently, each against its own sandbox "
        "process; a fresh client per job (nothing learned from earlier jobs), and one client per job length "
        f"that has run {WARM_UP} jobs of that length first (warm-up not counted). Delay = return time - "
        "(call start + job duration); requests counted by the sandbox.",
        [
            "job",
            "client",
            "detection delay ms (median)",
            "delay range ms",
            "result requests (median)",
            "submits",
            "delay target (≤ 50 ms + 25 %)",
        ],
    )
    for client in _LEARNED.values():
        client.close()  # type: ignore[attr-defined]
    _LEARNED.clear()
    errors: list[str] = []
    for d in durations:
        for v in VARIANTS:
            outs = results[(v, d)]
            good = [o for o in outs if not o.error]
            errors += [f"{v} {d} s: {o.error}" for o in outs if o.error]
            delays = [o.delay * 1e3 for o in good]
            limit = (0.05 + 0.25 * d) * 1e3
            section.rows.append(
                [
                    f"{d:g} s",
                    {
                        "step1x_edit": "`step1x_edit` (fresh client)",
                        "step1x_edit learned": f"`step1x_edit` (one client, after {WARM_UP} jobs)",
                    }.get(v, fixed_label),
                    fmt(median(delays), 0),
                    f"{fmt(min(delays), 0)}-{fmt(max(delays), 0)}" if delays else "n/a",
                    fmt(median([o.results for o in good]), 0) if good else "n/a",
                    fmt(max(o.submits for o in good), 0) if good else "n/a",
                    f"{limit:.0f} ms",
                ]
            )
            if v.startswith("step1x_edit"):
                learned = v == "step1x_edit learned"
                goal = 0.05 + (0.10 if learned else 0.25) * d
                worst = max(delays) if delays else float("nan")
                section.targets.append(
                    Target(
                        f"{d:g} s job, {'after ' + str(WARM_UP) + ' jobs' if learned else 'fresh client'}: detection delay (worst of {len(delays)})",
                        f"≤ {goal * 1e3:.0f} ms"
                        + ("" if learned else f" (stretch ≤ {(0.05 + 0.10 * d) * 1e3:.0f} ms)"),
                        f"{fmt(worst, 0)} ms"
                        + (" (stretch met)" if not learned and worst <= (0.05 + 0.10 * d) * 1e3 else ""),
                        bool(worst <= goal * 1e3) if delays else None,
                    )
                )
                if d == 30.0:
                    most = max(o.results for o in good) if good else -1
                    section.targets.append(
                        Target(
                            f"30 s job, {'after ' + str(WARM_UP) + ' jobs' if learned else 'fresh client'}: result requests (worst)",
                            "≤ 20",
                            str(most),
                            0 <= most <= 20 if good else None,
                        )
                    )
    if errors:
        section.notes.append("Errors: " + "; ".join(errors))
    if quick:
        section.notes.append("Quick mode: short jobs only (0.2 s and 0.5 s), one repetition.")
    return section
