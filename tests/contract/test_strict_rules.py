"""The strict contract, rule by rule: what each rule refuses, what stays admitted, and what each tool does.

Each refused body is a mutant of a valid one that the rule named in the test id must catch
(with the rule's name and the JSON path); each admitted body is a plausible real answer the
spec must not reject. Then the tools: jsonschema (here) and openapi-core enforce the if/then
rules, and so does schemathesis (tests/sandbox: the ``missing_fields`` fault's responses are
refused by its ``validate_response``); the generated models stay lenient.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from .spec_check import response_problems

RESULT = "/api/v3/predictions/0123456789abcdef0123456789abcdef/result"
SUBMIT = "/api/v3/wavespeed-ai/step1x-edit"
JSON = {"content-type": ["application/json"]}
COMPLETED: dict[str, Any] = {
    "code": 200,
    "message": "success",
    "data": {
        "id": "0123456789abcdef0123456789abcdef",
        "model": "wavespeed-ai/step1x-edit",
        "outputs": ["https://cdn.example/out.png"],
        "urls": {"get": "https://api.wavespeed.ai/api/v3/predictions/0123456789abcdef0123456789abcdef/result"},
        "has_nsfw_contents": [False],
        "status": "completed",
        "created_at": "2025-09-29T23:09:43.027Z",
        "error": "",
        "executionTime": 10,
        "timings": {"inference": 10},
    },
}


def _with(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(COMPLETED)
    body["data"].update(changes)
    return body


def _problems(body: Any, status: int = 200, path: str = RESULT, headers: dict[str, Any] = JSON) -> list[str]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return response_problems("GET" if path == RESULT else "POST", path, status, headers, raw)


REFUSED = [
    (
        "completed-without-outputs",
        _with(outputs=[], has_nsfw_contents=[]),
        "rule completed-has-outputs",
        "$.data.outputs",
    ),
    ("nsfw-not-one-per-output", _with(has_nsfw_contents=[False, True]), "one per item of outputs", "$.data"),
    ("empty-status", _with(status=""), "of PredictionStatus", "$.data.status"),
    (
        "failed-with-empty-error",
        _with(status="failed", outputs=[], has_nsfw_contents=[], error="", code=1403),
        "rule failed-has-error",
        "$.data.error",
    ),
    (
        "failed-without-code",
        _with(status="failed", outputs=[], has_nsfw_contents=[], error="boom"),
        "rule failed-has-error",
        "$.data",
    ),
    (
        "model-missing",
        {**COMPLETED, "data": {k: v for k, v in COMPLETED["data"].items() if k != "model"}},
        "rule always-sent-fields",
        "$.data",
    ),
    ("empty-object", {}, "is a required property", "$"),
    ("code-200-only", {"code": 200}, "rule success-envelope", "$"),
    ("code-200-data-null", {"code": 200, "data": None}, "", "$"),
    ("error-envelope-without-message", {"code": 500}, "rule error-envelope-has-code-and-message", "$"),
    ("error-envelope-code-200", {"code": 200, "message": "boom", "data": None}, "", "$.data"),
    ("created-at-not-rfc3339", _with(created_at="2025-09-29 23:09:43"), "format", "$.data.created_at"),
]


@pytest.mark.parametrize(("body", "rule", "path"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_rule_refuses(body: Any, rule: str, path: str) -> None:
    problems = _problems(body)
    assert problems, "admitted"
    assert any(rule in p and f"{path}:" in p for p in problems), problems


ADMITTED = [
    ("completed", COMPLETED, 200, JSON),
    ("created-with-empty-outputs", _with(status="created", outputs=[], has_nsfw_contents=[]), 200, JSON),
    ("unknown-status-word", _with(status="queued", outputs=[], has_nsfw_contents=[]), 200, JSON),
    ("error-null", _with(error=None), 200, JSON),
    ("fractional-inference", _with(timings={"inference": 2500.5}), 200, JSON),
    ("unknown-fields", {**_with(queue_position=3), "trace_id": "t"}, 200, JSON),
    ("error-envelope-on-200", {"code": 500, "message": "boom", "data": None}, 200, JSON),
    ("html-502", b"<html>502 Bad Gateway</html>", 502, {"content-type": ["text/html"]}),
    ("plain-500", b"Internal Server Error", 500, {"content-type": ["text/plain"]}),
    ("undeclared-402", {"code": 402, "message": "Insufficient balance"}, 402, JSON),
    ("html-undeclared-520", b"<html>520</html>", 520, {"content-type": ["text/html; charset=utf-8"]}),
]


@pytest.mark.parametrize(("body", "status", "headers"), [a[1:] for a in ADMITTED], ids=[a[0] for a in ADMITTED])
def test_plausible_answers_are_admitted(body: Any, status: int, headers: dict[str, Any]) -> None:
    assert _problems(body, status, headers=headers) == []


def test_openapi_core_enforces_the_rules() -> None:
    from openapi_core import OpenAPI
    from openapi_core.testing import MockRequest, MockResponse

    from .spec_check import SPEC_PATH

    api = OpenAPI.from_file_path(str(SPEC_PATH))
    request = MockRequest("https://api.wavespeed.ai", "get", RESULT)
    api.validate_response(
        request, MockResponse(json.dumps(COMPLETED).encode(), status_code=200, content_type="application/json")
    )
    bad = json.dumps(_with(outputs=[], has_nsfw_contents=[])).encode()
    with pytest.raises(Exception, match=r"(?i)invalid|schema"):
        api.validate_response(request, MockResponse(bad, status_code=200, content_type="application/json"))


def test_generated_models_stay_lenient() -> None:
    """openapi-python-client ignores if/then: the client still parses what the strict spec refuses."""
    from step1x_edit_api.models import PredictionEnvelope

    parsed = PredictionEnvelope.from_dict({"code": 200, "data": {"id": "a", "status": "completed"}})
    assert parsed.data.id == "a"
    assert _problems({"code": 200, "message": "success", "data": {"id": "a", "status": "completed"}})
