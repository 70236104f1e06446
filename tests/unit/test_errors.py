"""Responses become the right exception, with status, envelope code, request id, prediction id
and raw body; and quirky but valid bodies parse.

Covers: each error status; HTTP 200 with an error envelope; the bare ``{"error": ...}`` body;
HTML gateway pages; truncated or non-JSON 200 bodies (contract violations keep the raw body);
a non-IANA status; unknown statuses and missing optional fields.
"""

from __future__ import annotations

import httpx
import pytest

from step1x_edit import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ContractViolationError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    Step1XEdit,
)

from .conftest import BASE, KEY, PID, RESULT, SUBMIT, UPLOAD, FakeAPI, envelope, ok, prediction


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (413, PayloadTooLargeError),
        (418, APIStatusError),
        (429, RateLimitError),
        (500, ServerError),
        (520, ServerError),  # not an IANA status: the generated client cannot even build HTTPStatus(520)
    ],
)
def test_status_maps_to_exception(api: FakeAPI, status: int, cls: type[APIStatusError]) -> None:
    body = {"code": status, "message": f"boom {status}", "error_code": "E_TEST", "data": None}
    api.on(RESULT, *[httpx.Response(status, json=body, headers={"x-request-id": "req-1"})] * 10)
    with (
        Step1XEdit(api_key=KEY, base_url=BASE, max_retries=0, transport=httpx.MockTransport(api.handler)) as c,
        pytest.raises(cls) as info,
    ):
        c.get(PID)
    error = info.value
    assert type(error) is cls
    assert (error.status_code, error.code, error.error_code, error.request_id) == (status, status, "E_TEST", "req-1")
    assert error.prediction_id == PID
    assert f"boom {status}" in str(error)
    assert error.body is not None
    assert "E_TEST" in error.body


def test_http_200_with_error_envelope_is_an_error(client: Step1XEdit, api: FakeAPI) -> None:
    api.on(SUBMIT, httpx.Response(200, json={"code": 401, "message": "Invalid API key", "data": None}))
    with pytest.raises(AuthenticationError) as info:
        client.submit("x", "https://example.com/a.png")
    assert (info.value.status_code, info.value.code) == (200, 401)
    assert "envelope code 401" in str(info.value)


def test_http_200_upload_failure_envelope(client: Step1XEdit, api: FakeAPI) -> None:
    # The vendor's envelope code 500 for a refused file is the caller's fault: a 400 (see test_new_user).
    api.on(UPLOAD, httpx.Response(200, json={"code": 500, "message": "Upload failed: invalid file type"}))
    with pytest.raises(BadRequestError, match="invalid file type"):
        client.upload(b"not an image")


def test_bare_error_body(client: Step1XEdit, api: FakeAPI) -> None:
    api.on(SUBMIT, httpx.Response(400, json={"error": "webhook callback does not support base64 output"}))
    with pytest.raises(BadRequestError, match="does not support base64") as info:
        client.submit("x", "https://example.com/a.png")
    assert info.value.task_may_exist is False


def test_html_gateway_page_keeps_body(client: Step1XEdit, api: FakeAPI) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    api.on(SUBMIT, httpx.Response(502, text=page, headers={"content-type": "text/html"}))
    with pytest.raises(ServerError) as info:
        client.submit("x", "https://example.com/a.png")
    assert info.value.body == page
    assert "502 Bad Gateway" in str(info.value)
    assert info.value.task_may_exist is True


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b'{"code":200,"message":"success","data":{"id":"abc","sta', "not JSON"),
        (b"<html>ok</html>", "not JSON"),
        (b'{"code":200,"message":"success","data":{"status":"completed"}}', "'id' is missing"),
        (b'{"code":200,"message":"success"}', "'data' is missing"),
    ],
    ids=["truncated", "html-200", "missing-id", "missing-data"],
)
def test_200_that_breaks_the_contract(client: Step1XEdit, api: FakeAPI, content: bytes, detail: str) -> None:
    api.on(RESULT, httpx.Response(200, content=content))
    with pytest.raises(ContractViolationError, match=detail) as info:
        client.get(PID)
    assert info.value.body == content.decode()
    assert info.value.prediction_id == PID


def test_contract_violation_on_submit_says_task_may_exist(client: Step1XEdit, api: FakeAPI) -> None:
    api.on(SUBMIT, httpx.Response(200, content=b'{"code":200,"data":{"id":"' + PID.encode() + b'"'))
    with pytest.raises(ContractViolationError) as info:
        client.submit("x", "https://example.com/a.png")
    assert info.value.task_may_exist is True


@pytest.mark.parametrize("status", ["queued", "cancelled", "pending"])
def test_unknown_status_is_kept_raw(client: Step1XEdit, api: FakeAPI, status: str) -> None:
    api.on(RESULT, ok(status))
    assert client.get(PID).status == status


def test_missing_optional_fields_and_extra_fields(client: Step1XEdit, api: FakeAPI) -> None:
    api.on(RESULT, httpx.Response(200, json={"code": 200, "data": {"id": PID, "status": "processing", "new": 1}}))
    got = client.get(PID)
    assert (got.status, got.outputs, got.model, got.created_at, got.inference_ms) == (
        "processing",
        (),
        None,
        None,
        None,
    )
    assert got.raw["new"] == 1


def test_prediction_fields(client: Step1XEdit, api: FakeAPI) -> None:
    data = prediction("completed", executionTime=1234, timings={"inference": 1200}, code=0)
    api.on(RESULT, httpx.Response(200, json=envelope(data)))
    got = client.get(PID)
    assert got.outputs == ("https://cdn.test/out/0.png",)
    assert got.has_nsfw_contents == (False,)
    assert (got.execution_ms, got.inference_ms, got.task_code, got.error) == (1234, 1200, 0, None)
    assert got.result_url == f"{BASE}{RESULT}"
    assert got.created_at is not None
    assert got.created_at.microsecond == 948268
    assert got.succeeded
    assert got.done
