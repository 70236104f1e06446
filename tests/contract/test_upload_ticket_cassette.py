"""The upload-ticket cassette: createUploadTicket, then the PUT of the bytes to its presigned URL.

The parametrized cassette tests (test_cassettes.py) already validate it, replay it through the
generated client and through step1x_edit (with the spec's preference moved to the ticket flow),
and the drift catalogue mutates it. Here: what the cassette holds, each mutation of it the
offline suite must catch (naming the cassette, the interaction and the field), the replay
refusing a client that sends the key to the presigned URL, and the recorder's handling of a
live-style ticket whose PUT goes to another host with a signed query.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
import yaml

from step1x_edit import Step1XEdit, _api

from . import recorder
from .drift import cassette_findings
from .scenarios import BY_NAME, KEY_PLACEHOLDER, PNG, PRESIGNED_REDACTED, RECORDED_BASE, UPLOAD_TICKET_PATH
from .spec_check import cassette_problems, presigned_puts
from .test_cassettes import CASSETTES, SECRET, same_authorization

NAME = "upload_ticket"


def _interactions() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load((CASSETTES / f"{NAME}.yaml").read_text(encoding="utf-8"))[
        "interactions"
    ]
    return loaded


def _ticket_body(interactions: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(interactions[0]["response"]["body"]["string"])
    return body


def test_the_cassette_holds_the_ticket_then_the_put_without_the_key() -> None:
    interactions = _interactions()
    ticket, put = interactions
    assert (ticket["request"]["method"], ticket["request"]["uri"]) == ("POST", RECORDED_BASE + UPLOAD_TICKET_PATH)
    assert ticket["request"]["headers"]["authorization"] == [f"Bearer {KEY_PLACEHOLDER}"]
    upload = _ticket_body(interactions)["data"]["upload"]
    assert (put["request"]["method"], put["request"]["uri"]) == (upload["method"], upload["url"])
    assert not [name for name in put["request"]["headers"] if name.lower() == "authorization"]
    assert put["request"]["headers"]["content-type"] == [upload["headers"]["Content-Type"]]
    assert put["request"]["body"] == PNG  # the bytes themselves, as announced in the ticket
    assert json.loads(ticket["request"]["body"])["size"] == len(PNG)
    assert presigned_puts(interactions) == {1: upload}
    assert cassette_problems(NAME, interactions) == []


def _rename_download_url(interactions: list[dict[str, Any]]) -> None:
    body = _ticket_body(interactions)
    body["data"]["url"] = body["data"].pop("download_url")
    interactions[0]["response"]["body"]["string"] = json.dumps(body)


def _drop_upload_url(interactions: list[dict[str, Any]]) -> None:
    body = _ticket_body(interactions)
    url = body["data"]["upload"].pop("url")
    interactions[0]["response"]["body"]["string"] = json.dumps(body)
    interactions[1]["request"]["uri"] = url


def _put_with_the_key(interactions: list[dict[str, Any]]) -> None:
    interactions[1]["request"]["headers"]["authorization"] = [f"Bearer {KEY_PLACEHOLDER}"]


def _put_without_the_signed_header(interactions: list[dict[str, Any]]) -> None:
    interactions[1]["request"]["headers"]["content-type"] = ["application/octet-stream"]


def _put_with_post(interactions: list[dict[str, Any]]) -> None:
    interactions[1]["request"]["method"] = "POST"


def _put_refused(interactions: list[dict[str, Any]]) -> None:
    interactions[1]["response"]["status"] = {"code": 403, "message": "Forbidden"}


# (mutation, the line cassette_problems must print, the finding's path, its check)
MUTATIONS = [
    (
        _rename_download_url,
        "upload_ticket.yaml #0: POST /api/v3/media/uploads 200: $.data: 'download_url' is a required property",
        "$.data.download_url",
        "response-required-property-removed",
    ),
    (
        _drop_upload_url,
        "upload_ticket.yaml #0: POST /api/v3/media/uploads 200: $.data.upload: 'url' is a required property",
        "$.data.upload.url",
        "response-required-property-removed",
    ),
    (
        _put_with_the_key,
        "upload_ticket.yaml #1: PUT {upload.url}: $request.headers.authorization: the request to the presigned URL "
        "carries an Authorization header",
        "$request.headers.authorization",
        "presigned-put-sent-the-key",
    ),
    (
        _put_without_the_signed_header,
        "upload_ticket.yaml #1: PUT {upload.url}: $request.headers.content-type: header Content-Type is "
        "'application/octet-stream' where the ticket says 'image/png'",
        "$request.headers.content-type",
        "presigned-put-header-changed",
    ),
    (
        _put_with_post,
        "upload_ticket.yaml #1: PUT {upload.url}: $request.method: sent with POST where the ticket says 'PUT'",
        "$request.method",
        "presigned-put-method-changed",
    ),
    (
        _put_refused,
        "upload_ticket.yaml #1: PUT {upload.url}: $: the presigned URL answered HTTP 403",
        "$",
        "presigned-put-refused",
    ),
]


@pytest.mark.parametrize(("mutate", "line", "path", "check"), MUTATIONS, ids=[m[0].__name__[1:] for m in MUTATIONS])
def test_a_mutated_ticket_cassette_turns_the_suite_red(mutate: Any, line: str, path: str, check: str) -> None:
    """What test_recorded_responses_conform_to_spec and test_cassette_keeps_the_contract run, on a mutant."""
    interactions = copy.deepcopy(_interactions())
    mutate(interactions)
    problems = cassette_problems(NAME, interactions)
    assert any(p.startswith(line) for p in problems), "\n".join(problems)
    findings = cassette_findings(NAME, interactions, BY_NAME[NAME].expect)
    named = [f for f in findings if (f.verdict, f.path, f.check) == ("breaking", path, check)]
    assert named, "\n".join(map(str, findings))
    assert all(f.cassette == NAME for f in named)


def test_the_replay_refuses_a_client_that_sends_the_key_to_the_presigned_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The replay matches on whether Authorization is sent: a client leaking the key to the PUT fails."""
    monkeypatch.setattr(_api, "PREFERRED_UPLOAD", "createUploadTicket")
    build = _api._put_request

    def leaky(http: Any, ticket: Any, content: bytes) -> httpx.Request:
        request = build(http, ticket, content)
        request.headers["Authorization"] = f"Bearer {KEY_PLACEHOLDER}"
        return request

    player = vcr.VCR(record_mode="none", match_on=["method", "path", "authorization"])
    player.register_matcher("authorization", same_authorization)
    cassette = str(CASSETTES / f"{NAME}.yaml")
    with player.use_cassette(cassette), Step1XEdit(api_key=KEY_PLACEHOLDER, base_url=RECORDED_BASE) as client:
        assert client.upload(PNG, filename="photo.png").startswith(RECORDED_BASE)  # the real client replays
    monkeypatch.setattr(_api, "_put_request", leaky)
    with (
        player.use_cassette(cassette),
        Step1XEdit(api_key=KEY_PLACEHOLDER, base_url=RECORDED_BASE, max_retries=0) as client,
        pytest.raises(Exception, match="Authorization header sent"),
    ):
        client.upload(PNG, filename="photo.png")


# --- the recorder, on a ticket as the real API answers it (PUT to a storage host, signed query) --------

STORAGE = "https://storage.example-cdn.com/uploads/3f2a/sample.png"
CDN = "https://cdn.example-cdn.com/uploads/3f2a/sample.png"
SIGNED = (
    STORAGE
    + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261203&X-Amz-Signature=9f86d081884c7d65"
)


def _live_like(tmp_path: Path) -> Path:
    """A raw recording as vcrpy writes it in --live mode, before _keep_contract_traffic."""
    ticket = {
        "code": 200,
        "message": "success",
        "data": {
            "type": "image",
            "download_url": CDN + "?Expires=1765000000&Signature=c2lnbmVkLWdldA&Key-Pair-Id=K2EXAMPLE",
            "filename": "sample.png",
            "size": len(PNG),
            "upload": {"method": "PUT", "url": SIGNED, "headers": {"Content-Type": "image/png"}},
        },
    }
    text = json.dumps(ticket)

    def interaction(method: str, uri: str, body: str, status: int, auth: bool) -> dict[str, Any]:
        headers = {"authorization": [f"Bearer {KEY_PLACEHOLDER}"]} if auth else {"content-type": ["image/png"]}
        return {
            "request": {"method": method, "uri": uri, "body": None, "headers": headers},
            "response": {
                "status": {"code": status, "message": "OK"},
                "headers": {"content-type": ["application/json"], "content-length": [str(len(body))]},
                "body": {"string": body},
            },
        }

    cassette = {
        "interactions": [
            interaction("POST", RECORDED_BASE + UPLOAD_TICKET_PATH, text, 200, auth=True),
            interaction("PUT", SIGNED, "", 200, auth=False),
            interaction("POST", "http://127.0.0.1:9/hook", "", 200, auth=False),  # a webhook delivery: dropped
        ],
        "version": 1,
    }
    path = tmp_path / f"{NAME}.yaml"
    path.write_text(yaml.safe_dump(cassette, sort_keys=False), encoding="utf-8")
    return path


def test_recorder_keeps_a_foreign_host_put_and_redacts_its_signature(tmp_path: Path) -> None:
    path = _live_like(tmp_path)
    assert SECRET.search(path.read_text())  # the raw recording holds a signature the scan recognises
    recorder._keep_contract_traffic(path)  # what record() runs after vcrpy wrote the file
    text = path.read_text()
    assert not SECRET.search(text), text
    assert "9f86d081884c7d65" not in text
    assert "AKIAEXAMPLE" not in text
    assert "c2lnbmVkLWdldA" not in text  # a signed download_url is redacted too
    interactions = yaml.safe_load(text)["interactions"]
    assert [i["request"]["method"] for i in interactions] == ["POST", "PUT"]
    redacted = f"{STORAGE}?X-Amz-Algorithm={PRESIGNED_REDACTED}&X-Amz-Credential={PRESIGNED_REDACTED}"
    redacted += f"&X-Amz-Signature={PRESIGNED_REDACTED}"
    assert interactions[1]["request"]["uri"] == redacted
    ticket = json.loads(interactions[0]["response"]["body"]["string"])
    assert ticket["data"]["upload"]["url"] == redacted
    assert ticket["data"]["download_url"] == CDN + "?Expires=REDACTED&Signature=REDACTED&Key-Pair-Id=REDACTED"
    assert interactions[0]["response"]["headers"]["content-length"] == [
        str(len(interactions[0]["response"]["body"]["string"].encode()))
    ]
    # and the redacted pair still validates and names each other
    assert presigned_puts(interactions) == {1: ticket["data"]["upload"]}
    assert cassette_problems(NAME, interactions) == []


def test_redact_presigned_leaves_plain_urls_alone() -> None:
    plain = "https://api.wavespeed.ai/_sandbox/uploads/25d88e960afbdf1e75294654b0691e3f"
    assert recorder.redact_presigned(plain) == plain
    assert (
        recorder.redact_presigned(plain + "?sig=abc&e=1") == plain + f"?sig={PRESIGNED_REDACTED}&e={PRESIGNED_REDACTED}"
    )
