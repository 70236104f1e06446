"""The responses the sandbox builds outside the happy path: JSON envelopes, fault responses
(``_faults.REGISTRY`` shapes them through ``_FaultResponses``), dropped connections, and the
drifted API's answers."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ._drift import Drift
from ._faults import REGISTRY

if TYPE_CHECKING:
    from ._app import Sandbox
    from ._config import Fault


_HTML_PAGE = (
    "<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>{status} Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class DropHook(Protocol):
    """Told by the app to cut a connection; implemented by the proxy that ``serve()`` runs."""

    def __call__(self, client: tuple[str, int] | None, mode: str) -> bool: ...


def _retry_after(value: int | float | str | None) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"Retry-After": value}
    return {"Retry-After": str(max(0, math.ceil(value)))}


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(payload, allow_nan=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, headers=dict(headers or {}), media_type="application/json")


class _DroppingResponse(Response):
    """Sends ``inner`` but asks the proxy to cut the connection (``mode``) on the way out.

    Without the proxy (in-process use), the drop is approximated: the app raises before or
    after sending the headers, so the server aborts the connection (``drop_before`` then becomes
    a 500 from the server, since ASGI cannot close a socket without answering).
    """

    def __init__(self, inner: Response, mode: str, hook: DropHook | None) -> None:
        super().__init__(inner.body, inner.status_code, media_type=inner.media_type)
        self.raw_headers = list(inner.raw_headers)
        self.mode = mode
        self.hook = hook

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.hook is not None and self.hook(scope.get("client"), self.mode):
            await super().__call__(scope, receive, send)
            return
        if self.mode == "drop_before":
            raise ConnectionAbortedError("sandbox fault: connection dropped before the response")
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if self.mode == "drop_mid_body":
            await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        raise ConnectionAbortedError(f"sandbox fault: {self.mode}")


class _FaultResponses:
    """The responses a fault function (``_faults.REGISTRY``) may build, with the fault's Retry-After."""

    def __init__(self, sandbox: Sandbox, headers: dict[str, str]) -> None:
        self.sandbox, self.headers = sandbox, headers

    def reason(self, status: int) -> str:
        return _reason(status)

    def envelope(self, status: int, message: str | None) -> Response:
        return self.sandbox._envelope(status, message or _reason(status), self.headers)

    def json(self, status: int, payload: Any) -> Response:
        return _json(status, payload, self.headers)

    def raw(self, body: bytes, status: int, media_type: str) -> Response:
        return Response(body, status, headers=self.headers, media_type=media_type)

    def html(self, status: int) -> Response:
        return Response(_HTML_PAGE.format(status=status), status, headers=self.headers, media_type="text/html")

    def drop(self, response: Response, mode: str) -> Response:
        return _DroppingResponse(response, mode, self.sandbox.drop_hook)

    def body(self, response: Response) -> bytes:
        return bytes(response.body)

    def status(self, response: Response) -> int:
        return response.status_code


def _apply_fault(sandbox: Sandbox, fault: Fault, response: Response | None) -> Response:
    """Build the response a fault asks for; ``response`` is the real one when it was processed."""
    out = _FaultResponses(sandbox, _retry_after(fault.retry_after))
    result: Response = REGISTRY[fault.kind].apply(out, fault, response)
    return result


def _drifted(drift: Drift, response: Response) -> Response:
    """The response as the drifted API sends it (JSON bodies only; dropped connections untouched)."""
    if isinstance(response, _DroppingResponse) or response.media_type != "application/json":
        return response
    try:
        payload = json.loads(bytes(response.body))
    except ValueError:
        return response
    status = response.status_code
    if drift.errors_as_200 and status >= 400 and isinstance(payload, dict) and "code" in payload:
        status = 200
    payload = drift.apply_to_body(payload)
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    return _json(status, payload, headers)
