"""What ``step1x-edit batch`` shows: the live progress bar, the summary table, the exit code.

Imported only by the ``batch`` command (rich is the CLI extra's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._batch import FAILED, OK_STATUSES, UNFINISHED, UNKNOWN, AsyncBatch, BatchResult, BatchSummary

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Task
    from rich.text import Text

__all__ = ["drive", "exit_code", "summary_table"]

#: Exit codes of `step1x-edit batch` beyond the shared ones (documented in cli.py).
INCOMPLETE, LOCKED, OUTPUT = 10, 11, 12


def exit_code(summary: BatchSummary) -> int:
    """0 when every item succeeded; else the most actionable failure class."""
    from ._exceptions import AuthenticationError

    if summary.stopped is not None:
        return 3 if isinstance(summary.stop_cause, AuthenticationError) else OUTPUT
    if summary.counts[UNKNOWN] or summary.counts[UNFINISHED]:
        return INCOMPLETE
    if summary.counts[FAILED]:
        return 7
    if summary.invalid:
        return 2
    return 0


def _columns(run: AsyncBatch) -> list[Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, ProgressColumn, TimeElapsedColumn, TimeRemainingColumn
    from rich.text import Text

    class Counts(ProgressColumn):
        def render(self, task: Task) -> Text:  # noqa: ARG002 (rich's signature)
            c = run.summary.counts
            done = sum(c[s] for s in OK_STATUSES)
            return Text(
                f"done {done}  failed {c[FAILED]}  in flight {run.in_flight}  "
                f"(limit {int(run.concurrency)})  429s {run.summary.rate_limited}"
            )

    class Rate(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:.1f} items/s" if speed else "- items/s")

    return [Counts(), BarColumn(), MofNCompleteColumn(), Rate(), TimeElapsedColumn(), TimeRemainingColumn()]


async def drive(run: AsyncBatch, console: Console) -> list[BatchResult]:
    """Run the batch with a live progress bar on stderr (when it is a terminal); return every result."""
    from rich.progress import Progress

    results: list[BatchResult] = []
    with Progress(*_columns(run), console=console, disable=not console.is_terminal, transient=False) as progress:
        task = progress.add_task("batch", total=run.summary.total)
        async for result in run:
            results.append(result)
            progress.advance(task)
    return results


def summary_table(run: AsyncBatch, results: list[BatchResult]) -> Any:
    from rich.console import Group
    from rich.table import Table

    summary = run.summary
    table = Table(title="step1x-edit batch", show_header=True)
    table.add_column("items")
    table.add_column("count", justify="right")
    for name, value in summary.to_dict().items():
        if name not in ("ok", "journal", "stopped") and value:
            table.add_row(name, str(value))
    problems = Table(title="items to look at", show_header=True)
    for column in ("row", "status", "prediction", "error"):
        problems.add_column(column)
    bad = [r for r in results if not r.ok]
    for r in sorted(bad, key=lambda r: r.item.row)[:30]:
        error = "" if r.error is None else str(r.error).splitlines()[0]
        problems.add_row(str(r.item.row), r.status, r.prediction_id or "", error[:160])
    parts: list[Any] = [table]
    if bad:
        parts.append(problems)
    return Group(*parts)
