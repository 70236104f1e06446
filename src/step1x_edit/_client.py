"""Step1XEdit and AsyncStep1XEdit: submit, wait, edit, get, upload, download.

Both share configuration, input preparation and the polling schedule (``_Base``); only the
I/O differs. Every request goes through one httpx client per instance (keep-alive) whose
transport retries per _retry's policy and clips timeouts to the call's deadline.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import logging
import mimetypes
import os
import re
import tempfile
import time
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import httpx

from ._constants import (
    CLIENT_NAME,
    CLIENT_VERSION,
    CONNECT_TIMEOUT,
    ENV_API_KEY,
    ENV_BASE_URL,
    MAX_UPLOAD_BYTES,
    POOL_TIMEOUT,
    READ_TIMEOUT,
    WRITE_TIMEOUT,
)
from ._deadline import Deadline, monotonic, seconds
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    ContractViolationError,
    DeadlineExceededError,
    InvalidParameterError,
    OutputExistsError,
    PredictionFailedError,
    PredictionInterrupted,
    Step1XEditError,
)
from ._models import Prediction, is_usable_id
from ._polling import DurationEstimate, PollPolicy, poll_times
from ._retry import RetryPolicy, is_loopback
from ._spec_data import DEFAULT_BASE_URL
from ._validation import validate_edit_params

if TYPE_CHECKING:
    pass

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
_MAX_PATH_CHARS = 4096
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True)
class _Upload:
    filename: str
    content: bytes
    content_type: str


def _too_big(field: str, value: object, size: int) -> InvalidParameterError:
    return InvalidParameterError(
        field, value, f"at most {MAX_UPLOAD_BYTES} bytes (this is {size}); pass an http(s) URL for larger files"
    )


def _local_file(field: str, value: str | os.PathLike[str]) -> Path:
    """An existing, readable regular file within the upload size, or InvalidParameterError."""
    text = os.fspath(value)
    if not isinstance(text, str) or not text or len(text) > _MAX_PATH_CHARS or "\x00" in text:
        raise InvalidParameterError(field, value, "an http(s) URL, a data: URI, or an existing local file")
    path = Path(text)
    try:
        info = path.stat() if path.is_file() else None
        readable = info is not None and os.access(path, os.R_OK)
    except (OSError, ValueError):
        info, readable = None, False
    if info is None:  # missing, a directory, a device, a name too long...: say which
        raise InvalidParameterError(
            field, value, f"an http(s) URL, a data: URI, or an existing local file; {_not_a_file(path)}"
        )
    if not readable:
        raise InvalidParameterError(field, value, f"a readable file; {path}: permission denied")
    if info.st_size > MAX_UPLOAD_BYTES:
        raise _too_big(field, value, info.st_size)
    return path


def _read_upload(file: object, filename: str | None = None, *, field: str = "file") -> _Upload:
    if isinstance(file, bytes | bytearray):
        content, name = bytes(file), filename or "upload.bin"
    elif isinstance(file, str | os.PathLike):
        path = _local_file(field, file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InvalidParameterError(field, file, f"a readable file ({exc.strerror or 'cannot read'})") from None
        name = filename or path.name
    elif callable(getattr(file, "read", None)):
        try:
            content = file.read(MAX_UPLOAD_BYTES + 1)  # type: ignore[attr-defined]
        except Exception as exc:  # any file-like object's failure is bad input
            raise InvalidParameterError(field, file, f"a readable binary file ({type(exc).__name__})") from None
        if not isinstance(content, bytes):
            raise InvalidParameterError(field, file, "a file opened in binary mode ('rb')")
        name = filename or Path(str(getattr(file, "name", "upload.bin"))).name
    else:
        raise InvalidParameterError(field, file, "a path, bytes, or a binary file object")
    if len(content) > MAX_UPLOAD_BYTES:
        raise _too_big(field, f"<{len(content)} bytes>", len(content))
    if filename is not None and (not isinstance(filename, str) or not filename.isprintable() or "/" in filename):
        raise InvalidParameterError("filename", filename, "a plain file name (printable, no '/')")
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
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
]


def _sniff(content: bytes) -> str | None:
    """The image type by magic bytes, or None."""
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _MAGIC if content.startswith(magic)), None)


def _extension(kind: str) -> str:
    return {"image/jpeg": ".jpg", "image/tiff": ".tiff"}.get(kind) or mimetypes.guess_extension(kind) or ".img"


def _check_id(prediction_id: object) -> str:
    if not is_usable_id(prediction_id):
        raise InvalidParameterError(
            "prediction_id", prediction_id, "a prediction id string such as the one submit returned"
        )
    assert isinstance(prediction_id, str)
    return prediction_id


_API_PATH = "/api/v3"


def _normalise_base_url(url: str) -> str:
    """Suggest the scheme when it is missing; drop a trailing API path (``/api/v3``...) users often copy."""
    head = url.split("/", 1)[0]
    if "://" not in url:
        host = head.rsplit(":", 1)[0] if head.count(":") == 1 else head
        scheme = "http" if is_loopback(host) else "https"
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


def _check_base_url(url: object) -> str:
    allowed = "an https URL (plain http only to a loopback address: the API key would travel in clear text)"
    if not isinstance(url, str | httpx.URL):
        raise InvalidParameterError("base_url", url, allowed)
    try:
        text = _normalise_base_url(str(url))  # a missing scheme is refused with a suggestion
        parsed = httpx.URL(text)
    except InvalidParameterError:
        raise
    except (httpx.InvalidURL, ValueError, TypeError):
        raise InvalidParameterError("base_url", url, allowed) from None
    if parsed.host and (parsed.scheme == "https" or (parsed.scheme == "http" and is_loopback(parsed.host))):
        return text.rstrip("/")
    raise InvalidParameterError("base_url", str(url), allowed)


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise InvalidParameterError(
            "api_key",
            None,
            f"pass api_key= or set {ENV_API_KEY}",
            show_value=False,
            message=f"no API key: pass api_key= to the client or set the {ENV_API_KEY} environment variable",
        )
    # Printable ASCII without spaces: anything else cannot travel in a header (and h11 would
    # echo the value in its error). The message never shows the key, not even a part of it.
    if not all("!" <= c <= "~" for c in key):
        raise InvalidParameterError(
            "api_key",
            None,
            "printable ASCII only (no spaces, control characters such as CR/LF, or non-ASCII letters); "
            "check for a stray newline where the key was pasted",
            show_value=False,
        )
    return key


def _check_timeout(timeout: object) -> httpx.Timeout:
    """The per-request limits from ``request_timeout=`` (seconds, an httpx.Timeout, or None)."""
    if timeout is None or isinstance(timeout, int | float):
        limit = seconds("request_timeout", timeout)
        return httpx.Timeout(
            limit if limit is not None else READ_TIMEOUT,
            connect=CONNECT_TIMEOUT if limit is None else min(CONNECT_TIMEOUT, limit),
            write=WRITE_TIMEOUT if limit is None else limit,
            pool=POOL_TIMEOUT if limit is None else min(POOL_TIMEOUT, limit),
        )
    if isinstance(timeout, httpx.Timeout):
        for part in ("connect", "read", "write", "pool"):
            seconds(f"request_timeout.{part}", getattr(timeout, part))
        return timeout
    raise InvalidParameterError(
        "request_timeout", timeout, "seconds per request (a positive number), an httpx.Timeout, or None"
    )


def _request_timeout(request_timeout: object, timeout: object) -> object:
    """The per-request timeout from ``request_timeout=`` or the deprecated constructor ``timeout=``."""
    if timeout is None:  # not given (None was, and is, the default per-request limits)
        return request_timeout
    warnings.warn(
        "the constructor's timeout= is deprecated: pass request_timeout= (the limit of each HTTP "
        "request); timeout= on edit(), wait(), get(), upload() and download() is the call's overall deadline",
        DeprecationWarning,
        stacklevel=3,
    )
    if request_timeout is not None:
        raise InvalidParameterError(
            "timeout", timeout, "not together with request_timeout= (pass only request_timeout=)"
        )
    return timeout


def _check_retries(max_retries: object) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise InvalidParameterError("max_retries", max_retries, "a whole number >= 0")
    return max_retries


def _file_stem(prediction_id: str) -> str:
    """A file-name stem from the server's id: the id itself when plainly safe, else a hash of it."""
    if _SAFE_ID.fullmatch(prediction_id):
        return prediction_id
    return "prediction-" + hashlib.sha256(prediction_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _output_folder(directory: str | os.PathLike[str]) -> Path:
    try:
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        real = folder.resolve(strict=True)
    except (OSError, TypeError, ValueError) as exc:
        raise InvalidParameterError("directory", directory, f"a folder that can be created ({exc})") from None
    if not real.is_dir():
        raise InvalidParameterError("directory", directory, "a folder")
    if not os.access(real, os.W_OK | os.X_OK):
        raise InvalidParameterError("directory", directory, "a folder you can write to")
    return real


class _Output:
    """One output being written: a temporary file in the target folder, renamed when complete.

    Checks as bytes arrive: the size cap, the deadline, and that the first bytes are an image.
    ``commit`` never overwrites unless asked, and never writes through a symlink (a hard link
    refuses an existing name, a symlink included; os.replace swaps the name itself).
    """

    def __init__(self, prediction: Prediction, index: int, folder: Path, max_bytes: int, deadline: Deadline):
        self.prediction, self.index, self.folder = prediction, index, folder
        self.max_bytes, self.deadline = max_bytes, deadline
        fd, name = tempfile.mkstemp(prefix=".step1x-", suffix=".part", dir=folder)
        self.tmp = Path(name)
        self.file = os.fdopen(fd, "wb")
        self.size = 0
        self.head = b""

    def violation(self, detail: str, body: str | None = None) -> ContractViolationError:
        return ContractViolationError(
            f"output {self.index} of prediction {self.prediction.id}: {detail}",
            prediction_id=self.prediction.id,
            body=body,
        )

    def check_type(self, content_type: str | None, length: str | None) -> None:
        kind = (content_type or "").split(";")[0].strip().lower()
        if kind and not kind.startswith("image/") and kind not in ("application/octet-stream", "binary/octet-stream"):
            raise self.violation(f"the output host sent {kind!r}, not an image")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            raise self.violation(f"{length} bytes is over the max_bytes={self.max_bytes} cap (raise it to accept)")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise self.violation(f"more than max_bytes={self.max_bytes} bytes (raise the cap to accept)")
        if len(self.head) < 16:
            self.head += chunk[: 16 - len(self.head)]
        self.file.write(chunk)
        if self.deadline.expired():
            raise DeadlineExceededError(
                f"the timeout passed while downloading output {self.index} of prediction {self.prediction.id}; "
                "download() again to retry",
                prediction_id=self.prediction.id,
                prediction=self.prediction,
            )

    def commit(self, overwrite: bool) -> Path:
        self.file.close()
        kind = _sniff(self.head)
        if kind is None:
            raise self.violation(f"the content is not an image (starts with {self.head[:16]!r})")
        target = self.folder / f"{_file_stem(self.prediction.id)}-{self.index}{_extension(kind)}"
        if target.parent != self.folder:  # cannot happen with a sanitized stem; checked anyway
            raise self.violation(f"unsafe file name {target.name!r}")
        if overwrite:
            os.replace(self.tmp, target)
            return target
        try:
            os.link(self.tmp, target)
        except FileExistsError:
            raise OutputExistsError(
                f"{target} already exists; not overwritten (pass overwrite=True, or another folder)",
                path=str(target),
                prediction_id=self.prediction.id,
            ) from None
        except OSError:  # no hard links on this file system: check, then rename
            if os.path.lexists(target):
                raise OutputExistsError(
                    f"{target} already exists; not overwritten (pass overwrite=True, or another folder)",
                    path=str(target),
                    prediction_id=self.prediction.id,
                ) from None
            os.replace(self.tmp, target)
            return target
        self.tmp.unlink()
        return target

    def discard(self) -> None:
        self.file.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink()


def _decode_base64_output(output: str, sink: _Output) -> None:
    data = output.split(",", 1)[1] if output.startswith("data:") else output
    if len(data) * 3 // 4 > sink.max_bytes + 3:
        raise sink.violation(f"the base64 output is over the max_bytes={sink.max_bytes} cap")
    try:
        sink.write(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise sink.violation(f"the output is neither a URL nor valid base64 ({exc})") from None


def _download_failed(prediction: Prediction, index: int, response: httpx.Response, text: str) -> APIStatusError:
    return APIStatusError(
        f"download of output {index} failed: HTTP {response.status_code}",
        status_code=response.status_code,
        prediction_id=prediction.id,
        body=text,
    )


def _fetch_failed(prediction: Prediction, index: int, exc: httpx.TransportError) -> APIConnectionError:
    return APIConnectionError(
        f"download of output {index} failed: {type(exc).__name__}: {exc}", prediction_id=prediction.id
    )


@dataclass(frozen=True, slots=True)
class _Submission:
    """One submit as asked: what to send (checked by ``_prepare``), the call's deadline and callback."""

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
        request.headers.update(self._headers())
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

    def _schedule(self, learn: bool) -> Iterator[float]:
        return poll_times(self.poll, self._durations.value if learn else None)

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
        self.times = client._schedule(learn)
        self.expired = False

    def delay(self) -> float:
        if self.expired or self.deadline.expired():
            raise self.client._deadline_error(self.id, self.current)
        target = self.deadline.started + next(self.times)
        now = monotonic()
        if self.deadline.at is not None and target >= self.deadline.at:
            # Sleep up to the deadline and poll one last time (its timeouts are clipped to
            # ~1 ms, so this cannot overshoot), then the next delay() raises.
            self.expired = True
            return max(0.0, self.deadline.at - now)
        return max(0.0, target - now)

    def failed(self, error: APIError) -> Step1XEditError:
        if isinstance(error, APIConnectionError | APIStatusError) and self.deadline.expired():
            return self.client._deadline_error(self.id, self.current)
        error.prediction_id = error.prediction_id or self.id
        return error

    def seen(self, prediction: Prediction) -> Prediction | None:
        self.current = prediction
        self.status = self.client._notify(self.on_status, prediction, self.status)
        elapsed = self.deadline.elapsed()
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


def _limited(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    size = 0
    for chunk in chunks:
        yield chunk[: limit - size]
        size += len(chunk)
        if size >= limit:
            return


_client_expected = "an httpx.Client (AsyncStep1XEdit takes an AsyncClient)"
_async_client_expected = "an httpx.AsyncClient (Step1XEdit takes a Client)"


def _error_text(response: httpx.Response) -> str:
    """The start of an error body (at most 2000 bytes are read)."""
    return b"".join(_limited(response.iter_raw(), 2000)).decode("utf-8", "replace")


async def _async_error_text(response: httpx.Response) -> str:
    """The start of an error body (reading stops after 2000 bytes)."""
    data = b""
    async for chunk in response.aiter_raw():
        data += chunk
        if len(data) >= 2000:
            break
    return data[:2000].decode("utf-8", "replace")


def _download_scope(deadline: Deadline) -> contextlib.AbstractContextManager[None]:
    """A sync download is held to the deadline by the transport (socket operations clipped)."""
    return deadline.scope()


@contextlib.asynccontextmanager
async def _async_download_scope(deadline: Deadline) -> AsyncIterator[None]:
    """An async download also runs under ``asyncio.timeout`` (a trickling body cannot outlast it)."""
    import asyncio

    async with asyncio.timeout(deadline.left()):
        with deadline.scope():
            yield


# The clients: AsyncStep1XEdit is written by hand, Step1XEdit generated from it (scripts/regenerate).
from ._async_client import AsyncStep1XEdit  # noqa: E402
from ._sync_client import Step1XEdit  # noqa: E402
