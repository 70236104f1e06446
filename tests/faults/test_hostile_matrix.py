"""Hostile-server matrix (issue 13): what a broken or malicious API or output host can do.

Each row runs over a real loopback socket against a small scripted server (the sandbox cannot
trickle or lie about ids), and asserts the outcome, the exception class, how many submits
arrived, and what was written to disk. ``python tests/faults/test_hostile_matrix.py`` prints
the README table.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from step1x_edit import (
    ContractViolationError,
    DeadlineExceededError,
    PollPolicy,
    Prediction,
    Step1XEdit,
    WebhookVerificationError,
    sign_webhook,
    verify_webhook,
)

KEY = "hostile-key"
PID = "0123456789abcdef0123456789abcdef"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _prediction(base: str, status: str = "completed", **extra: Any) -> dict[str, Any]:
    outputs = [f"{base}/out/0.png"] if status == "completed" else []
    data = {"id": PID, "status": status, "outputs": outputs, "has_nsfw_contents": [False] * len(outputs)}
    data.update(extra)
    return data


def _envelope(data: Any) -> bytes:
    return json.dumps({"code": 200, "message": "success", "data": data}).encode()


@dataclass
class Reply:
    body: bytes
    content_type: str = "application/json"
    trickle: float = 0.0  # seconds between bytes
    delay: float = 0.0


Route = Callable[[str], Reply]


@dataclass(frozen=True)
class Row:
    id: str
    behaviour: str
    routes: dict[str, Route]
    raises: type[Exception] | None
    submits: int = 1
    call: str = "edit"
    kwargs: dict[str, Any] = field(default_factory=dict)


def _upload_reply(base: str) -> Reply:
    data = {"type": "image", "download_url": f"{base}/in.png", "filename": "in.png", "size": 1}
    return Reply(_envelope(data), delay=1.5)


ROWS = [
    Row(
        "trickling-result-body",
        "headers at once, then one byte every 0.2 s: DeadlineExceededError near the 1.5 s deadline, id kept",
        {
            "submit": lambda b: Reply(_envelope(_prediction(b, "created"))),
            "result": lambda b: Reply(_envelope(_prediction(b)), trickle=0.2),
        },
        DeadlineExceededError,
        kwargs={"timeout": 1.5},
    ),
    Row(
        "trickling-submit-body",
        "the submit's answer trickles: DeadlineExceededError with task_may_exist (it reached the server)",
        {"submit": lambda b: Reply(_envelope(_prediction(b, "created")), trickle=0.2)},
        DeadlineExceededError,
        kwargs={"timeout": 1.5},
    ),
    Row(
        "slow-upload-eats-the-deadline",
        "upload answers after 1.5 s of a 2 s deadline: DeadlineExceededError, nothing submitted (0 submits)",
        {"upload": _upload_reply},
        DeadlineExceededError,
        submits=0,
        kwargs={"timeout": 2.0, "image": PNG},
    ),
    Row(
        "hostile-id-on-submit",
        "submit answers id '../../evil': ContractViolationError, task_may_exist, never used in a URL or path",
        {"submit": lambda b: Reply(_envelope(_prediction(b, "created", id="../../evil")))},
        ContractViolationError,
    ),
    Row(
        "mistyped-outputs",
        "completed with outputs as a string: ContractViolationError with the prediction id (not a tuple of chars)",
        {
            "submit": lambda b: Reply(_envelope(_prediction(b, "created"))),
            "result": lambda b: Reply(_envelope(_prediction(b, outputs=f"{b}/out/0.png"))),
        },
        ContractViolationError,
    ),
    Row(
        "huge-output",
        "a 5 MB output with max_bytes=1 MB: ContractViolationError, nothing left on disk",
        {"out": lambda b: Reply(PNG + b"\x00" * 5_000_000, content_type="image/png")},
        ContractViolationError,
        submits=0,
        call="download",
        kwargs={"max_bytes": 1_000_000},
    ),
    Row(
        "html-instead-of-output",
        "the output URL answers text/html: ContractViolationError, nothing saved",
        {"out": lambda b: Reply(b"<html>502 Bad Gateway</html>", content_type="text/html")},
        ContractViolationError,
        submits=0,
        call="download",
    ),
    Row(
        "malformed-webhook",
        "webhook with a non-ASCII signature, superscript timestamp or missing header: WebhookVerificationError",
        {},
        WebhookVerificationError,
        submits=0,
        call="webhook",
    ),
]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]
    counts: dict[str, int]
    base: str


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *_args: Any) -> None:
        pass

    def _route(self) -> str:
        if self.path.endswith("/media/upload/binary"):
            return "upload"
        if self.path.endswith("/result"):
            return "result"
        if self.path.startswith("/out/"):
            return "out"
        return "submit"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        route = self._route()
        self.server.counts[route] = self.server.counts.get(route, 0) + 1
        handler = self.server.routes.get(route)
        reply = handler(self.server.base) if handler else Reply(_envelope(_prediction(self.server.base)))
        time.sleep(reply.delay)
        try:
            self.send_response(200)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.trickle:
                for byte in reply.body[:60]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.trickle)
            else:
                self.wfile.write(reply.body)
        except OSError:
            pass

    do_GET = _answer
    do_POST = _answer


@pytest.fixture
def hostile() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    server.counts = {}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _webhook_cases() -> list[tuple[dict[str, Any], str]]:
    body = json.dumps({"id": PID, "status": "completed", "outputs": ["https://x/0.png"], "has_nsfw_contents": [False]})
    now = int(time.time())
    good = {"webhook-id": "m", "webhook-timestamp": str(now), "webhook-signature": sign_webhook("m", now, body, "s")}
    return [
        ({**good, "webhook-signature": "v3,\u00e9\u00e9"}, body),
        ({**good, "webhook-timestamp": "\u00b9\u00b2"}, body),
        ({k: v for k, v in good.items() if k != "webhook-id"}, body),
        ({**good, "webhook-timestamp": None}, body),
    ]


def _act(client: Step1XEdit, row: Row, base: str, tmp_path: Path) -> None:
    kwargs = dict(row.kwargs)
    if row.call == "edit":
        image = kwargs.pop("image", "https://example.com/in.png")
        client.edit("make it blue", image, **kwargs)
    elif row.call == "download":
        done = Prediction(id=PID, status="completed", outputs=(f"{base}/out/0.png",))
        client.download(done, tmp_path / "out", **kwargs)
    else:
        for headers, body in _webhook_cases():
            with pytest.raises(WebhookVerificationError):
                verify_webhook(headers, body, "s")
        raise WebhookVerificationError("all malformed deliveries were refused")


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_hostile(hostile: _Server, row: Row, tmp_path: Path) -> None:
    hostile.routes = row.routes
    poll = PollPolicy(first=0.05, factor=1.25, step=0.02, max_interval=0.2, learn=False)
    with Step1XEdit(api_key=KEY, base_url=hostile.base, poll=poll) as client, pytest.raises(row.raises) as info:
        _act(client, row, hostile.base, tmp_path)
    error = info.value
    assert hostile.counts.get("submit", 0) == row.submits
    if row.id.startswith("trickling-result"):
        assert getattr(error, "prediction_id", None) == PID
    if row.id in ("trickling-submit-body", "hostile-id-on-submit"):
        assert getattr(error, "task_may_exist", None) is True
    if row.id == "slow-upload-eats-the-deadline":
        assert getattr(error, "task_may_exist", None) is False
        assert "nothing was submitted" in str(error)
    if row.id == "hostile-id-on-submit":
        assert error.prediction_id is None  # type: ignore[attr-defined]
        assert "../../evil" in (error.body or "")  # type: ignore[attr-defined]
    if row.id == "mistyped-outputs":
        assert error.prediction_id == PID  # type: ignore[attr-defined]
    if row.call == "download":
        out = tmp_path / "out"
        assert not out.exists() or list(out.iterdir()) == []


def markdown_table() -> str:
    rows = ["| scenario | behaviour | submits received |", "|---|---|---|"]
    rows += [f"| {r.id} | {r.behaviour} | {r.submits} |" for r in ROWS]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())  # noqa: T201
