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

import functools
import inspect
import json
import math
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

from step1x_edit._install import install_hint

try:
    import typer
except ImportError as _exc:  # depends on the installed extras (tested by hiding typer)
    sys.stderr.write(f"step1x-edit: the command line needs its [cli] extra: {install_hint('cli')}\n")
    raise SystemExit(1) from _exc

from step1x_edit import __version__
from step1x_edit._params import EDIT_PARAM_HELP, EDIT_PARAM_TYPES

if TYPE_CHECKING:
    from rich.console import Console


class Exit(IntEnum):
    """The documented exit codes."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    RATE_LIMITED = 5
    SERVER = 6
    FAILED = 7
    DEADLINE = 8
    BAD_SIGNATURE = 9
    BATCH_INCOMPLETE = 10
    BATCH_LOCKED = 11
    BATCH_OUTPUT = 12
    INTERRUPTED = 130


EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 unexpected, 2 usage/invalid input, 3 auth, 4 not found, 5 rate limited, "
    "6 server/connection, 7 prediction failed, 8 deadline exceeded, 9 webhook not verified, 10 batch incomplete (run again), 11 batch journal in use, "
    "12 batch output not writable, 130 interrupted."
)

app = typer.Typer(
    name="step1x-edit",
    help="Edit images with Step1X-Edit on WaveSpeedAI (or on the local sandbox).\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # click's plain help wraps long option names and defaults; rich's tables cut them at 80 columns.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state: dict[str, bool] = {"debug": False}

ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="WAVESPEED_API_KEY",
        show_envvar=True,
        show_default=False,
        help="API key (prefer the environment variable: options land in shell history). Never printed.",
    ),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar="WAVESPEED_BASE_URL",
        show_envvar=True,
        help="API base URL, e.g. a sandbox's http://127.0.0.1:PORT (default: https://api.wavespeed.ai).",
    ),
]
MaxRetries = Annotated[
    int | None,
    typer.Option("--max-retries", min=0, help="Retries of a failed request (default: the client's)."),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout instead of text.")]


def _positive_seconds(value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value} is not allowed: a positive number of seconds")
    return value


Timeout = Annotated[
    float,
    typer.Option(
        "--timeout", callback=_positive_seconds, help="Overall deadline in seconds for the prediction to finish."
    ),
]
UploadTimeout = Annotated[
    float, typer.Option("--timeout", callback=_positive_seconds, help="Deadline in seconds for the upload.")
]
RequestTimeout = Annotated[
    float, typer.Option("--timeout", callback=_positive_seconds, help="Deadline in seconds for the request.")
]
OutDir = Annotated[Path, typer.Option("-o", "--output-dir", help="Directory for the downloaded outputs.")]
NoDownload = Annotated[bool, typer.Option("--no-download", help="Print output URLs instead of downloading them.")]
Image = Annotated[str, typer.Option("--image", "-i", help="Local file (uploaded first) or http(s)/data: URL.")]
Prompt = Annotated[str, typer.Option("--prompt", "-p", help="The edit instruction.")]
# Extra spellings of the spec-derived options (the option itself is named after the API's field).
_OPTION_ALIASES: dict[str, tuple[str, ...]] = {"num_inference_steps": ("--steps",)}
Webhook = Annotated[
    str | None,
    typer.Option(help="URL the API POSTs the finished prediction to (verify it with verify-webhook)."),
]
Base64Output = Annotated[
    bool, typer.Option("--base64-output", help="Ask for outputs as base64 data instead of URLs (not with --webhook).")
]


# -- output helpers ------------------------------------------------------------------------------
def _err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _say(message: str) -> None:
    """A message for humans, on stderr."""
    typer.echo(message, err=True)


def _out(line: str) -> None:
    """Data, on stdout (flushed at once so a reader sees the id before the wait)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class _Failure(typer.Exit):
    """A failure already reported on stderr; ``_errors`` adds the --json document."""

    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(int(code))
        self.code = code
        self.message = message


def _fail(code: Exit, message: str) -> NoReturn:
    _say(f"error: {message}")
    raise _Failure(code, message)


def _classify(exc: BaseException) -> Exit:
    """Map a facade exception to its exit code (by class, most specific first)."""
    import step1x_edit as s

    pairs: list[tuple[str, Exit]] = [
        ("InvalidParameterError", Exit.USAGE),
        ("OutputExistsError", Exit.USAGE),  # download() never overwrites: choose another -o folder
        ("DeadlineExceededError", Exit.DEADLINE),
        ("PredictionFailedError", Exit.FAILED),
        ("AuthenticationError", Exit.AUTH),
        ("NotFoundError", Exit.NOT_FOUND),
        ("RateLimitError", Exit.RATE_LIMITED),
        ("BadRequestError", Exit.USAGE),
        ("PayloadTooLargeError", Exit.USAGE),
        ("ServerError", Exit.SERVER),
        ("APIConnectionError", Exit.SERVER),
        ("ContractViolationError", Exit.SERVER),
        ("APIError", Exit.SERVER),
    ]
    for name, code in pairs:
        cls = getattr(s, name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return code
    return Exit.UNEXPECTED


def _resume_command(pid: str, resume: list[str]) -> str:
    import shlex

    return shlex.join(["step1x-edit", "wait", pid, *resume])


def _error_document(exc: BaseException | None, code: Exit, message: str, pid: str | None) -> dict[str, Any]:
    """The --json answer of a failed command: the prediction as far as known, plus the failure."""
    prediction = getattr(exc, "prediction", None)
    data: dict[str, Any] = prediction.to_dict() if prediction is not None else {"id": pid, "status": None}
    if prediction is None:
        data["error"] = message
    kind = type(exc).__name__ if exc is not None else "UsageError"
    data["failure"] = {"type": kind, "message": message, "exit_code": int(code)}
    return data


@contextmanager
def _errors(
    prediction_id: list[str] | None = None, *, as_json: bool = False, resume: list[str] | None = None
) -> Iterator[None]:
    """Turn facade errors into one stderr line and an exit code (a traceback with --debug).

    With ``as_json`` the failure is also one JSON document on stdout; ``resume`` holds the
    options the ``step1x-edit wait`` hint must repeat (e.g. ``-o DIR``).
    """
    try:
        yield
    except _Failure as failure:
        if as_json:
            pid = prediction_id[0] if prediction_id else None
            _out(json.dumps(_error_document(failure.__cause__, failure.code, failure.message, pid)))
        raise
    except typer.Exit:
        raise
    except KeyboardInterrupt as exc:
        pid = prediction_id[0] if prediction_id else getattr(exc, "prediction_id", None)
        if pid:
            _say(f"Interrupted. The prediction {pid} carries on; resume with: {_resume_command(pid, resume or [])}")
        else:
            _say("Interrupted.")
        if as_json:
            _out(json.dumps(_error_document(exc, Exit.INTERRUPTED, "interrupted", pid)))
        raise typer.Exit(int(Exit.INTERRUPTED)) from None
    except Exception as exc:
        if _state["debug"]:
            raise
        code = _classify(exc)
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if code is Exit.UNEXPECTED:
            message = f"{type(exc).__name__}: {message} (rerun with --debug for a traceback)"
        pid = getattr(exc, "prediction_id", None) or (prediction_id[0] if prediction_id else None)
        if code in (Exit.DEADLINE, Exit.SERVER) and pid:
            message += f" (resume with: {_resume_command(pid, resume or [])})"
        if as_json:
            _out(json.dumps(_error_document(exc, code, message, pid)))
        _say(f"error: {message}")
        raise typer.Exit(int(code)) from None


def _client(api_key: str | None, base_url: str | None, max_retries: int | None = None) -> Any:
    if not api_key:
        _fail(Exit.AUTH, "no API key: set WAVESPEED_API_KEY (or pass --api-key)")
    from step1x_edit import Step1XEdit

    kwargs: dict[str, Any] = {"base_url": base_url}
    if max_retries is not None:
        kwargs["max_retries"] = max_retries
    return Step1XEdit(api_key=api_key, **kwargs)


def _prediction_dict(
    p: Any, files: list[Path] | None = None, timings: dict[str, float] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = p.to_dict()
    if files is not None:
        data["files"] = [str(f) for f in files]
    if timings is not None:
        data["timings"] = {name: round(seconds, 3) for name, seconds in timings.items()}
    return data


def _is_remote(image: str) -> bool:
    return image.startswith(("http://", "https://", "data:"))


def _check_local_image(image: str) -> Path | None:
    """The local file to upload (None for a URL); exit 2 naming the problem (missing, a directory...)."""
    if _is_remote(image):
        return None
    path = Path(image)
    try:
        problem = (
            "is a directory, not an image file"
            if path.is_dir()
            else "no such file"
            if not path.exists()
            else "not a regular file"
            if not path.is_file()
            else None
        )
    except OSError as exc:
        problem = f"cannot be read: {exc.strerror}"
    if problem is not None:
        _fail(Exit.USAGE, f"{image}: {problem}")
    return path


class _Phases:
    """Wall-clock seconds per phase of a command (upload, submit, wait, download, total)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.mark = self.started
        self.seconds: dict[str, float] = {}

    def done(self, phase: str) -> None:
        now = time.monotonic()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self.mark
        self.mark = now

    def total(self) -> dict[str, float]:
        return {**self.seconds, "total_s": time.monotonic() - self.started}


class _Ticker:
    """The status line's text, computed when drawn: the elapsed time keeps counting between polls."""

    def __init__(self, prediction_id: str, clock: Any = time.monotonic) -> None:
        self.prediction_id = prediction_id
        self.clock = clock
        self.started = clock()
        self.status = "submitted"

    def __str__(self) -> str:
        return f"{self.prediction_id}: {self.status} ({self.clock() - self.started:.1f}s)"

    def __rich__(self) -> Any:
        from rich.text import Text

        return Text(str(self))  # plain text: a status string is never read as markup


class _StatusLine:
    """A live status line on stderr (a spinner on a terminal, plain lines otherwise)."""

    def __init__(self, prediction_id: str) -> None:
        self.prediction_id = prediction_id
        self.started = time.monotonic()
        self.last: str | None = None
        self.ticker = _Ticker(prediction_id)
        console = _err_console()
        self.live = console.is_terminal
        # rich redraws the spinner ~12 times a second, rendering the ticker afresh each time.
        self.status = console.status(self.ticker) if self.live else None

    def __enter__(self) -> _StatusLine:
        if self.status is not None:
            self.status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(None, None, None)

    def __call__(self, prediction: Any) -> None:
        status = str(getattr(prediction, "status", prediction))
        elapsed = time.monotonic() - self.started
        self.ticker.status = status
        if self.status is None and status != self.last:
            _say(f"status: {status} ({elapsed:.1f}s)")
        self.last = status


def _finish(
    client: Any, p: Any, out_dir: Path, no_download: bool, as_json: bool, phases: _Phases | None = None
) -> None:
    if not p.succeeded:
        from step1x_edit import PredictionFailedError

        raise PredictionFailedError(p)
    files: list[Path] | None = None
    if not no_download:
        out_dir.mkdir(parents=True, exist_ok=True)
        files = list(client.download(p, out_dir))
        if phases is not None:
            phases.done("download_s")
    if as_json:
        _out(json.dumps(_prediction_dict(p, files, phases.total() if phases is not None else None)))
        return
    if files is None:
        for url in p.outputs:
            _out(url)
    else:
        for path in files:
            _out(str(path))
        _say(f"saved {len(files)} output(s) to {out_dir}")


def _resume_options(ctx: typer.Context, output_dir: Path, no_download: bool) -> list[str]:
    """The options `step1x-edit wait ID` must repeat to finish the job the same way."""
    options: list[str] = []
    if output_dir != Path():
        options += ["-o", str(output_dir)]
    if no_download:
        options.append("--no-download")
    # A base URL typed on the command line (one from the environment is still there next time).
    base_url = ctx.params.get("base_url")
    source = ctx.get_parameter_source("base_url")
    if base_url and getattr(source, "name", None) == "COMMANDLINE":
        options += ["--base-url", str(base_url)]
    return options


def _send(
    client: Any, phases: _Phases, path: Path | None, image: str, prompt: str, timeout: float, **options: Any
) -> Any:
    """Submit (a local image goes as a Path: every parameter and the file itself are checked
    before it is uploaded, inside the same deadline); return the created prediction."""
    params = {name: value for name, value in options.items() if value is not None}
    if path is not None:
        _say(f"checking and uploading {image} ...")
    p = client.submit(prompt=prompt, image=path if path is not None else image, timeout=timeout, **params)
    phases.done("submit_s")  # includes the upload of a local file
    return p


def _edit_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` one option per spec field of EditParams (from the generated ``_params``).

    Each option is named after the API's field (``--num-inference-steps``), its help is the
    spec's description with range and default; the values reach ``command`` as ``edit_params``
    (options not given are left out, so nothing unasked is sent). The client validates them.
    """
    signature = inspect.signature(command, eval_str=True)
    options = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                EDIT_PARAM_TYPES[name] | None,
                typer.Option("--" + name.replace("_", "-"), *_OPTION_ALIASES.get(name, ()), help=text),
            ],
        )
        for name, text in EDIT_PARAM_HELP.items()
    ]
    kept = [p for p in signature.parameters.values() if p.name != "edit_params"]
    position = next(i for i, p in enumerate(kept) if p.name == "prompt") + 1

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        given = {name: kwargs.pop(name) for name in EDIT_PARAM_HELP if name in kwargs}
        command(*args, edit_params={k: v for k, v in given.items() if v is not None}, **kwargs)

    parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in kept]
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*parameters[:position], *options, *parameters[position:]]
    )
    del wrapper.__wrapped__  # typer must read the signature above, not the command's
    return wrapper


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


@app.command("verify-webhook")
def verify_webhook(
    secret: Annotated[
        str | None,
        typer.Option(envvar="WAVESPEED_WEBHOOK_SECRET", show_envvar=True, show_default=False, help="whsec_... secret."),
    ] = None,
    body: Annotated[str, typer.Option(help="File with the raw request body, or - for stdin.")] = "-",
    headers_file: Annotated[
        Path | None, typer.Option("--headers", help="File with the headers: JSON object or 'Name: value' lines.")
    ] = None,
    webhook_id: Annotated[str | None, typer.Option("--id", help="The webhook-id header.")] = None,
    timestamp: Annotated[str | None, typer.Option(help="The webhook-timestamp header.")] = None,
    signature: Annotated[str | None, typer.Option(help="The webhook-signature header.")] = None,
    as_json: JsonOut = False,
) -> None:
    """Check a webhook delivery's signature; print the verified prediction (exit 9 if it fails)."""
    with _errors(as_json=as_json):
        if not secret:
            _fail(Exit.USAGE, "no secret: set WAVESPEED_WEBHOOK_SECRET (or pass --secret)")
        raw = sys.stdin.buffer.read() if body == "-" else _read_file(Path(body))
        headers: dict[str, str] = _parse_headers(_read_file(headers_file).decode()) if headers_file else {}
        for name, value in (
            ("webhook-id", webhook_id),
            ("webhook-timestamp", timestamp),
            ("webhook-signature", signature),
        ):
            if value is not None:
                headers[name] = value
        missing = [n for n in ("webhook-id", "webhook-timestamp", "webhook-signature") if n not in headers]
        if missing:
            _fail(
                Exit.USAGE,
                f"missing header(s): {', '.join(missing)} (use --headers FILE or --id/--timestamp/--signature)",
            )
        from step1x_edit import WebhookVerificationError
        from step1x_edit import verify_webhook as verify

        try:
            result = verify(headers, raw, secret)
        except WebhookVerificationError as exc:
            _fail(Exit.BAD_SIGNATURE, f"webhook not verified: {exc}")
        if as_json:
            _out(json.dumps(_prediction_dict(result)))
        else:
            _say("signature OK")
            _out(f"{result.id}\t{result.status}")


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        _fail(Exit.USAGE, f"cannot read {path}: {exc.strerror}")


def _parse_headers(text: str) -> dict[str, str]:
    text = text.strip()
    if text.startswith("{"):
        loaded = json.loads(text)
        return {str(k).lower(): str(v) for k, v in loaded.items()}
    headers: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _list_faults(value: bool) -> None:
    """Print the sandbox's fault registry (the same table as the README's) and exit."""
    if not value:
        return
    try:
        from step1x_edit.sandbox import fault_table
    except ImportError:
        _fail(Exit.UNEXPECTED, f"the sandbox needs its [sandbox] extra: {install_hint('sandbox')}")
    _out(fault_table())
    raise typer.Exit()


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Interface to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 0,
    key: Annotated[str, typer.Option("--key", help="The API key the sandbox accepts (printed).")] = "sandbox-key",
    processing_seconds: Annotated[
        float, typer.Option("--processing-seconds", "--latency", min=0.0, help="How long tasks stay 'processing'.")
    ] = 2.0,
    created_seconds: Annotated[float, typer.Option(min=0.0, help="How long tasks stay 'created'.")] = 0.2,
    sync_timeout: Annotated[float, typer.Option(min=0.0, help="Sync-mode limit before the 5004 answer.")] = 90.0,
    rate_limit: Annotated[int | None, typer.Option(help="Submits allowed per minute (429 beyond).")] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="Scripted fault ROUTE:STATUS|ACTION[:key=value...], repeatable; e.g. submit:503, "
            "result:429:retry_after=2:times=3, submit:drop_before, result:html, *:delay:delay=1.5. "
            "--list-faults shows every ACTION and what it does; an unknown one lists them all.",
        ),
    ] = None,
    _list_faults: Annotated[
        bool,
        typer.Option(
            "--list-faults", callback=_list_faults, is_eager=True, help="Print the fault actions (a table) and exit."
        ),
    ] = False,
    strict_images: Annotated[
        bool, typer.Option(help="Fail tasks (1402) whose image URL is not a sandbox upload.")
    ] = False,
    strict_inputs: Annotated[
        bool, typer.Option(help="Answer 400 to unknown input names (default: drop them, as the API does).")
    ] = False,
    webhook_secret: Annotated[str, typer.Option(help="Secret used to sign webhooks.")] = "whsec_sandbox-webhook-secret",
    drift: Annotated[
        str | None,
        typer.Option(
            "--drift",
            help="Serve a changed API, one drift of the catalogue (e.g. outputs-renamed, id-as-number, "
            "guidance-range-narrowed); an unknown name lists them all.",
        ),
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: run until Ctrl-C).")
    ] = None,
    as_json: JsonOut = False,
) -> None:
    """Run the local sandbox: a stand-in WaveSpeed server for offline use and tests.

    Outputs are a deterministic Pillow transform of the input (posterize/tint/invert chosen from
    seed and prompt), a stand-in for the model, not an edit. It never downloads anything: image
    URLs that are not its own uploads become placeholder pictures. Prints its URL on stdout.
    """
    try:
        from step1x_edit.sandbox import Fault, SandboxConfig, serve
    except ImportError:
        _fail(Exit.UNEXPECTED, f"the sandbox needs its [sandbox] extra: {install_hint('sandbox')}")
    try:
        faults = [Fault.parse(spec) for spec in fault or []]
    except ValueError as exc:
        _fail(Exit.USAGE, str(exc))
    try:
        config = SandboxConfig(drift=drift)
    except ValueError as exc:
        _fail(Exit.USAGE, str(exc))
    config = SandboxConfig(
        drift=drift,
        api_key=key,
        created_seconds=created_seconds,
        processing_seconds=processing_seconds,
        sync_timeout_seconds=sync_timeout,
        rate_limit=rate_limit,
        strict_images=strict_images,
        strict_inputs=strict_inputs,
        webhook_secret=webhook_secret,
        faults=faults,
    )
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with serve(config, host=host, port=port) as server:
            if as_json:
                info = {"base_url": server.base_url, "api_key": key, "webhook_secret": webhook_secret}
                _out(json.dumps(info))
            else:
                _out(server.base_url)
            _say(f"Step1X-Edit sandbox listening on {server.base_url} (API key: {key})")
            _say(f"  export WAVESPEED_BASE_URL={server.base_url} WAVESPEED_API_KEY={key}")
            _say(f"  webhook secret: {webhook_secret}; faults armed: {len(faults)}; Ctrl-C stops")
            if drift:
                _say(f"  DRIFTED: serving a changed API ({drift}), not the API of the spec")
            if host not in ("127.0.0.1", "localhost", "::1"):
                _say(
                    f"  warning: listening on {host}, not only loopback; anyone who can reach it and knows the key can use it"
                )
            deadline = None if duration is None else time.monotonic() + duration
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic())))
    except KeyboardInterrupt:
        _say("sandbox stopped")
    except RuntimeError as exc:
        _fail(Exit.SERVER, str(exc))


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    # Ctrl-C must always reach us (to print how to resume), even when a parent shell started
    # this process in the background with SIGINT ignored, which Python would otherwise inherit.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
