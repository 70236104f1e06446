"""Record the contract cassettes: against the sandbox (default) or the live API (--live).

    scripts/record-cassettes                 # sandbox -> contracts/cassettes/
    scripts/record-cassettes --live          # real API -> .drift/cassettes/ (then read the drift report)
    scripts/record-cassettes --live --update # real API -> contracts/cassettes/ (after reviewing the drift)

Everything is scrubbed before it is written: the Authorization header becomes a placeholder,
the key is replaced anywhere it appears, cookies and date-like headers are dropped, and the
host is normalised to https://api.wavespeed.ai so cassettes do not depend on the sandbox port.
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

import httpx
import vcr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract.scenarios import EXTRA_FIELDS, KEY_PLACEHOLDER, RECORDED_BASE, SCENARIOS, Scenario
from step1x_edit._spec_data import SPEC_VERSION
from step1x_edit_api import Client

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = ROOT / "contracts" / "cassettes"
SCRATCH = ROOT / ".drift" / "cassettes"
PROVENANCE = "PROVENANCE.json"
DROP_HEADERS = {"date", "server", "set-cookie", "cookie", "x-request-id", "host"}
LIVE_BASE = "https://api.wavespeed.ai"


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


def _keep_api_only(path: Path) -> None:
    import yaml

    cassette = yaml.safe_load(path.read_text(encoding="utf-8"))
    cassette["interactions"] = [
        i for i in cassette["interactions"] if i["request"]["uri"].startswith(RECORDED_BASE + "/api/")
    ]
    path.write_text(yaml.safe_dump(cassette, sort_keys=False), encoding="utf-8")


def _add_extra_fields(path: Path) -> None:
    """extra_fields: add unknown fields to the recorded completed body (the provenance says so)."""
    import yaml

    cassette = yaml.safe_load(path.read_text(encoding="utf-8"))
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
        yield LIVE_BASE, os.environ["WAVESPEED_API_KEY"]
        return
    from step1x_edit.sandbox import Fault, SandboxConfig, serve

    with serve(SandboxConfig(**scenario.config)) as server:
        for fault in scenario.faults:
            server.sandbox.add_fault(Fault.parse(fault))
        yield server.base_url, server.api_key


def record(scenario: Scenario, out: Path, *, live: bool) -> dict[str, Any]:
    path = out / f"{scenario.name}.yaml"
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
    _keep_api_only(path)
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
    args = parser.parse_args(argv)
    if args.live and not os.environ.get("WAVESPEED_API_KEY"):
        print("error: --live needs WAVESPEED_API_KEY in the environment (never as an argument)", file=sys.stderr)
        return 2
    out = CASSETTES if (not args.live or args.update) else SCRATCH
    out.mkdir(parents=True, exist_ok=True)
    chosen = [s for s in SCENARIOS if (not args.only or s.name in args.only) and (s.live or not args.live)]
    provenance_path = out / PROVENANCE
    provenance = json.loads(provenance_path.read_text()) if provenance_path.exists() else {}
    for scenario in chosen:
        provenance[scenario.name] = record(scenario, out, live=args.live)
        print(f"recorded {scenario.name:28} -> {out.relative_to(ROOT)}/{scenario.name}.yaml")
    provenance_path.write_text(json.dumps(dict(sorted(provenance.items())), indent=2) + "\n", encoding="utf-8")
    if args.live and not args.update:
        from contract.drift import report

        print(report(CASSETTES, out, [s.name for s in chosen]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
