"""The sandbox: a local stand-in for api.wavespeed.ai, built from the spec.

See ``step1x_edit.sandbox`` for the overview. Everything here is in memory; nothing is fetched
from the network; webhooks go to loopback hosts only.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from step1x_edit import sign_webhook
from step1x_edit._retry import is_loopback
from step1x_edit._spec_data import SYNC_TIMEOUT_TASK_CODE

from ._config import Fault, Outcome, SandboxConfig
from ._drift import Drift, get_drift
from ._responses import DropHook, _apply_fault, _drifted, _json, _retry_after
from ._validation import RequestInvalid, is_uri, parse_json, unknown_inputs, validate_edit_request

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


class Sandbox:
    """The controller behind the app: tasks, uploads, faults, stats. Thread-safe.

    ``app.state.sandbox`` (and ``server.sandbox`` from ``serve()``) is this object.
    """

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

    # -- lifecycle -----------------------------------------------------------------------------
    def _status(self, task: _Task) -> str:
        elapsed = self.config.clock() - task.started
        if elapsed < self.config.created_seconds or (task.polls == 0 and self.config.min_polls > 0):
            return "created"
        if (
            elapsed < self.config.created_seconds + self.config.processing_seconds
            or task.polls < self.config.min_polls
            or (task.outcome is not None and task.outcome.status == "never")
        ):
            return "processing"
        self._finish(task)
        return "failed" if task.fail_code is not None else "completed"

    def _finish(self, task: _Task) -> None:
        """Run the stand-in model once, when the task first reaches its end."""
        if task.outputs is not None or task.fail_code is not None:
            return
        outcome = task.outcome
        if outcome is not None and outcome.status == "failed":
            task.fail_code = outcome.code or 1403
            task.fail_message = outcome.error or _FAIL_MESSAGES.get(task.fail_code, "Task failed.")
            task.execution_ms = 1
            return
        count = 1 if outcome is None else outcome.outputs
        t0 = time.perf_counter()
        try:
            png = self._render(task)
        except _TaskFailure as failure:
            task.fail_code, task.fail_message = failure.code, failure.message
            return
        finally:
            task.execution_ms = max(1, round((time.perf_counter() - t0) * 1000))
        if task.input.get("enable_base64_output"):
            task.outputs = [base64.b64encode(png).decode()] * count
        else:
            keys = [f"{task.id}/{i}.png" for i in range(count)]
            with self._lock:
                self._outputs.update(dict.fromkeys(keys, png))
            task.outputs = [f"{task.base_url}/_sandbox/outputs/{key}" for key in keys]

    def _render(self, task: _Task) -> bytes:
        from . import _images

        prompt: str = task.input["prompt"]
        marker = self.config.fail_marker
        if self.config.fail_code is not None:
            raise _TaskFailure(self.config.fail_code)
        if marker and marker in prompt:
            rest = prompt.split(marker, 1)[1]
            code_match = re.match(r"=(\d{1,4})\]", rest)
            raise _TaskFailure(int(code_match.group(1)) if code_match else 1403)
        image: str = task.input["image"]
        if image.startswith("data:"):
            try:
                data = base64.b64decode(image.split(",", 1)[1], validate=False)
                img = _images.decode(data)
            except (ValueError, binascii.Error):
                raise _TaskFailure(1401, "Invalid parameter: image is not a readable image.") from None
        else:
            stored = self._resolve_upload(image)
            if stored is not None:
                try:
                    img = _images.decode(stored.data)
                except ValueError:
                    raise _TaskFailure(1401, "Invalid parameter: image is not a readable image.") from None
            elif self.config.strict_images:
                raise _TaskFailure(1402)
            else:
                img = _images.placeholder(image)
        seed = task.input.get("seed")
        return _images.transform(
            img, prompt=prompt, seed=None if seed is None else int(seed), max_side=self.config.max_output_side
        )

    def _resolve_upload(self, url: str) -> _Stored | None:
        try:
            parts = urlsplit(url).path.split("/")
        except ValueError:  # e.g. a malformed IPv6 host: not one of ours
            return None
        if len(parts) >= 4 and parts[1] == "_sandbox" and parts[2] == "files":
            with self._lock:
                return self._uploads.get(parts[3])
        return None

    def prediction(self, task: _Task, *, with_input: bool = False) -> dict[str, Any]:
        status = self._status(task)
        done = status in ("completed", "failed")
        outputs = list(task.outputs or []) if status == "completed" else []
        data: dict[str, Any] = {
            "id": task.id,
            "model": self.config.model,
            "outputs": outputs,
            "urls": {"get": f"{task.base_url}{RESULT_PATH.format(id=task.id)}"},
            "has_nsfw_contents": task.outcome.nsfw_flags()
            if task.outcome is not None and outputs
            else [False] * len(outputs),
            "status": status,
            "created_at": _now_iso(task.created_wall),
            "error": task.fail_message if status == "failed" else "",
            "executionTime": task.execution_ms if done else 0,
            "timings": {"inference": task.execution_ms if done else 0},
        }
        if status == "failed":
            data["code"] = task.fail_code
        if with_input:
            data["input"] = dict(task.input)
        return data

    # -- webhooks ------------------------------------------------------------------------------
    def _schedule_webhook(self, task: _Task) -> None:
        assert task.webhook is not None
        if not _is_loopback_url(task.webhook):
            self._count("webhooks_skipped")
            return
        delay = max(
            0.0, task.started + self.config.created_seconds + self.config.processing_seconds - self.config.clock()
        )
        bg = asyncio.get_running_loop().create_task(self._deliver(task, delay))
        self._background.add(bg)
        bg.add_done_callback(self._background.discard)

    async def _deliver(self, task: _Task, delay: float) -> None:
        import httpx

        await asyncio.sleep(delay)
        task.polls = max(task.polls, self.config.min_polls)  # a webhook does not wait for polls
        while self._status(task) not in ("completed", "failed"):  # a fake clock may lag
            await asyncio.sleep(0.01)
        body = json.dumps(self.prediction(task, with_input=True), separators=(",", ":")).encode()
        webhook_id = uuid.uuid4().hex
        timestamp = str(int(self.config.wall_clock()))
        headers = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": sign_webhook(webhook_id, timestamp, body, self.config.webhook_secret),
        }
        record = WebhookDelivery(url=str(task.webhook), headers=headers, body=body)
        try:
            async with httpx.AsyncClient(timeout=self.config.webhook_timeout_seconds, trust_env=False) as client:
                response = await client.post(str(task.webhook), content=body, headers=headers)
            record.status_code = response.status_code
            self._count("webhooks_sent")
        except httpx.HTTPError as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            self._count("webhooks_failed")
        with self._lock:
            self.webhooks.append(record)

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

    async def submit(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return self._invalid("Invalid request: Content-Type must be application/json")
        dropped: list[str] = []
        try:
            raw = parse_json(await request.body())
            if isinstance(raw, dict) and not self.config.strict_inputs:
                dropped = unknown_inputs(raw)
            body = validate_edit_request(raw, strict=self.config.strict_inputs)
        except RequestInvalid as exc:
            return self._invalid(exc.message)
        if problem := self._directive_problem(body["prompt"]):
            return self._invalid(problem)
        webhook = request.query_params.get("webhook")
        if webhook is not None and not is_uri(webhook):
            return self._invalid("Invalid parameter 'webhook': must be a URL")
        if webhook is not None and body.get("enable_base64_output"):
            self._count("invalid")
            return _json(400, {"error": _BASE64_WEBHOOK_ERROR})
        if limited := self._rate_limit():
            return limited
        task = _Task(
            id=uuid.uuid4().hex,
            input=body,
            started=self.config.clock(),
            created_wall=self.config.wall_clock(),
            base_url=str(request.base_url).rstrip("/"),
            webhook=webhook,
            outcome=self._take_outcome(body["prompt"]),
        )
        with self._lock:
            self._tasks[task.id] = task
            self._stats["tasks_created"] += 1
            self._stats["inputs_dropped"] += len(dropped)
        if dropped:
            # What the API does with names it does not know (spec: EditRequest x-facts): the
            # task runs without them. Said here, in the header and in the webhook's input echo.
            log.info("submit %s: dropped unknown input(s) %s (the API ignores them)", task.id, ", ".join(dropped))
        if webhook is not None:
            self._schedule_webhook(task)
        if body.get("enable_sync_mode"):
            response = await self._hold(task)
        else:
            response = _json(200, {"code": 200, "message": "success", "data": self.prediction(task)})
        if dropped:
            response.headers["x-sandbox-dropped-inputs"] = ",".join(dropped)
        return response

    async def _hold(self, task: _Task) -> Response:
        limit = self.config.sync_timeout_seconds
        if task.outcome is not None and (task.outcome.sync_timeout or task.outcome.status == "never"):
            # Scripted: answer the 5004 timeout at once (a test never waits the real limit).
            data = self.prediction(task)
            data.update(outputs=[], has_nsfw_contents=[], executionTime=0, timings={"inference": 0})
            data.update(status="processing", code=SYNC_TIMEOUT_TASK_CODE, error=_sync_timeout_error(limit))
            return _json(200, {"code": 200, "message": "success", "data": data})
        task.polls = max(task.polls, self.config.min_polls)  # sync mode does not wait for polls
        deadline = time.monotonic() + limit
        end = task.started + self.config.created_seconds + self.config.processing_seconds
        while self._status(task) not in ("completed", "failed"):
            left = deadline - time.monotonic()
            if left <= 0:
                data = self.prediction(task)
                if data["status"] not in ("completed", "failed"):
                    data.update(status="processing", code=SYNC_TIMEOUT_TASK_CODE, error=_sync_timeout_error(limit))
                    return _json(200, {"code": 200, "message": "success", "data": data})
                break
            await asyncio.sleep(max(0.001, min(left, end - self.config.clock(), 0.05)))
        return _json(200, {"code": 200, "message": "success", "data": self.prediction(task)})

    def _rate_limit(self) -> Response | None:
        limit = self.config.rate_limit
        if limit is None:
            return None
        now = self.config.clock()
        window = self.config.rate_limit_window
        with self._lock:
            while self._submits and self._submits[0] <= now - window:
                self._submits.popleft()
            if len(self._submits) >= limit:
                wait = self._submits[0] + window - now
                self._stats["rate_limited"] += 1
                return self._envelope(429, "Too many requests: rate limit exceeded", _retry_after(wait))
            self._submits.append(now)
        return None

    def _directive_problem(self, prompt: str) -> str | None:
        """Why a ``[sandbox:fail=CODE]`` directive in the prompt is malformed, or None."""
        marker = self.config.fail_marker
        if not marker or marker not in prompt:
            return None
        rest = prompt.split(marker, 1)[1]
        if rest.startswith("]") or re.match(r"=\d{1,4}\]", rest):
            return None
        return (
            f"Invalid sandbox directive: {marker}] or {marker}=CODE] with a task code of 1 to 4 digits, "
            f"e.g. {marker}=1402]"
        )

    def _invalid(self, message: str) -> Response:
        self._count("invalid")
        return self._envelope(400, message)

    async def result(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        pid = request.path_params["id"]
        with self._lock:
            task = self._tasks.get(pid) if _ID.match(pid) else None
            if task is None and self.drift is not None:
                task = next((t for t in self._tasks.values() if self.drift.matches_id(t.id, pid)), None)
        if task is None:
            self._count("not_found")
            return self._envelope(404, "Prediction not found")
        with self._lock:
            task.polls += 1
        return _json(200, {"code": 200, "message": "success", "data": self.prediction(task)})

    async def upload(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        limit = self.config.max_upload_bytes
        too_large = f"File too large: the limit is {limit} bytes"
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit + 64 * 1024:
            return self._envelope(413, too_large)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "multipart/form-data":
            return self._invalid("Invalid request: Content-Type must be multipart/form-data")
        async with request.form(max_files=4, max_fields=16) as form:
            part = form.get("file")
            if not isinstance(part, UploadFile):
                return self._invalid("Missing required parameter 'file'")
            data = await part.read(limit + 1)
            filename = part.filename or "upload"
            part_type = part.content_type
        if len(data) > limit:
            return self._envelope(413, too_large)
        from . import _images

        kind = _images.sniff_type(data, part_type)
        if kind is None:  # the vendor answers HTTP 200 with an error envelope here (SDK fixtures)
            return _json(200, {"code": 500, "message": "Upload failed: invalid file type", "data": None})
        name = _safe_name(filename)
        token = secrets.token_hex(16)
        with self._lock:
            self._uploads[token] = _Stored(data, part_type or "application/octet-stream", name)
        base = str(request.base_url).rstrip("/")
        payload: dict[str, Any] = {
            "type": kind,
            "download_url": f"{base}/_sandbox/files/{token}/{quote(name)}",
            "filename": name,
        }
        payload["size"] = len(data)
        return _json(200, {"code": 200, "message": "success", "data": payload})

    async def upload_ticket(self, request: Request) -> Response:
        """``POST /api/v3/media/uploads``: announce a file; answer where to PUT it and where it will be."""
        if denied := self._auth(request):
            return denied
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return self._invalid("Invalid request: Content-Type must be application/json")
        try:
            body = parse_json(await request.body())
        except RequestInvalid as exc:
            return self._invalid(exc.message)
        if not isinstance(body, dict):
            return self._invalid("Invalid request body: expected a JSON object")
        filename, size, declared = body.get("filename"), body.get("size"), body.get("content_type")
        if not isinstance(filename, str) or not filename:
            return self._invalid("Invalid parameter 'filename': a non-empty string is required")
        if isinstance(size, float) and size.is_integer():
            size = int(size)  # JSON Schema: 12.0 is an integer
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            return self._invalid("Invalid parameter 'size': a non-negative integer is required")
        if "content_type" in body and not isinstance(declared, str):
            return self._invalid("Invalid parameter 'content_type': expected a string")
        if size > self.config.max_upload_bytes:
            return self._envelope(413, f"File too large: the limit is {self.config.max_upload_bytes} bytes")
        import mimetypes

        mime = declared or mimetypes.guess_type(filename)[0] or ""
        kind = mime.split("/", 1)[0].lower()
        if kind not in ("image", "video", "audio"):  # as on the multipart endpoint: HTTP 200, error envelope
            return _json(200, {"code": 500, "message": "Upload failed: invalid file type", "data": None})
        name = _safe_name(filename)
        token = secrets.token_hex(16)
        with self._lock:
            self._tickets[token] = _Ticket(size, mime, name)
            self._stats["tickets"] += 1
        base = str(request.base_url).rstrip("/")
        payload: dict[str, Any] = {
            "type": kind,
            "download_url": f"{base}/_sandbox/files/{token}/{quote(name)}",
            "filename": name,
            "size": size,
            "upload": {
                "method": "PUT",
                "url": f"{base}{PUT_PATH.format(token=token)}",
                "headers": {"Content-Type": mime},
            },
        }
        return _json(200, {"code": 200, "message": "success", "data": payload})

    async def put_upload(self, request: Request) -> Response:
        """The PUT target of a ticket, like a presigned storage URL: no API key (one is refused)."""
        token = request.path_params["token"]
        with self._lock:
            ticket = self._tickets.get(token)
        if ticket is None:
            return _plain(404, "NoSuchUpload: no ticket has this URL (or its bytes were already stored)")
        if "authorization" in request.headers:
            # Presigned storage URLs carry their own signature; S3 refuses a second auth mechanism.
            return _plain(400, "InvalidArgument: only one auth mechanism allowed; send no Authorization header")
        sent_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if sent_type != ticket.content_type.lower():
            return _plain(
                403, f"SignatureDoesNotMatch: Content-Type {sent_type!r} is not the ticket's {ticket.content_type!r}"
            )
        data = await request.body()
        if len(data) > self.config.max_upload_bytes:
            return _plain(413, "EntityTooLarge")
        with self._lock:
            self._tickets.pop(token, None)
            self._uploads[token] = _Stored(data, ticket.content_type, ticket.filename)
            self._stats["tickets_stored"] += 1
        return Response(b"", 200, headers={"etag": f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'})

    async def file(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        key, name = request.path_params["key"], unquote(request.path_params["name"])
        if kind not in ("files", "outputs"):
            return self._envelope(404, "Not found")
        with self._lock:
            if kind == "files":
                stored = self._uploads.get(key)
                found = (stored.data, stored.content_type) if stored else None
            else:
                png = self._outputs.get(f"{key}/{name}")
                found = (png, "image/png") if png is not None else None
        if found is None:
            return self._envelope(404, "File not found")
        return Response(found[0], media_type=found[1])

    # -- control routes (/_sandbox/...) --------------------------------------------------------
    async def control_faults(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        if request.method == "DELETE":
            self.clear_faults()
        elif request.method == "POST":
            try:
                raw = parse_json(await request.body())
                items = raw if isinstance(raw, list) else [raw]
                faults = [Fault.parse(i) if isinstance(i, str) else Fault.from_dict(i) for i in items]
            except (RequestInvalid, ValueError, TypeError) as exc:
                return self._envelope(400, f"Invalid fault: {exc}")
            for fault in faults:
                self.add_fault(fault)
        return _json(200, {"code": 200, "message": "success", "data": {"faults": [f.to_dict() for f in self.faults]}})

    async def control_stats(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        return _json(200, {"code": 200, "message": "success", "data": dict(self.stats)})

    async def control_reset(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        self.reset()
        return _json(200, {"code": 200, "message": "success", "data": None})


def _sync_timeout_error(limit: float) -> str:
    shown = int(limit) if float(limit).is_integer() else limit
    return f"Sync mode timed out after {shown} seconds. The prediction is still processing asynchronously."


class _TaskFailure(Exception):
    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message or _FAIL_MESSAGES.get(code, "Task failed.")


def _safe_name(filename: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip("._") or "upload"


def _plain(status: int, text: str) -> Response:
    return Response(text, status, media_type="text/plain")


async def _drift_refusal(sandbox: Sandbox, name: str, request: Request) -> Response | None:
    """A request-side drift: the 400 the changed server answers this submit with, if it refuses it."""
    drift = sandbox.drift
    if drift is None or drift.refusal is None or name != "submit" or sandbox._auth(request) is not None:
        return None
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    if not isinstance(body, dict) or not drift.refuses(body):
        return None
    sandbox._count("invalid")
    return sandbox._envelope(400, drift.refusal)


def _route(
    sandbox: Sandbox, name: str, handler: Callable[[Request], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        arrived = (sandbox.config.wall_clock(), sandbox.config.clock())
        sandbox._count(name)
        fault = sandbox._take_fault(name)
        request_id = uuid.uuid4().hex
        refused = await _drift_refusal(sandbox, name, request)
        if refused is not None:
            response = refused
        elif fault is None:
            response = await handler(request)
        else:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            real = await handler(request) if fault.processes else None
            response = _apply_fault(sandbox, fault, real)
        if sandbox.drift is not None and name != "file":
            response = _drifted(sandbox.drift, response)
        if name != "file":
            response.headers["x-request-id"] = request_id
        await sandbox._log_request(name, request, response, fault, arrived)
        return response

    endpoint.__name__ = f"sandbox_{name}"
    return endpoint


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """The sandbox as a Starlette ASGI app; ``app.state.sandbox`` is its :class:`Sandbox`.

    Routes: every path of ``openapi/step1x-edit.yaml`` under ``/api/v3``, the files it serves
    (``/_sandbox/files/...`` uploads, ``/_sandbox/outputs/...`` outputs; no auth, like a CDN), the
    PUT target of upload tickets (``/_sandbox/uploads/{token}``; no auth, like a presigned URL), and
    control routes that need the sandbox key: ``POST/GET/DELETE /_sandbox/faults`` (body: a
    fault object, a list of them, or CLI fault strings), ``GET /_sandbox/stats``,
    ``POST /_sandbox/reset``.
    """
    sandbox = Sandbox(config)

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = exc.detail if exc.status_code != 404 else "Not found"
        response = sandbox._envelope(exc.status_code, message, exc.headers)
        response.headers["x-request-id"] = uuid.uuid4().hex
        return response

    async def server_error(_request: Request, _exc: Exception) -> Response:
        return sandbox._envelope(500, "Internal server error")

    routes = [
        Route(SUBMIT_PATH, _route(sandbox, "submit", sandbox.submit), methods=["POST"]),
        Route(RESULT_PATH, _route(sandbox, "result", sandbox.result), methods=["GET"]),
        Route(UPLOAD_PATH, _route(sandbox, "upload", sandbox.upload), methods=["POST"]),
        Route(UPLOAD_TICKET_PATH, _route(sandbox, "upload", sandbox.upload_ticket), methods=["POST"]),
        Route(PUT_PATH, _route(sandbox, "file", sandbox.put_upload), methods=["PUT"]),
        Route("/_sandbox/{kind:str}/{key:str}/{name:str}", _route(sandbox, "file", sandbox.file), methods=["GET"]),
        Route("/_sandbox/faults", sandbox.control_faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/stats", sandbox.control_stats, methods=["GET"]),
        Route("/_sandbox/reset", sandbox.control_reset, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, 500: server_error})
    app.state.sandbox = sandbox
    return app
