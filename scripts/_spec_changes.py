"""What changed between two versions of openapi/step1x-edit.yaml, classified for users.

``diff_specs(old, new)`` walks every operation (and webhook) of both documents and compares
its parameters, request body and responses field by field. Each difference becomes a
``Change`` carrying an oasdiff check id and level, so a maintainer who knows oasdiff reads the
report without a glossary:

* ``err``: breaking; a release containing it needs a major bump of ``info.version``;
* ``warn``: may break some callers (oasdiff's meaning); reported, never gating;
* ``info``: compatible.

and one of four categories for users: breaking for callers (what you send), breaking for
parsing (what you receive), additive (compatible), documentation only.

Schemas are compared after normalisation, so the way a fact is written does not matter:
``$ref`` is inlined, ``allOf`` intersects its branches, ``anyOf``/``oneOf`` unite them, a
``type`` list (or 3.0 ``nullable``) becomes a type set plus a nullable flag, ``const`` is a
one-value enum, and each ``if``/``then``/``else`` becomes a conditional layer whose fields are
compared under their condition (``data.outputs [if status = completed]``).

``version_verdict`` applies the versioning policy (semantic versioning read on ``info.version``
as dotted integers): a breaking change needs the first number raised.

Where this project is stricter than oasdiff's defaults the reason is given in ``STRICTER``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

ERR, WARN, INFO = "err", "warn", "info"
CALLERS, PARSING, ADDITIVE, DOCS = "callers", "parsing", "additive", "docs"
CATEGORY_TITLES = {
    CALLERS: "Breaking for callers (what you send)",
    PARSING: "Breaking for parsing (what you receive)",
    ADDITIVE: "Additive (compatible)",
    DOCS: "Documentation only",
}
# Levels raised above oasdiff's default, and why (the generated client turns every property
# into an attribute and the hand-written layer rejects unknown request fields).
STRICTER = {
    "response-optional-property-removed": "the generated model loses the attribute callers read",
    "request-property-removed": "the client rejects fields the spec does not list, so callers passing it fail",
}
DOC_KEYS = {"description", "summary", "title", "x-status", "x-source", "x-note", "example", "examples"}
# Extensions the client acts on (read into _spec_data.py): a change there changes behaviour.
# Every other x- extension (x-status, x-facts, x-rule, ...) is documentation.
BEHAVIOUR_EXTENSIONS = {"x-observed", "x-terminal", "x-successful", "x-sync-timeout-code", "x-signature", "x-preferred"}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Change:
    """One classified difference."""

    id: str
    level: str
    category: str
    where: str  # the operation and location, e.g. "GET /api/v3/predictions/{id}/result 200"
    field: str  # the JSON path inside it, e.g. "data.outputs" ("" for the location itself)
    detail: str = ""

    @property
    def breaking(self) -> bool:
        return self.level == ERR

    def line(self) -> str:
        target = f"{self.where}: {self.field}" if self.field else self.where
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.level:<4} {self.id}  {target}{detail}"


# --------------------------------------------------------------------------------------------
# Schema normalisation


@dataclass
class Node:
    """A schema reduced to the facts a client depends on."""

    types: frozenset[str] | None = None  # None: any type
    nullable: bool = False
    enum: frozenset[Any] | None = None  # None: unrestricted
    bounds: dict[str, Any] = field(default_factory=dict)  # minimum, maxLength, pattern, format, ...
    default: Any = None
    has_default: bool = False
    doc: dict[str, Any] = field(default_factory=dict)  # description, x-status, ...
    ext: dict[str, Any] = field(default_factory=dict)  # other x- extensions (behaviour)
    properties: dict[str, Node] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    items: Node | None = None
    extra: Node | None = None  # additionalProperties as a schema
    conditionals: list[Conditional] = field(default_factory=list)


@dataclass
class Conditional:
    """An if/then (or the else of one): ``layer`` applies when the ``if`` schema matches."""

    label: str
    layer: Node
    if_types: frozenset[str] | None  # the if schema's own type, if any
    if_required: frozenset[str]
    if_narrows: bool  # the if schema tests values (properties, enum, ...), not just shape

    def implied_by(self, node: Node) -> bool:
        """True when every instance of ``node`` matches the ``if``: the layer always applies."""
        if self.if_narrows or self.label.startswith("unless"):
            return False
        shape_ok = self.if_types is None or (
            node.types is not None and bool(node.types) and node.types <= self.if_types
        )
        return shape_ok and self.if_required <= node.required


BOUND_KEYS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
    "format",
    "multipleOf",
    "uniqueItems",
)
LOWER = {"minimum", "exclusiveMinimum", "minLength", "minItems"}
UPPER = {"maximum", "exclusiveMaximum", "maxLength", "maxItems"}


def _deref(node: Any, spec: dict[str, Any]) -> Any:
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen or not ref.startswith("#/"):
            return {}
        seen.add(ref)
        target: Any = spec
        for part in ref.removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **siblings} if siblings else target
    return node


def normalize(schema: Any, spec: dict[str, Any], _stack: tuple[str, ...] = ()) -> Node:
    """Reduce a JSON schema (3.1 or 3.0 style) to a ``Node``."""
    if schema is True or schema is None:
        return Node()
    if schema is False:
        return Node(types=frozenset())
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if ref is not None and ref in _stack:  # recursion: stop here
        return Node()
    stack = (*_stack, ref) if ref else _stack
    schema = _deref(schema, spec)
    node = Node()
    raw_type = schema.get("type")
    if raw_type is not None:
        types = {raw_type} if isinstance(raw_type, str) else set(raw_type)
        node.nullable = "null" in types
        types.discard("null")
        node.types = frozenset(types)
    if schema.get("nullable") is True:
        node.nullable = True
    if "const" in schema:
        node.enum = frozenset([_hashable(schema["const"])])
    if "enum" in schema:
        values = [_hashable(v) for v in schema["enum"]]
        if None in values:
            node.nullable = True
        node.enum = frozenset(v for v in values if v is not None)
    for key in BOUND_KEYS:
        if key in schema:
            node.bounds[key] = schema[key]
    if "default" in schema:
        node.default, node.has_default = schema["default"], True
    for key, value in schema.items():
        if key in BEHAVIOUR_EXTENSIONS:
            node.ext[key] = value
        elif key in DOC_KEYS or key.startswith("x-"):
            node.doc[key] = value
    for name, sub in (schema.get("properties") or {}).items():
        node.properties[name] = normalize(sub, spec, stack)
    node.required = frozenset(schema.get("required") or ())
    for name in node.required - node.properties.keys():
        node.properties[name] = Node()
    if "items" in schema:
        node.items = normalize(schema["items"], spec, stack)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        node.extra = normalize(extra, spec, stack)
    elif extra is False:
        node.bounds["additionalProperties"] = False
    if "if" in schema:
        test = _deref(schema["if"], spec)
        condition = _condition(test)
        raw = test.get("type")
        if_types = None if raw is None else frozenset({raw} if isinstance(raw, str) else set(raw)) - {"null"}
        if_required = frozenset(test.get("required") or ())
        narrows = any(not (k in {"type", "required"} or k in DOC_KEYS or k.startswith("x-")) for k in test)
        for key, label in (("then", f"if {condition}"), ("else", f"unless {condition}")):
            if key in schema:
                layer = normalize(schema[key], spec, stack)
                node.conditionals.append(Conditional(label, layer, if_types, if_required, narrows))
    for branch in schema.get("allOf") or ():
        node = _intersect(node, normalize(branch, spec, stack), keep_doc_of_first=True)
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            branches = [normalize(b, spec, stack) for b in schema[key]]
            union = branches[0]
            for other in branches[1:]:
                union = _unite(union, other)
            node = _intersect(node, union, keep_doc_of_first=True)
    return node


def _hashable(value: Any) -> Any:
    if isinstance(value, dict | list):
        return repr(value)
    return value


def _condition(schema: dict[str, Any]) -> str:
    """A short label for an ``if`` schema: ``status = completed``, ``status in (failed, cancelled)``."""
    parts = []
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, dict) and "const" in sub:
            parts.append(f"{name} = {sub['const']}")
        elif isinstance(sub, dict) and "enum" in sub:
            parts.append(f"{name} in ({', '.join(map(str, sub['enum']))})")
        else:
            parts.append(f"{name} matches")
    if schema.get("required") and not parts:
        parts.append("has " + ", ".join(schema["required"]))
    return " and ".join(parts) or "condition"


def _intersect(a: Node, b: Node, *, keep_doc_of_first: bool = False) -> Node:
    """Both schemas apply (allOf)."""
    types = a.types if b.types is None else b.types if a.types is None else a.types & b.types
    enum = a.enum if b.enum is None else b.enum if a.enum is None else a.enum & b.enum
    bounds = dict(a.bounds)
    for key, value in b.bounds.items():
        if key not in bounds or bounds[key] == value:
            bounds[key] = value
        elif key in LOWER:
            bounds[key] = max(bounds[key], value)
        elif key in UPPER:
            bounds[key] = min(bounds[key], value)
        elif bounds[key] != value:
            bounds[key] = f"{bounds[key]} & {value}"
    properties = dict(a.properties)
    for name, sub in b.properties.items():
        properties[name] = _intersect(properties[name], sub) if name in properties else sub
    doc = {**b.doc, **a.doc} if keep_doc_of_first else {**a.doc, **b.doc}
    return Node(
        types=types,
        nullable=a.nullable and b.nullable
        if (a.types is not None and b.types is not None)
        else a.nullable or b.nullable,
        enum=enum,
        bounds=bounds,
        default=a.default if a.has_default else b.default,
        has_default=a.has_default or b.has_default,
        doc=doc,
        ext={**a.ext, **b.ext},
        properties=properties,
        required=a.required | b.required,
        items=a.items if b.items is None else b.items if a.items is None else _intersect(a.items, b.items),
        extra=a.extra or b.extra,
        conditionals=a.conditionals + b.conditionals,
    )


def _unite(a: Node, b: Node) -> Node:
    """Either schema applies (anyOf / oneOf)."""
    # A branch that is only "null" widens nothing but nullability.
    if a.types == frozenset() and a.nullable:
        return replace(b, nullable=True, doc={**b.doc, **a.doc})
    if b.types == frozenset() and b.nullable:
        return replace(a, nullable=True, doc={**b.doc, **a.doc})
    types = None if a.types is None or b.types is None else a.types | b.types
    enum = None if a.enum is None or b.enum is None else a.enum | b.enum
    bounds = {}
    for key in a.bounds.keys() & b.bounds.keys():
        if key in LOWER:
            bounds[key] = min(a.bounds[key], b.bounds[key])
        elif key in UPPER:
            bounds[key] = max(a.bounds[key], b.bounds[key])
        elif a.bounds[key] == b.bounds[key]:
            bounds[key] = a.bounds[key]
    properties = dict(a.properties)
    for name, sub in b.properties.items():
        properties[name] = _unite(properties[name], sub) if name in properties else sub
    return Node(
        types=types,
        nullable=a.nullable or b.nullable,
        enum=enum,
        bounds=bounds,
        default=a.default if a.has_default else b.default,
        has_default=a.has_default or b.has_default,
        doc={**b.doc, **a.doc},
        ext={**b.ext, **a.ext},
        properties=properties,
        required=a.required & b.required,
        items=a.items if b.items is None else b.items if a.items is None else _unite(a.items, b.items),
        extra=a.extra or b.extra,
        conditionals=a.conditionals + b.conditionals,
    )


@dataclass(frozen=True)
class Flat:
    """One field of a flattened schema: its node and whether its parent requires it."""

    node: Node
    required: bool


def _apply_implied(node: Node) -> Node:
    """Fold in the conditional layers whose ``if`` every instance matches (``if: {type: object}``)."""
    while True:
        implied = [c for c in node.conditionals if c.implied_by(node)]
        if not implied:
            return node
        rest = [c for c in node.conditionals if c not in implied]
        base = replace(node, conditionals=rest)
        for conditional in implied:
            base = _intersect(base, conditional.layer, keep_doc_of_first=True)
        node = base


def flatten(node: Node, path: str = "", when: str = "", required: bool = True) -> dict[str, Flat]:
    """Every field of a schema by JSON path; conditional layers get a ``[if ...]`` suffix."""
    node = _apply_implied(node)
    suffix = f" [{when}]" if when else ""
    out: dict[str, Flat] = {path + suffix: Flat(node, required)}
    prefix = f"{path}." if path else ""
    for name, sub in node.properties.items():
        out.update(flatten(sub, prefix + name, when, name in node.required))
    if node.items is not None:
        out.update(flatten(node.items, f"{path}[]", when, True))
    if node.extra is not None:
        out.update(flatten(node.extra, f"{prefix}*", when, False))
    for conditional in node.conditionals:
        label, layer = conditional.label, conditional.layer
        condition = f"{when} and {label}" if when else label
        layer_fields = flatten(layer, path, condition, required)
        # The layer's own root only matters for what it adds; its fields carry the rest.
        layer_fields.pop(path + f" [{condition}]", None)
        out.update(layer_fields)
    return out


# --------------------------------------------------------------------------------------------
# Field comparison


def _describe_types(node: Node) -> str:
    if node.types is None:
        base = "any"
    elif not node.types:
        base = "null" if node.nullable else "nothing"
    else:
        base = "|".join(sorted(node.types))
    if node.types and "format" in node.bounds:
        base += f" ({node.bounds['format']})"
    return base


def _type_set(node: Node) -> set[str] | None:
    if node.types is None:
        return None
    types = set(node.types)
    if "number" in types:
        types.add("integer")  # every integer is a number
    return types


def _widened(old: Node, new: Node) -> bool | None:
    """True if new accepts every type old did, False if it narrowed, None if unchanged."""
    old_t, new_t = _type_set(old), _type_set(new)
    old_f, new_f = old.bounds.get("format"), new.bounds.get("format")
    if old_t == new_t and old_f == new_f:
        return None
    types_wider = new_t is None or (old_t is not None and old_t <= new_t)
    format_wider = new_f is None or new_f == old_f
    return types_wider and format_wider


BOUND_WORDS = {
    "minimum": "min",
    "maximum": "max",
    "exclusiveMinimum": "exclusive-min",
    "exclusiveMaximum": "exclusive-max",
    "minLength": "min-length",
    "maxLength": "max-length",
    "minItems": "min-items",
    "maxItems": "max-items",
}


class _Emitter:
    def __init__(self, side: str, where: str, out: list[Change]) -> None:
        self.side, self.where, self.out = side, where, out  # side: request-property, response-property, ...

    def add(self, suffix: str, level: str, path: str, detail: str = "", *, docs: bool = False) -> None:
        if docs:
            category = DOCS
        elif level == INFO:
            category = ADDITIVE
        else:
            category = CALLERS if self.side.startswith("request") else PARSING
        self.out.append(Change(f"{self.side}-{suffix}", level, category, self.where, path, detail))


def _compare_field(e: _Emitter, path: str, old: Flat, new: Flat, *, request: bool, root: bool) -> None:
    o, n = old.node, new.node
    shown = path or "(body)"
    if not root and old.required != new.required:
        if request:
            e.add("became-required" if new.required else "became-optional", ERR if new.required else INFO, shown)
        else:
            e.add("became-optional" if old.required else "became-required", ERR if old.required else INFO, shown)
    widened = _widened(o, n)
    if widened is not None:
        detail = f"{_describe_types(o)} -> {_describe_types(n)}"
        if request:
            e.add("type-generalized" if widened else "type-changed", INFO if widened else ERR, shown, detail)
        else:
            narrowed = _widened(n, o)
            e.add("type-specialized" if narrowed else "type-changed", INFO if narrowed else ERR, shown, detail)
    if o.nullable != n.nullable:
        became = "became-nullable" if n.nullable else "became-not-nullable"
        breaking = (not n.nullable) if request else n.nullable
        e.add(became, ERR if breaking else INFO, shown)
    _compare_enum(e, shown, o, n, request=request)
    _compare_bounds(e, shown, o, n, request=request)
    if request and (o.has_default, o.default) != (n.has_default, n.default):
        e.add(
            "default-value-changed",
            INFO,
            shown,
            f"{_show(o.default, o.has_default)} -> {_show(n.default, n.has_default)}",
        )
    for key in sorted(o.doc.keys() | n.doc.keys()):
        if o.doc.get(key) != n.doc.get(key):
            e.add(f"{key.removeprefix('x-')}-changed", INFO, shown, _brief(o.doc.get(key), n.doc.get(key)), docs=True)
    for key in sorted(o.ext.keys() | n.ext.keys()):
        if o.ext.get(key) != n.ext.get(key):
            e.add("extension-changed", WARN, shown, f"{key}: {_brief(o.ext.get(key), n.ext.get(key))}")


def _show(value: Any, present: bool = True) -> str:
    return repr(value) if present else "none"


def _brief(old: Any, new: Any) -> str:
    def one(value: Any) -> str:
        text = "absent" if value is None else " ".join(str(value).split())
        return text if len(text) <= 40 else text[:37] + "..."

    return f"{one(old)} -> {one(new)}"


def _compare_enum(e: _Emitter, shown: str, o: Node, n: Node, *, request: bool) -> None:
    if o.enum == n.enum:
        return
    if o.enum is None:
        assert n.enum is not None
        e.add(
            "became-enum", ERR if request else INFO, shown, "allowed: " + ", ".join(map(str, sorted(n.enum, key=str)))
        )
        return
    if n.enum is None:
        e.add("enum-unset", INFO if request else WARN, shown)
        return
    for value in sorted(o.enum - n.enum, key=str):
        e.add("enum-value-removed", ERR if request else INFO, shown, f"{value!r}")
    for value in sorted(n.enum - o.enum, key=str):
        e.add("enum-value-added", INFO if request else WARN, shown, f"{value!r}")


def _compare_bounds(e: _Emitter, shown: str, o: Node, n: Node, *, request: bool) -> None:
    for key, word in BOUND_WORDS.items():
        before, after = o.bounds.get(key), n.bounds.get(key)
        if before == after:
            continue
        if before is None:
            narrower, suffix = True, f"{word}-set"
        elif after is None:
            narrower, suffix = False, f"{word}-unset"
        else:
            lower = key in LOWER
            narrower = after > before if lower else after < before
            suffix = f"{word}-{'increased' if after > before else 'decreased'}"
        detail = f"{key} {before if before is not None else 'none'} -> {after if after is not None else 'none'}"
        # Narrowing what is sent breaks callers; widening what is received may break parsers.
        level = (ERR if narrower else INFO) if request else (INFO if narrower else WARN)
        e.add(suffix, level, shown, detail)
    before, after = o.bounds.get("pattern"), n.bounds.get("pattern")
    if before != after:
        if before is None:
            e.add("pattern-added", ERR if request else INFO, shown, f"{after}")
        elif after is None:
            e.add("pattern-removed", INFO if request else WARN, shown, f"{before}")
        else:
            e.add("pattern-changed", WARN, shown, f"{before} -> {after}")
    before, after = o.bounds.get("additionalProperties"), n.bounds.get("additionalProperties")
    if before != after:
        closed = after is False
        level = (ERR if closed else INFO) if request else (INFO if closed else WARN)
        e.add("additional-properties-closed" if closed else "additional-properties-opened", level, shown)


def compare_schemas(
    old: Node, new: Node, *, request: bool, where: str, side: str, out: list[Change], path: str = ""
) -> None:
    """Compare two schemas field by field; ``side`` is the oasdiff noun (``request-property``...)."""
    e = _Emitter(side, where, out)
    old_fields, new_fields = flatten(old, path), flatten(new, path)
    for key in sorted(old_fields.keys() | new_fields.keys()):
        root = key == path
        conditional = key.endswith("]") and " [" in key
        o, n = old_fields.get(key), new_fields.get(key)
        if o is not None and n is not None:
            _compare_field(e, key, o, n, request=request, root=root)
        elif conditional:
            # A conditional layer appeared or went: compare with "no constraint" on the other side.
            blank = Flat(Node(), False)
            _compare_field(e, key, o or blank, n or blank, request=request, root=False)
        elif o is not None:
            if request:
                e.add("removed", ERR, key)
            else:
                e.add("required-property-removed" if o.required else "optional-property-removed", ERR, key)
        elif n is not None:
            if request:
                e.add("new-required" if n.required else "new-optional", ERR if n.required else INFO, key)
            else:
                e.add("required-property-added" if n.required else "optional-property-added", INFO, key)
    # oasdiff word order: "new-required-request-property", "response-required-property-removed".
    for index, change in enumerate(out):
        if change.id.startswith(f"{side}-new-"):
            adjective = change.id.removeprefix(f"{side}-new-")
            out[index] = replace(change, id=f"new-{adjective}-{side}")
        elif change.id.startswith("response-property-required-property") or change.id.startswith(
            "response-property-optional-property"
        ):
            out[index] = replace(change, id=change.id.replace("response-property-", "response-", 1))


# --------------------------------------------------------------------------------------------
# Operations


@dataclass(frozen=True)
class Operation:
    key: str  # "GET /api/v3/predictions/{id}/result" or "WEBHOOK predictionFinished POST"
    node: dict[str, Any]
    path_item: dict[str, Any]


def operations(spec: dict[str, Any]) -> dict[str, Operation]:
    found: dict[str, Operation] = {}
    for path, item in (spec.get("paths") or {}).items():
        item = _deref(item, spec)
        for method in HTTP_METHODS:
            if method in item:
                found[f"{method.upper()} {path}"] = Operation(f"{method.upper()} {path}", item[method], item)
    for name, item in (spec.get("webhooks") or {}).items():
        item = _deref(item, spec)
        for method in HTTP_METHODS:
            if method in item:
                found[f"WEBHOOK {name} {method.upper()}"] = Operation(f"WEBHOOK {name}", item[method], item)
    return found


def _parameters(op: Operation, spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    params: dict[str, dict[str, Any]] = {}
    for raw in [*(op.path_item.get("parameters") or ()), *(op.node.get("parameters") or ())]:
        param = _deref(raw, spec)
        params[f"{param['in']} {param['name']}"] = param
    return params


def _doc_changes(old: dict[str, Any], new: dict[str, Any], where: str, noun: str, out: list[Change]) -> None:
    keys = DOC_KEYS | {k for k in (*old, *new) if k.startswith("x-") and k not in BEHAVIOUR_EXTENSIONS}
    for key in sorted(keys):
        if old.get(key) != new.get(key):
            out.append(
                Change(
                    f"{noun}-{key.removeprefix('x-')}-changed",
                    INFO,
                    DOCS,
                    where,
                    "",
                    _brief(old.get(key), new.get(key)),
                )
            )


def _compare_parameters(
    old_op: Operation, new_op: Operation, where: str, old_spec: Any, new_spec: Any, out: list[Change]
) -> None:
    old_params, new_params = _parameters(old_op, old_spec), _parameters(new_op, new_spec)
    for key in sorted(old_params.keys() | new_params.keys()):
        o, n = old_params.get(key), new_params.get(key)
        location, name = key.split(" ", 1)
        here = f"{where} {location} parameter"
        if n is None:
            out.append(Change("request-parameter-removed", ERR, CALLERS, here, name))
            continue
        if o is None:
            required = bool(n.get("required"))
            change_id = "new-required-request-parameter" if required else "new-optional-request-parameter"
            out.append(Change(change_id, ERR if required else INFO, CALLERS if required else ADDITIVE, here, name))
            continue
        if bool(o.get("required")) != bool(n.get("required")):
            required = bool(n.get("required"))
            change_id = "request-parameter-became-required" if required else "request-parameter-became-optional"
            out.append(Change(change_id, ERR if required else INFO, CALLERS if required else ADDITIVE, here, name))
        _doc_changes(o, n, f"{here} {name}", "request-parameter", out)
        compare_schemas(
            normalize(o.get("schema"), old_spec),
            normalize(n.get("schema"), new_spec),
            request=True,
            where=here,
            side="request-parameter",
            out=out,
            path=name,
        )


def _content_schemas(holder: dict[str, Any] | None, spec: dict[str, Any]) -> dict[str, Any]:
    return {media: _deref(body, spec).get("schema") for media, body in ((holder or {}).get("content") or {}).items()}


def _compare_operation(old_op: Operation, new_op: Operation, old_spec: Any, new_spec: Any, out: list[Change]) -> None:
    webhook = old_op.key.startswith("WEBHOOK")
    op_id = new_op.node.get("operationId")
    where = f"{new_op.key} ({op_id})" if op_id else new_op.key
    if old_op.node.get("operationId") != op_id and old_op.node.get("operationId"):
        out.append(
            Change("api-operation-id-removed", ERR, CALLERS, where, "", f"{old_op.node.get('operationId')} -> {op_id}")
        )
    _doc_changes(old_op.node, new_op.node, where, "endpoint", out)
    for key in sorted(old_op.node.keys() | new_op.node.keys()):
        if key in BEHAVIOUR_EXTENSIONS and old_op.node.get(key) != new_op.node.get(key):
            out.append(Change("endpoint-extension-changed", WARN, PARSING if webhook else CALLERS, where, "", key))
    _compare_parameters(old_op, new_op, where, old_spec, new_spec, out)

    # Request body. A webhook's body is sent *to* us: it is compared like a response.
    old_body, new_body = (
        _deref(old_op.node.get("requestBody") or {}, old_spec),
        _deref(new_op.node.get("requestBody") or {}, new_spec),
    )
    body_where = f"{where} body (received)" if webhook else f"{where} request body"
    if bool(old_body.get("required")) != bool(new_body.get("required")) and not webhook:
        required = bool(new_body.get("required"))
        out.append(
            Change(
                "request-body-became-required" if required else "request-body-became-optional",
                ERR if required else INFO,
                CALLERS if required else ADDITIVE,
                body_where,
                "",
            )
        )
    old_media, new_media = _content_schemas(old_body, old_spec), _content_schemas(new_body, new_spec)
    for media in sorted(old_media.keys() | new_media.keys()):
        if media not in new_media:
            out.append(
                Change("request-body-media-type-removed", ERR, PARSING if webhook else CALLERS, body_where, "", media)
            )
        elif media not in old_media:
            out.append(Change("request-body-media-type-added", INFO, ADDITIVE, body_where, "", media))
        else:
            compare_schemas(
                normalize(old_media[media], old_spec),
                normalize(new_media[media], new_spec),
                request=not webhook,
                where=body_where,
                side="response-property" if webhook else "request-property",
                out=out,
            )

    old_responses, new_responses = old_op.node.get("responses") or {}, new_op.node.get("responses") or {}
    for status in sorted(old_responses.keys() | new_responses.keys(), key=str):
        success = str(status).startswith("2")
        here = f"{where} {status}"
        if status not in new_responses:
            out.append(
                Change(
                    "response-success-status-removed" if success else "response-non-success-status-removed",
                    ERR if success else INFO,
                    PARSING if success else ADDITIVE,
                    here,
                    "",
                )
            )
            continue
        if status not in old_responses:
            out.append(
                Change(
                    "response-success-status-added" if success else "response-non-success-status-added",
                    INFO,
                    ADDITIVE,
                    here,
                    "",
                )
            )
            continue
        old_resp, new_resp = _deref(old_responses[status], old_spec), _deref(new_responses[status], new_spec)
        _doc_changes(old_resp, new_resp, here, "response", out)
        _compare_headers(old_resp, new_resp, here, old_spec, new_spec, out)
        old_media, new_media = _content_schemas(old_resp, old_spec), _content_schemas(new_resp, new_spec)
        for media in sorted(old_media.keys() | new_media.keys()):
            if media not in new_media:
                out.append(Change("response-media-type-removed", ERR, PARSING, here, "", media))
            elif media not in old_media:
                out.append(Change("response-media-type-added", INFO, ADDITIVE, here, "", media))
            else:
                compare_schemas(
                    normalize(old_media[media], old_spec),
                    normalize(new_media[media], new_spec),
                    request=False,
                    where=here,
                    side="response-property",
                    out=out,
                )


def _compare_headers(
    old: dict[str, Any], new: dict[str, Any], where: str, old_spec: Any, new_spec: Any, out: list[Change]
) -> None:
    old_h = {k.lower(): _deref(v, old_spec) for k, v in (old.get("headers") or {}).items()}
    new_h = {k.lower(): _deref(v, new_spec) for k, v in (new.get("headers") or {}).items()}
    for name in sorted(old_h.keys() | new_h.keys()):
        o, n = old_h.get(name), new_h.get(name)
        if n is None:
            assert o is not None
            required = bool(o.get("required"))
            out.append(
                Change(
                    "required-response-header-removed" if required else "optional-response-header-removed",
                    ERR if required else WARN,
                    PARSING,
                    where,
                    f"header {name}",
                )
            )
        elif o is None:
            out.append(Change("response-header-added", INFO, ADDITIVE, where, f"header {name}"))
        else:
            if bool(o.get("required")) and not bool(n.get("required")):
                out.append(Change("response-header-became-optional", ERR, PARSING, where, f"header {name}"))
            _doc_changes(o, n, f"{where} header {name}", "response-header", out)


def diff_specs(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every classified change from ``old`` to ``new`` (``info.version`` itself excluded)."""
    out: list[Change] = []
    old_ops, new_ops = operations(old), operations(new)
    for key in sorted(old_ops.keys() | new_ops.keys()):
        if key not in new_ops:
            op_id = old_ops[key].node.get("operationId")
            out.append(
                Change("api-removed-without-deprecation", ERR, CALLERS, f"{key} ({op_id})" if op_id else key, "")
            )
        elif key not in old_ops:
            op_id = new_ops[key].node.get("operationId")
            out.append(Change("endpoint-added", INFO, ADDITIVE, f"{key} ({op_id})" if op_id else key, ""))
        else:
            _compare_operation(old_ops[key], new_ops[key], old, new, out)
    old_servers = [s.get("url") for s in old.get("servers") or ()]
    new_servers = [s.get("url") for s in new.get("servers") or ()]
    if old_servers != new_servers:
        out.append(Change("api-servers-changed", WARN, CALLERS, "servers", "", f"{old_servers} -> {new_servers}"))
    old_info = {k: v for k, v in (old.get("info") or {}).items() if k != "version"}
    new_info = {k: v for k, v in (new.get("info") or {}).items() if k != "version"}
    _doc_changes(old_info, new_info, "info", "api", out)
    old_schemas = set((old.get("components") or {}).get("schemas") or {})
    new_schemas = set((new.get("components") or {}).get("schemas") or {})
    for name in sorted(old_schemas - new_schemas):
        out.append(
            Change("api-schema-removed", WARN, PARSING, f"components.schemas.{name}", "", "its generated model goes")
        )
    for name in sorted(new_schemas - old_schemas):
        out.append(Change("api-schema-added", INFO, ADDITIVE, f"components.schemas.{name}", ""))
    _compare_extensions(old, new, out)
    return _merge_statuses(out)


def _compare_extensions(old: dict[str, Any], new: dict[str, Any], out: list[Change]) -> None:
    """Behaviour extensions on component schemas (x-terminal, x-signature, ...) that no operation walk sees twice."""
    old_schemas = (old.get("components") or {}).get("schemas") or {}
    new_schemas = (new.get("components") or {}).get("schemas") or {}
    for name in sorted(old_schemas.keys() & new_schemas.keys()):
        o, n = old_schemas[name], new_schemas[name]
        for key in sorted(set(o) | set(n)):
            if key in BEHAVIOUR_EXTENSIONS and o.get(key) != n.get(key):
                out.append(
                    Change(
                        "api-schema-extension-changed",
                        WARN,
                        PARSING,
                        f"components.schemas.{name}",
                        key,
                        _brief(o.get(key), n.get(key)),
                    )
                )


def _merge_statuses(changes: Iterable[Change]) -> list[Change]:
    """One line per change for all the statuses of an operation that share it (shared error responses)."""
    merged: dict[tuple[str, str, str, str, str, str], list[str]] = {}
    pattern = re.compile(r"^(?P<op>.*?) (?P<status>[1-5][0-9X]{2}|default)(?P<rest>( header .*| .* parameter)?)$")
    for change in changes:
        match = pattern.match(change.where)
        if match and not change.where.endswith("parameter"):
            base, status = match.group("op") + "{STATUS}" + (match.group("rest") or ""), match.group("status")
        else:
            base, status = change.where, ""
        key = (change.id, change.level, change.category, base, change.field, change.detail)
        merged.setdefault(key, [])
        if status:
            merged[key].append(status)
    result = []
    for (change_id, level, category, base, path, detail), statuses in merged.items():
        where = base.replace("{STATUS}", " " + ",".join(statuses)) if statuses else base
        result.append(Change(change_id, level, category, where, path, detail))
    return result


# --------------------------------------------------------------------------------------------
# Versioning policy


def parse_version(text: str) -> tuple[int, ...]:
    """``"2026.11.24"`` -> ``(2026, 11, 24)``; a version that is not dotted integers is refused."""
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)*", str(text)):
        raise ValueError(f"info.version {text!r} is not dotted integers (MAJOR.MINOR.PATCH)")
    return tuple(int(part) for part in str(text).split("."))


def next_major(version: str) -> str:
    parts = parse_version(version)
    return ".".join([str(parts[0] + 1)] + ["0"] * max(len(parts) - 1, 2))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    check_id: str  # api-version-not-bumped, api-major-version-not-bumped, api-version-decreased, or ""
    reason: str  # one line


def version_verdict(old_version: str, new_version: str, breaking: list[str]) -> Verdict:
    """Does ``new_version`` follow the change? ``breaking`` names each breaking change, one line each."""
    try:
        old_v, new_v = parse_version(old_version), parse_version(new_version)
    except ValueError as exc:
        return Verdict(False, "api-version-invalid", f"api-version-invalid: {exc}")
    first = f"{breaking[0]}" + (f" and {len(breaking) - 1} more" if len(breaking) > 1 else "") if breaking else ""
    fix = f"bump info.version in openapi/step1x-edit.yaml to {next_major(old_version)} (a major bump) and run scripts/regenerate"
    if new_v < old_v:
        return Verdict(
            False,
            "api-version-decreased",
            f"api-version-decreased: info.version went from {old_version} down to {new_version}; versions only go up",
        )
    if breaking and new_v == old_v:
        return Verdict(
            False,
            "api-version-not-bumped",
            f"api-version-not-bumped: a breaking change ({first}) but info.version is still {old_version}; {fix}",
        )
    if breaking and new_v[0] <= old_v[0]:
        return Verdict(
            False,
            "api-major-version-not-bumped",
            f"api-major-version-not-bumped: a breaking change ({first}) but the major version did not increase "
            f"({old_version} -> {new_version}); {fix}",
        )
    return Verdict(True, "", "")


# --------------------------------------------------------------------------------------------
# Rendering


def render(changes: list[Change], *, markdown: bool = False) -> list[str]:
    """The report grouped by category, most severe first."""
    lines: list[str] = []
    for category, title in CATEGORY_TITLES.items():
        chosen = [c for c in changes if c.category == category]
        if not chosen:
            continue
        chosen.sort(key=lambda c: ({ERR: 0, WARN: 1, INFO: 2}[c.level], c.where, c.field, c.id))
        if markdown:
            lines.append(f"### {title}")
            lines.append("")
            for change in chosen:
                target = f"{change.where}: `{change.field}`" if change.field else change.where
                detail = f" ({change.detail})" if change.detail else ""
                lines.append(f"- `{change.id}` {change.level}: {target}{detail}")
            lines.append("")
        else:
            lines.append(f"  {title}:")
            lines.extend(f"    {change.line()}" for change in chosen)
    return lines


def iter_breaking(changes: Iterable[Change]) -> Iterator[Change]:
    return (c for c in changes if c.breaking)
