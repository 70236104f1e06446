"""Entry point: `python -m bench [--quick] [--write] [--only NAME ...]` (or `scripts/bench`).

Prints a markdown report to stdout; `--write` also writes it into bench/RESULTS.md, replacing the
sections it ran and keeping the others (a `--only` run updates its own sections). `--quick` is a
smoke mode that proves every benchmark runs (small sample sizes, short jobs): its figures are not
meaningful and it never writes RESULTS.md unless --write is given explicitly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime

from bench._common import ROOT, Section, cpu_count, failed_section

BENCHMARKS = {
    "overhead": "bench.overhead",
    "import": "bench.imports",
    "polling": "bench.polling",
    "deadline": "bench.deadline",
    "concurrency": "bench.concurrency",
    "connect": "bench.connect",
    "fixture": "bench.fixture",
    "batch": "bench.batch",
}


def versions() -> str:
    parts = [f"CPython {platform.python_version()}"]
    for dist in ("step1x-edit", "httpx", "wavespeed"):
        try:
            from importlib.metadata import version

            parts.append(f"{dist} {version(dist)}")
        except Exception:
            parts.append(f"{dist} not installed")
    return ", ".join(parts)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.system()} {platform.release()}, {cpu_count()} CPU(s) ({cpu})"


def _key(heading: str) -> str:
    return heading.removeprefix("## ").split(":")[0].split(" (")[0].strip().lower()


def merge(previous: str, header: list[str], glance: list[str], sections: list[Section]) -> str:
    """RESULTS.md with ``sections`` (and their glance rows) replaced or added, the rest kept:
    sections this run did not produce (other benchmarks, hand-written notes) stay as they were."""
    fresh = {_key(s.title): s.markdown() for s in sections}
    blocks: list[tuple[str, str]] = []  # (key, text) of each "## " block of the old file
    for chunk in ("\n" + previous).split("\n## ")[1:]:
        blocks.append((_key(chunk.splitlines()[0]), "## " + chunk.rstrip("\n") + "\n"))
    old_glance = next((text for key, text in blocks if key == "targets at a glance"), "")
    kept_rows = [
        line
        for line in old_glance.splitlines()[4:]
        if line.startswith("| ") and _key(line.strip("| ").split(" | ")[0]) not in fresh
    ]
    out = [*header, "## Targets at a glance", "", "| benchmark | target | goal | measured | verdict |"]
    out += ["|---|---|---|---|---|", *kept_rows, *glance, ""]
    seen: set[str] = set()
    for key, text in blocks:
        if key == "targets at a glance":
            continue
        if key in fresh:
            if key not in seen:
                out.append(fresh[key])
                seen.add(key)
        else:
            out.append(text)
    out += [text for key, text in fresh.items() if key not in seen]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: tiny samples, short jobs")
    parser.add_argument("--write", action="store_true", help="also write the report to bench/RESULTS.md")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these benchmarks")
    args = parser.parse_args(argv)

    names = args.only or list(BENCHMARKS)
    command = (
        "python -m bench" + (" --quick" if args.quick else "") + (" --only " + " ".join(names) if args.only else "")
    )
    started = time.monotonic()
    sections: list[Section] = []
    failures = 0
    for name in names:
        print(f"[bench] running {name} ...", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            module = importlib.import_module(BENCHMARKS[name])
            section: Section = module.run(args.quick)
        except Exception as exc:
            failures += 1
            traceback.print_exc(file=sys.stderr)
            section = failed_section(name, exc)
        print(f"[bench] {name} done in {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)
        sections.append(section)

    header = [
        "# Benchmark results" + (" (QUICK SMOKE MODE: figures not meaningful)" if args.quick else ""),
        "",
        f"Command: `{command}` (or `scripts/bench{' --quick' if args.quick else ''}`), "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, total {time.monotonic() - started:.0f} s.",
        f"Machine: {machine()}. Versions: {versions()}.",
        "All servers listen on 127.0.0.1 only. Figures are measured, never tuned to pass; "
        "the verdict column compares them with the targets of issue 6.",
        "",
    ]
    summary = [
        "## Targets at a glance",
        "",
        "| benchmark | target | goal | measured | verdict |",
        "|---|---|---|---|---|",
    ]
    for s in sections:
        for t in s.targets:
            summary.append(f"| {s.title.split(':')[0]} | {t.name} | {t.target} | {t.measured} | {t.verdict} |")
    report = "\n".join(header) + "\n" + "\n".join(summary) + "\n\n" + "\n".join(s.markdown() for s in sections)
    # sys.__stdout__: the vendor SDK's print() calls are silenced with redirect_stdout from worker
    # threads, and overlapping restores can leave sys.stdout pointing at a buffer.
    out = sys.__stdout__ or sys.stdout
    out.write(report + "\n")
    out.flush()
    if args.write:
        path = ROOT / "bench" / "RESULTS.md"
        previous = path.read_text() if path.exists() else ""
        path.write_text(merge(previous, header, summary[4:], sections))
        print(f"[bench] wrote {os.path.relpath(ROOT / 'bench' / 'RESULTS.md')}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
