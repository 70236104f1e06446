"""AsyncStep1XEdit mirrors Step1XEdit: edit, polling, retries, errors, deadline, download."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from step1x_edit import (
    APITimeoutError,
    AsyncStep1XEdit,
    DeadlineExceededError,
    NotFoundError,
    PredictionFailedError,
    Step1XEdit,
)

from .conftest import BASE, KEY, PID, RESULT, SUBMIT, FakeAPI, FakeClock, ok

pytestmark = pytest.mark.anyio


@pytest.fixture
async def aclient(api: FakeAPI, clock: FakeClock) -> AsyncIterator[AsyncStep1XEdit]:
    async with AsyncStep1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as c:
        yield c


def test_same_public_surface() -> None:
    def public(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_")}

    assert public(Step1XEdit) - {"close"} == public(AsyncStep1XEdit) - {"aclose"}


async def test_edit_polls_until_completed(aclient: AsyncStep1XEdit, api: FakeAPI, clock: FakeClock) -> None:
    api.on(RESULT, ok("processing"), httpx.Response(503), ok("completed"))
    seen: list[str] = []
    result = await aclient.edit("x", "https://example.com/a.png", seed=1, on_status=lambda p: seen.append(p.status))
    assert result.status == "completed"
    assert seen == ["created", "processing", "completed"]
    assert api.count(SUBMIT) == 1
    assert api.count(RESULT) == 3


async def test_submit_not_resent_after_read_timeout(aclient: AsyncStep1XEdit, api: FakeAPI) -> None:
    api.on(SUBMIT, httpx.ReadTimeout("slow", request=httpx.Request("POST", BASE)))
    with pytest.raises(APITimeoutError) as info:
        await aclient.submit("x", "https://example.com/a.png")
    assert info.value.task_may_exist
    assert api.count(SUBMIT) == 1


async def test_errors_and_failures(aclient: AsyncStep1XEdit, api: FakeAPI) -> None:
    api.on(RESULT, httpx.Response(404, json={"code": 404, "message": "missing", "data": None}), ok("failed"))
    with pytest.raises(NotFoundError):
        await aclient.get(PID)
    with pytest.raises(PredictionFailedError):
        await aclient.wait(PID)


async def test_deadline(aclient: AsyncStep1XEdit, api: FakeAPI, clock: FakeClock) -> None:
    api.default[RESULT] = ok("processing")
    started = clock.now
    with pytest.raises(DeadlineExceededError) as info:
        await aclient.wait(PID, timeout=1.5)
    assert clock.now - started == pytest.approx(1.5)
    assert info.value.prediction_id == PID


async def test_download_without_key(aclient: AsyncStep1XEdit, api: FakeAPI, tmp_path: Path) -> None:
    api.on("/out/0.png", httpx.Response(200, content=b"\x89PNG\r\n\x1a\nxx"))
    result = await aclient.wait(PID)
    (path,) = await aclient.download(result, tmp_path)
    assert path.suffix == ".png"
    assert "authorization" not in api.requests[-1].headers
