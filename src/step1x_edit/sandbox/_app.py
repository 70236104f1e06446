"""The sandbox: a local stand-in for api.wavespeed.ai, built from the spec.

See ``step1x_edit.sandbox`` for the overview. Everything here is in memory; nothing is fetched
from the network; webhooks go to loopback hosts only.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._config import Fault, SandboxConfig
from ._predictions import _PredictionRoutes
from ._responses import _apply_fault, _drifted, _json
from ._state import PUT_PATH, RESULT_PATH, SUBMIT_PATH, UPLOAD_PATH, UPLOAD_TICKET_PATH, SandboxRequest, WebhookDelivery
from ._uploads import _UploadRoutes
from ._validation import RequestInvalid, parse_json

__all__ = [
    "PUT_PATH",
    "RESULT_PATH",
    "SUBMIT_PATH",
    "UPLOAD_PATH",
    "UPLOAD_TICKET_PATH",
    "Sandbox",
    "SandboxRequest",
    "WebhookDelivery",
    "create_app",
]


class Sandbox(_PredictionRoutes, _UploadRoutes):
    """The controller behind the app: tasks, uploads, faults, stats. Thread-safe.

    ``app.state.sandbox`` (and ``server.sandbox`` from ``serve()``) is this object.
    """

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
