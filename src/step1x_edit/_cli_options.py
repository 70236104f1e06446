"""The ``step1x-edit`` command's exit codes, option types and the spec-derived edit options."""

from __future__ import annotations

import functools
import inspect
import math
import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any

from step1x_edit._install import install_hint

try:
    import typer
except ImportError as _exc:  # depends on the installed extras (tested by hiding typer)
    sys.stderr.write(f"step1x-edit: the command line needs its [cli] extra: {install_hint('cli')}\n")
    raise SystemExit(1) from _exc

from step1x_edit._params import EDIT_PARAM_HELP, EDIT_PARAM_TYPES


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
