"""Step1XEdit and AsyncStep1XEdit: submit, wait, edit, get, upload, download.

Both share configuration, input preparation and the polling schedule (``_Base``); only the
I/O differs. Every request goes through one httpx client per instance (keep-alive) whose
transport retries per _retry's policy and clips timeouts to the call's deadline.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import time
from collections.abc import Callable, Coroutine, Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Concatenate, ParamSpec, TypeVar

import httpx

from ._checks import _check_base_url, _check_id, _check_key, _check_retries, _check_timeout
from ._constants import (
    CLIENT_NAME,
    CLIENT_VERSION,
    ENV_API_KEY,
    ENV_BASE_URL,
)
from ._deadline import Deadline, monotonic
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    DeadlineExceededError,
    InvalidParameterError,
    PredictionFailedError,
    PredictionInterrupted,
    Step1XEditError,
)
from ._files import _extension, _local_file, _read_upload, _sniff, _Upload
from ._models import Prediction
from ._polling import DurationEstimate, PollPolicy, poll_times
from ._retry import RetryPolicy
from ._spec_data import DEFAULT_BASE_URL
from ._validation import validate_edit_params

__all__ = ["AsyncStep1XEdit", "Step1XEdit"]

log = logging.getLogger("step1x_edit")

# Seams for tests: patch these to run polling and retries without waiting.
_sleep: Callable[[float], None] = time.sleep


async def _async_sleep(seconds: float) -> None:
    import asyncio  # imported on first use: asyncio alone costs ~40 % of `import httpx`

    await asyncio.sleep(seconds)


ImageInput = str | os.PathLike[str] | bytes
FileInput = str | os.PathLike[str] | bytes | IO[bytes]
StatusCallback = Callable[[Prediction], None]
_PLACEHOLDER_URL = "https://upload.invalid/pending"
_REMOTE_PREFIXES = ("http://", "https://", "data:")


@dataclass(slots=True)
class _Submission:
    """One submit as asked: what to send (checked by ``_prepare``), the call's deadline and callback.

    Not frozen (never changed either): a frozen dataclass sets each field through
    ``object.__setattr__``, a cost paid on every submit.
    """

    prompt: str
    image: ImageInput
    params: Mapping[str, Any]
    sync: bool
    base64_output: bool
    webhook: str | None
    deadline: Deadline
    on_status: StatusCallback | None = None


class _KeyAuth(httpx.Auth):
    """Adds the key to each API request as it is sent (never to a client's default headers)."""

    def __init__(self, headers: Callable[[], dict[str, str]]) -> None:
        self._headers = headers

    def __repr__(self) -> str:
        return "_KeyAuth(<hidden>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers = request.headers
        for name, value in self._headers().items():
            headers[name] = value  # one assignment each: cheaper than update(), which builds a Headers
        yield request


class _Base:
    """Configuration and everything that does no I/O."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        request_timeout: object,
        max_retries: int,
        poll: PollPolicy | None,
        retry: RetryPolicy | None = None,
        client_base_url: httpx.URL | None = None,
    ) -> None:
        key = _check_key(api_key if api_key is not None else os.environ.get(ENV_API_KEY))
        if base_url is None and client_base_url is not None and str(client_base_url):
            base_url = str(client_base_url)  # the caller's client's base URL, checked like any other
        self.base_url = _check_base_url(base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL)
        self.__api_key = key  # name-mangled and never printed
        self.request_timeout = _check_timeout(request_timeout)
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise InvalidParameterError("retry", retry, "a RetryPolicy")
        if poll is not None and not isinstance(poll, PollPolicy):
            raise InvalidParameterError("poll", poll, "a PollPolicy")
        self.retry_policy = retry or RetryPolicy(max_retries=_check_retries(max_retries))
        self.poll = poll or PollPolicy()
        self._durations = DurationEstimate()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @property
    def timeout(self) -> httpx.Timeout:
        """Deprecated name of ``request_timeout`` (the per-request limits)."""
        return self.request_timeout

    def _auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.__api_key}",
        }

    @staticmethod
    def _headers() -> dict[str, str]:
        return {
            "User-Agent": f"{CLIENT_NAME}/{CLIENT_VERSION} (python; httpx {httpx.__version__})",
            "X-Client-Name": CLIENT_NAME,
            "X-Client-Version": CLIENT_VERSION,
        }

    def _prepare(
        self,
        prompt: str,
        image: ImageInput,
        params: Mapping[str, Any],
        *,
        sync: bool,
        base64_output: bool,
        webhook: str | None,
    ) -> tuple[dict[str, Any], _Upload | None]:
        """Validate everything (sending nothing); return the body and a pending upload, if any."""
        given = {"prompt": prompt, **{name: value for name, value in params.items() if value is not None}}
        if not isinstance(sync, bool):
            raise InvalidParameterError("sync", sync, "true or false")
        if not isinstance(base64_output, bool):
            raise InvalidParameterError("base64_output", base64_output, "true or false")
        if sync:
            given["enable_sync_mode"] = True
        if base64_output:
            given["enable_base64_output"] = True
        local: Path | None = None
        if isinstance(image, bytes | bytearray):
            given["image"] = _PLACEHOLDER_URL
        elif isinstance(image, os.PathLike) or (isinstance(image, str) and not image.startswith(_REMOTE_PREFIXES)):
            local = _local_file("image", image)
            given["image"] = _PLACEHOLDER_URL
        else:
            given["image"] = image
        body = validate_edit_params(given)
        if webhook is not None:
            if not isinstance(webhook, str) or not webhook.startswith(("https://", "http://")):
                raise InvalidParameterError("webhook", webhook, "an http(s) URL that accepts POST")
            if not webhook.isascii() or not webhook.isprintable() or any(c.isspace() for c in webhook):
                raise InvalidParameterError("webhook", webhook, "an http(s) URL (printable ASCII, no spaces)")
            if base64_output:
                raise InvalidParameterError(
                    "webhook", webhook, "not together with base64_output=True (the API rejects webhook + base64 output)"
                )
        pending: _Upload | None = None
        if body["image"] == _PLACEHOLDER_URL:
            # Read only once the rest is known to be valid; it must be an image, by its bytes.
            if local is not None:
                pending = _read_upload(local, field="image")
            else:
                assert isinstance(image, bytes | bytearray)
                pending = _read_upload(image, "image", field="image")
            kind = _sniff(pending.content)
            if kind is None:
                raise InvalidParameterError(
                    "image",
                    image if local is not None else f"<{len(pending.content)} bytes>",
                    "an image file (PNG, JPEG, WebP, GIF, BMP or TIFF); this is not an image by its first bytes",
                )
            if local is None:
                pending = _Upload("image" + _extension(kind), pending.content, kind)
        return body, pending

    def _notify(self, on_status: StatusCallback | None, prediction: Prediction, previous: str | None) -> str:
        if prediction.status != previous:
            log.debug("prediction %s is %s", prediction.id, prediction.status)
            if on_status is not None:
                with _interruptible(prediction.id):
                    on_status(prediction)
        return prediction.status

    @staticmethod
    def _finish(prediction: Prediction) -> Prediction:
        if prediction.succeeded:
            return prediction
        raise PredictionFailedError(prediction)

    @staticmethod
    def _deadline_error(
        prediction_id: str | None,
        prediction: Prediction | None = None,
        *,
        submitting: bool = False,
        task_may_exist: bool = True,
        what: str | None = None,
    ) -> DeadlineExceededError:
        if submitting:
            if task_may_exist:
                text = (
                    "the timeout passed while submitting; a task may exist (check your WaveSpeed history "
                    "before resubmitting)"
                )
            else:
                text = "the timeout passed before the submit could be sent: nothing was submitted"
            return DeadlineExceededError(text, prediction_id=None, task_may_exist=task_may_exist)
        if what is not None:
            return DeadlineExceededError(f"the timeout passed during {what}", prediction_id=prediction_id)
        status = f" (last status: {prediction.status})" if prediction is not None else ""
        return DeadlineExceededError(
            f"prediction {prediction_id} did not finish before the timeout{status}; "
            f"it may still complete: resume with wait({prediction_id!r})",
            prediction_id=prediction_id,
            prediction=prediction,
        )

    def _timed_out(self, error: APIError, deadline: Deadline, what: str) -> Step1XEditError:
        """A connection/timeout error after the deadline passed is the deadline's doing."""
        if isinstance(error, APIConnectionError) and deadline.expired():
            return self._deadline_error(error.prediction_id, what=what)
        return error

    def _estimate(self, learn: bool) -> float | None:
        """The typical job duration a learning wait plans with (None: the base schedule)."""
        return self._durations.value if learn and self.poll.learn else None

    def _schedule(self, learn: bool) -> Iterator[float]:
        return poll_times(self.poll, self._estimate(learn))

    def _learn(self, learn: bool, last_pending: float | None, seen: float) -> None:
        if learn and self.poll.learn:
            self._durations.observe(last_pending, seen)

    @staticmethod
    def _download_args(prediction: object, max_bytes: object) -> int:
        if not isinstance(prediction, Prediction):
            raise InvalidParameterError("prediction", prediction, "a Prediction (as edit(), get() or wait() return)")
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise InvalidParameterError("max_bytes", max_bytes, "a positive whole number of bytes")
        return max_bytes


class _Poller:
    """The decisions of one wait, without I/O: when to poll next, what a result means.

    Both clients drive it: ``delay()`` says how long to sleep before the next poll (or raises
    DeadlineExceededError once the deadline has been slept up to), ``failed()`` turns a poll
    error into what to raise, ``seen()`` returns the final prediction once it is done.
    """

    def __init__(
        self,
        client: _Base,
        prediction: str | Prediction,
        deadline: Deadline,
        on_status: StatusCallback | None,
        learn: bool,
    ) -> None:
        self.client, self.deadline, self.on_status, self.learn = client, deadline, on_status, learn
        self.id = prediction.id if isinstance(prediction, Prediction) else _check_id(prediction)
        self.current = prediction if isinstance(prediction, Prediction) else None
        self.status = self.current.status if self.current is not None else None
        self.last_pending: float | None = None
        self.planned = client._estimate(learn)
        self.times = client._schedule(learn)
        self.last_at = 0.0  # seconds after the start of the last poll planned
        self.sent_at = 0.0  # seconds after the start when the last poll went out
        self.expired = False

    def delay(self) -> float:
        if self.expired or self.deadline.expired():
            raise self.client._deadline_error(self.id, self.current)
        if (estimate := self.client._estimate(self.learn)) != self.planned:
            # Another wait of this client finished and the typical duration moved: re-plan the
            # polls still to come on the new estimate (concurrent waits all benefit at once).
            # Never later than the old plan's next poll: a lower estimate whose anchor and
            # follow-up already lie behind this job would otherwise skip to a far poll.
            self.planned, after = estimate, self.last_at
            upcoming = next(self.times)
            fresh = (t for t in self.client._schedule(self.learn) if t > after)
            first = next(fresh)
            self.times = itertools.chain((upcoming, first) if upcoming < first else (first,), fresh)
        self.last_at = next(self.times)
        target = self.deadline.started + self.last_at
        now = monotonic()
        if self.deadline.at is not None and target >= self.deadline.at:
            # Sleep up to the deadline and poll one last time (its timeouts are clipped to
            # ~1 ms, so this cannot overshoot), then the next delay() raises.
            self.expired = True
            return max(0.0, self.deadline.at - now)
        return max(0.0, target - now)

    def sending(self) -> None:
        """Called right before each poll goes out: learning brackets jobs by send times."""
        self.sent_at = self.deadline.elapsed()

    def failed(self, error: APIError) -> Step1XEditError:
        if isinstance(error, APIConnectionError | APIStatusError) and self.deadline.expired():
            return self.client._deadline_error(self.id, self.current)
        error.prediction_id = error.prediction_id or self.id
        return error

    def seen(self, prediction: Prediction) -> Prediction | None:
        self.current = prediction
        self.status = self.client._notify(self.on_status, prediction, self.status)
        if not prediction.done:
            self.last_pending = self.sent_at
            return None
        self.client._learn(self.learn, self.last_pending, self.sent_at)
        return self.client._finish(prediction)


class _interruptible:
    """Turn Ctrl-C into PredictionInterrupted carrying the id (still a KeyboardInterrupt).

    A plain class, not @contextmanager: it wraps every wait (the generator-based one cost a
    generator and its frames per call)."""

    __slots__ = ("prediction_id",)

    def __init__(self, prediction_id: str) -> None:
        self.prediction_id = prediction_id

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        if isinstance(exc, KeyboardInterrupt) and not isinstance(exc, PredictionInterrupted):
            raise PredictionInterrupted(self.prediction_id) from exc


def _note_cancelled(exc: BaseException, prediction_id: str) -> None:
    """A cancelled async wait (asyncio turns Ctrl-C into a cancellation) notes the prediction id."""
    import asyncio

    if isinstance(exc, asyncio.CancelledError):
        exc.add_note(f"prediction {prediction_id} carries on on the server: resume with wait({prediction_id!r})")


_S = TypeVar("_S")
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _id_of(prediction: str | Prediction) -> str:
    return prediction.id if isinstance(prediction, Prediction) else str(prediction)


def _names_prediction_on_interrupt(
    method: Callable[Concatenate[_S, str | Prediction, _P], _R],
) -> Callable[Concatenate[_S, str | Prediction, _P], _R]:
    """Ctrl-C inside a wait becomes PredictionInterrupted carrying the prediction id."""

    @functools.wraps(method)
    def wrapper(self: _S, prediction: str | Prediction, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with _interruptible(_id_of(prediction)):
            return method(self, prediction, *args, **kwargs)

    return wrapper


def _names_prediction_on_cancel(
    method: Callable[Concatenate[_S, str | Prediction, _P], Coroutine[Any, Any, _R]],
) -> Callable[Concatenate[_S, str | Prediction, _P], Coroutine[Any, Any, _R]]:
    """The async twin: Ctrl-C raised inside, or a cancellation, names the prediction id."""

    @functools.wraps(method)
    async def wrapper(self: _S, prediction: str | Prediction, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with _interruptible(_id_of(prediction)):
            try:
                return await method(self, prediction, *args, **kwargs)
            except BaseException as exc:
                _note_cancelled(exc, _id_of(prediction))
                raise

    return wrapper


_client_expected = "an httpx.Client (AsyncStep1XEdit takes an AsyncClient)"
_async_client_expected = "an httpx.AsyncClient (Step1XEdit takes a Client)"


# The clients: AsyncStep1XEdit is written by hand, Step1XEdit generated from it (scripts/regenerate).
from ._async_client import AsyncStep1XEdit  # noqa: E402
from ._sync_client import Step1XEdit  # noqa: E402
