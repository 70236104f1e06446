"""Import cost: `import step1x_edit` vs `import httpx` vs `import wavespeed` in fresh interpreters.

Each sample is a new `python -c "import X"` (pinned to CPU 0); modules are interleaved within
every repetition. Reported: median wall time and median `-X importtime` cumulative time of the
top-level module. Also the wall time of `step1x-edit --help`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench._common import PYTHON, ROOT, Section, Target, fmt, median, pair_ratios, pin

MODULES = ["step1x_edit", "httpx", "wavespeed"]


# Every interpreter reads and writes bytecode under one private cache prefix, so all modules
# (ours from the source tree, httpx and wavespeed from site-packages) start from cached .pyc
# files after the warm-up, like a pip-installed wheel, and nothing is written into the tree.
_PYCACHE = tempfile.mkdtemp(prefix="bench-pycache-")


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPYCACHEPREFIX=_PYCACHE)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(), cwd=ROOT)
    return time.perf_counter() - t0


def importtime(module: str) -> float:
    proc = subprocess.run(
        [*pin(0), PYTHON, "-X", "importtime", "-c", f"import {module}"],
        check=True,
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    lines = [line for line in proc.stderr.splitlines() if re.search(rf"\|\s+{re.escape(module)}$", line)]
    return int(lines[-1].split("|")[1]) / 1e3  # µs -> ms


def cli_path() -> str | None:
    local = Path(PYTHON).with_name("step1x-edit")
    return str(local) if local.exists() else shutil.which("step1x-edit")


def run(quick: bool) -> Section:
    n = 3 if quick else 15
    modules = [m for m in MODULES if importlib.util.find_spec(m) is not None]
    missing = [m for m in MODULES if m not in modules]
    cmds = {m: [*pin(0), PYTHON, "-c", f"import {m}"] for m in modules}
    cmds["(bare interpreter)"] = [*pin(0), PYTHON, "-c", "pass"]
    cli = cli_path()
    if cli:
        cmds["`step1x-edit --help`"] = [*pin(0), cli, "--help"]
    cli_error = ""
    for name, cmd in list(cmds.items()):  # warm-up, also checks every command works
        try:
            wall(cmd)
        except subprocess.CalledProcessError as exc:
            cli_error = f"{name} exited with {exc.returncode}"
            del cmds[name]
    walls: dict[str, list[float]] = {k: [] for k in cmds}
    times: dict[str, list[float]] = {m: [] for m in modules}
    for _ in range(n):
        for name, cmd in cmds.items():
            walls[name].append(wall(cmd) * 1e3)
        for m in modules:
            times[m].append(importtime(m))
    section = Section(
        "Import time",
        f'Median of {n} fresh interpreters per row (`python -c "import X"`, {"pinned with taskset" if pin(0) else "unpinned"}), '
        "rows interleaved in every repetition; ratios are medians of per-repetition ratios against `httpx`. "
        "`-X importtime` is the cumulative time of the top-level module's line. Bytecode: every run uses one "
        "private `PYTHONPYCACHEPREFIX` filled by a warm-up run, so all modules load from cached .pyc.",
        ["command", "wall ms (median)", "wall min-max", "-X importtime ms (median)", "wall ratio vs httpx"],
    )
    base = walls.get("httpx")
    for name in cmds:
        w = walls[name]
        is_module = name in modules
        r = median(pair_ratios(w, base)) if base and name != "httpx" else (1.0 if name == "httpx" else float("nan"))
        section.rows.append(
            [
                f"`import {name}`" if is_module else name,
                fmt(median(w)),
                f"{fmt(min(w))}-{fmt(max(w))}",
                fmt(median(times[name])) if is_module else "—",
                f"{fmt(r, 2)}x",
            ]
        )
    if missing:
        section.notes.append(f"Not installed, skipped: {', '.join(missing)}.")
    if cli_error:
        section.notes.append(f"Could not run: {cli_error}.")
    if "step1x_edit" in walls and base:
        r = median(pair_ratios(walls["step1x_edit"], base))
        it = median(times["step1x_edit"]) / median(times["httpx"])
        section.targets.append(
            Target("`import step1x_edit` vs `import httpx` (wall)", "≤ 1.1x", f"{fmt(r, 2)}x", r <= 1.1)
        )
        section.targets.append(
            Target("`import step1x_edit` vs `import httpx` (-X importtime)", "≤ 1.1x", f"{fmt(it, 2)}x", it <= 1.1)
        )
    else:
        section.targets.append(Target("`import step1x_edit` vs `import httpx`", "≤ 1.1x", "n/a", None))
    return section
