"""The package builds: a wheel from this checkout holds both import packages and the command,
and once installed (into a target folder, dependencies from this venv) the command runs from it.

Built offline (``--no-build-isolation --no-index``, with the pinned hatchling from the dev
extra), in about a second, into a temporary directory; the checkout is left untouched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", *args, "--no-index", "--disable-pip-version-check", "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("dist")
    _pip("wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(directory), str(ROOT))
    (built,) = directory.glob("step1x_edit-*.whl")
    return built


def test_wheel_holds_both_packages_and_the_command(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    for module in (
        "step1x_edit/__init__.py",
        "step1x_edit/cli.py",
        "step1x_edit/py.typed",
        "step1x_edit/_spec_data.py",
        "step1x_edit/sandbox/assets/sample.png",
        "step1x_edit_api/__init__.py",
        "step1x_edit_api/client.py",
        "step1x_edit_api/py.typed",
    ):
        assert module in names, module
    assert "step1x-edit = step1x_edit.cli:main" in entry_points
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for extra in ("cli", "sandbox", "all"):
        assert extra in extras
        assert f"Provides-Extra: {extra}" in metadata


def test_installed_wheel_runs_the_command(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    _pip("install", "--no-deps", "--target", str(target), str(wheel))
    # The wheel's copy comes first on the path; typer, httpx... come from this venv.
    env = {**os.environ, "PYTHONPATH": str(target), "COLUMNS": "100"}
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import step1x_edit, step1x_edit_api; print(step1x_edit.__file__, step1x_edit_api.__file__)",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert all(path.startswith(str(target)) for path in where.stdout.split()), where.stdout
    script = target / "bin" / "step1x-edit"
    helped = subprocess.run(
        [sys.executable, str(script), "--help"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert helped.returncode == 0, helped.stderr
    for command in ("edit", "submit", "wait", "sandbox", "verify-webhook"):
        assert command in helped.stdout


def test_one_version_number() -> None:
    """The version lives in pyproject.toml and _constants only; both agree, and nothing else retypes it."""
    import re as _re

    import step1x_edit
    from step1x_edit._constants import CLIENT_VERSION

    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert step1x_edit.__version__ == CLIENT_VERSION == project["version"]
    literal = _re.compile(r"^\s*__version__\s*=\s*['\"]", _re.MULTILINE)
    retyped = [p.name for p in (root / "src" / "step1x_edit").rglob("*.py") if literal.search(p.read_text("utf-8"))]
    assert retyped == []
