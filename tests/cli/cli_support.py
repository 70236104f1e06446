"""Fixtures for the CLI tests: served sandboxes and a subprocess runner for `step1x-edit`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import step1x_edit
from step1x_edit.sandbox import SandboxConfig, SandboxServer, serve

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "step1x_edit" / "sandbox" / "assets" / "sample.png"
KEY = "cli-test-key"

needs_client = pytest.mark.skipif(
    not hasattr(step1x_edit, "Step1XEdit"), reason="the client facade (step1x_edit.Step1XEdit) has not landed yet"
)


@pytest.fixture(scope="session")
def fast() -> Iterator[SandboxServer]:
    with serve(SandboxConfig(api_key=KEY, created_seconds=0.02, processing_seconds=0.15)) as server:
        yield server


@pytest.fixture(scope="session")
def slow() -> Iterator[SandboxServer]:
    with serve(SandboxConfig(api_key=KEY, created_seconds=0.02, processing_seconds=60.0)) as server:
        yield server


def cli_env(server: SandboxServer | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAVESPEED_") and "PROXY" not in k.upper()}
    env.update(NO_PROXY="127.0.0.1,localhost", COLUMNS="200", NO_COLOR="1", PYTHONUNBUFFERED="1")
    if server is not None:
        env.update(WAVESPEED_BASE_URL=server.base_url, WAVESPEED_API_KEY=KEY)
    env.update(extra)
    return env


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Run `python -m step1x_edit ARGS` in tmp_path with the given environment; 60 s cap."""

    def _run(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "step1x_edit", *args],
            env=env,
            cwd=tmp_path,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return _run
