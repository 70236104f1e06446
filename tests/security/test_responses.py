"""Issue 13 item 6 and issue 10: odd answers become ContractViolationError, never a raw error.

Reproductions: envelope ``code`` as the string "200", ``outputs`` as an object or a string
(which became a tuple of characters), ``id`` as a number escaped as TypeError /
AttributeError / RecursionError, some after the paid POST and without the prediction id.
Tolerated (harmless): unknown fields, unknown status words, optional fields missing before
completion. Refused: a completed prediction without usable outputs.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from unit.conftest import BASE, KEY, PID, RESULT, SUBMIT, UPLOAD, envelope, prediction

from step1x_edit import AsyncStep1XEdit, ContractViolationError, Step1XEdit

from .conftest import FakeAPI, FakeClock

URL = "https://example.com/a.png"
DEEP = "[" * 100_000 + "]" * 100_000


def _data(**changes: Any) -> dict[str, Any]:
    data = prediction("completed")
    for key, value in changes.items():
        if value is KeyError:
            data.pop(key, None)
        else:
            data[key] = value
    return data


BROKEN_PREDICTIONS = {
    "code-as-string": {"code": "200", "message": "success", "data": prediction("created")},
    "code-as-bool": {"code": True, "message": "success", "data": prediction("created")},
    "code-as-float": {"code": 200.5, "message": "success", "data": prediction("created")},
    "error-code-as-string": {"code": "500", "message": "boom", "data": None},
    "outputs-object": envelope(_data(outputs={"a": 1})),
    "outputs-string": envelope(_data(outputs="https://cdn.test/x.png")),
    "outputs-numbers": envelope(_data(outputs=[1, 2])),
    "id-number": envelope(_data(id=12345)),
    "id-empty": envelope(_data(id="")),
    "id-missing": envelope(_data(id=KeyError)),
    "status-number": envelope(_data(status=3)),
    "status-missing": envelope(_data(status=KeyError)),
    "data-list": {"code": 200, "message": "success", "data": [1, 2]},
    "data-string": {"code": 200, "message": "success", "data": "x"},
    "body-list": [1, 2, 3],
    "body-null": None,
    "nsfw-strings": envelope(_data(has_nsfw_contents=["no"])),
    "nsfw-count": envelope(_data(has_nsfw_contents=[False, False])),
    "urls-string": envelope(_data(urls="https://x")),
    "created-at-garbage": envelope(_data(created_at="yesterday")),
    "created-at-number": envelope(_data(created_at=5)),
    "timings-list": envelope(_data(timings=[1])),
    "inference-string": envelope(_data(timings={"inference": "fast"})),
    "task-code-string": envelope(_data(code="0")),
    "error-number": envelope(_data(error=5)),
    "completed-without-outputs": envelope(_data(outputs=KeyError, has_nsfw_contents=KeyError)),
    "completed-with-empty-outputs": envelope(_data(outputs=[], has_nsfw_contents=[])),
    "message-object": {"code": 200, "message": {"a": 1}, "data": prediction("created")},
}


def _response(body: Any) -> httpx.Response:
    if isinstance(body, str):
        return httpx.Response(200, content=body.encode(), headers={"content-type": "application/json"})
    return httpx.Response(200, json=body)


@pytest.mark.parametrize("name", list(BROKEN_PREDICTIONS))
def test_broken_result_is_a_contract_violation_with_the_id(api: FakeAPI, clock: FakeClock, name: str) -> None:
    api.on(RESULT, _response(BROKEN_PREDICTIONS[name]))
    with (
        Step1XEdit(api_key=KEY, base_url=BASE, max_retries=0, transport=httpx.MockTransport(api.handler)) as c,
        pytest.raises(ContractViolationError) as info,
    ):
        c.get(PID)
    assert info.value.prediction_id == PID
    assert info.value.body is not None
    assert info.value.task_may_exist is False


@pytest.mark.parametrize("name", [*BROKEN_PREDICTIONS, "deep-nesting"])
def test_broken_submit_answer_is_a_contract_violation_after_the_paid_post(
    api: FakeAPI, clock: FakeClock, name: str
) -> None:
    body = DEEP if name == "deep-nesting" else BROKEN_PREDICTIONS[name]
    if name.startswith("completed"):
        body = envelope(_data(status="processing", outputs=KeyError))  # fine while pending
    api.on(SUBMIT, _response(body))
    with Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as c:
        if name.startswith("completed"):
            assert c.submit("x", URL).outputs == ()
            return
        with pytest.raises(ContractViolationError) as info:
            c.submit("x", URL)
    error = info.value
    assert error.task_may_exist is True  # the POST reached the server: it may have been billed
    assert "task may exist" in str(error)
    assert error.body is not None
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"]:
        assert error.prediction_id == data["id"]  # kept whenever it can be read
    assert api.count(SUBMIT) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["code-as-string", "outputs-string", "id-number", "completed-without-outputs"])
async def test_async_client_raises_the_same(api: FakeAPI, clock: FakeClock, name: str) -> None:
    api.on(RESULT, _response(BROKEN_PREDICTIONS[name]))
    async with AsyncStep1XEdit(
        api_key=KEY, base_url=BASE, max_retries=0, transport=httpx.MockTransport(api.handler)
    ) as c:
        with pytest.raises(ContractViolationError) as info:
            await c.get(PID)
    assert info.value.prediction_id == PID


def test_deep_nesting_is_a_contract_violation(api: FakeAPI, clock: FakeClock) -> None:
    api.on(RESULT, _response(DEEP))
    with (
        Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as c,
        pytest.raises(ContractViolationError) as info,
    ):
        c.get(PID)
    assert info.value.prediction_id == PID


@pytest.mark.parametrize(
    "body",
    [
        {"code": 200, "message": "success", "data": {"type": "image", "download_url": 5}},
        {"code": 200, "message": "success", "data": {"type": "image", "download_url": "ftp://x/y"}},
        {"code": 200, "message": "success", "data": {"type": "image"}},
        {"code": "200", "message": "success", "data": {"download_url": "https://x/y"}},
        {"code": 200, "message": "success", "data": ["https://x/y"]},
    ],
)
def test_broken_upload_answer(api: FakeAPI, clock: FakeClock, body: Any) -> None:
    api.on(UPLOAD, _response(body))
    with (
        Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as c,
        pytest.raises(ContractViolationError),
    ):
        c.upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8)


def test_answer_about_another_prediction_is_a_contract_violation(api: FakeAPI, clock: FakeClock) -> None:
    api.on(RESULT, _response(envelope(_data(id="f" * 32))))
    with (
        Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as c,
        pytest.raises(ContractViolationError, match="another prediction") as info,
    ):
        c.get(PID)
    assert info.value.prediction_id == PID


# --- what stays tolerated -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        _data(brand_new_field={"x": [1]}, urls={"get": "https://x", "cancel": "https://y"}),
        _data(status="queued", outputs=[], has_nsfw_contents=[]),
        {"id": PID, "status": "processing"},
        {"id": PID, "status": "created", "model": None, "error": None, "timings": None},
        _data(has_nsfw_contents=KeyError),
        _data(created_at="2025-05-19T06:09:15.94Z"),
    ],
)
def test_harmless_oddities_are_tolerated(api: FakeAPI, clock: FakeClock, data: dict[str, Any]) -> None:
    api.on(RESULT, _response(envelope(data)))
    with Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as c:
        got = c.get(PID)
    assert got.id == PID
    assert got.status == data["status"]
    assert got.raw == data
