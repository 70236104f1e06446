"""Record the contract cassettes: against the sandbox (default) or the live API (--live).

    scripts/record-cassettes                 # sandbox -> contracts/cassettes/
    scripts/record-cassettes --live          # real API -> .drift/cassettes/ (then read the drift report)
    scripts/record-cassettes --live --update # real API -> contracts/cassettes/ (after reviewing the drift)

--live talks to WAVESPEED_BASE_URL when it is set (e.g. a sandbox started with
``step1x-edit sandbox --drift NAME``), else to https://api.wavespeed.ai. It first says how many
billed predictions it will submit and asks for confirmation (skipped with --yes or CI=true);
it uploads the repository's sample picture and edits that, polls every 2 s (--poll-interval),
and exits 1 when the drift report has breaking or compatible findings.

Everything is scrubbed before it is written: the Authorization header becomes a placeholder,
the key is replaced anywhere it appears, cookies and date-like headers are dropped, and the
host is normalised to https://api.wavespeed.ai so cassettes do not depend on the sandbox port.
Only the API's interactions are kept, plus the PUT of each upload ticket's bytes to its
presigned URL; the query values (signature, credential, expiry) of that URL and of any
download_url are redacted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import vcr
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract.scenarios import (
    EXTRA_FIELDS,
    KEY_PLACEHOLDER,
    PRESIGNED_REDACTED,
    RECORDED_BASE,
    RECORDING,
    SAMPLE_IMAGE,
    SCENARIOS,
    Scenario,
)
from step1x_edit._spec_data import SPEC_VERSION
from step1x_edit_api import Client

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = ROOT / "contracts" / "cassettes"
SCRATCH = ROOT / ".drift" / "cassettes"
PROVENANCE = "PROVENANCE.json"
DROP_HEADERS = {"date", "server", "set-cookie", "cookie", "x-request-id", "host"}
LIVE_BASE = "https://api.wavespeed.ai"


def _load_yaml(text: str) -> Any:
    """yaml.safe_load with libyaml's C loader when present (cassettes are read often)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _scrubber(origin: str, key: str) -> Any:
    def request(req: Any) -> Any:
        # vcrpy applies this hook again to stored requests, so it must be idempotent; requests to
        # other hosts (the sandbox's webhook deliveries) are dropped from the file afterwards.
        if not req.uri.startswith(origin):
            return req
        req.uri = RECORDED_BASE + req.uri[len(origin) :]
        if key:
            req.uri = req.uri.replace(key, KEY_PLACEHOLDER)
        for name in list(req.headers):
            if name.lower() in DROP_HEADERS:
                del req.headers[name]
        return req

    def response(resp: dict[str, Any]) -> dict[str, Any]:
        resp["headers"] = {k: v for k, v in resp["headers"].items() if k.lower() not in DROP_HEADERS}
        body = resp["body"]["string"]
        if isinstance(body, bytes):
            if key:
                body = body.replace(key.encode(), KEY_PLACEHOLDER.encode())
            body = body.replace(origin.encode(), RECORDED_BASE.encode())
            resp["body"]["string"] = body
        return resp

    return request, response


def redact_presigned(url: str) -> str:
    """A presigned URL with every query value replaced (signature, credential, expiry: short-lived secrets)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = urlencode([(name, PRESIGNED_REDACTED) for name, _ in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit(parts._replace(query=query))


def _keep_contract_traffic(path: Path) -> None:
    """Keep the API's interactions and the PUT of each upload ticket; drop the rest (webhook deliveries).

    A ticket's presigned URL is redacted in the ticket's body and in the PUT's request alike, so
    the two still name each other (replays match on method and path).
    """
    cassette = _load_yaml(path.read_text(encoding="utf-8"))
    kept, put_urls = [], set()
    for interaction in cassette["interactions"]:
        request, response = interaction["request"], interaction["response"]
        uri = request["uri"]
        if uri.startswith(RECORDED_BASE + "/api/"):
            put_urls |= _redact_upload_urls(response)
            kept.append(interaction)
        elif (redacted := redact_presigned(uri)) in put_urls:
            request["uri"] = redacted
            kept.append(interaction)
    cassette["interactions"] = kept
    path.write_text(yaml.safe_dump(cassette, sort_keys=False), encoding="utf-8")


def _redact_upload_urls(response: dict[str, Any]) -> set[str]:
    """Redact the query of ``data.download_url`` and ``data.upload.url`` in place; the redacted upload.url, if any.

    On the real API a ticket's upload.url is a presigned storage URL, and a download_url may be a
    signed one: their query values are short-lived credentials. The sandbox's carry no query.
    """
    raw = response["body"]["string"]
    try:
        body = json.loads(raw)
    except (ValueError, TypeError):
        return set()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return set()
    changed, put_urls = False, set()
    if isinstance(data.get("download_url"), str):
        redacted = redact_presigned(data["download_url"])
        changed, data["download_url"] = redacted != data["download_url"], redacted
    upload = data.get("upload")
    if isinstance(upload, dict) and isinstance(upload.get("url"), str):
        redacted = redact_presigned(upload["url"])
        changed, upload["url"] = changed or redacted != upload["url"], redacted
        put_urls.add(redacted)
    if changed:
        text = json.dumps(body)
        response["body"]["string"] = text.encode() if isinstance(raw, bytes) else text
        for name in [n for n in response["headers"] if n.lower() == "content-length"]:
            response["headers"][name] = [str(len(text.encode()))]
    return put_urls


def _add_extra_fields(path: Path) -> None:
    """extra_fields: add unknown fields to the recorded completed body (the provenance says so)."""
    cassette = _load_yaml(path.read_text(encoding="utf-8"))
    last = cassette["interactions"][-1]["response"]
    body = json.loads(last["body"]["string"])
    body.update(EXTRA_FIELDS["envelope"])
    body["data"].update(EXTRA_FIELDS["data"])
    last["body"]["string"] = json.dumps(body)
    last["headers"].pop("content-length", None)
    last["headers"].pop("Content-Length", None)
    path.write_text(yaml.safe_dump(cassette, sort_keys=False), encoding="utf-8")


@contextmanager
def _target(scenario: Scenario, live: bool) -> Iterator[tuple[str, str]]:
    """(base URL, key) of the server to record against."""
    if live:
        yield live_base(), os.environ["WAVESPEED_API_KEY"]
        return
    from step1x_edit.sandbox import Fault, SandboxConfig, serve

    with serve(SandboxConfig(**scenario.config)) as server:
        for fault in scenario.faults:
            server.sandbox.add_fault(Fault.parse(fault))
        yield server.base_url, server.api_key


def live_base() -> str:
    return os.environ.get("WAVESPEED_BASE_URL", "").rstrip("/") or LIVE_BASE


def _is_loopback(url: str) -> bool:
    return httpx.URL(url).host in ("127.0.0.1", "localhost", "::1")


def plan(chosen: list[Scenario]) -> str:
    """What one live run costs, said before anything is sent."""
    billed = sum(s.billed for s in chosen)
    uploads = sum(s.replay in ("upload", "upload_ticket") for s in chosen)
    target = live_base()
    text = (
        f"Live run against {target}: {len(chosen)} scenarios ({', '.join(s.name for s in chosen)}), "
        f"{billed} billed prediction(s) on the real API (about ${0.03 * billed:.2f} at $0.03 per image) "
        f"plus {uploads} upload(s) of a 1.2 kB sample picture (multipart, and ticket + PUT)."
    )
    if _is_loopback(target):
        text += " The target is a local sandbox: nothing is billed."
    return text


def missing_key() -> int | None:
    """Exit status when --live has no key: 2 in CI (a missing secret must not pass), else None (skip)."""
    if os.environ.get("WAVESPEED_API_KEY"):
        return None
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        print(
            "error: --live needs the WAVESPEED_API_KEY secret, which is not set in this CI job "
            "(add it to the job's secrets, or run without --live)",
            file=sys.stderr,
        )
        return 2
    return None


def confirm(chosen: list[Scenario], assume_yes: bool) -> bool:
    print(plan(chosen), file=sys.stderr)
    if assume_yes or os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return True
    try:
        answer = input("Proceed? [y/N] ")
    except (EOFError, OSError):  # no terminal to answer: no
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def record(scenario: Scenario, out: Path, *, live: bool) -> dict[str, Any]:
    path = out / f"{scenario.name}.yaml"
    path.unlink(missing_ok=True)  # vcrpy would otherwise keep the old file's unmatched interactions
    with _target(scenario, live) as (base_url, key):
        send_key = "wrong-key-for-the-401-scenario" if scenario.bad_key else key
        before_request, before_response = _scrubber(base_url, key)
        recorder = vcr.VCR(
            record_mode="all",
            filter_headers=[("authorization", f"Bearer {KEY_PLACEHOLDER}")],
            before_record_request=before_request,
            before_record_response=before_response,
            decode_compressed_response=True,
        )
        http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {send_key}"}, timeout=30)
        with recorder.use_cassette(str(path)), http:
            scenario.record(Client(base_url=base_url).set_httpx_client(http))
    _keep_contract_traffic(path)
    modified = None
    if scenario.name == "extra_fields":
        _add_extra_fields(path)
        modified = f"unknown fields added to the last response: {json.dumps(EXTRA_FIELDS)}"
    entry: dict[str, Any] = {
        "source": "live" if live else "sandbox",
        "recorded": dt.date.today().isoformat(),
        "spec_version": SPEC_VERSION,
    }
    if modified:
        entry["modified"] = modified
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/record-cassettes", description=__doc__.splitlines()[0])
    parser.add_argument("--live", action="store_true", help="record against the real API (needs WAVESPEED_API_KEY)")
    parser.add_argument("--update", action="store_true", help="with --live: write into contracts/cassettes")
    parser.add_argument("--only", nargs="*", help="record only these scenarios")
    parser.add_argument(
        "--yes", action="store_true", help="with --live: do not ask before billing (CI=true implies it)"
    )
    parser.add_argument(
        "--plan", action="store_true", help="with --live: only say what a run costs and ask; record nothing"
    )
    parser.add_argument(
        "--poll-interval", type=float, help="seconds between polls (live default 2.0, the vendor's minimum)"
    )
    parser.add_argument("--poll-limit", type=float, help="stop polling after this many seconds (live default 300)")
    parser.add_argument("--out", type=Path, help="with --live: where the fresh cassettes go (default .drift/cassettes)")
    args = parser.parse_args(argv)
    chosen = [s for s in SCENARIOS if (not args.only or s.name in args.only) and (s.live or not args.live)]
    if args.live:
        if (status := missing_key()) is not None:
            return status
        if not os.environ.get("WAVESPEED_API_KEY"):
            print("live mode skipped: WAVESPEED_API_KEY is not set (the offline checks still run)", file=sys.stderr)
            return 0
        if not confirm(chosen, args.yes):
            print("aborted: nothing was sent", file=sys.stderr)
            return 1
        if args.plan:
            return 0
        RECORDING.poll_interval = 2.0 if args.poll_interval is None else args.poll_interval
        RECORDING.poll_limit = 300.0 if args.poll_limit is None else args.poll_limit
        RECORDING.upload = SAMPLE_IMAGE.read_bytes()
    else:
        RECORDING.poll_interval = 0.05 if args.poll_interval is None else args.poll_interval
    out = CASSETTES if (not args.live or args.update) else (args.out or SCRATCH)
    out.mkdir(parents=True, exist_ok=True)
    provenance_path = out / PROVENANCE
    provenance = json.loads(provenance_path.read_text()) if provenance_path.exists() else {}
    for scenario in chosen:
        provenance[scenario.name] = record(scenario, out, live=args.live)
        shown = out.resolve().relative_to(ROOT) if out.resolve().is_relative_to(ROOT) else out
        print(f"recorded {scenario.name:28} -> {shown / scenario.name}.yaml")
    provenance_path.write_text(json.dumps(dict(sorted(provenance.items())), indent=2) + "\n", encoding="utf-8")
    if args.live and not args.update:
        from contract.drift import compare, report

        findings = compare(CASSETTES, out, [s.name for s in chosen], {s.name: s.expect for s in chosen})
        print(report(findings, live_base()))
        return 1 if any(f.verdict != "note" for f in findings) else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
