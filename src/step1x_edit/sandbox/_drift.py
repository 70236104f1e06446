"""A catalogue of API changes ("drifts"), one registry for the tests and the sandbox.

Each :class:`Drift` is a way the real API could change under us. The same entry is used

* by the contract tests, to mutate a committed cassette (``mutate_body`` / ``refusal``) and
  check that the offline suite fails naming the cassette, the JSON path and the rule, or
  passes with a note for the harmless ones;
* by the sandbox's drifted mode (``SandboxConfig(drift="outputs-renamed")``,
  ``step1x-edit sandbox --drift outputs-renamed``), which serves the changed API so that the
  live drift check (``./scripts/test --live`` with ``WAVESPEED_BASE_URL`` pointed at it) can be
  exercised offline.

``verdict`` is what the drift report must call it: ``breaking`` (callers or parsing break),
``compatible`` (different, but the client copes) or ``note`` (nothing to do). ``check`` is the
closest oasdiff check id, so the report speaks the field's vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Verdict = Literal["breaking", "compatible", "note"]
_HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def _data(body: dict[str, Any]) -> dict[str, Any] | None:
    data = body.get("data")
    return data if isinstance(data, dict) and "status" in data else None


def _rename_outputs(body: dict[str, Any]) -> None:
    if (data := _data(body)) is not None and "outputs" in data:
        data["output_list"] = data.pop("outputs")


def _remove_outputs(body: dict[str, Any]) -> None:
    if (data := _data(body)) is not None:
        data.pop("outputs", None)


def _id_as_number(body: dict[str, Any]) -> None:
    data = _data(body)
    if data is not None and isinstance(data.get("id"), str) and _HEX_ID.match(data["id"]):
        data["id"] = int(data["id"][:12], 16)  # a JSON number that maps back (see incoming_id)


def _outputs_as_objects(body: dict[str, Any]) -> None:
    data = _data(body)
    if data is not None and isinstance(data.get("outputs"), list):
        data["outputs"] = [{"url": url} if isinstance(url, str) else url for url in data["outputs"]]


def _status_renamed(body: dict[str, Any]) -> None:
    if (data := _data(body)) is not None and data.get("status") == "completed":
        data["status"] = "succeeded"


def _new_status_word(body: dict[str, Any]) -> None:
    if (data := _data(body)) is not None and data.get("status") == "created":
        data["status"] = "queued"


def _code_retyped(body: dict[str, Any]) -> None:
    if isinstance(body.get("code"), int):
        body["code"] = str(body["code"])


def _code_moved(body: dict[str, Any]) -> None:
    if "code" in body:
        body["meta"] = {"code": body.pop("code")}


def _extra_field(body: dict[str, Any]) -> None:
    if (data := _data(body)) is not None:
        data["queue_position"] = 0


def _download_url_renamed(body: dict[str, Any]) -> None:
    data = body.get("data")
    if isinstance(data, dict) and "download_url" in data:  # an upload, or an upload ticket
        data["url"] = data.pop("download_url")


def _created_at_format(body: dict[str, Any]) -> None:
    data = _data(body)
    if data is not None and isinstance(data.get("created_at"), str):
        # RFC 3339 -> "YYYY-MM-DD HH:MM:SS" without a zone
        data["created_at"] = data["created_at"][:19].replace("T", " ")


@dataclass(frozen=True)
class Drift:
    """One named change of the API, as the tests and the sandbox apply it."""

    name: str
    summary: str
    verdict: Verdict
    check: str
    """The closest oasdiff check id (or ours, when oasdiff has none)."""
    path: str
    """The JSON path the drift report must name."""
    mutate_body: Callable[[dict[str, Any]], None] | None = None
    """Changes a JSON response body in place (success envelopes and error envelopes alike)."""
    refusal: str | None = None
    """A 400 message the server now answers submits with (request-side drifts)."""
    refuses: Callable[[Mapping[str, Any]], bool] = field(default=lambda _body: True)
    """Which submit bodies the server refuses (with ``refusal``)."""
    errors_as_200: bool = False
    """Error statuses are answered HTTP 200 with the same error envelope."""
    cassettes: tuple[str, ...] = ()
    """Committed cassettes the tests mutate to prove the drift caught offline."""

    def apply_to_body(self, body: Any) -> Any:
        """The body as the drifted API would send it (a copy is not made)."""
        if self.mutate_body is not None and isinstance(body, dict):
            self.mutate_body(body)
        return body

    def matches_id(self, task_id: str, sent: str) -> bool:
        """Whether an id a client sends back names this task (``id-as-number`` sends the number)."""
        return self.mutate_body is _id_as_number and sent.isdigit() and int(task_id[:12], 16) == int(sent)


def _narrowed(body: Mapping[str, Any]) -> bool:
    value = body.get("guidance_scale")
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 10


CATALOGUE: tuple[Drift, ...] = (
    Drift(
        "outputs-renamed",
        "data.outputs renamed to data.output_list",
        "breaking",
        "response-required-property-removed",
        "$.data.outputs",
        _rename_outputs,
        cassettes=("result_lifecycle", "sync_completed", "base64_output", "extra_fields", "submit_accepted"),
    ),
    Drift(
        "outputs-removed",
        "data.outputs no longer sent",
        "breaking",
        "response-required-property-removed",
        "$.data.outputs",
        _remove_outputs,
        cassettes=("result_lifecycle", "result_failed", "sync_timeout_5004"),
    ),
    Drift(
        "id-as-number",
        "data.id sent as a JSON number",
        "breaking",
        "response-property-type-changed",
        "$.data.id",
        _id_as_number,
        cassettes=("submit_accepted", "result_lifecycle", "webhook_submit"),
    ),
    Drift(
        "outputs-as-objects",
        'data.outputs items sent as {"url": ...} objects',
        "breaking",
        "response-property-type-changed",
        "$.data.outputs[0]",
        _outputs_as_objects,
        cassettes=("result_lifecycle", "sync_completed", "base64_output"),
    ),
    Drift(
        "status-word-changed",
        "status 'completed' renamed 'succeeded'",
        "breaking",
        "response-property-enum-value-removed",
        "$.data.status",
        _status_renamed,
        cassettes=("result_lifecycle", "sync_completed", "extra_fields"),
    ),
    Drift(
        "new-status-word",
        "a new status 'queued' before processing",
        "note",
        "response-property-enum-value-added",
        "$.data.status",
        _new_status_word,
        cassettes=("submit_accepted", "result_lifecycle"),
    ),
    Drift(
        "envelope-code-retyped",
        'envelope code sent as a string ("200")',
        "breaking",
        "response-property-type-changed",
        "$.code",
        _code_retyped,
        cassettes=("submit_accepted", "result_lifecycle", "error_404", "upload", "upload_ticket"),
    ),
    Drift(
        "envelope-code-moved",
        "envelope code moved under meta.code",
        "breaking",
        "response-required-property-removed",
        "$.code",
        _code_moved,
        cassettes=("submit_accepted", "error_401", "upload", "upload_ticket"),
    ),
    Drift(
        "error-as-http-200",
        "errors answered HTTP 200 with the error envelope (was the error status)",
        "compatible",
        "response-status-changed",
        "$.code",
        errors_as_200=True,
        cassettes=("error_401", "error_404", "error_403"),
    ),
    Drift(
        "new-required-request-field",
        "submits without a new field aspect_ratio are refused with 400",
        "breaking",
        "new-required-request-property",
        "$.aspect_ratio",
        refusal="Missing required parameter 'aspect_ratio'",
        cassettes=("submit_accepted", "result_lifecycle"),
    ),
    Drift(
        "guidance-range-narrowed",
        "guidance_scale above 10 refused with 400 (documented maximum 20)",
        "breaking",
        "request-property-max-decreased",
        "$.guidance_scale",
        refusal="Invalid parameter 'guidance_scale': must be at most 10",
        refuses=_narrowed,
        cassettes=("result_lifecycle",),
    ),
    Drift(
        "extra-field",
        "a new field data.queue_position",
        "note",
        "response-optional-property-added",
        "$.data.queue_position",
        _extra_field,
        cassettes=("submit_accepted", "result_lifecycle", "result_failed"),
    ),
    Drift(
        "created-at-format",
        'created_at sent as "YYYY-MM-DD HH:MM:SS" without a zone',
        "breaking",
        "response-property-format-changed",
        "$.data.created_at",
        _created_at_format,
        cassettes=("submit_accepted", "result_lifecycle", "unknown_status"),
    ),
    Drift(
        "download-url-renamed",
        "data.download_url of uploads and upload tickets renamed to data.url",
        "breaking",
        "response-required-property-removed",
        "$.data.download_url",
        _download_url_renamed,
        cassettes=("upload", "upload_ticket"),
    ),
)
DRIFTS: dict[str, Drift] = {drift.name: drift for drift in CATALOGUE}


def get_drift(name: str) -> Drift:
    """The catalogue entry called ``name``; ValueError listing the names otherwise."""
    try:
        return DRIFTS[name]
    except KeyError:
        raise ValueError(f"unknown drift {name!r}; expected one of {', '.join(DRIFTS)}") from None
