"""The one parsing layer's checks: every ``data`` object an answer carries, field by field,
against the shapes the spec declares (no I/O; ``_api`` turns a ``_Shape`` into
ContractViolationError with the raw body).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re

from ._models import Prediction, is_usable_id
from ._spec_data import SUCCESSFUL_STATUSES

__all__ = ["_URL", "_Shape", "_checked_prediction", "_checked_ticket", "_checked_upload", "_is_int", "_kind"]

#
# The one parsing layer. Every answer is checked here, field by field, against the shapes the
# spec declares; anything else becomes ContractViolationError (raw body kept, prediction id and
# task_may_exist set when known). Tolerated, because harmless: unknown fields, status words the
# spec does not list, optional fields that are missing or null. Refused: a completed prediction
# without usable outputs (none, not strings, or NSFW flags that are not one per output).


class _Shape(Exception):
    """A data object that does not have the shape the spec declares (internal)."""

    def __init__(self, detail: str, prediction_id: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.prediction_id = prediction_id


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)  # type: ignore[arg-type]


def _is_bool_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, bool) for item in value)


def _output_items(value: object, pid: str) -> list[str] | None:
    """Outputs as strings. Tolerant: an item shaped ``{"url": ...}`` (accepted by the vendor's
    desktop app and CLI; a breaking drift for the spec, which the live check reports) counts as
    its URL. Any other item is a contract violation naming the prediction."""
    if value is None:  # missing or null: optional before completion (checked below when completed)
        return None
    if not isinstance(value, list):
        raise _Shape(f"data.outputs should be a list of strings, got {_kind(value)}", pid)
    items: list[str] = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            item = item["url"]
        if not isinstance(item, str):
            raise _Shape(f"data.outputs should be a list of strings (or {{'url': ...}} items), got {_kind(item)}", pid)
        items.append(item)
    return items


def _missing_or(data: object, name: str) -> str:
    if isinstance(data, dict) and name not in data:
        return f"required field {name!r} is missing"
    return ""


def _kind(value: object) -> str:
    text = json.dumps(value, default=str)[:60] if not isinstance(value, dict | list) else type(value).__name__
    return f"{type(value).__name__} {text}" if not isinstance(value, dict | list) else f"a JSON {text}"


def _created_at(text: str | None, pid: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise _Shape(f"data.created_at is not an RFC 3339 date-time: {text[:40]!r}", pid) from None


def _checked_prediction(data: object, expected_id: str | None = None) -> Prediction:
    """Our Prediction from a ``data`` object, or _Shape naming the first thing that is wrong."""
    if not isinstance(data, dict):
        raise _Shape(f"data should be a prediction object, got {_kind(data)}", expected_id)
    pid = data.get("id")
    if not isinstance(pid, str) or not pid:
        detail = _missing_or(data, "id") or f"data.id should be a non-empty string, got {_kind(pid)}"
        raise _Shape(detail, expected_id)
    if not is_usable_id(pid):
        raise _Shape(
            f"data.id {pid[:80]!r} cannot be used in a URL path (expected an id like 32 hex digits)", expected_id
        )
    known = expected_id or pid
    if expected_id is not None and pid != expected_id:
        raise _Shape(f"the answer is about another prediction ({pid[:40]!r})", expected_id)
    status = data.get("status")
    if not isinstance(status, str) or not status:
        detail = _missing_or(data, "status") or f"data.status should be a non-empty string, got {_kind(status)}"
        raise _Shape(detail, known)
    outputs = _output_items(data.get("outputs"), known)
    # Optional fields: missing or null is fine; any other type is a contract violation. (Inline
    # checks, in the order the messages name them: this runs on every answer.)
    nsfw = data.get("has_nsfw_contents")
    if nsfw is not None and not _is_bool_list(nsfw):
        raise _wrong("has_nsfw_contents", "a list of booleans", nsfw, known)
    urls = data.get("urls")
    if urls is not None and not isinstance(urls, dict):
        raise _wrong("urls", "an object", urls, known)
    result_url = urls.get("get") if urls else None
    if result_url is not None and not isinstance(result_url, str):
        raise _wrong("get", "a string", result_url, known)
    timings = data.get("timings")
    if timings is not None and not isinstance(timings, dict):
        raise _wrong("timings", "an object", timings, known)
    request_input = data.get("input")
    if request_input is not None and not isinstance(request_input, dict):
        raise _wrong("input", "an object", request_input, known)
    if status in SUCCESSFUL_STATUSES:
        if not outputs:
            raise _Shape(f"prediction is {status} but has no outputs", known)
        if nsfw is not None and len(nsfw) != len(outputs):
            raise _Shape(f"has_nsfw_contents has {len(nsfw)} flags for {len(outputs)} outputs", known)
    model = data.get("model")
    if model is not None and not isinstance(model, str):
        raise _wrong("model", "a string", model, known)
    created_at = data.get("created_at")
    if created_at is not None and not isinstance(created_at, str):
        raise _wrong("created_at", "a string", created_at, known)
    created = _created_at(created_at, known)
    error = data.get("error")
    if error is not None and not isinstance(error, str):
        raise _wrong("error", "a string", error, known)
    task_code = data.get("code")
    if task_code is not None and not _is_int(task_code):
        raise _wrong("code", "an integer", task_code, known)
    inference_ms = timings.get("inference") if timings else None
    if inference_ms is not None and not _is_number(inference_ms):
        raise _wrong("inference", "a number", inference_ms, known)
    execution_ms = data.get("executionTime")
    if execution_ms is not None and not _is_number(execution_ms):
        raise _wrong("executionTime", "a number", execution_ms, known)
    return Prediction(
        id=pid,
        status=status,
        model=model,
        outputs=tuple(outputs or ()),
        has_nsfw_contents=tuple(nsfw or ()),
        result_url=result_url,
        created_at=created,
        error=error or None,
        task_code=task_code,
        inference_ms=inference_ms,
        execution_ms=execution_ms,
        raw=data,
    )


def _wrong(name: str, what: str, value: object, pid: str | None) -> _Shape:
    return _Shape(f"data.{name} should be {what}, got {_kind(value)}", pid)


_URL = re.compile(r"^https?://[^\s/?#]+\S*$")


def _checked_upload(data: object) -> str:
    if not isinstance(data, dict):
        raise _Shape(f"data should be an upload object, got {_kind(data)}")
    url = data.get("download_url")
    if not isinstance(url, str) or _URL.match(url) is None:
        raise _Shape(f"data.download_url should be an http(s) URL, got {_kind(url)}")
    return url


def _checked_ticket(data: object) -> tuple[str, str, str, dict[str, str]]:
    """(download_url, PUT method, presigned URL, headers) from a ticket's ``data``, or _Shape."""
    download_url = _checked_upload(data)
    assert isinstance(data, dict)  # checked by _checked_upload
    upload = data.get("upload")
    if not isinstance(upload, dict):
        raise _Shape(f"data.upload should be an object, got {_kind(upload)}")
    method, url, headers = upload.get("method"), upload.get("url"), upload.get("headers") or {}
    if method not in ("PUT", "POST"):
        raise _Shape(f"data.upload.method should be PUT, got {_kind(method)}")
    if not isinstance(url, str) or _URL.match(url) is None:
        raise _Shape(f"data.upload.url should be an http(s) URL, got {_kind(url)}")
    if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise _Shape(f"data.upload.headers should be an object of strings, got {_kind(headers)}")
    return download_url, method, url, headers
