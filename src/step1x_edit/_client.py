"""Step1XEdit and AsyncStep1XEdit: submit, wait, edit, get, upload, download.

Both share configuration, input preparation and the polling schedule (``_Base``); only the
I/O differs. Every request goes through one httpx client per instance (keep-alive) whose
transport retries per _retry's policy and clips timeouts to the call's deadline.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import logging
import mimetypes
import os
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Concatenate, Final, ParamSpec, TypeVar, Unpack

import httpx

from ._constants import (
    CLIENT_NAME,
    CONNECT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_WAIT_TIMEOUT,
    ENV_API_KEY,
    ENV_BASE_URL,
    POOL_TIMEOUT,
    READ_TIMEOUT,
    SYNC_READ_TIMEOUT,
    WRITE_TIMEOUT,
)
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
from ._models import Prediction
from ._polling import DurationEstimate, PollPolicy, poll_times
from ._retry import CallScope, RetryPolicy, async_remember_response, current_scope, monotonic, remember_response
from ._spec_data import DEFAULT_BASE_URL
from ._transport import AsyncRetryTransport, RetryTransport
from ._validation import validate_edit_params

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from step1x_edit_api import Client as GeneratedClient

    from ._batch import AsyncBatch, Batch, BatchOptions

__all__ = ["AsyncStep1XEdit", "Step1XEdit"]

log = logging.getLogger("step1x_edit")

# Seams for tests: patch these to run polling and retries without waiting.
_sleep: Callable[[float], None] = time.sleep


async def _async_sleep(seconds: float) -> None:
    import asyncio  # imported on first use: asyncio alone costs ~40 % of `import httpx`

    await asyncio.sleep(seconds)


_monotonic: Callable[[], float] = monotonic  # reads _retry._clock: patch that to fake time


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Final = _Default()
"""Use the client's default (e.g. ``timeout=DEFAULT`` means 600 s for edit/wait)."""

ImageInput = str | os.PathLike[str] | bytes
FileInput = str | os.PathLike[str] | bytes | IO[bytes]
StatusCallback = Callable[[Prediction], None]
_PLACEHOLDER_URL = "https://upload.invalid/pending"
_REMOTE_PREFIXES = ("http://", "https://", "data:")
__version__ = "0.1.0"


@dataclass(frozen=True, slots=True)
class _Upload:
    filename: str
    content: bytes
    content_type: str


def _read_upload(file: FileInput, filename: str | None = None) -> _Upload:
    if isinstance(file, bytes | bytearray):
        content, name = bytes(file), filename or "upload.bin"
    elif isinstance(file, str | os.PathLike):
        path = Path(file)
        if not path.is_file():
            raise InvalidParameterError("file", str(file), f"an existing file; {_not_a_file(path)}")
        try:
            content, name = path.read_bytes(), filename or path.name
        except OSError as exc:  # e.g. permission denied: the caller's file, not a server fault
            raise InvalidParameterError("file", str(file), f"a readable file; {path}: {exc.strerror}") from None
    else:
        content = file.read()
        name = filename or Path(str(getattr(file, "name", "upload.bin"))).name
    kind = _sniff(content) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return _Upload(name, content, kind)


def _not_a_file(path: Path) -> str:
    """Why a local path cannot be read as a file, in the caller's words."""
    try:
        if path.is_dir():
            return f"{path} is a directory"
        if not path.exists():
            return f"{path} does not exist"
    except OSError as exc:  # e.g. a name too long for the file system
        return f"{path} cannot be read: {exc.strerror}"
    return f"{path} is not a regular file"


_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
]


def _sniff(content: bytes) -> str | None:
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _MAGIC if content.startswith(magic)), None)


def _extension(content: bytes, content_type: str | None) -> str:
    kind = _sniff(content) or (content_type or "").split(";")[0].strip()
    return {"image/jpeg": ".jpg", "image/tiff": ".tiff"}.get(kind) or mimetypes.guess_extension(kind or "") or ".bin"


def _decode_base64_output(output: str) -> bytes:
    data = output.split(",", 1)[1] if output.startswith("data:") else output
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise APIError(f"output is neither a URL nor valid base64: {exc}") from None


def _check_id(prediction_id: object) -> str:
    if not isinstance(prediction_id, str) or not prediction_id or "/" in prediction_id:
        raise InvalidParameterError(
            "prediction_id", prediction_id, "a prediction id string such as the one submit returned"
        )
    return prediction_id


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_API_PATH = "/api/v3"


def _normalise_base_url(url: str) -> str:
    """Suggest the scheme when it is missing; drop a trailing API path (``/api/v3``...) users often copy."""
    head = url.split("/", 1)[0]
    if "://" not in url:
        host = head.rsplit(":", 1)[0] if head.count(":") == 1 else head
        scheme = "http" if _is_loopback(host) else "https"
        suggestion = f"{scheme}://{url.rstrip('/')}"
        raise InvalidParameterError(
            "base_url",
            url,
            f"a URL with its scheme, e.g. {suggestion}",
            message=f"base_url {url!r} has no scheme: did you mean {suggestion}?",
        )
    parsed = httpx.URL(url)
    path = parsed.path.rstrip("/")
    if _API_PATH in path:
        before = path[: path.index(_API_PATH)]
        log.debug("base_url %s: dropping %s (the client adds the API path itself)", url, path[len(before) :])
        return str(parsed.copy_with(path=before or "/", query=None, fragment=None)).rstrip("/")
    return url


def _check_base_url(url: str) -> str:
    url = _normalise_base_url(url)
    parsed = httpx.URL(url)
    if parsed.scheme == "https" or (parsed.scheme == "http" and _is_loopback(parsed.host)):
        return url.rstrip("/")
    raise InvalidParameterError(
        "base_url",
        url,
        "an https URL (plain http only to a loopback address: the API key would travel in clear text)",
    )


class _Base:
    """Configuration and everything that does no I/O."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        poll: PollPolicy | None,
        retry: RetryPolicy | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get(ENV_API_KEY)
        if not key:
            raise InvalidParameterError(
                "api_key",
                None,
                f"pass api_key= or set {ENV_API_KEY}",
                show_value=False,
                message=f"no API key: pass api_key= to the client or set the {ENV_API_KEY} environment variable",
            )
        self.base_url = _check_base_url(base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL)
        self.__api_key = key  # name-mangled and never printed
        if timeout is None or isinstance(timeout, int | float):
            self.timeout = httpx.Timeout(
                timeout if timeout is not None else READ_TIMEOUT,
                connect=CONNECT_TIMEOUT if timeout is None else min(CONNECT_TIMEOUT, timeout),
                write=WRITE_TIMEOUT if timeout is None else timeout,
                pool=POOL_TIMEOUT if timeout is None else min(POOL_TIMEOUT, timeout),
            )
        else:
            self.timeout = timeout
        self.retry_policy = retry or RetryPolicy(max_retries=max_retries)
        self.poll = poll or PollPolicy()
        self._durations = DurationEstimate()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.__api_key}",
            "User-Agent": f"{CLIENT_NAME}/{__version__} (python; httpx {httpx.__version__})",
            "X-Client-Name": CLIENT_NAME,
            "X-Client-Version": __version__,
        }

    @staticmethod
    def _deadline(timeout: float | _Default | None) -> float | None:
        if isinstance(timeout, _Default):
            timeout = DEFAULT_WAIT_TIMEOUT
        if timeout is None:
            return None
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise InvalidParameterError("timeout", timeout, "a positive number of seconds, or None for no limit")
        return _monotonic() + timeout

    def _prepare(
        self,
        prompt: str,
        image: ImageInput,
        params: dict[str, Any],
        *,
        sync: bool,
        base64_output: bool,
        webhook: str | None,
    ) -> tuple[dict[str, Any], _Upload | None]:
        """Validate everything (sending nothing); return the body and a pending upload, if any."""
        given = {"prompt": prompt, **{name: value for name, value in params.items() if value is not None}}
        if sync:
            given["enable_sync_mode"] = True
        if base64_output:
            given["enable_base64_output"] = True
        pending: _Upload | None = None
        if isinstance(image, bytes | bytearray):
            pending = _read_upload(image, "image" + _extension(bytes(image), None))
            given["image"] = _PLACEHOLDER_URL
        elif isinstance(image, os.PathLike) or (isinstance(image, str) and not image.startswith(_REMOTE_PREFIXES)):
            if not isinstance(image, str | os.PathLike) or not image or not Path(image).is_file():
                problem = f"; {_not_a_file(Path(image))}" if isinstance(image, str | os.PathLike) and image else ""
                raise InvalidParameterError(
                    "image", image, f"an http(s) URL, a data: URI, or an existing local file{problem}"
                )
            given["image"] = _PLACEHOLDER_URL
        else:
            given["image"] = image
        body = validate_edit_params(given)
        if webhook is not None:
            if not isinstance(webhook, str) or not webhook.startswith(("https://", "http://")):
                raise InvalidParameterError("webhook", webhook, "an http(s) URL that accepts POST")
            if base64_output:
                raise InvalidParameterError(
                    "webhook", webhook, "not together with base64_output=True (the API rejects webhook + base64 output)"
                )
        if body["image"] == _PLACEHOLDER_URL and pending is None:
            pending = _read_upload(image)  # a local file: read only once the rest is known to be valid
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
    def _expired(deadline: float | None) -> bool:
        return deadline is not None and _monotonic() >= deadline

    @staticmethod
    def _deadline_error(
        prediction_id: str | None,
        prediction: Prediction | None = None,
        *,
        submitting: bool = False,
    ) -> DeadlineExceededError:
        if submitting:
            error = DeadlineExceededError(
                "the timeout passed while submitting; a task may exist (check your WaveSpeed history "
                "before resubmitting)",
                prediction_id=None,
            )
        else:
            status = f" (last status: {prediction.status})" if prediction is not None else ""
            error = DeadlineExceededError(
                f"prediction {prediction_id} did not finish before the timeout{status}; "
                f"it may still complete: resume with wait({prediction_id!r})",
                prediction_id=prediction_id,
                prediction=prediction,
            )
        return error

    @staticmethod
    def _save(prediction: Prediction, directory: Path, index: int, content: bytes, kind: str | None) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{prediction.id}-{index}{_extension(content, kind)}"
        path.write_bytes(content)
        return path

    @staticmethod
    def _fetched(prediction: Prediction, index: int, response: httpx.Response) -> tuple[bytes, str | None]:
        if response.status_code >= 400:
            raise APIStatusError(
                f"download of output {index} failed: HTTP {response.status_code}",
                status_code=response.status_code,
                prediction_id=prediction.id,
                body=response.text[:2000],
            )
        return response.content, response.headers.get("content-type")

    @staticmethod
    def _fetch_failed(prediction: Prediction, index: int, exc: httpx.TransportError) -> APIConnectionError:
        return APIConnectionError(
            f"download of output {index} failed: {type(exc).__name__}: {exc}", prediction_id=prediction.id
        )

    def _schedule(self, learn: bool) -> Iterator[float]:
        return poll_times(self.poll, self._durations.value if learn else None)

    def _learn(self, learn: bool, last_pending: float | None, seen: float) -> None:
        if learn and self.poll.learn:
            self._durations.observe(last_pending, seen)


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
        deadline: float | None,
        started: float,
        on_status: StatusCallback | None,
        learn: bool,
    ) -> None:
        self.client, self.deadline, self.started, self.on_status, self.learn = (
            client,
            deadline,
            started,
            on_status,
            learn,
        )
        self.id = prediction.id if isinstance(prediction, Prediction) else _check_id(prediction)
        self.current = prediction if isinstance(prediction, Prediction) else None
        self.status = self.current.status if self.current is not None else None
        self.last_pending: float | None = None
        self.times = client._schedule(learn)
        self.expired = False

    def delay(self) -> float:
        if self.expired:
            raise self.client._deadline_error(self.id, self.current)
        target = self.started + next(self.times)
        now = _monotonic()
        if self.deadline is not None and target >= self.deadline:
            # Sleep up to the deadline and poll one last time (its timeouts are clipped to
            # ~1 ms, so this cannot overshoot), then the next delay() raises.
            self.expired = True
            return max(0.0, self.deadline - now)
        return max(0.0, target - now)

    def failed(self, error: APIError) -> Step1XEditError:
        if isinstance(error, APIConnectionError | APIStatusError) and self.client._expired(self.deadline):
            return self.client._deadline_error(self.id, self.current)
        error.prediction_id = error.prediction_id or self.id
        return error

    def seen(self, prediction: Prediction) -> Prediction | None:
        self.current = prediction
        self.status = self.client._notify(self.on_status, prediction, self.status)
        elapsed = _monotonic() - self.started
        if not prediction.done:
            self.last_pending = elapsed
            return None
        self.client._learn(self.learn, self.last_pending, elapsed)
        return self.client._finish(prediction)


@contextmanager
def _interruptible(prediction_id: str) -> Iterator[None]:
    """Turn Ctrl-C into PredictionInterrupted carrying the id (still a KeyboardInterrupt)."""
    try:
        yield
    except PredictionInterrupted:
        raise
    except KeyboardInterrupt as exc:
        raise PredictionInterrupted(prediction_id) from exc


@contextmanager
def _cancel_note(prediction_id: str) -> Iterator[None]:
    """A cancelled async wait (asyncio turns Ctrl-C into a cancellation) notes the prediction id."""
    import asyncio

    try:
        yield
    except asyncio.CancelledError as exc:
        exc.add_note(f"prediction {prediction_id} carries on on the server: resume with wait({prediction_id!r})")
        raise


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
        with _interruptible(_id_of(prediction)), _cancel_note(_id_of(prediction)):
            return await method(self, prediction, *args, **kwargs)

    return wrapper


@contextmanager
def _scope(deadline: float | None, read_timeout: float | None = None) -> Iterator[None]:
    token = current_scope.set(CallScope(deadline=deadline, read_timeout=read_timeout))
    try:
        yield
    finally:
        current_scope.reset(token)


class Step1XEdit(_Base):
    """Synchronous client. Use as a context manager, or call close()."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        poll: PollPolicy | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        """``timeout`` is the per-request timeout (default: connect 10 s, read 60 s).

        ``retry`` replaces the whole retry policy (``max_retries`` is its shortcut).
        """
        super().__init__(api_key, base_url, timeout, max_retries, poll, retry)
        if http_client is None:
            http_client = httpx.Client(
                base_url=self.base_url,
                timeout=self.timeout,
                transport=RetryTransport(transport, self.retry_policy, sleep=lambda s: _sleep(s)),
            )
        http_client.headers.update(self._headers())
        http_client.event_hooks["response"].append(remember_response)
        self._http = http_client
        self._inner_transport = transport
        self._gen: GeneratedClient | None = None
        self._downloader: httpx.Client | None = None

    # -- plumbing --
    def _api(self) -> GeneratedClient:
        if self._gen is None:
            from . import _api

            self._gen = _api.wrap(self._http)
        return self._gen

    def close(self) -> None:
        self._http.close()
        if self._downloader is not None:
            self._downloader.close()

    def __enter__(self) -> Step1XEdit:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- operations --
    def upload(self, file: FileInput, *, filename: str | None = None) -> str:
        """Upload a file (path, bytes or binary file object); return its download URL."""
        from . import _api

        pending = _read_upload(file, filename)
        return _api.upload(self._api(), pending.filename, pending.content, pending.content_type)

    def get(self, prediction_id: str) -> Prediction:
        """The prediction's current state (one request)."""
        from . import _api

        return _api.get(self._api(), _check_id(prediction_id))

    def submit(
        self,
        prompt: str,
        image: ImageInput,
        *,
        sync: bool = False,
        base64_output: bool = False,
        webhook: str | None = None,
        **params: Any,
    ) -> Prediction:
        """Create a prediction and return it as created (does not wait). A local image is uploaded first."""
        return self._submit(prompt, image, params, sync, base64_output, webhook, None, None)

    def _submit(
        self,
        prompt: str,
        image: ImageInput,
        params: dict[str, Any],
        sync: bool,
        base64_output: bool,
        webhook: str | None,
        deadline: float | None,
        on_status: StatusCallback | None,
    ) -> Prediction:
        from . import _api

        body, pending = self._prepare(prompt, image, params, sync=sync, base64_output=base64_output, webhook=webhook)
        with _scope(deadline):
            if pending is not None:
                body["image"] = _api.upload(self._api(), pending.filename, pending.content, pending.content_type)
        try:
            with _scope(deadline, SYNC_READ_TIMEOUT if sync else None):
                prediction = _api.submit(self._api(), body, webhook)
        except APIConnectionError as exc:
            if self._expired(deadline):
                raise self._deadline_error(None, submitting=True) from exc
            raise
        self._notify(on_status, prediction, None)
        return prediction

    def edit(
        self,
        prompt: str,
        image: ImageInput,
        *,
        sync: bool = False,
        base64_output: bool = False,
        webhook: str | None = None,
        timeout: float | _Default | None = DEFAULT,
        on_status: StatusCallback | None = None,
        **params: Any,
    ) -> Prediction:
        """Submit, then wait: return the completed prediction or raise.

        ``timeout`` (default 600 s, None for no limit) is one overall deadline for the upload,
        the submit and every poll. ``params`` are the Step1X-Edit fields: negative_prompt,
        seed, guidance_scale, num_inference_steps.
        """
        deadline = self._deadline(timeout)
        started = _monotonic()
        prediction = self._submit(prompt, image, params, sync, base64_output, webhook, deadline, on_status)
        if prediction.done:
            return self._finish(prediction)
        return self._wait(prediction, deadline, started, on_status, learn=not sync)

    def wait(
        self,
        prediction: str | Prediction,
        *,
        timeout: float | _Default | None = DEFAULT,
        on_status: StatusCallback | None = None,
    ) -> Prediction:
        """Poll until the prediction ends; return it if completed, else raise PredictionFailedError."""
        deadline = self._deadline(timeout)
        if isinstance(prediction, Prediction) and prediction.done:
            return self._finish(prediction)
        return self._wait(prediction, deadline, _monotonic(), on_status, learn=False)

    @_names_prediction_on_interrupt
    def _wait(
        self,
        prediction: str | Prediction,
        deadline: float | None,
        started: float,
        on_status: StatusCallback | None,
        *,
        learn: bool,
    ) -> Prediction:
        from . import _api

        poller = _Poller(self, prediction, deadline, started, on_status, learn)
        while True:
            _sleep(poller.delay())
            try:
                with _scope(deadline):
                    current = _api.get(self._api(), poller.id)
            except APIError as exc:
                raise poller.failed(exc) from exc
            if (final := poller.seen(current)) is not None:
                return final

    def batch(self, items: Iterable[Mapping[str, Any]], **options: Unpack[BatchOptions]) -> Batch:
        """Edit many images; iterate to get each item's BatchResult as it finishes (``.summary`` after).

        ``items``: mappings of edit parameters (``image`` path, URL or bytes, ``prompt``, ``seed``...),
        all validated before anything is sent (InvalidRowsError names each bad row). Options:
        ``concurrency=16``, ``output_dir=None`` (outputs saved there atomically, named from the item
        key), ``journal=None`` (SQLite file; default inside output_dir; resuming = running again),
        ``rate=None`` (submits per second), ``timeout=600`` (per item's wait), ``retry_failed``,
        ``resubmit_unknown``, ``skip_invalid``. See README "Batch".
        """
        from ._batch import Batch

        return Batch(self, items, options)

    def download(self, prediction: Prediction, directory: str | os.PathLike[str]) -> list[Path]:
        """Save every output into ``directory``; URLs are fetched without the API key."""
        paths = []
        for index, output in enumerate(prediction.outputs):
            if output.startswith(("http://", "https://")):
                content, kind = self._fetch(prediction, index, output)
            else:
                content, kind = _decode_base64_output(output), None
            paths.append(self._save(prediction, Path(directory), index, content, kind))
        return paths

    def _fetch(self, prediction: Prediction, index: int, url: str) -> tuple[bytes, str | None]:
        if self._downloader is None:
            # A separate client with no default headers: output hosts never see the API key.
            self._downloader = httpx.Client(
                timeout=self.timeout,
                follow_redirects=True,
                transport=RetryTransport(self._inner_transport, self.retry_policy, sleep=lambda s: _sleep(s)),
            )
        try:
            response = self._downloader.get(url)
        except httpx.TransportError as exc:
            raise self._fetch_failed(prediction, index, exc) from exc
        return self._fetched(prediction, index, response)


class AsyncStep1XEdit(_Base):
    """Asynchronous client with the same surface as Step1XEdit. Use ``async with``, or aclose()."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        poll: PollPolicy | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, max_retries, poll, retry)
        if http_client is None:
            http_client = httpx.AsyncClient(
                base_url=self.base_url,
                timeout=self.timeout,
                transport=AsyncRetryTransport(transport, self.retry_policy, sleep=lambda s: _async_sleep(s)),
            )
        http_client.headers.update(self._headers())
        http_client.event_hooks["response"].append(async_remember_response)
        self._http = http_client
        self._inner_transport = transport
        self._gen: GeneratedClient | None = None
        self._downloader: httpx.AsyncClient | None = None

    def _api(self) -> GeneratedClient:
        if self._gen is None:
            from . import _api

            self._gen = _api.wrap_async(self._http)
        return self._gen

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._downloader is not None:
            await self._downloader.aclose()

    async def __aenter__(self) -> AsyncStep1XEdit:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def upload(self, file: FileInput, *, filename: str | None = None) -> str:
        """Upload a file (path, bytes or binary file object); return its download URL."""
        from . import _api

        pending = _read_upload(file, filename)
        return await _api.upload_async(self._api(), pending.filename, pending.content, pending.content_type)

    async def get(self, prediction_id: str) -> Prediction:
        """The prediction's current state (one request)."""
        from . import _api

        return await _api.get_async(self._api(), _check_id(prediction_id))

    async def submit(
        self,
        prompt: str,
        image: ImageInput,
        *,
        sync: bool = False,
        base64_output: bool = False,
        webhook: str | None = None,
        **params: Any,
    ) -> Prediction:
        """Create a prediction and return it as created (does not wait)."""
        return await self._submit(prompt, image, params, sync, base64_output, webhook, None, None)

    async def _submit(
        self,
        prompt: str,
        image: ImageInput,
        params: dict[str, Any],
        sync: bool,
        base64_output: bool,
        webhook: str | None,
        deadline: float | None,
        on_status: StatusCallback | None,
    ) -> Prediction:
        from . import _api

        body, pending = self._prepare(prompt, image, params, sync=sync, base64_output=base64_output, webhook=webhook)
        with _scope(deadline):
            if pending is not None:
                body["image"] = await _api.upload_async(
                    self._api(), pending.filename, pending.content, pending.content_type
                )
        try:
            with _scope(deadline, SYNC_READ_TIMEOUT if sync else None):
                prediction = await _api.submit_async(self._api(), body, webhook)
        except APIConnectionError as exc:
            if self._expired(deadline):
                raise self._deadline_error(None, submitting=True) from exc
            raise
        self._notify(on_status, prediction, None)
        return prediction

    async def edit(
        self,
        prompt: str,
        image: ImageInput,
        *,
        sync: bool = False,
        base64_output: bool = False,
        webhook: str | None = None,
        timeout: float | _Default | None = DEFAULT,
        on_status: StatusCallback | None = None,
        **params: Any,
    ) -> Prediction:
        """Submit, then wait: return the completed prediction or raise (see Step1XEdit.edit)."""
        deadline = self._deadline(timeout)
        started = _monotonic()
        prediction = await self._submit(prompt, image, params, sync, base64_output, webhook, deadline, on_status)
        if prediction.done:
            return self._finish(prediction)
        return await self._wait(prediction, deadline, started, on_status, learn=not sync)

    async def wait(
        self,
        prediction: str | Prediction,
        *,
        timeout: float | _Default | None = DEFAULT,
        on_status: StatusCallback | None = None,
    ) -> Prediction:
        """Poll until the prediction ends; return it if completed, else raise PredictionFailedError."""
        deadline = self._deadline(timeout)
        if isinstance(prediction, Prediction) and prediction.done:
            return self._finish(prediction)
        return await self._wait(prediction, deadline, _monotonic(), on_status, learn=False)

    @_names_prediction_on_cancel
    async def _wait(
        self,
        prediction: str | Prediction,
        deadline: float | None,
        started: float,
        on_status: StatusCallback | None,
        *,
        learn: bool,
    ) -> Prediction:
        from . import _api

        poller = _Poller(self, prediction, deadline, started, on_status, learn)
        while True:
            await _async_sleep(poller.delay())
            try:
                with _scope(deadline):
                    current = await _api.get_async(self._api(), poller.id)
            except APIError as exc:
                raise poller.failed(exc) from exc
            if (final := poller.seen(current)) is not None:
                return final

    def batch(self, items: Iterable[Mapping[str, Any]], **options: Unpack[BatchOptions]) -> AsyncBatch:
        """``async for result in client.batch(items, ...)``: the same engine and options as Step1XEdit.batch."""
        from ._batch import AsyncBatch

        return AsyncBatch(self, items, options)

    async def download(self, prediction: Prediction, directory: str | os.PathLike[str]) -> list[Path]:
        """Save every output into ``directory``; URLs are fetched without the API key."""
        paths = []
        for index, output in enumerate(prediction.outputs):
            if output.startswith(("http://", "https://")):
                content, kind = await self._fetch(prediction, index, output)
            else:
                content, kind = _decode_base64_output(output), None
            paths.append(self._save(prediction, Path(directory), index, content, kind))
        return paths

    async def _fetch(self, prediction: Prediction, index: int, url: str) -> tuple[bytes, str | None]:
        if self._downloader is None:
            self._downloader = httpx.AsyncClient(
                timeout=self.timeout,
                follow_redirects=True,
                transport=AsyncRetryTransport(
                    self._inner_transport, self.retry_policy, sleep=lambda s: _async_sleep(s)
                ),
            )
        try:
            response = await self._downloader.get(url)
        except httpx.TransportError as exc:
            raise self._fetch_failed(prediction, index, exc) from exc
        return self._fetched(prediction, index, response)
