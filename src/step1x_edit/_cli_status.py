"""The ``step1x-edit`` command's live status line and per-phase timings."""

from __future__ import annotations

import time
from typing import Any

from step1x_edit._cli_output import _err_console, _say


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
