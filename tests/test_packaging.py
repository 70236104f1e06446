"""The package builds: a wheel from this checkout holds both import packages and the command.

Built offline (``--no-build-isolation --no-index``, with the pinned hatchling from the dev
extra), in about a second, into a temporary directory; the checkout is left untouched.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_holds_both_packages_and_the_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--disable-pip-version-check",
            "--quiet",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("step1x_edit-*.whl")
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
