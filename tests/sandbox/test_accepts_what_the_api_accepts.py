"""The sandbox accepts what the API accepts (issue 16): unknown inputs dropped (or refused with
``strict_inputs``), the ``media/uploads`` ticket + PUT flow the vendor's SDKs use, and the
``X-Client-*`` attribution headers. Responses to spec operations are checked with ``conforms``.

Mutations each test catches: refusing unknown names again (400); dropping nothing (the echo
keeps them); a strict sandbox accepting them; a missing ticket route (404); a PUT target that
needs or tolerates the API key; bytes served before the PUT or not served after it; a ticket
answer without ``upload`` (fails the spec).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sandbox_support import SAMPLE, conforms

from step1x_edit.sandbox import SandboxServer

SUBMIT = "/api/v3/wavespeed-ai/step1x-edit"
TICKET = "/api/v3/media/uploads"
IMAGE = "https://example.com/photo.png"
# What WaveSpeedAI/mcp-server's image_to_image tool sends besides the model's own inputs.
MCP_EXTRAS = {"enable_safety_checker": True, "images": [IMAGE]}


def _webhook_body(server: SandboxServer) -> dict[str, Any]:
    for _ in range(500):  # the delivery is a background task; wait for it (no timing asserted)
        if server.sandbox.webhooks:
            body: dict[str, Any] = json.loads(server.sandbox.webhooks[0].body)
            return body
        time.sleep(0.01)
    raise AssertionError("no webhook delivery recorded")


def test_unknown_inputs_are_dropped_logged_and_named(
    api: httpx.Client, server: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"prompt": "make the sky purple", "image": IMAGE, "seed": 3, **MCP_EXTRAS}
    with caplog.at_level(logging.INFO, logger="step1x_edit.sandbox"):
        # A loopback port nothing listens on: the delivery fails, but its body is recorded.
        response = conforms(api.post(SUBMIT, params={"webhook": "http://127.0.0.1:9/hook"}, json=body))
    assert response.status_code == 200, response.text
    assert response.headers["x-sandbox-dropped-inputs"] == "enable_safety_checker,images"
    assert server.sandbox.stats["inputs_dropped"] == 2
    assert "dropped unknown input(s) enable_safety_checker, images" in caplog.text
    echo = _webhook_body(server)["input"]
    assert (echo["seed"], echo["prompt"]) == (3, "make the sky purple")
    assert not set(MCP_EXTRAS) & set(echo), echo
    pid = response.json()["data"]["id"]
    assert conforms(api.get(f"/api/v3/predictions/{pid}/result")).json()["data"]["status"] == "completed"


def test_known_inputs_only_carry_no_dropped_header(api: httpx.Client, server: SandboxServer) -> None:
    response = conforms(api.post(SUBMIT, json={"prompt": "x", "image": IMAGE}))
    assert response.status_code == 200
    assert "x-sandbox-dropped-inputs" not in response.headers
    assert server.sandbox.stats["inputs_dropped"] == 0


def test_dropped_names_do_not_excuse_invalid_known_ones(api: httpx.Client) -> None:
    response = conforms(api.post(SUBMIT, json={"prompt": "x", "image": IMAGE, "seed": -5, **MCP_EXTRAS}))
    assert response.status_code == 400
    assert "'seed'" in response.json()["message"]


@pytest.mark.parametrize("name", ["strength", "enable_safety_checker"])
def test_strict_inputs_refuses_unknown_names_naming_them(make_server: Callable[..., SandboxServer], name: str) -> None:
    server = make_server(strict_inputs=True)
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers) as api:
        response = conforms(api.post(SUBMIT, json={"prompt": "x", "image": IMAGE, name: True}))
    assert response.status_code == 400
    assert f"'{name}'" in response.json()["message"]
    assert server.sandbox.stats["tasks_created"] == 0


def test_client_attribution_headers_are_accepted_and_ignored(api: httpx.Client) -> None:
    headers = {"X-Client-Name": "wavespeed-python", "X-Client-Version": "2.0.5", "X-Client-OS": "linux"}
    response = conforms(api.post(SUBMIT, json={"prompt": "x", "image": IMAGE}, headers=headers))
    assert response.status_code == 200
    pid = response.json()["data"]["id"]
    assert conforms(api.get(f"/api/v3/predictions/{pid}/result", headers=headers)).status_code == 200


def _ticket(api: httpx.Client, **body: Any) -> httpx.Response:
    body.setdefault("filename", "sample.png")
    body.setdefault("size", len(SAMPLE.read_bytes()))
    return conforms(api.post(TICKET, json=body))


def test_ticket_then_put_without_key_stores_the_bytes(api: httpx.Client, server: SandboxServer) -> None:
    png = SAMPLE.read_bytes()
    response = _ticket(api, content_type="image/png")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["type"], data["filename"], data["size"]) == ("image", "sample.png", len(png))
    upload = data["upload"]
    assert upload["method"] == "PUT"
    assert upload["headers"] == {"Content-Type": "image/png"}
    assert httpx.get(data["download_url"]).status_code == 404  # nothing stored before the PUT
    with httpx.Client() as storage:  # no default headers: what a presigned URL gets
        put = storage.request(upload["method"], upload["url"], content=png, headers=upload["headers"])
    assert put.status_code == 200, put.text
    served = httpx.get(data["download_url"])
    assert (served.status_code, served.content) == (200, png)
    assert server.sandbox.stats["tickets_stored"] == 1
    # The download_url is usable as the image: the task renders the uploaded picture.
    pid = conforms(api.post(SUBMIT, json={"prompt": "x", "image": data["download_url"]})).json()["data"]["id"]
    result = conforms(api.get(f"/api/v3/predictions/{pid}/result")).json()["data"]
    assert result["status"] == "completed"


def test_ticket_content_type_is_guessed_from_the_name(api: httpx.Client) -> None:
    data = _ticket(api, filename="photo.jpeg").json()["data"]
    assert data["upload"]["headers"] == {"Content-Type": "image/jpeg"}


def test_put_with_the_api_key_is_refused(api: httpx.Client) -> None:
    upload = _ticket(api, content_type="image/png").json()["data"]["upload"]
    put = api.put(upload["url"], content=SAMPLE.read_bytes(), headers=upload["headers"])  # api carries the key
    assert put.status_code == 400
    assert "Authorization" in put.text


def test_put_with_another_content_type_or_unknown_url_is_refused(api: httpx.Client, server: SandboxServer) -> None:
    upload = _ticket(api, content_type="image/png").json()["data"]["upload"]
    with httpx.Client() as storage:
        assert storage.put(upload["url"], content=b"x", headers={"Content-Type": "image/gif"}).status_code == 403
        assert storage.put(f"{server.base_url}/_sandbox/uploads/{'0' * 32}", content=b"x").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"filename": ""}, 400, 400),
        ({"size": -1}, 400, 400),
        ({"size": "12"}, 400, 400),
        ({"size": 10**12}, 413, 413),
        ({"filename": "notes.txt"}, 200, 500),  # HTTP 200 + error envelope, as on the multipart endpoint
    ],
)
def test_ticket_errors(api: httpx.Client, body: dict[str, Any], status: int, code: int) -> None:
    response = _ticket(api, **body)
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_ticket_needs_the_key(server: SandboxServer) -> None:
    response = conforms(httpx.post(f"{server.base_url}{TICKET}", json={"filename": "a.png", "size": 1}))
    assert response.status_code == 401
