"""Sandbox configuration and the scripted fault model."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from ._faults import REGISTRY

#: Routes a fault can target. ``"*"`` matches every API route (not the control routes).
#: ``submit`` = POST /api/v3/wavespeed-ai/step1x-edit, ``result`` = GET
#: /api/v3/predictions/{id}/result, ``upload`` = POST /api/v3/media/upload/binary or the ticket
#: POST /api/v3/media/uploads, ``file`` = GET of a file the sandbox serves (uploads and outputs)
#: or the PUT of a ticket's bytes (no auth on either, like a CDN or a presigned storage URL).
FaultRoute = Literal["submit", "result", "upload", "file", "*"]
ROUTES: tuple[str, ...] = ("submit", "result", "upload", "file")

#: What a fault does to the response (``None``/``"status"``: answer with ``status`` and the
#: error envelope). The static mirror of ``_faults.REGISTRY`` (each action's doc is there).
FaultAction = Literal[
    "status",  # HTTP `status` (default 503) with the error envelope, optional Retry-After
    "drop_before",  # connection closed before any byte of the response (needs serve())
    "drop_after_headers",  # status line and headers sent, then the connection closes (needs serve())
    "drop_mid_body",  # headers and half the body sent, then the connection closes (needs serve())
    "malformed_json",  # HTTP 200, Content-Type JSON, a body that is not JSON
    "truncated_body",  # the real body cut in half, Content-Length matching the cut (not JSON)
    "html",  # an HTML gateway page (status default 502, text/html)
    "error_envelope",  # HTTP 200 carrying {"code": status or 500, "message": ..., "data": null}
    "unknown_status",  # the real response with data.status replaced by `prediction_status`
    "missing_fields",  # the real response with every field but id/status (download_url) removed: breaks the contract
    "delay",  # only wait `delay` seconds, then answer normally
]
ACTIONS: tuple[str, ...] = tuple(REGISTRY)
if get_args(FaultAction) != ACTIONS:  # the Literal is the static mirror of the registry
    raise AssertionError(f"FaultAction does not list the registry's actions: {ACTIONS}")

#: Actions whose response breaks the spec on purpose (not JSON, no response at all, or a body
#: without the fields the strict contract says the API always sends). ``html`` is declared for
#: gateway statuses only.
INVALID_RESPONSE_ACTIONS: frozenset[str] = frozenset(name for name, a in REGISTRY.items() if a.breaks_contract)
#: Actions that need the real response, so the request is processed (a submit creates a task).
_PROCESSING_ACTIONS: frozenset[str] = frozenset(name for name, a in REGISTRY.items() if a.processes)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_seconds(value: object) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value) and value >= 0  # type: ignore[operator, arg-type]


def _check_types(fault: Fault) -> None:
    """Refuse a fault whose fields have the wrong type (they come from JSON or the command line)."""
    problems = {
        "route": isinstance(fault.route, str),
        "status": fault.status is None or _is_int(fault.status),
        "action": fault.action is None or isinstance(fault.action, str),
        "retry_after": fault.retry_after is None
        or _is_seconds(fault.retry_after)
        or (isinstance(fault.retry_after, str) and fault.retry_after.isprintable() and len(fault.retry_after) <= 64),
        "delay": _is_seconds(fault.delay),
        "times": fault.times is None or _is_int(fault.times),
        "skip": _is_int(fault.skip),
        "process": fault.process is None or isinstance(fault.process, bool),
        "message": fault.message is None or isinstance(fault.message, str),
        "prediction_status": isinstance(fault.prediction_status, str),
    }
    expected = {
        "route": "a route name",
        "status": "an HTTP status code",
        "action": "an action name",
        "retry_after": "seconds (a finite number >= 0) or an HTTP date",
        "delay": "seconds (a finite number >= 0)",
        "times": "a whole number, or null for forever",
        "skip": "a whole number",
        "process": "true or false",
        "message": "a string",
        "prediction_status": "a string",
    }
    for name, ok in problems.items():
        if not ok:
            raise ValueError(f"fault {name} must be {expected[name]}, got {getattr(fault, name)!r:.60}")


@dataclass
class Fault:
    """One scripted misbehaviour, applied to the next matching request(s).

    ``Fault(route="submit", status=503)`` answers the next submit with 503;
    ``Fault(route="result", status=429, retry_after=2, times=3)`` rate-limits three polls;
    ``Fault(route="submit", action="drop_before")`` creates the task, then drops the connection
    without answering (the "task may exist" case). ``skip`` lets that many matching requests pass
    first; ``times=None`` repeats forever. ``delay`` (seconds) is waited before any action.
    ``process`` says whether the request is handled (a submit creates its task) before the fault
    replaces the response; by default only the actions that need the real response process it.
    """

    route: FaultRoute = "*"
    status: int | None = None
    action: FaultAction | None = None
    retry_after: int | float | str | None = None
    delay: float = 0.0
    times: int | None = 1
    skip: int = 0
    process: bool | None = None
    message: str | None = None
    prediction_status: str = "queued"

    def __post_init__(self) -> None:
        _check_types(self)
        if self.route not in (*ROUTES, "*"):
            raise ValueError(f"unknown fault route {self.route!r}; expected one of {', '.join((*ROUTES, '*'))}")
        if self.action is not None and self.action not in ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}; expected one of {', '.join(ACTIONS)}")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"fault status must be an HTTP status code, got {self.status}")
        if self.times is not None and self.times < 1:
            raise ValueError("fault times must be >= 1 (or None for forever)")
        if self.delay < 0 or self.skip < 0:
            raise ValueError("fault delay and skip must be >= 0")

    @property
    def kind(self) -> str:
        """The effective action: ``action``, else ``status`` when a status is set, else ``delay``."""
        if self.action is not None:
            return self.action
        return "status" if self.status is not None or self.delay == 0 else "delay"

    @property
    def processes(self) -> bool:
        """Whether the request is handled normally before the fault shapes the response."""
        if self.process is not None:
            return self.process
        return self.kind in _PROCESSING_ACTIONS

    def matches(self, route: str) -> bool:
        return self.route == "*" or self.route == route

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        return cls(**dict(data))

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """Parse the CLI syntax ``ROUTE:WHAT[:key=value...]``.

        ``WHAT`` is an HTTP status (``503``) or an action name (``drop_before``, ``html``, ...).
        Keys: ``retry_after``, ``delay``, ``times`` (``forever`` for no limit), ``skip``,
        ``process`` (true/false), ``message``, ``prediction_status``, ``status``.
        Examples: ``submit:503``, ``result:429:retry_after=2:times=3``, ``*:delay:delay=1.5``,
        ``submit:drop_before``, ``result:html:status=504``.
        """
        parts = spec.split(":")
        if len(parts) < 2:
            raise ValueError(f"fault {spec!r}: expected ROUTE:STATUS|ACTION[:key=value...]")
        route, what, *options = parts
        kwargs: dict[str, Any] = {"route": route}
        if what.isdigit():
            kwargs["status"] = int(what)
        else:
            kwargs["action"] = what
        for option in options:
            key, sep, value = option.partition("=")
            if not sep:
                raise ValueError(f"fault {spec!r}: option {option!r} is not key=value")
            kwargs[key] = _parse_option(spec, key, value)
        return cls.from_dict(kwargs)


def _parse_option(spec: str, key: str, value: str) -> Any:
    if key in ("status", "skip"):
        return int(value)
    if key == "times":
        return None if value in ("forever", "none", "inf") else int(value)
    if key == "delay":
        return float(value)
    if key == "retry_after":
        return int(value) if value.isdigit() else value
    if key == "process":
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"fault {spec!r}: process must be true or false")
        return value.lower() in ("true", "1", "yes")
    if key in ("message", "prediction_status"):
        return value
    raise ValueError(f"fault {spec!r}: unknown option {key!r}")


OutcomeStatus = Literal["completed", "failed", "never"]


@dataclass(frozen=True)
class Outcome:
    """How a task ends, set ahead of its submit (``Sandbox.add_outcome``; the pytest plugin).

    ``Outcome(outputs=2, nsfw=(False, True))`` completes with two outputs, the second flagged;
    ``Outcome("failed", code=1200, error="flagged")`` fails with that task code and message;
    ``Outcome("never")`` stays ``processing`` forever (a sync-mode submit then times out at once
    with code 5004); ``sync_timeout=True`` answers a sync-mode submit with the 5004 timeout at
    once, after which the task completes as usual.
    """

    status: OutcomeStatus = "completed"
    outputs: int = 1
    nsfw: bool | tuple[bool, ...] = False
    code: int | None = None
    error: str | None = None
    sync_timeout: bool = False

    def __post_init__(self) -> None:
        if self.status not in ("completed", "failed", "never"):
            raise ValueError(f"outcome status must be 'completed', 'failed' or 'never', got {self.status!r}")
        if not _is_int(self.outputs) or not 0 <= self.outputs <= 16:
            raise ValueError(f"outcome outputs must be a whole number from 0 to 16, got {self.outputs!r}")
        if isinstance(self.nsfw, tuple) and len(self.nsfw) != self.outputs:
            raise ValueError(f"outcome nsfw has {len(self.nsfw)} flag(s) for {self.outputs} output(s)")
        if self.code is not None and (not _is_int(self.code) or not 0 < self.code < 10000):
            raise ValueError(f"outcome code must be a task code of 1 to 4 digits, got {self.code!r}")

    def nsfw_flags(self) -> list[bool]:
        """One flag per output."""
        if isinstance(self.nsfw, tuple):
            return list(self.nsfw)
        return [bool(self.nsfw)] * self.outputs


@dataclass
class SandboxConfig:
    """How the sandbox behaves. Every duration is in seconds.

    Lifecycle: a task is ``created`` for ``created_seconds``, then ``processing`` for
    ``processing_seconds``, then ``completed`` (or ``failed``). Status is computed from ``clock``
    when read, so no background work is needed and a fake clock makes tests instant.

    Failing tasks on purpose: a prompt containing ``[sandbox:fail]`` fails with task code 1403,
    ``[sandbox:fail=CODE]`` with that code; ``fail_code`` fails every task with that code.
    ``strict_images`` fails tasks whose image is a URL the sandbox does not serve (code 1402)
    instead of drawing a placeholder for it. The sandbox never fetches external URLs.

    Unknown input names are dropped, as the API does (``strict_inputs=True``: a 400 instead).
    """

    api_key: str = "sandbox-key"
    created_seconds: float = 0.05
    processing_seconds: float = 0.5
    sync_timeout_seconds: float = 90.0
    #: Submits allowed per ``rate_limit_window`` seconds; ``None`` = unlimited. Over it: 429 + Retry-After.
    rate_limit: int | None = None
    rate_limit_window: float = 60.0
    max_upload_bytes: int = 32 * 1024 * 1024
    webhook_secret: str = "whsec_sandbox-webhook-secret"
    #: Webhooks are POSTed only to loopback hosts; others are recorded in stats and skipped.
    webhook_timeout_seconds: float = 5.0
    strict_images: bool = False
    #: Answer 400 to a submit naming an input the spec does not list. Off by default: the API
    #: drops such names (and still bills), so the sandbox drops them too, logs them on the
    #: ``step1x_edit.sandbox`` logger and names them in the ``x-sandbox-dropped-inputs`` header.
    strict_inputs: bool = False
    fail_code: int | None = None
    fail_marker: str = "[sandbox:fail"
    model: str = "wavespeed-ai/step1x-edit"
    #: Largest side of output images (inputs are scaled down to it).
    max_output_side: int = 512
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    wall_clock: Callable[[], float] = field(default=time.time, repr=False)
    faults: list[Fault] = field(default_factory=list)
    #: A task reports its end only after this many result polls (on top of the durations above);
    #: sync-mode submits and webhooks do not wait for it. The pytest plugin uses 1 with zero
    #: durations: the submit answers ``created``, the first poll ``completed``.
    min_polls: int = 0
    #: Serve a changed API: the name of a drift of the catalogue (``step1x_edit.sandbox.DRIFTS``),
    #: e.g. ``"outputs-renamed"``. ``None`` serves the API as the spec describes it.
    drift: str | None = None

    def __post_init__(self) -> None:
        if self.drift is not None:
            from ._drift import get_drift

            get_drift(self.drift)  # ValueError naming the known drifts
