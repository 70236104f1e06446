"""The Prediction users get back: plain, frozen, and faithful to what the server sent."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._spec_data import SUCCESSFUL_STATUSES, SYNC_TIMEOUT_TASK_CODE, TERMINAL_STATUSES

__all__ = ["Prediction", "is_usable_id"]

# 1 to 256 printable ASCII characters, none of them unsafe in a URL path (slash, backslash, ?, #, %,
# space), and not "." or "..": one compiled match, as this runs on every request and answer.
_USABLE_ID = re.compile(r'(?!\.\.?\Z)[!"$&-.0->@-\[\]-~]{1,256}\Z')


def is_usable_id(value: object) -> bool:
    """True for an id that can go into a URL path as it is (real ids are 32 lowercase hex digits)."""
    return isinstance(value, str) and _USABLE_ID.match(value) is not None


@dataclass(frozen=True, slots=True)
class Prediction:
    """One Step1X-Edit job as the server last reported it."""

    id: str
    status: str
    """The raw status string, including ones the spec does not list (e.g. "queued")."""
    model: str | None = None
    outputs: tuple[str, ...] = ()
    """Output URLs; with ``base64_output=True``, base64 image data."""
    has_nsfw_contents: tuple[bool, ...] = ()
    result_url: str | None = None
    created_at: dt.datetime | None = None
    error: str | None = None
    task_code: int | None = None
    """Task-level code (0 ok, 1xxx input problem, 5xxx server problem, 5004 sync-mode timeout)."""
    inference_ms: int | None = None
    execution_ms: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The ``data`` object exactly as received, unknown fields included."""

    def to_dict(self, *, raw: bool = False) -> dict[str, Any]:
        """The fields as a JSON-ready dict (lists, ISO 8601 time); ``raw=True`` adds the data as received."""
        data: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "model": self.model,
            "outputs": list(self.outputs),
            "has_nsfw_contents": list(self.has_nsfw_contents),
            "result_url": self.result_url,
            "created_at": self.created_at.isoformat() if self.created_at is not None else None,
            "error": self.error,
            "task_code": self.task_code,
            "inference_ms": self.inference_ms,
            "execution_ms": self.execution_ms,
        }
        if raw:
            data["raw"] = dict(self.raw)
        return data

    @property
    def done(self) -> bool:
        """True once the status is terminal (completed, failed, cancelled, timeout, deleted)."""
        return self.status in TERMINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCESSFUL_STATUSES

    @property
    def sync_timed_out(self) -> bool:
        """True for the sync-mode timeout answer: the prediction carries on asynchronously."""
        return self.task_code == SYNC_TIMEOUT_TASK_CODE and not self.done
