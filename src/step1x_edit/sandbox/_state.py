"""The sandbox's state: the requests, tasks, uploads and faults it holds, its test controls, and
the bearer check every API route starts with. The routes are in ``_predictions`` and ``_uploads``."""

from __future__ import annotations

import asyncio
import collections
import hmac
import json
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from step1x_edit._retry import is_loopback

from ._config import Fault, Outcome, SandboxConfig
from ._drift import Drift, get_drift
from ._responses import DropHook, _json

SUBMIT_PATH = "/api/v3/wavespeed-ai/step1x-edit"
RESULT_PATH = "/api/v3/predictions/{id}/result"
UPLOAD_PATH = "/api/v3/media/upload/binary"
UPLOAD_TICKET_PATH = "/api/v3/media/uploads"
#: Where a ticket's bytes are PUT (the sandbox's stand-in for a presigned storage URL).
PUT_PATH = "/_sandbox/uploads/{token}"
log = logging.getLogger("step1x_edit.sandbox")
_ID = re.compile(r"^[0-9a-f]{32}$")
_FAIL_MESSAGES = {
    1200: "Content moderation: the input was flagged.",
    1400: "Missing parameter.",
    1401: "Invalid parameter.",
    1402: "Failed to download image from the provided URL.",
    1403: "Task execution failed.",
    1405: "Task failed.",
    5000: "Internal server error.",
    5003: "Service unavailable.",
}
_BASE64_WEBHOOK_ERROR = (
    "webhook callback does not support base64 output, please use the normal API to use base64 output"
)


@dataclass
class _Task:
    id: str
    input: dict[str, Any]
    started: float
    created_wall: float
    base_url: str
    webhook: str | None = None
    outputs: list[str] | None = None
    fail_code: int | None = None
    fail_message: str = ""
    execution_ms: int = 0
    outcome: Outcome | None = None
    polls: int = 0


@dataclass
class _Armed:
    fault: Fault
    skip: int
    times: int | None


@dataclass
class _ArmedOutcome:
    outcome: Outcome
    prompt: str | re.Pattern[str] | None
    times: int | None


@dataclass(frozen=True)
class SandboxRequest:
    """One API request the sandbox received (``Sandbox.requests``), in arrival order.

    ``kind``: ``submit``, ``result``, ``upload`` (multipart or ticket) or ``file`` (a served file
    or a ticket's PUT). ``input``: a submit's JSON body as parsed (``None`` if it was not JSON).
    ``prediction_id``: the task a ``result`` asked for, or the one a ``submit`` created.
    ``time``: wall-clock seconds (``SandboxConfig.wall_clock``); ``monotonic``:
    ``SandboxConfig.clock`` at arrival. ``fault``: the scripted fault applied, if any.
    """

    kind: str
    method: str
    path: str
    status_code: int
    time: float
    monotonic: float
    input: dict[str, Any] | None = None
    prediction_id: str | None = None
    fault: Fault | None = None


@dataclass
class _Stored:
    data: bytes
    content_type: str
    filename: str


@dataclass
class _Ticket:
    """An upload announced through ``media/uploads`` whose bytes have not been PUT yet."""

    size: int
    content_type: str
    filename: str


@dataclass
class WebhookDelivery:
    """One webhook POST the sandbox made (or tried to)."""

    url: str
    headers: dict[str, str]
    body: bytes
    status_code: int | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _now_iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _is_loopback_url(url: str) -> bool:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return is_loopback(host)


class _SandboxState:
    """What a :class:`Sandbox` holds (thread-safe) and the controls tests use; routes are added by subclasses."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self._lock = threading.Lock()
        self._tasks: dict[str, _Task] = {}
        self._uploads: dict[str, _Stored] = {}
        self._tickets: dict[str, _Ticket] = {}
        self._outputs: dict[str, bytes] = {}
        self._faults: list[_Armed] = []
        self._stats: collections.Counter[str] = collections.Counter()
        self._submits: collections.deque[float] = collections.deque()
        self.webhooks: list[WebhookDelivery] = []
        self.drop_hook: DropHook | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._outcomes: list[_ArmedOutcome] = []
        self._requests: list[SandboxRequest] = []
        #: The API change this sandbox serves (``SandboxConfig.drift``), or None.
        self.drift: Drift | None = get_drift(self.config.drift) if self.config.drift else None
        for fault in self.config.faults:
            self.add_fault(fault)

    # -- test controls -----------------------------------------------------------------------
    def add_fault(self, fault: Fault) -> Fault:
        """Script a fault for the next matching request(s); returns it."""
        with self._lock:
            self._faults.append(_Armed(fault, fault.skip, fault.times))
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def add_outcome(
        self, outcome: Outcome, *, prompt: str | re.Pattern[str] | None = None, times: int | None = 1
    ) -> Outcome:
        """Decide how the next ``times`` submits (``None``: all) end; ``prompt`` (a substring or a
        compiled regex) limits it to the submits whose prompt matches. Outcomes for a matching prompt
        apply before those for any submit; otherwise the first added applies first."""
        if times is not None and times < 1:
            raise ValueError("outcome times must be >= 1 (or None for forever)")
        with self._lock:
            self._outcomes.append(_ArmedOutcome(outcome, prompt, times))
        return outcome

    def _take_outcome(self, prompt: str) -> Outcome | None:
        with self._lock:
            # Outcomes for matching prompts come first, then those for any submit; in order.
            for armed in sorted(self._outcomes, key=lambda a: a.prompt is None):
                wanted = armed.prompt
                if wanted is not None and not (
                    wanted in prompt if isinstance(wanted, str) else wanted.search(prompt) is not None
                ):
                    continue
                if armed.times is not None:
                    armed.times -= 1
                    if armed.times == 0:
                        self._outcomes.remove(armed)
                return armed.outcome
        return None

    @property
    def requests(self) -> list[SandboxRequest]:
        """The API requests received so far (control routes excluded), oldest first."""
        with self._lock:
            return list(self._requests)

    async def _log_request(
        self, name: str, request: Request, response: Response, fault: Fault | None, arrived: tuple[float, float]
    ) -> None:
        body: dict[str, Any] | None = None
        pid: str | None = request.path_params.get("id") if name == "result" else None
        if name == "submit":
            try:
                parsed = json.loads(await request.body())
            except (ValueError, RuntimeError):
                parsed = None
            body = parsed if isinstance(parsed, dict) else None
            if response.media_type == "application/json":
                try:
                    data = json.loads(bytes(response.body)).get("data")
                except (ValueError, AttributeError):
                    data = None
                if isinstance(data, dict) and isinstance(data.get("id"), str):
                    pid = data["id"]
        record = SandboxRequest(
            kind=name, method=request.method, path=request.url.path, status_code=response.status_code,
            time=arrived[0], monotonic=arrived[1], input=body, prediction_id=pid, fault=fault,
        )  # fmt: skip
        with self._lock:
            self._requests.append(record)

    @property
    def faults(self) -> list[Fault]:
        """The faults still armed, in the order they apply."""
        with self._lock:
            return [a.fault for a in self._faults]

    @property
    def stats(self) -> collections.Counter[str]:
        """A snapshot of the counters.

        Per route, requests *received* (before auth, faults or validation): ``submit``,
        ``result``, ``upload``, ``file``. Also ``tasks_created``, ``faults_applied``,
        ``rate_limited``, ``auth_failed``, ``invalid``, ``not_found``, ``inputs_dropped`` (names
        dropped from submits), ``tickets``, ``tickets_stored`` (bytes PUT), ``webhooks_sent``,
        ``webhooks_failed``, ``webhooks_skipped`` (non-loopback targets). Missing keys read 0.
        """
        with self._lock:
            return collections.Counter(self._stats)

    def reset(self) -> None:
        """Forget every task, upload, fault, counter and webhook record."""
        with self._lock:
            self._tasks.clear()
            self._uploads.clear()
            self._tickets.clear()
            self._outputs.clear()
            self._faults.clear()
            self._stats.clear()
            self._submits.clear()
            self.webhooks.clear()
            self._outcomes.clear()
            self._requests.clear()

    def task_ids(self) -> list[str]:
        with self._lock:
            return list(self._tasks)

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._stats[key] += n

    def _take_fault(self, route: str) -> Fault | None:
        with self._lock:
            for armed in self._faults:
                if not armed.fault.matches(route):
                    continue
                if armed.skip > 0:
                    armed.skip -= 1
                    continue
                if armed.times is not None:
                    armed.times -= 1
                    if armed.times == 0:
                        self._faults.remove(armed)
                self._stats["faults_applied"] += 1
                return armed.fault
        return None

    def _resolve_upload(self, url: str) -> _Stored | None:
        try:
            parts = urlsplit(url).path.split("/")
        except ValueError:  # e.g. a malformed IPv6 host: not one of ours
            return None
        if len(parts) >= 4 and parts[1] == "_sandbox" and parts[2] == "files":
            with self._lock:
                return self._uploads.get(parts[3])
        return None

    # -- HTTP handlers -------------------------------------------------------------------------
    def _envelope(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
        return _json(status, {"code": status, "message": message, "data": None}, headers)

    def _auth(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), self.config.api_key.encode()):
            self._count("auth_failed")
            message = "Missing API key" if not header else "Invalid API key"
            return self._envelope(401, message)
        return None

    def _invalid(self, message: str) -> Response:
        self._count("invalid")
        return self._envelope(400, message)
