"""Deadline: `edit(timeout=T)` against stalled servers; how far past T does the call return?

Scenarios, each on the raw loopback server (`bench._rawserver`, pinned to CPU 1):
  * submit stalls — the POST is read and never answered;
  * result stalls — submit answers "created", every GET result is read and never answered;
  * never completes — every GET result answers "processing".
Overshoot = (elapsed - T) / T. The official SDK is run on the same scenarios for comparison
(`run(timeout=T)`, its retry_interval lowered to 0.05 s so a run stays short), when installed.
"""

from __future__ import annotations

import contextlib
import io
import time

from bench._common import API_KEY, INPUT, MODEL, Section, Target, fmt, helper, median

SCENARIOS = {
    "submit never answered": ["--submit", "stall"],
    "result never answered": ["--result", "stall"],
    "job never completes (always processing)": ["--result", "processing"],
}


def call_step1x(base: str, timeout: float) -> str:
    from step1x_edit import Step1XEdit

    with Step1XEdit(api_key=API_KEY, base_url=base) as client:
        try:
            p = client.edit(**INPUT, timeout=timeout)
        except Exception as exc:
            return f"`{type(exc).__name__}`"
    return f"returned {p.status}"


def call_wavespeed(base: str, timeout: float) -> str:
    import wavespeed

    client = wavespeed.Client(api_key=API_KEY, base_url=base, retry_interval=0.05)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            client.run(MODEL, dict(INPUT), timeout=timeout)
        except Exception as exc:
            return f"`{type(exc).__name__}`"
    return "returned"


def measure(fn: object, base: str, timeout: float) -> tuple[float, str]:
    t0 = time.monotonic()
    outcome = fn(base, timeout)  # type: ignore[operator]
    return time.monotonic() - t0, outcome


def run(quick: bool) -> Section:
    timeout = 0.5 if quick else 2.0
    reps = 1 if quick else 5
    try:
        import wavespeed  # noqa: F401

        sdk = not quick
    except ImportError:
        sdk = False
    section = Section(
        "Deadline: overshoot of `timeout=` against a stalled server",
        f"`edit(timeout={timeout:g})` with a fresh client, {reps} run(s) per scenario; overshoot = "
        f"(elapsed - {timeout:g} s) / {timeout:g} s; raw loopback server.",
        ["scenario", "client", "elapsed s (median)", "elapsed max", "overshoot (worst)", "outcome"],
    )
    worst_overall = float("nan")
    for name, args in SCENARIOS.items():
        with helper(["bench._rawserver", *args], cpu=1) as server:
            runs = [measure(call_step1x, server.base_url, timeout) for _ in range(reps)]
            elapsed = [e for e, _ in runs]
            worst = (max(elapsed) - timeout) / timeout
            worst_overall = worst if worst_overall != worst_overall else max(worst_overall, worst)
            section.rows.append(
                [
                    name,
                    "`step1x_edit`",
                    fmt(median(elapsed), 3),
                    fmt(max(elapsed), 3),
                    f"{worst * 100:+.1f} %",
                    ", ".join(sorted({o for _, o in runs})),
                ]
            )
            if sdk:
                e, outcome = measure(call_wavespeed, server.base_url, timeout)
                section.rows.append(
                    [
                        name,
                        "official `wavespeed` SDK (1 run)",
                        fmt(e, 3),
                        fmt(e, 3),
                        f"{(e - timeout) / timeout * 100:+.1f} %",
                        outcome,
                    ]
                )
    section.targets.append(
        Target(
            "deadline overshoot (worst run, all scenarios)",
            "≤ 5 %",
            f"{worst_overall * 100:+.1f} %",
            bool(worst_overall <= 0.05) if worst_overall == worst_overall else None,
        )
    )
    return section
