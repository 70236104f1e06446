"""Shared helpers of the batch tests: a fast served sandbox, manifests, journal reads."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from step1x_edit import PollPolicy
from step1x_edit._batch import KILL_ENV
from step1x_edit.sandbox import SandboxServer

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "step1x_edit" / "sandbox" / "assets" / "sample.png"
KEY = "batch-test-key"
#: Polls for the sandbox's jobs of a few ms (the default schedule starts at 0.3 s).
FAST_POLL = PollPolicy(first=0.02, factor=1.5, step=0.01, max_interval=0.1, learn=False)


def items(n: int, *, start: int = 0, image: str | Path = SAMPLE, fail: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    """n distinct items (prompt 'item I'); those in ``fail`` fail on the sandbox (task code 1403)."""
    return [
        {"image": str(image), "prompt": f"item {i}" + (" [sandbox:fail]" if i in fail else ""), "seed": i}
        for i in range(start, start + n)
    ]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def journal_rows(path: Path) -> list[dict[str, Any]]:
    """The journal's rows, read with plain sqlite3 (the batch process must have exited)."""
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM items ORDER BY row")]
    finally:
        db.close()


def tasks_per_prompt(server: SandboxServer) -> Counter[str]:
    """How many tasks the sandbox created for each prompt (i.e. billed submits per item)."""
    sandbox = server.sandbox
    with sandbox._lock:
        return Counter(str(task.input["prompt"]) for task in sandbox._tasks.values())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_saved_outputs(journal: Path, out: Path) -> list[dict[str, Any]]:
    """Every saved row's files exist with the journal's SHA-256; no other file (no partial files)."""
    rows = journal_rows(journal)
    expected: set[str] = set()
    for row in rows:
        if row["state"] != "saved":
            continue
        for name, digest in json.loads(row["files"]):
            path = Path(name)
            assert path.is_file(), name
            assert sha256(path) == digest, name
            expected.add(path.resolve().name)
    present = {p.name for p in out.iterdir() if not p.name.startswith(".step1x-edit-batch.sqlite3")}
    assert present == expected, present ^ expected
    return rows


def python(
    server: SandboxServer, *args: str, cwd: Path, kill_at: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` against the sandbox (key and URL in the environment; no proxies); 60 s cap.

    ``kill_at`` arms the engine's test-only SIGKILL hook (POINT:N).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAVESPEED_") and "PROXY" not in k.upper()}
    env.update(NO_PROXY="127.0.0.1", WAVESPEED_BASE_URL=server.base_url, WAVESPEED_API_KEY=KEY, COLUMNS="200")
    env.update({KILL_ENV: kill_at} if kill_at else {})
    captured: dict[str, Any] = {"capture_output": True, "text": True, "timeout": 60, "check": False}
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, **captured)
