"""`python -m bench --write` replaces the sections it ran and keeps the rest of RESULTS.md.

Regression: it wrote only what it had just run, so a `--only` run (or any run) dropped the
hand-written sections (the fuzzer figures) and every other benchmark's figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `bench` here is tests/bench: the repository's bench package is run in its own interpreter.
_RUN = """
import json, sys
from bench.__main__ import merge
from bench._common import Section, Target
args = json.load(sys.stdin)
sections = []
for title, intro, targets in args["sections"]:
    s = Section(title, intro, ["a"], [["1"]])
    s.targets.extend(Target(*t) for t in targets)
    sections.append(s)
sys.stdout.write(merge(args["previous"], args["header"], args["glance"], sections))
"""


def merge(
    previous: str, header: list[str], glance: list[str], sections: list[tuple[str, str, list[list[object]]]]
) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _RUN],
        cwd=ROOT,
        input=json.dumps({"previous": previous, "header": header, "glance": glance, "sections": sections}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


PREVIOUS = """# Benchmark results

Command: old.

## Targets at a glance

| benchmark | target | goal | measured | verdict |
|---|---|---|---|---|
| Overhead | cpu | ≤ 1.1x | 1.3x | **not met** |
| Overhead (issue 12, noisy) | cpu | ≤ 1.1x | 1.4x | **not met** |
| Polling | delay | ≤ 175 ms | 120 ms | met |

## Overhead: client CPU

old overhead table

## Fuzzers: responses and webhooks (issue 13)

hand-written fuzzer figures

## Polling: detection delay

old polling table
"""


def test_write_replaces_what_ran_and_keeps_the_rest() -> None:
    fresh = ("Overhead: client CPU and wall", "new intro", [["cpu", "≤ 1.1x", "1.05x", True]])
    glance = ["| Overhead | cpu | ≤ 1.1x | 1.05x | met |"]
    merged = merge(PREVIOUS, ["# Benchmark results", "", "Command: new.", ""], glance, [fresh])
    assert "Command: new." in merged
    assert "Command: old." not in merged
    assert "hand-written fuzzer figures" in merged
    assert "old polling table" in merged
    assert "old overhead table" not in merged
    assert "new intro" in merged
    assert "| Polling | delay | ≤ 175 ms | 120 ms | met |" in merged
    assert "1.3x" not in merged  # the old Overhead rows of the glance table went...
    assert "1.4x" not in merged  # ...hand-added ones too
    assert "| Overhead | cpu | ≤ 1.1x | 1.05x | met |" in merged
    # the sections keep their order: Overhead, Fuzzers, Polling
    assert merged.index("new intro") < merged.index("hand-written") < merged.index("old polling")


def test_a_new_benchmark_is_appended() -> None:
    fresh = ("Batch: many items", "batch intro", [])
    merged = merge(PREVIOUS, ["# Benchmark results", ""], [], [fresh])
    assert merged.index("old polling table") < merged.index("batch intro")
    assert merged.count("## ") == 5  # glance, Overhead, Fuzzers, Polling, Batch
