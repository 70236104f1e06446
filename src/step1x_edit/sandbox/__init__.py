"""A local stand-in for WaveSpeedAI's Step1X-Edit API, built from ``openapi/step1x-edit.yaml``.

Install with ``pip install -e '.[sandbox]'`` in a clone (README, Install). It implements every path of the spec with
the real API's behaviour (bearer auth, validation, the created → processing → completed
lifecycle, uploads, sync mode with the 5004 timeout, base64 outputs, signed webhooks to loopback
hosts, rate limiting) plus scripted faults for tests.

It is NOT the model: outputs are a deterministic Pillow transform of the input image (posterize,
tint, maybe invert/mirror, chosen from a hash of seed and prompt). It never downloads anything:
an input URL that is not one of its own uploads becomes a placeholder picture drawn from a hash
of the URL (or a failed task with code 1402 when ``SandboxConfig.strict_images`` is set).

    from step1x_edit.sandbox import SandboxConfig, Fault, serve

    with serve(SandboxConfig(processing_seconds=0.1)) as server:
        server.base_url, server.api_key
        server.sandbox.add_fault(Fault(route="submit", status=503))
        server.sandbox.stats["submit"]

``SandboxConfig(drift="outputs-renamed")`` (CLI: ``step1x-edit sandbox --drift NAME``) serves a
changed API instead, one of the catalogue in ``DRIFTS``, to exercise the live drift check.
"""

from step1x_edit._webhooks import sign_webhook

from ._app import (
    PUT_PATH,
    RESULT_PATH,
    SUBMIT_PATH,
    UPLOAD_PATH,
    UPLOAD_TICKET_PATH,
    Sandbox,
    SandboxRequest,
    WebhookDelivery,
    create_app,
)
from ._config import ACTIONS, INVALID_RESPONSE_ACTIONS, ROUTES, Fault, FaultAction, FaultRoute, Outcome, SandboxConfig
from ._drift import CATALOGUE, DRIFTS, Drift, get_drift
from ._faults import REGISTRY as FAULT_ACTIONS
from ._faults import fault_table
from ._server import SandboxServer, serve

__all__ = [
    "ACTIONS",
    "CATALOGUE",
    "DRIFTS",
    "FAULT_ACTIONS",
    "INVALID_RESPONSE_ACTIONS",
    "PUT_PATH",
    "RESULT_PATH",
    "ROUTES",
    "SUBMIT_PATH",
    "UPLOAD_PATH",
    "UPLOAD_TICKET_PATH",
    "Drift",
    "Fault",
    "FaultAction",
    "FaultRoute",
    "Outcome",
    "Sandbox",
    "SandboxConfig",
    "SandboxRequest",
    "SandboxServer",
    "WebhookDelivery",
    "create_app",
    "fault_table",
    "get_drift",
    "serve",
    "sign_webhook",
]
