"""Typed client for WaveSpeedAI's Step1X-Edit image-editing API.

from step1x_edit import Step1XEdit

with Step1XEdit() as client:                      # key from WAVESPEED_API_KEY
    prediction = client.edit("make the sky purple", "photo.jpg", seed=42)
    client.download(prediction, "out/")
"""

from ._client import AsyncStep1XEdit, Step1XEdit
from ._constants import CLIENT_VERSION as __version__
from ._deadline import DEFAULT
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContractViolationError,
    DeadlineExceededError,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    OutputExistsError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PredictionFailedError,
    PredictionInterrupted,
    RateLimitError,
    ServerError,
    Step1XEditError,
    WebhookVerificationError,
)
from ._models import Prediction
from ._polling import PollPolicy
from ._retry import RetryPolicy
from ._spec_data import SPEC_VERSION
from ._webhooks import sign_webhook, verify_webhook

# Batch names are exported lazily: importing them pulls in sqlite3 and the batch engine, which
# `import step1x_edit` must not pay for (ARCHITECTURE: the import stays within 1.1x of httpx).
_LAZY = {
    "BatchResult": "._batch_results",
    "BatchSummary": "._batch_results",
    "InvalidRowsError": "._manifest",
    "JournalError": "._journal",
    "JournalLockedError": "._journal",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT",
    "SPEC_VERSION",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncStep1XEdit",
    "AuthenticationError",
    "BadRequestError",
    "BatchResult",
    "BatchSummary",
    "ContractViolationError",
    "DeadlineExceededError",
    "InternalServerError",
    "InvalidParameterError",
    "InvalidRowsError",
    "JournalError",
    "JournalLockedError",
    "NotFoundError",
    "OutputExistsError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PollPolicy",
    "Prediction",
    "PredictionFailedError",
    "PredictionInterrupted",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "Step1XEdit",
    "Step1XEditError",
    "WebhookVerificationError",
    "__version__",
    "sign_webhook",
    "verify_webhook",
]
