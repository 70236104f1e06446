"""The one bridge to the generated client: calls it, and turns what comes back into ours.

This is the only module that imports ``step1x_edit_api``; a generator rename touches this
file alone. It is imported lazily (on the first request) to keep ``import step1x_edit`` cheap.

Translation happens here and nowhere else:

* HTTP errors, envelope errors (HTTP 200 whose ``code`` is not 200) and the bare
  ``{"error": ...}`` body become the matching APIStatusError subclass;
* transport failures become APIConnectionError / APITimeoutError, flagged ``task_may_exist``
  when a submit may have reached the server;
* every answer (HTML pages, truncated JSON, odd shapes, non-IANA statuses) is checked here
  (its ``data`` object field by field by ``_shapes``), from its raw body parsed once: the generated operations are called through their ``*_raw``
  variants (openapi/templates/endpoint_module.py.jinja), which build and send the request and
  return the response unparsed; an httpx event hook remembers it for the error messages.
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
from step1x_edit_api.models import EditRequest, UploadRequest, UploadTicketRequest
from step1x_edit_api.models import Prediction as GeneratedPrediction
from step1x_edit_api.types import UNSET, File

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
    Step1XEditError,
)
from ._models import Prediction, is_usable_id
from ._retry import NEVER_SENT, UNSENDABLE, describe_attempts, parse_retry_after
from ._shapes import _checked_prediction, _checked_ticket, _checked_upload, _is_int, _kind, _Shape
from ._spec_data import PREFERRED_UPLOAD
from ._transport import last_response as _last_response

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
# Failures before any byte of the request could reach the server.
_UNSENDABLE = UNSENDABLE
_NEVER_SENT = (*NEVER_SENT, *UNSENDABLE)

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


# --- parsing (the field-by-field checks of each data object are _shapes) -----------------------
def parse_prediction(data: Mapping[str, Any]) -> Prediction:
    """A bare prediction object (the webhook body) as our Prediction; ContractViolationError if malformed."""
    try:
        GeneratedPrediction.from_dict(data)  # the spec's own required fields and formats
        return _checked_prediction(data)
    except _Shape as exc:
        raise ContractViolationError(
            f"prediction does not match the spec: {exc.detail}", body=_dump(data), prediction_id=exc.prediction_id
        ) from None
    except Exception as exc:  # whatever the generated parser trips on
        raise ContractViolationError(
            f"prediction does not match the spec: {_describe(exc)}", body=_dump(data)
        ) from None


def _dump(data: object) -> str:
    try:
        return json.dumps(data, default=str)[:2000]
    except (ValueError, TypeError, RecursionError):
        return repr(data)[:2000]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"required field {exc.args[0]!r} is missing"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _text(response: httpx.Response) -> str:
    try:
        return response.content.decode(response.encoding or "utf-8", errors="replace")
    except LookupError:
        return response.content.decode("utf-8", errors="replace")


def _json_any(response: httpx.Response) -> object:
    """The parsed body; raises ValueError (also for nesting too deep to parse)."""
    try:
        return json.loads(response.content)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = _json_any(response)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _prediction_id(body: Mapping[str, Any] | None) -> str | None:
    data = body.get("data") if body else None
    pid = data.get("id") if isinstance(data, dict) else None
    return pid if is_usable_id(pid) else None


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
    # (4xx: refused, nothing ran; anything else, e.g. an odd envelope code, is not proof of that.)
    may_exist = operation == "submit" and not 400 <= status < 500
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
    if isinstance(exc, _UNSENDABLE):
        # h11 echoes the offending header value (it could be the key): never show its text.
        detail = "the request could not be encoded (an invalid header value or URL); nothing was sent"
    else:
        detail = str(exc) or "no detail"
    text = f"{operation} failed: {type(exc).__name__}: {detail}" + describe_attempts(exc)
    if may_exist:
        text += "; the request may have reached the server, so a task may exist: not resent"
    return kind(text, prediction_id=prediction_id, task_may_exist=may_exist)


def _interpret(operation: str, prediction_id: str | None, parse_error: Exception | None) -> tuple[Any, httpx.Response]:
    """Return the success ``data`` object and the raw response, or raise the right error."""
    raw = _last_response.get()
    if raw is None:  # the hook did not run: nothing to explain with
        raise ContractViolationError(
            f"{operation}: no response could be read"
            + (f" ({_describe(parse_error)})" if parse_error is not None else ""),
            prediction_id=prediction_id,
            task_may_exist=operation == "submit",
        )
    if raw.status_code >= 400:
        raise _status_error(raw, operation, prediction_id)
    try:
        body = _json_any(raw)
    except ValueError:
        raise _contract_error(raw, operation, prediction_id, "body is not JSON") from None
    if not isinstance(body, dict):
        raise _contract_error(raw, operation, prediction_id, f"body should be a JSON object, got {_kind(body)}")
    code = body.get("code")
    if not _is_int(code):
        raise _contract_error(raw, operation, prediction_id, f"envelope code should be an integer, got {_kind(code)}")
    message = body.get("message")
    if message is not None and not isinstance(message, str):
        raise _contract_error(
            raw, operation, prediction_id, f"envelope message should be a string, got {_kind(message)}"
        )
    if raw.status_code != 200:
        raise _contract_error(raw, operation, prediction_id, f"undocumented status {raw.status_code}")
    if code != 200:
        raise _status_error(raw, operation, prediction_id, envelope_code=code)
    if "data" not in body:
        raise _contract_error(raw, operation, prediction_id, "required field 'data' is missing")
    return body.get("data"), raw


def _guarded(
    operation: str, prediction_id: str | None, parse_error: Exception | None, convert: Callable[[Any], T]
) -> T:
    """_interpret, then convert the data object; nothing but our own errors can come out."""
    try:
        data, raw = _interpret(operation, prediction_id, parse_error)
        try:
            return convert(data)
        except _Shape as exc:
            raise _contract_error(raw, operation, exc.prediction_id or prediction_id, exc.detail) from None
    except Step1XEditError:
        raise
    except Exception as exc:  # the net under the parsing layer: a bug here must not escape raw
        last = _last_response.get()
        if last is None:
            raise ContractViolationError(
                f"{operation}: the response could not be read: {_describe(exc)}",
                prediction_id=prediction_id,
                task_may_exist=operation == "submit",
            ) from exc
        raise _contract_error(last, operation, prediction_id, _describe(exc)) from exc


def _translate(operation: str, prediction_id: str | None, failure: Exception | None, convert: Callable[[Any], T]) -> T:
    """The result of one generated call, or the library's error for what went wrong.

    ``failure`` is what the generated call raised (None when it returned): a transport error
    becomes APIConnectionError (or its subclasses), our transport's APIError gains the call's
    context, anything else (the request builder or httpx failing on the answer) is explained by
    ``_guarded``.
    """
    if isinstance(failure, httpx.TransportError):
        raise _transport_error(failure, operation, prediction_id) from failure
    if isinstance(failure, APIError):  # raised by our transport (e.g. a body over the size cap)
        failure.prediction_id = failure.prediction_id or prediction_id
        failure.task_may_exist = failure.task_may_exist or operation == "submit"
        raise failure
    return _guarded(operation, prediction_id, failure, convert)


def _call(
    fn: Callable[..., httpx.Response],
    operation: str,
    prediction_id: str | None,
    convert: Callable[[Any], T],
    **kwargs: Any,
) -> T:
    token = _last_response.set(None)  # forget the previous call's response; the hook records this one's
    try:
        failure: Exception | None = None
        try:
            fn(**kwargs)
        except Exception as exc:  # translated outside this block: no implicit exception chaining
            failure = exc
        return _translate(operation, prediction_id, failure, convert)
    finally:
        _last_response.reset(token)


async def _call_async(
    fn: Callable[..., Awaitable[httpx.Response]],
    operation: str,
    prediction_id: str | None,
    convert: Callable[[Any], T],
    **kwargs: Any,
) -> T:
    token = _last_response.set(None)
    try:
        failure: Exception | None = None
        try:
            await fn(**kwargs)
        except Exception as exc:  # translated outside this block: no implicit exception chaining
            failure = exc
        return _translate(operation, prediction_id, failure, convert)
    finally:
        _last_response.reset(token)


# --- operations ----------------------------------------------------------------------------


def _submit_kwargs(gen: GeneratedClient, body: Mapping[str, Any], webhook: str | None) -> dict[str, Any]:
    return {"client": gen, "body": EditRequest(**body), "webhook": UNSET if webhook is None else webhook}


def _upload_body(filename: str, content: bytes, content_type: str) -> UploadRequest:
    return UploadRequest(file=File(payload=io.BytesIO(content), file_name=filename, mime_type=content_type))


def _for(prediction_id: str | None) -> Callable[[Any], Prediction]:
    return lambda data: _checked_prediction(data, prediction_id)


def submit(gen: GeneratedClient, body: Mapping[str, Any], webhook: str | None) -> Prediction:
    return _call(submit_edit.sync_raw, "submit", None, _for(None), **_submit_kwargs(gen, body, webhook))


async def submit_async(gen: GeneratedClient, body: Mapping[str, Any], webhook: str | None) -> Prediction:
    kwargs = _submit_kwargs(gen, body, webhook)
    return await _call_async(submit_edit.asyncio_raw, "submit", None, _for(None), **kwargs)


def get(gen: GeneratedClient, prediction_id: str) -> Prediction:
    return _call(get_result.sync_raw, "get result", prediction_id, _for(prediction_id), id=prediction_id, client=gen)


async def get_async(gen: GeneratedClient, prediction_id: str) -> Prediction:
    return await _call_async(
        get_result.asyncio_raw, "get result", prediction_id, _for(prediction_id), id=prediction_id, client=gen
    )


# Uploads go through the operation the spec marks `x-preferred` (PREFERRED_UPLOAD): the documented
# multipart `uploadBinary`, or the ticket flow `createUploadTicket` (POST the file's name, size
# and type; PUT the bytes to the ticket's presigned URL with exactly its headers and no API key).


def _ticket_body(filename: str, content: bytes, content_type: str) -> UploadTicketRequest:
    return UploadTicketRequest(filename=filename, size=len(content), content_type=content_type)


def _put_request(
    http: httpx.Client | httpx.AsyncClient, ticket: tuple[str, str, str, dict[str, str]], content: bytes
) -> httpx.Request:
    _, method, url, headers = ticket
    request = http.build_request(method, url, content=content, headers=headers)
    for name in [n for n in request.headers if n.lower() == "authorization" or n.lower().startswith("x-client-")]:
        del request.headers[name]  # the presigned URL carries its own signature; the key never goes there
    return request


def _put_result(response: httpx.Response, ticket: tuple[str, str, str, dict[str, str]]) -> str:
    if not 200 <= response.status_code < 300:
        raise _status_error(response, "upload", None)
    return ticket[0]


def upload(gen: GeneratedClient, filename: str, content: bytes, content_type: str) -> str:
    if PREFERRED_UPLOAD == "createUploadTicket":
        kwargs = {"client": gen, "body": _ticket_body(filename, content, content_type)}
        ticket = _call(create_upload_ticket.sync_raw, "upload", None, _checked_ticket, **kwargs)
        http = gen.get_httpx_client()
        try:
            # auth=None: the client's key auth must not sign a request to the presigned URL
            response = http.send(_put_request(http, ticket, content), auth=None)
        except httpx.TransportError as exc:
            raise _transport_error(exc, "upload", None) from exc
        return _put_result(response, ticket)
    body = _upload_body(filename, content, content_type)
    return _call(upload_binary.sync_raw, "upload", None, _checked_upload, client=gen, body=body)


async def upload_async(gen: GeneratedClient, filename: str, content: bytes, content_type: str) -> str:
    if PREFERRED_UPLOAD == "createUploadTicket":
        kwargs = {"client": gen, "body": _ticket_body(filename, content, content_type)}
        ticket = await _call_async(create_upload_ticket.asyncio_raw, "upload", None, _checked_ticket, **kwargs)
        http = gen.get_async_httpx_client()
        try:
            # auth=None: the client's key auth must not sign a request to the presigned URL
            response = await http.send(_put_request(http, ticket, content), auth=None)
        except httpx.TransportError as exc:
            raise _transport_error(exc, "upload", None) from exc
        return _put_result(response, ticket)
    body = _upload_body(filename, content, content_type)
    return await _call_async(upload_binary.asyncio_raw, "upload", None, _checked_upload, client=gen, body=body)
