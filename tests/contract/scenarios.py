"""The documented scenarios of the contract: how each is recorded, and what each must replay as.

Each scenario is recorded through the *generated* client (raw API traffic, no validation of
ours in the way) against the sandbox with the faults it needs, or against the live API. Replay
then drives the same cassette through the generated client and through ``step1x_edit``.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from step1x_edit._spec_data import TERMINAL_STATUSES
from step1x_edit_api import Client
from step1x_edit_api.api.edit import submit_edit
from step1x_edit_api.api.media import create_upload_ticket, upload_binary
from step1x_edit_api.api.predictions import get_result
from step1x_edit_api.models import EditRequest, UploadRequest, UploadTicketRequest
from step1x_edit_api.types import File

# Every cassette is stored as if recorded against the real host, whatever served it.
RECORDED_BASE = "https://api.wavespeed.ai"
KEY_PLACEHOLDER = "<WAVESPEED_API_KEY>"
# Every query value of a ticket's presigned upload URL (signature, credential, expiry) becomes this.
PRESIGNED_REDACTED = "REDACTED"
UPLOAD_TICKET_PATH = "/api/v3/media/uploads"
IMAGE = "https://example.com/photo.png"
# A real picture in the repository: live runs upload it first and edit its download_url.
SAMPLE_IMAGE = Path(__file__).resolve().parents[2] / "src" / "step1x_edit" / "sandbox" / "assets" / "sample.png"


@dataclass
class Recording:
    """How the scenarios talk to the server being recorded (the recorder sets it per run).

    ``poll_interval``: seconds between result polls. The vendor asks for at least 2 s on image
    tasks, so live runs default to 2.0; sandbox recordings and replays use a short one.
    ``poll_limit``: give up polling after this many seconds (the last state is recorded).
    ``image``: the ``image`` every submit sends (live runs: the uploaded sample's URL).
    """

    poll_interval: float = 0.05
    poll_limit: float = 10.0
    image: str = IMAGE
    upload: bytes | None = None


RECORDING = Recording()
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\xa9\xd8\xa7\x1a\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _data(response: httpx.Response) -> dict[str, Any]:
    """The ``data`` object of a raw response ({} when there is none): drifted bodies must not stop a recording."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else {}


def _submit(client: Client, **fields: Any) -> str:
    """Submit with the generated client's request building; the raw response is read, not parsed."""
    webhook = fields.pop("webhook", None)
    body = EditRequest(prompt=fields.pop("prompt", "make the sky purple"), image=RECORDING.image, **fields)
    kwargs = submit_edit._get_kwargs(body=body, **({"webhook": webhook} if webhook else {}))
    response = client.get_httpx_client().request(**kwargs)
    prediction_id = _data(response).get("id")
    return "" if prediction_id is None else str(prediction_id)


def _finished(data: dict[str, Any]) -> bool:
    status = data.get("status")
    if status in TERMINAL_STATUSES:
        return True
    # an unknown word on a prediction that has outputs or an error: the end, renamed
    return (
        status is not None
        and status not in ("created", "processing")
        and bool(data.get("outputs") or data.get("error"))
    )


def _poll(client: Client, prediction_id: str, until: str | None = None) -> None:
    """Poll every ``RECORDING.poll_interval`` s until ``until`` (default: the end) or the poll limit."""
    if not prediction_id:
        return
    end = time.monotonic() + RECORDING.poll_limit
    while True:
        response = client.get_httpx_client().request(**get_result._get_kwargs(prediction_id))
        data = _data(response)
        if response.status_code != 200 or not data:
            return
        if data.get("status") == until or (until is None and _finished(data)):
            return
        if time.monotonic() + RECORDING.poll_interval > end:
            return  # the report names the state it stopped in
        time.sleep(RECORDING.poll_interval)


def _upload(client: Client, content: bytes = PNG) -> None:
    if RECORDING.upload is not None:  # live: the real sample picture, whose URL the edits then use
        file = File(payload=io.BytesIO(RECORDING.upload), file_name="sample.png", mime_type="image/png")
        response = client.get_httpx_client().request(**upload_binary._get_kwargs(body=UploadRequest(file=file)))
        url = _data(response).get("download_url")
        if isinstance(url, str):
            RECORDING.image = url
        return
    file = File(payload=io.BytesIO(content), file_name="photo.png", mime_type="image/png")
    client.get_httpx_client().request(**upload_binary._get_kwargs(body=UploadRequest(file=file)))


def _upload_ticket(client: Client) -> None:
    """createUploadTicket, then the bytes PUT to the ticket's URL with exactly its headers and no key.

    This is what the vendor's SDKs do (the spec's ``createUploadTicket``): the PUT goes to a
    presigned URL (a storage host on the real API, ``/_sandbox/uploads/...`` on the sandbox) and
    must never carry the API key, so the Authorization header the recording client sets on every
    request is taken off this one.
    """
    content = PNG if RECORDING.upload is None else RECORDING.upload
    name = "photo.png" if RECORDING.upload is None else "sample.png"
    body = UploadTicketRequest(filename=name, size=len(content), content_type="image/png")
    http = client.get_httpx_client()
    ticket = http.request(**create_upload_ticket._get_kwargs(body=body))
    upload = _data(ticket).get("upload")
    if not isinstance(upload, dict) or not isinstance(upload.get("url"), str):
        return  # a drifted ticket: the report names what is missing
    headers = upload.get("headers")
    method = upload.get("method")
    put = http.build_request(
        method if isinstance(method, str) else "PUT",
        upload["url"],
        content=content,
        headers=headers if isinstance(headers, dict) else {},
    )
    for header in [h for h in put.headers if h.lower() == "authorization"]:
        del put.headers[header]
    http.send(put)


@dataclass(frozen=True)
class Scenario:
    name: str
    record: Callable[[Client], None]
    """Makes the requests, with the generated client, against whatever server is recorded."""
    replay: str
    """Which step1x_edit call replays it: submit, edit, edit_sync, edit_base64, webhook, get, wait, upload,
    upload_ticket (``upload`` with the spec's preference moved to ``createUploadTicket``)."""
    expect: str | type[Exception]
    """The final status step1x_edit returns, or the exception class it raises."""
    config: dict[str, Any] = field(default_factory=dict)
    faults: tuple[str, ...] = ()
    bad_key: bool = False
    live: bool = False
    """Safe and cheap enough to re-record against the real API (no faults needed)."""
    billed: int = 0
    """Predictions the real API bills when this scenario is recorded live."""


def _lifecycle(client: Client) -> None:
    # guidance_scale 20: the documented maximum, so a server that narrowed the range says so
    _poll(client, _submit(client, seed=42, guidance_scale=20))


def _scenarios() -> list[Scenario]:
    from step1x_edit import (
        AuthenticationError,
        BadRequestError,
        NotFoundError,
        PayloadTooLargeError,
        PermissionDeniedError,
        PredictionFailedError,
        RateLimitError,
        ServerError,
    )

    def submit_only(**fields: Any) -> Callable[[Client], None]:
        def run(client: Client) -> None:
            _submit(client, **fields)

        return run

    def submit_then(status: str, **fields: Any) -> Callable[[Client], None]:
        return lambda client: _poll(client, _submit(client, **fields), None if status in TERMINAL_STATUSES else status)

    def get_unknown(client: Client) -> None:
        get_result.sync_detailed("0" * 32, client=client)

    quick = {"created_seconds": 0.0, "processing_seconds": 0.2}
    return [
        Scenario("upload", _upload, "upload", "uploaded", live=True),
        Scenario("upload_ticket", _upload_ticket, "upload_ticket", "uploaded", live=True),
        Scenario("submit_accepted", submit_only(), "submit", "created", live=True, billed=1),
        Scenario(
            "result_lifecycle",
            _lifecycle,
            "edit",
            "completed",
            {"created_seconds": 0.15, "processing_seconds": 0.3},
            live=True,
            billed=1,
        ),
        Scenario(
            "result_failed",
            submit_then("failed", prompt="blur it [sandbox:fail=1402]"),
            "edit",
            PredictionFailedError,
            quick,
        ),
        Scenario(
            "sync_completed",
            submit_only(enable_sync_mode=True),
            "edit_sync",
            "completed",
            quick,
        ),
        Scenario(
            "sync_timeout_5004",
            submit_then("completed", enable_sync_mode=True),
            "edit_sync",
            "completed",
            {"created_seconds": 0.0, "processing_seconds": 0.4, "sync_timeout_seconds": 0.05},
        ),
        Scenario(
            "base64_output", submit_then("completed", enable_base64_output=True), "edit_base64", "completed", quick
        ),
        Scenario(
            "webhook_submit",
            submit_only(webhook="https://hooks.example.com/step1x?k=a&b=c"),
            "webhook",
            "processing",
            quick,
        ),
        Scenario(
            "error_400_invalid",
            submit_only(num_inference_steps=51),
            "submit",
            BadRequestError,
        ),
        Scenario(
            "error_400_webhook_base64",
            submit_only(webhook="https://hooks.example.com/x", enable_base64_output=True),
            "submit",
            BadRequestError,
        ),
        Scenario("error_401", submit_only(), "submit", AuthenticationError, bad_key=True, live=True),
        Scenario("error_403", submit_only(), "submit", PermissionDeniedError, faults=("submit:403",)),
        Scenario("error_404", get_unknown, "get", NotFoundError, live=True),
        Scenario("error_413", _upload, "upload", PayloadTooLargeError, {"max_upload_bytes": 16}),
        Scenario(
            "error_429",
            submit_only(),
            "submit",
            RateLimitError,
            faults=("submit:429:retry_after=3",),
        ),
        *[
            Scenario(
                f"error_{status}",
                submit_only(),
                "submit",
                ServerError,
                faults=(f"submit:{status}",),
            )
            for status in (500, 502, 503)
        ],
        Scenario(
            "error_envelope_200",
            submit_only(),
            "submit",
            ServerError,
            faults=("submit:error_envelope:status=500",),
        ),
        Scenario(
            "unknown_status",
            submit_then("queued"),
            "get",
            "queued",
            quick,
            faults=("result:unknown_status:times=forever",),
        ),
        Scenario("extra_fields", submit_then("completed"), "wait", "completed", quick),
    ]


SCENARIOS = _scenarios()
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
# Added to the recorded body of extra_fields (provenance says so): unknown fields must survive.
EXTRA_FIELDS = {"envelope": {"trace_id": "t-123"}, "data": {"queue_position": 3, "gpu": "h100"}}
