"""The generated client parses the vendor's documented example bodies, quirks included.

Covers, through ``step1x_edit_api`` alone (it must be usable without the hand-written layer):
* real-looking submit and result bodies round-trip (from_dict -> to_dict -> from_dict);
* 2-, 3- and 9-digit fractional ``created_at``;
* unknown statuses stay visible as plain strings; documented ones become the enum;
* unknown fields are kept, at the top level and nested;
* error envelopes with ``data: null``, the bare ``{"error": ...}`` 400 body, an HTTP-200 error
  envelope, the sync-mode 5004 body, upload bodies and the webhook delivery body;
* the generated operations send the documented defaults, URL-encode ``webhook`` and pick the
  right model per status.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

from step1x_edit_api import AuthenticatedClient
from step1x_edit_api.api.edit import submit_edit
from step1x_edit_api.api.predictions import get_result
from step1x_edit_api.models import (
    BareError,
    EditRequest,
    ErrorEnvelope,
    KnownPredictionStatus,
    Prediction,
    PredictionEnvelope,
    UploadEnvelope,
)

# Verbatim from the research notes (sources named there).
SUBMIT_REAL = {
    "code": 200,
    "message": "success",
    "data": {
        "id": "6488c2754f6f4dfea924382fa14d11bd",
        "model": "alibaba/wan-2.5/text-to-image",
        "outputs": [],
        "urls": {"get": "https://api.wavespeed.ai/api/v3/predictions/6488c2754f6f4dfea924382fa14d11bd/result"},
        "has_nsfw_contents": [],
        "status": "created",
        "created_at": "2025-09-29T23:09:43.027Z",
        "error": "",
        "executionTime": 0,
        "timings": {"inference": 0},
    },
}
HISTORY_COMPLETED = {
    "id": "e6832d4abffb4d79bfbca19783fca133",
    "model": "wavespeed-ai/flux-dev",
    "outputs": [
        "https://d11ewybssaphwx.cloudfront.net/output/d227806a-0cd2-45fb-a45f-bc7131063153-u1_fd033465-1ebd-4227-8d93-c03c56df6390.jpg"
    ],
    "urls": {"get": "https://api.wavespeed.ai/api/v3/predictions/e6832d4abffb4d79bfbca19783fca133/result"},
    "has_nsfw_contents": [False],
    "status": "completed",
    "created_at": "2025-05-19T06:09:15.948268264Z",
    "error": "",
    "executionTime": 25729,
    "timings": {"inference": 25729},
}
FAILED_WITH_TASK_CODE = {
    "id": "abc123",
    "model": "model-name",
    "status": "failed",
    "code": 1402,
    "error": "Failed to download image from the provided URL.",
    "outputs": [],
}
SYNC_TIMEOUT = {
    "code": 200,
    "data": {
        "id": "req-timeout",
        "status": "processing",
        "code": 5004,
        "error": "Sync mode timed out after 90 seconds. The prediction is still processing asynchronously.",
        "urls": {"get": "https://api.wavespeed.ai/api/v3/predictions/req-timeout/result"},
        "outputs": [],
    },
}
WEBHOOK_BODY = (
    '{"id":"45b392b22c3b449fa935bd4dc","model":"wavespeed-ai/flux-dev","outputs":["https://d2p7pge43lyniu.cloudfront.net'
    '/output/18058184-5df8-4d05-9e1b-7ad84c8b963e-u1_9bfd4537-e541-4ad0-a0f6-4812b11a37f1.jpeg"],"urls":{"get":"https://'
    'api.wavespeed.ai/api/v3/predictions/45b392b22c3b449fa935bd4dc2219dfe/result"},"has_nsfw_contents":[false],"status":'
    '"completed","created_at":"2025-09-25T09:12:48.239112031Z","error":"","executionTime":6710,"timings":{"inference":6710}}'
)


def _roundtrip(model: Any, body: dict[str, Any]) -> Any:
    parsed = model.from_dict(body)
    again = model.from_dict(parsed.to_dict())
    assert again.to_dict() == parsed.to_dict()
    return parsed


def test_submit_response_round_trips() -> None:
    envelope = _roundtrip(PredictionEnvelope, SUBMIT_REAL)
    prediction = envelope.data
    assert prediction.id == "6488c2754f6f4dfea924382fa14d11bd"
    assert prediction.status is KnownPredictionStatus.CREATED
    assert prediction.execution_time == 0
    assert prediction.timings.inference == 0
    assert prediction.urls.get.endswith("/6488c2754f6f4dfea924382fa14d11bd/result")
    assert prediction.created_at == dt.datetime(2025, 9, 29, 23, 9, 43, 27000, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("created_at", "microsecond"),
    [
        ("2025-10-31T23:02:36.92Z", 920000),
        ("2025-09-29T23:09:43.027Z", 27000),
        ("2025-05-19T06:09:15.948268264Z", 948268),
    ],
    ids=["2-digits", "3-digits", "9-digits"],
)
def test_created_at_fraction_widths(created_at: str, microsecond: int) -> None:
    prediction = Prediction.from_dict({**HISTORY_COMPLETED, "created_at": created_at})
    assert prediction.created_at.microsecond == microsecond
    assert prediction.created_at.tzinfo is not None


def test_completed_prediction_keeps_outputs_and_flags() -> None:
    prediction = _roundtrip(Prediction, HISTORY_COMPLETED)
    assert prediction.status is KnownPredictionStatus.COMPLETED
    assert prediction.outputs == HISTORY_COMPLETED["outputs"]
    assert prediction.has_nsfw_contents == [False]
    assert prediction.execution_time == 25729


@pytest.mark.parametrize("status", ["cancelled", "timeout", "deleted", "pending", "queued-for-gpu"])
def test_unknown_status_stays_visible(status: str) -> None:
    prediction = _roundtrip(Prediction, {**HISTORY_COMPLETED, "status": status})
    assert prediction.status == status
    assert not isinstance(prediction.status, KnownPredictionStatus)
    assert prediction.to_dict()["status"] == status


def test_unknown_fields_are_kept_at_every_level() -> None:
    body = {**SUBMIT_REAL, "trace": "t-1", "data": {**SUBMIT_REAL["data"], "queue_position": 3}}
    body["data"]["timings"] = {"inference": 10, "queue": 2.5}
    envelope = _roundtrip(PredictionEnvelope, body)
    assert envelope.additional_properties == {"trace": "t-1"}
    assert envelope.data.additional_properties == {"queue_position": 3}
    assert envelope.data.timings.additional_properties == {"queue": 2.5}


def test_failed_prediction_carries_task_code() -> None:
    prediction = _roundtrip(Prediction, FAILED_WITH_TASK_CODE)
    assert prediction.status is KnownPredictionStatus.FAILED
    assert prediction.code == 1402
    assert prediction.error.startswith("Failed to download image")


def test_sync_mode_timeout_body_without_message() -> None:
    envelope = _roundtrip(PredictionEnvelope, SYNC_TIMEOUT)
    assert envelope.data.code == 5004
    assert envelope.data.status is KnownPredictionStatus.PROCESSING


def test_webhook_body_parses_as_bare_prediction() -> None:
    prediction = _roundtrip(Prediction, json.loads(WEBHOOK_BODY))
    assert prediction.id == "45b392b22c3b449fa935bd4dc"
    assert prediction.created_at.microsecond == 239112


@pytest.mark.parametrize(
    "body",
    [
        {"code": 401, "message": "Invalid API key", "data": None},
        {"code": 403, "message": "insufficient role", "error_code": "ROLE_REQUIRED"},
        {"message": "bad request"},
    ],
    ids=["data-null", "error-code", "message-only"],
)
def test_error_envelopes_parse(body: dict[str, Any]) -> None:
    envelope = _roundtrip(ErrorEnvelope, body)
    assert envelope.message == body["message"]
    assert envelope.to_dict() == body


def test_upload_body_parses() -> None:
    body = {
        "code": 200,
        "message": "success",
        "data": {
            "type": "image",
            "download_url": "https://cdn.example/x.png",
            "filename": "image.png",
            "size": 1024000,
        },
    }
    envelope = _roundtrip(UploadEnvelope, body)
    assert envelope.data.download_url == "https://cdn.example/x.png"
    assert envelope.data.size == 1024000


def _client(handler: Any) -> AuthenticatedClient:
    client = AuthenticatedClient(base_url="https://api.wavespeed.ai", token="test-key")
    return client.set_httpx_client(
        httpx.Client(base_url="https://api.wavespeed.ai", transport=httpx.MockTransport(handler))
    )


def test_submit_sends_documented_defaults_and_encodes_webhook() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=SUBMIT_REAL)

    body = EditRequest(prompt="make the sky purple", image="https://example.com/in.png")
    response = submit_edit.sync_detailed(client=_client(handler), body=body, webhook="https://hook.example/a?b=c&d=e")
    assert isinstance(response.parsed, PredictionEnvelope)
    (request,) = seen
    assert request.url.path == "/api/v3/wavespeed-ai/step1x-edit"
    assert request.url.params["webhook"] == "https://hook.example/a?b=c&d=e"
    assert b"webhook=https%3A%2F%2Fhook.example%2Fa%3Fb%3Dc%26d%3De" in request.url.query
    assert json.loads(request.content) == {
        "prompt": "make the sky purple",
        "image": "https://example.com/in.png",
        "guidance_scale": 4,
        "num_inference_steps": 30,
        "enable_sync_mode": False,
        "enable_base64_output": False,
    }


@pytest.mark.parametrize(
    ("status", "body", "model"),
    [
        (200, {"code": 500, "message": "Upload failed: invalid file type"}, ErrorEnvelope),
        (200, {"code": 200, "message": "success", "data": HISTORY_COMPLETED}, PredictionEnvelope),
        (400, {"error": "webhook callback does not support base64 output"}, BareError),
        (400, {"code": 400, "message": "guidance_scale out of range", "data": None}, ErrorEnvelope),
        (404, {"code": 404, "message": "prediction not found", "data": None}, ErrorEnvelope),
    ],
    ids=["200-error-envelope", "200-completed", "400-bare", "400-envelope", "404"],
)
def test_get_result_picks_model_per_status(status: int, body: dict[str, Any], model: type) -> None:
    response = get_result.sync_detailed(
        "e6832d4abffb4d79bfbca19783fca133", client=_client(lambda _request: httpx.Response(status, json=body))
    )
    assert isinstance(response.parsed, model)
