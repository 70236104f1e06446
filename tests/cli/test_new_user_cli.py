"""`step1x-edit` as a new user meets it: install hints, help, first errors, and the missing options.

Covers: install hints that name a command that works (extra hidden in a subprocess); help that
fits 80 columns; `submit` (returns at once, prints the id) with `--webhook` whose delivery then
verifies; `--base64-output`; `--json` as one document for failures (prediction failed, usage
error) and with timings on success; the Ctrl-C resume hint repeating `-o DIR`; a directory or a
text file as the image (exit 2, nothing submitted); a base URL without a scheme, with a trailing
`/api/v3`, or pointing at a closed port; the status line's elapsed time ticking between polls.
Every CLI test counts the requests the sandbox received.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from cli_support import KEY, SAMPLE, Run, cli_env

from step1x_edit.sandbox import SandboxServer

ID = re.compile(r"^[0-9a-f]{32}$")
ROOT = Path(__file__).resolve().parents[2]
URL = "https://example.com/a.png"


def error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def counts(server: SandboxServer) -> dict[str, int]:
    stats = server.sandbox.stats
    return {name: stats[name] for name in ("upload", "submit", "result")}


def delta(server: SandboxServer, before: dict[str, int]) -> dict[str, int]:
    after = counts(server)
    return {name: after[name] - before[name] for name in before}


# -- install hints --------------------------------------------------------------------------


def _run_hiding(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with ``module`` unimportable, as when its extra is not installed."""
    code = (
        f"import sys; sys.modules[{module!r}] = None; sys.argv = ['step1x-edit', *{list(args)!r}]; "
        "from step1x_edit.cli import main; main()"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=cli_env(None), capture_output=True, text=True, timeout=60, check=False
    )


def _extras() -> tuple[str, set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["name"], set(project["optional-dependencies"])


@pytest.mark.parametrize(
    ("hidden", "args", "extra"), [("typer", ["--help"], "cli"), ("starlette", ["sandbox"], "sandbox")]
)
def test_missing_extra_hint_names_a_command_that_works(hidden: str, args: list[str], extra: str) -> None:
    result = _run_hiding(hidden, *args)
    assert result.returncode == 1
    hint = result.stderr
    assert "Traceback" not in hint
    name, extras = _extras()
    assert extra in extras
    # From a clone (works today) and from a git URL (the placeholder says what to put there).
    assert f"pip install -e '.[{extra}]'" in hint
    assert f"pip install '{name}[{extra}] @ git+https://<repository URL>'" in hint
    # Never the bare PyPI form: the package is not published there.
    assert f"pip install '{name}[{extra}]'" not in hint


def test_readme_install_commands_are_ones_that_work() -> None:
    readme = (ROOT / "README.md").read_text()
    name, extras = _extras()
    assert "pip install -e '.[cli]'" in readme
    assert "pip install '.[all]'" in readme
    assert f"pip install '{name}[cli] @ git+https://<repository URL>'" in readme
    for extra in re.findall(r"\.\[(\w+)\]", readme):
        assert extra in extras, extra
    assert not re.search(rf"^pip install {name}\s", readme, re.MULTILINE)  # not on PyPI


# -- help -----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["sandbox", "edit", "submit", "wait", "verify-webhook"])
def test_help_fits_80_columns_without_cutting(run: Run, command: str) -> None:
    result = run(command, "--help", env=cli_env(None, COLUMNS="80"))
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    if command == "sandbox":
        for text in ("--processing-seconds", "--no-strict-images", "whsec_sandbox-webhook-secret", "*:delay:delay=1.5"):
            assert text in result.stdout


# -- submit, --webhook, --base64-output -----------------------------------------------------


def test_submit_returns_at_once_with_the_id(run: Run, slow: SandboxServer) -> None:
    before = counts(slow)
    result = run("submit", "-i", str(SAMPLE), "-p", "make it dusk", "--seed", "3", env=cli_env(slow))
    assert result.returncode == 0, result.stderr
    assert ID.match(result.stdout.strip()), result.stdout
    assert f"step1x-edit wait {result.stdout.strip()}" in result.stderr
    assert delta(slow, before) == {"upload": 1, "submit": 1, "result": 0}  # no waiting


def test_submit_with_webhook_delivers_a_verifiable_callback(run: Run, fast: SandboxServer) -> None:
    hook = "http://127.0.0.1:9/hook"  # nothing listens: the sandbox still records the signed delivery
    before = counts(fast)
    result = run("submit", "-i", URL, "-p", "x", "--webhook", hook, "--json", env=cli_env(fast))
    assert result.returncode == 0, result.stderr
    pid = json.loads(result.stdout)["id"]
    assert delta(fast, before)["submit"] == 1
    deadline = time.monotonic() + 20
    while not (deliveries := [d for d in fast.sandbox.webhooks if d.url == hook and pid.encode() in d.body]):
        assert time.monotonic() < deadline, "no webhook delivery"
        time.sleep(0.05)
    delivery = deliveries[0]
    checked = run(
        "verify-webhook",
        "--id",
        delivery.headers["webhook-id"],
        "--timestamp",
        delivery.headers["webhook-timestamp"],
        "--signature",
        delivery.headers["webhook-signature"],
        env=cli_env(None, WAVESPEED_WEBHOOK_SECRET=fast.sandbox.config.webhook_secret),
        stdin=delivery.body.decode(),
    )
    assert checked.returncode == 0, checked.stderr
    assert pid in checked.stdout


def test_webhook_with_base64_output_is_refused_before_sending(run: Run, fast: SandboxServer) -> None:
    before = counts(fast)
    result = run("edit", "-i", URL, "-p", "x", "--webhook", "https://you.test/h", "--base64-output", env=cli_env(fast))
    assert result.returncode == 2, result.stderr
    assert "base64" in error_line(result.stderr)
    assert delta(fast, before) == {"upload": 0, "submit": 0, "result": 0}


def test_edit_with_base64_output_saves_decoded_images(run: Run, fast: SandboxServer, tmp_path: Path) -> None:
    result = run("edit", "-i", URL, "-p", "x", "--base64-output", "--json", "-o", "out", env=cli_env(fast))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert not data["outputs"][0].startswith("http")  # base64 data, not a URL
    (saved,) = data["files"]
    assert (tmp_path / saved).read_bytes().startswith(b"\x89PNG")


# -- --json ---------------------------------------------------------------------------------


def test_json_success_includes_timings(run: Run, fast: SandboxServer) -> None:
    result = run("edit", "-i", str(SAMPLE), "-p", "x", "--json", "-o", "out", env=cli_env(fast))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["timings"]) == {"submit_s", "wait_s", "download_s", "total_s"}
    assert all(value >= 0 for value in data["timings"].values())
    assert data["timings"]["total_s"] >= data["timings"]["wait_s"]
    assert "inference_ms" in data
    assert "execution_ms" in data


def test_json_failed_prediction_is_one_document(run: Run, fast: SandboxServer) -> None:
    result = run("edit", "-i", URL, "-p", "x [sandbox:fail=1402]", "--json", env=cli_env(fast))
    assert result.returncode == 7, result.stderr
    data = json.loads(result.stdout)  # exactly one JSON document, nothing else on stdout
    assert ID.match(data["id"])
    assert data["status"] == "failed"
    assert data["task_code"] == 1402
    assert data["error"]
    assert data["failure"]["exit_code"] == 7
    assert data["failure"]["type"] == "PredictionFailedError"
    error_line(result.stderr)


def test_json_usage_error_is_one_document(run: Run, fast: SandboxServer, tmp_path: Path) -> None:
    (tmp_path / "pictures").mkdir()
    before = counts(fast)
    result = run("edit", "-i", "pictures", "-p", "x", "--json", env=cli_env(fast))
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["id"] is None
    assert data["failure"]["exit_code"] == 2
    assert "is a directory" in data["error"]
    assert delta(fast, before) == {"upload": 0, "submit": 0, "result": 0}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["edit", "-i", URL, "-p", "x", "--seed", "abc"], "'abc' is not a valid int"),
        (["edit", "-i", URL], "Missing option '--prompt'"),
        (["wait", "--json"], "Missing argument"),
    ],
)
def test_json_click_usage_error_is_one_document(run: Run, fast: SandboxServer, args: list[str], says: str) -> None:
    # click's own usage errors (a bad or missing option) used to print text only, even with --json
    before = counts(fast)
    result = run(*args, *(["--json"] if "--json" not in args else []), env=cli_env(fast))
    assert result.returncode == 2
    data = json.loads(result.stdout)  # exactly one JSON document on stdout
    assert data["id"] is None
    assert data["failure"]["exit_code"] == 2
    assert says in data["failure"]["message"]
    assert says in result.stderr  # and click's text on stderr, as before
    assert delta(fast, before) == {"upload": 0, "submit": 0, "result": 0}


def test_click_usage_error_without_json_prints_no_json(run: Run, fast: SandboxServer) -> None:
    result = run("edit", "-i", URL, "-p", "x", "--seed", "abc", env=cli_env(fast))
    assert result.returncode == 2
    assert result.stdout == ""


# -- bad images -----------------------------------------------------------------------------


def test_directory_as_image_is_exit_2(run: Run, fast: SandboxServer, tmp_path: Path) -> None:
    (tmp_path / "pictures").mkdir()
    before = counts(fast)
    for args in (
        ["edit", "-i", "pictures", "-p", "x"],
        ["upload", "pictures"],
        ["submit", "-i", "pictures", "-p", "x"],
    ):
        result = run(*args, env=cli_env(fast))
        assert result.returncode == 2, result.stderr
        assert "is a directory" in error_line(result.stderr)
    assert delta(fast, before) == {"upload": 0, "submit": 0, "result": 0}


def test_text_file_as_image_is_the_callers_fault(run: Run, fast: SandboxServer, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not an image\n")
    before = counts(fast)
    result = run("edit", "-i", "notes.txt", "-p", "x", env=cli_env(fast))
    assert result.returncode == 2, result.stderr  # input error, not 6 ("server trouble, retry")
    error_line(result.stderr)
    assert delta(fast, before)["submit"] == 0


# -- base URL -------------------------------------------------------------------------------


def test_base_url_without_scheme_suggests_http(run: Run) -> None:
    result = run("get", "a" * 32, env=cli_env(None, WAVESPEED_API_KEY=KEY, WAVESPEED_BASE_URL="127.0.0.1:8765"))
    assert result.returncode == 2
    assert "did you mean http://127.0.0.1:8765" in error_line(result.stderr)


def test_base_url_with_api_path_still_works(run: Run, fast: SandboxServer) -> None:
    env = cli_env(fast, WAVESPEED_BASE_URL=fast.base_url + "/api/v3")
    result = run("edit", "-i", URL, "-p", "x", "--no-download", env=env)
    assert result.returncode == 0, result.stderr


def test_closed_port_fails_fast_naming_the_url(run: Run) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    result = run("edit", "-i", URL, "-p", "x", env=cli_env(None, WAVESPEED_API_KEY=KEY, WAVESPEED_BASE_URL=base))
    assert result.returncode == 6
    line = error_line(result.stderr)
    assert base in line
    assert "1 attempt" in line
    assert "base URL" in line


# -- Ctrl-C and the status line -------------------------------------------------------------


def test_ctrl_c_resume_hint_repeats_the_output_dir(slow: SandboxServer, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "step1x_edit", "edit", "-i", URL, "-p", "x", "-o", "my out", "--no-download"],
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
    assert f"resume with: step1x-edit wait {pid} -o 'my out' --no-download" in stderr


def test_status_line_keeps_counting_between_polls() -> None:
    from step1x_edit._cli_status import _Ticker

    now = [100.0]
    ticker = _Ticker("abc", clock=lambda: now[0])
    ticker.status = "processing"
    first = ticker.__rich__().plain
    now[0] += 2.5  # no new poll result, only time passing
    second = ticker.__rich__().plain
    assert first == "abc: processing (0.0s)"
    assert second == "abc: processing (2.5s)"


def test_status_line_is_redrawn_without_new_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the spinner redraws the ticker by itself: the time moves with no poll result."""
    import io
    import itertools

    from rich.console import Console

    from step1x_edit import Prediction, _cli_status

    buffer = io.StringIO()
    monkeypatch.setattr(_cli_status, "_err_console", lambda: Console(file=buffer, force_terminal=True, width=80))
    line = _cli_status._StatusLine("abc")
    ticks = itertools.count()
    line.ticker.clock, line.ticker.started = lambda: float(next(ticks)), 0.0
    shown: set[str] = set()
    with line:
        line(Prediction(id="abc", status="processing"))  # the only status report
        deadline = time.monotonic() + 20
        while len(shown) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
            shown = set(re.findall(r"abc: processing \((\d+\.\d)s\)", buffer.getvalue()))
    assert len(shown) >= 3, buffer.getvalue()
