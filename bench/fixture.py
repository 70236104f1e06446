"""The pytest plugin's speed: 100 ``edit()`` calls through the ``step1x_sandbox`` fixture.

``python -m bench.fixture [--rounds N]`` runs a user test file in a fresh pytest process pinned
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

from bench._common import PYTHON, median, pin

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


def run(rounds: int) -> list[tuple[float, float, int]]:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fixture", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    results = run(args.rounds)
    walls, cpus = [r[0] for r in results], [r[1] for r in results]
    print(f"100 edit() through step1x_sandbox ({'one CPU' if pin(0) else 'no pinning'}, {len(walls)} rounds): "
          f"wall median {median(walls) * 1000:.0f} ms (best {min(walls) * 1000:.0f}, worst {max(walls) * 1000:.0f}); "
          f"process CPU median {median(cpus) * 1000:.0f} ms; result polls per 100 edits: {results[0][2]}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
