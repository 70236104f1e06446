"""The public Python API of step1x_edit_api and step1x_edit, as a stub snapshot, and its breaking changes.

``render(packages)`` loads each package with griffe (static analysis, nothing imported) and
writes its public surface as Python stub text: one ``# module: NAME`` section per public
module, classes with their public methods and attributes, functions with full signatures
(annotations as written, defaults), base classes. Names re-exported from a public module are
written as ``from X import Y as Y``; names re-exported from a private module (``step1x_edit``'s
``__all__`` points into ``_client``, ``_models``...) are written in place.

``breaking_changes(old_text, new_text)`` loads two such snapshots with griffe and returns what
``griffe.find_breaking_changes`` finds: objects removed, parameters removed, moved, made
required or changed kind or default, required parameters added, base classes removed, return
annotations dropped. Comparing snapshot with snapshot keeps both sides written the same way.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe

HEADER = "# module: "
SPECIAL = {"__init__", "__call__", "__enter__", "__exit__", "__aenter__", "__aexit__", "__iter__", "__aiter__"}


@dataclass(frozen=True)
class ApiBreak:
    package: str
    path: str  # e.g. "step1x_edit.Step1XEdit.edit(seed)"
    kind: str  # griffe's BreakageKind name in oasdiff-like words, e.g. "parameter-removed"
    explanation: str

    def line(self) -> str:
        return f"err  python-{self.kind}  {self.explanation}"


def _load(package: str, search_path: Path) -> griffe.Module:
    module = griffe.load(
        package,
        search_paths=[str(search_path)],
        allow_inspection=False,
        resolve_aliases=True,
        resolve_external=False,
        store_source=False,
    )
    assert isinstance(module, griffe.Module)
    return module


def _is_public_member(name: str, obj: Any) -> bool:
    if name in SPECIAL:
        return True
    return bool(obj.is_public) and not name.startswith("_")


def _params(func: griffe.Function) -> str:
    parts: list[str] = []
    star_written = False
    previous_kind = None
    for param in func.parameters:
        kind = param.kind
        if previous_kind is griffe.ParameterKind.positional_only and kind is not griffe.ParameterKind.positional_only:
            parts.append("/")
        if kind is griffe.ParameterKind.keyword_only and not star_written:
            parts.append("*")
            star_written = True
        text = param.name
        if kind is griffe.ParameterKind.var_positional:
            text, star_written = f"*{param.name}", True
        elif kind is griffe.ParameterKind.var_keyword:
            text = f"**{param.name}"
        if param.annotation is not None:
            text += f": {param.annotation}"
        if param.default is not None and kind not in (
            griffe.ParameterKind.var_positional,
            griffe.ParameterKind.var_keyword,
        ):
            text += f" = {param.default}" if param.annotation is not None else f"={param.default}"
        parts.append(text)
        previous_kind = kind
    if previous_kind is griffe.ParameterKind.positional_only:
        parts.append("/")
    return ", ".join(parts)


def _render_object(obj: Any, name: str, indent: str, lines: list[str]) -> None:
    if obj.is_alias:
        try:
            obj = obj.final_target
        except (griffe.AliasResolutionError, griffe.CyclicAliasError):
            lines.append(f"{indent}{name}: object  # external")
            return
    if obj.is_class:
        bases = ", ".join(str(base) for base in obj.bases)
        lines.append(f"{indent}class {name}({bases}):" if bases else f"{indent}class {name}:")
        body: list[str] = []
        try:
            members = obj.all_members  # inherited ones too: a public method may live on a private base
        except griffe.AliasResolutionError:
            members = obj.members
        for member_name, member in sorted(members.items()):
            if member.is_alias or not _is_public_member(member_name, member):
                continue
            _render_object(member, member_name, indent + "    ", body)
        lines.extend(body or [f"{indent}    ..."])
    elif obj.is_function:
        for decorator in obj.decorators:
            text = str(decorator.value)
            if text.split(".")[-1] in {"property", "staticmethod", "classmethod", "overload", "abstractmethod"}:
                lines.append(f"{indent}@{text}")
        returns = f" -> {obj.returns}" if obj.returns is not None else ""
        prefix = "async def" if "async" in obj.labels else "def"
        lines.append(f"{indent}{prefix} {name}({_params(obj)}){returns}: ...")
    elif obj.is_attribute:
        if "property" in obj.labels:
            lines.append(f"{indent}@property")
            lines.append(f"{indent}def {name}(self) -> {obj.annotation or 'object'}: ...")
        else:
            lines.append(f"{indent}{name}: {obj.annotation or 'object'}")


def _public_modules(module: griffe.Module) -> list[griffe.Module]:
    found = [module]
    for name, sub in sorted(module.modules.items()):
        if sub.is_alias or name.startswith("_") or not sub.is_public:
            continue
        found.extend(_public_modules(sub))
    return found


def _render_module(module: griffe.Module, *, flatten_private: bool, all_modules: set[str]) -> list[str]:
    lines: list[str] = []
    exported = module.exports
    for name, member in sorted(module.members.items()):
        if not member.is_alias and member.is_module:
            continue
        if exported is not None and name not in exported:
            continue
        if isinstance(member, griffe.Alias):
            if exported is None and not member.is_public:
                continue
            target_module, target_name = member.target_path.rsplit(".", 1)
            if target_module in all_modules and not flatten_private:
                lines.append(f"from {target_module} import {target_name} as {name}")
                continue
            if exported is None:
                continue  # a plain import, not a re-export
        elif not _is_public_member(name, member) or name in SPECIAL:
            continue
        _render_object(member, name, "", lines)
    return lines


def render(packages: dict[str, Path]) -> str:
    """Stub text of every package's public API; ``packages`` maps a name to its search path."""
    out = [
        "# Public Python API at the last released spec version: written by scripts/regenerate, compared",
        "# with griffe's breaking-change check. Not imported by anything. Do not edit by hand.",
    ]
    for package, search_path in packages.items():
        root = _load(package, search_path)
        modules = _public_modules(root)
        names = {m.path for m in modules}
        for module in modules:
            # The hand-written package's public surface is its top module's __all__: flatten it.
            flatten_private = package == "step1x_edit"
            if flatten_private and module.path != package:
                continue
            kind = " (package)" if module.is_package else ""
            out.append("")
            out.append(f"{HEADER}{module.path}{kind}")
            out.extend(_render_module(module, flatten_private=flatten_private, all_modules=names))
    return "\n".join(out) + "\n"


def _write_tree(text: str, directory: Path) -> list[str]:
    """Lay a snapshot out as importable-looking files; return the top package names."""
    sections: dict[str, tuple[bool, list[str]]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(HEADER):
            name = line.removeprefix(HEADER)
            is_package = name.endswith(" (package)")
            current = []
            sections[name.removesuffix(" (package)")] = (is_package, current)
        elif current is not None:
            current.append(line)
    for name, (is_package, body) in sections.items():
        parts = name.split(".")
        path = (
            directory.joinpath(*parts, "__init__.py")
            if is_package
            else directory.joinpath(*parts[:-1], parts[-1] + ".py")
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(body) + "\n", encoding="utf-8")
    tops = [name for name in sections if "." not in name]
    for top in tops:
        init = directory / top / "__init__.py"
        if not init.exists():
            init.parent.mkdir(parents=True, exist_ok=True)
            init.write_text("", encoding="utf-8")
    return tops


def breaking_changes(old_text: str, new_text: str) -> list[ApiBreak]:
    """What griffe calls breaking between two ``render`` snapshots, per package."""
    found: list[ApiBreak] = []
    with tempfile.TemporaryDirectory(prefix="step1x-api-") as tmp:
        old_dir, new_dir = Path(tmp, "old"), Path(tmp, "new")
        old_tops, new_tops = _write_tree(old_text, old_dir), _write_tree(new_text, new_dir)
        for package in old_tops:
            if package not in new_tops:
                found.append(ApiBreak(package, package, "object-removed", f"{package}: package removed"))
                continue
            old, new = _load(package, old_dir), _load(package, new_dir)
            seen: set[str] = set()
            for breakage in griffe.find_breaking_changes(old, new):
                kind = breakage.kind.name.lower().replace("_", "-")
                text = breakage.explain(style=griffe.ExplanationStyle.ONE_LINE)
                # The location part names the temporary file; keep only the object and the change.
                explanation = _clean(text, breakage)
                if explanation in seen:
                    continue
                seen.add(explanation)
                found.append(ApiBreak(package, breakage.obj.path, kind, explanation))
    return found


def _clean(text: str, breakage: griffe.Breakage) -> str:
    obj = breakage.obj.path
    old, new = breakage.old_value, breakage.new_value
    kind = breakage.kind.value
    name = getattr(old, "name", None) or getattr(new, "name", None)
    subject = f"{obj}({name})" if name and breakage.kind.name.startswith("PARAMETER") else obj
    values = ""
    if breakage.kind.name in {"PARAMETER_CHANGED_DEFAULT"}:
        values = f": {old.default} -> {new.default}"
    elif breakage.kind.name in {"PARAMETER_CHANGED_KIND"}:
        values = f": {old.kind.value} -> {new.kind.value}"
    elif breakage.kind.name == "PARAMETER_MOVED" and breakage.details:
        values = f": {breakage.details}"
    elif breakage.kind.name == "OBJECT_CHANGED_KIND":
        values = f": {old.value} -> {new.value}"
    del text
    return f"{subject}: {kind}{values}"
