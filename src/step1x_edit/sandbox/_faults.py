"""The sandbox's fault actions as data: one registered function per action, with its doc line.

``REGISTRY`` is the single list: ``Fault``'s validation (and so the control route's),
``ACTIONS``, ``INVALID_RESPONSE_ACTIONS``, which actions process the request first, the CLI's
``--fault`` help and the README's fault table are all read from it. A new action is one
decorated function here. The functions shape the response through ``FaultResponses`` (given by
the app), so this module imports nothing heavy: the CLI reads it for ``--help``.
"""

# ruff: noqa: ARG001  (every fault function has the registry's signature; not all use every argument)
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ._config import Fault

__all__ = ["REGISTRY", "ActionSpec", "FaultResponses", "fault_table"]


class FaultResponses(Protocol):
    """What a fault function may answer with (implemented by the app, over starlette)."""

    def envelope(self, status: int, message: str | None) -> Any: ...
    def json(self, status: int, payload: Any) -> Any: ...
    def raw(self, body: bytes, status: int, media_type: str) -> Any: ...
    def html(self, status: int) -> Any: ...
    def drop(self, response: Any, mode: str) -> Any: ...
    def body(self, response: Any) -> bytes: ...
    def status(self, response: Any) -> int: ...
    def reason(self, status: int) -> str: ...


Apply = Callable[["FaultResponses", "Fault", Any], Any]


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    doc: str
    """One line: what the client sees."""
    apply: Apply
    processes: bool
    """The action needs the real response, so the request is handled first (a submit creates its task)."""
    breaks_contract: bool
    """The response breaks the spec on purpose (not JSON, no response, missing fields)."""
    needs_serve: bool = False
    """Cutting a connection needs serve()'s loopback proxy."""


REGISTRY: dict[str, ActionSpec] = {}


def _action(
    *, processes: bool = False, breaks_contract: bool = False, needs_serve: bool = False
) -> Callable[[Apply], Apply]:
    def register(function: Apply) -> Apply:
        name = function.__name__.removeprefix("_")
        doc = (function.__doc__ or "").strip().splitlines()[0]
        REGISTRY[name] = ActionSpec(name, doc, function, processes, breaks_contract, needs_serve)
        return function

    return register


@_action()
def _status(out: FaultResponses, fault: Fault, response: Any) -> Any:
    """HTTP `status` (default 503) with the error envelope, optional Retry-After."""
    return out.envelope(fault.status or 503, fault.message)


@_action(processes=True, breaks_contract=True, needs_serve=True)
def _drop_before(out: FaultResponses, fault: Fault, response: Any) -> Any:
    """The connection closes before any byte of the response."""
    return out.drop(response, "drop_before")


@_action(processes=True, breaks_contract=True, needs_serve=True)
def _drop_after_headers(out: FaultResponses, fault: Fault, response: Any) -> Any:
    """Status line and headers are sent, then the connection closes."""
    return out.drop(response, "drop_after_headers")


@_action(processes=True, breaks_contract=True, needs_serve=True)
def _drop_mid_body(out: FaultResponses, fault: Fault, response: Any) -> Any:
    """Headers and half the body are sent, then the connection closes."""
    return out.drop(response, "drop_mid_body")


@_action(breaks_contract=True)
def _malformed_json(out: FaultResponses, fault: Fault, response: Any) -> Any:
    """HTTP 200 (or `status`), Content-Type JSON, a body that is not JSON."""
    return out.raw(b'{"code": 200, "message": "success", "data": {"id": ', fault.status or 200, "application/json")


@_action(processes=True, breaks_contract=True)
def _truncated_body(out: FaultResponses, fault: Fault, response: Any) -> Any:
    """The real body cut in half, Content-Length matching the cut (not JSON)."""
    body = out.body(response)
    return out.raw(body[: len(body) // 2], out.status(response), "application/json")


@_action(breaks_contract=True)
def _html(out: FaultResponses, fault: Fault, response: Any) -> Any:
    """An HTML gateway page (status default 502, text/html)."""
    return out.html(fault.status or 502)


@_action()
def _error_envelope(out: FaultResponses, fault: Fault, response: Any) -> Any:
    """HTTP 200 carrying {"code": status or 500, "message": ..., "data": null}."""
    code = fault.status or 500
    return out.json(200, {"code": code, "message": fault.message or out.reason(code), "data": None})


def _edit_data(out: FaultResponses, response: Any, change: Callable[[dict[str, Any]], None]) -> Any:
    payload = json.loads(out.body(response))
    data = payload.get("data") if isinstance(payload, dict) else None
    if isinstance(data, dict):
        change(data)
    return out.json(out.status(response), payload)


@_action(processes=True)
def _unknown_status(out: FaultResponses, fault: Fault, response: Any) -> Any:
    """The real response with data.status replaced by `prediction_status`."""

    def change(data: dict[str, Any]) -> None:
        if "status" in data:
            data["status"] = fault.prediction_status

    return _edit_data(out, response, change)


@_action(processes=True, breaks_contract=True)
def _missing_fields(out: FaultResponses, fault: Fault, response: Any) -> Any:
    """The real response with every field but id/status (download_url) removed."""

    def change(data: dict[str, Any]) -> None:
        keep = {"id", "status"} if "status" in data else {"download_url"}
        for key in list(data):
            if key not in keep:
                del data[key]

    return _edit_data(out, response, change)


@_action(processes=True)
def _delay(out: FaultResponses, fault: Fault, response: Any) -> Any:
    """Only wait `delay` seconds, then answer normally."""
    if response is None:  # process=False: nothing real to send after the wait
        return out.envelope(fault.status or 503, fault.message)
    return response


def fault_table() -> str:
    """The README's fault table (markdown), rendered from REGISTRY."""
    lines = ["| action | what the client sees | processed first | breaks the contract |", "| --- | --- | --- | --- |"]
    for action in REGISTRY.values():
        serve = " (needs `serve()`)" if action.needs_serve else ""
        lines.append(
            f"| `{action.name}` | {action.doc}{serve} | {'yes' if action.processes else 'no'} "
            f"| {'yes' if action.breaks_contract else 'no'} |"
        )
    return "\n".join(lines)
