"""Helpers for the sandbox tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

from pathlib import Path

import httpx
import schemathesis

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "step1x-edit.yaml"
SAMPLE = Path(__file__).resolve().parents[2] / "src" / "step1x_edit" / "sandbox" / "assets" / "sample.png"
_SCHEMA = schemathesis.openapi.from_path(str(SPEC))
_OPERATIONS = {
    ("POST", "/api/v3/wavespeed-ai/step1x-edit"): "/api/v3/wavespeed-ai/step1x-edit",
    ("POST", "/api/v3/media/upload/binary"): "/api/v3/media/upload/binary",
    ("POST", "/api/v3/media/uploads"): "/api/v3/media/uploads",
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def conforms(response: httpx.Response) -> httpx.Response:
    """Assert that a sandbox response to a spec operation validates against the spec."""
    response.read()
    response.request.read()  # multipart bodies are streams; schemathesis reads the request
    method, path = response.request.method, response.request.url.path
    template = _OPERATIONS.get((method, path))
    if template is None and path.startswith("/api/v3/predictions/") and path.endswith("/result"):
        template = "/api/v3/predictions/{id}/result"
    assert template is not None, f"not a spec operation: {method} {path}"
    _SCHEMA[template][method].validate_response(response)
    return response
