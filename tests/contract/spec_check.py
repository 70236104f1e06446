"""Validate a recorded response against openapi/step1x-edit.yaml, naming the JSON path and the rule.

Uses the spec's own response schemas (local $refs resolved), with format checking, plus the one
rule JSON Schema cannot say (``x-same-length``: two arrays with as many items). A failure reads

    GET /api/v3/predictions/{id}/result 200: $.data.outputs: [] should be non-empty [rule completed-has-outputs]

The rule is the ``x-rule`` of the spec's ``allOf`` member that was broken (the strict,
per-status rules), else the JSON Schema keyword and where the spec declares it. For a response
declared as "success envelope or error envelope", the problems of the branch the body meant
(``code`` 200 or a ``data`` object: success) are reported rather than jsonschema's guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.exceptions import best_match

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi" / "step1x-edit.yaml"


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def _resolve(node: Any) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = spec()
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            resolved = _resolve(target)
            return (
                {**resolved, "x-schema-name": node["$ref"].rsplit("/", 1)[-1]}
                if isinstance(resolved, dict)
                else resolved
            )
        return {key: _resolve(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item) for item in node]
    return node


def _same_length(validator: Any, names: list[str], instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    first, second = names
    a, b = instance.get(first), instance.get(second)
    if isinstance(a, list) and isinstance(b, list) and len(a) != len(b):
        yield ValidationError(f"{first} has {len(a)} items but {second} has {len(b)}: one per item of {second}")


StrictValidator = validators.extend(Draft202012Validator, {"x-same-length": _same_length})


def operation_for(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The spec's (path template, operation) for a concrete request path."""
    for template, item in spec()["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    raise LookupError(f"{method} {path} is not an operation of the spec")


def _errors(schema: dict[str, Any], document: Any) -> list[ValidationError]:
    return list(StrictValidator(schema, format_checker=FormatChecker()).iter_errors(document))


def _rule(schema: dict[str, Any], error: ValidationError) -> str:
    """The x-rule the error broke, else its keyword and the schema that declares it."""
    node: Any = schema
    rule, where = None, schema.get("x-schema-name")
    for part in list(error.absolute_schema_path)[:-1]:
        node = node[part]
        if isinstance(node, dict):
            rule = node.get("x-rule", rule)
            where = node.get("x-schema-name", where)
    if rule:
        return f"rule {rule}" + (f" of {where}" if where else "")
    return f"{error.validator} of {where}" if where else str(error.validator)


def _choose(schema: dict[str, Any], document: Any) -> tuple[dict[str, Any], list[ValidationError]]:
    """For anyOf(success, error): the branch the body meant, and its errors."""
    branches = schema.get("anyOf")
    if not branches:
        return schema, _errors(schema, document)
    per_branch = [(branch, _errors(branch, document)) for branch in branches]
    for branch, errors in per_branch:
        if not errors:
            return branch, []
    if isinstance(document, dict):
        meant_success = document.get("code") == 200 or isinstance(document.get("data"), dict)
        success = {"PredictionEnvelope", "UploadEnvelope", "UploadTicketEnvelope"}
        names = success if meant_success else {"ErrorEnvelope", "BareError"}
        meant = [(b, e) for b, e in per_branch if b.get("x-schema-name") in names]
        if meant:  # the error bodies: the shape it is closest to
            return min(meant, key=lambda pair: (len(pair[1]), pair[0].get("x-schema-name") == "BareError"))
    return schema, _errors(schema, document)


@dataclass(frozen=True)
class Problem:
    """One way a response breaks the spec."""

    where: str
    """``METHOD /path/template STATUS``."""
    path: str
    """JSON path in the body (``$`` for the response as a whole)."""
    message: str
    rule: str
    """The spec's x-rule (``rule completed-has-outputs of Prediction``) or keyword and schema."""
    keyword: str
    """The JSON Schema keyword that failed (``required``, ``type``, ``format``, ...; ``status``, ``content-type``,
    ``json``; ``request`` for a request that is no operation of the spec and no ticket's PUT; for a
    ticket's PUT: ``auth``, ``method``, ``header``, ``put-status``)."""

    def __str__(self) -> str:
        if self.keyword in ("status", "content-type", "json", "request"):
            return f"{self.where}: {self.message}"
        return f"{self.where}: {self.path}: {self.message} [{self.rule}]"


def response_errors(method: str, path: str, status: int, headers: dict[str, Any], body: bytes) -> list[Problem]:
    """Everything about this response that breaks the spec, most specific first; empty when it conforms."""
    template, operation = operation_for(method, path)
    responses = operation["responses"]
    declared = responses.get(str(status), responses.get("default"))
    where = f"{method} {template} {status}"
    if declared is None:
        message = f"status {status} is not declared (declared: {', '.join(responses)})"
        return [Problem(f"{method} {template}", "$", message, "responses", "status")]
    declared = _resolve(declared)
    content = declared.get("content", {})
    if not content:
        return []
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), [""])
    content_type = (content_type[0] if isinstance(content_type, list) else content_type).split(";")[0].strip()
    if content_type not in content:
        message = f"content type {content_type!r} is not declared ({', '.join(content)})"
        return [Problem(where, "$", message, "content", "content-type")]
    schema = content[content_type]["schema"]
    if content_type.startswith("text/"):
        document: Any = body.decode("utf-8", errors="replace")
    else:
        try:
            document = json.loads(body)
        except ValueError as exc:
            return [Problem(where, "$", f"body is not JSON ({exc})", "content", "json")]
    branch, errors = _choose(schema, document)
    if not errors:
        return []
    errors.sort(key=lambda e: (-len(e.absolute_path), e.json_path))
    found: dict[str, Problem] = {}
    for error in [best_match(errors), *errors]:
        problem = Problem(where, error.json_path, error.message, _rule(branch, error), str(error.validator))
        found.setdefault(str(problem), problem)
    return list(found.values())


def response_problems(method: str, path: str, status: int, headers: dict[str, Any], body: bytes) -> list[str]:
    """response_errors as lines; empty when the response conforms."""
    return [str(problem) for problem in response_errors(method, path, status, headers, body)]


def interaction_errors(interaction: dict[str, Any]) -> list[Problem]:
    """response_errors for one recorded vcrpy interaction."""
    from urllib.parse import urlsplit

    request, response = interaction["request"], interaction["response"]
    body = response["body"]["string"]
    return response_errors(
        request["method"],
        urlsplit(request["uri"]).path,
        response["status"]["code"],
        response["headers"],
        body.encode() if isinstance(body, str) else bytes(body),
    )


# --- the PUT of an upload ticket's bytes (not an API operation: a presigned URL, usually another host) ---

TICKET_OPERATION = "createUploadTicket"
PRESIGNED_PUT = "PUT {upload.url}"
"""How a ticket's PUT is named in reports (its URL holds a per-upload token)."""


def _json_body(response: dict[str, Any]) -> Any:
    raw = response["body"]["string"]
    try:
        return json.loads(raw)
    except (ValueError, TypeError):
        return None


def _is_ticket_request(request: dict[str, Any]) -> bool:
    from urllib.parse import urlsplit

    try:
        _, operation = operation_for(request["method"], urlsplit(request["uri"]).path)
    except LookupError:
        return False
    return bool(operation.get("operationId") == TICKET_OPERATION)


def presigned_puts(interactions: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Index of each interaction that sends a ticket's bytes -> the ticket's ``data.upload`` instruction.

    The request to a ticket's ``upload.url`` that follows the ticket is its PUT (matched by URL,
    whatever its method, so a wrong method is reported rather than missed).
    """
    found: dict[int, dict[str, Any]] = {}
    for index, interaction in enumerate(interactions):
        if not _is_ticket_request(interaction["request"]):
            continue
        body = _json_body(interaction["response"])
        data = body.get("data") if isinstance(body, dict) else None
        upload = data.get("upload") if isinstance(data, dict) else None
        if not isinstance(upload, dict) or not isinstance(upload.get("url"), str):
            continue
        for later in range(index + 1, len(interactions)):
            if interactions[later]["request"]["uri"] == upload["url"]:
                found[later] = upload
                break
    return found


@cache
def put_rule() -> str:
    """The spec's own words for the PUT (an x-facts entry of createUploadTicket), as a rule name."""
    for item in spec()["paths"].values():
        operation = item.get("post", {})
        if operation.get("operationId") == TICKET_OPERATION:
            for fact in operation.get("x-facts", []):
                if "Authorization" in fact.get("fact", ""):
                    return f"fact of {TICKET_OPERATION} ({fact['x-status']}): {fact['fact']}"
    return f"UploadInstruction of {TICKET_OPERATION}"


def put_errors(interaction: dict[str, Any], upload: dict[str, Any]) -> list[Problem]:
    """How a ticket's PUT departs from the ticket and the spec's ``UploadInstruction``.

    The spec (createUploadTicket, fact observed from the vendor SDK): the bytes go with
    ``upload.method`` to ``upload.url`` with exactly ``upload.headers`` and no Authorization
    header, and any 2xx means stored.
    """
    request, response = interaction["request"], interaction["response"]
    where, rule = PRESIGNED_PUT, put_rule()
    sent = {name.lower(): value for name, value in request["headers"].items()}
    problems = []
    if "authorization" in sent:
        message = "the request to the presigned URL carries an Authorization header: the API key must never go there"
        problems.append(Problem(where, "$request.headers.authorization", message, rule, "auth"))
    if request["method"] != upload.get("method", "PUT"):
        message = f"sent with {request['method']} where the ticket says {upload.get('method')!r}"
        problems.append(Problem(where, "$request.method", message, rule, "method"))
    headers = upload.get("headers")
    for name, value in (headers if isinstance(headers, dict) else {}).items():
        got = sent.get(str(name).lower())
        got = got[0] if isinstance(got, list) and len(got) == 1 else got
        if got != value:
            message = f"header {name} is {got!r} where the ticket says {value!r} (a presigned signature covers it)"
            problems.append(Problem(where, f"$request.headers.{str(name).lower()}", message, rule, "header"))
    status = response["status"]["code"]
    if not 200 <= status < 300:
        message = f"the presigned URL answered HTTP {status}: the bytes were not stored"
        problems.append(Problem(where, "$", message, rule, "put-status"))
    return problems


def interactions_errors(interactions: list[dict[str, Any]]) -> list[tuple[int, Problem]]:
    """(index, problem) for every interaction: API responses against the spec, tickets' PUTs against their ticket."""
    puts = presigned_puts(interactions)
    found: list[tuple[int, Problem]] = []
    for index, interaction in enumerate(interactions):
        if index in puts:
            found += [(index, problem) for problem in put_errors(interaction, puts[index])]
            continue
        try:
            found += [(index, problem) for problem in interaction_errors(interaction)]
        except LookupError as exc:  # e.g. a PUT whose ticket no longer says where to send it
            found.append((index, Problem(f"{interaction['request']['method']} ?", "$", str(exc), "paths", "request")))
    return found


def cassette_problems(name: str, interactions: list[dict[str, Any]]) -> list[str]:
    """Every problem of every interaction, each line naming the cassette and the interaction."""
    return [f"{name}.yaml #{index}: {problem}" for index, problem in interactions_errors(interactions)]
