"""The sandbox over a real loopback socket: auth, validation, lifecycle, uploads, modes, faults.

Every response to a spec operation is checked against the spec with ``conforms`` (schemathesis'
``APIOperation.validate_response``), except the deliberately invalid fault responses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from PIL import Image
from sandbox_support import SAMPLE, FakeClock, conforms

from step1x_edit._spec_data import EDIT_REQUEST_SCHEMA, SYNC_TIMEOUT_TASK_CODE, WEBHOOK_SIGNATURE
from step1x_edit.sandbox import ACTIONS, INVALID_RESPONSE_ACTIONS, Fault, SandboxConfig, SandboxServer, create_app

SUBMIT = "/api/v3/wavespeed-ai/step1x-edit"
UPLOAD = "/api/v3/media/upload/binary"
IMAGE = "https://example.com/photo.png"


def result(api: httpx.Client, pid: str) -> httpx.Response:
    return conforms(api.get(f"/api/v3/predictions/{pid}/result"))


def submit(api: httpx.Client, **body: Any) -> httpx.Response:
    body.setdefault("prompt", "make the sky purple")
    body.setdefault("image", IMAGE)
    return conforms(api.post(SUBMIT, json=body))


def upload_sample(api: httpx.Client) -> str:
    response = conforms(api.post(UPLOAD, files={"file": ("sample.png", SAMPLE.read_bytes(), "image/png")}))
    assert response.status_code == 200
    url: str = response.json()["data"]["download_url"]
    return url


# -- auth ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic c2FuZGJveC1rZXk=", "Bearer"])
def test_missing_or_wrong_key_is_401_envelope(server: SandboxServer, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    with httpx.Client(base_url=server.base_url, headers=headers) as client:
        for response in (
            client.post(SUBMIT, json={"prompt": "x", "image": IMAGE}),
            client.get(f"/api/v3/predictions/{'a' * 32}/result"),
            client.post(UPLOAD, files={"file": ("a.png", SAMPLE.read_bytes(), "image/png")}),
        ):
            conforms(response)
            assert response.status_code == 401
            body = response.json()
            assert body["code"] == 401
            assert body["data"] is None
            assert body["message"]
    assert server.sandbox.stats["auth_failed"] == 3
    assert server.sandbox.stats["tasks_created"] == 0


# -- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"image": IMAGE}, "prompt"),
        ({"prompt": "x"}, "image"),
        ({"prompt": "", "image": IMAGE}, "prompt"),
        ({"prompt": "x", "image": "not a url"}, "image"),
        ({"prompt": "x", "image": IMAGE, "seed": -2}, "seed"),
        ({"prompt": "x", "image": IMAGE, "seed": 2147483648}, "seed"),
        ({"prompt": "x", "image": IMAGE, "seed": 1.5}, "seed"),
        ({"prompt": "x", "image": IMAGE, "seed": True}, "seed"),
        ({"prompt": "x", "image": IMAGE, "guidance_scale": 20.5}, "guidance_scale"),
        ({"prompt": "x", "image": IMAGE, "guidance_scale": "4"}, "guidance_scale"),
        ({"prompt": "x", "image": IMAGE, "num_inference_steps": 0}, "num_inference_steps"),
        ({"prompt": "x", "image": IMAGE, "num_inference_steps": 51}, "num_inference_steps"),
        ({"prompt": "x", "image": IMAGE, "enable_sync_mode": "yes"}, "enable_sync_mode"),
    ],
)
def test_invalid_body_is_400_naming_the_field(api: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = conforms(api.post(SUBMIT, json=body))
    assert response.status_code == 400
    assert f"'{field}'" in response.json()["message"]
    assert response.json()["code"] == 400


def test_ranges_come_from_the_spec(api: httpx.Client) -> None:
    props = EDIT_REQUEST_SCHEMA["properties"]
    top = props["num_inference_steps"]["maximum"]
    assert submit(api, num_inference_steps=top).status_code == 200
    assert (
        conforms(api.post(SUBMIT, json={"prompt": "x", "image": IMAGE, "num_inference_steps": top + 1})).status_code
        == 400
    )


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b'{"prompt": "x", "image": "https://a.b/c", "guidance_scale": NaN}', "application/json"),
        (b'{"prompt": "x", "image": "https://a.b/c", "guidance_scale": Infinity}', "application/json"),
        (b'{"prompt": "x", "image": "https://a.b/c", "seed": -Infinity}', "application/json"),
        (b'{"prompt": "x", "image": ', "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b'{"prompt": "x", "image": "https://a.b/c"}', "text/plain"),
        (b'{"prompt": "x", "image": "https://a.b/c"}', ""),
    ],
)
def test_bad_json_or_content_type_is_400(api: httpx.Client, raw: bytes, content_type: str) -> None:
    response = conforms(api.post(SUBMIT, content=raw, headers={"Content-Type": content_type}))
    assert response.status_code == 400
    assert response.json()["code"] == 400


def test_integral_floats_are_integers_and_defaults_apply(api: httpx.Client) -> None:
    response = submit(api, seed=7.0, num_inference_steps=20.0, guidance_scale=0)
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "completed" or response.json()["data"]["status"] == "created"


def test_data_uri_and_json_charset_accepted(api: httpx.Client) -> None:
    data_uri = "data:image/png;base64," + base64.b64encode(SAMPLE.read_bytes()).decode()
    body = json.dumps({"prompt": "x", "image": data_uri}).encode()
    response = conforms(api.post(SUBMIT, content=body, headers={"Content-Type": "application/json; charset=utf-8"}))
    assert response.status_code == 200


def test_webhook_must_be_a_uri(api: httpx.Client) -> None:
    response = conforms(api.post(SUBMIT, params={"webhook": "not a uri"}, json={"prompt": "x", "image": IMAGE}))
    assert response.status_code == 400
    assert "'webhook'" in response.json()["message"]


# -- lifecycle -------------------------------------------------------------------------------------
def test_lifecycle_created_processing_completed(make_server: Callable[..., SandboxServer], clock: FakeClock) -> None:
    server = make_server(created_seconds=1.0, processing_seconds=2.0, clock=clock)
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}) as api:
        created = submit(api, seed=5).json()["data"]
        pid = created["id"]
        assert len(pid) == 32
        assert pid == pid.lower()
        assert int(pid, 16) >= 0
        assert created["status"] == "created"
        assert created["outputs"] == []
        assert created["has_nsfw_contents"] == []
        assert created["urls"]["get"] == f"{server.base_url}/api/v3/predictions/{pid}/result"
        assert created["model"] == "wavespeed-ai/step1x-edit"
        assert created["created_at"].endswith("Z")
        assert result(api, pid).json()["data"]["status"] == "created"
        clock.advance(1.5)
        assert result(api, pid).json()["data"]["status"] == "processing"
        clock.advance(2.0)
        done = result(api, pid).json()
        assert done["code"] == 200
        assert done["message"] == "success"
        data = done["data"]
        assert data["status"] == "completed"
        assert data["error"] == ""
        assert len(data["outputs"]) == 1
        assert data["has_nsfw_contents"] == [False]
        png = httpx.get(data["outputs"][0])
        assert png.status_code == 200
        assert png.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(png.content)).format == "PNG"
        assert "Authorization" not in png.request.headers


def test_outputs_are_deterministic_transforms_of_the_upload(api: httpx.Client) -> None:
    url = upload_sample(api)

    def output(prompt: str, seed: int) -> bytes:
        pid = submit(api, image=url, prompt=prompt, seed=seed).json()["data"]["id"]
        data = result(api, pid).json()["data"]
        return httpx.get(data["outputs"][0]).content

    first, again, other = output("sky", 1), output("sky", 1), output("grass", 1)
    assert first == again
    assert first != other
    with Image.open(io.BytesIO(first)) as out, Image.open(SAMPLE) as sample:
        assert out.size == sample.size


def test_external_urls_become_placeholders_never_fetched(api: httpx.Client) -> None:
    pid = submit(api, image="https://203.0.113.9/never-fetched.png").json()["data"]["id"]
    data = result(api, pid).json()["data"]
    assert data["status"] == "completed"
    assert Image.open(io.BytesIO(httpx.get(data["outputs"][0]).content)).size == (256, 256)


def test_strict_images_fails_external_urls_with_1402(make_server: Callable[..., SandboxServer]) -> None:
    server = make_server(strict_images=True)
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}) as api:
        pid = submit(api).json()["data"]["id"]
        data = result(api, pid).json()["data"]
        assert data["status"] == "failed"
        assert data["code"] == 1402
        assert data["outputs"] == []
        assert "download" in data["error"]
        own = upload_sample(api)
        assert result(api, submit(api, image=own).json()["data"]["id"]).json()["data"]["status"] == "completed"


@pytest.mark.parametrize(("prompt", "code"), [("x [sandbox:fail]", 1403), ("[sandbox:fail=1402] x", 1402)])
def test_prompt_marker_fails_the_task(api: httpx.Client, prompt: str, code: int) -> None:
    data = result(api, submit(api, prompt=prompt).json()["data"]["id"]).json()["data"]
    assert data["status"] == "failed"
    assert data["code"] == code
    assert data["error"]


def test_undecodable_data_uri_fails_the_task(api: httpx.Client) -> None:
    data = result(api, submit(api, image="data:image/png;base64,AAAA").json()["data"]["id"]).json()["data"]
    assert data["status"] == "failed"
    assert data["code"] == 1401


@pytest.mark.parametrize("pid", ["0" * 32, "not-an-id", "A" * 32])
def test_unknown_id_is_404_envelope(api: httpx.Client, pid: str) -> None:
    response = result(api, pid)
    assert response.status_code == 404
    assert response.json()["code"] == 404


# -- upload ----------------------------------------------------------------------------------------
def test_upload_returns_a_served_download_url(api: httpx.Client) -> None:
    response = conforms(api.post(UPLOAD, files={"file": ("my photo.png", SAMPLE.read_bytes(), "image/png")}))
    data = response.json()["data"]
    assert data["type"] == "image"
    assert data["size"] == len(SAMPLE.read_bytes())
    assert data["filename"] == "my_photo.png"
    fetched = httpx.get(data["download_url"])
    assert fetched.status_code == 200
    assert fetched.content == SAMPLE.read_bytes()


def test_upload_too_large_is_413(make_server: Callable[..., SandboxServer]) -> None:
    server = make_server(max_upload_bytes=1000)
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}) as api:
        response = conforms(api.post(UPLOAD, files={"file": ("big.png", b"\x89PNG" + b"0" * 5000, "image/png")}))
        assert response.status_code == 413
        assert response.json()["code"] == 413


def test_upload_errors(api: httpx.Client) -> None:
    bad_type = conforms(api.post(UPLOAD, files={"file": ("a.txt", b"hello", "text/plain")}))
    assert bad_type.status_code == 200
    assert bad_type.json()["code"] == 500
    missing = conforms(api.post(UPLOAD, files={"other": ("a.png", SAMPLE.read_bytes(), "image/png")}))
    assert missing.status_code == 400
    assert "'file'" in missing.json()["message"]
    not_multipart = conforms(api.post(UPLOAD, json={"file": "x"}))
    assert not_multipart.status_code == 400


# -- sync, base64, webhooks --------------------------------------------------------------------------
def test_sync_mode_holds_until_done(make_server: Callable[..., SandboxServer]) -> None:
    server = make_server(processing_seconds=0.2)
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}) as api:
        data = submit(api, enable_sync_mode=True).json()["data"]
        assert data["status"] == "completed"
        assert len(data["outputs"]) == 1


def test_sync_mode_timeout_is_200_processing_5004(make_server: Callable[..., SandboxServer]) -> None:
    server = make_server(processing_seconds=30.0, sync_timeout_seconds=0.2)
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}) as api:
        response = submit(api, enable_sync_mode=True)
        assert response.status_code == 200
        data = response.json()["data"]
        assert data["status"] == "processing"
        assert data["code"] == SYNC_TIMEOUT_TASK_CODE
        assert data["error"].startswith("Sync mode timed out after 0.2 seconds")
        assert result(api, data["id"]).json()["data"]["status"] == "processing"


def test_base64_output(api: httpx.Client) -> None:
    data = submit(api, enable_base64_output=True, enable_sync_mode=True).json()["data"]
    png = base64.b64decode(data["outputs"][0], validate=True)
    assert Image.open(io.BytesIO(png)).format == "PNG"


def test_webhook_with_base64_is_bare_400(api: httpx.Client) -> None:
    response = api.post(
        SUBMIT,
        params={"webhook": "http://127.0.0.1:9/hook"},
        json={"prompt": "x", "image": IMAGE, "enable_base64_output": True},
    )
    conforms(response)
    assert response.status_code == 400
    assert response.json() == {
        "error": "webhook callback does not support base64 output, please use the normal API to use base64 output"
    }


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]], threading.Event]]:
    received: list[tuple[dict[str, str], bytes]] = []
    got = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            got.set()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", received, got
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_webhook_delivered_with_valid_signature(make_server: Callable[..., SandboxServer], receiver: Any) -> None:
    url, received, got = receiver
    server = make_server(processing_seconds=0.1, webhook_secret="whsec_test-secret")
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}) as api:
        pid = conforms(api.post(SUBMIT, params={"webhook": url}, json={"prompt": "x", "image": IMAGE})).json()["data"][
            "id"
        ]
        assert got.wait(5), "no webhook delivered"
    headers, body = received[0]
    # Recompute the signature from the spec's description, independently of the sandbox code.
    key = "whsec_test-secret".removeprefix(WEBHOOK_SIGNATURE["secret-prefix"]).encode()
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v3," + hmac.new(key, signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["webhook-signature"], expected)
    assert headers["webhook-timestamp"].isdigit()
    payload = json.loads(body)
    assert (payload["id"] == pid and payload["status"] == "completed" and "code" not in payload) or payload["code"] == 0
    assert payload["input"]["prompt"] == "x"
    for _ in range(100):  # the sandbox counts the delivery once the receiver has answered
        if server.sandbox.stats["webhooks_sent"]:
            break
        time.sleep(0.01)
    assert server.sandbox.stats["webhooks_sent"] == 1


def test_non_loopback_webhook_is_accepted_but_not_sent(api: httpx.Client, server: SandboxServer) -> None:
    response = conforms(
        api.post(SUBMIT, params={"webhook": "https://example.com/hook"}, json={"prompt": "x", "image": IMAGE})
    )
    assert response.status_code == 200
    assert server.sandbox.stats["webhooks_skipped"] == 1


# -- rate limiting and faults ----------------------------------------------------------------------------
def test_rate_limit_is_429_with_retry_after(make_server: Callable[..., SandboxServer], clock: FakeClock) -> None:
    server = make_server(rate_limit=2, rate_limit_window=60.0, clock=clock)
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}) as api:
        assert submit(api).status_code == 200
        clock.advance(10)
        assert submit(api).status_code == 200
        limited = submit(api)
        assert limited.status_code == 429
        assert limited.json()["code"] == 429
        assert limited.headers["Retry-After"] == "50"
        clock.advance(50)
        assert submit(api).status_code == 200
    assert server.sandbox.stats["rate_limited"] == 1
    assert server.sandbox.stats["submit"] == 4


@pytest.mark.parametrize("status", [400, 401, 403, 429, 500, 502, 503, 504])
def test_status_fault(server: SandboxServer, api: httpx.Client, status: int) -> None:
    server.sandbox.add_fault(Fault(route="submit", status=status, retry_after=2 if status == 429 else None))
    response = submit(api)
    assert response.status_code == status
    assert response.json()["code"] == status
    assert (response.headers.get("Retry-After") == "2") == (status == 429)
    assert submit(api).status_code == 200  # times=1
    assert server.sandbox.stats["tasks_created"] == 1
    assert server.sandbox.stats["submit"] == 2


def test_fault_retry_after_http_date_skip_and_times(server: SandboxServer, api: httpx.Client) -> None:
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    server.sandbox.add_fault(Fault(route="result", status=503, retry_after=date, skip=1, times=2))
    pid = submit(api).json()["data"]["id"]
    codes = [result(api, pid) for _ in range(4)]
    assert [r.status_code for r in codes] == [200, 503, 503, 200]
    assert codes[1].headers["Retry-After"] == date
    assert server.sandbox.stats["result"] == 4
    assert server.sandbox.faults == []


def test_status_fault_can_process_first(server: SandboxServer, api: httpx.Client) -> None:
    server.sandbox.add_fault(Fault(route="submit", status=502, process=True))
    assert submit(api).status_code == 502
    assert server.sandbox.stats["tasks_created"] == 1  # the task exists although the answer was an error


def test_delay_fault(server: SandboxServer, api: httpx.Client) -> None:
    server.sandbox.add_fault(Fault(route="submit", delay=0.5))
    with pytest.raises(httpx.ReadTimeout):
        api.post(SUBMIT, json={"prompt": "x", "image": IMAGE}, timeout=0.1)
    server.sandbox.add_fault(Fault(route="submit", delay=0.05))
    assert submit(api).status_code == 200


@pytest.mark.parametrize("action", ["drop_before", "drop_after_headers", "drop_mid_body"])
def test_connection_drop_faults(server: SandboxServer, api: httpx.Client, action: str) -> None:
    server.sandbox.add_fault(Fault(route="submit", action=action))  # type: ignore[arg-type]
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.post(SUBMIT, json={"prompt": "x", "image": IMAGE})
    assert server.sandbox.stats["tasks_created"] == 1  # the request reached the server: a task exists
    assert submit(api).status_code == 200  # the next request works on a fresh connection


def test_invalid_body_faults(server: SandboxServer, api: httpx.Client) -> None:
    pid = submit(api).json()["data"]["id"]
    path = f"/api/v3/predictions/{pid}/result"
    server.sandbox.add_fault(Fault(route="result", action="malformed_json"))
    malformed = api.get(path)
    assert malformed.status_code == 200
    assert malformed.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(malformed.content)
    server.sandbox.add_fault(Fault(route="result", action="truncated_body"))
    truncated = api.get(path)
    assert truncated.status_code == 200
    assert int(truncated.headers["content-length"]) == len(truncated.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(truncated.content)
    server.sandbox.add_fault(Fault(route="*", action="html", status=504))
    html = api.get(path)
    assert html.status_code == 504
    assert html.headers["content-type"].startswith("text/html")
    assert "<html>" in html.text


def test_valid_but_surprising_faults(server: SandboxServer, api: httpx.Client) -> None:
    pid = submit(api).json()["data"]["id"]
    server.sandbox.add_fault(Fault(route="result", action="error_envelope", status=500, message="boom"))
    envelope = result(api, pid)
    assert envelope.status_code == 200
    assert envelope.json() == {"code": 500, "message": "boom", "data": None}
    server.sandbox.add_fault(Fault(route="result", action="unknown_status", prediction_status="queued"))
    assert result(api, pid).json()["data"]["status"] == "queued"
    # missing_fields breaks the strict contract on purpose (the client must survive it)
    server.sandbox.add_fault(Fault(route="result", action="missing_fields"))
    assert api.get(f"/api/v3/predictions/{pid}/result").json()["data"] == {"id": pid, "status": "completed"}
    server.sandbox.add_fault(Fault(route="upload", action="missing_fields"))
    data = api.post(UPLOAD, files={"file": ("a.png", SAMPLE.read_bytes(), "image/png")}).json()["data"]
    assert set(data) == {"download_url"}


def test_fault_forever_and_clear(server: SandboxServer, api: httpx.Client) -> None:
    server.sandbox.add_fault(Fault(route="submit", status=503, times=None))
    assert [submit(api).status_code for _ in range(3)] == [503, 503, 503]
    server.sandbox.clear_faults()
    assert submit(api).status_code == 200


def test_fault_parse_syntax() -> None:
    assert Fault.parse("submit:503") == Fault(route="submit", status=503)
    assert Fault.parse("result:429:retry_after=2:times=3") == Fault(route="result", status=429, retry_after=2, times=3)
    assert Fault.parse("*:delay:delay=1.5:times=forever") == Fault(route="*", action="delay", delay=1.5, times=None)
    assert Fault.parse("submit:drop_before:process=false").process is False
    for bad in ("submit", "nowhere:503", "submit:explode", "submit:503:colour=red", "submit:503:times"):
        with pytest.raises(ValueError, match=r"fault|unknown"):
            Fault.parse(bad)


def test_http_control_routes(server: SandboxServer, api: httpx.Client) -> None:
    assert httpx.post(f"{server.base_url}/_sandbox/faults", json={"route": "submit", "status": 503}).status_code == 401
    listed = api.post("/_sandbox/faults", json=[{"route": "submit", "status": 503}, "result:429:retry_after=1"])
    assert listed.status_code == 200
    assert len(listed.json()["data"]["faults"]) == 2
    assert api.post("/_sandbox/faults", json={"route": "submit", "colour": "red"}).status_code == 400
    assert submit(api).status_code == 503
    stats = api.get("/_sandbox/stats").json()["data"]
    assert stats["submit"] == 1
    assert stats["faults_applied"] == 1
    assert api.delete("/_sandbox/faults").json()["data"]["faults"] == []
    assert api.post("/_sandbox/reset").status_code == 200
    assert server.sandbox.stats["submit"] == 0


def test_unknown_routes_and_methods_answer_json(api: httpx.Client) -> None:
    assert api.get("/nope").json()["code"] == 404
    wrong = api.put(SUBMIT, json={})
    assert wrong.status_code == 405
    assert wrong.json()["code"] == 405
    assert "POST" in wrong.headers["allow"]


def test_create_app_in_process_drop_is_an_error() -> None:
    app = create_app(SandboxConfig(processing_seconds=0.0))
    app.state.sandbox.add_fault(Fault(route="submit", action="drop_before"))
    transport = httpx.ASGITransport(app=app)

    async def go() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            with pytest.raises(ConnectionAbortedError):
                await client.post(
                    SUBMIT, json={"prompt": "x", "image": IMAGE}, headers={"Authorization": "Bearer sandbox-key"}
                )

    import anyio

    anyio.run(go)


# -- conformance of every fault shape ------------------------------------------------------------
def _request(api: httpx.Client, route: str, pid: str) -> httpx.Response:
    if route == "submit":
        return api.post(SUBMIT, json={"prompt": "x", "image": IMAGE})
    if route == "result":
        return api.get(f"/api/v3/predictions/{pid}/result")
    return api.post(UPLOAD, files={"file": ("a.png", SAMPLE.read_bytes(), "image/png")})


@pytest.mark.parametrize("route", ["submit", "result", "upload"])
@pytest.mark.parametrize("action", ACTIONS)
def test_every_fault_response_conforms_unless_invalid_on_purpose(
    server: SandboxServer, api: httpx.Client, route: str, action: str
) -> None:
    pid = submit(api).json()["data"]["id"]
    server.sandbox.add_fault(Fault(route=route, action=action, delay=0.01 if action == "delay" else 0.0))  # type: ignore[arg-type]
    if action.startswith("drop_"):
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            _request(api, route, pid)
        return
    response = _request(api, route, pid)
    if action == "html":  # declared (text/html) for gateway statuses only; this one is a 502
        assert response.headers["content-type"].startswith("text/html")
        conforms(response)
    elif action in INVALID_RESPONSE_ACTIONS:  # malformed_json, truncated_body, missing_fields: invalid by design
        with pytest.raises(Exception, match=r"(?i)json|content|schema|deserial|type"):
            conforms(response)
    else:
        conforms(response)


# -- serve() -------------------------------------------------------------------------------------
def test_serve_stops_cleanly_and_frees_the_port() -> None:
    import socket

    from step1x_edit.sandbox import serve

    before = {t.name for t in threading.enumerate()}
    with serve(SandboxConfig(processing_seconds=0.0)) as running:
        assert running.base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{running.base_url}/nope").status_code == 404
        port = running.port
    assert "step1x-edit-sandbox" not in {t.name for t in threading.enumerate()} - before
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # free again


def test_serve_reports_a_busy_port() -> None:
    from step1x_edit.sandbox import serve

    with serve() as running, pytest.raises(RuntimeError, match="did not start"), serve(port=running.port):
        pass


def test_serve_without_proxy_approximates_drops() -> None:
    from step1x_edit.sandbox import serve

    with serve(SandboxConfig(processing_seconds=0.0), proxy=False) as running:
        running.sandbox.add_fault(Fault(route="submit", action="drop_mid_body"))
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(
                f"{running.base_url}{SUBMIT}",
                json={"prompt": "x", "image": IMAGE},
                headers={"Authorization": f"Bearer {running.api_key}"},
            )
