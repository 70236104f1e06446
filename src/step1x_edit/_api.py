"""The one bridge to the generated client: calls it, and turns what comes back into ours.

This is the only module that imports ``step1x_edit_api``; a generator rename touches this
file alone. It is imported lazily (on the first request) to keep ``import step1x_edit`` cheap.

Translation happens here and nowhere else:

* HTTP errors, envelope errors (HTTP 200 whose ``code`` is not 200) and the bare
  ``{"error": ...}`` body become the matching APIStatusError subclass;
* transport failures become APIConnectionError / APITimeoutError, flagged ``task_may_exist``
  when a submit may have reached the server;
* anything the generated parser chokes on (HTML pages, truncated JSON, odd shapes, non-IANA
  statuses) keeps its raw body: the response is remembered by an httpx event hook before the
  generated code parses it.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx

from step1x_edit_api import Client as GeneratedClient
from step1x_edit_api.api.edit import submit_edit
from step1x_edit_api.api.media import create_upload_ticket, upload_binary
from step1x_edit_api.api.predictions import get_result
from step1x_edit_api.models import (
    EditRequest,
    ErrorEnvelope,
    KnownPredictionStatus,
    PredictionEnvelope,
    UploadEnvelope,
    UploadRequest,
    UploadTicketRequest,
)
from step1x_edit_api.models import Prediction as GeneratedPrediction
from step1x_edit_api.types import UNSET, File, Response, Unset

from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContractViolationError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from ._models import Prediction
from ._retry import describe_attempts, parse_retry_after
from ._retry import last_response as _last_response
from ._spec_data import PREFERRED_UPLOAD

__all__ = [
    "get",
    "get_async",
    "parse_prediction",
    "submit",
    "submit_async",
    "upload",
    "upload_async",
    "wrap",
    "wrap_async",
]

T = TypeVar("T")
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

_HINTS = {
    400: "check the parameters",
    401: "check WAVESPEED_API_KEY (a key works only after the account's first top-up)",
    403: "the account or key lacks permission, or is suspended",
    404: "no prediction has this id",
    413: "the file is too large; pass a URL instead",
    429: "rate limited; slow down or raise the account tier",
}


# The upload endpoint answers a file it cannot use with HTTP 200 and envelope code 500
# ("Upload failed: invalid file type", in the vendor SDKs' fixtures) where its docs say 400:
# that is the caller's input, not server trouble, so it becomes a BadRequestError.
_BAD_FILE = re.compile(r"invalid file|file type|unsupported|not an image", re.IGNORECASE)
_BAD_FILE_HINT = "the file is not one the API accepts (images: JPG, PNG, WebP, GIF, BMP, TIFF)"


def _bad_file(operation: str, status: int, message: str) -> bool:
    return operation == "upload" and status == 500 and _BAD_FILE.search(message) is not None


def wrap(http: httpx.Client) -> GeneratedClient:
    return GeneratedClient(base_url=str(http.base_url)).set_httpx_client(http)


def wrap_async(http: httpx.AsyncClient) -> GeneratedClient:
    return GeneratedClient(base_url=str(http.base_url)).set_async_httpx_client(http)


# --- parsing -------------------------------------------------------------------------------


def _opt(value: T | Unset) -> T | None:
    return None if isinstance(value, Unset) else value


def _output_items(model: GeneratedPrediction, raw: Mapping[str, Any]) -> tuple[str, ...]:
    """Outputs as strings. Tolerant: an item shaped ``{"url": ...}`` (accepted by the vendor's
    desktop app and CLI; a breaking drift for the spec, which the live check reports) counts as
    its URL. Any other non-string item is a contract violation naming the prediction."""
    items: list[str] = []
    for item in _opt(model.outputs) or ():
        value: object = item
        if isinstance(value, dict) and isinstance(value.get("url"), str):
            value = value["url"]
        if not isinstance(value, str):
            raise ContractViolationError(
                f"prediction {model.id}: output item {value!r:.80} is neither a string nor {{'url': ...}}",
                prediction_id=model.id,
                body=json.dumps(raw, default=str)[:2000],
            )
        items.append(value)
    return tuple(items)


def _to_prediction(model: GeneratedPrediction, raw: Mapping[str, Any]) -> Prediction:
    status = model.status.value if isinstance(model.status, KnownPredictionStatus) else str(model.status)
    urls, timings = _opt(model.urls), _opt(model.timings)
    return Prediction(
        id=model.id,
        status=status,
        model=_opt(model.model),
        outputs=_output_items(model, raw),
        has_nsfw_contents=tuple(_opt(model.has_nsfw_contents) or ()),
        result_url=_opt(urls.get) if urls is not None else None,
        created_at=_opt(model.created_at),
        error=_opt(model.error) or None,
        task_code=_opt(model.code),
        inference_ms=_opt(timings.inference) if timings is not None else None,
        execution_ms=_opt(model.execution_time),
        raw=raw,
    )


def parse_prediction(data: Mapping[str, Any]) -> Prediction:
    """A bare prediction object (the webhook body) as our Prediction; ContractViolationError if malformed."""
    try:
        return _to_prediction(GeneratedPrediction.from_dict(data), data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ContractViolationError(
            f"prediction does not match the spec: {_describe(exc)}", body=json.dumps(data)[:2000]
        ) from None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"required field {exc.args[0]!r} is missing"
    return f"{type(exc).__name__}: {exc}"


def _text(response: httpx.Response) -> str:
    return response.content.decode(response.encoding or "utf-8", errors="replace")


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = json.loads(response.content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _prediction_id(body: Mapping[str, Any] | None) -> str | None:
    data = body.get("data") if body else None
    pid = data.get("id") if isinstance(data, dict) else None
    return pid if isinstance(pid, str) else None


# --- errors --------------------------------------------------------------------------------


def _status_error(
    response: httpx.Response, operation: str, prediction_id: str | None, *, envelope_code: int | None = None
) -> APIError:
    body = _json_object(response)
    http_status = response.status_code
    code = body.get("code") if body else None
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    status = envelope_code if http_status < 400 and envelope_code is not None else http_status
    message = None
    if body:
        message = body.get("message") or body.get("error")
    if not isinstance(message, str) or not message:
        snippet = " ".join(_text(response).split())[:120]
        message = f"non-JSON body: {snippet!r}" if body is None else "no message"
    error_code = body.get("error_code") if body else None
    error_code = error_code if isinstance(error_code, str) else None
    pid = prediction_id or _prediction_id(body)
    # A submit answered 5xx may still have created (and billed) the task.
    may_exist = operation == "submit" and status >= 500
    where = f"HTTP {http_status}" if http_status >= 400 else f"HTTP {http_status} with envelope code {status}"
    hint = _HINTS.get(status, "server error" if status >= 500 else "")
    if _bad_file(operation, status, message):
        status, hint = 400, _BAD_FILE_HINT
    text = f"{operation} failed ({where}): {message}"
    if hint:
        text += f" - {hint}"
    if may_exist:
        text += "; a task may exist: do not resubmit blindly (check your WaveSpeed history)"
    kwargs: dict[str, Any] = {
        "status_code": http_status,
        "code": code,
        "error_code": error_code,
        "request_id": response.headers.get("x-request-id"),
        "prediction_id": pid,
        "body": _text(response),
        "task_may_exist": may_exist,
    }
    if status == 429:
        return RateLimitError(text, retry_after=parse_retry_after(response.headers.get("retry-after")), **kwargs)
    classes: dict[int, type[APIStatusError]] = {
        400: BadRequestError,
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        413: PayloadTooLargeError,
    }
    cls = classes.get(status) or (ServerError if status >= 500 else APIStatusError)
    return cls(text, **kwargs)


def _contract_error(response: httpx.Response, operation: str, prediction_id: str | None, detail: str) -> APIError:
    body = _json_object(response)
    pid = prediction_id or _prediction_id(body)
    may_exist = operation == "submit"
    text = f"{operation}: the response broke the API contract: {detail}"
    if may_exist:
        text += "; the task may exist" + (f" (id {pid})" if pid else "")
    return ContractViolationError(
        text,
        status_code=response.status_code,
        request_id=response.headers.get("x-request-id"),
        prediction_id=pid,
        body=_text(response),
        task_may_exist=may_exist,
    )


def _transport_error(exc: httpx.TransportError, operation: str, prediction_id: str | None) -> APIError:
    never_sent = isinstance(exc, _NEVER_SENT)
    may_exist = operation == "submit" and not never_sent
    kind = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    text = f"{operation} failed: {type(exc).__name__}: {exc or 'no detail'}" + describe_attempts(exc)
    if may_exist:
        text += "; the request may have reached the server, so a task may exist: not resent"
    return kind(text, prediction_id=prediction_id, task_may_exist=may_exist)


def _interpret(
    result: Response[Any] | None, operation: str, prediction_id: str | None, parse_error: Exception | None
) -> tuple[Any, httpx.Response]:
    """Return the parsed success model and the raw response, or raise the right error."""
    raw = _last_response.get()
    if raw is None:  # the hook did not run: nothing to explain with
        if parse_error is not None:
            raise parse_error
        raise APIConnectionError(f"{operation} failed: no response", prediction_id=prediction_id)
    if raw.status_code >= 400:
        raise _status_error(raw, operation, prediction_id)
    if parse_error is not None:
        detail = "body is not JSON" if isinstance(parse_error, ValueError) else _describe(parse_error)
        raise _contract_error(raw, operation, prediction_id, detail)
    parsed = result.parsed if result is not None else None
    if raw.status_code != 200 or parsed is None:
        raise _contract_error(raw, operation, prediction_id, f"undocumented status {raw.status_code}")
    if isinstance(parsed, ErrorEnvelope):
        code = _opt(parsed.code)
        if code is not None and code != 200:
            raise _status_error(raw, operation, prediction_id, envelope_code=code)
        raise _contract_error(raw, operation, prediction_id, _why_not_success(raw, operation))
    if parsed.code != 200:
        raise _status_error(raw, operation, prediction_id, envelope_code=parsed.code)
    return parsed, raw


def _why_not_success(raw: httpx.Response, operation: str) -> str:
    model = UploadEnvelope if operation == "upload" else PredictionEnvelope
    body = _json_object(raw)
    if body is None:
        return "body is not a JSON object"
    try:
        model.from_dict(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return _describe(exc)
    return "envelope code 200 without a usable data object"


def _call(
    fn: Callable[..., Response[Any]], operation: str, prediction_id: str | None, **kwargs: Any
) -> tuple[Any, httpx.Response]:
    token = _last_response.set(None)
    try:
        try:
            result = fn(**kwargs)
        except httpx.TransportError as exc:
            raise _transport_error(exc, operation, prediction_id) from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return _interpret(None, operation, prediction_id, exc)
        return _interpret(result, operation, prediction_id, None)
    finally:
        _last_response.reset(token)


async def _call_async(
    fn: Callable[..., Awaitable[Response[Any]]], operation: str, prediction_id: str | None, **kwargs: Any
) -> tuple[Any, httpx.Response]:
    token = _last_response.set(None)
    try:
        try:
            result = await fn(**kwargs)
        except httpx.TransportError as exc:
            raise _transport_error(exc, operation, prediction_id) from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return _interpret(None, operation, prediction_id, exc)
        return _interpret(result, operation, prediction_id, None)
    finally:
        _last_response.reset(token)


def _prediction_from(envelope: PredictionEnvelope, raw: httpx.Response) -> Prediction:
    body = _json_object(raw)
    data = body.get("data") if body else None
    return _to_prediction(envelope.data, data if isinstance(data, dict) else envelope.data.to_dict())


# --- operations ----------------------------------------------------------------------------


def _submit_kwargs(gen: GeneratedClient, body: Mapping[str, Any], webhook: str | None) -> dict[str, Any]:
    return {"client": gen, "body": EditRequest(**body), "webhook": UNSET if webhook is None else webhook}


def _upload_body(filename: str, content: bytes, content_type: str) -> UploadRequest:
    return UploadRequest(file=File(payload=io.BytesIO(content), file_name=filename, mime_type=content_type))


def submit(gen: GeneratedClient, body: Mapping[str, Any], webhook: str | None) -> Prediction:
    envelope, raw = _call(submit_edit.sync_detailed, "submit", None, **_submit_kwargs(gen, body, webhook))
    return _prediction_from(envelope, raw)


async def submit_async(gen: GeneratedClient, body: Mapping[str, Any], webhook: str | None) -> Prediction:
    kwargs = _submit_kwargs(gen, body, webhook)
    envelope, raw = await _call_async(submit_edit.asyncio_detailed, "submit", None, **kwargs)
    return _prediction_from(envelope, raw)


def get(gen: GeneratedClient, prediction_id: str) -> Prediction:
    envelope, raw = _call(get_result.sync_detailed, "get result", prediction_id, id=prediction_id, client=gen)
    return _prediction_from(envelope, raw)


async def get_async(gen: GeneratedClient, prediction_id: str) -> Prediction:
    envelope, raw = await _call_async(
        get_result.asyncio_detailed, "get result", prediction_id, id=prediction_id, client=gen
    )
    return _prediction_from(envelope, raw)


# Uploads go through the operation the spec marks `x-preferred` (PREFERRED_UPLOAD): the documented
# multipart `uploadBinary`, or the ticket flow `createUploadTicket` (POST the file's name, size
# and type; PUT the bytes to the ticket's presigned URL with exactly its headers and no API key).


def _ticket_body(filename: str, content: bytes, content_type: str) -> UploadTicketRequest:
    return UploadTicketRequest(filename=filename, size=len(content), content_type=content_type)


def _put_request(http: httpx.Client | httpx.AsyncClient, ticket: Any, content: bytes) -> httpx.Request:
    instruction = ticket.data.upload
    headers = dict(instruction.headers.additional_properties) if not isinstance(instruction.headers, Unset) else {}
    request = http.build_request(instruction.method, instruction.url, content=content, headers=headers)
    for name in [n for n in request.headers if n.lower() == "authorization" or n.lower().startswith("x-client-")]:
        del request.headers[name]  # the presigned URL carries its own signature; the key never goes there
    return request


def _put_result(response: httpx.Response, ticket: Any) -> str:
    if not 200 <= response.status_code < 300:
        raise _status_error(response, "upload", None)
    return str(ticket.data.download_url)


def upload(gen: GeneratedClient, filename: str, content: bytes, content_type: str) -> str:
    if PREFERRED_UPLOAD == "createUploadTicket":
        kwargs = {"client": gen, "body": _ticket_body(filename, content, content_type)}
        ticket, _ = _call(create_upload_ticket.sync_detailed, "upload", None, **kwargs)
        http = gen.get_httpx_client()
        try:
            response = http.send(_put_request(http, ticket, content))
        except httpx.TransportError as exc:
            raise _transport_error(exc, "upload", None) from exc
        return _put_result(response, ticket)
    body = _upload_body(filename, content, content_type)
    envelope, _ = _call(upload_binary.sync_detailed, "upload", None, client=gen, body=body)
    return str(envelope.data.download_url)


async def upload_async(gen: GeneratedClient, filename: str, content: bytes, content_type: str) -> str:
    if PREFERRED_UPLOAD == "createUploadTicket":
        kwargs = {"client": gen, "body": _ticket_body(filename, content, content_type)}
        ticket, _ = await _call_async(create_upload_ticket.asyncio_detailed, "upload", None, **kwargs)
        http = gen.get_async_httpx_client()
        try:
            response = await http.send(_put_request(http, ticket, content))
        except httpx.TransportError as exc:
            raise _transport_error(exc, "upload", None) from exc
        return _put_result(response, ticket)
    body = _upload_body(filename, content, content_type)
    envelope, _ = await _call_async(upload_binary.asyncio_detailed, "upload", None, client=gen, body=body)
    return str(envelope.data.download_url)
