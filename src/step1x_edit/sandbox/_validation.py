"""Request validation for the sandbox, interpreted from the spec's EditRequest schema.

The rules come from ``step1x_edit._spec_data.EDIT_REQUEST_SCHEMA`` (derived from the spec); this
module only interprets the JSON Schema keywords that schema uses, so a change to the spec
changes the sandbox without code edits. JSON Schema semantics: integral floats (``30.0``) are
integers, booleans are not numbers.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from step1x_edit._patterns import ecma_pattern
from step1x_edit._spec_data import EDIT_REQUEST_SCHEMA

_SUPPORTED = frozenset(
    {"type", "required", "additionalProperties", "properties", "minLength", "maxLength", "pattern"}
    | {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum", "default", "format"}
)
# An absolute URI (RFC 3986 scheme ":" hier-part), without whitespace or control characters.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f\"<>\\^`{|}]*$")


class RequestInvalid(ValueError):
    """A request the sandbox rejects with 400; ``field`` names the offending input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def parse_json(raw: bytes) -> Any:
    """Parse a request body strictly: no NaN/Infinity literals, UTF-8 only."""

    def _reject(token: str) -> Any:
        raise RequestInvalid(f"Invalid JSON body: {token} is not valid JSON")

    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject)
    except RequestInvalid:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise RequestInvalid(f"Invalid JSON body: {exc}") from None


def is_uri(value: str) -> bool:
    return bool(_URI.match(value))


def _type_ok(value: Any, expected: str) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "object":
        return isinstance(value, dict)
    if expected == "array":
        return isinstance(value, list)
    if expected == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if expected == "integer":
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
    if expected == "number":
        return isinstance(value, int | float) and math.isfinite(value)
    raise NotImplementedError(f"schema type {expected!r}")


def _check(value: Any, schema: dict[str, Any], name: str) -> None:
    unknown = set(schema) - _SUPPORTED - {"description"}
    if unknown:  # pragma: no cover - a spec change the sandbox must learn about
        raise NotImplementedError(f"sandbox validation does not interpret {sorted(unknown)}")
    expected = schema.get("type")
    if expected is not None:
        types = [expected] if isinstance(expected, str) else list(expected)
        if not any(_type_ok(value, t) for t in types):
            raise RequestInvalid(f"Invalid parameter '{name}': expected {' or '.join(types)}", name)
    if "enum" in schema and value not in schema["enum"]:
        raise RequestInvalid(f"Invalid parameter '{name}': must be one of {schema['enum']}", name)
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            raise RequestInvalid(
                f"Invalid parameter '{name}': must be at least {schema['minLength']} character(s)", name
            )
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise RequestInvalid(f"Invalid parameter '{name}': must be at most {schema['maxLength']} characters", name)
        if "pattern" in schema and not ecma_pattern(schema["pattern"]).search(value):
            raise RequestInvalid(f"Invalid parameter '{name}': does not match {schema['pattern']}", name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise RequestInvalid(
                f"Invalid parameter '{name}': {value} is less than the minimum {schema['minimum']}", name
            )
        if "maximum" in schema and value > schema["maximum"]:
            raise RequestInvalid(
                f"Invalid parameter '{name}': {value} is greater than the maximum {schema['maximum']}", name
            )
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            raise RequestInvalid(f"Invalid parameter '{name}': must be > {schema['exclusiveMinimum']}", name)
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            raise RequestInvalid(f"Invalid parameter '{name}': must be < {schema['exclusiveMaximum']}", name)
    if isinstance(value, dict):
        properties: dict[str, Any] = schema.get("properties", {})
        for required in schema.get("required", []):
            if required not in value:
                raise RequestInvalid(f"Missing required parameter '{required}'", required)
        if schema.get("additionalProperties", True) is False:
            extra = sorted(set(value) - set(properties))
            if extra:
                raise RequestInvalid(f"Unknown parameter '{extra[0]}': not accepted by this model", extra[0])
        for key, sub in properties.items():
            if key in value:
                _check(value[key], sub, key)


def unknown_inputs(body: dict[str, Any]) -> list[str]:
    """The names in a submit body the spec's request schema does not list, sorted."""
    return sorted(set(body) - set(EDIT_REQUEST_SCHEMA["properties"]))


def validate_edit_request(body: Any, *, strict: bool = True) -> dict[str, Any]:
    """Validate a parsed submit body against the spec; return it with the spec's defaults filled.

    ``strict=False`` is what the API does with names it does not know: they are dropped (the
    returned body lacks them; ``unknown_inputs`` names them) instead of refused with a 400.
    """
    if not isinstance(body, dict):
        raise RequestInvalid("Invalid request body: expected a JSON object")
    if not strict:
        body = {key: value for key, value in body.items() if key in EDIT_REQUEST_SCHEMA["properties"]}
    _check(body, EDIT_REQUEST_SCHEMA, "body")
    filled = dict(body)
    for key, sub in EDIT_REQUEST_SCHEMA["properties"].items():
        if key not in filled and "default" in sub:
            filled[key] = sub["default"]
    return filled
