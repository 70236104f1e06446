"""Connection failures: how long a wrong base URL takes to fail, and what the error says.

Rows: a closed port on 127.0.0.1 with default settings (library `get()`, the CLI `get`, and
the vendor's SDK `run()`), and a refused connection to a non-loopback host, simulated by a
transport that refuses every connection (real sleeps, so the backoff is what is measured; no
traffic leaves the machine).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench._common import PYTHON, Section, Target, fmt, median

PID = "0" * 32


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _time(call: Callable[[], object]) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        call()
    except Exception as exc:
        return time.perf_counter() - started, f"{type(exc).__name__}: {exc}"
    return time.perf_counter() - started, "no error"


def _library(base: str, transport: httpx.BaseTransport | None = None) -> Callable[[], object]:
    def call() -> object:
        from step1x_edit import Step1XEdit

        with Step1XEdit(api_key="bench-key", base_url=base, transport=transport) as client:
            return client.get(PID)

    return call


def _cli(base: str) -> Callable[[], object]:
    cli = str(Path(PYTHON).with_name("step1x-edit"))

    def call() -> object:
        result = subprocess.run(
            [cli, "get", PID],
            env={**os.environ, "WAVESPEED_API_KEY": "bench-key", "WAVESPEED_BASE_URL": base},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        raise RuntimeError(f"exit {result.returncode}: {result.stderr.strip()}")

    return call


def _sdk(base: str) -> Callable[[], object]:
    def call() -> object:
        import wavespeed

        return wavespeed.Client(api_key="bench-key", base_url=base).run(
            "wavespeed-ai/step1x-edit", {"prompt": "x", "image": "https://example.com/a.png"}
        )

    return call


def _refusing(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def run(quick: bool) -> Section:
    n = 1 if quick else 5
    cases: list[tuple[str, Callable[[], Callable[[], object]]]] = [
        ("`Step1XEdit.get()`, closed port on 127.0.0.1", lambda: _library(_closed_port())),
        ("`step1x-edit get ID` (whole process), closed port on 127.0.0.1", lambda: _cli(_closed_port())),
        (
            "`Step1XEdit.get()`, non-loopback host refusing (simulated)",
            lambda: _library("https://api.invalid", httpx.MockTransport(_refusing)),
        ),
    ]
    try:
        import wavespeed  # noqa: F401

        cases.append(("vendor SDK `run()`, closed port on 127.0.0.1", lambda: _sdk(_closed_port())))
    except ImportError:
        pass
    section = Section(
        "Connection failures",
        f"Time until the error, median of {n} runs, default settings. "
        "The simulated remote host refuses every connection through an httpx transport, with real backoff sleeps.",
        ["case", "seconds (median)", "error (first line)"],
    )
    loopback = float("nan")
    for name, make in cases:
        results = [_time(make()) for _ in range(n)]
        seconds = median([r[0] for r in results])
        message = results[0][1].splitlines()[0][:220].replace("|", "\\|")
        section.rows.append([name, fmt(seconds, 2), message])
        if name.startswith("`Step1XEdit.get()`, closed"):
            loopback = seconds
    section.targets.append(
        Target("closed loopback port: library error", "≤ 1.3 s (openai)", f"{fmt(loopback, 2)} s", loopback <= 1.3)
    )
    return section
