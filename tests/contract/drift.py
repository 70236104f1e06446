"""Compare freshly recorded cassettes with the committed ones and describe the drift.

Looks at shape, not values: per interaction, the status code, the prediction status, and the
JSON type at every path (``$.data.timings.inference: integer``). Reports new and missing
fields, changed types, changed status codes and new status values.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


def shape(value: Any, path: str = "$") -> dict[str, str]:
    """JSON path -> JSON type, for every node; array items are merged under ``[*]``."""
    if isinstance(value, dict):
        found = {path: "object"}
        for key, item in value.items():
            found.update(shape(item, f"{path}.{key}"))
        return found
    if isinstance(value, list):
        found = {path: "array"}
        for item in value:
            found.update(shape(item, f"{path}[*]"))
        return found
    return {path: _TYPES.get(type(value), type(value).__name__)}


def summarize(cassette: Path) -> list[dict[str, Any]]:
    """One entry per interaction: method, path, status code, prediction status and body shape."""
    data = yaml.safe_load(cassette.read_text(encoding="utf-8"))
    out = []
    for interaction in data.get("interactions", []):
        request, response = interaction["request"], interaction["response"]
        try:
            body = json.loads(response["body"]["string"])
        except (ValueError, TypeError):
            body = None
        status = (
            body.get("data", {}).get("status")
            if isinstance(body, dict) and isinstance(body.get("data"), dict)
            else None
        )
        out.append(
            {
                "request": f"{request['method']} {request['uri'].split('?')[0].split('/api/')[-1]}",
                "code": response["status"]["code"],
                "status": status,
                "shape": shape(body) if body is not None else {"$": "not JSON"},
            }
        )
    return out


def diff(committed: list[dict[str, Any]], fresh: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    if len(committed) != len(fresh):
        lines.append(f"  {len(fresh)} interactions recorded, {len(committed)} committed")
    for index, (old, new) in enumerate(zip(committed, fresh, strict=False)):
        where = f"  #{index} {new['request']}"
        if old["code"] != new["code"]:
            lines.append(f"{where}: status code {old['code']} -> {new['code']}")
        if new["status"] is not None and new["status"] != old["status"]:
            lines.append(f"{where}: prediction status {old['status']!r} -> {new['status']!r}")
        for path in sorted(set(new["shape"]) - set(old["shape"])):
            lines.append(f"{where}: new field {path} ({new['shape'][path]})")
        for path in sorted(set(old["shape"]) - set(new["shape"])):
            lines.append(f"{where}: missing field {path} (was {old['shape'][path]})")
        for path in sorted(set(old["shape"]) & set(new["shape"])):
            if old["shape"][path] != new["shape"][path]:
                lines.append(f"{where}: {path} changed type {old['shape'][path]} -> {new['shape'][path]}")
    return lines


def report(committed_dir: Path, fresh_dir: Path, names: list[str]) -> str:
    out = ["", "Drift report (fresh recording vs committed cassettes):"]
    clean = True
    for name in names:
        old, new = committed_dir / f"{name}.yaml", fresh_dir / f"{name}.yaml"
        if not old.exists():
            out.append(f"{name}: no committed cassette to compare with")
            clean = False
            continue
        lines = diff(summarize(old), summarize(new))
        if lines:
            clean = False
            out.append(f"{name}:")
            out.extend(lines)
    if clean:
        out.append("no drift: every recorded response has the committed shape")
    else:
        out.append(
            "\nNext: decide whether the API changed; if so edit openapi/step1x-edit.yaml, run scripts/regenerate, "
            "re-record with scripts/record-cassettes, and run ./scripts/test."
        )
    return "\n".join(out)


if __name__ == "__main__":
    committed, fresh = Path(sys.argv[1]), Path(sys.argv[2])
    print(report(committed, fresh, sorted(p.stem for p in fresh.glob("*.yaml"))))  # noqa: T201
