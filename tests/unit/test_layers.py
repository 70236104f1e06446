"""The layers of ARCHITECTURE.md hold: no module of step1x_edit imports one in a later layer, and
only _api imports the generated step1x_edit_api at run time.

Mutation caught: an upward import (e.g. _retry importing _client, _deadline importing _transport),
or a run-time import of step1x_edit_api outside _api.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "step1x_edit"


def _layers() -> dict[str, int]:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = text.split("```layers\n", 1)[1].split("```", 1)[0]
    layers: dict[str, int] = {}
    for line in block.strip().splitlines():
        number, _name, *modules = line.split()
        for module in modules:
            layers[module] = int(number)
    return layers


def _top(module_path: Path) -> str:
    relative = module_path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _runtime_imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level step1x_edit module or 'step1x_edit_api') of imports outside TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found: list[tuple[int, str]] = []
    inside_sandbox = "sandbox" in path.relative_to(PACKAGE).parts[:-1]
    for node in ast.walk(tree):
        if id(node) in skipped or not isinstance(node, ast.ImportFrom | ast.Import):
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif node.level == 0 and node.module:
            names = [node.module]
        elif node.level == 1 and inside_sandbox:
            names = ["step1x_edit.sandbox"]
        elif node.level >= 1:
            names = [f"step1x_edit.{node.module}" if node.module else f"step1x_edit.{a.name}" for a in node.names]
        for name in names:
            if name.startswith("step1x_edit_api"):
                found.append((node.lineno, "step1x_edit_api"))
            elif name == "step1x_edit":
                found.append((node.lineno, "__init__"))
            elif name.startswith("step1x_edit."):
                found.append((node.lineno, name.split(".")[1]))
    return found


def test_every_module_has_a_layer() -> None:
    layers = _layers()
    missing = {_top(p) for p in PACKAGE.rglob("*.py")} - set(layers)
    assert missing == set()


def test_no_module_imports_a_later_layer() -> None:
    layers = _layers()
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        me = _top(path)
        for line, target in _runtime_imports(path):
            if target == "step1x_edit_api":
                if me != "_api":
                    upward.append(f"{path.relative_to(ROOT)}:{line} imports step1x_edit_api (only _api may)")
                continue
            if layers[target] > layers[me]:
                upward.append(
                    f"{path.relative_to(ROOT)}:{line} ({me}, layer {layers[me]}) imports {target} (layer {layers[target]})"
                )
    assert upward == []
