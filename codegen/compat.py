"""Comparing a baseline Kenar spec with a current one.

Everything here is a pure function of the two parsed OpenAPI documents (plus
optional explicit replacement overrides): no file or network access.

* Operations are matched by identity, ``(HTTP method, path template)``, never by
  operationId. A baseline-only operation may get a replacement in the current
  spec, found by the rules in :func:`find_replacement` or given explicitly.
* Schemas are matched by name first, then by SHAPE (property names and types,
  enum value sets), so a schema renamed in the current spec is recognised, even
  when it also changed (best match above :data:`SIMILARITY_THRESHOLD`).

The diff report (``codegen/diff.py``) and the generator (to keep 0.291 names
importable and callable) both read the records built here.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Set, Tuple

from codegen import naming

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

#: a shape match below this (0..1) is not taken as a rename
SIMILARITY_THRESHOLD = 0.5
#: a changed-shape match needs a shared use site or names at least this similar (0..1)
NAME_SIMILARITY_FLOOR = 0.5

Identity = Tuple[str, str]  #: ("POST", "/v1/open-platform/users")

_PERMISSIONS_HEADING = re.compile(r"^#+\s*مجوزهای API Key مورد نیاز", re.M)
_BACKTICKED = re.compile(r"`([^`]+)`")
_REF_IN_TYPE = re.compile(r"ref:([^\]\s]+)")
_VERSION_PREFIX = re.compile(r"^/(?:v\d+|experimental)/")
_OPERATION_SUFFIX = re.compile(r"(?:V\d+)?\d*$")


class CompatError(ValueError):
    """The documents cannot be compared (e.g. an operation without an operationId)."""


# ============================================================================ identities


def identity_key(identity: Identity) -> str:
    """``("POST", "/v1/users")`` -> ``"POST /v1/users"`` (the key the notes file uses)."""
    return f"{identity[0]} {identity[1]}"


def parse_identity(text: str) -> Identity:
    """``"post /v1/users"`` -> ``("POST", "/v1/users")``; raises :class:`CompatError` on bad input."""
    method, sep, path = text.strip().partition(" ")
    path = path.strip()
    if not sep or method.lower() not in HTTP_METHODS or not path.startswith("/") or " " in path:
        raise CompatError(f"not an operation identity (METHOD /path): {text!r}")
    return (method.upper(), path)


# ============================================================================ operations


@dataclass(frozen=True)
class Parameter:
    name: str  #: the wire name
    location: str  #: "path" | "query"
    type: str  #: a type descriptor, see :func:`type_descriptor`
    required: bool


@dataclass(frozen=True)
class OperationInfo:
    """One operation of one document, as facts a client sees."""

    identity: Identity
    operation_id: str
    method_name: str  #: the Python method name our codegen (and the official generator) gives it
    tag: str
    params: Tuple[Parameter, ...]
    body_schema: Optional[str]  #: schema name of the JSON body, if it names one
    body_type: Optional[str]  #: type descriptor of the body, None without a body
    body_required: bool
    response_schema: Optional[str]  #: schema name of the 200 JSON answer, if it names one
    oauth_scopes: Tuple[str, ...]
    permissions: Tuple[str, ...]  #: API-key permissions listed in the description
    deprecated: bool

    @property
    def key(self) -> str:
        return identity_key(self.identity)

    @property
    def http_method(self) -> str:
        return self.identity[0]

    @property
    def path(self) -> str:
        return self.identity[1]

    @property
    def experimental(self) -> bool:
        return self.path.startswith("/experimental/")


def operations_of(doc: Mapping[str, Any]) -> Dict[Identity, OperationInfo]:
    """Every operation of ``doc`` keyed by identity."""
    schemas = _schemas(doc)
    global_security = doc.get("security") or []
    result: Dict[Identity, OperationInfo] = {}
    for path, item in (doc.get("paths") or {}).items():
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            identity = (method.upper(), path)
            operation_id = op.get("operationId")
            if not operation_id:
                raise CompatError(f"{identity_key(identity)} has no operationId")
            merged: Dict[Tuple[str, str], Dict[str, Any]] = {}
            for raw in list(shared) + list(op.get("parameters") or []):
                param = _resolve(doc, raw)
                merged[(param["name"], param["in"])] = param
            params = tuple(
                Parameter(
                    name=p["name"],
                    location=p["in"],
                    type=type_descriptor(p.get("schema") or {"type": "string"}, schemas),
                    required=bool(p.get("required")) or p["in"] == "path",
                )
                for p in merged.values()
            )
            body_schema = body_type = None
            body_required = False
            body = op.get("requestBody")
            if body is not None:
                body = _resolve(doc, body)
                media = (body.get("content") or {}).get("application/json") or {}
                node = media.get("schema") or {}
                body_schema = _ref_name(node)
                body_type = type_descriptor(node, schemas)
                body_required = bool(body.get("required", False))
            response_schema = None
            responses = op.get("responses") or {}
            ok = next((responses[c] for c in ("200", "201", "202") if c in responses), None)
            if ok is not None:
                media = (_resolve(doc, ok).get("content") or {}).get("application/json") or {}
                response_schema = _ref_name(media.get("schema") or {})
            scopes: List[str] = []
            for requirement in op.get("security", global_security) or []:
                for scheme_scopes in requirement.values():
                    scopes.extend(s for s in scheme_scopes if s not in scopes)
            tags = op.get("tags") or ["Default"]
            result[identity] = OperationInfo(
                identity=identity,
                operation_id=operation_id,
                method_name=naming.method_name(operation_id),
                tag=tags[0],
                params=params,
                body_schema=body_schema,
                body_type=body_type,
                body_required=body_required,
                response_schema=response_schema,
                oauth_scopes=tuple(scopes),
                permissions=api_key_permissions(op.get("description") or ""),
                deprecated=bool(op.get("deprecated")),
            )
    return result


def api_key_permissions(description: str) -> Tuple[str, ...]:
    """The API-key permissions an operation's description lists (facts, not prose).

    The same rule as the generator's ``spec._permissions``: the backticked names under the
    "required API Key permissions" heading, up to the next heading.
    """
    match = _PERMISSIONS_HEADING.search(description)
    if match is None:
        return ()
    rest = description[match.end() :]
    following = re.search(r"^#", rest, re.M)
    section = rest[: following.start()] if following else rest
    return tuple(dict.fromkeys(_BACKTICKED.findall(section)))


@dataclass(frozen=True)
class Replacement:
    """The current-spec operation to use instead of a baseline-only one."""

    identity: Identity
    operation_id: str
    method_name: str  #: the name the CURRENT spec gives it
    rule: str  #: how it was found: the derivation rule, or "override (...)" when given explicitly
    #: the name the BASELINE gave the same identity (the one 0.291 users know), None if it is new
    baseline_method_name: Optional[str] = None


@dataclass(frozen=True)
class OperationMatch:
    """One identity of the union of both documents."""

    identity: Identity
    baseline: Optional[OperationInfo]
    current: Optional[OperationInfo]
    replacement: Optional[Replacement] = None  #: only for baseline-only operations
    candidates: Tuple[Identity, ...] = ()  #: several equally good replacements: none was chosen
    changes: Tuple[Change, ...] = ()  #: for operations in both
    #: for baseline-only operations, how the replacement (or its absence) was decided
    decided_by: str = ""

    @property
    def key(self) -> str:
        return identity_key(self.identity)

    @property
    def status(self) -> str:
        """``"both"``, ``"baseline_only"`` or ``"current_only"``."""
        if self.baseline is not None and self.current is not None:
            return "both"
        return "baseline_only" if self.baseline is not None else "current_only"

    @property
    def baseline_name(self) -> Optional[str]:
        return self.baseline.method_name if self.baseline else None

    @property
    def current_name(self) -> Optional[str]:
        return self.current.method_name if self.current else None

    @property
    def operation_id_changed(self) -> bool:
        """True for a path in both documents whose operationId is not the same."""
        return (
            self.baseline is not None
            and self.current is not None
            and self.baseline.operation_id != self.current.operation_id
        )

    @property
    def info(self) -> OperationInfo:
        """The current record where there is one, else the baseline's."""
        found = self.current or self.baseline
        assert found is not None
        return found


def _stem(operation_id: str) -> str:
    """``ChatAPI_ChatBotSendMessage5`` and ``Post_SubmitPostV2`` -> the name without its counter."""
    return _OPERATION_SUFFIX.sub("", operation_id)


def _path_params(path: str) -> FrozenSet[str]:
    return frozenset(re.findall(r"\{([^}]+)\}", path))


def _normalised_path(path: str) -> str:
    return re.sub(r"[-_]", "", _VERSION_PREFIX.sub("/", path))


def find_replacement(
    old: OperationInfo, current_only_or_all: Mapping[Identity, OperationInfo]
) -> Tuple[Optional[Replacement], Tuple[Identity, ...]]:
    """Derive the replacement of a baseline-only operation among current operations.

    Rules, first that yields exactly one candidate wins (several: ambiguous, nothing chosen):

    1. ``same path elsewhere``: same HTTP method, and the same path once the leading
       ``/v1/``, ``/v2/`` or ``/experimental/`` and every ``-``/``_`` are set aside
       (an experimental copy of a v1 call; ``add-ons`` vs ``addons``);
    2. ``same name, same method``: same tag and HTTP method, and the same operationId once
       a trailing counter or ``V<n>`` is set aside; among several, those with the same path
       parameters;
    3. ``same name, same path``: same tag, path and operationId stem, another HTTP method.

    Returns ``(replacement or None, ambiguous candidates)``.
    """
    pool = [op for op in current_only_or_all.values() if op.identity != old.identity]

    def pick(found: List[OperationInfo], rule: str) -> Tuple[Optional[Replacement], Tuple[Identity, ...]]:
        found = sorted(found, key=lambda o: o.identity)
        if len(found) == 1:
            op = found[0]
            return Replacement(op.identity, op.operation_id, op.method_name, rule), ()
        return None, tuple(o.identity for o in found)

    same_path = [
        op
        for op in pool
        if op.http_method == old.http_method and _normalised_path(op.path) == _normalised_path(old.path)
    ]
    if same_path:
        return pick(same_path, "same path elsewhere")
    stem = _stem(old.operation_id)
    same_name = [
        op for op in pool if op.tag == old.tag and op.http_method == old.http_method and _stem(op.operation_id) == stem
    ]
    if len(same_name) > 1:
        narrowed = [op for op in same_name if _path_params(op.path) == _path_params(old.path)]
        same_name = narrowed or same_name
    if same_name:
        return pick(same_name, "same name, same method")
    other_method = [op for op in pool if op.tag == old.tag and op.path == old.path and _stem(op.operation_id) == stem]
    if other_method:
        return pick(other_method, "same name, same path")
    return None, ()


# ============================================================================ schemas


@dataclass(frozen=True)
class SchemaShape:
    """What a client sees of one schema."""

    name: str
    kind: str  #: "object" (has properties), "enum", or "other" (no class: free-form object, alias)
    properties: Tuple[Tuple[str, str], ...] = ()  #: (wire name, type descriptor), sorted
    required: FrozenSet[str] = frozenset()
    enum_values: Tuple[str, ...] = ()

    @property
    def is_model(self) -> bool:
        """True where the generator makes a class of it (objects with properties, enums)."""
        return self.kind in ("object", "enum")

    @property
    def class_name(self) -> str:
        return naming.model_class(self.name)

    @property
    def module(self) -> str:
        return naming.model_module(self.class_name)

    @property
    def property_types(self) -> Dict[str, str]:
        return dict(self.properties)


def type_descriptor(node: Mapping[str, Any], schemas: Mapping[str, Any]) -> str:
    """A short, comparable spelling of a type: ``string``, ``integer``, ``datetime``,
    ``array[ref:chatapiMessage]``, ``map[string]``, ``object`` (free-form), ``ref:NAME``
    (a schema that becomes a class)."""
    name = _ref_name(node)
    if name is not None:
        target = schemas.get(name)
        if target is None:
            raise CompatError(f"dangling reference to schema {name!r}")
        if _is_model_schema(target):
            return f"ref:{name}"
        return type_descriptor(target, schemas)
    if len(node.get("allOf") or []) == 1:
        return type_descriptor(node["allOf"][0], schemas)
    kind = node.get("type")
    fmt = node.get("format")
    if kind == "string":
        return {"date-time": "datetime", "date": "date", "byte": "bytes"}.get(fmt or "", "string")
    if kind in ("integer", "number", "boolean"):
        return str(kind)
    if kind == "array":
        return f"array[{type_descriptor(node.get('items') or {}, schemas)}]"
    addl = node.get("additionalProperties")
    if isinstance(addl, dict) and addl and not node.get("properties"):
        return f"map[{type_descriptor(addl, schemas)}]"
    return "object"


def shapes_of(doc: Mapping[str, Any]) -> Dict[str, SchemaShape]:
    """Every schema of ``doc`` as a :class:`SchemaShape`, keyed by schema name."""
    schemas = _schemas(doc)
    result: Dict[str, SchemaShape] = {}
    for name in sorted(schemas):
        schema = schemas[name]
        if "enum" in schema:
            result[name] = SchemaShape(name, "enum", enum_values=tuple(str(v) for v in schema["enum"]))
            continue
        props = dict(schema.get("properties") or {})
        required = set(schema.get("required") or [])
        for part in schema.get("allOf") or []:
            resolved = _resolve(doc, part)
            props.update(resolved.get("properties") or {})
            required.update(resolved.get("required") or [])
        if not props and "allOf" not in schema:
            result[name] = SchemaShape(name, "other")
            continue
        typed = tuple(sorted((wire, type_descriptor(prop, schemas)) for wire, prop in props.items()))
        result[name] = SchemaShape(name, "object", typed, frozenset(required & set(props)))
    return result


def _error_answer_schemas(doc: Mapping[str, Any]) -> Set[str]:
    """The schemas any answer of any operation names (error answers included)."""
    found: Set[str] = set()
    for path_item in (doc.get("paths") or {}).values():
        for op_doc in (path_item.get(method) for method in HTTP_METHODS):
            for answer in ((op_doc or {}).get("responses") or {}).values():
                media = (_resolve(doc, answer).get("content") or {}).get("application/json") or {}
                name = _ref_name(media.get("schema") or {})
                if name:
                    found.add(name)
    return found


def schema_usage(doc: Mapping[str, Any]) -> Dict[str, Set[str]]:
    """Schema name -> ``{"request", "response"}``: where it travels, following references."""
    schemas = _schemas(doc)
    shapes = shapes_of(doc)
    roots: Dict[str, Set[str]] = {"request": set(), "response": set()}
    for op in operations_of(doc).values():
        if op.body_type:
            roots["request"].update(_REF_IN_TYPE.findall(op.body_type))
        if op.response_schema:
            roots["response"].add(op.response_schema)
    roots["response"].update(_error_answer_schemas(doc))  # every error answer is a response too
    usage: Dict[str, Set[str]] = {}
    for direction, names in roots.items():
        stack = [n for n in names if n in schemas]
        seen: Set[str] = set()
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            usage.setdefault(name, set()).add(direction)
            for _, type_ in shapes[name].properties:
                stack.extend(n for n in _REF_IN_TYPE.findall(type_) if n in schemas)
    return usage


@dataclass(frozen=True)
class FieldChange:
    name: str  #: wire name
    change: str  #: "added" | "removed" | "retyped" | "now_required" | "now_optional"
    old_type: Optional[str] = None
    new_type: Optional[str] = None
    required: bool = False  #: required in the current schema (for "added")


@dataclass(frozen=True)
class SchemaChange:
    """How one baseline schema lives on in the current spec, or one added schema."""

    old: Optional[SchemaShape]
    new: Optional[SchemaShape]
    match: str  #: "same name" | "identical shape" | "similar shape" | "dropped" | "added"
    similarity: float = 1.0  #: shape similarity of old and new, 0..1
    fields: Tuple[FieldChange, ...] = ()
    enum_added: Tuple[str, ...] = ()
    enum_removed: Tuple[str, ...] = ()
    #: the new schema keeps every old field with the same type, requires nothing new, keeps
    #: every enum value: the old class name can be an alias of the new class
    compatible: bool = True
    alternatives: Tuple[str, ...] = ()  #: other current schemas that fit as well (tie broken by name)
    evidence: Tuple[str, ...] = ()  #: why the match was taken (shared use sites, name similarity)

    @property
    def old_name(self) -> Optional[str]:
        return self.old.name if self.old else None

    @property
    def new_name(self) -> Optional[str]:
        return self.new.name if self.new else None

    @property
    def renamed(self) -> bool:
        return self.old is not None and self.new is not None and self.old.name != self.new.name

    @property
    def changed(self) -> bool:
        """Both exist and differ in shape (fields, requiredness, enum values)."""
        return bool(self.fields or self.enum_added or self.enum_removed) or (
            self.old is not None and self.new is not None and self.old.kind != self.new.kind
        )

    @property
    def status(self) -> str:
        """``unchanged``, ``changed``, ``renamed`` (same shape), ``renamed_changed``, ``dropped``, ``added``."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "dropped"
        if self.renamed:
            return "renamed_changed" if self.changed else "renamed"
        return "changed" if self.changed else "unchanged"


@dataclass(frozen=True)
class SchemaComparison:
    changes: Tuple[SchemaChange, ...]
    #: baseline schema name -> current schema name, for every schema that lives on
    mapping: Mapping[str, str]

    def by_old(self, name: str) -> Optional[SchemaChange]:
        return next((c for c in self.changes if c.old_name == name), None)

    def by_new(self, name: str) -> Optional[SchemaChange]:
        return next((c for c in self.changes if c.new_name == name), None)

    def with_status(self, *statuses: str) -> List[SchemaChange]:
        return [c for c in self.changes if c.status in statuses]

    @property
    def renamed(self) -> List[SchemaChange]:
        return self.with_status("renamed", "renamed_changed")

    @property
    def dropped(self) -> List[SchemaChange]:
        return self.with_status("dropped")

    @property
    def added(self) -> List[SchemaChange]:
        return self.with_status("added")

    def legacy_classes(self) -> List[LegacyClass]:
        """What to do with every class of the baseline so its name stays importable.

        Raises :class:`CompatError` where a baseline class name or module would be taken by a
        different class of the current spec.
        """
        current = [c.new for c in self.changes if c.new is not None and c.new.is_model]
        classes = {s.class_name: s.name for s in current}
        modules = {s.module: s.name for s in current}
        out: List[LegacyClass] = []
        for c in self.changes:
            if c.old is None or not c.old.is_model:
                continue
            new = c.new if c.new is not None and c.new.is_model else None
            if new is not None and not c.renamed:
                action = "same"
            elif new is not None and c.compatible:
                action = "alias"
            else:
                action = "keep_baseline"
            if action != "same":
                for taken, table in ((c.old.class_name, classes), (c.old.module, modules)):
                    if taken in table and table[taken] != (new.name if new else None):
                        raise CompatError(
                            f"baseline schema {c.old.name!r} ({taken}) clashes with current schema {table[taken]!r}"
                        )
            out.append(
                LegacyClass(
                    c.old.name,
                    c.old.class_name,
                    c.old.module,
                    action,
                    new.name if new else None,
                    new.class_name if new else None,
                    new.module if new else None,
                    tuple(f.name for f in c.fields if f.change == "removed"),
                )
            )
        return out


@dataclass(frozen=True)
class LegacyClass:
    """A class of the baseline and how the generator keeps it importable.

    ``action``: ``"same"`` (the schema kept its name: the current class serves, with any
    ``dropped_fields`` kept as optional fields); ``"alias"`` (renamed, compatible: the old class
    name and module re-export the new class, so isinstance works both ways); ``"keep_baseline"``
    (dropped, or renamed incompatibly: generate the baseline's model as it was).
    """

    schema: str
    class_name: str
    module: str
    action: str
    new_schema: Optional[str] = None
    new_class_name: Optional[str] = None
    new_module: Optional[str] = None
    dropped_fields: Tuple[str, ...] = ()  #: wire names of fields the current schema no longer has


def _map_type(type_: str, mapping: Mapping[str, str]) -> str:
    """An old-document type spelled with current names (unmapped names kept distinct)."""
    return _REF_IN_TYPE.sub(lambda m: "ref:" + mapping.get(m.group(1), "\0" + m.group(1)), type_)


def shape_similarity(old: SchemaShape, new: SchemaShape, mapping: Mapping[str, str]) -> float:
    """0..1: shared (name, type) properties over all property names; shared enum values over all."""
    if old.kind != new.kind or not old.is_model:
        return 0.0
    if old.kind == "enum":
        a, b = set(old.enum_values), set(new.enum_values)
        return len(a & b) / len(a | b) if a | b else 0.0
    old_props = {k: _map_type(v, mapping) for k, v in old.properties}
    new_props = new.property_types
    same = sum(1 for k, v in old_props.items() if new_props.get(k) == v)
    return same / len(set(old_props) | set(new_props))


def name_similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()


def _sites(doc: Mapping[str, Any], shapes: Mapping[str, SchemaShape]) -> Dict[str, Set[Tuple[str, ...]]]:
    """Schema name -> where it is used: ("field", parent, property) or ("op", identity key, role)."""
    sites: Dict[str, Set[Tuple[str, ...]]] = {}
    for parent, shape in shapes.items():
        for prop, type_ in shape.properties:
            for name in _REF_IN_TYPE.findall(type_):
                sites.setdefault(name, set()).add(("field", parent, prop))
    for op in operations_of(doc).values():
        uses: Tuple[Tuple[str, str], ...] = (
            ("body", op.body_type or ""),
            ("response", f"ref:{op.response_schema}" if op.response_schema else ""),
        )
        for role, type_ in uses:
            for name in _REF_IN_TYPE.findall(type_):
                sites.setdefault(name, set()).add(("op", op.key, role))
    return sites


def _diff_shapes(
    old: SchemaShape, new: SchemaShape, mapping: Mapping[str, str]
) -> Tuple[Tuple[FieldChange, ...], Tuple[str, ...], Tuple[str, ...], bool]:
    if old.kind == "enum" or new.kind == "enum":
        if old.kind != new.kind:
            return (), (), (), False
        added = tuple(v for v in new.enum_values if v not in old.enum_values)
        removed = tuple(v for v in old.enum_values if v not in new.enum_values)
        return (), added, removed, not removed
    changes: List[FieldChange] = []
    old_props, new_props = old.property_types, new.property_types
    compatible = old.kind == new.kind
    for name in sorted(set(old_props) | set(new_props)):
        if name not in new_props:
            changes.append(FieldChange(name, "removed", old_type=old_props[name]))
            compatible = False
        elif name not in old_props:
            required = name in new.required
            changes.append(FieldChange(name, "added", new_type=new_props[name], required=required))
            compatible = compatible and not required
        else:
            if _map_type(old_props[name], mapping) != new_props[name]:
                changes.append(FieldChange(name, "retyped", old_props[name], new_props[name], name in new.required))
                compatible = False
            if name in new.required and name not in old.required:
                changes.append(FieldChange(name, "now_required", old_props[name], new_props[name], True))
                compatible = False
            elif name in old.required and name not in new.required:
                changes.append(FieldChange(name, "now_optional", old_props[name], new_props[name], False))
    return tuple(changes), (), (), compatible


_Scored = Dict[Tuple[str, str], Tuple[float, Tuple[str, ...], float]]


class _SchemaMatcher:
    """The state of matching baseline schemas to current ones (see :func:`compare_schemas`)."""

    def __init__(self, baseline: Mapping[str, Any], current: Mapping[str, Any]) -> None:
        self.old_shapes, self.new_shapes = shapes_of(baseline), shapes_of(current)
        self.old_sites, self.new_sites = _sites(baseline, self.old_shapes), _sites(current, self.new_shapes)
        self.mapping: Dict[str, str] = {n: n for n in self.old_shapes if n in self.new_shapes}
        self.how: Dict[str, Tuple[str, Tuple[str, ...], Tuple[str, ...]]] = {
            n: ("same name", (), ()) for n in self.mapping
        }
        self.ambiguous: Dict[str, Tuple[str, ...]] = {}

    def shared(self, old: str, new: str) -> Tuple[str, ...]:
        """Use sites the two schemas share (fields of already matched parents, bodies, answers)."""
        mapped: Set[Tuple[str, ...]] = set()
        for site in self.old_sites.get(old, set()):
            if site[0] == "field":
                parent = self.mapping.get(site[1])
                if parent is not None:
                    mapped.add(("field", parent, site[2]))
            else:
                mapped.add(site)
        return tuple(sorted(" ".join(s[1:]) for s in mapped & self.new_sites.get(new, set())))

    def scored(self) -> _Scored:
        """(score, shared sites, name similarity) for every plausible pair of unmatched schemas."""
        free_old = [
            n
            for n in sorted(self.old_shapes)
            if n not in self.mapping and n not in self.ambiguous and self.old_shapes[n].is_model
        ]
        taken = set(self.mapping.values())
        free_new = [n for n in sorted(self.new_shapes) if n not in taken and self.new_shapes[n].is_model]
        scored: _Scored = {}
        for o in free_old:
            for n in free_new:
                entry = self.score(o, n)
                if entry is not None:
                    scored[(o, n)] = entry
        return scored

    def score(self, o: str, n: str) -> Optional[Tuple[float, Tuple[str, ...], float]]:
        score = shape_similarity(self.old_shapes[o], self.new_shapes[n], self.mapping)
        if score <= 0:
            return None
        sites = self.shared(o, n)
        names = name_similarity(o, n)
        tiny = len(self.old_shapes[o].properties) + len(self.old_shapes[o].enum_values) < 2
        if score == 1.0 and tiny and not sites and names < NAME_SIMILARITY_FLOOR:
            return None  # a one-field or one-value shape alone proves nothing
        if score < 1.0 and (score < SIMILARITY_THRESHOLD or (not sites and names < NAME_SIMILARITY_FLOOR)):
            return None
        return (score, sites, names)

    def step(self) -> bool:
        """Take the best pair (or mark a tie as ambiguous); False when no pair is left."""
        scored = self.scored()
        if not scored:
            return False

        def rank(pair: Tuple[str, str]) -> Tuple[float, int, float]:
            score, sites, names = scored[pair]
            return (score, len(sites), names)

        best_pair = max(sorted(scored), key=rank)
        o, n = best_pair
        # tied alternatives, for the record (never silently chosen: the name decides and it is listed)
        alternatives = tuple(
            sorted(m for (p, m) in scored if p == o and m != n and scored[(p, m)][0] == scored[best_pair][0])
        )
        if any(rank((o, m)) == rank(best_pair) for m in alternatives):
            # a true tie: nothing is chosen; the dropped record lists the candidates
            self.ambiguous[o] = tuple(sorted(alternatives + (n,)))
            return True
        rivals = [p for (p, m) in scored if m == n and p != o and rank((p, m)) == rank(best_pair)]
        if rivals:
            # two old schemas fit one new schema equally well: neither is chosen
            for p in [o, *rivals]:
                self.ambiguous[p] = (n,)
            return True
        score, sites, names = scored[best_pair]
        evidence = tuple(f"also used as {s}" for s in sites) + (f"name similarity {names:.2f}",)
        self.mapping[o] = n
        self.how[o] = ("identical shape" if score == 1.0 else "similar shape", evidence, alternatives)
        return True

    def change(self, o: str) -> SchemaChange:
        old = self.old_shapes[o]
        if o not in self.mapping:
            alternatives = self.ambiguous.get(o, ())
            return SchemaChange(old, None, "dropped", 0.0, compatible=False, alternatives=alternatives)
        new = self.new_shapes[self.mapping[o]]
        fields, added, removed, compatible = _diff_shapes(old, new, self.mapping)
        match, evidence, alternatives = self.how[o]
        if match == "same name" and old.kind == new.kind and not old.is_model:
            similarity = 1.0
        else:
            similarity = shape_similarity(old, new, self.mapping) if old.is_model else 0.0
        return SchemaChange(
            old, new, match, round(similarity, 3), fields, added, removed, compatible, alternatives, evidence
        )


def compare_schemas(baseline: Mapping[str, Any], current: Mapping[str, Any]) -> SchemaComparison:
    """Match every baseline schema to its current counterpart: by name, then by shape."""
    matcher = _SchemaMatcher(baseline, current)
    while matcher.step():
        pass
    changes = [matcher.change(o) for o in sorted(matcher.old_shapes)]
    matched_new = set(matcher.mapping.values())
    changes += [
        SchemaChange(None, matcher.new_shapes[n], "added", 0.0)
        for n in sorted(matcher.new_shapes)
        if n not in matched_new
    ]
    return SchemaComparison(tuple(changes), dict(sorted(matcher.mapping.items())))


# ============================================================================ operation changes


@dataclass(frozen=True)
class Change:
    """One difference a client of an operation or schema may notice."""

    subject: str  #: e.g. "parameter page_size", "response field posts", "OAuth scope X"
    change: str  #: "added" | "removed" | "retyped" | "now_required" | "now_optional" | "deprecated" | ...
    breaking: bool
    detail: str = ""
    #: "wire" (what travels changes) or "name" (only the names a generated SDK would use)
    level: str = "wire"


def _field_breaking(change: FieldChange, usage: Set[str]) -> bool:
    """Whether a field change breaks a client, given where the schema travels."""
    if change.change in ("removed", "retyped"):
        return True
    if change.change in ("added", "now_required"):
        return "request" in usage and (change.change == "now_required" or change.required)
    return False  # now_optional: requests keep working; answers may leave it out, which they may anyway


def schema_change_records(change: SchemaChange, usage: Set[str]) -> Tuple[Change, ...]:
    """The field and enum differences of a matched schema, each marked breaking or not.

    ``usage`` is where the schema travels (:func:`schema_usage`): a field the client must now send
    breaks requests only; a removed or retyped field, or a removed enum value, breaks either way;
    an added optional field or enum value breaks nothing for a client that ignores what it does not know.
    """
    out: List[Change] = []
    if change.old is not None and change.new is not None and change.old.kind != change.new.kind:
        out.append(Change("schema kind", "retyped", True, f"{change.old.kind} -> {change.new.kind}"))
    for f in change.fields:
        detail = {
            "added": f"{f.new_type}{', required' if f.required else ''}",
            "removed": f"was {f.old_type}",
            "retyped": f"{f.old_type} -> {f.new_type}",
            "now_required": "now required",
            "now_optional": "now optional",
        }[f.change]
        out.append(Change(f"field {f.name}", f.change, _field_breaking(f, usage), detail))
    for value in change.enum_added:
        out.append(Change(f"enum value {value}", "added", False))
    for value in change.enum_removed:
        out.append(Change(f"enum value {value}", "removed", True))
    return tuple(out)


def operation_changes(
    old: OperationInfo,
    new: OperationInfo,
    schemas: SchemaComparison,
    old_shapes: Mapping[str, SchemaShape],
    new_shapes: Mapping[str, SchemaShape],
) -> Tuple[Change, ...]:
    """What differs for a client between two versions of one operation (same identity)."""
    out: List[Change] = []
    mapping = schemas.mapping
    if old.operation_id != new.operation_id:
        out.append(
            Change(
                "operationId",
                "reassigned",
                True,
                f"{old.operation_id} -> {new.operation_id} "
                f"(generated method {old.method_name} -> {new.method_name}; the wire is unchanged)",
                "name",
            )
        )
    out += _parameter_changes(old, new, mapping)
    out += _payload_changes(
        "request body", old.body_schema, new.body_schema, old.body_type, new.body_type, {"request"}, schemas
    )
    if old.body_type is not None and new.body_type is not None and new.body_required and not old.body_required:
        out.append(Change("request body", "now_required", True))
    out += _payload_changes(
        "response",
        old.response_schema,
        new.response_schema,
        f"ref:{old.response_schema}" if old.response_schema else None,
        f"ref:{new.response_schema}" if new.response_schema else None,
        {"response"},
        schemas,
    )
    out += _access_changes(old, new)
    return tuple(out)


def _parameter_changes(old: OperationInfo, new: OperationInfo, mapping: Mapping[str, str]) -> List[Change]:
    out: List[Change] = []
    old_params = {(p.location, p.name): p for p in old.params}
    new_params = {(p.location, p.name): p for p in new.params}
    for key in sorted(set(old_params) | set(new_params)):
        subject = f"{key[0]} parameter {key[1]}"
        a, b = old_params.get(key), new_params.get(key)
        if a is None and b is not None:
            out.append(Change(subject, "added", b.required, f"{b.type}{', required' if b.required else ''}"))
        elif b is None and a is not None:
            out.append(Change(subject, "removed", True, f"was {a.type}"))
        elif a is not None and b is not None:
            if _map_type(a.type, mapping) != b.type:
                out.append(Change(subject, "retyped", True, f"{a.type} -> {b.type}"))
            if b.required and not a.required:
                out.append(Change(subject, "now_required", True))
            elif a.required and not b.required:
                out.append(Change(subject, "now_optional", False))
    return out


def _access_changes(old: OperationInfo, new: OperationInfo) -> List[Change]:
    """Scopes, permissions and deprecation."""
    out: List[Change] = []
    for scope in sorted(set(new.oauth_scopes) - set(old.oauth_scopes)):
        out.append(Change(f"OAuth scope {scope}", "added", True, "a token must now carry it"))
    for scope in sorted(set(old.oauth_scopes) - set(new.oauth_scopes)):
        out.append(Change(f"OAuth scope {scope}", "removed", False))
    for perm in sorted(set(new.permissions) - set(old.permissions)):
        out.append(Change(f"API-key permission {perm}", "added", True, "the key must now hold it"))
    for perm in sorted(set(old.permissions) - set(new.permissions)):
        out.append(Change(f"API-key permission {perm}", "removed", False))
    if new.deprecated and not old.deprecated:
        out.append(Change("operation", "deprecated", False, "still served; plan to move off it"))
    elif old.deprecated and not new.deprecated:
        out.append(Change("operation", "undeprecated", False))
    return out


def _payload_changes(
    role: str,
    old_schema: Optional[str],
    new_schema: Optional[str],
    old_type: Optional[str],
    new_type: Optional[str],
    usage: Set[str],
    schemas: SchemaComparison,
) -> List[Change]:
    if old_type is None and new_type is None:
        return []
    if old_type is None:
        return [Change(role, "added", role == "request body", str(new_type))]
    if new_type is None:
        return [Change(role, "removed", True, f"was {old_type}")]
    if _map_type(old_type, schemas.mapping) != new_type:
        return [Change(role, "retyped", True, f"{old_type} -> {new_type}")]
    if old_schema is None:
        return []
    change = schemas.by_old(old_schema)
    if change is None or change.new is None:
        return []
    out = []
    if change.renamed:
        out.append(Change(f"{role} schema", "renamed", True, f"{old_schema} -> {new_schema}", "name"))
    for record in schema_change_records(change, usage):
        out.append(Change(f"{role} {record.subject}", record.change, record.breaking, record.detail))
    return out


# ============================================================================ the whole comparison


@dataclass(frozen=True)
class Comparison:
    operations: Tuple[OperationMatch, ...]  #: sorted by identity
    schemas: SchemaComparison
    baseline_usage: Mapping[str, FrozenSet[str]]
    current_usage: Mapping[str, FrozenSet[str]]

    def match(self, identity: Identity) -> Optional[OperationMatch]:
        return next((m for m in self.operations if m.identity == identity), None)

    def by_baseline_name(self, method_name: str) -> Optional[OperationMatch]:
        """The identity a 0.291 method name calls (whatever operationId that path has now)."""
        return next((m for m in self.operations if m.baseline_name == method_name), None)

    @property
    def added(self) -> List[OperationMatch]:
        return [m for m in self.operations if m.status == "current_only"]

    @property
    def removed(self) -> List[OperationMatch]:
        return [m for m in self.operations if m.status == "baseline_only"]

    @property
    def kept(self) -> List[OperationMatch]:
        return [m for m in self.operations if m.status == "both"]

    @property
    def reassigned(self) -> List[OperationMatch]:
        """Operations in both documents whose operationId (so generated name) changed."""
        return [m for m in self.kept if m.operation_id_changed]

    def name_clashes(self) -> Dict[str, Tuple[Identity, Identity]]:
        """Method name -> (identity it had in the baseline, other identity the current spec gives it).

        A generator that follows the current spec's names would silently move these calls.
        """
        baseline_of = {m.baseline_name: m.identity for m in self.operations if m.baseline_name}
        out: Dict[str, Tuple[Identity, Identity]] = {}
        for m in self.operations:
            name = m.current_name
            if name and name in baseline_of and baseline_of[name] != m.identity:
                out[name] = (baseline_of[name], m.identity)
        return dict(sorted(out.items()))


def compare(
    baseline: Mapping[str, Any],
    current: Mapping[str, Any],
    replacements: Optional[Mapping[str, Optional[str]]] = None,
) -> Comparison:
    """Compare two parsed OpenAPI documents.

    ``replacements`` maps a baseline-only identity key (``"POST /v1/..."``) to the identity key of its
    replacement in ``current``, or to None for "has no replacement"; it wins over derivation.
    An override naming an identity that is not in ``current``, or an identity that is not
    baseline-only, raises :class:`CompatError`.
    """
    old_ops, new_ops = operations_of(baseline), operations_of(current)
    schemas = compare_schemas(baseline, current)
    old_shapes, new_shapes = shapes_of(baseline), shapes_of(current)
    overrides = _overrides(replacements or {}, old_ops, new_ops)
    matches: List[OperationMatch] = []
    for identity in sorted(set(old_ops) | set(new_ops)):
        old, new = old_ops.get(identity), new_ops.get(identity)
        if old is not None and new is not None:
            matches.append(
                OperationMatch(identity, old, new, changes=operation_changes(old, new, schemas, old_shapes, new_shapes))
            )
        elif old is not None:
            matches.append(_removed_match(old, old_ops, new_ops, overrides))
        else:
            matches.append(OperationMatch(identity, None, new))
    return Comparison(
        tuple(matches),
        schemas,
        {k: frozenset(v) for k, v in sorted(schema_usage(baseline).items())},
        {k: frozenset(v) for k, v in sorted(schema_usage(current).items())},
    )


def _overrides(
    replacements: Mapping[str, Optional[str]],
    old_ops: Mapping[Identity, OperationInfo],
    new_ops: Mapping[Identity, OperationInfo],
) -> Dict[Identity, Optional[Identity]]:
    """The explicit replacements as identities, each checked against the two documents."""
    overrides: Dict[Identity, Optional[Identity]] = {}
    for key, target in replacements.items():
        identity = parse_identity(key)
        if identity not in old_ops or identity in new_ops:
            raise CompatError(f"replacement given for {key!r}, which is not an operation only in the baseline")
        if target is None:
            overrides[identity] = None
            continue
        target_identity = parse_identity(target)
        if target_identity not in new_ops:
            raise CompatError(f"replacement {target!r} for {key!r} is not an operation of the current spec")
        overrides[identity] = target_identity
    return overrides


def _removed_match(
    old: OperationInfo,
    old_ops: Mapping[Identity, OperationInfo],
    new_ops: Mapping[Identity, OperationInfo],
    overrides: Mapping[Identity, Optional[Identity]],
) -> OperationMatch:
    """A baseline-only operation and its replacement: derived, or given explicitly (which wins)."""
    identity = old.identity
    replacement, candidates = find_replacement(old, new_ops)
    decided_by = replacement.rule if replacement else ("ambiguous" if candidates else "no rule matched")
    if identity in overrides:
        wanted = overrides[identity]
        derived = replacement.identity if replacement else None
        agrees = (
            "derivation agrees" if derived == wanted else f"derived: {identity_key(derived) if derived else 'none'}"
        )
        decided_by = f"override ({agrees})"
        replacement, candidates = None, ()
        if wanted is not None:
            op = new_ops[wanted]
            replacement = Replacement(op.identity, op.operation_id, op.method_name, decided_by)
    if replacement is not None:
        known = old_ops.get(replacement.identity)
        replacement = dataclasses.replace(replacement, baseline_method_name=known.method_name if known else None)
    return OperationMatch(identity, old, None, replacement, candidates, decided_by=decided_by)


# ============================================================================ helpers


def _schemas(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    return (doc.get("components") or {}).get("schemas") or {}


def _ref_name(node: Any) -> Optional[str]:
    ref = node.get("$ref") if isinstance(node, Mapping) else None
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return ref.rsplit("/", 1)[1]
    return None


def _resolve(doc: Mapping[str, Any], node: Any) -> Dict[str, Any]:
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        prefix = "#/components/"
        if not isinstance(ref, str) or not ref.startswith(prefix):
            raise CompatError(f"unsupported reference {ref!r}")
        kind, _, name = ref[len(prefix) :].partition("/")
        table = (doc.get("components") or {}).get(kind) or {}
        if name not in table:
            raise CompatError(f"dangling reference {ref!r}")
        node = table[name]
        seen += 1
        if seen > 50:
            raise CompatError(f"reference loop at {ref!r}")
    return dict(node) if isinstance(node, Mapping) else {}


def _is_model_schema(schema: Mapping[str, Any]) -> bool:
    return "enum" in schema or "allOf" in schema or bool(schema.get("properties"))
