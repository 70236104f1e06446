"""What a batch run gives back: each item's ``BatchResult``, the run's ``BatchSummary``, and the
options ``batch()`` takes (no I/O here; the engine is ``_batch``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypedDict

from ._manifest import BatchItem
from ._models import Prediction

__all__ = [
    "COMPLETED",
    "FAILED",
    "OK_STATUSES",
    "SAVED",
    "SKIPPED",
    "UNFINISHED",
    "UNKNOWN",
    "BatchOptions",
    "BatchResult",
    "BatchSummary",
]

# Outcome of one item (BatchResult.status)
SAVED, SKIPPED, COMPLETED, FAILED = "saved", "skipped", "completed", "failed"
UNKNOWN, UNFINISHED = "unknown", "unfinished"
OK_STATUSES: Final = frozenset({SAVED, SKIPPED, COMPLETED})


class BatchOptions(TypedDict, total=False):
    """Options of ``batch()``; see Step1XEdit.batch."""

    concurrency: int
    journal: str | os.PathLike[str] | None
    output_dir: str | os.PathLike[str] | None
    rate: float | None
    timeout: float | None
    retry_failed: bool
    resubmit_unknown: bool
    skip_invalid: bool


@dataclass(frozen=True, slots=True)
class BatchResult:
    """One item's outcome: ``status`` is saved / skipped (saved by an earlier run) / completed (no
    output_dir) / failed (the prediction or the request failed) / unknown (a submit may have
    created a task: not resubmitted without resubmit_unknown) / unfinished (resumable: run again)."""

    item: BatchItem
    status: str
    prediction: Prediction | None = None
    error: BaseException | None = None
    files: tuple[Path, ...] = ()
    prediction_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.item.row,
            "key": self.item.key,
            "status": self.status,
            "prediction_id": self.prediction_id,
            "files": [str(f) for f in self.files],
            "error": None if self.error is None else str(self.error).splitlines()[0],
            "task_code": self.prediction.task_code if self.prediction is not None else None,
        }


@dataclass
class BatchSummary:
    """Counts of one run (filled while it runs; final once the iteration ends)."""

    total: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(sorted(OK_STATUSES | {FAILED, UNKNOWN, UNFINISHED}), 0)
    )
    invalid: int = 0
    duplicates: int = 0
    submits: int = 0
    rate_limited: int = 0
    elapsed: float = 0.0
    journal: str | None = None
    stopped: str | None = None
    """Why the run stopped early (e.g. the output folder is not writable), or None."""
    stop_cause: BaseException | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when every item succeeded (and no row was skipped as invalid)."""
        return sum(self.counts[s] for s in OK_STATUSES) == self.total and not self.invalid and self.stopped is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            **self.counts,
            "invalid": self.invalid,
            "duplicates": self.duplicates,
            "submits": self.submits,
            "rate_limited": self.rate_limited,
            "elapsed_s": round(self.elapsed, 3),
            "journal": self.journal,
            "stopped": self.stopped,
            "ok": self.ok,
        }
