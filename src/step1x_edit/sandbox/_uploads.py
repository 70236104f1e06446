"""The sandbox's upload routes: multipart upload, upload tickets and their PUT target, and the
files it serves (uploads and outputs)."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any
from urllib.parse import quote, unquote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from ._responses import _json
from ._state import PUT_PATH, _SandboxState, _Stored, _Ticket
from ._validation import RequestInvalid, parse_json


class _UploadRoutes(_SandboxState):
    """``media/upload/binary`` (multipart), ``media/uploads`` (ticket) and its PUT, and ``/_sandbox/files|outputs``."""

    async def upload(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        limit = self.config.max_upload_bytes
        too_large = f"File too large: the limit is {limit} bytes"
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit + 64 * 1024:
            return self._envelope(413, too_large)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "multipart/form-data":
            return self._invalid("Invalid request: Content-Type must be multipart/form-data")
        async with request.form(max_files=4, max_fields=16) as form:
            part = form.get("file")
            if not isinstance(part, UploadFile):
                return self._invalid("Missing required parameter 'file'")
            data = await part.read(limit + 1)
            filename = part.filename or "upload"
            part_type = part.content_type
        if len(data) > limit:
            return self._envelope(413, too_large)
        from . import _images

        kind = _images.sniff_type(data, part_type)
        if kind is None:  # the vendor answers HTTP 200 with an error envelope here (SDK fixtures)
            return _json(200, {"code": 500, "message": "Upload failed: invalid file type", "data": None})
        name = _safe_name(filename)
        token = secrets.token_hex(16)
        with self._lock:
            self._uploads[token] = _Stored(data, part_type or "application/octet-stream", name)
        base = str(request.base_url).rstrip("/")
        payload: dict[str, Any] = {
            "type": kind,
            "download_url": f"{base}/_sandbox/files/{token}/{quote(name)}",
            "filename": name,
        }
        payload["size"] = len(data)
        return _json(200, {"code": 200, "message": "success", "data": payload})

    async def upload_ticket(self, request: Request) -> Response:
        """``POST /api/v3/media/uploads``: announce a file; answer where to PUT it and where it will be."""
        if denied := self._auth(request):
            return denied
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return self._invalid("Invalid request: Content-Type must be application/json")
        try:
            body = parse_json(await request.body())
        except RequestInvalid as exc:
            return self._invalid(exc.message)
        if not isinstance(body, dict):
            return self._invalid("Invalid request body: expected a JSON object")
        filename, size, declared = body.get("filename"), body.get("size"), body.get("content_type")
        if not isinstance(filename, str) or not filename:
            return self._invalid("Invalid parameter 'filename': a non-empty string is required")
        if isinstance(size, float) and size.is_integer():
            size = int(size)  # JSON Schema: 12.0 is an integer
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            return self._invalid("Invalid parameter 'size': a non-negative integer is required")
        if "content_type" in body and not isinstance(declared, str):
            return self._invalid("Invalid parameter 'content_type': expected a string")
        if size > self.config.max_upload_bytes:
            return self._envelope(413, f"File too large: the limit is {self.config.max_upload_bytes} bytes")
        import mimetypes

        mime = declared or mimetypes.guess_type(filename)[0] or ""
        kind = mime.split("/", 1)[0].lower()
        if kind not in ("image", "video", "audio"):  # as on the multipart endpoint: HTTP 200, error envelope
            return _json(200, {"code": 500, "message": "Upload failed: invalid file type", "data": None})
        name = _safe_name(filename)
        token = secrets.token_hex(16)
        with self._lock:
            self._tickets[token] = _Ticket(size, mime, name)
            self._stats["tickets"] += 1
        base = str(request.base_url).rstrip("/")
        payload: dict[str, Any] = {
            "type": kind,
            "download_url": f"{base}/_sandbox/files/{token}/{quote(name)}",
            "filename": name,
            "size": size,
            "upload": {
                "method": "PUT",
                "url": f"{base}{PUT_PATH.format(token=token)}",
                "headers": {"Content-Type": mime},
            },
        }
        return _json(200, {"code": 200, "message": "success", "data": payload})

    async def put_upload(self, request: Request) -> Response:
        """The PUT target of a ticket, like a presigned storage URL: no API key (one is refused)."""
        token = request.path_params["token"]
        with self._lock:
            ticket = self._tickets.get(token)
        if ticket is None:
            return _plain(404, "NoSuchUpload: no ticket has this URL (or its bytes were already stored)")
        if "authorization" in request.headers:
            # Presigned storage URLs carry their own signature; S3 refuses a second auth mechanism.
            return _plain(400, "InvalidArgument: only one auth mechanism allowed; send no Authorization header")
        sent_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if sent_type != ticket.content_type.lower():
            return _plain(
                403, f"SignatureDoesNotMatch: Content-Type {sent_type!r} is not the ticket's {ticket.content_type!r}"
            )
        data = await request.body()
        if len(data) > self.config.max_upload_bytes:
            return _plain(413, "EntityTooLarge")
        with self._lock:
            self._tickets.pop(token, None)
            self._uploads[token] = _Stored(data, ticket.content_type, ticket.filename)
            self._stats["tickets_stored"] += 1
        return Response(b"", 200, headers={"etag": f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'})

    async def file(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        key, name = request.path_params["key"], unquote(request.path_params["name"])
        if kind not in ("files", "outputs"):
            return self._envelope(404, "Not found")
        with self._lock:
            if kind == "files":
                stored = self._uploads.get(key)
                found = (stored.data, stored.content_type) if stored else None
            else:
                png = self._outputs.get(f"{key}/{name}")
                found = (png, "image/png") if png is not None else None
        if found is None:
            return self._envelope(404, "File not found")
        return Response(found[0], media_type=found[1])


def _safe_name(filename: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip("._") or "upload"


def _plain(status: int, text: str) -> Response:
    return Response(text, status, media_type="text/plain")
