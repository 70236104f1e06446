"""The batch engine behind ``Step1XEdit.batch()``, ``AsyncStep1XEdit.batch()`` and ``step1x-edit batch``.

One async engine for both clients: it calls only their public methods (upload, submit, wait,
download). The async client's methods are awaited; the sync client's run in a thread pool
sized to the concurrency. Every transition is committed to the journal (``_journal``) before
the next step, so a killed batch resumes where it stopped without billing an item twice.

Rate limits: a submit answered 429 goes back to ``pending`` (the server did not run it), every
submit waits out its ``Retry-After``, and the concurrency is halved (at most once per
round of requests in flight), then raised by ``1/limit`` per accepted submit (AIMD).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
import shutil
import signal
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from . import _journal as j
from ._batch_results import (
    COMPLETED,
    FAILED,
    OK_STATUSES,
    SAVED,
    SKIPPED,
    UNFINISHED,
    UNKNOWN,
    BatchOptions,
    BatchResult,
    BatchSummary,
)
from ._deadline import monotonic
from ._exceptions import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InvalidParameterError,
    PayloadTooLargeError,
    PredictionFailedError,
    RateLimitError,
    Step1XEditError,
)
from ._files import place_once, sha256_file
from ._manifest import BatchItem, prepare_items
from ._models import Prediction
from ._pacing import Duration, Limiter, Pacer
from ._retry import rate_limits_to_caller

__all__ = [
    "COMPLETED",
    "FAILED",
    "OK_STATUSES",
    "SAVED",
    "SKIPPED",
    "UNFINISHED",
    "UNKNOWN",
    "AsyncBatch",
    "Batch",
    "BatchOptions",
    "BatchResult",
    "BatchSummary",
]

JOURNAL_NAME: Final = ".step1x-edit-batch.sqlite3"
TMP_DIR: Final = ".step1x-edit-batch.tmp"
#: TEST-ONLY hook (used by tests/batch/test_crash.py): "POINT:N" makes the process SIGKILL itself
#: the Nth time it passes POINT (a journal state just committed, or posted/downloaded/linked).
KILL_ENV: Final = "STEP1X_EDIT_BATCH_TEST_KILL_AT"
_MAX_429_PER_ITEM = 50
_CANCEL_GRACE = 30.0


class _Stop(Exception):
    """The whole batch must stop (bad key, output folder not writable...)."""


class _Calls:
    """Call the client's public methods the same way for both clients (awaited, or in a thread)."""

    def __init__(self, client: Any, executor: ThreadPoolExecutor | None) -> None:
        self.client, self.executor = client, executor

    async def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        method = getattr(self.client, name)
        if self.executor is None:
            return await method(*args, **kwargs)
        context = contextvars.copy_context()  # carries rate_limits_to_caller into the thread
        call = functools.partial(context.run, method, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)


def _kill_hook() -> Callable[[str], None]:
    spec = os.environ.get(KILL_ENV, "")
    point, _, count = spec.partition(":")
    if not point:
        return lambda _name: None
    target, seen = int(count or 1), {"n": 0}

    def passed(name: str) -> None:
        if name == point:
            seen["n"] += 1
            if seen["n"] == target:
                os.kill(os.getpid(), signal.SIGKILL)

    return passed


class _Engine:
    def __init__(self, calls: _Calls, items: list[BatchItem], options: BatchOptions, summary: BatchSummary) -> None:
        self.calls, self.items, self.summary = calls, items, summary
        output = options.get("output_dir")
        self.output_dir = Path(output) if output is not None else None
        journal = options.get("journal")
        if journal is None:
            journal = self.output_dir / JOURNAL_NAME if self.output_dir is not None else ":memory:"
        self.journal_path = Path(journal)
        concurrency = int(options.get("concurrency", 16))
        if concurrency < 1:
            raise InvalidParameterError("concurrency", concurrency, "an integer >= 1")
        rate = options.get("rate")
        if rate is not None and not rate > 0:
            raise InvalidParameterError("rate", rate, "a positive number of submits per second, or None")
        self.limiter = Limiter(concurrency)
        self.saving = asyncio.Semaphore(concurrency)  # downloads + writes in flight, at most
        self.pacer = Pacer(rate)
        self.timeout = options.get("timeout", 600.0)
        self.retry_failed = options.get("retry_failed", False)
        self.resubmit_unknown = options.get("resubmit_unknown", False)
        self.passed = _kill_hook()
        self.duration = Duration()
        self._sent: dict[str, float] = {}
        self.journal: j.Journal  # opened by run()
        self.stop: BaseException | None = None

    # -- the run -------------------------------------------------------------------------------
    async def run(self) -> AsyncIterator[BatchResult]:
        started = monotonic()
        self.journal = journal = j.Journal(self.journal_path)
        self.summary.journal = None if str(self.journal_path) == ":memory:" else str(self.journal_path)
        results: asyncio.Queue[BatchResult] = asyncio.Queue()
        tasks: set[asyncio.Task[None]] = set()
        try:
            journal.add((item.key, item.row, item.request()) for item in self.items)
            self.passed(j.PENDING)
            self._clean_tmp()
            todo: list[BatchItem] = []
            for item in self.items:
                early = self._settled(item)
                if early is None:
                    todo.append(item)
                else:
                    yield self._count(early)
            producer = asyncio.create_task(self._produce(todo, results, tasks))
            tasks.add(producer)
            for _ in range(len(todo)):
                yield self._count(await results.get())
            await producer
        finally:
            for task in list(tasks):
                task.cancel()
            await asyncio.gather(*list(tasks), return_exceptions=True)
            self._clean_tmp()
            journal.close()
            self.summary.elapsed = monotonic() - started

    def _count(self, result: BatchResult) -> BatchResult:
        self.summary.counts[result.status] += 1
        return result

    def _settled(self, item: BatchItem) -> BatchResult | None:
        """The outcome of an item this run will not touch, or None if there is work to do."""
        row = self.journal.get(item.key)
        assert row is not None
        if row.state == j.SAVED:
            files = tuple(Path(p) for p, _ in row.files)
            if all(p.is_file() for p in files):
                return BatchResult(item, SKIPPED, prediction_id=row.prediction_id, files=files)
            self.journal.move(item.key, j.COMPLETED, prediction_id=row.prediction_id)  # a file went missing
        if row.state == j.FAILED and not self.retry_failed:
            prediction = Prediction(
                id=row.prediction_id or "", status="failed", error=row.error, task_code=row.task_code
            )
            return BatchResult(
                item, FAILED, prediction, Step1XEditError(row.error or "failed"), prediction_id=row.prediction_id
            )
        if row.state == j.SUBMITTING and not self.resubmit_unknown:
            return BatchResult(item, UNKNOWN, error=Step1XEditError(_MAY_EXIST))
        if row.state == j.COMPLETED and self.output_dir is None:
            return BatchResult(item, COMPLETED, prediction_id=row.prediction_id)
        return None

    async def _produce(
        self, todo: list[BatchItem], results: asyncio.Queue[BatchResult], tasks: set[asyncio.Task[None]]
    ) -> None:
        for item in todo:
            await self.limiter.acquire()
            if self.stop is not None:
                self.limiter.release()
                results.put_nowait(BatchResult(item, UNFINISHED, error=self.stop))
                continue
            task = asyncio.create_task(self._one(item, results))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def _one(self, item: BatchItem, results: asyncio.Queue[BatchResult]) -> None:
        held = [True]  # the concurrency slot is the server's: given back once the prediction ended

        def release() -> None:
            if held[0]:
                held[0] = False
                self.limiter.release()

        try:
            result = await self._advance(item, release)
        except _Stop as stop:
            if self.stop is None:
                self.stop = stop
                self.summary.stopped, self.summary.stop_cause = str(stop), stop.__cause__
            result = BatchResult(item, UNFINISHED, error=self.stop)
        finally:
            release()
        results.put_nowait(result)

    # -- one item, from its journal state to saved --------------------------------------------
    async def _advance(self, item: BatchItem, release: Callable[[], None]) -> BatchResult:
        row = self.journal.get(item.key)
        assert row is not None
        state, pid = row.state, row.prediction_id
        if state == j.SUBMITTING:  # only reached with resubmit_unknown
            self.journal.move(item.key, j.PENDING, unknown_resubmit=True)
            state = j.PENDING
        if state == j.FAILED:  # only reached with retry_failed
            self.journal.move(item.key, j.PENDING)
            state = j.PENDING
        prediction: Prediction | None = None
        if state == j.PENDING:
            outcome = await self._submit(item)
            if isinstance(outcome, BatchResult):
                return outcome
            prediction, pid, state = outcome, outcome.id, j.SUBMITTED
        if state == j.SUBMITTED:
            assert pid is not None
            outcome = await self._wait(item, prediction or pid)
            if isinstance(outcome, BatchResult):
                return outcome
            prediction, state = outcome, j.COMPLETED
        assert pid is not None
        if prediction is None:
            prediction = Prediction(id=pid, status="completed", outputs=self.journal.get(item.key).outputs)  # type: ignore[union-attr]
        if self.output_dir is None:
            return BatchResult(item, COMPLETED, prediction, prediction_id=pid)
        release()  # saving is local work and output downloads: the next item may start
        async with self.saving:
            return await self._save(item, prediction)

    async def _submit(self, item: BatchItem) -> Prediction | BatchResult:
        image: str | bytes = item.image
        try:
            if isinstance(image, bytes) or not image.startswith(("http://", "https://", "data:")):
                image = await self.calls("upload", image)  # before 'submitting': an upload bills nothing
        except InvalidParameterError as exc:
            self.journal.move(item.key, j.FAILED, error=str(exc))
            return BatchResult(item, FAILED, error=exc)
        except APIError as exc:
            return self._api_trouble(item, exc, None)
        for _ in range(_MAX_429_PER_ITEM):
            await self.pacer.wait()
            self.journal.move(item.key, j.SUBMITTING, submit=True)
            self.passed(j.SUBMITTING)
            self.summary.submits += 1
            sent_at = monotonic()
            token = rate_limits_to_caller.set(True)
            try:
                prediction: Prediction = await self._submit_to_the_end(item, image)
            except RateLimitError as exc:  # turned away: no task was created
                self.journal.move(item.key, j.PENDING, error=str(exc))
                self.summary.rate_limited += 1
                self.pacer.rejected(exc.retry_after, sent_at)
                # The pace now keeps to the limit; fewer items in flight than that pace needs
                # (submits per second x seconds per item) would only slow the batch further.
                self.limiter.decrease(sent_at, floor=(self.pacer.rate or 0.0) * (self.duration.guess or 0.0) * 1.2)
                continue
            except (BadRequestError, PayloadTooLargeError, InvalidParameterError) as exc:
                self.journal.move(item.key, j.FAILED, error=str(exc))
                return BatchResult(item, FAILED, error=exc)
            except APIError as exc:
                if exc.task_may_exist:  # stays 'submitting': never resubmitted unless asked
                    return BatchResult(item, UNKNOWN, error=exc)
                self.journal.move(item.key, j.PENDING, error=str(exc))
                return self._api_trouble(item, exc, None)
            finally:
                rate_limits_to_caller.reset(token)
            self.passed("posted")
            self._sent[prediction.id] = sent_at
            self.journal.move(item.key, j.SUBMITTED, prediction_id=prediction.id)
            self.passed(j.SUBMITTED)
            self.limiter.increase()
            self.pacer.accepted()
            return prediction
        return BatchResult(item, UNFINISHED, error=Step1XEditError("still rate limited after many tries; run again"))

    async def _submit_to_the_end(self, item: BatchItem, image: str | bytes) -> Prediction:
        """Submit; if the batch is cancelled meanwhile (Ctrl-C, a consumer leaving the loop), let
        the POST that may be on the wire answer (up to 30 s) and keep its id before stopping."""
        sending = asyncio.ensure_future(self.calls("submit", item.prompt, image, **item.params))
        try:
            return await asyncio.shield(sending)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                made: Prediction = await asyncio.wait_for(sending, _CANCEL_GRACE)
                self.journal.move(item.key, j.SUBMITTED, prediction_id=made.id)
            raise

    async def _wait(self, item: BatchItem, prediction: Prediction | str) -> Prediction | BatchResult:
        pid = prediction.id if isinstance(prediction, Prediction) else prediction
        try:
            looked = await self._look(prediction)
            done = looked or await self.calls("wait", prediction, timeout=self.timeout)
        except PredictionFailedError as exc:
            failed = exc.prediction
            self.journal.move(
                item.key, j.FAILED, prediction_id=pid, task_code=failed.task_code, error=failed.error or failed.status
            )
            self.passed(j.FAILED)
            return BatchResult(item, FAILED, failed, exc, prediction_id=pid)
        except Step1XEditError as exc:  # deadline, network, server: stays 'submitted', resumable
            return self._api_trouble(item, exc, pid)
        if (sent := self._sent.pop(pid, None)) is not None and done is not looked:
            self.duration.observe(monotonic() - sent)
        self.journal.move(item.key, j.COMPLETED, prediction_id=pid, outputs=done.outputs)
        self.passed(j.COMPLETED)
        return done

    async def _look(self, prediction: Prediction | str) -> Prediction | None:
        """Look at a fresh submit about when most items finish (learned), before the client's wait.

        Returns the prediction if it is done (PredictionFailedError if it failed), else None.
        """
        sent = self._sent.get(prediction.id) if isinstance(prediction, Prediction) else None
        guess = self.duration.guess
        if sent is None or guess is None or isinstance(prediction, str):
            return None
        for extra in (0.0, 0.1, 0.25):
            await asyncio.sleep(max(0.0, sent + guess * (1 + extra) - monotonic()))
            asked = monotonic() - sent  # when it was asked, not answered: the answer's latency is no job time
            try:
                current: Prediction = await self.calls("get", prediction.id)
            except Step1XEditError:
                return None  # the client's wait() deals with it
            if current.done:
                self.duration.observe(asked)
                if not current.succeeded:
                    raise PredictionFailedError(current)
                return current
        return None

    def _api_trouble(self, item: BatchItem, exc: Step1XEditError, pid: str | None) -> BatchResult:
        if isinstance(exc, AuthenticationError):
            raise _Stop(str(exc)) from exc
        return BatchResult(item, UNFINISHED, error=exc, prediction_id=pid)

    async def _save(self, item: BatchItem, prediction: Prediction) -> BatchResult:
        assert self.output_dir is not None
        scratch = self.output_dir / TMP_DIR  # one per run; the client names files by prediction id
        downloaded: list[Path] = []
        try:
            scratch.mkdir(parents=True, exist_ok=True)
            downloaded = await self.calls("download", prediction, scratch)
            self.passed("downloaded")
            files: list[tuple[str, str]] = []
            for index, path in enumerate(downloaded):
                target = self.output_dir / f"{item.key[:20]}-{index}{path.suffix}"
                digest = sha256_file(path)
                place_once(path, target, digest)
                self.passed("linked")
                files.append((str(target), digest))
        except APIError as exc:
            return self._api_trouble(item, exc, prediction.id)
        except Step1XEditError as exc:  # an existing different file: left alone, item resumable
            return BatchResult(item, UNFINISHED, prediction, exc, prediction_id=prediction.id)
        except OSError as exc:
            raise _Stop(
                f"cannot write to {self.output_dir}: {exc.strerror or exc}; the journal keeps every prediction: "
                "fix the folder (space, permissions) and run the same command again"
            ) from exc
        finally:
            for path in downloaded:
                path.unlink(missing_ok=True)
        self.journal.move(item.key, j.SAVED, prediction_id=prediction.id, files=files)
        self.passed(j.SAVED)
        return BatchResult(item, SAVED, prediction, files=tuple(Path(p) for p, _ in files), prediction_id=prediction.id)

    def _clean_tmp(self) -> None:
        if self.output_dir is not None:
            shutil.rmtree(self.output_dir / TMP_DIR, ignore_errors=True)


_MAY_EXIST = (
    "a submit was interrupted after it may have reached the server: a billed task may exist "
    "(check your WaveSpeed history); not resubmitted unless you ask (resubmit_unknown / --resubmit-unknown)"
)


class AsyncBatch:
    """``async for result in client.batch(items, ...)``; ``.summary`` once the loop ends."""

    def __init__(
        self,
        client: Any,
        items: Iterable[Mapping[str, Any]],
        options: BatchOptions,
        *,
        executor: ThreadPoolExecutor | None = None,
    ) -> None:
        valid, invalid, duplicates = prepare_items(items, skip_invalid=options.get("skip_invalid", False))
        self.summary = BatchSummary(total=len(valid), invalid=len(invalid), duplicates=duplicates)
        self.invalid = invalid
        self.items = valid
        self._engine = _Engine(_Calls(client, executor), valid, options, self.summary)

    @property
    def in_flight(self) -> int:
        return self._engine.limiter.active

    @property
    def concurrency(self) -> float:
        return self._engine.limiter.limit

    def __aiter__(self) -> AsyncIterator[BatchResult]:
        return self._engine.run()


class Batch:
    """``for result in client.batch(items, ...)``; ``.summary`` once the loop ends.

    Runs the async engine on a private event loop; the sync client's calls go to a thread pool
    with one thread per concurrent item.
    """

    def __init__(self, client: Any, items: Iterable[Mapping[str, Any]], options: BatchOptions) -> None:
        self._async = AsyncBatch(client, items, options)  # validates everything first
        workers = self._async._engine.limiter.maximum
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="step1x-batch")
        self._async._engine.calls.executor = self._executor
        self.summary = self._async.summary
        self.invalid = self._async.invalid
        self.items = self._async.items

    def __iter__(self) -> Iterator[BatchResult]:
        runner = asyncio.Runner()
        results = self._async.__aiter__()
        try:
            while True:
                try:
                    yield runner.run(anext(results))  # type: ignore[arg-type]
                except StopAsyncIteration:
                    return
        finally:
            runner.run(results.aclose())  # type: ignore[attr-defined]
            runner.close()
            # Threads still in a wait() end on their own; a consumer that left the loop early
            # does not wait for them.
            self._executor.shutdown(wait=False, cancel_futures=True)
