"""Shared helpers: statistics, markdown sections, pinned subprocesses and loopback servers."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MODEL = "wavespeed-ai/step1x-edit"
API_KEY = "bench-key"
# One Step1X-Edit input used by every variant (same JSON body for all clients).
INPUT: dict[str, Any] = {
    "prompt": "make the sky purple",
    "image": "https://example.invalid/in.png",
    "seed": 42,
    "num_inference_steps": 28,
    "guidance_scale": 6.0,
}

# Hard ceiling for any helper process (servers stop themselves after this, even if orphaned).
SERVER_LIFETIME_S = 1800


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def pin(cpu: int | None) -> list[str]:
    """A `taskset -c CPU` prefix when taskset exists and the machine has more than one CPU."""
    if cpu is None or cpu_count() < 2 or shutil.which("taskset") is None:
        return []
    cpus = sorted(os.sched_getaffinity(0))
    return ["taskset", "-c", str(cpus[cpu % len(cpus)])]


def pinning_note() -> str:
    if pin(0):
        return "client pinned to CPU 0 and server to CPU 1 with taskset"
    return "no CPU pinning (taskset missing or a single CPU)"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def pair_ratios(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """Per-pair ratios a[i]/b[i] of interleaved measurements."""
    return [ratio(x, y) for x, y in zip(a, b, strict=True)]


def fmt(value: float, digits: int = 1) -> str:
    if value != value:  # NaN
        return "n/a"
    return f"{value:,.{digits}f}"


@dataclass
class Target:
    """A target from issue 6, printed next to the measured value."""

    name: str
    target: str
    measured: str
    met: bool | None  # None: could not be measured

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**not met**", None: "not measured"}[self.met]


@dataclass
class Section:
    title: str
    intro: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def markdown(self) -> str:
        out = [f"## {self.title}", "", self.intro, ""]
        out.append("| " + " | ".join(self.header) + " |")
        out.append("|" + "|".join("---" for _ in self.header) + "|")
        out.extend("| " + " | ".join(row) + " |" for row in self.rows)
        if self.notes:
            out.append("")
            out.extend(f"- {note}" for note in self.notes)
        if self.targets:
            out += ["", "| target | goal | measured | verdict |", "|---|---|---|---|"]
            out.extend(f"| {t.name} | {t.target} | {t.measured} | {t.verdict} |" for t in self.targets)
        return "\n".join(out) + "\n"


def failed_section(title: str, error: BaseException | str) -> Section:
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return Section(title, f"Could not run: {message}", ["status"], [["not measured"]])


# --------------------------------------------------------------------------------------------
# Helper processes that print one JSON line ("ready" line) and then serve until stopped.


@dataclass
class Helper:
    proc: subprocess.Popen[str]
    info: dict[str, Any]

    @property
    def base_url(self) -> str:
        return str(self.info["base_url"])

    def command(self, line: str) -> dict[str, Any]:
        """Send one command line on stdin and read one JSON answer line from stdout."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError(f"helper exited while answering {line!r}")
        result: dict[str, Any] = json.loads(answer)
        return result


def stop_process(proc: subprocess.Popen[Any], grace: float = 5.0) -> None:
    """Stop one process we started, by its PID: SIGTERM, then SIGKILL after `grace` seconds."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(timeout=grace)


@contextlib.contextmanager
def helper(args: Sequence[str], *, cpu: int | None = None, start_timeout: float = 30.0) -> Iterator[Helper]:
    """Start `python -m <args>` (pinned), wait for its JSON ready line, stop it on exit."""
    cmd = [*pin(cpu), PYTHON, "-m", *args]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, text=True, cwd=ROOT, env=env
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + start_timeout
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.strip() or proc.poll() is not None:
                break
        if not line.strip():
            raise RuntimeError(f"{' '.join(args)} did not start (exit code {proc.poll()})")
        yield Helper(proc, json.loads(line))
    finally:
        stop_process(proc)


def run_worker(args: Sequence[str], *, cpu: int | None = 0, timeout: float = 900.0) -> dict[str, Any]:
    """Run `python -m <args>` pinned to `cpu`; its last stdout line is a JSON result."""
    cmd = [*pin(cpu), PYTHON, "-m", *args]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_process(proc)
        raise RuntimeError(f"{' '.join(args)} took longer than {timeout:.0f} s") from None
    finally:
        stop_process(proc)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(err.strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(args)} failed (exit {proc.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result
