"""Verify WaveSpeed webhook deliveries (the scheme is described in the spec's ``webhooks``).

Signed content is ``{webhook-id}.{webhook-timestamp}.{raw body}``; the key is the secret
without its ``whsec_`` prefix, used as UTF-8 text (not base64-decoded); the signature header
is ``v3,<lowercase hex HMAC-SHA256>``. Similar to Standard Webhooks, but not compatible.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import time
from collections.abc import Mapping
from typing import Any

from ._constants import ENV_WEBHOOK_SECRET
from ._exceptions import WebhookVerificationError
from ._models import Prediction
from ._spec_data import WEBHOOK_SIGNATURE

__all__ = ["sign_webhook", "verify_webhook"]

_PREFIX: str = WEBHOOK_SIGNATURE["signature-prefix"]
_SECRET_PREFIX: str = WEBHOOK_SIGNATURE["secret-prefix"]
# The spec's signed content, e.g. "{webhook-id}.{webhook-timestamp}.{body}", split around the raw body.
_SIGNED_HEAD, _, _tail = str(WEBHOOK_SIGNATURE["signed-content"]).partition("{body}")
_SIGNED_TAIL = _tail.encode("utf-8")
DEFAULT_TOLERANCE: float = float(WEBHOOK_SIGNATURE["timestamp-tolerance-seconds"])


def _key(secret: str) -> bytes:
    return secret.removeprefix(_SECRET_PREFIX).encode("utf-8")


def sign_webhook(webhook_id: str, timestamp: int | str, body: bytes | str, secret: str) -> str:
    """The ``webhook-signature`` header value WaveSpeed would send for this delivery."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    head = _SIGNED_HEAD.format(**{"webhook-id": webhook_id, "webhook-timestamp": timestamp})
    content = head.encode("utf-8") + raw + _SIGNED_TAIL
    return _PREFIX + hmac.new(_key(secret), content, hashlib.sha256).hexdigest()


_MAX_HEADER = 4096
_MAX_TIMESTAMP_DIGITS = 12  # unix seconds: 10 digits until the year 2286


def _header(headers: Mapping[str, str], name: str) -> str:
    """The header's value as plain ASCII text, whatever shape ``headers`` has."""
    try:
        items: list[tuple[object, object]] = list(headers.items())
    except Exception:  # any odd "mapping" is a malformed delivery, nothing more
        raise WebhookVerificationError("headers must be a mapping of header names to values") from None
    for key, value in items:
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if isinstance(key, str) and key.lower() == name:
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            if not isinstance(value, str):
                raise WebhookVerificationError(f"{name} header is not text")
            if not value.isascii() or len(value) > _MAX_HEADER or not value.isprintable():
                raise WebhookVerificationError(f"{name} header is not printable ASCII of at most {_MAX_HEADER} chars")
            return value
    raise WebhookVerificationError(f"missing {name} header")


_RAW_BODY = "the raw request body (bytes or str) exactly as received: a parsed body cannot be verified"


def _is_raw(value: object) -> bool:
    return isinstance(value, bytes | bytearray | memoryview | str)


def _has_signature(value: object) -> bool:
    try:
        keys = list(value.keys()) if isinstance(value, Mapping) else []
    except Exception:  # an odd mapping: not the headers we look for
        return False
    return any(isinstance(key, str) and key.lower() == "webhook-signature" for key in keys)


def _arguments(headers: object, body: object, secret: str | None) -> tuple[Mapping[str, str], bytes, str]:
    """Accept openai's ``(payload, headers)`` order too; refuse a parsed body; default the secret.

    Returns the headers, the body as the exact bytes received, and the secret."""
    if _is_raw(headers) and not _is_raw(body):
        headers, body = body, headers  # openai's unwrap(payload, headers) order
    elif _has_signature(body) and not _has_signature(headers):
        headers, body = body, headers  # (parsed body, headers): refused below, with the right message
    if not isinstance(headers, Mapping) and not hasattr(headers, "items"):
        raise WebhookVerificationError("headers must be the request's headers as a mapping (name -> value)")
    if not isinstance(body, bytes | bytearray | memoryview | str):  # what _is_raw accepts
        raise WebhookVerificationError(f"body must be {_RAW_BODY}")
    raw = _raw(body)
    if secret is None:
        secret = os.environ.get(ENV_WEBHOOK_SECRET)
        if not secret:
            raise WebhookVerificationError(f"no webhook secret: pass secret= or set {ENV_WEBHOOK_SECRET}")
    return headers, raw, secret  # type: ignore[return-value]


def _raw(body: bytes | bytearray | memoryview | str) -> bytes:
    if not isinstance(body, str):
        return bytes(body)
    try:
        return body.encode("utf-8")
    except UnicodeEncodeError:
        raise WebhookVerificationError("body is not valid text (lone surrogate)") from None


def _check_secret(secret: str) -> None:
    if not isinstance(secret, str) or not secret:
        raise WebhookVerificationError("the webhook secret must be a non-empty string (whsec_...)")
    try:
        secret.encode("utf-8")
    except UnicodeEncodeError:
        raise WebhookVerificationError("the webhook secret is not valid text") from None


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
    recommends 300). Raises WebhookVerificationError naming what failed, for any malformed input
    whatsoever (a parsed body and headers that are not a mapping included).
    """
    headers, raw, secret = _arguments(headers, body, secret)
    _check_secret(secret)
    if tolerance is not None and (
        isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not tolerance >= 0
    ):
        raise WebhookVerificationError("tolerance must be a non-negative number of seconds, or None")
    if now is not None and (isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now)):
        raise WebhookVerificationError("now must be unix seconds, or None")
    webhook_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp").strip()
    signature = _header(headers, "webhook-signature").strip()
    if not webhook_id:
        raise WebhookVerificationError("empty webhook-id header")
    # ASCII digits only: str.isdigit() also accepts superscripts, which int() refuses.
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        raise WebhookVerificationError(f"webhook-timestamp {timestamp[:40]!r} is not unix seconds")
    if tolerance is not None:
        age = (time.time() if now is None else now) - int(timestamp)
        if abs(age) > tolerance:
            raise WebhookVerificationError(f"webhook-timestamp is {age:.0f} s from now (tolerance {tolerance:.0f} s)")
    if not signature.startswith(_PREFIX):
        raise WebhookVerificationError(f"webhook-signature does not start with {_PREFIX!r}")
    expected = sign_webhook(webhook_id, timestamp, raw, secret).encode("ascii")
    # Several space-separated signatures may be sent during secret rotation (all ASCII: checked above).
    if not any(hmac.compare_digest(expected, candidate.encode("ascii")) for candidate in signature.split()):
        raise WebhookVerificationError("webhook-signature does not match the body and secret")
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise WebhookVerificationError(f"verified body is not JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise WebhookVerificationError("verified body is not a JSON object")
    from . import _api
    from ._exceptions import ContractViolationError

    try:
        return _api.parse_prediction(data)
    except ContractViolationError as exc:
        raise WebhookVerificationError(f"verified body is not a prediction: {exc.message}") from None
