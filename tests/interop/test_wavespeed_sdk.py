"""Interop: the vendor's official SDK (`wavespeed` 2.0.5) completes a run against the sandbox.

The SDK talks to the served sandbox over a real loopback socket, unpatched: its own upload
helper (`/api/v3/media/uploads` ticket, then a keyless PUT), `run` with polling, sync mode, and
inputs the model does not know (dropped, as by the API). scripts/interop runs the other public
clients the same way, outside the suite.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from step1x_edit.sandbox import SandboxConfig, SandboxServer, serve

wavespeed = pytest.importorskip("wavespeed")

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "step1x_edit" / "sandbox" / "assets" / "sample.png"
MODEL = "wavespeed-ai/step1x-edit"


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with serve(SandboxConfig(api_key="interop-key", created_seconds=0.02, processing_seconds=0.1)) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests honours *_PROXY variables; loopback must never go through a proxy.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def client(server: SandboxServer) -> object:
    return wavespeed.Client(api_key=server.api_key, base_url=server.base_url)


def test_sdk_version() -> None:
    from importlib.metadata import version

    assert version("wavespeed") == "2.0.5"


def test_sdk_run_completes_with_an_uploaded_image(server: SandboxServer, client: object) -> None:
    uploaded = httpx.post(
        f"{server.base_url}/api/v3/media/upload/binary",
        headers={"Authorization": f"Bearer {server.api_key}"},
        files={"file": ("sample.png", SAMPLE.read_bytes(), "image/png")},
    ).json()["data"]["download_url"]
    before = server.sandbox.stats
    output = client.run(
        MODEL, {"prompt": "make the sky purple", "image": uploaded, "seed": 42}, timeout=10, poll_interval=0.05
    )  # type: ignore[attr-defined]
    assert len(output["outputs"]) == 1
    png = httpx.get(output["outputs"][0])
    assert png.status_code == 200
    assert png.content.startswith(b"\x89PNG")
    after = server.sandbox.stats
    assert after["submit"] - before["submit"] == 1
    assert after["result"] - before["result"] >= 1


def test_sdk_run_sync_mode_with_a_data_uri(client: object) -> None:
    data_uri = "data:image/png;base64," + base64.b64encode(SAMPLE.read_bytes()).decode()
    output = client.run(MODEL, {"prompt": "add snow", "image": data_uri}, enable_sync_mode=True, timeout=10)  # type: ignore[attr-defined]
    assert output["outputs"][0].startswith("http://127.0.0.1:")


def test_sdk_sees_failed_predictions(client: object) -> None:
    with pytest.raises(RuntimeError, match="failed"):
        client.run(
            MODEL,
            {"prompt": "x [sandbox:fail=1402]", "image": "https://example.com/a.png"},
            timeout=10,
            poll_interval=0.05,
        )  # type: ignore[attr-defined]


def test_sdk_rejects_a_wrong_key(server: SandboxServer) -> None:
    bad = wavespeed.Client(api_key="wrong", base_url=server.base_url)
    with pytest.raises(RuntimeError, match="401"):
        bad.run(MODEL, {"prompt": "x", "image": "https://example.com/a.png"}, timeout=5, poll_interval=0.05)


def test_sdk_upload_helper_then_run(server: SandboxServer, client: object) -> None:
    before = server.sandbox.stats
    url = client.upload(str(SAMPLE))  # type: ignore[attr-defined]
    after = server.sandbox.stats
    assert after["tickets_stored"] - before["tickets_stored"] == 1  # the ticket + PUT flow, not multipart
    assert httpx.get(url).content == SAMPLE.read_bytes()
    output = client.run(MODEL, {"prompt": "make it winter", "image": url}, timeout=10, poll_interval=0.05)  # type: ignore[attr-defined]
    assert len(output["outputs"]) == 1


def test_sdk_run_with_inputs_the_model_does_not_know(server: SandboxServer, client: object) -> None:
    # What WaveSpeedAI/mcp-server's image_to_image tool sends: the API drops the extra names.
    before = server.sandbox.stats["inputs_dropped"]
    body = {"prompt": "add snow", "image": "https://example.com/a.png", "enable_safety_checker": True, "images": []}
    output = client.run(MODEL, body, timeout=10, poll_interval=0.05)  # type: ignore[attr-defined]
    assert len(output["outputs"]) == 1
    assert server.sandbox.stats["inputs_dropped"] - before == 2
