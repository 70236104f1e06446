"""The ``step1x-edit`` commands that are not edits: verify-webhook and sandbox (registered in cli.py)."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from step1x_edit._cli_options import Exit, JsonOut
from step1x_edit._cli_output import _errors, _fail, _out, _prediction_dict, _say
from step1x_edit._install import install_hint


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
