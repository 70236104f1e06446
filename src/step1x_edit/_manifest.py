"""Batch input: manifests (CSV, JSONL, a folder of images) and the checked, keyed items.

Every row is validated before anything is sent, with the client's own rules
(``validate_edit_params``, derived from the spec); each valid row gets a key, the SHA-256 of
what would be sent (the image's content or URL, the prompt, the parameters), so an edited
manifest re-bills only the rows that changed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._exceptions import InvalidParameterError
from ._spec_data import EDIT_REQUEST_SCHEMA
from ._validation import validate_edit_params

__all__ = ["BatchItem", "InvalidRowsError", "load_manifest", "prepare_items"]

_REMOTE = ("http://", "https://", "data:")
_PLACEHOLDER = "https://upload.invalid/pending"
_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"})
# Batch polls for results; a sync-mode submit would hold a connection per item for nothing.
_NOT_IN_BATCH = {"enable_sync_mode": "not in a batch (the batch waits for results itself)"}


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One valid row: what to send, and its key."""

    row: int
    """1-based position in the manifest (or in the items given to batch())."""
    key: str
    prompt: str
    image: str | bytes
    """A URL, a local file path (absolute), or bytes."""
    params: dict[str, Any] = field(default_factory=dict)
    """The other request fields, validated (seed, guidance_scale, ...)."""
    source: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """The row as given."""

    def request(self) -> dict[str, Any]:
        """JSON-ready description of the item (the image as a path, URL or content hash)."""
        image = self.image if isinstance(self.image, str) else f"<{len(self.image)} bytes>"
        return {"prompt": self.prompt, "image": image, **self.params}


class InvalidRowsError(InvalidParameterError):
    """One or more rows are invalid; nothing was sent. ``.rows`` lists (row, error) pairs."""

    def __init__(self, rows: list[tuple[int, InvalidParameterError]]) -> None:
        self.rows = rows
        row, first = rows[0]
        lines = [f"row {r}: {e}" for r, e in rows[:20]]
        more = f"\n... and {len(rows) - 20} more invalid rows" if len(rows) > 20 else ""
        message = (
            f"{len(rows)} invalid row(s); nothing was sent (fix them, or skip them with skip_invalid / "
            f"--skip-invalid):\n" + "\n".join(lines) + more
        )
        super().__init__(first.field, first.value, first.allowed, message=message)
        self.row = row


def _coerce(name: str, text: str) -> Any:
    """A CSV cell as the type the spec gives the field (left as text if it does not parse)."""
    rule = EDIT_REQUEST_SCHEMA["properties"].get(name)
    kind = rule.get("type") if isinstance(rule, Mapping) else None
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
    return text


def load_manifest(path: str | os.PathLike[str], defaults: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows of a CSV or JSONL manifest, or of a folder of images (one row per image).

    ``defaults`` (e.g. the CLI's --prompt, --seed) fill what a row leaves out. A relative
    ``image`` path is resolved against the manifest's folder.
    """
    source = Path(path)
    defaults = {k: v for k, v in (defaults or {}).items() if v is not None}
    if source.is_dir():
        images = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES)
        if not images:
            raise InvalidParameterError(
                "manifest", str(source), f"a folder holding images ({', '.join(sorted(_IMAGE_SUFFIXES))})"
            )
        return [{**defaults, "image": str(p.resolve())} for p in images]
    try:
        text = source.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidParameterError("manifest", str(source), f"a readable CSV or JSONL file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InvalidParameterError("manifest", str(source), "a UTF-8 CSV or JSONL file") from None
    rows: list[dict[str, Any]] = []
    if source.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidParameterError(
                    "manifest", f"{source}:{number}", f"one JSON object per line ({exc.msg})"
                ) from None
            if not isinstance(value, dict):
                raise InvalidParameterError("manifest", f"{source}:{number}", "one JSON object per line")
            rows.append({**defaults, **value})
    elif source.suffix.lower() in (".csv", ".tsv"):
        reader = csv.DictReader(text.splitlines(), dialect="excel-tab" if source.suffix.lower() == ".tsv" else "excel")
        for cells in reader:
            row = {
                str(k).strip(): _coerce(str(k).strip(), v)
                for k, v in cells.items()
                if k is not None and v not in ("", None)
            }
            rows.append({**defaults, **row})
    else:
        raise InvalidParameterError("manifest", str(source), "a .csv, .tsv or .jsonl file, or a folder of images")
    base = source.resolve().parent
    for row in rows:
        image = row.get("image")
        if isinstance(image, str) and image and not image.startswith(_REMOTE) and not Path(image).is_absolute():
            row["image"] = str(base / image)
    return rows


def _digest_file(path: Path, cache: dict[Path, str]) -> str:
    if path not in cache:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        cache[path] = digest.hexdigest()
    return cache[path]


def _check_image(image: Any, cache: dict[Path, str]) -> tuple[str | bytes, dict[str, str]]:
    """The image to send and what identifies its content; InvalidParameterError if unusable."""
    if isinstance(image, bytes | bytearray):
        return bytes(image), {"sha256": hashlib.sha256(image).hexdigest()}
    if isinstance(image, str) and image.startswith(_REMOTE):
        return image, {"url": image}
    if not isinstance(image, str | os.PathLike) or not str(image):
        raise InvalidParameterError("image", image, "an http(s) URL, a data: URI, bytes, or an existing local file")
    path = Path(image)
    try:
        if not path.is_file():
            why = "is a directory" if path.is_dir() else "does not exist"
            raise InvalidParameterError("image", str(image), f"an existing local file or a URL; {path} {why}")
        return str(path.resolve()), {"sha256": _digest_file(path.resolve(), cache)}
    except OSError as exc:
        raise InvalidParameterError("image", str(image), f"a readable file ({exc.strerror})") from None


def _item(row: int, given: Mapping[str, Any], cache: dict[Path, str]) -> BatchItem:
    if not isinstance(given, Mapping):
        raise InvalidParameterError("item", given, "a mapping of edit parameters (image, prompt, ...)")
    for name, reason in _NOT_IN_BATCH.items():
        if name in given:
            raise InvalidParameterError(name, given[name], reason)
    if "image" not in given:
        raise InvalidParameterError("image", None, "required")
    image, identity = _check_image(given["image"], cache)
    fields = {k: v for k, v in given.items() if v is not None}
    fields["image"] = image if isinstance(image, str) and image.startswith(_REMOTE) else _PLACEHOLDER
    body = validate_edit_params(fields)  # the client's own checks; raises naming field, value, allowed
    params = {k: v for k, v in body.items() if k not in ("image", "prompt")}
    same = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in params.items()}  # 4.0 == 4
    key = hashlib.sha256(
        json.dumps({"image": identity, "prompt": body["prompt"], "params": same}, sort_keys=True).encode()
    ).hexdigest()
    return BatchItem(row=row, key=key, prompt=body["prompt"], image=image, params=params, source=given)


def prepare_items(
    items: Iterable[Mapping[str, Any]], *, skip_invalid: bool = False
) -> tuple[list[BatchItem], list[tuple[int, InvalidParameterError]], int]:
    """Validate every item (sending nothing); return the valid ones (first of each key), the
    invalid ones, and how many rows repeated an earlier row's key.

    Raises InvalidRowsError listing every invalid row unless ``skip_invalid``.
    """
    cache: dict[Path, str] = {}
    duplicates = 0
    valid: dict[str, BatchItem] = {}
    invalid: list[tuple[int, InvalidParameterError]] = []
    for number, given in enumerate(items, 1):
        try:
            item = _item(number, given, cache)
        except InvalidParameterError as exc:
            invalid.append((number, exc))
            continue
        if item.key in valid:
            duplicates += 1
        valid.setdefault(item.key, item)
    if invalid and not skip_invalid:
        raise InvalidRowsError(invalid)
    return list(valid.values()), invalid, duplicates
