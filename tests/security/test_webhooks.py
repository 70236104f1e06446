"""Issue 13 item 7: every malformed webhook input is a WebhookVerificationError.

Reproductions: a non-numeric timestamp (e.g. superscript digits, which ``str.isdigit`` accepts
and ``int`` refuses), a signature that is not ASCII/hex, header values of the wrong type, a
body or secret of the wrong type raised TypeError / ValueError / AttributeError, so the CLI
exited 1 instead of 9.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from unit.conftest import prediction

from step1x_edit import WebhookVerificationError, sign_webhook, verify_webhook

SECRET = "whsec_test-secret"
BODY = json.dumps(prediction("completed"))


def _good(ts: int | None = None) -> dict[str, Any]:
    ts = int(time.time()) if ts is None else ts
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(ts),
        "webhook-signature": sign_webhook("msg_1", ts, BODY, SECRET),
    }


def test_the_good_delivery_verifies() -> None:
    assert verify_webhook(_good(), BODY, SECRET).status == "completed"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("webhook-timestamp", "\u00b2\u00b3"),  # superscript digits: isdigit() but not int()
        ("webhook-timestamp", "\u0661\u0662"),  # Arabic-Indic digits
        ("webhook-timestamp", "9" * 5000),  # more digits than int() accepts
        ("webhook-timestamp", "9" * 400),  # too large for a float
        ("webhook-timestamp", "-5"),
        ("webhook-timestamp", "1e9"),
        ("webhook-timestamp", ""),
        ("webhook-timestamp", None),
        ("webhook-timestamp", 1700000000),
        ("webhook-timestamp", b"1700000000"),
        ("webhook-signature", "v3,\u00e9\u00e9"),  # not ASCII: compare_digest raised TypeError
        ("webhook-signature", "v3,!!not-hex!!"),
        ("webhook-signature", "v3,"),
        ("webhook-signature", None),
        ("webhook-signature", ["v3,abc"]),
        ("webhook-signature", 5),
        ("webhook-id", None),
        ("webhook-id", 7),
        ("webhook-id", "\ud800"),
        ("webhook-id", ""),
    ],
)
def test_malformed_header_is_a_verification_error(header: str, value: Any) -> None:
    headers = _good()
    headers[header] = value
    with pytest.raises(WebhookVerificationError):
        verify_webhook(headers, BODY, SECRET)


@pytest.mark.parametrize(
    ("headers", "body", "secret", "kwargs"),
    [
        (None, BODY, SECRET, {}),
        ("webhook-id: x", BODY, SECRET, {}),
        ([("webhook-id", "x")], BODY, SECRET, {}),
        ({1: "x"}, BODY, SECRET, {}),
        (_good(), None, SECRET, {}),
        (_good(), 42, SECRET, {}),
        (_good(), "\ud800", SECRET, {}),
        (_good(), BODY, None, {}),
        (_good(), BODY, 5, {}),
        (_good(), BODY, b"whsec_x", {}),
        (_good(), BODY, "\ud800", {}),
        (_good(), BODY, SECRET, {"tolerance": "300"}),
        (_good(), BODY, SECRET, {"tolerance": float("nan")}),
        (_good(), BODY, SECRET, {"now": "now"}),
    ],
)
def test_malformed_arguments_are_a_verification_error(headers: Any, body: Any, secret: Any, kwargs: Any) -> None:
    with pytest.raises(WebhookVerificationError):
        verify_webhook(headers, body, secret, **kwargs)


@pytest.mark.parametrize(
    "body",
    [
        '{"id": 5, "status": "completed"}',
        '{"id": "x", "status": "completed", "outputs": "https://a"}',
        "[" * 50_000 + "]" * 50_000,
        "\xff\xfe",
        '{"id": "x"}',
    ],
)
def test_signed_but_malformed_body_is_a_verification_error(body: str) -> None:
    ts = int(time.time())
    headers = {
        "webhook-id": "m",
        "webhook-timestamp": str(ts),
        "webhook-signature": sign_webhook("m", ts, body, SECRET),
    }
    with pytest.raises(WebhookVerificationError):
        verify_webhook(headers, body, SECRET)
