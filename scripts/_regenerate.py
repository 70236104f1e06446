"""Regenerate everything derived from openapi/step1x-edit.yaml, or check that nothing drifted.

Two outputs come from the spec:

* ``generated/step1x_edit_api/``: the typed client, written by openapi-python-client;
* ``src/step1x_edit/_spec_data.py``: the facts the hand-written layer needs at run time
  (request schema with its ranges and defaults, statuses, server URL, webhook scheme).

``--check`` builds both into a temporary directory and compares them with the committed
copies, listing every new, changed and removed file. Run via ``scripts/regenerate``.
"""

from __future__ import annotations

import argparse
import difflib
import filecmp
import os
import pprint
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "step1x-edit.yaml"
CONFIG = ROOT / "openapi" / "generator.yaml"
PACKAGE = "step1x_edit_api"
GENERATED = ROOT / "generated" / PACKAGE
SPEC_DATA = ROOT / "src" / "step1x_edit" / "_spec_data.py"
FIX = "scripts/regenerate"


def _resolve(node: Any, spec: dict[str, Any]) -> Any:
    """Inline every local $ref so the schema can be used without the rest of the document."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target, spec)
        return {key: _resolve(value, spec) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, spec) for item in node]
    return node


def _strip_annotations(node: Any) -> Any:
    """Drop x- annotations and prose: the run-time copy needs only the validation keywords."""
    if isinstance(node, dict):
        return {
            key: _strip_annotations(value)
            for key, value in node.items()
            if not key.startswith("x-") and key != "description"
        }
    if isinstance(node, list):
        return [_strip_annotations(item) for item in node]
    return node


def spec_data_source(spec: dict[str, Any]) -> str:
    schemas = spec["components"]["schemas"]
    status = schemas["PredictionStatus"]
    signature = spec["webhooks"]["predictionFinished"]["post"]["x-signature"]
    facts: dict[str, Any] = {
        "SPEC_VERSION": spec["info"]["version"],
        "DEFAULT_BASE_URL": spec["servers"][0]["url"],
        "EDIT_REQUEST_SCHEMA": _strip_annotations(_resolve(schemas["EditRequest"], spec)),
        "DOCUMENTED_STATUSES": tuple(schemas["KnownPredictionStatus"]["enum"]),
        "OBSERVED_STATUSES": tuple(status["x-observed"]),
        "TERMINAL_STATUSES": frozenset(status["x-terminal"]),
        "SUCCESSFUL_STATUSES": frozenset(status["x-successful"]),
        "SYNC_TIMEOUT_TASK_CODE": schemas["Prediction"]["properties"]["code"]["x-sync-timeout-code"],
        "WEBHOOK_SIGNATURE": signature,
    }
    lines = [
        '"""Facts derived from openapi/step1x-edit.yaml by scripts/regenerate. Do not edit."""',
        "",
        "from typing import Any, Final",
        "",
    ]
    for name, value in facts.items():
        annotation = "dict[str, Any]" if isinstance(value, dict) else type(value).__name__
        if isinstance(value, frozenset):
            annotation = "frozenset[str]"
            rendered = "frozenset(" + pprint.pformat(sorted(value), width=100) + ")"
        elif isinstance(value, tuple):
            annotation = "tuple[str, ...]"
            rendered = pprint.pformat(value, width=100)
        else:
            rendered = pprint.pformat(value, width=100, sort_dicts=False)
        lines.append(f"{name}: Final[{annotation}] = {rendered}")
    return "\n".join(lines) + "\n"


def _ruff_format(path: Path) -> None:
    subprocess.run(
        ["ruff", "format", "--isolated", "--no-cache", "--line-length", "120", "--quiet", str(path)],
        check=True,
    )


def build(out: Path) -> tuple[Path, Path]:
    """Write the generated package and the spec-data module under ``out``; return both paths."""
    package = out / PACKAGE
    result = subprocess.run(
        [
            "openapi-python-client",
            "generate",
            "--path",
            str(SPEC),
            "--config",
            str(CONFIG),
            "--meta",
            "none",
            "--output-path",
            str(package),
            "--overwrite",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"openapi-python-client failed (exit {result.returncode})")
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    spec_data = out / SPEC_DATA.name
    spec_data.write_text(spec_data_source(spec), encoding="utf-8")
    _ruff_format(spec_data)
    return package, spec_data


def _files(directory: Path) -> set[str]:
    # Bytecode caches appear whenever the package runs (and git ignores them): not drift.
    return {
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file() and "__pycache__" not in p.relative_to(directory).parts
    }


def compare(fresh: Path, committed: Path, label: str) -> list[str]:
    """List the differences between a fresh build and the committed copy, as readable lines."""
    problems: list[str] = []
    if fresh.is_file():
        if not committed.is_file():
            return [f"  new:     {label}"]
        if not filecmp.cmp(fresh, committed, shallow=False):
            problems.append(f"  changed: {label}")
            diff = difflib.unified_diff(
                committed.read_text(encoding="utf-8").splitlines(),
                fresh.read_text(encoding="utf-8").splitlines(),
                fromfile=f"committed/{label}",
                tofile=f"from-spec/{label}",
                lineterm="",
                n=1,
            )
            problems.extend("      " + line for line in list(diff)[:40])
        return problems
    new, old = _files(fresh), _files(committed) if committed.is_dir() else set()
    for name in sorted(new - old):
        problems.append(f"  new:     {label}/{name}")
    for name in sorted(old - new):
        problems.append(f"  removed: {label}/{name}")
    for name in sorted(new & old):
        problems.extend(compare(fresh / name, committed / name, f"{label}/{name}"))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/regenerate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed output is stale; change nothing")
    args = parser.parse_args(argv)
    # The generator's post-hooks call ruff by name: make sure it is this environment's ruff.
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    with tempfile.TemporaryDirectory(prefix="step1x-regen-") as tmp:
        package, spec_data = build(Path(tmp))
        problems = compare(package, GENERATED, f"generated/{PACKAGE}")
        problems += compare(spec_data, SPEC_DATA, SPEC_DATA.relative_to(ROOT).as_posix())
        if args.check:
            if problems:
                print("Generated code is out of date with openapi/step1x-edit.yaml:", file=sys.stderr)
                print("\n".join(problems), file=sys.stderr)
                print(f"\nFix: run `{FIX}` and commit the result (never edit generated/ by hand).", file=sys.stderr)
                return 1
            print(f"OK: generated/{PACKAGE} and {SPEC_DATA.relative_to(ROOT)} match the spec.")
            return 0
        if GENERATED.exists():
            shutil.rmtree(GENERATED)
        shutil.copytree(package, GENERATED)
        shutil.copyfile(spec_data, SPEC_DATA)
        if problems:
            print("\n".join(line for line in problems if not line.startswith("      ")))
        print(f"Regenerated generated/{PACKAGE} and {SPEC_DATA.relative_to(ROOT)} from {SPEC.relative_to(ROOT)}.")
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
