"""AsyncStep1XEdit: submit, wait, edit, get, upload, download (the one hand-written client body).

``scripts/regenerate`` turns this module into ``_sync_client.py`` (Step1XEdit) by an unasync
step (``scripts/_unasync.py``: ``async``/``await`` dropped, async names mapped to their sync
twins, a line ending in ``# sync: TEXT`` becomes TEXT); ``scripts/regenerate --check`` fails when
that file is stale. Everything without I/O is shared from ``_client`` (``_Base``, ``_Poller``,
input checks, outputs); the seams tests patch (``_client._sleep``/``_async_sleep``) are read
through the ``_client`` module.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

import httpx

from . import _client as _shared
from ._checks import _check_id, _request_timeout
from ._client import (
    FileInput,
    ImageInput,
    StatusCallback,
    _async_client_expected,
    _Base,
    _KeyAuth,
    _names_prediction_on_cancel,
    _Poller,
    _Submission,
)
from ._constants import DEFAULT_MAX_RETRIES, MAX_DOWNLOAD_BYTES, SYNC_READ_TIMEOUT
from ._deadline import DEFAULT, Deadline, Timeout
from ._exceptions import APIConnectionError, APIError, InvalidParameterError, Step1XEditError
from ._files import (
    _async_download_scope,
    _async_error_text,
    _decode_base64_output,
    _download_failed,
    _fetch_failed,
    _Output,
    _output_folder,
    _read_upload,
)
from ._models import Prediction
from ._params import EditParams
from ._polling import PollPolicy
from ._retry import RetryPolicy
from ._transport import AsyncClientTransport, AsyncRetryTransport, async_remember_response
from ._validation import edit_params_signature

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from step1x_edit_api import Client as GeneratedClient

    from ._batch import AsyncBatch, BatchOptions

__all__ = ["AsyncStep1XEdit"]


class AsyncStep1XEdit(_Base):
    """Asynchronous client: ``async with AsyncStep1XEdit() as client``, or call aclose()."""  # sync: """Synchronous client. Use as a context manager, or call close()."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        request_timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        poll: PollPolicy | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> None:
        """``request_timeout`` limits each HTTP request (default: connect 10 s, read 60 s); the
        ``timeout=`` of each call is that call's overall deadline. ``timeout=`` here is the old,
        deprecated spelling of ``request_timeout=`` (it warns).

        ``retry`` replaces the whole retry policy (``max_retries`` is its shortcut).
        ``http_client``: your own httpx.AsyncClient (proxies, certificates, pool) to send through; it
        is never modified (the key is added to each API request only), its base URL is checked
        like ``base_url``, and it is not closed by aclose().
        """
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise InvalidParameterError("http_client", http_client, _async_client_expected)
        super().__init__(
            api_key,
            base_url,
            _request_timeout(request_timeout, timeout),
            max_retries,
            poll,
            retry,
            http_client.base_url if http_client else None,
        )
        if http_client is not None and transport is not None:
            raise InvalidParameterError("transport", transport, "not together with http_client (its transport is used)")
        if http_client is not None:
            transport = AsyncClientTransport(http_client, merge_headers=True)
            self._inner_transport: httpx.AsyncBaseTransport | None = AsyncClientTransport(
                http_client, merge_headers=False
            )
        else:
            self._inner_transport = transport
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=self.request_timeout,
            headers=self._headers(),
            auth=_KeyAuth(self._auth_headers),
            follow_redirects=False,
            transport=AsyncRetryTransport(transport, self.retry_policy, sleep=lambda s: _shared._async_sleep(s)),
            event_hooks={"response": [async_remember_response]},
        )
        self._gen: GeneratedClient | None = None
        self._downloader: httpx.AsyncClient | None = None
        self._setup_lock = threading.Lock()

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

    async def upload(self, file: FileInput, *, filename: str | None = None, timeout: Timeout = DEFAULT) -> str:
        """Upload a file (path, bytes or binary file object); return its download URL."""
        deadline = Deadline.start(timeout)  # first: the one-time import below counts against it
        from . import _api

        pending = _read_upload(file, filename)
        try:
            with deadline.scope():
                return await _api.upload_async(self._api(), pending.filename, pending.content, pending.content_type)
        except APIError as exc:
            raise self._timed_out(exc, deadline, "the upload") from exc

    async def get(self, prediction_id: str, *, timeout: Timeout = DEFAULT) -> Prediction:
        """The prediction's current state (one request)."""
        deadline = Deadline.start(timeout)  # first: the one-time import below counts against it
        from . import _api

        pid = _check_id(prediction_id)
        try:
            with deadline.scope():
                return await _api.get_async(self._api(), pid)
        except APIError as exc:
            raise self._timed_out(exc, deadline, f"get({pid!r})") from exc

    @edit_params_signature
    async def submit(
        self,
        prompt: str,
        image: ImageInput,
        *,
        sync: bool = False,
        base64_output: bool = False,
        webhook: str | None = None,
        timeout: Timeout = DEFAULT,
        **params: Unpack[EditParams],
    ) -> Prediction:
        """Create a prediction and return it as created (does not wait). A local image is uploaded first.

        ``timeout`` bounds the upload and the submit together (more than MIN_SUBMIT_BUDGET, 1 s).
        """
        deadline = Deadline.start(timeout, submitting=True)
        return await self._submit(_Submission(prompt, image, params, sync, base64_output, webhook, deadline))

    async def _submit(self, call: _Submission) -> Prediction:
        from . import _api

        body, pending = self._prepare(
            call.prompt, call.image, call.params, sync=call.sync, base64_output=call.base64_output, webhook=call.webhook
        )
        deadline, sync, webhook, on_status = call.deadline, call.sync, call.webhook, call.on_status
        if pending is not None:
            try:
                with deadline.scope():
                    body["image"] = await _api.upload_async(
                        self._api(), pending.filename, pending.content, pending.content_type
                    )
            except APIError as exc:
                raise self._timed_out(exc, deadline, "the upload of the image (nothing was submitted)") from exc
        deadline.require_submit_budget()
        try:
            with deadline.scope(SYNC_READ_TIMEOUT if sync else None):
                prediction = await _api.submit_async(self._api(), body, webhook)
        except APIConnectionError as exc:
            if deadline.expired():
                raise self._deadline_error(None, submitting=True, task_may_exist=exc.task_may_exist) from exc
            raise
        self._notify(on_status, prediction, None)
        return prediction

    @edit_params_signature
    async def edit(
        self,
        prompt: str,
        image: ImageInput,
        *,
        sync: bool = False,
        base64_output: bool = False,
        webhook: str | None = None,
        timeout: Timeout = DEFAULT,
        on_status: StatusCallback | None = None,
        **params: Unpack[EditParams],
    ) -> Prediction:
        """Submit, then wait: return the completed prediction or raise.

        ``timeout`` (default 600 s, None for no limit) is one overall deadline for the upload,
        the submit and every poll. ``params`` are the spec's optional fields (listed below).
        """
        deadline = Deadline.start(timeout, submitting=True)
        prediction = await self._submit(
            _Submission(prompt, image, params, sync, base64_output, webhook, deadline, on_status)
        )
        if prediction.done:
            return self._finish(prediction)
        return await self._wait(prediction, deadline, on_status, learn=not sync)

    async def wait(
        self,
        prediction: str | Prediction,
        *,
        timeout: Timeout = DEFAULT,
        on_status: StatusCallback | None = None,
    ) -> Prediction:
        """Poll until the prediction ends; return it if completed, else raise PredictionFailedError."""
        deadline = Deadline.start(timeout)
        if isinstance(prediction, Prediction) and prediction.done:
            return self._finish(prediction)
        return await self._wait(prediction, deadline, on_status, learn=False)

    @_names_prediction_on_cancel
    async def _wait(
        self,
        prediction: str | Prediction,
        deadline: Deadline,
        on_status: StatusCallback | None,
        *,
        learn: bool,
    ) -> Prediction:
        from . import _api

        poller = _Poller(self, prediction, deadline, on_status, learn)
        while True:
            if (delay := poller.delay()) > 0:  # a poll due now is sent at once (no zero-length sleep)
                await _shared._async_sleep(delay)
            poller.sending()
            try:
                with deadline.scope():
                    current = await _api.get_async(self._api(), poller.id)
            except APIError as exc:
                raise poller.failed(exc) from exc
            if (final := poller.seen(current)) is not None:
                return final

    def batch(self, items: Iterable[Mapping[str, Any]], **options: Unpack[BatchOptions]) -> AsyncBatch:
        """Edit many images; iterate over the result to get each item's BatchResult as it finishes
        (``.summary`` after). One engine behind both clients: ``async for`` here, ``for`` on Step1XEdit.

        ``items``: mappings of edit parameters (``image`` path, URL or bytes, ``prompt``, ``seed``...),
        all validated before anything is sent (InvalidRowsError names each bad row). Options:
        ``concurrency=16``, ``output_dir=None`` (outputs saved there atomically, named from the item
        key), ``journal=None`` (SQLite file; default inside output_dir; resuming = running again),
        ``rate=None`` (submits per second), ``timeout=600`` (per item's wait), ``retry_failed``,
        ``resubmit_unknown``, ``skip_invalid``. See README "Batch".
        """
        from ._batch import AsyncBatch

        return AsyncBatch(self, items, options)

    async def download(
        self,
        prediction: Prediction,
        directory: str | os.PathLike[str],
        *,
        timeout: Timeout = DEFAULT,
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        overwrite: bool = False,
    ) -> list[Path]:
        """Save every output into ``directory`` as ``{id}-{index}.{ext}``; return the paths.

        URLs are fetched without the API key, streamed to a temporary file in the folder and
        renamed once complete and checked (an image by content type and magic bytes, at most
        ``max_bytes`` each). An existing file raises OutputExistsError unless ``overwrite``.
        """
        max_bytes = self._download_args(prediction, max_bytes)
        deadline = Deadline.start(timeout)
        folder = _output_folder(directory)
        paths = []
        for index, output in enumerate(prediction.outputs):
            sink = _Output(prediction, index, folder, max_bytes, deadline)
            try:
                if output.startswith(("http://", "https://")):
                    await self._fetch(sink, output)
                else:
                    _decode_base64_output(output, sink)
                paths.append(sink.commit(overwrite))
            finally:
                sink.discard()
        return paths

    def _download_client(self) -> httpx.AsyncClient:
        # Made on first use, once: the sync twin's download() is called from many threads at once
        # (Step1XEdit.batch), and two threads must not each build (and leak) a client.
        with self._setup_lock:
            if self._downloader is None:
                # A separate client with no default headers: output hosts never see the API key.
                self._downloader = httpx.AsyncClient(
                    timeout=self.request_timeout,
                    follow_redirects=True,
                    transport=AsyncRetryTransport(
                        self._inner_transport, self.retry_policy, sleep=lambda s: _shared._async_sleep(s), buffer=False
                    ),
                )
            return self._downloader

    async def _fetch(self, sink: _Output, url: str) -> None:
        downloader = self._download_client()
        prediction, index = sink.prediction, sink.index
        try:
            async with _async_download_scope(sink.deadline), downloader.stream("GET", url) as response:
                if response.status_code >= 400:
                    text = await _async_error_text(response)
                    raise _download_failed(prediction, index, response, text)
                sink.check_type(response.headers.get("content-type"), response.headers.get("content-length"))
                async for chunk in response.aiter_bytes():
                    sink.write(chunk)
        except TimeoutError as exc:
            if isinstance(exc, Step1XEditError):
                raise
            raise self._deadline_error(prediction.id, what=f"the download of output {index}") from exc
        except httpx.TransportError as exc:
            if sink.deadline.expired():
                raise self._deadline_error(prediction.id, what=f"the download of output {index}") from exc
            raise _fetch_failed(prediction, index, exc) from exc
