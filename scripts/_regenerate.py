"""Regenerate everything derived from openapi/step1x-edit.yaml, report what the edit means, or check.

Two outputs come from the spec:

* ``generated/step1x_edit_api/``: the typed client, written by openapi-python-client;
* ``src/step1x_edit/_spec_data.py``: the facts the hand-written layer needs at run time
  (request schema with its ranges and defaults, statuses, server URL, webhook scheme);
* ``src/step1x_edit/_params.py``: ``EditParams`` (the TypedDict behind ``**params`` of edit()
  and submit(), field docstrings from the spec's descriptions with ranges and defaults) and the
  help texts the client's signature and the CLI's options are built from.

Every run also prints a change report: what changed since the last released spec
(``openapi/released/step1x-edit.yaml``), per operation, parameter and response field, classified
for users with oasdiff's check ids and levels (``_spec_changes.py``), and what changed in the
public Python API (``openapi/released/python-api.pyi``, compared with griffe: ``_api_changes.py``).
``info.version`` must follow the change: a breaking change (level ``err``) needs a major bump.

* ``scripts/regenerate``: rewrite the outputs and ``openapi/CHANGELOG.md`` (its "Unreleased"
  section); when ``info.version`` was bumped, record the release: the CHANGELOG entry for the
  new version and a new baseline in ``openapi/released/``. Exits 1 (after writing the outputs)
  when a breaking change has no version bump.
* ``scripts/regenerate --check``: change nothing; fail on stale outputs, a stale CHANGELOG, an
  unrecorded release, or a breaking change without its bump, each with a one-line reason.
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
import textwrap
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _api_changes  # sits next to this script
import _spec_changes
import _unasync

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "step1x-edit.yaml"
CONFIG = ROOT / "openapi" / "generator.yaml"
# Our overrides of the generator's templates (the rest are used as shipped); a template edit
# changes the output, so --check fails until the package is regenerated.
TEMPLATES = ROOT / "openapi" / "templates"
PACKAGE = "step1x_edit_api"
GENERATED = ROOT / "generated" / PACKAGE
SPEC_DATA = ROOT / "src" / "step1x_edit" / "_spec_data.py"
PARAMS = ROOT / "src" / "step1x_edit" / "_params.py"
ASYNC_CLIENT = ROOT / "src" / "step1x_edit" / "_async_client.py"
SYNC_CLIENT = ROOT / "src" / "step1x_edit" / "_sync_client.py"
# EditRequest fields the client methods take as named arguments (the others are EditParams).
NAMED_ARGUMENTS = {
    "prompt": "prompt",
    "image": "image",
    "enable_sync_mode": "sync",
    "enable_base64_output": "base64_output",
}
_PYTHON_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
FIX = "scripts/regenerate"
RELEASED = ROOT / "openapi" / "released"
RELEASED_SPEC = RELEASED / "step1x-edit.yaml"
RELEASED_API = RELEASED / "python-api.pyi"
CHANGELOG = ROOT / "openapi" / "CHANGELOG.md"
UNRELEASED = "## Unreleased"
CHANGELOG_HEAD = """# Spec changelog

Every released `info.version` of `openapi/step1x-edit.yaml` and what changed for users, newest
first. `scripts/regenerate` writes it from its change report: check ids and levels follow
oasdiff (`err` breaks, `warn` may break some callers, `info` is compatible); `python-*` lines
come from griffe's breaking-change check on the generated client. An "Unreleased" section
follows the spec between releases; bumping `info.version` and running `scripts/regenerate`
turns it into that version's entry. `scripts/regenerate --check` fails when this file is behind
the spec. Released entries are never rewritten and may be edited by hand.
"""


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


def _preferred_upload(spec: dict[str, Any]) -> str:
    """The operationId of the one media upload operation marked ``x-preferred: true``."""
    marked = [
        op["operationId"]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "media" in op.get("tags", ()) and op.get("x-preferred") is True
    ]
    if len(marked) != 1:
        raise SystemExit(f"exactly one media upload operation must be marked x-preferred: true, found {marked}")
    return str(marked[0])


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
        "PREFERRED_UPLOAD": _preferred_upload(spec),
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


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _param_help(rule: dict[str, Any]) -> str:
    """One paragraph for a request field: its description, then its range and its default."""
    text = " ".join(str(rule.get("description", "")).split())
    low, high = rule.get("minimum"), rule.get("maximum")
    if low is not None and high is not None:
        text += f" Range: {_number(low)} to {_number(high)} inclusive."
    elif low is not None:
        text += f" Range: >= {_number(low)}."
    elif high is not None:
        text += f" Range: <= {_number(high)}."
    if "default" in rule:
        text += f" Server default: {_number(rule['default'])}."
    else:
        text += " Not sent unless given."
    return text.strip()


def params_source(spec: dict[str, Any]) -> str:
    """``_params.py``: the EditParams TypedDict (field docstrings from the spec) and its help texts."""
    request = _resolve(spec["components"]["schemas"]["EditRequest"], spec)
    fields = {name: rule for name, rule in request["properties"].items() if name not in NAMED_ARGUMENTS}
    lines = [
        '"""Edit parameters derived from openapi/step1x-edit.yaml by scripts/regenerate. Do not edit.',
        "",
        "EditParams types the ``**params`` of edit() and submit() on both clients; EDIT_PARAM_HELP is",
        "the same text for help(), inspect.signature and the CLI's options.",
        '"""',
        "",
        "from typing import Final, TypedDict",
        "",
        '__all__ = ["EDIT_PARAM_HELP", "EDIT_PARAM_TYPES", "NAMED_ARGUMENTS", "EditParams"]',
        "",
        "",
        "class EditParams(TypedDict, total=False):",
        '    """Optional Step1X-Edit parameters (the spec\'s EditRequest fields without a named argument)."""',
        "",
    ]
    for name, rule in fields.items():
        lines.append(f"    {name}: {_PYTHON_TYPES[rule['type']]}")
        doc = _param_help(rule).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
        wrapped = textwrap.wrap(doc, width=96)
        if len(wrapped) == 1:
            lines.append(f'    """{doc}"""')
        else:
            lines += ['    """' + wrapped[0], *("    " + line for line in wrapped[1:]), '    """']
        lines.append("")
    helps = {name: _param_help(rule) for name, rule in fields.items()}
    types = {name: _PYTHON_TYPES[rule["type"]] for name, rule in fields.items()}
    lines.append(f"EDIT_PARAM_HELP: Final[dict[str, str]] = {pprint.pformat(helps, width=100, sort_dicts=False)}")
    lines.append(f"EDIT_PARAM_TYPES: Final[dict[str, type]] = {{{', '.join(f'{n!r}: {t}' for n, t in types.items())}}}")
    lines.append(
        "NAMED_ARGUMENTS: Final[dict[str, str]] = "
        + pprint.pformat(NAMED_ARGUMENTS, width=100, sort_dicts=False)
        + "  # request field -> argument name"
    )
    return "\n".join(lines) + "\n"


def _ruff_format(path: Path) -> None:
    subprocess.run(
        ["ruff", "format", "--isolated", "--no-cache", "--line-length", "120", "--quiet", str(path)],
        check=True,
    )


def build_sync_client(out: Path) -> Path:
    """Write ``_sync_client.py`` (Step1XEdit) from the hand-written ``_async_client.py``."""
    sync_client = out / SYNC_CLIENT.name
    sync_client.write_text(_unasync.unasync(ASYNC_CLIENT.read_text(encoding="utf-8")), encoding="utf-8")
    subprocess.run(
        ["ruff", "check", "--isolated", "--no-cache", "--select", "I,F401", "--fix", "--quiet", str(sync_client)],
        check=False,
    )
    _ruff_format(sync_client)
    return sync_client


def build(out: Path, spec_path: Path = SPEC) -> tuple[Path, Path, Path]:
    """Write the generated package, the spec-data and the params modules under ``out``; return their paths."""
    package = out / PACKAGE
    result = subprocess.run(
        [
            "openapi-python-client",
            "generate",
            "--path",
            str(spec_path),
            "--config",
            str(CONFIG),
            "--custom-template-path",
            str(TEMPLATES),
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
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec_data = out / SPEC_DATA.name
    spec_data.write_text(spec_data_source(spec), encoding="utf-8")
    _ruff_format(spec_data)
    params = out / PARAMS.name
    params.write_text(params_source(spec), encoding="utf-8")
    _ruff_format(params)
    return package, spec_data, params


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


# --------------------------------------------------------------------------------------------
# Change report, versioning policy and CHANGELOG


class Report:
    """What changed between the released baseline and the edited spec (and generated client)."""

    def __init__(self, generated_parent: Path) -> None:
        self.new_spec: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
        self.new_version = str(self.new_spec["info"]["version"])
        self.api_text = _api_changes.render({PACKAGE: generated_parent, "step1x_edit": ROOT / "src"})
        self.has_baseline = RELEASED_SPEC.is_file() and RELEASED_API.is_file()
        if self.has_baseline:
            old_spec = yaml.safe_load(RELEASED_SPEC.read_text(encoding="utf-8"))
            self.old_version = str(old_spec["info"]["version"])
            self.changes = _spec_changes.diff_specs(old_spec, self.new_spec)
            api_breaks = _api_changes.breaking_changes(RELEASED_API.read_text(encoding="utf-8"), self.api_text)
        else:
            self.old_version, self.changes, api_breaks = self.new_version, [], []
        # The generated client follows the spec's version; step1x_edit follows pyproject's.
        self.client_breaks = [b for b in api_breaks if b.package == PACKAGE]
        self.layer_breaks = [b for b in api_breaks if b.package != PACKAGE]
        breaking = [
            f"{c.id} {c.where}{' ' + c.field if c.field else ''}" for c in _spec_changes.iter_breaking(self.changes)
        ]
        breaking += [f"python-{b.kind} {b.path}" for b in self.client_breaks]
        self.breaking = breaking
        self.verdict = _spec_changes.version_verdict(self.old_version, self.new_version, breaking)

    @property
    def released(self) -> bool:
        """True when ``info.version`` is the baseline's: nothing to record."""
        return self.has_baseline and self.new_version == self.old_version

    def lines(self) -> list[str]:
        baseline = RELEASED_SPEC.relative_to(ROOT).as_posix()
        if not self.has_baseline:
            return [
                f"No baseline in {RELEASED.relative_to(ROOT)}: {self.new_version} will be recorded as the first release."
            ]
        head = f"Changes from the released spec {self.old_version} ({baseline}) to {self.new_version} ({SPEC.relative_to(ROOT)}):"
        out = [head]
        out += _spec_changes.render(self.changes) or ["  none in operations, parameters or fields."]
        out.append(f"Public Python API against {RELEASED_API.relative_to(ROOT)} (griffe):")
        if not self.client_breaks and not self.layer_breaks:
            out.append("  no breaking change in step1x_edit_api or step1x_edit.")
        out += [f"    {b.line()}" for b in self.client_breaks]
        if self.layer_breaks:
            out.append("  step1x_edit (hand-written; versioned by pyproject.toml, not info.version):")
            out += [f"    {b.line()}" for b in self.layer_breaks]
        errors = sum(1 for c in self.changes if c.level == "err") + len(self.client_breaks)
        warnings = sum(1 for c in self.changes if c.level == "warn")
        infos = sum(1 for c in self.changes if c.level == "info")
        out.append(f"Summary: {errors} breaking (err), {warnings} warn, {infos} info.")
        if self.verdict.ok and errors:
            out.append(
                f"Version: {self.old_version} -> {self.new_version}, a major bump: the breaking changes are allowed."
            )
        elif self.verdict.ok and not self.released:
            out.append(f"Version: {self.old_version} -> {self.new_version}.")
        elif self.verdict.ok and self.changes:
            out.append(
                f"Version: still {self.new_version}; nothing breaking, so no bump is required (listed as Unreleased)."
            )
        return out

    def entry(self) -> list[str]:
        """The CHANGELOG body for these changes (markdown)."""
        body = _spec_changes.render(self.changes, markdown=True)
        if self.client_breaks:
            body += ["### Python API of step1x_edit_api (griffe)", ""]
            body += [f"- `python-{b.kind}` err: {b.explanation}" for b in self.client_breaks]
            body.append("")
        return body


def _first_release_entry(spec: dict[str, Any]) -> list[str]:
    ops = _spec_changes.operations(spec)
    lines = ["First version recorded by `scripts/regenerate`. It describes:", ""]
    for key, op in ops.items():
        op_id = op.node.get("operationId")
        lines.append(f"- {key}" + (f" (`{op_id}`)" if op_id else ""))
    lines.append("")
    return lines


def _split_changelog(text: str) -> tuple[str, list[str], str]:
    """(head, unreleased section lines, released entries) of CHANGELOG.md."""
    lines = text.splitlines()
    sections = [i for i, line in enumerate(lines) if line.startswith("## ")]
    if not sections:
        return text.rstrip("\n") + "\n", [], ""
    head = "\n".join(lines[: sections[0]]).rstrip("\n") + "\n"
    if lines[sections[0]].startswith(UNRELEASED):
        end = sections[1] if len(sections) > 1 else len(lines)
        released = "\n".join(lines[end:])
        return head, lines[sections[0] : end], (released.rstrip("\n") + "\n") if released else ""
    return head, [], "\n".join(lines[sections[0] :]).rstrip("\n") + "\n"


def _latest_released(released: str) -> str | None:
    for line in released.splitlines():
        if line.startswith("## "):
            return line.removeprefix("## ").split()[0]
    return None


def expected_changelog(report: Report, current: str) -> str:
    """CHANGELOG.md as it should read now, keeping every released entry as written."""
    head, _, released = _split_changelog(current) if current else (CHANGELOG_HEAD, [], "")
    parts = [head.rstrip("\n") + "\n"]
    if not report.has_baseline:
        parts.append(
            "\n".join([f"## {report.new_version}", "", *_first_release_entry(report.new_spec)]).rstrip("\n") + "\n"
        )
    elif not report.released:
        parts.append("\n".join([f"## {report.new_version}", "", *report.entry()]).rstrip("\n") + "\n")
    elif report.changes or report.client_breaks:
        intro = f"Changes since {report.old_version}, to be released with the next `info.version` bump."
        parts.append("\n".join([UNRELEASED, "", intro, "", *report.entry()]).rstrip("\n") + "\n")
    if released:
        parts.append(released)
    return "\n".join(parts)


def _changelog_problems(report: Report) -> list[str]:
    current = CHANGELOG.read_text(encoding="utf-8") if CHANGELOG.is_file() else ""
    latest = _latest_released(_split_changelog(current)[2]) if current else None
    problems = []
    if report.has_baseline and latest != report.old_version:
        problems.append(
            f"changelog-stale: {CHANGELOG.relative_to(ROOT)} has no entry for the released {report.old_version}"
            f" (latest: {latest}); run `{FIX}`"
        )
    elif current != expected_changelog(report, current):
        problems.append(f"changelog-stale: {CHANGELOG.relative_to(ROOT)} does not match the change report; run `{FIX}`")
    return problems


def record_release(report: Report) -> None:
    """Write the new version's CHANGELOG entry and make the edited spec the new baseline."""
    current = CHANGELOG.read_text(encoding="utf-8") if CHANGELOG.is_file() else ""
    CHANGELOG.write_text(expected_changelog(report, current), encoding="utf-8")
    RELEASED.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SPEC, RELEASED_SPEC)
    RELEASED_API.write_text(report.api_text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/regenerate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if anything derived is stale; change nothing")
    args = parser.parse_args(argv)
    # The generator's post-hooks call ruff by name: make sure it is this environment's ruff.
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    with tempfile.TemporaryDirectory(prefix="step1x-regen-") as tmp:
        package, spec_data, params = build(Path(tmp))
        problems = compare(package, GENERATED, f"generated/{PACKAGE}")
        problems += compare(spec_data, SPEC_DATA, SPEC_DATA.relative_to(ROOT).as_posix())
        problems += compare(params, PARAMS, PARAMS.relative_to(ROOT).as_posix())
        sync_client = build_sync_client(Path(tmp))
        problems += compare(sync_client, SYNC_CLIENT, SYNC_CLIENT.relative_to(ROOT).as_posix())
        report = Report(package.parent)
        print("\n".join(report.lines()))
        if args.check:
            return _check(report, problems)
        if GENERATED.exists():
            shutil.rmtree(GENERATED)
        shutil.copytree(package, GENERATED)
        shutil.copyfile(spec_data, SPEC_DATA)
        shutil.copyfile(params, PARAMS)
        shutil.copyfile(sync_client, SYNC_CLIENT)
    if problems:
        print("\n".join(line for line in problems if not line.startswith("      ")))
    print(f"Regenerated generated/{PACKAGE} and {SPEC_DATA.relative_to(ROOT)} from {SPEC.relative_to(ROOT)}.")
    if not report.verdict.ok:
        current = CHANGELOG.read_text(encoding="utf-8") if CHANGELOG.is_file() else ""
        if report.released:
            CHANGELOG.write_text(expected_changelog(report, current), encoding="utf-8")
        print(report.verdict.reason, file=sys.stderr)
        return 1
    if not report.released:
        record_release(report)
        print(
            f"Recorded release {report.new_version}: {CHANGELOG.relative_to(ROOT)} entry and baseline in "
            f"{RELEASED.relative_to(ROOT)}/. Cassettes carry the spec version: re-record them with "
            "`scripts/record-cassettes` (and review the entry)."
        )
        return 0
    current = CHANGELOG.read_text(encoding="utf-8") if CHANGELOG.is_file() else ""
    CHANGELOG.write_text(expected_changelog(report, current), encoding="utf-8")
    return 0


def _check(report: Report, problems: list[str]) -> int:
    failures: list[str] = []
    if problems:
        print("Generated code is out of date with openapi/step1x-edit.yaml:", file=sys.stderr)
        print("\n".join(problems), file=sys.stderr)
        print(f"Fix: run `{FIX}` and commit the result (never edit generated/ by hand).", file=sys.stderr)
        failures.append("generated-stale")
    if not report.has_baseline:
        failures.append(f"baseline-missing: no {RELEASED.relative_to(ROOT)}/ baseline; run `{FIX}` to record one")
    elif report.verdict.ok and not report.released:
        failures.append(
            f"release-not-recorded: info.version is {report.new_version} but {RELEASED_SPEC.relative_to(ROOT)} is "
            f"{report.old_version}; run `{FIX}` to record the release"
        )
    elif report.verdict.ok:
        failures += _changelog_problems(report)
    if not report.verdict.ok:
        failures.append(report.verdict.reason)
    for failure in failures:
        if failure != "generated-stale":
            print(failure, file=sys.stderr)
    if failures:
        return 1
    print(
        f"OK: generated/{PACKAGE}, {SPEC_DATA.relative_to(ROOT)} and {PARAMS.name} match the spec; info.version "
        f"{report.new_version} follows the change; {CHANGELOG.relative_to(ROOT)} is current."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
