"""Deadline: `edit(timeout=T)` against stalled servers; how far past T does the call return?

Scenarios, each on the raw loopback server (`bench._rawserver`, pinned to CPU 1):
  * submit stalls — the POST is read and never answered;
  * result stalls — submit answers "created", every GET result is read and never answered;
  * never completes — every GET result answers "processing";
  * result trickles / submit trickles — headers at once, then the body one byte every 0.5 s
    (issue 13: httpx timeouts are per read, so before the fix `edit(timeout=2)` took 53 s).
The trickle scenarios run with both clients (sync and async).
Overshoot = (elapsed - T) / T; the target is elapsed - T <= 5 % of T + 100 ms. The official SDK is run on the same scenarios for comparison
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
    "result body trickles (1 byte / 0.5 s)": ["--result", "trickle"],
    "submit body trickles (1 byte / 0.5 s)": ["--submit", "trickle"],
}
QUICK = {"submit never answered", "result body trickles (1 byte / 0.5 s)"}  # smoke mode: two
ASYNC_TOO = {"result body trickles (1 byte / 0.5 s)", "submit body trickles (1 byte / 0.5 s)"}


def call_step1x(base: str, timeout: float) -> tuple[float, str]:
    import step1x_edit._api  # noqa: F401 - the one-time lazy import, outside the timed call
    from step1x_edit import Step1XEdit

    with Step1XEdit(api_key=API_KEY, base_url=base) as client:  # construction (~20-50 ms) not timed
        t0 = time.monotonic()
        try:
            p = client.edit(**INPUT, timeout=timeout)
        except Exception as exc:
            return time.monotonic() - t0, f"`{type(exc).__name__}`"
        return time.monotonic() - t0, f"returned {p.status}"


def call_step1x_async(base: str, timeout: float) -> tuple[float, str]:
    import asyncio

    import step1x_edit._api  # noqa: F401
    from step1x_edit import AsyncStep1XEdit

    async def go() -> tuple[float, str]:
        async with AsyncStep1XEdit(api_key=API_KEY, base_url=base) as client:
            t0 = time.monotonic()
            try:
                p = await client.edit(**INPUT, timeout=timeout)
            except Exception as exc:
                return time.monotonic() - t0, f"`{type(exc).__name__}`"
            return time.monotonic() - t0, f"returned {p.status}"

    return asyncio.run(go())


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
    """(elapsed, outcome): our calls time the edit() call itself; the SDK's run() is timed whole."""
    if fn in (call_step1x, call_step1x_async):
        return fn(base, timeout)  # type: ignore[operator, no-any-return]
    t0 = time.monotonic()
    outcome = fn(base, timeout)  # type: ignore[operator]
    return time.monotonic() - t0, outcome


def run(quick: bool) -> Section:
    timeout = 1.5 if quick else 2.0  # edit() needs more than MIN_SUBMIT_BUDGET (1 s)
    reps = 1 if quick else 5
    try:
        import wavespeed  # noqa: F401

        sdk = not quick
    except ImportError:
        sdk = False
    section = Section(
        "Deadline: overshoot of `timeout=` against a stalled or trickling server",
        f"`edit(timeout={timeout:g})` with a fresh client, {reps} run(s) per scenario; elapsed = the "
        "`edit()` call itself (client construction and the one-time lazy import are outside it); "
        f"overshoot = (elapsed - {timeout:g} s) / {timeout:g} s; raw loopback server. The trickle "
        "scenarios send the headers at once, then one body byte every 0.5 s (issue 13); the SDK is "
        "not run on them (about a minute per run).",
        ["scenario", "client", "elapsed s (median)", "elapsed max", "overshoot (worst)", "outcome"],
    )
    worst_overall = float("nan")
    worst_excess = float("nan")
    for name, args in SCENARIOS.items():
        if quick and name not in QUICK:
            continue
        with helper(["bench._rawserver", *args], cpu=1) as server:
            clients = [("`step1x_edit`", call_step1x)]
            if name in ASYNC_TOO:
                clients.append(("`step1x_edit` async", call_step1x_async))
            for label, fn in clients:
                runs = [measure(fn, server.base_url, timeout) for _ in range(reps)]
                elapsed = [e for e, _ in runs]
                worst = (max(elapsed) - timeout) / timeout
                excess = max(elapsed) - timeout - (0.05 * timeout + 0.1)
                worst_overall = worst if worst_overall != worst_overall else max(worst_overall, worst)
                worst_excess = excess if worst_excess != worst_excess else max(worst_excess, excess)
                section.rows.append(
                    [
                        name,
                        label,
                        fmt(median(elapsed), 3),
                        fmt(max(elapsed), 3),
                        f"{worst * 100:+.1f} %",
                        ", ".join(sorted({o for _, o in runs})),
                    ]
                )
            if sdk and name not in ASYNC_TOO:  # the SDK takes ~1 min per trickle run; not repeated
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
            "deadline overshoot (worst run, all scenarios, trickling bodies included)",
            "≤ 5 % + 100 ms",
            f"{worst_overall * 100:+.1f} % ({(worst_overall * timeout) * 1000:+.0f} ms)",
            bool(worst_excess <= 0) if worst_excess == worst_excess else None,
        )
    )
    return section
