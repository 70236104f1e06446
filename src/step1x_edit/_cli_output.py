"""The ``step1x-edit`` command's output: stdout/stderr, failures and their exit codes, and the
steps the edit commands share (client, image check, submit, finish)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from step1x_edit._cli_options import Exit

if TYPE_CHECKING:
    from rich.console import Console

    from step1x_edit._cli_status import _Phases

_state: dict[str, bool] = {"debug": False}


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
