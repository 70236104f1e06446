"""Regeneration: generated/ and _spec_data.py are exactly what the spec produces.

Covers:
* ``scripts/regenerate --check`` passes on the committed tree (the drift check);
* a spec changed without regenerating fails the check, naming each changed, new and removed
  file and the command that fixes it (run on a copy of the tree, never on the real one);
* the generated package ships ``py.typed``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run_check(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "_regenerate.py"), "--check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The parts of the repository the generator reads and writes."""
    for part in ("openapi", "generated", "scripts"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "src" / "step1x_edit").mkdir(parents=True)
    shutil.copy(ROOT / "src" / "step1x_edit" / "_spec_data.py", tmp_path / "src" / "step1x_edit")
    return tmp_path


def _edit_spec(root: Path, old: str, new: str) -> None:
    spec = root / "openapi" / "step1x-edit.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"mutation target not unique: {old!r}"
    spec.write_text(text.replace(old, new), encoding="utf-8")


def test_committed_output_matches_spec() -> None:
    result = _run_check(ROOT)
    assert result.returncode == 0, result.stderr
    assert "match the spec" in result.stdout


def test_changed_range_without_regenerating_fails(tree_copy: Path) -> None:
    _edit_spec(tree_copy, "maximum: 50\n", "maximum: 40\n")
    result = _run_check(tree_copy)
    assert result.returncode == 1
    assert "changed: src/step1x_edit/_spec_data.py" in result.stderr
    assert '"maximum": 40' in result.stderr  # the diff shows what moved
    assert "run `scripts/regenerate`" in result.stderr


def test_changed_default_names_the_generated_model(tree_copy: Path) -> None:
    _edit_spec(tree_copy, "default: 30\n", "default: 28\n")
    result = _run_check(tree_copy)
    assert result.returncode == 1
    assert "changed: generated/step1x_edit_api/models/edit_request.py" in result.stderr


def test_renamed_schema_lists_new_and_removed_files(tree_copy: Path) -> None:
    spec = tree_copy / "openapi" / "step1x-edit.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("BareError", "PlainError"), encoding="utf-8")
    result = _run_check(tree_copy)
    assert result.returncode == 1
    assert "new:     generated/step1x_edit_api/models/plain_error.py" in result.stderr
    assert "removed: generated/step1x_edit_api/models/bare_error.py" in result.stderr


def test_regenerating_the_copy_clears_the_drift(tree_copy: Path) -> None:
    _edit_spec(tree_copy, "maximum: 50\n", "maximum: 40\n")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    subprocess.run(
        [sys.executable, str(tree_copy / "scripts" / "_regenerate.py")], check=True, capture_output=True, env=env
    )
    assert _run_check(tree_copy).returncode == 0
    assert '"maximum": 40' in (tree_copy / "src" / "step1x_edit" / "_spec_data.py").read_text(encoding="utf-8")


def test_generated_package_is_typed() -> None:
    assert (ROOT / "generated" / "step1x_edit_api" / "py.typed").is_file()


def test_bytecode_caches_are_not_drift(tree_copy: Path) -> None:
    """Running the package without PYTHONDONTWRITEBYTECODE (e.g. ./scripts/demo) leaves __pycache__."""
    cache = tree_copy / "generated" / "step1x_edit_api" / "__pycache__"
    cache.mkdir()
    (cache / "client.cpython-311.pyc").write_bytes(b"\x00")
    result = _run_check(tree_copy)
    assert result.returncode == 0, result.stderr
