"""Client overhead per submit + result round trip against the raw loopback server.

The parent starts `bench._rawserver` (pinned to CPU 1) and runs this module as a worker
(`python -m bench.overhead --worker BASE_URL N ROUNDS`, pinned to CPU 0). The worker measures
`time.process_time()` (client CPU) and `time.perf_counter()` (wall) around N round trips per
variant; variants are interleaved round by round (A B C, B C A, C A B, ...) and every variant
does a warm-up first. One round trip = POST submit (answered "created") + GET result (answered
"completed") + JSON parse + status check, for every variant.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from bench._common import (
    API_KEY,
    INPUT,
    MODEL,
    Section,
    Target,
    fmt,
    helper,
    median,
    pair_ratios,
    pinning_note,
    run_worker,
)

Variant = tuple[Callable[[int], None], Callable[[], None]]  # (run n round trips, close)


def make_httpx(base: str) -> Variant:
    import httpx

    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {API_KEY}"})

    def run(n: int) -> None:
        for _ in range(n):
            r = client.post(f"/api/v3/{MODEL}", json=INPUT)
            r.raise_for_status()
            pid = r.json()["data"]["id"]
            r = client.get(f"/api/v3/predictions/{pid}/result")
            r.raise_for_status()
            data = r.json()["data"]
            if data["status"] != "completed" or not data["outputs"]:
                raise RuntimeError(data)

    return run, client.close


def make_step1x_submit_get(base: str) -> Variant:
    from step1x_edit import Step1XEdit

    client = Step1XEdit(api_key=API_KEY, base_url=base)

    def run(n: int) -> None:
        for _ in range(n):
            p = client.submit(**INPUT)
            r = client.get(p.id)
            if r.status != "completed" or not r.outputs:
                raise RuntimeError(r)

    return run, client.close


def make_step1x_edit(base: str) -> Variant:
    """`edit()` with a poll policy whose first poll is immediate (the SDK's `run()` pattern)."""
    from step1x_edit import PollPolicy, Step1XEdit

    client = Step1XEdit(api_key=API_KEY, base_url=base, poll=immediate_poll_policy(PollPolicy))

    def run(n: int) -> None:
        for _ in range(n):
            r = client.edit(**INPUT, timeout=60.0)
            if r.status != "completed" or not r.outputs:
                raise RuntimeError(r)

    return run, client.close


def immediate_poll_policy(cls: Any) -> Any:
    """A PollPolicy whose first poll happens at once (1 µs: `first` must be > 0), not rescaled by learning."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    if "first" in names:
        return cls(first=1e-6, learn=False)
    raise RuntimeError(f"PollPolicy has no first-poll field (fields: {sorted(names)})")


_LOOP: asyncio.AbstractEventLoop | None = None


def loop() -> asyncio.AbstractEventLoop:
    """One event loop for every async variant of a worker, so pooled connections stay usable."""
    global _LOOP
    if _LOOP is None:
        _LOOP = asyncio.new_event_loop()
    return _LOOP


def make_httpx_async(base: str) -> Variant:
    import httpx

    client = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {API_KEY}"})

    async def go(n: int) -> None:
        for _ in range(n):
            r = await client.post(f"/api/v3/{MODEL}", json=INPUT)
            r.raise_for_status()
            pid = r.json()["data"]["id"]
            r = await client.get(f"/api/v3/predictions/{pid}/result")
            r.raise_for_status()
            data = r.json()["data"]
            if data["status"] != "completed" or not data["outputs"]:
                raise RuntimeError(data)

    return (lambda n: loop().run_until_complete(go(n))), (lambda: loop().run_until_complete(client.aclose()))


def make_step1x_async_edit(base: str) -> Variant:
    """`AsyncStep1XEdit.edit()` with the first poll immediate."""
    from step1x_edit import AsyncStep1XEdit, PollPolicy

    client = AsyncStep1XEdit(api_key=API_KEY, base_url=base, poll=immediate_poll_policy(PollPolicy))

    async def go(n: int) -> None:
        for _ in range(n):
            r = await client.edit(**INPUT, timeout=60.0)
            if r.status != "completed" or not r.outputs:
                raise RuntimeError(r)

    return (lambda n: loop().run_until_complete(go(n))), (lambda: loop().run_until_complete(client.aclose()))


def make_wavespeed(base: str) -> Variant:
    import wavespeed

    client = wavespeed.Client(api_key=API_KEY, base_url=base)

    def run(n: int) -> None:
        for _ in range(n):
            out = client.run(MODEL, dict(INPUT))
            if not out["outputs"]:
                raise RuntimeError(out)

    return run, lambda: None


FACTORIES: dict[str, Callable[[str], Variant]] = {
    "httpx": make_httpx,
    "step1x_edit": make_step1x_submit_get,
    "step1x_edit.edit": make_step1x_edit,
    "wavespeed": make_wavespeed,
    "httpx.async": make_httpx_async,
    "step1x_edit.async.edit": make_step1x_async_edit,
}
BASES = {"httpx.async": "httpx.async", "step1x_edit.async.edit": "httpx.async"}  # others: "httpx"
"""Each row's ratios are against the bare client of its own kind (sync or async), same round."""
LABELS = {
    "httpx": "bare shared `httpx.Client` (2 requests, JSON parse)",
    "step1x_edit": "`Step1XEdit.submit()` + `.get()`",
    "step1x_edit.edit": "`Step1XEdit.edit()` (first poll immediate, finds it completed)",
    "wavespeed": "official `wavespeed` 2.0.5 `Client.run()`",
    "httpx.async": "bare shared `httpx.AsyncClient` (2 requests, JSON parse)",
    "step1x_edit.async.edit": "`AsyncStep1XEdit.edit()` (first poll immediate, finds it completed)",
}


def stats(base: str, path: str) -> dict[str, int]:
    with urllib.request.urlopen(urllib.request.Request(base + path, method="GET"), timeout=10) as resp:
        result: dict[str, int] = json.loads(resp.read() or b"{}")
        return result


def worker(base: str, n: int, rounds: int, warmup: int) -> dict[str, Any]:
    variants: dict[str, Variant] = {}
    errors: dict[str, str] = {}
    for name, factory in FACTORIES.items():
        try:
            variant = factory(base)
            with contextlib.redirect_stdout(io.StringIO()):
                variant[0](warmup)
            variants[name] = variant
        except Exception as exc:  # a variant that cannot run is reported, not fatal
            errors[name] = f"{type(exc).__name__}: {exc}"[:300]
    names = list(variants)
    results: dict[str, dict[str, list[float]]] = {k: {"cpu": [], "wall": [], "conns": []} for k in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)] if names else []
        for name in order:
            run = variants[name][0]
            stats(base, "/__reset")
            w0, c0 = time.perf_counter(), time.process_time()
            run(n)
            c1, w1 = time.process_time(), time.perf_counter()
            conns = stats(base, "/__stats")["connections"] - 1  # minus the stats request itself
            results[name]["cpu"].append((c1 - c0) / n * 1e6)
            results[name]["wall"].append((w1 - w0) / n * 1e6)
            results[name]["conns"].append(float(conns))
    for _, close in variants.values():
        close()
    return {"n": n, "rounds": rounds, "results": results, "errors": errors}


def run(quick: bool) -> Section:
    n, rounds, warmup = (50, 3, 10) if quick else (500, 11, 20)
    with helper(["bench._rawserver"], cpu=1) as server:
        data = run_worker(
            ["bench.overhead", "--worker", server.base_url, str(n), str(rounds), str(warmup)], cpu=0, timeout=900
        )
    res: dict[str, dict[str, list[float]]] = data["results"]
    section = Section(
        "Overhead: client CPU and wall per submit + result round trip",
        f"{n} round trips per measurement, {rounds} interleaved rounds (order rotated each round), "
        f"after a {warmup}-round-trip warm-up; raw asyncio HTTP/1.1 server on 127.0.0.1, {pinning_note()}. "
        "CPU is `time.process_time()` of the client process; ratios are medians of per-round ratios "
        "against the bare client of the same kind (`httpx.Client` for sync rows, `httpx.AsyncClient` for "
        "async rows, one event loop for all async rows) measured in the same round; the spread is the "
        "lowest-highest per-round CPU ratio.",
        [
            "variant",
            "client CPU µs / round trip",
            "wall µs / round trip",
            "CPU ratio vs bare httpx (spread)",
            "wall ratio vs bare httpx",
            "TCP connections per measurement",
        ],
    )

    def ratios(name: str, key: str) -> list[float]:
        base = res.get(BASES.get(name, "httpx"))
        return pair_ratios(res[name][key], base[key]) if base and name in res else []

    for name in FACTORIES:
        if name not in res:
            if name in data["errors"]:
                section.rows.append([LABELS[name], "n/a", "n/a", "n/a", "n/a", f"not run: {data['errors'][name]}"])
            continue
        r = res[name]
        cpu_r, wall_r = ratios(name, "cpu"), ratios(name, "wall")
        cpu_cell = f"{fmt(median(cpu_r), 2)}x ({fmt(min(cpu_r), 2)}-{fmt(max(cpu_r), 2)})" if cpu_r else "n/a"
        section.rows.append(
            [
                LABELS[name],
                fmt(median(r["cpu"]), 0),
                fmt(median(r["wall"]), 0),
                cpu_cell,
                f"{fmt(median(wall_r), 2)}x" if wall_r else "n/a",
                fmt(median(r["conns"]), 0),
            ]
        )
    section.notes.append(
        "Fairness: the headline `step1x_edit` row is `submit()` + `get()`, exactly the two requests the bare "
        "httpx loop and the SDK's `run()` send when the first poll finds the task completed (the SDK polls "
        "at once). It includes input validation, envelope checks and building the `Prediction`. The `edit()` "
        "rows send the same two requests and also go through the polling/deadline machinery (first poll "
        "after 1 µs, `PollPolicy(first=1e-6, learn=False)`)."
    )
    for name, what, goal in (
        ("step1x_edit", "client CPU, `submit()` + `get()` vs bare `httpx.Client`", 1.10),
        ("step1x_edit.edit", "client CPU, `Step1XEdit.edit()` vs bare `httpx.Client`", 1.15),
        ("step1x_edit.async.edit", "client CPU, `AsyncStep1XEdit.edit()` vs bare `httpx.AsyncClient`", 1.15),
    ):
        got = ratios(name, "cpu")
        if got:
            ratio = median(got)
            section.targets.append(Target(what, f"≤ {goal:.2f}x", f"{fmt(ratio, 2)}x", bool(ratio <= goal)))
        else:
            section.targets.append(Target(what, f"≤ {goal:.2f}x", "n/a", None))
    if "wavespeed" in res:
        ratio_sdk = median(ratios("wavespeed", "cpu"))
        section.notes.append(f"Official SDK client CPU: {fmt(ratio_sdk, 2)}x bare httpx (research notes: 2.2x).")
    return section


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs=4, metavar=("BASE_URL", "N", "ROUNDS", "WARMUP"), required=True)
    args = parser.parse_args()
    base, n, rounds, warmup = args.worker
    print(json.dumps(worker(base, int(n), int(rounds), int(warmup))))


if __name__ == "__main__":
    main()
