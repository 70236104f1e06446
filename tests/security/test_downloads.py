"""Issue 13 items 4 and 9: safe downloads.

Reproductions: ``download()`` used the server's prediction id as a file name (``../evil`` or
an absolute path wrote outside the folder), overwrote an existing file silently, followed a
symlink at the target, held a 300 MB output in memory, and saved a text/html answer as the
output image.

Choice (documented in README): an existing file is an error (``OutputExistsError``), unless
``overwrite=True``; files are written to a temporary name in the folder and renamed.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from unit.conftest import BASE, KEY

from step1x_edit import (
    AsyncStep1XEdit,
    ContractViolationError,
    OutputExistsError,
    Prediction,
    Step1XEdit,
    Step1XEditError,
)

from .conftest import FakeAPI, FakeClock

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OUT = "https://cdn.test/out/0.png"


def _client(api: FakeAPI) -> Step1XEdit:
    return Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler))


def _png() -> httpx.Response:
    return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})


@pytest.mark.parametrize(
    "hostile_id",
    [
        "../evil",
        "../../etc/passwd",
        "/tmp/abs-evil",
        "a/../../b",
        "..",
        ".",
        "",
        "x\x00y",
        "C:\\win\\evil",
        "~root",
        "a" * 500,
    ],
)
def test_hostile_ids_stay_inside_the_folder(api: FakeAPI, clock: FakeClock, tmp_path: Path, hostile_id: str) -> None:
    api.default["/out/0.png"] = _png()
    folder = tmp_path / "out"
    prediction = Prediction(id=hostile_id, status="completed", outputs=(OUT,))
    with _client(api) as client:
        paths = client.download(prediction, folder)
    assert len(paths) == 1
    path = paths[0]
    assert path.resolve().parent == folder.resolve()
    assert path.read_bytes() == PNG
    assert len(path.name) < 120
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [path.name]


def test_existing_file_is_never_overwritten_silently(api: FakeAPI, clock: FakeClock, tmp_path: Path) -> None:
    api.default["/out/0.png"] = _png()
    prediction = Prediction(id="abc", status="completed", outputs=(OUT,))
    with _client(api) as client:
        first = client.download(prediction, tmp_path)[0]
        first.write_bytes(b"precious")
        with pytest.raises(OutputExistsError) as info:
            client.download(prediction, tmp_path)
        assert isinstance(info.value, Step1XEditError)
        assert first.read_bytes() == b"precious"
        assert client.download(prediction, tmp_path, overwrite=True)[0].read_bytes() == PNG
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temp files left behind


def test_symlink_at_the_target_is_not_followed(api: FakeAPI, clock: FakeClock, tmp_path: Path) -> None:
    api.default["/out/0.png"] = _png()
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch")
    folder = tmp_path / "out"
    folder.mkdir()
    prediction = Prediction(id="abc", status="completed", outputs=(OUT,))
    with _client(api) as client:
        target = client.download(prediction, folder)[0]
        target.unlink()
        target.symlink_to(victim)
        with pytest.raises(OutputExistsError):
            client.download(prediction, folder)
        assert victim.read_text() == "do not touch"
        client.download(prediction, folder, overwrite=True)
    assert victim.read_text() == "do not touch"  # the link was replaced, not written through
    assert not target.is_symlink()


def test_symlinked_folder_component_is_refused(api: FakeAPI, clock: FakeClock, tmp_path: Path) -> None:
    api.default["/out/0.png"] = _png()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "link").symlink_to(elsewhere)
    prediction = Prediction(id="abc", status="completed", outputs=(OUT,))
    with _client(api) as client:
        paths = client.download(prediction, tmp_path / "link")
    # The folder the caller named is honoured (it is theirs); files land inside its real path.
    assert paths[0].resolve().parent == elsewhere.resolve()


class Endless(httpx.SyncByteStream, httpx.AsyncByteStream):
    """An output that never ends (or is very large): chunks of PNG-looking bytes."""

    def __init__(self) -> None:
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        yield PNG
        while self.sent < 10**9:
            self.sent += 65536
            yield b"\x00" * 65536

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for chunk in self:
            yield chunk


def test_download_is_streamed_with_a_size_cap(api: FakeAPI, clock: FakeClock, tmp_path: Path) -> None:
    stream = Endless()
    api.default["/out/0.png"] = lambda _r: httpx.Response(200, headers={"content-type": "image/png"}, stream=stream)
    prediction = Prediction(id="abc", status="completed", outputs=(OUT,))
    with _client(api) as client, pytest.raises(ContractViolationError, match="max_bytes") as info:
        client.download(prediction, tmp_path, max_bytes=1_000_000)
    assert info.value.prediction_id == "abc"
    assert stream.sent < 2_000_000  # stopped soon after the cap, not read to the end
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind


def test_default_cap_is_documented_and_applies(api: FakeAPI, clock: FakeClock, tmp_path: Path) -> None:
    from step1x_edit._constants import MAX_DOWNLOAD_BYTES

    assert MAX_DOWNLOAD_BYTES == 100 * 1024 * 1024
    api.default["/out/0.png"] = lambda _r: httpx.Response(
        200, headers={"content-type": "image/png", "content-length": str(MAX_DOWNLOAD_BYTES + 1)}, stream=Endless()
    )
    prediction = Prediction(id="abc", status="completed", outputs=(OUT,))
    with _client(api) as client, pytest.raises(ContractViolationError, match="max_bytes"):
        client.download(prediction, tmp_path)


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/html", b"<html><body>502 Bad Gateway</body></html>"),
        ("image/png", b"<html><body>not really a png</body></html>"),
        ("text/html", PNG),
        ("application/json", b'{"error": "expired"}'),
    ],
)
def test_non_image_answers_are_refused(
    api: FakeAPI, clock: FakeClock, tmp_path: Path, content_type: str, content: bytes
) -> None:
    api.default["/out/0.png"] = httpx.Response(200, content=content, headers={"content-type": content_type})
    prediction = Prediction(id="abc", status="completed", outputs=(OUT,))
    with _client(api) as client, pytest.raises(ContractViolationError) as info:
        client.download(prediction, tmp_path)
    assert info.value.prediction_id == "abc"
    assert list(tmp_path.iterdir()) == []


def test_base64_output_that_is_not_an_image_is_refused(api: FakeAPI, clock: FakeClock, tmp_path: Path) -> None:
    prediction = Prediction(id="abc", status="completed", outputs=(base64.b64encode(b"hello").decode(),))
    with _client(api) as client, pytest.raises(ContractViolationError):
        client.download(prediction, tmp_path)


@pytest.mark.anyio
async def test_async_download_is_just_as_safe(api: FakeAPI, clock: FakeClock, tmp_path: Path) -> None:
    api.default["/out/0.png"] = _png()
    prediction = Prediction(id="../evil", status="completed", outputs=(OUT,))
    async with AsyncStep1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as client:
        path = (await client.download(prediction, tmp_path / "out"))[0]
        assert path.resolve().parent == (tmp_path / "out").resolve()
        with pytest.raises(OutputExistsError):
            await client.download(prediction, tmp_path / "out")
        api.default["/out/0.png"] = httpx.Response(200, content=b"<html>", headers={"content-type": "text/html"})
        with pytest.raises(ContractViolationError):
            await client.download(prediction, tmp_path / "out", overwrite=True)
    assert os.listdir(tmp_path / "out") == [path.name]
    assert path.read_bytes() == PNG


class Large(httpx.SyncByteStream):
    """A 32 MiB PNG-looking output in 64 KiB chunks, generated on the fly."""

    def __iter__(self) -> Iterator[bytes]:
        yield PNG
        block = b"\x00" * 65536
        for _ in range(512):
            yield block


def test_large_download_is_streamed_to_disk_not_held_in_memory(api: FakeAPI, clock: FakeClock, tmp_path: Path) -> None:
    """Item 9: a 300 MB output used to be held in memory (RSS 636 MB); now memory stays flat."""
    import tracemalloc

    api.default["/out/0.png"] = lambda _r: httpx.Response(200, headers={"content-type": "image/png"}, stream=Large())
    prediction = Prediction(id="big", status="completed", outputs=(OUT,))
    with _client(api) as client:
        tracemalloc.start()
        try:
            path = client.download(prediction, tmp_path)[0]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert path.stat().st_size == len(PNG) + 512 * 65536
    assert peak < 4 * 1024 * 1024, peak  # 32 MiB written, a few chunks in memory at most
