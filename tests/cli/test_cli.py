"""`step1x-edit` end to end: subprocesses against sandboxes served on real loopback sockets."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cli_support import KEY, SAMPLE, Run, cli_env, needs_client

from step1x_edit.sandbox import Fault, SandboxServer

ID = re.compile(r"^[0-9a-f]{32}$")


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_version(run: Run) -> None:
    result = run("--version", env=cli_env(None))
    assert result.returncode == 0
    assert result.stdout.strip() == f"step1x-edit {__import__('step1x_edit').__version__}"


@pytest.mark.parametrize("args", [["--help"], ["edit", "--help"], ["sandbox", "--help"]])
def test_help_does_not_import_heavy_modules(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "step1x_edit", *args],
        env=cli_env(None),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    }
    for banned in ("PIL", "step1x_edit.sandbox", "step1x_edit_api", "starlette", "uvicorn"):
        assert banned not in imported, f"`{' '.join(args)}` imported {banned}"


def test_no_args_shows_help_and_exit_codes(run: Run) -> None:
    result = run(env=cli_env(None))
    assert "Exit codes" in result.stdout + result.stderr


def test_usage_error_is_exit_2(run: Run) -> None:
    result = run("edit", "--prompt", "x", env=cli_env(None))
    assert result.returncode == 2
    assert "--image" in result.stderr


def test_missing_key_is_exit_3(run: Run, fast: SandboxServer) -> None:
    env = cli_env(fast)
    del env["WAVESPEED_API_KEY"]
    result = run("get", "0" * 32, env=env)
    assert result.returncode == 3
    assert "WAVESPEED_API_KEY" in one_error_line(result.stderr)


@needs_client
def test_edit_uploads_waits_and_downloads(run: Run, fast: SandboxServer, tmp_path: Path) -> None:
    before = fast.sandbox.stats
    result = run(
        "edit", "--image", str(SAMPLE), "--prompt", "make it dusk", "--seed", "7", "-o", "out", env=cli_env(fast)
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert ID.match(lines[0]), result.stdout
    paths = [Path(line) for line in lines[1:]]
    assert len(paths) == 1
    saved = paths[0] if paths[0].is_absolute() else tmp_path / paths[0]
    assert saved.read_bytes().startswith(b"\x89PNG")
    assert saved.parent.resolve() == (tmp_path / "out").resolve()
    assert "status:" in result.stderr
    after = fast.sandbox.stats
    assert after["upload"] - before["upload"] == 1
    assert after["submit"] - before["submit"] == 1


@needs_client
def test_edit_json_and_sync(run: Run, fast: SandboxServer) -> None:
    result = run(
        "edit",
        "--image",
        "https://example.com/a.png",
        "--prompt",
        "x",
        "--sync",
        "--json",
        "-o",
        "o",
        env=cli_env(fast),
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert ID.match(data["id"])
    assert data["status"] == "completed"
    assert len(data["files"]) == 1


@needs_client
def test_wrong_key_is_exit_3(run: Run, fast: SandboxServer) -> None:
    result = run(
        "edit", "--image", "https://example.com/a.png", "--prompt", "x", env=cli_env(fast, WAVESPEED_API_KEY="nope")
    )
    assert result.returncode == 3
    one_error_line(result.stderr)
    assert "nope" not in result.stderr + result.stdout


@needs_client
@pytest.mark.parametrize(
    "args",
    [
        ["edit", "--image", "https://example.com/a.png", "--prompt", "x", "--steps", "999"],
        ["edit", "--image", "https://example.com/a.png", "--prompt", "x", "--num-inference-steps", "999"],
        ["submit", "--image", "https://example.com/a.png", "--prompt", "x", "--guidance-scale", "21"],
        ["edit", "--image", "missing.png", "--prompt", "x"],
        ["upload", "missing.png"],
    ],
)
def test_invalid_input_is_exit_2(run: Run, fast: SandboxServer, args: list[str]) -> None:
    before = fast.sandbox.stats["submit"]
    result = run(*args, env=cli_env(fast))
    assert result.returncode == 2, result.stderr
    one_error_line(result.stderr)
    assert fast.sandbox.stats["submit"] == before  # nothing was sent


@needs_client
def test_unknown_id_is_exit_4(run: Run, fast: SandboxServer) -> None:
    result = run("get", "0" * 32, env=cli_env(fast))
    assert result.returncode == 4
    one_error_line(result.stderr)


@needs_client
def test_failed_prediction_is_exit_7(run: Run, fast: SandboxServer) -> None:
    result = run("edit", "--image", "https://example.com/a.png", "--prompt", "x [sandbox:fail=1402]", env=cli_env(fast))
    assert result.returncode == 7, result.stderr
    assert ID.match(result.stdout.splitlines()[0])
    one_error_line(result.stderr)


@needs_client
def test_deadline_is_exit_8_and_says_how_to_resume(run: Run, slow: SandboxServer) -> None:
    result = run("edit", "--image", "https://example.com/a.png", "--prompt", "x", "--timeout", "1.5", env=cli_env(slow))
    assert result.returncode == 8, result.stderr
    pid = result.stdout.splitlines()[0]
    assert f"step1x-edit wait {pid}" in one_error_line(result.stderr)


@needs_client
def test_rate_limit_and_server_errors(run: Run, fast: SandboxServer) -> None:
    fast.sandbox.add_fault(Fault(route="result", status=429, retry_after=0, times=None))
    try:
        limited = run("get", "0" * 32, "--max-retries", "0", env=cli_env(fast))
    finally:
        fast.sandbox.clear_faults()
    assert limited.returncode == 5, limited.stderr
    fast.sandbox.add_fault(Fault(route="result", status=503, times=None))
    try:
        broken = run("get", "0" * 32, "--max-retries", "0", env=cli_env(fast))
    finally:
        fast.sandbox.clear_faults()
    assert broken.returncode == 6, broken.stderr
    one_error_line(broken.stderr)


@needs_client
def test_upload_get_wait(run: Run, fast: SandboxServer) -> None:
    env = cli_env(fast)
    uploaded = run("upload", str(SAMPLE), env=env)
    assert uploaded.returncode == 0, uploaded.stderr
    url = uploaded.stdout.strip()
    assert url.startswith(fast.base_url)
    submitted = httpx.post(
        f"{fast.base_url}/api/v3/wavespeed-ai/step1x-edit",
        headers={"Authorization": f"Bearer {KEY}"},
        json={"prompt": "x", "image": url},
    ).json()["data"]["id"]
    got = run("get", submitted, "--json", env=env)
    assert got.returncode == 0
    assert json.loads(got.stdout)["id"] == submitted
    waited = run("wait", submitted, "--no-download", env=env)
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout.strip().startswith(fast.base_url)


@needs_client
def test_ctrl_c_prints_how_to_resume(slow: SandboxServer, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "step1x_edit", "edit", "--image", "https://example.com/a.png", "--prompt", "x"],
        env=cli_env(slow),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        pid = process.stdout.readline().strip()
        assert ID.match(pid)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
        process.wait(5)
    assert process.returncode == 130
    assert f"step1x-edit wait {pid}" in stderr
    assert "Traceback" not in stderr


def test_sandbox_command_serves_with_faults(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "step1x_edit",
            "sandbox",
            "--port",
            "0",
            "--key",
            "k",
            "--duration",
            "20",
            "--fault",
            "submit:503",
            "--strict-inputs",
        ],
        env=cli_env(None),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert re.match(r"^http://127\.0\.0\.1:\d+$", url), url
        body = {"prompt": "x", "image": "https://example.com/a.png"}
        headers = {"Authorization": "Bearer k"}
        assert httpx.post(f"{url}/api/v3/wavespeed-ai/step1x-edit", json=body, headers=headers).status_code == 503
        assert httpx.post(f"{url}/api/v3/wavespeed-ai/step1x-edit", json=body, headers=headers).status_code == 200
        extra = {**body, "enable_safety_checker": True}  # --strict-inputs: refused instead of dropped
        assert httpx.post(f"{url}/api/v3/wavespeed-ai/step1x-edit", json=extra, headers=headers).status_code == 400
        assert httpx.get(f"{url}/_sandbox/stats", headers=headers).json()["data"]["submit"] == 3
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
        process.wait(5)
    assert process.returncode == 0, stderr
    assert "API key: k" in stderr


def test_sandbox_command_rejects_bad_fault(run: Run) -> None:
    result = run("sandbox", "--fault", "submit:explode", env=cli_env(None))
    assert result.returncode == 2
    assert "explode" in one_error_line(result.stderr)


@needs_client
def test_verify_webhook(run: Run, tmp_path: Path) -> None:
    secret = "whsec_cli-secret"
    body = json.dumps({"id": "a" * 32, "status": "completed", "outputs": ["https://x/y.png"]}).encode()
    webhook_id, timestamp = "msg_1", str(int(time.time()))
    digest = hmac.new(b"cli-secret", f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    (tmp_path / "body.json").write_bytes(body)
    (tmp_path / "headers.txt").write_text(
        f"webhook-id: {webhook_id}\nwebhook-timestamp: {timestamp}\nwebhook-signature: v3,{digest}\n"
    )
    env = cli_env(None, WAVESPEED_WEBHOOK_SECRET=secret)
    ok = run("verify-webhook", "--body", "body.json", "--headers", "headers.txt", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "a" * 32 in ok.stdout
    piped = run(
        "verify-webhook",
        "--id",
        webhook_id,
        "--timestamp",
        timestamp,
        "--signature",
        f"v3,{digest}",
        env=env,
        stdin=body.decode(),
    )
    assert piped.returncode == 0, piped.stderr
    tampered = run(
        "verify-webhook",
        "--id",
        webhook_id,
        "--timestamp",
        timestamp,
        "--signature",
        "v3," + "0" * 64,
        env=env,
        stdin=body.decode(),
    )
    assert tampered.returncode == 9
    one_error_line(tampered.stderr)


@pytest.mark.parametrize("command", ["edit", "submit"])
def test_edit_options_are_the_spec_fields_with_range_and_default(run: Run, command: str) -> None:
    from step1x_edit._spec_data import EDIT_REQUEST_SCHEMA

    result = run(command, "--help", env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "--num-inference-steps, --steps" in text
    for name in ("negative_prompt", "seed", "guidance_scale", "num_inference_steps"):
        rule = EDIT_REQUEST_SCHEMA["properties"][name]
        assert "--" + name.replace("_", "-") in text
        if "minimum" in rule:
            assert f"Range: {rule['minimum']} to {rule['maximum']} inclusive." in text
        if "default" in rule:
            assert f"Server default: {rule['default']}." in text
