"""Files in and out: reading an upload (path, bytes or file object), writing outputs safely.

No client state here: ``_client._Base`` prepares requests with ``read_upload``'s checks, and the
client bodies (``_async_client``/``_sync_client``) stream downloads into an ``_Output``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import mimetypes
import os
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from ._constants import MAX_UPLOAD_BYTES
from ._deadline import Deadline
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    ContractViolationError,
    DeadlineExceededError,
    InvalidParameterError,
    OutputExistsError,
    Step1XEditError,
)
from ._models import Prediction

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


def _limited(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    size = 0
    for chunk in chunks:
        yield chunk[: limit - size]
        size += len(chunk)
        if size >= limit:
            return


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


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's content (hex)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def place_once(source: Path, target: Path, digest: str) -> None:
    """Put ``source`` at ``target`` atomically; an existing file is kept only if identical."""
    try:
        os.link(source, target)  # atomic and never replaces an existing file
    except FileExistsError:
        if sha256_file(target) != digest:
            raise Step1XEditError(
                f"{target} exists with different content; not overwritten (move it away and run again)"
            ) from None
    except OSError as exc:
        if exc.errno not in (1, 18, 38, 95):  # EPERM, EXDEV, ENOSYS, EOPNOTSUPP: no hard links here
            raise
        if target.exists():
            if sha256_file(target) != digest:
                raise Step1XEditError(f"{target} exists with different content; not overwritten") from None
            return
        os.replace(source, target)
