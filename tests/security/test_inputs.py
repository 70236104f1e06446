"""Issue 13, items 3, 5 and 10: validate before spending; the key and the caller's client.

Reproductions: a key with CR/LF reached h11, whose error echoed it (and the client retried
it and claimed a task may exist); bad inputs escaped as UnicodeEncodeError, OSError
(ENAMETOOLONG), TypeError; a text file was accepted as the image; constructor timeouts of -1,
NaN, "5" and 0 were taken; ``http_client=`` skipped the https check and got the key written
into its default headers.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import httpx
import pytest
from unit.conftest import BASE, KEY, SUBMIT, UPLOAD

from step1x_edit import AsyncStep1XEdit, InvalidParameterError, Step1XEdit, Step1XEditError

from .conftest import FakeAPI, FakeClock

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
URL = "https://example.com/a.png"


# --- 3. the key -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_key", ["abc\r\nX-Evil: 1", "abc\ndef", "key\x00", "kéy-ünïcode", "tab\tkey", "sp ace", "\x7f"]
)
@pytest.mark.parametrize("cls", [Step1XEdit, AsyncStep1XEdit])
def test_key_must_be_printable_ascii_and_is_never_echoed(cls: type[Any], bad_key: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        cls(api_key=bad_key, base_url=BASE)
    assert info.value.field == "api_key"
    for text in (str(info.value), repr(info.value), repr(info.value.args)):
        assert bad_key not in text
    assert info.value.value is None  # the key is not kept on the error either


def test_key_from_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAVESPEED_API_KEY", "secret\r\nvalue")
    with pytest.raises(InvalidParameterError) as info:
        Step1XEdit(base_url=BASE)
    assert "secret" not in str(info.value)


# --- 10. every input, before anything is sent ---------------------------------------------------


def _client(api: FakeAPI) -> Step1XEdit:
    return Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler))


BAD_INPUTS = [
    ("lone \ud800 surrogate", URL, "prompt"),
    ("x", "a" * 5000, "image"),  # neither URL nor path; used to raise OSError ENAMETOOLONG
    ("x", "dir/" * 2000 + "f.png", "image"),
    ("x", "\x00nul.png", "image"),
    ("x", None, "image"),
    ("x", 12, "image"),
    ("ok", URL + "\ud800", "image"),
    (None, URL, "prompt"),
]


@pytest.mark.anyio
async def test_async_client_refuses_the_same_inputs(api: FakeAPI, clock: FakeClock, tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    async with AsyncStep1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler)) as client:
        for prompt, image, field in [*BAD_INPUTS, ("x", text, "image"), ("x", b"no magic", "image")]:
            with pytest.raises(InvalidParameterError) as info:
                await client.submit(prompt, image)
            assert info.value.field == field
        for bad in (None, 12, object()):
            with pytest.raises(InvalidParameterError):
                await client.upload(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError):
            await client.edit("x", URL, timeout=0)
    assert api.requests == []


@pytest.mark.parametrize(("prompt", "image", "field"), BAD_INPUTS)
def test_bad_input_is_invalid_parameter_and_nothing_is_sent(
    api: FakeAPI, clock: FakeClock, prompt: Any, image: Any, field: str
) -> None:
    with _client(api) as client, pytest.raises(InvalidParameterError) as info:
        client.submit(prompt, image)
    assert info.value.field == field
    assert api.requests == []


@pytest.mark.parametrize("name", ["negative_prompt"])
def test_lone_surrogate_in_any_string_field(api: FakeAPI, clock: FakeClock, name: str) -> None:
    with _client(api) as client, pytest.raises(InvalidParameterError) as info:
        client.submit("x", URL, **{name: "bad \udfff"})
    assert info.value.field == name
    assert api.requests == []


def test_text_file_is_not_an_image(api: FakeAPI, clock: FakeClock, tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("hello, not an image")
    with _client(api) as client:
        with pytest.raises(InvalidParameterError, match="image") as info:
            client.submit("x", text)
        assert info.value.field == "image"
        with pytest.raises(InvalidParameterError, match="not an image"):
            client.submit("x", str(text))
        with pytest.raises(InvalidParameterError):
            client.submit("x", b"plain bytes, no magic")
    assert api.requests == []


def test_unreadable_or_missing_or_directory_image(api: FakeAPI, clock: FakeClock, tmp_path: Path) -> None:
    with _client(api) as client:
        for bad in (tmp_path / "missing.png", tmp_path):
            with pytest.raises(InvalidParameterError) as info:
                client.submit("x", bad)
            assert info.value.field == "image"
    assert api.requests == []


def test_oversized_image_is_refused_before_upload(
    api: FakeAPI, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from step1x_edit import _files as client_module  # the upload size cap is read there

    monkeypatch.setattr(client_module, "MAX_UPLOAD_BYTES", 1000)
    big = tmp_path / "big.png"
    big.write_bytes(PNG + b"\x00" * 2000)
    with _client(api) as client:
        with pytest.raises(InvalidParameterError, match="1000") as info:
            client.submit("x", big)
        assert info.value.field == "image"
        with pytest.raises(InvalidParameterError):
            client.upload(big)
    assert api.requests == []


@pytest.mark.parametrize("bad", [None, 12, 1.5, object(), [PNG]])
def test_upload_of_nonsense_is_invalid_parameter(api: FakeAPI, clock: FakeClock, bad: Any) -> None:
    with _client(api) as client, pytest.raises(InvalidParameterError) as info:
        client.upload(bad)
    assert info.value.field == "file"
    assert api.count(UPLOAD) == 0


@pytest.mark.parametrize("timeout", [-1, 0, math.nan, math.inf, -math.inf, "5", True, [5]])
@pytest.mark.parametrize("cls", [Step1XEdit, AsyncStep1XEdit])
def test_constructor_timeout_is_validated(cls: type[Any], timeout: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        cls(api_key=KEY, base_url=BASE, request_timeout=timeout)
    assert info.value.field == "request_timeout"


def test_httpx_timeout_with_bad_parts_is_refused() -> None:
    with pytest.raises(InvalidParameterError):
        Step1XEdit(api_key=KEY, base_url=BASE, request_timeout=httpx.Timeout(5.0, read=-1.0))


@pytest.mark.parametrize("timeout", [-1, 0, math.nan, "5", True])
def test_call_timeouts_are_validated(api: FakeAPI, clock: FakeClock, timeout: Any) -> None:
    with _client(api) as client:
        for call in (
            lambda: client.edit("x", URL, timeout=timeout),
            lambda: client.wait("abc", timeout=timeout),
            lambda: client.get("abc", timeout=timeout),
            lambda: client.upload(PNG, timeout=timeout),
        ):
            with pytest.raises(InvalidParameterError) as info:
                call()
            assert info.value.field == "timeout"
    assert api.requests == []


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True])
def test_max_retries_is_validated(bad: Any) -> None:
    with pytest.raises(InvalidParameterError):
        Step1XEdit(api_key=KEY, base_url=BASE, max_retries=bad)


# --- 5. the caller's http_client ----------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://api.wavespeed.ai", "http://10.0.0.5", "ftp://x.example"])
def test_http_client_base_url_is_checked(url: str) -> None:
    with httpx.Client(base_url=url) as http, pytest.raises(InvalidParameterError) as info:
        Step1XEdit(api_key=KEY, http_client=http)
    assert info.value.field == "base_url"


@pytest.mark.anyio
async def test_async_http_client_base_url_is_checked() -> None:
    async with httpx.AsyncClient(base_url="http://api.wavespeed.ai") as http:
        with pytest.raises(InvalidParameterError):
            AsyncStep1XEdit(api_key=KEY, http_client=http)


def test_http_client_is_never_mutated_and_its_other_requests_carry_no_key(api: FakeAPI, clock: FakeClock) -> None:
    http = httpx.Client(transport=httpx.MockTransport(api.handler), headers={"X-Mine": "1"})
    before = (dict(http.headers), {k: list(v) for k, v in http.event_hooks.items()}, str(http.base_url))
    with Step1XEdit(api_key=KEY, base_url=BASE, http_client=http) as client:
        client.submit("x", URL)
    assert (dict(http.headers), {k: list(v) for k, v in http.event_hooks.items()}, str(http.base_url)) == before
    assert api.requests[-1].headers["authorization"] == f"Bearer {KEY}"  # the API call had the key...
    assert api.requests[-1].headers["x-mine"] == "1"  # ...and the caller's own settings
    http.get("https://elsewhere.test/other")
    assert "authorization" not in api.requests[-1].headers  # the caller's other requests do not
    assert not http.is_closed  # and we do not close what we did not open
    http.close()


@pytest.mark.anyio
async def test_async_http_client_is_never_mutated(api: FakeAPI, clock: FakeClock) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(api.handler))
    before = (dict(http.headers), {k: list(v) for k, v in http.event_hooks.items()})
    async with AsyncStep1XEdit(api_key=KEY, base_url=BASE, http_client=http) as client:
        await client.submit("x", URL)
    assert (dict(http.headers), {k: list(v) for k, v in http.event_hooks.items()}) == before
    await http.get("https://elsewhere.test/other")
    assert "authorization" not in api.requests[-1].headers
    assert not http.is_closed
    await http.aclose()


def test_no_exception_text_carries_a_header_value(api: FakeAPI, clock: FakeClock) -> None:
    """Even if a bad header value reached httpx/h11, its echo must not reach the caller."""

    def echo(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError(f"Illegal header value {request.headers['authorization']!r}")

    api.on(SUBMIT, echo)
    with _client(api) as client, pytest.raises(Step1XEditError) as info:
        client.submit("x", URL)
    assert KEY not in str(info.value)
    assert getattr(info.value, "task_may_exist", None) is False  # nothing could have been sent
    assert api.count(SUBMIT) == 1  # and it is not retried


def test_http_client_and_transport_together_are_refused() -> None:
    with httpx.Client() as http, pytest.raises(InvalidParameterError) as info:
        Step1XEdit(
            api_key=KEY, base_url=BASE, http_client=http, transport=httpx.MockTransport(lambda r: httpx.Response(200))
        )
    assert info.value.field == "transport"
    with pytest.raises(InvalidParameterError) as info:
        Step1XEdit(api_key=KEY, base_url=BASE, http_client="not a client")  # type: ignore[arg-type]
    assert info.value.field == "http_client"
