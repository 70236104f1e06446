"""Check Step1X-Edit parameters against the spec's request schema before anything is sent.

The rules come from ``_spec_data.EDIT_REQUEST_SCHEMA``, which scripts/regenerate derives from
openapi/step1x-edit.yaml: ranges, types, required fields, the image pattern and the list of
allowed names are read from there, never retyped here. On top of JSON Schema this rejects
NaN and infinities (JSON cannot carry them), and bools where numbers belong.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from ._exceptions import InvalidParameterError
from ._params import EDIT_PARAM_HELP, EDIT_PARAM_TYPES
from ._patterns import ecma_pattern
from ._spec_data import EDIT_REQUEST_SCHEMA

__all__ = ["ALLOWED_FIELDS", "edit_params_signature", "validate_edit_params", "validate_field"]

_F = TypeVar("_F", bound=Callable[..., Any])

_PROPERTIES: Mapping[str, Mapping[str, Any]] = EDIT_REQUEST_SCHEMA["properties"]
_REQUIRED: tuple[str, ...] = tuple(EDIT_REQUEST_SCHEMA["required"])
ALLOWED_FIELDS: frozenset[str] = frozenset(_PROPERTIES)


def _range_text(rule: Mapping[str, Any], kind: str) -> str:
    low, high = rule.get("minimum"), rule.get("maximum")
    if low is not None and high is not None:
        return f"{kind} from {low} to {high} inclusive"
    if low is not None:
        return f"{kind} >= {low}"
    if high is not None:
        return f"{kind} <= {high}"
    return kind


def _string_check(name: str, rule: Mapping[str, Any]) -> Callable[[Any], Any]:
    min_length = rule.get("minLength", 0)
    pattern = rule.get("pattern")

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise InvalidParameterError(name, value, "a string")
        if not value.isascii():  # ASCII text cannot hold a lone surrogate
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InvalidParameterError(
                    name,
                    value,
                    f"valid Unicode text (a lone surrogate {value[exc.start]!r} at index {exc.start} cannot be sent)",
                ) from None
        if len(value) < min_length:
            raise InvalidParameterError(name, value, "a non-empty string")
        if pattern is not None and ecma_pattern(pattern).search(value) is None:
            raise InvalidParameterError(name, value, f"a string matching {pattern}")
        return value

    return check


def _boolean_check(name: str, _rule: Mapping[str, Any]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, bool):
            raise InvalidParameterError(name, value, "true or false")
        return value

    return check


def _number_check(name: str, rule: Mapping[str, Any]) -> Callable[[Any], Any]:
    integer = rule["type"] == "integer"
    kind = "an integer" if integer else "a number"
    low, high = rule.get("minimum"), rule.get("maximum")

    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidParameterError(name, value, _range_text(rule, kind))
        if isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidParameterError(name, value, _range_text(rule, "a finite number"))
            if integer:
                if not value.is_integer():
                    raise InvalidParameterError(name, value, _range_text(rule, "a whole number"))
                value = int(value)  # JSON Schema counts 30.0 as an integer; send it as 30
        if (low is not None and value < low) or (high is not None and value > high):
            raise InvalidParameterError(name, value, _range_text(rule, kind))
        return value

    return check


def _unhandled_check(name: str, rule: Mapping[str, Any]) -> Callable[[Any], Any]:
    def check(_value: Any) -> Any:
        raise AssertionError(f"spec type {rule['type']!r} of {name} is not handled; update _validation.py")

    return check


_CHECK_MAKERS = {"string": _string_check, "boolean": _boolean_check, "integer": _number_check, "number": _number_check}
# One check per spec field, made once from its rule (validation runs on every submit).
_CHECKS: dict[str, Callable[[Any], Any]] = {
    name: _CHECK_MAKERS.get(rule["type"], _unhandled_check)(name, rule) for name, rule in _PROPERTIES.items()
}


def validate_field(name: str, value: Any) -> Any:
    """Return ``value`` as it will be sent, or raise InvalidParameterError naming what is allowed."""
    check = _CHECKS.get(name)
    if check is None:
        import difflib  # only on this error path

        allowed = ", ".join(sorted(ALLOWED_FIELDS))
        close = difflib.get_close_matches(name, sorted(ALLOWED_FIELDS), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InvalidParameterError(name, value, f"{hint}unknown parameter; Step1X-Edit accepts: {allowed}")
    return check(value)


def validate_edit_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a whole request body; return the JSON body to send.

    Raises InvalidParameterError for the first problem found: an unknown name, a missing required field, a wrong type or a value out of
    range. Never sends anything.
    """
    body: dict[str, Any] = {}
    for name, value in params.items():
        check = _CHECKS.get(name)
        body[name] = check(value) if check is not None else validate_field(name, value)
    for name in _REQUIRED:
        if name not in body:
            raise InvalidParameterError(name, None, "required")
    return body


def _rule_text(name: str) -> str:
    rule = _PROPERTIES[name]
    kind = {"integer": "an integer", "number": "a number", "string": "a string", "boolean": "true or false"}
    text = _range_text(rule, kind.get(rule["type"], rule["type"]))
    return text + (f"; server default {rule['default']}" if "default" in rule else "; not sent unless given")


def edit_params_signature(method: _F) -> _F:
    """Show each EditParams field in ``inspect.signature``/``help()`` of ``method`` (range included).

    The static type stays ``**params: Unpack[EditParams]`` (what mypy checks); this rewrites only
    the run-time signature (``**params`` becomes one keyword per spec field, default None = not
    sent) and appends each field's help text, both taken from the generated ``_params``.
    """
    signature = inspect.signature(method)
    fields = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[EDIT_PARAM_TYPES[name], _rule_text(name)],
        )
        for name in EDIT_PARAM_HELP
    ]
    kept = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    method.__signature__ = signature.replace(parameters=[*kept, *fields])  # type: ignore[attr-defined]
    lines = [f"    {name}: {text}" for name, text in EDIT_PARAM_HELP.items()]
    doc = inspect.cleandoc(method.__doc__ or "")
    method.__doc__ = doc + "\n\nStep1X-Edit parameters (``**params``, from the spec):\n\n" + "\n".join(lines) + "\n"
    return method
