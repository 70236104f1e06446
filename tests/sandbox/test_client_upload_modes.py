"""The client uploads through the operation the spec marks ``x-preferred`` (PREFERRED_UPLOAD).

Against the served sandbox: with today's mark (``uploadBinary``) one multipart request and no
ticket; with the mark moved to ``createUploadTicket`` the ticket + PUT flow, whose PUT carries
no API key (the sandbox's presigned-URL stand-in refuses one, as S3 does). Mutations caught:
ignoring the mark (wrong counters), sending the key with the PUT (400 -> an exception), not
returning the ticket's download_url (the bytes would not match).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sandbox_support import SAMPLE

from step1x_edit import AsyncStep1XEdit, BadRequestError, Step1XEdit, _api
from step1x_edit._spec_data import PREFERRED_UPLOAD
from step1x_edit.sandbox import SandboxServer


def test_the_spec_prefers_the_documented_multipart_upload(server: SandboxServer) -> None:
    assert PREFERRED_UPLOAD == "uploadBinary"
    with Step1XEdit(api_key=server.api_key, base_url=server.base_url) as client:
        url = client.upload(SAMPLE)
    assert httpx.get(url).content == SAMPLE.read_bytes()
    stats = server.sandbox.stats
    assert (stats["upload"], stats["tickets"], stats["tickets_stored"]) == (1, 0, 0)


@pytest.fixture
def ticket_preferred(monkeypatch: pytest.MonkeyPatch) -> None:
    # What moving `x-preferred: true` to createUploadTicket and running scripts/regenerate does.
    monkeypatch.setattr(_api, "PREFERRED_UPLOAD", "createUploadTicket")


@pytest.mark.usefixtures("ticket_preferred")
def test_ticket_flow_when_the_spec_prefers_it(server: SandboxServer) -> None:
    with Step1XEdit(api_key=server.api_key, base_url=server.base_url) as client:
        url = client.upload(SAMPLE)
        prediction = client.edit("make the sky purple", SAMPLE, timeout=30)  # a local path: uploaded first
    assert httpx.get(url).content == SAMPLE.read_bytes()
    assert prediction.status == "completed"
    stats = server.sandbox.stats
    assert (stats["upload"], stats["tickets"], stats["tickets_stored"]) == (2, 2, 2)


@pytest.mark.usefixtures("ticket_preferred")
def test_async_ticket_flow(server: SandboxServer) -> None:
    async def run() -> str:
        async with AsyncStep1XEdit(api_key=server.api_key, base_url=server.base_url) as client:
            return await client.upload(SAMPLE.read_bytes(), filename="sample.png")

    url = asyncio.run(run())
    assert httpx.get(url).content == SAMPLE.read_bytes()
    assert server.sandbox.stats["tickets_stored"] == 1


@pytest.mark.usefixtures("ticket_preferred")
def test_ticket_for_a_file_the_api_refuses_is_bad_request(server: SandboxServer) -> None:
    with Step1XEdit(api_key=server.api_key, base_url=server.base_url) as client, pytest.raises(BadRequestError):
        client.upload(b"just text", filename="notes.txt")
    assert server.sandbox.stats["tickets"] == 0
