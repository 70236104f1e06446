"""Find and classify API drift in recorded cassettes: breaking, compatible or note, with the JSON path.

Two sources of findings, merged:

* ``cassette_findings``: one cassette on its own, against the strict spec and its scenario
  (used offline on every committed cassette, and on fresh live recordings): every spec
  violation is **breaking** (named by its x-rule or keyword); an unknown status word or an
  unknown field is a **note**; an outcome other than the scenario's (a submit now refused with
  400, a lifecycle that no longer ends ``completed``, an error status now answered HTTP 200) is
  breaking, or **compatible** when the client still copes.
* ``shape_findings``: a fresh recording against the committed cassette, by shape rather than
  by count (interactions grouped by request, HTTP status and prediction status, so the number
  of polls never matters): fields gone, types changed, states no longer seen.

Check ids follow oasdiff where one fits (``response-required-property-removed``,
``response-property-type-changed``, ``new-required-request-property``,
``request-property-max-decreased``, ``response-optional-property-added``, ...).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .spec_check import PRESIGNED_PUT, Problem, interactions_errors, operation_for, presigned_puts, spec

_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}
ORDER = {"breaking": 0, "compatible": 1, "note": 2}
_CHECKS = {
    "required": "response-required-property-removed",
    "type": "response-property-type-changed",
    "format": "response-property-format-changed",
    "const": "response-property-value-changed",
    "not": "response-property-value-changed",
    "minItems": "response-property-became-empty",
    "minLength": "response-property-became-empty",
    "x-same-length": "response-property-items-mismatch",
    "enum": "response-property-enum-value-removed",
    "status": "response-status-undeclared",
    "content-type": "response-media-type-undeclared",
    "json": "response-body-not-json",
    # a ticket's PUT to its presigned URL (ours: oasdiff does not see requests)
    "auth": "presigned-put-sent-the-key",
    "method": "presigned-put-method-changed",
    "header": "presigned-put-header-changed",
    "put-status": "presigned-put-refused",
    "request": "request-not-in-spec",
}


def _load_yaml(text: str) -> Any:
    """yaml.safe_load with libyaml's C loader when present (cassettes are read often)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@dataclass(frozen=True)
class Finding:
    verdict: str
    """breaking | compatible | note"""
    check: str
    cassette: str
    where: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.verdict.upper():10} {self.check}: {self.cassette}.yaml {self.where}: {self.path}: {self.message}"


def _body(response: dict[str, Any]) -> Any:
    try:
        return json.loads(response["body"]["string"])
    except (ValueError, TypeError):
        return None


def _template(request: dict[str, Any], presigned: bool = False) -> str:
    from urllib.parse import urlsplit

    if presigned:
        return PRESIGNED_PUT
    path = urlsplit(request["uri"]).path
    try:
        return f"{request['method']} {operation_for(request['method'], path)[0]}"
    except LookupError:
        return f"{request['method']} {path}"


def _where(index: int, interaction: dict[str, Any], presigned: bool = False) -> str:
    return f"#{index} {_template(interaction['request'], presigned)} {interaction['response']['status']['code']}"


def _from_problem(name: str, where: str, problem: Problem) -> Finding:
    path = problem.path
    if problem.keyword == "required" and (match := re.match(r"'([^']+)' is a required property", problem.message)):
        path = f"{path}.{match.group(1)}"
    message = (
        problem.message
        if problem.keyword in ("status", "content-type", "json", "request")
        else f"{problem.message} [{problem.rule}]"
    )
    return Finding("breaking", _CHECKS.get(problem.keyword, "response-schema-violated"), name, where, path, message)


def _known_fields() -> tuple[set[str], set[str]]:
    schemas = spec()["components"]["schemas"]
    envelope = {"code", "message", "data", "error", "error_code"}
    data = set(schemas["Prediction"]["properties"]) | set(schemas["Upload"]["properties"])
    data |= set(schemas["UploadTicket"]["properties"])
    return envelope, data


def _statuses() -> tuple[set[str], set[str]]:
    status = spec()["components"]["schemas"]["PredictionStatus"]
    documented = set(spec()["components"]["schemas"]["KnownPredictionStatus"]["enum"])
    return documented | set(status["x-observed"]), set(status["x-terminal"])


def _error_message(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("message", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return "(no message)"


def cassette_findings(name: str, interactions: list[dict[str, Any]], expect: Any = None) -> list[Finding]:
    """Everything about one cassette that departs from the strict spec or from its scenario.

    ``expect`` is the scenario's expectation (a final status, or an exception class for the
    error scenarios); None checks the spec and the vocabulary only.
    """
    findings: list[Finding] = []
    known_envelope, known_data = _known_fields()
    statuses, terminal = _statuses()
    puts = presigned_puts(interactions)
    problems = interactions_errors(interactions)
    for index, interaction in enumerate(interactions):
        where = _where(index, interaction, index in puts)
        findings += [_from_problem(name, where, p) for i, p in problems if i == index]
        body = _body(interaction["response"])
        if not isinstance(body, dict):
            continue
        for key in sorted(set(body) - known_envelope):
            findings.append(Finding("note", "response-optional-property-added", name, where, f"$.{key}", "new field"))
        data = body.get("data")
        if isinstance(data, dict):
            for key in sorted(set(data) - known_data):
                findings.append(
                    Finding("note", "response-optional-property-added", name, where, f"$.data.{key}", "new field")
                )
            status = data.get("status")
            if isinstance(status, str) and status and status not in statuses:
                findings.append(
                    Finding(
                        "note",
                        "response-property-enum-value-added",
                        name,
                        where,
                        "$.data.status",
                        f"status {status!r} is neither documented nor observed (kept as is by the client)",
                    )
                )
    if interactions and expect is not None:
        findings += _outcome(name, interactions, expect, terminal)
    return sorted(set(findings), key=lambda f: (ORDER[f.verdict], f.cassette, f.where, f.path, f.check))


def _outcome(name: str, interactions: list[dict[str, Any]], expect: Any, terminal: set[str]) -> list[Finding]:
    """The scenario's end, compared with what it should be."""
    last = interactions[-1]
    where = _where(len(interactions) - 1, last, len(interactions) - 1 in presigned_puts(interactions))
    http = last["response"]["status"]["code"]
    body = _body(last["response"])
    code = body.get("code") if isinstance(body, dict) else None
    error = http >= 400 or (isinstance(code, int) and not isinstance(code, bool) and code != 200)
    expected_http = re.fullmatch(r"error_(\d{3})", name)
    if isinstance(expect, str):
        if error:
            message = _error_message(body)
            param = re.search(r"'([A-Za-z_]+)'", message)
            path = f"$.{param.group(1)}" if param else "$"
            check = "response-status-changed"
            if re.search(r"required|missing", message, re.IGNORECASE):
                check = "new-required-request-property"
            elif re.search(r"at most|maximum|must be|range|less than|greater than", message, re.IGNORECASE):
                check = "request-property-max-decreased"
            what = f"the request is now refused: HTTP {http}" + (
                f", envelope code {code}" if code not in (None, http) else ""
            )
            return [Finding("breaking", check, name, where, path, f"{what}: {message} (request parameter {path})")]
        data = body.get("data") if isinstance(body, dict) else None
        status = data.get("status") if isinstance(data, dict) else None
        if expect in terminal and isinstance(data, dict) and status != expect and expect != "uploaded":
            return [
                Finding(
                    "breaking",
                    "response-property-enum-value-removed",
                    name,
                    where,
                    "$.data.status",
                    f"ends {status!r} where the scenario ends {expect!r}: clients never see the end",
                )
            ]
        return []
    if expected_http and isinstance(code, int) and code == int(expected_http.group(1)) and http != code:
        return [
            Finding(
                "compatible",
                "response-status-changed",
                name,
                where,
                "$.code",
                f"HTTP {http} carrying envelope code {code} where the API answered HTTP {code} "
                "(step1x_edit reads the envelope code; clients that trust the HTTP status miss the error)",
            )
        ]
    if expected_http and http != int(expected_http.group(1)) and not error:
        return [
            Finding(
                "breaking",
                "response-status-changed",
                name,
                where,
                "$",
                f"no error where HTTP {expected_http.group(1)} was",
            )
        ]
    return []


# --- shape diff (fresh recording vs committed cassette) --------------------------------------


def shape(value: Any, path: str = "$") -> dict[str, str]:
    """JSON path -> JSON type, for every node; array items are merged under ``[*]``."""
    if isinstance(value, dict):
        found = {path: "object"}
        for key, item in value.items():
            found.update(shape(item, f"{path}.{key}"))
        return found
    if isinstance(value, list):
        found = {path: "array"}
        for item in value:
            found.update(shape(item, f"{path}[*]"))
        return found
    return {path: _TYPES.get(type(value), type(value).__name__)}


def summarize(cassette: Path) -> dict[str, dict[str, str]]:
    """Interactions grouped by (request, HTTP status, prediction status) -> merged body shape.

    Grouping makes the comparison independent of how many polls a run needed.
    """
    data = _load_yaml(cassette.read_text(encoding="utf-8"))
    groups: dict[str, dict[str, str]] = {}
    interactions = data.get("interactions", [])
    puts = presigned_puts(interactions)
    for index, interaction in enumerate(interactions):
        body = _body(interaction["response"])
        inner = body.get("data") if isinstance(body, dict) else None
        status = inner.get("status") if isinstance(inner, dict) else None
        key = f"{_template(interaction['request'], index in puts)} {interaction['response']['status']['code']}"
        key += f" status={status}" if status is not None else ""
        groups.setdefault(key, {}).update(shape(body) if body is not None else {"$": "not JSON"})
    return groups


def shape_findings(name: str, committed: dict[str, dict[str, str]], fresh: dict[str, dict[str, str]]) -> list[Finding]:
    findings: list[Finding] = []
    for key, old in committed.items():
        new = fresh.get(key)
        if new is None:
            findings.append(
                Finding("note", "response-state-not-seen", name, key, "$", "this state was not seen in this run")
            )
            continue
        for path in sorted(set(old) - set(new)):
            if any(path.startswith(other + ".") or path.startswith(other + "[") for other in set(old) - set(new)):
                continue  # the parent is reported
            findings.append(
                Finding(
                    "compatible", "response-optional-property-removed", name, key, path, f"field gone (was {old[path]})"
                )
            )
        for path in sorted(set(old) & set(new)):
            if old[path] != new[path] and "null" not in (old[path], new[path]):
                findings.append(
                    Finding(
                        "breaking",
                        "response-property-type-changed",
                        name,
                        key,
                        path,
                        f"type {old[path]} -> {new[path]}",
                    )
                )
    return findings


def merge(findings: list[Finding]) -> list[Finding]:
    """One finding per (cassette, path, check): the most severe, spec-named one wins."""
    best: dict[tuple[str, str, str], Finding] = {}
    for finding in sorted(findings, key=lambda f: ORDER[f.verdict]):
        key = (finding.cassette, finding.path, finding.check)
        best.setdefault(key, finding)
    # a field the strict spec calls required is reported as removed (breaking), not also as "gone"
    breaking_paths = {(f.cassette, f.path) for f in best.values() if f.verdict == "breaking"}
    kept = [f for f in best.values() if f.verdict == "breaking" or (f.cassette, f.path) not in breaking_paths]
    return sorted(kept, key=lambda f: (ORDER[f.verdict], f.cassette, f.path, f.check))


def compare(committed_dir: Path, fresh_dir: Path, names: list[str], expectations: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    for name in names:
        new_path = fresh_dir / f"{name}.yaml"
        interactions = _load_yaml(new_path.read_text(encoding="utf-8")).get("interactions", [])
        findings += cassette_findings(name, interactions, expectations.get(name))
        old_path = committed_dir / f"{name}.yaml"
        if old_path.exists():
            findings += shape_findings(name, summarize(old_path), summarize(new_path))
        else:
            findings.append(Finding("note", "cassette-new", name, "-", "$", "no committed cassette to compare with"))
    return merge(findings)


def report(findings: list[Finding], target: str) -> str:
    counts = {verdict: sum(f.verdict == verdict for f in findings) for verdict in ORDER}
    out = ["", f"Drift report ({target} vs contracts/cassettes):"]
    out += [f"  {finding}" for finding in findings]
    out.append(f"summary: {counts['breaking']} breaking, {counts['compatible']} compatible, {counts['note']} note")
    if counts["breaking"] or counts["compatible"]:
        out.append(
            "Next: decide whether the API changed; if so edit openapi/step1x-edit.yaml, run scripts/regenerate, "
            "re-record with scripts/record-cassettes, and run ./scripts/test."
        )
    else:
        notes = f" ({counts['note']} note(s) above need no action)" if counts["note"] else ""
        out.append(f"no drift: every recorded response keeps the contract and the committed shapes{notes}")
    return "\n".join(out)
