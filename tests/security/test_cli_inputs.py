"""Issue 13 item 8: the CLI validates everything before spending.

Reproductions: ``--timeout 0`` was accepted and failed only after the paid submit; a local file
was uploaded before the parameters were checked, so an out-of-range guidance scale cost an upload.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from step1x_edit.sandbox import SandboxConfig, SandboxServer, serve

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "step1x_edit" / "sandbox" / "assets" / "sample.png"
KEY = "cli-key"


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with serve(SandboxConfig(api_key=KEY, created_seconds=0.0, processing_seconds=0.05)) as running:
        yield running


def _run(server: SandboxServer, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAVESPEED_") and "PROXY" not in k.upper()}
    env.update(WAVESPEED_BASE_URL=server.base_url, WAVESPEED_API_KEY=KEY, NO_PROXY="127.0.0.1", NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "step1x_edit", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--timeout", "0"],
        ["--timeout", "-1"],
        ["--timeout", "nan"],
        ["--guidance-scale", "25"],
        ["--steps", "0"],
        ["--seed", "-2"],
        ["--prompt", ""],
    ],
)
def test_edit_rejects_bad_input_before_any_upload_or_submit(
    server: SandboxServer, tmp_path: Path, args: list[str]
) -> None:
    server.sandbox.reset()
    base = ["edit", "-i", str(SAMPLE), "-o", str(tmp_path)]
    if "--prompt" not in args:
        base += ["--prompt", "make it blue"]
    result = _run(server, *base, *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "error:" in result.stderr or "Invalid value" in result.stderr
    stats = server.sandbox.stats
    assert (stats["upload"], stats["submit"]) == (0, 0), stats


def test_edit_rejects_a_text_file_before_uploading(server: SandboxServer, tmp_path: Path) -> None:
    server.sandbox.reset()
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    result = _run(server, "edit", "-i", str(text), "--prompt", "x", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "image" in result.stderr
    assert server.sandbox.stats["upload"] == 0


@pytest.mark.parametrize("command", [["wait", "abc"], ["upload", str(SAMPLE)], ["get", "abc"]])
def test_other_commands_reject_timeout_zero(server: SandboxServer, tmp_path: Path, command: list[str]) -> None:
    server.sandbox.reset()
    result = _run(server, *command, "--timeout", "0", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert (server.sandbox.stats["upload"], server.sandbox.stats["result"]) == (0, 0)


@pytest.mark.parametrize(
    "headers",
    [
        {"webhook-id": "m", "webhook-timestamp": "\u00b9\u00b2", "webhook-signature": "v3,00"},
        {"webhook-id": "m", "webhook-timestamp": "NOW", "webhook-signature": "v3,\u00e9\u00e9"},
        {"webhook-id": "m", "webhook-timestamp": 17, "webhook-signature": None},
    ],
)
def test_malformed_webhook_exits_with_its_documented_code(
    server: SandboxServer, tmp_path: Path, headers: dict[str, object]
) -> None:
    """Item 7: a malformed delivery used to raise TypeError/ValueError (exit 1); it is exit 9."""
    import json
    import time

    headers = {k: str(int(time.time())) if v == "NOW" else v for k, v in headers.items()}
    (tmp_path / "headers.json").write_text(json.dumps(headers), encoding="utf-8")
    (tmp_path / "body.json").write_text('{"id": "x", "status": "completed"}', encoding="utf-8")
    result = _run(
        server,
        "verify-webhook",
        "--secret",
        "whsec_x",
        "--headers",
        str(tmp_path / "headers.json"),
        "--body",
        str(tmp_path / "body.json"),
        cwd=tmp_path,
    )
    assert result.returncode == 9, result.stderr


def test_wait_twice_into_the_same_folder_does_not_overwrite(server: SandboxServer, tmp_path: Path) -> None:
    """Item 4 at the CLI: the second download of the same prediction is refused (exit 2), not overwritten."""
    first = _run(server, "edit", "-i", str(SAMPLE), "--prompt", "x", "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    pid = first.stdout.splitlines()[0]
    saved = Path(first.stdout.splitlines()[-1])
    saved.write_bytes(b"edited by hand")
    again = _run(server, "wait", pid, "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert again.returncode == 2, again.stderr
    assert "already exists" in again.stderr
    assert saved.read_bytes() == b"edited by hand"
