"""The pytest plugin's speed: 100 ``edit()`` calls through the ``step1x_sandbox`` fixture.

``python -m bench --only fixture`` (a section of bench/RESULTS.md) or ``python -m bench.fixture
[--rounds N]`` (one line) runs a user test file in a fresh pytest process pinned
to one CPU (taskset, when there is one) and prints the wall and CPU time of the 100 calls,
measured inside the test. Default settings of the fixture: zero-duration jobs, in-process
transport, the test poll schedule. Reported in bench/RESULTS.md (not a timed test).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._common import PYTHON, Section, Target, median, pin

USER_TEST = """
import time

def test_hundred_edits(step1x_sandbox):
    client = step1x_sandbox.client()
    client.edit(prompt="warm-up", image="https://example.invalid/in.png")
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(100):
        client.edit(prompt="make the sky purple", image="https://example.invalid/in.png", seed=i)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(step1x_sandbox.submits) == 101
    print(f"BENCH {elapsed:.4f} {cpu:.4f} polls={len(step1x_sandbox.polls) - 1}")
"""


def measure(rounds: int) -> list[tuple[float, float, int]]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "test_bench_fixture.py").write_text(USER_TEST)
        for _ in range(rounds):
            out = subprocess.run(
                [*pin(0), PYTHON, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", tmp],
                capture_output=True, text=True, check=True, cwd=tmp,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            )  # fmt: skip
            line = next(x for x in out.stdout.splitlines() if "BENCH " in x)
            figures, polls = line.split("BENCH ", 1)[1].split(" polls=")
            wall, cpu = figures.split()
            results.append((float(wall), float(cpu), int(polls)))
    return results


def run(quick: bool) -> Section:
    """The benchmark section for ``python -m bench`` (``--only fixture``)."""
    results = measure(2 if quick else 7)
    walls, cpus = [r[0] for r in results], [r[1] for r in results]
    where = "one CPU (taskset)" if pin(0) else "no CPU pinning"
    rows = [
        [
            "100 `edit()` via `step1x_sandbox.client()`, default settings",
            f"{median(walls) * 1000:,.0f}",
            f"{min(walls) * 1000:,.0f} / {max(walls) * 1000:,.0f}",
            f"{median(cpus) * 1000:,.0f}",
            str(results[0][2]),
        ]
    ]
    target = Target(
        "100 `edit()` through the fixture, wall (median)",
        "well under 1 s on one core",
        f"{median(walls) * 1000:,.0f} ms",
        median(walls) < 1.0,
    )
    return Section(
        "Pytest plugin: 100 edits through the step1x_sandbox fixture",
        f"A user test file run by a fresh pytest process on {where}; times measured inside the test "
        f"after one warm-up edit, {len(results)} rounds; the sandbox runs in the same process.",
        ["what", "wall ms (median)", "wall ms best / worst", "process CPU ms (median)", "result polls"],
        rows,
        [
            "Zero-duration jobs (submit answers `created`, the first poll `completed`), the in-process "
            "transport and the fixture's test poll schedule (`TEST_POLL`: first poll 0.1 ms after submit).",
            "Wall time includes whatever else the shared machine runs; process CPU is the cost itself.",
        ],
        [target],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fixture", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    results = measure(args.rounds)
    walls, cpus = [r[0] for r in results], [r[1] for r in results]
    print(f"100 edit() through step1x_sandbox ({'one CPU' if pin(0) else 'no pinning'}, {len(walls)} rounds): "
          f"wall median {median(walls) * 1000:.0f} ms (best {min(walls) * 1000:.0f}, worst {max(walls) * 1000:.0f}); "
          f"process CPU median {median(cpus) * 1000:.0f} ms; result polls per 100 edits: {results[0][2]}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
