"""The batch journal: one SQLite row per item, so a killed batch resumes without re-billing.

States (``STATES``): pending -> submitting -> submitted (prediction id) -> completed / failed
-> saved (output paths and their SHA-256). ``submitting`` is committed *before* the POST and
the id as soon as the submit returns, so a row left in ``submitting`` is an item whose task may
exist. stdlib ``sqlite3`` in WAL mode with ``locking_mode=EXCLUSIVE``: the first process to
open a journal holds its lock until it exits (the OS drops it even on SIGKILL), so a second
batch process on the same journal is refused instead of submitting the same items again.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ._exceptions import Step1XEditError

__all__ = ["STATES", "Journal", "JournalError", "JournalLockedError", "JournalRow"]

PENDING: Final = "pending"
SUBMITTING: Final = "submitting"
SUBMITTED: Final = "submitted"
COMPLETED: Final = "completed"
FAILED: Final = "failed"
SAVED: Final = "saved"
STATES: Final = (PENDING, SUBMITTING, SUBMITTED, COMPLETED, FAILED, SAVED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY,              -- SHA-256 of what would be sent (image content or URL, prompt, parameters)
    row INTEGER NOT NULL,              -- manifest row (1-based) where the item was first seen
    request TEXT NOT NULL,             -- the parameters as JSON (the image as given)
    state TEXT NOT NULL,
    prediction_id TEXT,
    task_code INTEGER,
    error TEXT,
    outputs TEXT,                      -- JSON list: the completed prediction's outputs
    files TEXT,                        -- JSON list of [path, sha256] once saved
    submits INTEGER NOT NULL DEFAULT 0,            -- POSTs begun for this item
    unknown_resubmits INTEGER NOT NULL DEFAULT 0,  -- times a 'may exist' item was resubmitted on request
    updated REAL NOT NULL
);
"""


class JournalError(Step1XEditError):
    """The journal cannot be opened or written (a folder not writable, not a journal...)."""


class JournalLockedError(JournalError):
    """Another batch process holds this journal."""


@dataclass(frozen=True, slots=True)
class JournalRow:
    key: str
    row: int
    request: dict[str, Any]
    state: str
    prediction_id: str | None
    task_code: int | None
    error: str | None
    outputs: tuple[str, ...]
    files: tuple[tuple[str, str], ...]
    submits: int
    unknown_resubmits: int


def _row(values: tuple[Any, ...]) -> JournalRow:
    key, row, request, state, pid, code, error, outputs, files, submits, unknown = values
    return JournalRow(
        key=key,
        row=row,
        request=json.loads(request),
        state=state,
        prediction_id=pid,
        task_code=code,
        error=error,
        outputs=tuple(json.loads(outputs)) if outputs else (),
        files=tuple((str(p), str(h)) for p, h in json.loads(files)) if files else (),
        submits=submits,
        unknown_resubmits=unknown,
    )


_COLUMNS = "key, row, request, state, prediction_id, task_code, error, outputs, files, submits, unknown_resubmits"


class Journal:
    """The journal of one batch; open with ``Journal(path)`` (raises JournalLockedError if in use)."""

    def __init__(self, path: str | Path, *, durable: bool = False) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=0, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"cannot open the batch journal {self.path}: {exc}") from None
        try:
            # EXCLUSIVE before the first WAL access: the lock is held until close (or death).
            self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL: a commit survives the process being killed; FULL also survives power loss.
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            with self._transaction():  # takes the lock for good (or fails at once: timeout=0)
                self._db.execute(_SCHEMA)
        except sqlite3.OperationalError as exc:
            self._db.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise JournalLockedError(
                    f"the batch journal {self.path} is in use by another batch process; wait for it to "
                    "finish (or stop it) and run again: two processes on one journal could bill items twice"
                ) from None
            raise JournalError(f"cannot open the batch journal {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise JournalError(f"{self.path} is not a batch journal: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def add(self, items: Iterable[tuple[str, int, dict[str, Any]]]) -> None:
        """Record (key, row, request) as pending unless the key is already known (one transaction)."""
        now = time.time()
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO items (key, row, request, state, updated) VALUES (?, ?, ?, ?, ?)",
                [(key, row, json.dumps(request, sort_keys=True), PENDING, now) for key, row, request in items],
            )

    def get(self, key: str) -> JournalRow | None:
        found = self._db.execute(f"SELECT {_COLUMNS} FROM items WHERE key = ?", (key,)).fetchone()
        return None if found is None else _row(found)

    def rows(self) -> list[JournalRow]:
        return [_row(r) for r in self._db.execute(f"SELECT {_COLUMNS} FROM items ORDER BY row, key")]

    def counts(self) -> dict[str, int]:
        found = dict(self._db.execute("SELECT state, COUNT(*) FROM items GROUP BY state").fetchall())
        return {state: int(found.get(state, 0)) for state in STATES}

    def move(
        self,
        key: str,
        state: str,
        *,
        prediction_id: str | None = None,
        task_code: int | None = None,
        error: str | None = None,
        outputs: Iterable[str] | None = None,
        files: Iterable[tuple[str, str]] | None = None,
        submit: bool = False,
        unknown_resubmit: bool = False,
    ) -> None:
        """Commit the item's new state (and what comes with it) in one transaction."""
        assert state in STATES, state
        sets = ["state = ?", "updated = ?", "error = ?", "task_code = ?"]
        values: list[Any] = [state, time.time(), error, task_code]
        if prediction_id is not None or state in (PENDING, SUBMITTING):
            sets.append("prediction_id = ?")
            values.append(prediction_id)
        if outputs is not None:
            sets.append("outputs = ?")
            values.append(json.dumps(list(outputs)))
        if files is not None:
            sets.append("files = ?")
            values.append(json.dumps([list(f) for f in files]))
        if submit:
            sets.append("submits = submits + 1")
        if unknown_resubmit:
            sets.append("unknown_resubmits = unknown_resubmits + 1")
        with self._transaction():
            self._db.execute(f"UPDATE items SET {', '.join(sets)} WHERE key = ?", (*values, key))

    def _transaction(self) -> _Tx:
        return _Tx(self._db)


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
