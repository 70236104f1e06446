"""Verify WaveSpeed webhook deliveries (the scheme is described in the spec's ``webhooks``).

Signed content is ``{webhook-id}.{webhook-timestamp}.{raw body}``; the key is the secret
without its ``whsec_`` prefix, used as UTF-8 text (not base64-decoded); the signature header
is ``v3,<lowercase hex HMAC-SHA256>``. Similar to Standard Webhooks, but not compatible.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Mapping
from typing import Any

from ._constants import ENV_WEBHOOK_SECRET
from ._exceptions import InvalidParameterError, WebhookVerificationError
from ._models import Prediction
from ._spec_data import WEBHOOK_SIGNATURE

__all__ = ["sign_webhook", "verify_webhook"]

_PREFIX: str = WEBHOOK_SIGNATURE["signature-prefix"]
_SECRET_PREFIX: str = WEBHOOK_SIGNATURE["secret-prefix"]
DEFAULT_TOLERANCE: float = float(WEBHOOK_SIGNATURE["timestamp-tolerance-seconds"])


def _key(secret: str) -> bytes:
    return secret.removeprefix(_SECRET_PREFIX).encode("utf-8")


def sign_webhook(webhook_id: str, timestamp: int | str, body: bytes | str, secret: str) -> str:
    """The ``webhook-signature`` header value WaveSpeed would send for this delivery."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    content = f"{webhook_id}.{timestamp}.".encode() + raw
    return _PREFIX + hmac.new(_key(secret), content, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"missing {name} header")


_RAW_BODY = "the raw request body (bytes or str) exactly as received: a parsed body cannot be verified"


def _is_raw(value: object) -> bool:
    return isinstance(value, bytes | bytearray | memoryview | str)


def _has_signature(value: object) -> bool:
    keys = value.keys() if isinstance(value, Mapping) else ()
    return any(isinstance(key, str) and key.lower() == "webhook-signature" for key in keys)


def _arguments(headers: object, body: object, secret: str | None) -> tuple[Mapping[str, str], bytes | str, str]:
    """Accept openai's ``(payload, headers)`` order too; refuse a parsed body; default the secret."""
    if _is_raw(headers) and not _is_raw(body):
        headers, body = body, headers  # openai's unwrap(payload, headers) order
    elif _has_signature(body) and not _has_signature(headers):
        headers, body = body, headers  # (parsed body, headers): refused below, with the right message
    if not isinstance(headers, Mapping) and not hasattr(headers, "items"):
        raise InvalidParameterError("headers", headers, "the request's headers as a mapping (name -> value)")
    if not _is_raw(body):
        raise InvalidParameterError("body", body, _RAW_BODY)
    raw = bytes(body) if isinstance(body, bytearray | memoryview) else body
    assert isinstance(raw, bytes | str)
    if secret is None:
        secret = os.environ.get(ENV_WEBHOOK_SECRET)
        if not secret:
            raise WebhookVerificationError(f"no webhook secret: pass secret= or set {ENV_WEBHOOK_SECRET}")
    return headers, raw, secret  # type: ignore[return-value]


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str | None = None,
    *,
    tolerance: float | None = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Prediction:
    """Check a delivery's signature and age; return the prediction it carries.

    ``body`` must be the raw request body, byte for byte; openai's ``(payload, headers)`` order
    is accepted too. ``secret`` defaults to ``WAVESPEED_WEBHOOK_SECRET``. ``tolerance`` is how
    many seconds the timestamp may differ from now (None disables the check; the vendor
    recommends 300). Raises WebhookVerificationError naming what failed, InvalidParameterError
    for a parsed body or headers that are not a mapping.
    """
    headers, body, secret = _arguments(headers, body, secret)
    if not secret:
        raise WebhookVerificationError("empty webhook secret")
    webhook_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp").strip()
    signature = _header(headers, "webhook-signature").strip()
    if not timestamp.isdigit():
        raise WebhookVerificationError(f"webhook-timestamp {timestamp!r} is not unix seconds")
    if tolerance is not None:
        age = (time.time() if now is None else now) - int(timestamp)
        if abs(age) > tolerance:
            raise WebhookVerificationError(f"webhook-timestamp is {age:.0f} s from now (tolerance {tolerance:.0f} s)")
    if not signature.startswith(_PREFIX):
        raise WebhookVerificationError(f"webhook-signature does not start with {_PREFIX!r}")
    expected = sign_webhook(webhook_id, timestamp, body, secret)
    # Several space-separated signatures may be sent during secret rotation.
    if not any(hmac.compare_digest(expected, candidate) for candidate in signature.split()):
        raise WebhookVerificationError("webhook-signature does not match the body and secret")
    try:
        data: Any = json.loads(body)
    except ValueError as exc:
        raise WebhookVerificationError(f"verified body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WebhookVerificationError("verified body is not a JSON object")
    from . import _api

    return _api.parse_prediction(data)
