"""Teeth: each mutation of the product must make the suite fail, and the unmutated copy must pass.

Every mutation is applied to a temporary copy of the repository; the copy's tests then run in
a subprocess that imports the copy (PYTHONPATH first; checked), on a narrow selection of tests.
A control copy runs every selection unmutated and must pass, so a failure is the mutation's.

Mutations: narrow a range in the spec and regenerate; drop a required response field from a
cassette; rename a status value in the spec and regenerate; drop the strict rule "a completed
prediction has outputs" from the spec; make submit retry after a read timeout; drop the
Authorization header; rename download_url in the upload-ticket cassette (the failure names the
cassette, the interaction and the field); send the key with the PUT to a ticket's presigned URL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("openapi", "generated", "src", "tests", "contracts", "scripts", "pyproject.toml")


def _replace(path: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        target = root / path
        text = target.read_text(encoding="utf-8")
        assert text.count(old) >= 1, f"mutation target {old!r} not found in {path}"
        target.write_text(text.replace(old, new), encoding="utf-8")

    return apply


def _regenerate(root: Path) -> None:
    """Regenerate the copy. A breaking spec edit without a version bump is written, then exits 1
    with the version gate's reason (scripts/regenerate): the mutated code is what these tests want."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    result = subprocess.run(
        [sys.executable, str(root / "scripts" / "_regenerate.py")], capture_output=True, text=True, env=env
    )
    gated = result.returncode == 1 and result.stderr.strip().splitlines()[-1].startswith("api-version-not-bumped")
    assert result.returncode == 0 or gated, result.stdout + result.stderr


def _then(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        for step in steps:
            step(root)

    return apply


def _drop_id_from_cassette(root: Path) -> None:
    import yaml

    path = root / "contracts" / "cassettes" / "result_lifecycle.yaml"
    cassette = yaml.safe_load(path.read_text(encoding="utf-8"))
    last = cassette["interactions"][-1]["response"]
    last["body"]["string"] = last["body"]["string"].replace('"id":', '"was_id":', 1)
    path.write_text(yaml.safe_dump(cassette, sort_keys=False), encoding="utf-8")


@dataclass(frozen=True)
class Mutation:
    name: str
    apply: Callable[[Path], None]
    tests: tuple[str, ...]
    says: tuple[str, ...] = ()
    """What the failing run must print (e.g. the cassette and the field), besides failing."""


MUTATIONS = [
    Mutation(
        "narrow-steps-range",
        _then(_replace("openapi/step1x-edit.yaml", "maximum: 50\n", "maximum: 40\n"), _regenerate),
        ("tests/test_spec.py",),
    ),
    Mutation(
        "drop-required-response-field",
        _drop_id_from_cassette,
        ("tests/contract/test_cassettes.py::test_recorded_responses_conform_to_spec",),
    ),
    Mutation(
        "rename-status-value",
        _then(
            _replace(
                "openapi/step1x-edit.yaml",
                "enum: [created, processing, completed, failed]",
                "enum: [created, processing, complete, failed]",
            ),
            _regenerate,
        ),
        ("tests/test_spec.py", "tests/test_generated_models.py"),
    ),
    Mutation(
        "drop-completed-has-outputs-rule",
        _replace("openapi/step1x-edit.yaml", "              outputs:\n                minItems: 1\n", ""),
        ("tests/contract/test_strict_rules.py::test_rule_refuses",),
    ),
    Mutation(
        "retry-submit-after-read-timeout",
        _replace(
            "src/step1x_edit/_retry.py",
            "if safe and isinstance(error, httpx.TransportError):",
            "if isinstance(error, httpx.TransportError):",
        ),
        ("tests/unit/test_retries.py",),
    ),
    Mutation(
        "drop-authorization-header",
        _replace("src/step1x_edit/_client.py", '"Authorization": f"Bearer {self.__api_key}",', ""),
        ("tests/unit/test_security_and_files.py", "tests/faults/test_fault_matrix.py"),
    ),
    Mutation(
        "rename-download-url-in-ticket-cassette",
        _replace("contracts/cassettes/upload_ticket.yaml", '"download_url":', '"file_url":'),
        ("tests/contract/test_cassettes.py::test_recorded_responses_conform_to_spec",),
        says=("upload_ticket.yaml #0: POST /api/v3/media/uploads 200: $.data: 'download_url' is a required property",),
    ),
    Mutation(
        "send-the-key-to-the-presigned-url",
        _replace(
            "src/step1x_edit/_api.py",
            "_put_request(http, ticket, content), auth=None)",
            "_put_request(http, ticket, content))",  # the client's key auth then signs the PUT too
        ),
        ("tests/contract/test_cassettes.py::test_step1x_edit_replays",),
        says=("PUT /_sandbox/uploads/", "Authorization header sent; the recording has none"),
    ),
]


def _copy(destination: Path) -> Path:
    for part in PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=shutil.ignore_patterns("__pycache__", ".drift"))
        else:
            shutil.copy(source, destination / part)
    return destination


def _run(root: Path, tests: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root / 'generated'}",
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    }
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import step1x_edit, step1x_edit_api; print(step1x_edit.__file__, step1x_edit_api.__file__)",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert probe.stdout.count(str(root)) == 2, f"the copy is not what gets imported: {probe.stdout}"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "--no-header",
            "-p",
            "no:cacheprovider",
            "--hypothesis-profile=ci",
            *tests,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    def control() -> subprocess.CompletedProcess[str]:
        selection = tuple(dict.fromkeys(test for m in MUTATIONS for test in m.tests))
        return _run(_copy(tmp_path_factory.mktemp("control")), selection)

    def mutant(mutation: Mutation) -> subprocess.CompletedProcess[str]:
        root = _copy(tmp_path_factory.mktemp(mutation.name))
        mutation.apply(root)
        return _run(root, mutation.tests)

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {"control": pool.submit(control)} | {m.name: pool.submit(mutant, m) for m in MUTATIONS}
        return {name: future.result() for name, future in futures.items()}


def test_control_copy_passes(outcomes: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = outcomes["control"]
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_mutation_is_caught(outcomes: dict[str, subprocess.CompletedProcess[str]], mutation: Mutation) -> None:
    result = outcomes[mutation.name]
    assert result.returncode == 1, f"mutation survived (exit {result.returncode}):\n{result.stdout[-3000:]}"
    assert "failed" in result.stdout
    for text in mutation.says:
        assert text in result.stdout, f"the failure does not say {text!r}:\n{result.stdout[-3000:]}"
