"""The benchmarks run (quick mode) and print every section with its targets.

A smoke test only: figures on a shared CI machine are noise, so nothing here asserts a timing.
The real numbers come from `scripts/bench --write` (see bench/RESULTS.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ["Overhead", "Import", "Polling", "Deadline", "Concurrency", "Connection failures", "Pytest plugin", "Batch"]


def test_benchmarks_run_in_quick_mode(tmp_path: Path) -> None:
    out, err = tmp_path / "report.md", tmp_path / "stderr.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        result = subprocess.run(
            [sys.executable, "-m", "bench", "--quick"],
            cwd=ROOT,
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            timeout=240,
        )
    report = out.read_text()
    assert result.returncode == 0, err.read_text()[-3000:]
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    for section in SECTIONS:
        assert any(section.lower() in heading.lower() for heading in headings), (
            section,
            report[:600],
            err.read_text()[-1500:],
        )
    assert report.count("| target | goal | measured | verdict |") >= len(SECTIONS)
    not_run = [line for line in report.splitlines() if "not run:" in line]
    assert not not_run, not_run  # every row runs (a variant that raised is reported as "not run: ...")
