"""Every error step1x_edit raises, in one tree.

```
Step1XEditError
├── InvalidParameterError (also ValueError)   bad input; nothing was sent
├── WebhookVerificationError (also ValueError) a webhook delivery failed verification
├── APIError                                   the API call went wrong
│   ├── APIStatusError                         an HTTP or envelope error status
│   │   ├── BadRequestError                    400
│   │   ├── AuthenticationError                401
│   │   │   └── PermissionDeniedError          403
│   │   ├── NotFoundError                      404
│   │   ├── PayloadTooLargeError               413
│   │   ├── RateLimitError                     429
│   │   └── ServerError                        5xx (alias InternalServerError, openai's name)
│   ├── APIConnectionError                     could not talk to the server
│   │   └── APITimeoutError                    one request timed out
│   └── ContractViolationError                 the response broke the spec
├── PredictionFailedError                      the prediction ended failed / cancelled / timeout
├── OutputExistsError (also FileExistsError)   download() would overwrite an existing file
└── DeadlineExceededError (also TimeoutError)  the overall timeout passed

PredictionInterrupted (a KeyboardInterrupt, not an Exception)  Ctrl-C while waiting
```

Whenever a prediction id is known it is on the error (``prediction_id``), so a paid
prediction is never lost: ``client.wait(error.prediction_id)`` resumes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._models import Prediction

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ContractViolationError",
    "DeadlineExceededError",
    "InternalServerError",
    "InvalidParameterError",
    "NotFoundError",
    "OutputExistsError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PredictionFailedError",
    "PredictionInterrupted",
    "RateLimitError",
    "ServerError",
    "Step1XEditError",
    "WebhookVerificationError",
]


class Step1XEditError(Exception):
    """Base class of every error raised by step1x_edit."""


class InvalidParameterError(Step1XEditError, ValueError):
    """Raised before any request when an argument is not allowed; nothing was sent."""

    def __init__(
        self, field: str, value: Any, allowed: str, *, show_value: bool = True, message: str | None = None
    ) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        shown = _short_repr(value) if show_value else "<hidden>"
        super().__init__(message or f"{field}={shown} is not allowed: {allowed}")


class WebhookVerificationError(Step1XEditError, ValueError):
    """Raised by verify_webhook when a delivery is unsigned, forged, or too old."""


class APIError(Step1XEditError):
    """Raised when a call to the API went wrong."""

    status_code: int | None
    """HTTP status, when a response arrived."""
    code: int | None
    """The envelope's ``code`` (usually mirrors the HTTP status; may differ on HTTP 200 errors)."""
    error_code: str | None
    """The machine-readable ``error_code`` from the body, when the server gives one."""
    request_id: str | None
    """The ``x-request-id`` response header, when present; quote it to WaveSpeed support."""
    prediction_id: str | None
    """The prediction this call was about, when known: ``client.wait(prediction_id)`` resumes it."""
    body: str | None
    """The raw response body as text (JSON, HTML, or truncated bytes decoded leniently)."""
    task_may_exist: bool
    """True when a submit failed after it may have reached the server: a (billed) task may exist."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        prediction_id: str | None = None,
        body: str | None = None,
        task_may_exist: bool = False,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.code = code
        self.error_code = error_code
        self.request_id = request_id
        self.prediction_id = prediction_id
        self.body = body
        self.task_may_exist = task_may_exist
        super().__init__(message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.prediction_id and self.prediction_id not in self.message:
            parts.append(f"(prediction {self.prediction_id})")
        if self.request_id:
            parts.append(f"[request id {self.request_id}]")
        return " ".join(parts)


class APIStatusError(APIError):
    """Raised when the server answered with an error status (HTTP, or the envelope's code)."""


class BadRequestError(APIStatusError):
    """Raised on 400: the server rejected the parameters."""


class AuthenticationError(APIStatusError):
    """Raised on 401: the API key is missing, wrong, or not activated by a first top-up."""


class PermissionDeniedError(AuthenticationError):
    """Raised on 403: the account is suspended or the key lacks a permission."""


class NotFoundError(APIStatusError):
    """Raised on 404: no prediction has this id."""


class PayloadTooLargeError(APIStatusError):
    """Raised on 413: the uploaded file is too large."""


class RateLimitError(APIStatusError):
    """Raised on 429 once retries are used up (or not allowed)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        """Seconds the server asked to wait, when it sent ``Retry-After``."""


class ServerError(APIStatusError):
    """Raised on 5xx once retries are used up (or not allowed, as for a submit)."""


InternalServerError = ServerError
"""openai's name for ServerError (the same class)."""


class APIConnectionError(APIError):
    """Raised when no usable response arrived: connection refused, reset, or protocol error."""


class APITimeoutError(APIConnectionError):
    """Raised when one request timed out (connect, write, read or pool)."""


class ContractViolationError(APIError):
    """Raised when a response broke the spec; ``body`` keeps what arrived, ``path`` where it broke."""

    def __init__(self, message: str, *, path: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.path = path


class PredictionFailedError(Step1XEditError):
    """Raised when a prediction ends in a status other than completed."""

    def __init__(self, prediction: Prediction) -> None:
        self.prediction = prediction
        self.prediction_id = prediction.id
        detail = prediction.error or "no error message"
        code = f", task code {prediction.task_code}" if prediction.task_code else ""
        super().__init__(f"prediction {prediction.id} ended {prediction.status}: {detail}{code}")


class OutputExistsError(Step1XEditError, FileExistsError):
    """Raised by download() instead of overwriting an existing file (pass ``overwrite=True``)."""

    def __init__(self, message: str, *, path: str, prediction_id: str | None = None) -> None:
        self.path = path
        self.prediction_id = prediction_id
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])


class DeadlineExceededError(Step1XEditError, TimeoutError):
    """Raised when the overall ``timeout`` of a call passed; the prediction may still finish."""

    def __init__(
        self,
        message: str,
        *,
        prediction_id: str | None,
        prediction: Prediction | None = None,
        task_may_exist: bool = False,
    ) -> None:
        self.prediction_id = prediction_id
        self.prediction = prediction
        self.task_may_exist = task_may_exist
        """True when the deadline passed after a submit may have reached the server."""
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])


class PredictionInterrupted(KeyboardInterrupt):
    """Raised on Ctrl-C while edit()/wait() waited; the prediction carries on: ``wait(prediction_id)``.

    A KeyboardInterrupt (so ``except KeyboardInterrupt`` and the interpreter's exit on Ctrl-C
    work as usual), not an Exception (so ``except Exception`` does not swallow it).
    """

    def __init__(self, prediction_id: str) -> None:
        self.prediction_id = prediction_id
        super().__init__(
            f"interrupted while waiting for prediction {prediction_id}; it carries on on the server: "
            f"resume with client.wait({prediction_id!r}) or `step1x-edit wait {prediction_id}`"
        )


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 15] + f"...<{len(text)} chars>"
