"""A minimal asyncio HTTP/1.1 loopback server for the benchmarks (stdlib only).

    python -m bench._rawserver [--submit ok|stall|trickle] [--result completed|processing|stall|trickle]

Binds 127.0.0.1 on a free port, prints one JSON line `{"base_url": ..., "pid": ...}`, then serves
until SIGTERM, until stdin closes (its parent went away) or for at most SERVER_LIFETIME_S.
Keep-alive aware and cheap per request, so client differences are not diluted by server cost.

Routes: `POST /api/v3/wavespeed-ai/step1x-edit` answers the envelope with status "created";
`GET /api/v3/predictions/{id}/result` answers "completed" with one output URL (or "processing");
`stall` reads the request and never answers; `trickle` sends the headers at once, then the
body one byte every TRICKLE_INTERVAL_S (0.5 s, as in issue 13's reproduction). `GET /__stats` returns the counters (connections,
submit, result, other; the stats request's own connection is counted), `POST /__reset` zeroes them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys

from bench._common import SERVER_LIFETIME_S

SUBMIT_PATH = "/api/v3/wavespeed-ai/step1x-edit"
RESULT_PREFIX = "/api/v3/predictions/"
PRED_ID = "0123456789abcdef0123456789abcdef"


def envelope(status: str, outputs: list[str]) -> bytes:
    data = {
        "id": PRED_ID,
        "model": "wavespeed-ai/step1x-edit",
        "outputs": outputs,
        "urls": {"get": f"http://127.0.0.1/api/v3/predictions/{PRED_ID}/result"},
        "has_nsfw_contents": [False] * len(outputs),
        "status": status,
        "created_at": "2026-01-01T00:00:00.000Z",
        "error": "",
        "executionTime": 0,
        "timings": {"inference": 0},
    }
    return json.dumps({"code": 200, "message": "success", "data": data}).encode()


BODIES = {
    "created": envelope("created", []),
    "completed": envelope("completed", ["https://example.invalid/out.png"]),
    "processing": envelope("processing", []),
}
REASONS = {200: "OK", 404: "Not Found"}
TRICKLE_INTERVAL_S = 0.5


def response(status: int, body: bytes, close: bool) -> bytes:
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
    )
    return head.encode() + body


class Server:
    def __init__(self, submit: str, result: str) -> None:
        self.submit_mode = submit
        self.result_mode = result
        self.stats = {"connections": 0, "submit": 0, "result": 0, "other": 0}
        self.stalled: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats["connections"] += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                close = headers.get("connection", "").lower() == "close"
                path = target.split("?", 1)[0]
                mode = None
                if method == "POST" and path == SUBMIT_PATH:
                    self.stats["submit"] += 1
                    mode = self.submit_mode
                    out = response(200, BODIES["created"], close)
                elif method == "GET" and path.startswith(RESULT_PREFIX) and path.endswith("/result"):
                    self.stats["result"] += 1
                    mode = self.result_mode
                    out = response(200, BODIES.get(mode, BODIES["completed"]), close)
                elif path == "/__stats":
                    out = response(200, json.dumps(self.stats).encode(), close)
                elif path == "/__reset":
                    self.stats.update(connections=0, submit=0, result=0, other=0)
                    out = response(200, b"{}", close)
                else:
                    self.stats["other"] += 1
                    out = response(404, b'{"code":404,"message":"not found"}', close)
                if mode == "stall":
                    self.stalled.append(writer)
                    await asyncio.sleep(SERVER_LIFETIME_S)
                    return
                if mode == "trickle":
                    self.stalled.append(writer)
                    head, _, body = out.partition(b"\r\n\r\n")
                    writer.write(head + b"\r\n\r\n")
                    await writer.drain()
                    for byte in body:
                        await asyncio.sleep(TRICKLE_INTERVAL_S)
                        writer.write(bytes([byte]))
                        await writer.drain()
                    return
                writer.write(out)
                await writer.drain()
                if close:
                    return
        finally:
            writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submit", choices=["ok", "stall", "trickle"], default="ok")
    parser.add_argument("--result", choices=["completed", "processing", "stall", "trickle"], default="completed")
    args = parser.parse_args()
    server = Server(args.submit, args.result)
    srv = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=1024)
    port = srv.sockets[0].getsockname()[1]
    print(json.dumps({"base_url": f"http://127.0.0.1:{port}", "pid": os.getpid()}), flush=True)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    # Stop when the parent closes our stdin (it exited or crashed).
    stdin_reader = asyncio.StreamReader()
    with contextlib.suppress(Exception):
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin_reader), sys.stdin)

    async def watch_stdin() -> None:
        with contextlib.suppress(Exception):
            while await stdin_reader.readline():
                pass
        stop.set()

    watcher = asyncio.create_task(watch_stdin())
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=SERVER_LIFETIME_S)
    watcher.cancel()
    srv.close()
    for writer in server.stalled:
        writer.close()


if __name__ == "__main__":
    asyncio.run(main())
