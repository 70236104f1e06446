"""The ``step1x-edit`` command: edit images with Step1X-Edit on WaveSpeedAI from a shell.

A thin layer over the public ``step1x_edit`` facade. Data goes to stdout, messages to stderr;
``--json`` prints machine-readable results. Exit codes (one per failure class):

====  =========================================================================
0     success
1     unexpected error (a bug: rerun with --debug and report it)
2     usage error or invalid input (bad option, missing file, 400, 413)
3     authentication: no API key, or the key was refused (401/403)
4     not found (unknown prediction id, 404)
5     rate limited (429)
6     server or connection trouble (5xx, timeouts, unreadable responses)
7     the prediction failed (failed/cancelled/timeout status)
8     the --timeout deadline passed before the prediction finished
9     verify-webhook: the signature or timestamp did not verify
10    batch: some items unfinished (resumable: run the same command again) or may exist
      (interrupted submits: --resubmit-unknown)
11    batch: the journal is in use by another batch process
12    batch: the output folder or journal cannot be written (full, read-only); run again once fixed
130   interrupted (Ctrl-C); the prediction carries on: ``step1x-edit wait ID``
====  =========================================================================

``step1x-edit --help`` stays fast: the HTTP client, the sandbox, Pillow and the generated
models are imported only inside the commands that need them.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Any

from step1x_edit._install import install_hint

try:
    import typer
    import typer.core
except ImportError as _exc:  # depends on the installed extras (tested by hiding typer)
    sys.stderr.write(f"step1x-edit: the command line needs its [cli] extra: {install_hint('cli')}\n")
    raise SystemExit(1) from _exc

from step1x_edit import __version__
from step1x_edit._cli_options import (
    EXIT_CODES_HELP,
    ApiKey,
    Base64Output,
    BaseUrl,
    Exit,
    Image,
    JsonOut,
    MaxRetries,
    NoDownload,
    OutDir,
    Prompt,
    RequestTimeout,
    Timeout,
    UploadTimeout,
    Webhook,
    _edit_options,
)
from step1x_edit._cli_output import (
    _check_local_image,
    _client,
    _err_console,
    _error_document,
    _errors,
    _fail,
    _finish,
    _out,
    _prediction_dict,
    _resume_options,
    _say,
    _send,
    _state,
)
from step1x_edit._cli_status import _Phases, _StatusLine
from step1x_edit._cli_tools import sandbox, verify_webhook

# click's UsageError, reached through typer's public BadParameter (typer vendors its own click).
_UsageError: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


class _Group(typer.core.TyperGroup):
    """With --json, a usage error (click's own: a bad or missing option) is also one JSON document
    on stdout, like every other failure; click still prints it on stderr and exits 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _UsageError as exc:
            if "--json" in sys.argv[1:]:
                message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
                _out(json.dumps(_error_document(exc, Exit.USAGE, message, None)))
            raise


app = typer.Typer(
    cls=_Group,
    name="step1x-edit",
    help="Edit images with Step1X-Edit on WaveSpeedAI (or on the local sandbox).\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # click's plain help wraps long option names and defaults; rich's tables cut them at 80 columns.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# -- commands ------------------------------------------------------------------------------------
def _version(value: bool) -> None:
    if value:
        _out(f"step1x-edit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    _version_flag: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks instead of one error line.")] = False,
) -> None:
    _state["debug"] = debug


@app.command()
@_edit_options
def edit(
    ctx: typer.Context,
    image: Image,
    prompt: Prompt,
    edit_params: dict[str, Any],
    output_dir: OutDir = Path(),
    timeout: Timeout = 600.0,
    sync: Annotated[bool, typer.Option("--sync", help="Ask the server to hold the request until done.")] = False,
    webhook: Webhook = None,
    base64_output: Base64Output = False,
    no_download: NoDownload = False,
    as_json: JsonOut = False,
    max_retries: MaxRetries = None,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Edit an image: upload it if local, submit, wait, download the outputs.

    Prints the prediction id first (stdout), a live status line (stderr), then the saved paths.
    With --json: one JSON document (the prediction, saved files and timings, or the failure).
    """
    pid: list[str] = []
    deadline = time.monotonic() + timeout  # one deadline: upload, submit and every poll
    with _errors(pid, as_json=as_json, resume=_resume_options(ctx, output_dir, no_download)):
        phases = _Phases()
        path = _check_local_image(image)
        with _client(api_key, base_url, max_retries) as client:
            p = _send(
                client,
                phases,
                path,
                image,
                prompt,
                timeout,
                **edit_params,
                sync=sync or None,
                webhook=webhook,
                base64_output=base64_output or None,
            )
            pid.append(p.id)
            if as_json:
                _say(f"prediction {p.id}")
            else:
                _out(p.id)
            if not p.done:
                with _StatusLine(p.id) as line:
                    line(p)
                    p = client.wait(p, timeout=max(deadline - time.monotonic(), 0.001), on_status=line)
            phases.done("wait_s")
            _finish(client, p, output_dir, no_download, as_json, phases)


@app.command()
@_edit_options
def submit(
    image: Image,
    prompt: Prompt,
    edit_params: dict[str, Any],
    webhook: Webhook = None,
    base64_output: Base64Output = False,
    timeout: RequestTimeout = 120.0,
    as_json: JsonOut = False,
    max_retries: MaxRetries = None,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Submit an edit and return at once: print the prediction id (then: step1x-edit wait ID).

    A local image is uploaded first. With --webhook the API POSTs the result to that URL.
    """
    with _errors(as_json=as_json):
        phases = _Phases()
        path = _check_local_image(image)
        with _client(api_key, base_url, max_retries) as client:
            p = _send(
                client,
                phases,
                path,
                image,
                prompt,
                timeout,
                **edit_params,
                webhook=webhook,
                base64_output=base64_output or None,
            )
        if as_json:
            _out(json.dumps(_prediction_dict(p, timings=phases.total())))
        else:
            _out(p.id)
            _say(f"submitted; wait for it with: step1x-edit wait {p.id}")


@app.command()
def get(
    prediction_id: Annotated[str, typer.Argument(metavar="ID", help="The prediction id.")],
    timeout: RequestTimeout = 600.0,
    as_json: JsonOut = False,
    max_retries: MaxRetries = None,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Show a prediction's current status and outputs (one request)."""
    with _errors([prediction_id], as_json=as_json), _client(api_key, base_url, max_retries) as client:
        p = client.get(prediction_id, timeout=timeout)
        if as_json:
            _out(json.dumps(_prediction_dict(p)))
            return
        _out(f"id: {p.id}")
        _out(f"status: {p.status}")
        if getattr(p, "error", None):
            _out(f"error: {p.error}")
        for url in p.outputs:
            _out(f"output: {url}")


@app.command()
def wait(
    ctx: typer.Context,
    prediction_id: Annotated[str, typer.Argument(metavar="ID", help="The prediction id.")],
    output_dir: OutDir = Path(),
    timeout: Timeout = 600.0,
    no_download: NoDownload = False,
    as_json: JsonOut = False,
    max_retries: MaxRetries = None,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Wait for a prediction to finish, then download its outputs."""
    with (
        _errors([prediction_id], as_json=as_json, resume=_resume_options(ctx, output_dir, no_download)),
        _client(api_key, base_url, max_retries) as client,
        _StatusLine(prediction_id) as line,
    ):
        phases = _Phases()
        p = client.wait(prediction_id, timeout=timeout, on_status=line)
        line.__exit__()
        phases.done("wait_s")
        _finish(client, p, output_dir, no_download, as_json, phases)


@app.command()
def upload(
    path: Annotated[Path, typer.Argument(help="The file to upload.")],
    timeout: UploadTimeout = 600.0,
    as_json: JsonOut = False,
    max_retries: MaxRetries = None,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Upload a file; print the download URL to pass as --image."""
    with _errors(as_json=as_json):
        _check_local_image(str(path))
        with _client(api_key, base_url, max_retries) as client:
            url = client.upload(path, timeout=timeout)
        _out(json.dumps({"download_url": url}) if as_json else url)


@app.command()
@_edit_options
def batch(
    manifest: Annotated[
        Path, typer.Argument(help="A CSV or JSONL file of rows (image, prompt, seed, ...), or a folder of images.")
    ],
    output_dir: Annotated[Path, typer.Option("-o", "--output-dir", help="Folder for the outputs (and the journal).")],
    prompt: Annotated[str | None, typer.Option("--prompt", "-p", help="Prompt for rows without one.")] = None,
    edit_params: dict[str, Any] | None = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Items in flight at most.")] = 16,
    rate: Annotated[float | None, typer.Option(min=0.001, help="Submits per second at most.")] = None,
    journal: Annotated[
        Path | None, typer.Option(help="The SQLite journal (default: OUTPUT_DIR/.step1x-edit-batch.sqlite3).")
    ] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Submit failed items again.")] = False,
    resubmit_unknown: Annotated[
        bool,
        typer.Option("--resubmit-unknown", help="Submit again items whose submit was interrupted (may bill twice)."),
    ] = False,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Go on without invalid rows.")] = False,
    timeout: Timeout = 600.0,
    as_json: JsonOut = False,
    max_retries: MaxRetries = None,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Edit every row of a manifest; resumable: run the same command again after a crash or a failure.

    Validates every row first (nothing is sent if one is invalid), journals each item in SQLite,
    saves outputs atomically into OUTPUT_DIR named from the item key, and shows a live progress
    bar. Exit 0 only when every item succeeded.
    """
    import asyncio

    with _errors(as_json=as_json):
        if not api_key:
            _fail(Exit.AUTH, "no API key: set WAVESPEED_API_KEY (or pass --api-key)")
        from step1x_edit import AsyncStep1XEdit
        from step1x_edit._batch_cli import drive, exit_code, summary_table
        from step1x_edit._journal import JournalError, JournalLockedError
        from step1x_edit._manifest import load_manifest

        defaults = {"prompt": prompt, **(edit_params or {})}  # the other edit options apply to every row
        rows = load_manifest(manifest, defaults)
        options: dict[str, Any] = {} if max_retries is None else {"max_retries": max_retries}
        client = AsyncStep1XEdit(api_key=api_key, base_url=base_url, **options)
        from step1x_edit import InvalidParameterError

        try:
            run = client.batch(
                rows,
                output_dir=output_dir,
                journal=journal,
                concurrency=concurrency,
                rate=rate,
                timeout=timeout,
                retry_failed=retry_failed,
                resubmit_unknown=resubmit_unknown,
                skip_invalid=skip_invalid,
            )
        except InvalidParameterError as exc:  # every invalid row, one a line (nothing was sent)
            _fail(Exit.USAGE, str(exc))
        for row, problem in run.invalid:
            _say(f"skipped invalid row {row}: {problem}")

        async def go() -> Any:
            async with client:
                return await drive(run, _err_console())

        try:
            results = asyncio.run(go())
        except JournalLockedError as exc:
            _fail(Exit.BATCH_LOCKED, str(exc))
        except JournalError as exc:
            _fail(Exit.BATCH_OUTPUT, str(exc))
        code = exit_code(run.summary)
        if as_json:
            document = {"summary": run.summary.to_dict(), "exit_code": code, "items": [r.to_dict() for r in results]}
            _out(json.dumps(document))
        else:
            _err_console().print(summary_table(run, results))
        if run.summary.stopped:
            _say(f"error: stopped: {run.summary.stopped}")
        elif code == Exit.BATCH_INCOMPLETE:
            _say("some items are not finished: run the same command again to resume (see the table)")
        raise typer.Exit(code)


# The commands that are not edits live in _cli_tools (registered here, after the edit commands).
app.command("verify-webhook")(verify_webhook)
app.command()(sandbox)


def main() -> None:
    """Console-script entry point."""
    # Ctrl-C must always reach us (to print how to resume), even when a parent shell started
    # this process in the background with SIGINT ignored, which Python would otherwise inherit.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
