"""The spec itself: it validates, and its facts match the vendor's documentation.

Covers:
* openapi/step1x-edit.yaml is a valid OpenAPI 3.1 document;
* the Step1X-Edit request schema equals the vendor's documented parameter table, written out
  below by hand as an independent oracle (ranges, defaults, required fields, types);
* the documented statuses, error responses and headers are declared;
* every fact carries its standing (x-status: documented / observed / inferred);
* the run-time copy in src/step1x_edit/_spec_data.py agrees with the spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from step1x_edit import _spec_data

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi" / "step1x-edit.yaml"
SUBMIT = "/api/v3/wavespeed-ai/step1x-edit"
RESULT = "/api/v3/predictions/{id}/result"
UPLOAD = "/api/v3/media/upload/binary"
STANDINGS = {"documented", "observed", "inferred"}

# The vendor's table (wavespeed.ai/docs-api/step1x-edit, v3) plus the two documented
# platform flags (/docs/sync-mode, /docs/base64-output). Typed by hand from the docs;
# deliberately not derived from the spec.
NO_DEFAULT = object()
VENDOR_TABLE: dict[str, dict[str, Any]] = {
    "prompt": {"type": "string", "required": True, "default": NO_DEFAULT},
    "image": {"type": "string", "required": True, "default": NO_DEFAULT},
    "negative_prompt": {"type": "string", "required": False, "default": NO_DEFAULT},
    "seed": {"type": "integer", "required": False, "default": NO_DEFAULT, "minimum": -1, "maximum": 2147483647},
    "guidance_scale": {"type": "number", "required": False, "default": 4, "minimum": 0, "maximum": 20},
    "num_inference_steps": {"type": "integer", "required": False, "default": 30, "minimum": 1, "maximum": 50},
    "enable_sync_mode": {"type": "boolean", "required": False, "default": False},
    "enable_base64_output": {"type": "boolean", "required": False, "default": False},
}
DOCUMENTED_STATUSES = ["created", "processing", "completed", "failed"]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def test_spec_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_paths_are_the_documented_endpoints(spec: dict[str, Any]) -> None:
    assert {(path, method) for path, item in spec["paths"].items() for method in item} == {
        (SUBMIT, "post"),
        (RESULT, "get"),
        (UPLOAD, "post"),
    }
    assert spec["servers"][0]["url"] == "https://api.wavespeed.ai"
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        **spec["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    assert spec["security"] == [{"bearerAuth": []}]


@pytest.mark.parametrize("field", sorted(VENDOR_TABLE))
def test_request_field_matches_vendor_table(spec: dict[str, Any], field: str) -> None:
    schema = spec["components"]["schemas"]["EditRequest"]
    expected = VENDOR_TABLE[field]
    actual = schema["properties"][field]
    assert actual["type"] == expected["type"]
    assert (field in schema["required"]) is expected["required"]
    if expected["default"] is NO_DEFAULT:
        # The generated client sends every spec default, so an undocumented one would be billed.
        assert "default" not in actual
    else:
        assert actual["default"] == expected["default"]
    for bound in ("minimum", "maximum"):
        assert actual.get(bound) == expected.get(bound), f"{field}.{bound}"


def test_request_has_exactly_the_documented_fields(spec: dict[str, Any]) -> None:
    schema = spec["components"]["schemas"]["EditRequest"]
    assert set(schema["properties"]) == set(VENDOR_TABLE)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["prompt"]["minLength"] == 1


def test_webhook_is_an_optional_uri_query_parameter(spec: dict[str, Any]) -> None:
    (param,) = spec["paths"][SUBMIT]["post"]["parameters"]
    assert (param["name"], param["in"], param["required"]) == ("webhook", "query", False)
    assert param["schema"] == {"type": "string", "format": "uri"}


def test_statuses_are_documented_and_open(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["KnownPredictionStatus"]["enum"] == DOCUMENTED_STATUSES
    # Any other string is admitted, so an unknown status parses instead of crashing.
    assert {"type": "string", "description": "A status this spec does not list yet."} in schemas["PredictionStatus"][
        "anyOf"
    ]
    assert {"cancelled", "timeout"} <= set(schemas["PredictionStatus"]["x-observed"])


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        (SUBMIT, "post", {"200", "400", "401", "403", "429", "500", "502", "503", "504"}),
        (RESULT, "get", {"200", "400", "401", "403", "404", "429", "500", "502", "503", "504"}),
        (UPLOAD, "post", {"200", "400", "401", "403", "413", "429", "500", "502", "503", "504"}),
    ],
    ids=["submit", "result", "upload"],
)
def test_error_statuses_are_declared(spec: dict[str, Any], path: str, method: str, statuses: set[str]) -> None:
    assert set(spec["paths"][path][method]["responses"]) == statuses


def test_429_declares_optional_retry_after(spec: dict[str, Any]) -> None:
    header = spec["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"]
    assert header["$ref"] == "#/components/headers/RetryAfter"
    assert spec["components"]["headers"]["RetryAfter"]["required"] is False


def test_error_envelope_allows_null_data_and_error_code(spec: dict[str, Any]) -> None:
    envelope = spec["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["properties"]["data"]["type"] == "null"
    assert envelope["properties"]["error_code"]["type"] == "string"
    assert "required" not in envelope
    bad_request = spec["components"]["responses"]["BadRequest"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/BareError"} in bad_request["anyOf"]


def test_prediction_declares_observed_fields(spec: dict[str, Any]) -> None:
    prediction = spec["components"]["schemas"]["Prediction"]
    assert prediction["required"] == ["id", "status"]
    for name in ("executionTime", "input", "code", "timings", "has_nsfw_contents", "urls", "created_at", "error"):
        assert name in prediction["properties"], name
    assert prediction["properties"]["code"]["x-sync-timeout-code"] == 5004
    assert prediction["properties"]["created_at"]["format"] == "date-time"


def _standing_holders(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    holders: list[tuple[str, dict[str, Any]]] = [("info", spec["info"])]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            holders.append((f"{method.upper()} {path}", operation))
    for kind in ("schemas", "responses", "headers", "securitySchemes"):
        holders += [(f"components/{kind}/{name}", node) for name, node in spec["components"][kind].items()]
    holders += [
        (f"EditRequest.{name}", node)
        for name, node in spec["components"]["schemas"]["EditRequest"]["properties"].items()
    ]
    return holders


def test_every_fact_states_its_standing(spec: dict[str, Any]) -> None:
    missing = [name for name, node in _standing_holders(spec) if node.get("x-status") not in STANDINGS]
    assert not missing, f"these lack x-status: documented|observed|inferred: {missing}"


def test_every_field_is_described(spec: dict[str, Any]) -> None:
    undescribed = [
        f"{schema_name}.{prop}"
        for schema_name, schema in spec["components"]["schemas"].items()
        for prop, node in schema.get("properties", {}).items()
        if "$ref" not in node and not node.get("description")
    ]
    assert not undescribed


def test_runtime_facts_agree_with_spec(spec: dict[str, Any]) -> None:
    properties = spec["components"]["schemas"]["EditRequest"]["properties"]
    for field, node in properties.items():
        runtime = _spec_data.EDIT_REQUEST_SCHEMA["properties"][field]
        for keyword in ("type", "minimum", "maximum", "default", "minLength", "pattern"):
            assert runtime.get(keyword) == node.get(keyword), f"{field}.{keyword}"
    assert tuple(DOCUMENTED_STATUSES) == _spec_data.DOCUMENTED_STATUSES
    assert spec["servers"][0]["url"] == _spec_data.DEFAULT_BASE_URL
    assert spec["info"]["version"] == _spec_data.SPEC_VERSION
