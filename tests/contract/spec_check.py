"""Validate a recorded response against openapi/step1x-edit.yaml, naming the JSON path that broke.

Uses the spec's own response schemas (local $refs resolved), with format checking, and reports
jsonschema's best match so a failure reads like ``$.data.timings.inference: 'x' is not of type
'integer'`` rather than "not valid under any of the schemas listed in anyOf".
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
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
            return _resolve(target)
        return {key: _resolve(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item) for item in node]
    return node


def operation_for(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The spec's (path template, operation) for a concrete request path."""
    for template, item in spec()["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    raise LookupError(f"{method} {path} is not an operation of the spec")


def response_problems(method: str, path: str, status: int, headers: dict[str, Any], body: bytes) -> list[str]:
    """Everything about this response that breaks the spec; empty when it conforms."""
    template, operation = operation_for(method, path)
    responses = operation["responses"]
    declared = responses.get(str(status))
    if declared is None:
        return [f"{method} {template}: status {status} is not declared (declared: {', '.join(responses)})"]
    declared = _resolve(declared)
    content = declared.get("content", {})
    if not content:
        return []
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), [""])
    content_type = (content_type[0] if isinstance(content_type, list) else content_type).split(";")[0].strip()
    if content_type not in content:
        return [f"{method} {template} {status}: content type {content_type!r} is not declared ({', '.join(content)})"]
    try:
        document = json.loads(body)
    except ValueError as exc:
        return [f"{method} {template} {status}: body is not JSON ({exc})"]
    schema = content[content_type]["schema"]
    errors = list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(document))
    if not errors:
        return []
    best = best_match(errors)
    return [f"{method} {template} {status}: {best.json_path}: {best.message}"]
