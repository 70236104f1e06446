"""Issue 13 item 11: the sandbox answers 400 (with a message) to malformed control directives.

Reproductions: ``[sandbox:fail=<thousands of digits>]`` in a prompt and a ``retry_after``
given as a list to ``POST /_sandbox/faults`` made the sandbox answer 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from step1x_edit.sandbox import SandboxConfig, SandboxServer, serve

KEY = "sandbox-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with serve(SandboxConfig(api_key=KEY, created_seconds=0.0, processing_seconds=0.0)) as running:
        yield running


@pytest.fixture
def http(server: SandboxServer) -> Iterator[httpx.Client]:
    server.sandbox.clear_faults()
    with httpx.Client(base_url=server.base_url) as client:
        yield client


@pytest.mark.parametrize(
    "prompt",
    [
        "make it [sandbox:fail=" + "9" * 5000 + "]",
        "x [sandbox:fail=abc]",
        "x [sandbox:fail=-5]",
        "x [sandbox:fail=99999]",
    ],
)
def test_malformed_fail_directive_is_400(http: httpx.Client, prompt: str) -> None:
    response = http.post(
        "/api/v3/wavespeed-ai/step1x-edit", json={"prompt": prompt, "image": "https://example.com/a.png"}, headers=AUTH
    )
    assert response.status_code == 400, response.text
    assert "sandbox:fail" in response.json()["message"]


def test_good_fail_directive_still_fails_the_task(http: httpx.Client) -> None:
    body = {"prompt": "x [sandbox:fail=1402]", "image": "https://example.com/a.png"}
    created = http.post("/api/v3/wavespeed-ai/step1x-edit", json=body, headers=AUTH).json()["data"]
    result = http.get(f"/api/v3/predictions/{created['id']}/result", headers=AUTH).json()["data"]
    assert (result["status"], result["code"]) == ("failed", 1402)


@pytest.mark.parametrize(
    "fault",
    [
        {"route": "submit", "status": 429, "retry_after": [1]},
        {"route": "submit", "status": 429, "retry_after": {"s": 1}},
        {"route": "submit", "status": 429, "retry_after": float("inf")},
        {"route": "submit", "status": "429"},
        {"route": "submit", "status": True},
        {"route": "submit", "delay": "slow"},
        {"route": "submit", "delay": -1},
        {"route": "submit", "times": "2"},
        {"route": "submit", "times": 2.5},
        {"route": "submit", "skip": [0]},
        {"route": "submit", "process": "yes"},
        {"route": "submit", "message": 5},
        {"route": "submit", "prediction_status": None},
        {"route": ["submit"]},
        "submit:429:retry_after=" + "9" * 5000,
        "submit:" + "9" * 5000,
        "submit:status:times=" + "9" * 5000,
        "submit:delay:delay=nan",
        7,
        [None],
    ],
)
def test_malformed_fault_is_400(http: httpx.Client, fault: Any) -> None:
    import json

    content = json.dumps(fault, allow_nan=True)
    response = http.post("/_sandbox/faults", content=content, headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith("Invalid fault")
    assert http.get("/_sandbox/faults", headers=AUTH).json()["data"]["faults"] == []
