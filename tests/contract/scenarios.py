"""The documented scenarios of the contract: how each is recorded, and what each must replay as.

Each scenario is recorded through the *generated* client (raw API traffic, no validation of
ours in the way) against the sandbox with the faults it needs, or against the live API. Replay
then drives the same cassette through the generated client and through ``step1x_edit``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from step1x_edit_api import Client
from step1x_edit_api.api.edit import submit_edit
from step1x_edit_api.api.media import upload_binary
from step1x_edit_api.api.predictions import get_result
from step1x_edit_api.models import EditRequest, UploadRequest
from step1x_edit_api.types import File

# Every cassette is stored as if recorded against the real host, whatever served it.
RECORDED_BASE = "https://api.wavespeed.ai"
KEY_PLACEHOLDER = "<WAVESPEED_API_KEY>"
IMAGE = "https://example.com/photo.png"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\xa9\xd8\xa7\x1a\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _submit(client: Client, **fields: Any) -> str:
    webhook = fields.pop("webhook", None)
    body = EditRequest(prompt=fields.pop("prompt", "make the sky purple"), image=IMAGE, **fields)
    response = submit_edit.sync_detailed(client=client, body=body, **({"webhook": webhook} if webhook else {}))
    data = getattr(response.parsed, "data", None)
    return str(getattr(data, "id", ""))


def _poll(client: Client, prediction_id: str, until: str, limit: float = 5.0) -> None:
    """Poll until ``until``, recording every distinct status once."""
    end, last = time.monotonic() + limit, None
    while time.monotonic() < end:
        response = get_result.sync_detailed(prediction_id, client=client)
        status = str(getattr(getattr(response.parsed, "data", None), "status", ""))
        if status == until:
            return
        last = status
        time.sleep(0.12)
    raise RuntimeError(f"{prediction_id} still {last} after {limit}s")


def _upload(client: Client, content: bytes = PNG) -> None:
    file = File(payload=io.BytesIO(content), file_name="photo.png", mime_type="image/png")
    upload_binary.sync_detailed(client=client, body=UploadRequest(file=file))


@dataclass(frozen=True)
class Scenario:
    name: str
    record: Callable[[Client], None]
    """Makes the requests, with the generated client, against whatever server is recorded."""
    replay: str
    """Which step1x_edit call replays it: submit, edit, edit_sync, edit_base64, webhook, get, wait, upload."""
    expect: str | type[Exception]
    """The final status step1x_edit returns, or the exception class it raises."""
    config: dict[str, Any] = field(default_factory=dict)
    faults: tuple[str, ...] = ()
    bad_key: bool = False
    live: bool = False
    """Safe and cheap enough to re-record against the real API (no faults needed)."""


def _lifecycle(client: Client) -> None:
    pid = _submit(client, seed=42)
    _poll(client, pid, "processing")
    _poll(client, pid, "completed")


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
        return lambda client: _poll(client, _submit(client, **fields), status)

    def get_unknown(client: Client) -> None:
        get_result.sync_detailed("0" * 32, client=client)

    quick = {"created_seconds": 0.0, "processing_seconds": 0.2}
    return [
        Scenario("submit_accepted", submit_only(), "submit", "created", live=True),
        Scenario(
            "result_lifecycle",
            _lifecycle,
            "edit",
            "completed",
            {"created_seconds": 0.15, "processing_seconds": 0.3},
            live=True,
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
        Scenario("upload", _upload, "upload", "uploaded", live=True),
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
