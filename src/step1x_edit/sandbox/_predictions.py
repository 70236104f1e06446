"""The sandbox's prediction routes: submit (async or sync), result, the task lifecycle and the
stand-in model, and signed webhooks."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from step1x_edit import sign_webhook
from step1x_edit._spec_data import SYNC_TIMEOUT_TASK_CODE

from ._responses import _json, _retry_after
from ._state import (
    _BASE64_WEBHOOK_ERROR,
    _FAIL_MESSAGES,
    _ID,
    RESULT_PATH,
    WebhookDelivery,
    _is_loopback_url,
    _now_iso,
    _SandboxState,
    _Task,
    log,
)
from ._validation import RequestInvalid, is_uri, parse_json, unknown_inputs, validate_edit_request


class _PredictionRoutes(_SandboxState):
    """``POST`` submit and ``GET`` result, with the task lifecycle and webhooks behind them."""

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


def _sync_timeout_error(limit: float) -> str:
    shown = int(limit) if float(limit).is_integer() else limit
    return f"Sync mode timed out after {shown} seconds. The prediction is still processing asynchronously."


class _TaskFailure(Exception):
    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message or _FAIL_MESSAGES.get(code, "Task failed.")
