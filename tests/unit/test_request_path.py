"""The request path does no avoidable work (issue 12: client CPU per request).

Speed itself is measured in bench/ (no timed assertions here); these tests pin the causes the
profile found, each of which fails on the code before the fix:

* the generated submit builder passed ``params={}`` and a ``headers`` dict on every call, so
  httpx parsed the URL once more and merged headers per request (custom template,
  openapi/templates/endpoint_module.py.jinja);
* every answer was parsed twice: by the generated ``_parse_response`` (thrown away) and by ours
  (``_api`` now calls the generated ``*_raw`` operations and parses the body once, into ``raw``);
* ``edit()`` slept for zero seconds when its first poll was already due (a syscall and a
  context switch for nothing);
* the transport copied every buffered response into a second ``httpx.Response``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from step1x_edit import PollPolicy, Step1XEdit
from step1x_edit._transport import RetryTransport
from step1x_edit_api.api.edit import submit_edit
from step1x_edit_api.api.predictions import get_result
from step1x_edit_api.models import EditRequest

from .conftest import BASE, KEY, PID, RESULT, SUBMIT, FakeAPI, FakeClock, prediction

IMAGE = "https://example.com/in.png"


def test_generated_submit_passes_no_empty_params_and_no_header_dict() -> None:
    kwargs = submit_edit._get_kwargs(body=EditRequest(prompt="p", image=IMAGE))
    assert "params" not in kwargs  # an empty dict made httpx re-parse the URL
    assert "headers" not in kwargs  # json= sets Content-Type itself; nothing to merge
    with_hook = submit_edit._get_kwargs(body=EditRequest(prompt="p", image=IMAGE), webhook="https://h.example/x")
    assert with_hook["params"] == {"webhook": "https://h.example/x"}


def test_generated_get_result_passes_no_params() -> None:
    assert set(get_result._get_kwargs(PID)) == {"method", "url"}


def test_submit_still_sends_json_content_type_and_no_query(client: Step1XEdit, api: FakeAPI) -> None:
    client.submit("make the sky purple", IMAGE)
    (request,) = api.requests
    assert request.headers["content-type"] == "application/json"
    assert request.url.query == b""
    assert json.loads(request.content)["prompt"] == "make the sky purple"


def test_submit_with_webhook_still_sends_it_in_the_query(client: Step1XEdit, api: FakeAPI) -> None:
    client.submit("p", IMAGE, webhook="https://hook.example/a?b=c")
    assert api.requests[0].url.params["webhook"] == "https://hook.example/a?b=c"
    assert api.requests[0].headers["content-type"] == "application/json"


def test_the_generated_parser_is_not_run(client: Step1XEdit, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = httpx.Response.json

    def counting_json(self: httpx.Response, **kwargs: Any) -> Any:
        calls.append(str(self.url))
        return original(self, **kwargs)

    monkeypatch.setattr(httpx.Response, "json", counting_json)
    client.submit("p", IMAGE)
    client.get(PID)
    assert calls == []  # the generated _parse_response calls response.json(); we parse the bytes ourselves


def test_each_answer_is_parsed_once_and_kept_as_raw(client: Step1XEdit, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[object] = []
    original = json.loads

    def counting_loads(text: Any, **kwargs: Any) -> Any:
        value = original(text, **kwargs)
        parsed.append(value)
        return value

    monkeypatch.setattr(json, "loads", counting_loads)
    prediction = client.get(PID)
    (body,) = parsed
    assert isinstance(body, dict)
    assert prediction.raw is body["data"]  # the very object of the one parse


def test_a_poll_already_due_is_sent_without_sleeping(api: FakeAPI, clock: FakeClock) -> None:
    def slow_submit(request: httpx.Request) -> httpx.Response:
        clock.now += 0.01  # the submit takes longer than the first poll delay
        return httpx.Response(200, json={"code": 200, "message": "success", "data": prediction("created")})

    api.on(SUBMIT, slow_submit)
    policy = PollPolicy(first=1e-6, learn=False)
    with Step1XEdit(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api.handler), poll=policy) as client:
        done = client.edit("p", IMAGE)
    assert done.status == "completed"
    assert api.count(RESULT) == 1
    assert clock.sleeps == []  # no time.sleep(0)


def test_the_transport_hands_back_the_response_it_read() -> None:
    sent: list[httpx.Response] = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(200, stream=httpx.ByteStream(b'{"a": 1}'), headers={"X-Seen": "1"})
        sent.append(response)
        return response

    transport = RetryTransport(httpx.MockTransport(handler))
    with httpx.Client(transport=transport) as http:
        response = http.get("https://api.test/x")
    assert response is sent[0]  # buffered in place, not copied into a second Response
    assert response.json() == {"a": 1}
    assert response.headers["x-seen"] == "1"
    assert response.is_closed
