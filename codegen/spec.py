"""Reading the OpenAPI document into plain records the templates render.

The reader fails loudly: a schema it cannot type exactly raises :class:`SpecError`
naming the schema's path in the document.  What it accepts, and how:

- ``$ref`` to a component schema: the model class (or, for a schema that is no model,
  its type); ``allOf`` with exactly one part: that part (the usual wrapper that adds a
  description to a reference);
- ``string`` (``date-time`` -> datetime, ``date`` -> date, ``byte`` -> bytes or str, any
  other format -> str: int64 travels as a JSON string in this API), ``integer``,
  ``number``, ``boolean``, ``array`` with typed ``items``;
- ``object`` with ``properties``: a model; with typed ``additionalProperties``: a map;
  with neither (or ``additionalProperties: true`` / ``{}``): a free-form JSON object,
  ``Dict[str, Any]``.  That is what OpenAPI says ``type: object`` alone means, and the
  Kenar spec uses it for category-specific data;
- string enums (other enum values are refused).

Refused with :class:`SpecError`: ``oneOf``, ``anyOf``, ``not``, ``allOf`` with more than one
part, a schema without ``type`` (other than the above), and unknown types.

Facts that are not in the spec's structure are read with a warning when they look
off: API-key permissions come from a heading in each operation's description (a
heading that mentions ``API Key`` but does not match, or a spec where no operation
lists any, is a warning), and :data:`IDEMPOTENT_BY_ID` names operations by identity.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

from codegen import naming

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

#: Operations (by identity: method and path template) whose body carries a client-chosen
#: ``id`` that the server refuses to use twice (Kenar's docs on payment reorder, renew and
#: publish): a retry cannot repeat the effect once the id is set, so the runtime may retry
#: them like idempotent calls.  An entry the spec does not bear out (path gone, or no ``id``
#: in the body) is a warning, never silently dropped.  (The docs say user-post submit takes
#: such an id too, but neither spec's body has one: add it here when the spec does.)
IDEMPOTENT_BY_ID = frozenset(
    {
        ("POST", "/experimental/open-platform/post/{post_token}/reorder"),
        ("POST", "/experimental/open-platform/post/{post_token}/renew"),
        ("POST", "/experimental/open-platform/post/{post_token}/publish"),
    }
)

_PERMISSIONS_HEADING = re.compile(r"^#+\s*مجوزهای API Key مورد نیاز", re.M)
_API_KEY_HEADING = re.compile(r"^#+[^\n]*API[ _-]?Key[^\n]*$", re.M | re.I)
_BACKTICKED = re.compile(r"`([^`]+)`")


@dataclass
class TypeRef:
    """A property or parameter type."""

    annotation: str  #: the Python annotation, e.g. "List[StrictStr]"
    plain: str  #: the type as a reader sees it, e.g. "List[str]"
    models: Set[str] = field(default_factory=set)  #: model/enum classes it names
    typing_names: Set[str] = field(default_factory=set)
    pydantic_names: Set[str] = field(default_factory=set)
    uses_datetime: bool = False
    uses_date: bool = False


@dataclass
class Field:
    name: str
    wire: str
    type: TypeRef
    required: bool
    #: required by the current spec, generated optional because the baseline did not require it
    api_required: bool = False
    #: a baseline field the current spec dropped, kept (optional) so 0.291 code still sets it
    legacy: bool = False


@dataclass
class Model:
    schema: str
    cls: str
    module: str
    fields: List[Field]
    enum_values: Optional[List[str]] = None  # set for enums
    #: set on a baseline class kept importable as another name of a current class: (class, module)
    alias_of: Optional[Tuple[str, str]] = None
    #: the baseline's model kept as it was (its schema is not in the current spec, or changed shape)
    legacy: bool = False
    #: enum values the baseline had and the current spec dropped (kept, so 0.291 code still finds them)
    legacy_values: List[str] = field(default_factory=list)

    @property
    def is_enum(self) -> bool:
        return self.enum_values is not None


@dataclass
class Param:
    name: str
    wire: str
    kind: str  # path | query | body
    type: str  # "str" | "int" | "bool" | "float" | "object" | model class
    annotation: str  # signature annotation
    required: bool
    module: Optional[str] = None


@dataclass
class Operation:
    operation_id: str
    name: str
    api: str
    method: str
    path: str
    params: List[Param]
    returns: str
    returns_module: Optional[str]
    auth: Tuple[str, ...]
    oauth_scopes: Tuple[str, ...]
    permissions: Tuple[str, ...]
    idempotency_field: Optional[str]
    summary: str
    tag: str = ""
    deprecated: bool = False
    #: (token argument, items field, next-token field) when the operation pages
    paging: Optional[Tuple[str, str, str]] = None
    note: str = ""  #: our own words about the operation (codegen/operation_notes.toml)
    removed_in: Optional[str] = None  #: date of the first spec without the operation
    replacement: Optional[str] = None  #: method to call instead (deprecated operations)
    added_in: Optional[str] = None  #: date of the current spec, for operations the baseline lacks


@dataclass
class Api:
    tag: str
    cls: str
    module: str
    operations: List[Operation]


@dataclass
class Spec:
    source_name: str
    sha256: str
    host: str
    models: List[Model]
    apis: List[Api]
    scopes: List[str]
    #: model class name -> module name
    class_modules: Dict[str, str] = field(default_factory=dict)
    #: model class name -> the model classes its fields name
    references: Dict[str, Set[str]] = field(default_factory=dict)
    #: things the reader accepted but a person should look at (the CLI prints them)
    warnings: List[str] = field(default_factory=list)
    date: str = ""  #: the spec's date (YYYY-MM-DD), from its file name or given
    #: the baseline whose public names are kept: (file name, sha256, date or "")
    baseline: Optional[Tuple[str, str, str]] = None
    #: further generated pages, path -> text (docs/api-changes.md when there is a baseline)
    extra_files: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.class_modules = {m.cls: m.module for m in self.models}
        self.references = {m.cls: set().union(*(f.type.models for f in m.fields)) for m in self.models}

    @property
    def operations(self) -> List[Operation]:
        return [op for api in self.apis for op in api.operations]


class SpecError(Exception):
    """The spec holds something the generator will not guess about; the message names where."""


_SIMPLE_PARAM_TYPES = ("str", "int", "bool", "float")
_AUTH_ORDER = {"APIKey": 0, "OAuth": 1}
_STRING_FORMATS = {
    "date-time": TypeRef("datetime", "datetime", uses_datetime=True),
    "date": TypeRef("date", "date", uses_date=True),
    "byte": TypeRef(
        "Union[StrictBytes, StrictStr]", "str", typing_names={"Union"}, pydantic_names={"StrictBytes", "StrictStr"}
    ),
}
_SCALARS = {
    "string": TypeRef("StrictStr", "str", pydantic_names={"StrictStr"}),
    "integer": TypeRef("StrictInt", "int", pydantic_names={"StrictInt"}),
    "number": TypeRef(
        "Union[StrictFloat, StrictInt]", "float", typing_names={"Union"}, pydantic_names={"StrictFloat", "StrictInt"}
    ),
    "boolean": TypeRef("StrictBool", "bool", pydantic_names={"StrictBool"}),
}
_FREE_FORM = TypeRef("Dict[str, Any]", "Dict[str, Any]", typing_names={"Dict", "Any"})


def _copy(ref: TypeRef) -> TypeRef:
    return _wrap(ref, "{}", "{}", "")


class _Reader:
    def __init__(self, doc: Dict[str, Any]) -> None:
        self.doc = doc
        components = doc.get("components") or {}
        self.schemas: Dict[str, Any] = components.get("schemas") or {}
        self.warnings: List[str] = []

    # -------------------------------------------------------------- schema kinds
    def resolve(self, node: Dict[str, Any]) -> Dict[str, Any]:
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            prefix = "#/components/"
            if not ref.startswith(prefix):
                raise SpecError(f"unsupported reference {ref!r}")
            kind, _, name = ref[len(prefix) :].partition("/")
            table = self.doc.get("components", {}).get(kind, {})
            if name not in table:
                raise SpecError(f"dangling reference {ref!r}")
            node = table[name]
            seen += 1
            if seen > 50:
                raise SpecError(f"reference loop at {ref!r}")
        return node

    @staticmethod
    def ref_name(node: Dict[str, Any]) -> Optional[str]:
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return ref.rsplit("/", 1)[1]
        return None

    @staticmethod
    def is_model_schema(schema: Dict[str, Any]) -> bool:
        """Schemas that become a generated class: objects with properties, and enums."""
        return "enum" in schema or bool(schema.get("properties"))

    def model_class_of(self, schema_name: str) -> Optional[str]:
        schema = self.schemas.get(schema_name)
        if schema is None:
            raise SpecError(f"unknown schema {schema_name!r}")
        return naming.model_class(schema_name) if self.is_model_schema(schema) else None

    # -------------------------------------------------------------- type mapping
    def type_of(self, node: Dict[str, Any], where: str) -> TypeRef:
        """The type of schema ``node``, found at JSON pointer ``where`` (named in errors)."""
        name = self.ref_name(node)
        if name is not None:
            cls = self.model_class_of(name)
            if cls is not None:
                return TypeRef(cls, cls, models={cls})
            return self.type_of(self.schemas[name], f"#/components/schemas/{name}")
        for keyword in ("oneOf", "anyOf", "not"):
            if keyword in node:
                raise SpecError(f"{where}: `{keyword}` is not supported (no exact Python type for it)")
        if "allOf" in node:
            parts = node["allOf"]
            if len(parts) != 1:
                raise SpecError(f"{where}: `allOf` with {len(parts)} parts is not supported")
            return self.type_of(parts[0], f"{where}/allOf/0")
        return self._typed(node, where)

    def _typed(self, node: Dict[str, Any], where: str) -> TypeRef:
        """The type of a schema that names its ``type``."""
        kind = node.get("type")
        if kind == "string":
            return _copy(_STRING_FORMATS.get(node.get("format") or "", _SCALARS["string"]))
        if kind in _SCALARS:
            return _copy(_SCALARS[kind])
        if kind == "array":
            if not node.get("items"):
                raise SpecError(f"{where}: an array without typed `items`")
            return _wrap(self.type_of(node["items"], f"{where}/items"), "List[{}]", "List[{}]", "List")
        if kind == "object":
            return self._object_type(node, where)
        if kind is None:
            raise SpecError(f"{where}: a schema without `type` ({json.dumps(node, ensure_ascii=False)[:80]})")
        raise SpecError(f"{where}: unsupported type {kind!r}")

    def _object_type(self, node: Dict[str, Any], where: str) -> TypeRef:
        if node.get("properties"):
            raise SpecError(f"{where}: an inline object with properties (give it a component schema)")
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            inner = self.type_of(extra, f"{where}/additionalProperties")
            return _wrap(inner, "Dict[str, {}]", "Dict[str, {}]", "Dict")
        if extra not in (None, True, {}):
            raise SpecError(f"{where}: an object with `additionalProperties: {json.dumps(extra)}` and no properties")
        return _copy(_FREE_FORM)  # `type: object` alone: any JSON object, by OpenAPI's definition

    # -------------------------------------------------------------- models
    def models(self) -> List[Model]:
        result = [self.model(name) for name in sorted(self.schemas) if self.is_model_schema(self.schemas[name])]
        classes = [m.cls for m in result]
        if len(set(classes)) != len(classes):
            raise SpecError("two schemas map to one class name")
        return result

    def model(self, schema_name: str) -> Model:
        schema = self.schemas[schema_name]
        where = f"#/components/schemas/{schema_name}"
        cls = naming.model_class(schema_name)
        module = naming.model_module(cls)
        if "enum" in schema:
            values = schema["enum"]
            if schema.get("type", "string") != "string" or not all(isinstance(v, str) for v in values):
                raise SpecError(f"{where}: only string enums are supported")
            return Model(schema_name, cls, module, [], enum_values=list(values))
        required = set(schema.get("required") or [])
        fields = [
            Field(naming.field_name(wire), wire, self.type_of(prop, f"{where}/properties/{wire}"), wire in required)
            for wire, prop in sorted(schema["properties"].items())
        ]
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise SpecError(f"{where}: two properties map to one field name")
        return Model(schema_name, cls, module, fields)

    # -------------------------------------------------------------- operations
    def operations(self) -> List[Operation]:
        global_security = self.doc.get("security") or []
        result = []
        for path, item in self.doc.get("paths", {}).items():
            shared_params = item.get("parameters") or []
            for method in HTTP_METHODS:
                op = item.get(method)
                if op is not None:
                    result.append(self.operation(path, method, op, shared_params, global_security))
        names = [op.name for op in result]
        if len(set(names)) != len(names):
            raise SpecError("two operations map to one method name")
        self._check_facts(result)
        return result

    def operation(
        self, path: str, method: str, op: Dict[str, Any], shared_params: List[Any], global_security: List[Any]
    ) -> Operation:
        operation_id = op.get("operationId")
        if not operation_id:
            raise SpecError(f"{method.upper()} {path} has no operationId")
        where = f"#/paths/{path.replace('~', '~0').replace('/', '~1')}/{method}"
        tag = (op.get("tags") or ["Default"])[0]
        params = self._params(operation_id, shared_params + list(op.get("parameters") or []))
        body = self._body_param(operation_id, op.get("requestBody"), where)
        if body is not None:
            params.append(body)
        params.sort(key=lambda p: not p.required)  # required first, each group in declaration order
        returns = self._returns(op.get("responses") or {})
        auth, scopes = self._security(op.get("security", global_security) or [])
        return Operation(
            operation_id=operation_id,
            name=naming.method_name(operation_id),
            api=naming.api_class(tag),
            method=method.upper(),
            path=path,
            params=params,
            returns=returns,
            returns_module=None if returns == "object" else naming.model_module(returns),
            auth=auth,
            oauth_scopes=scopes,
            permissions=self._permissions(operation_id, op.get("description") or ""),
            idempotency_field=self._idempotency_field(method.upper(), path, body),
            summary=naming.summary_from_operation_id(operation_id),
            tag=tag,
            deprecated=bool(op.get("deprecated")),
            paging=self._paging(params, returns),
        )

    def _params(self, operation_id: str, raw_params: List[Any]) -> List[Param]:
        merged: Dict[Tuple[str, str], Dict[str, Any]] = {}
        for raw in raw_params:
            param = self.resolve(raw)
            merged[(param["name"], param["in"])] = param
        params: List[Param] = []
        for param in merged.values():
            where = param["in"]
            if where not in ("path", "query"):
                raise SpecError(f"{operation_id}: parameters in {where} are not supported")
            schema = param.get("schema") or {"type": "string"}
            simple = self.type_of(schema, f"{operation_id} parameter {param['name']}").plain
            if simple not in _SIMPLE_PARAM_TYPES:
                raise SpecError(f"{operation_id}: parameter {param['name']} has an unsupported type")
            required = bool(param.get("required")) or where == "path"
            annotation = simple if required else f"Optional[{simple}]"
            params.append(Param(naming.param_name(param["name"]), param["name"], where, simple, annotation, required))
        return params

    def _body_param(self, operation_id: str, body: Optional[Dict[str, Any]], where: str) -> Optional[Param]:
        if body is None:
            return None
        body = self.resolve(body)
        media = (body.get("content") or {}).get("application/json")
        if media is None:
            raise SpecError(f"{operation_id}: only application/json bodies are supported")
        schema_node = media.get("schema") or {}
        schema_name = self.ref_name(schema_node)
        body_cls = self.model_class_of(schema_name) if schema_name else None
        required = bool(body.get("required", False))
        if body_cls is None:
            # no model: the body must be a free-form object (anything else has no exact type here)
            body_type = self.type_of(schema_node, f"{where}/requestBody/content/application~1json/schema")
            if body_type.plain != "Dict[str, Any]":
                raise SpecError(f"{operation_id}: a request body of type {body_type.plain} is not supported")
            annotation = "Dict[str, Any]" if required else "Optional[Dict[str, Any]]"
            return Param("body", "body", "body", "object", annotation, required)
        name = naming.underscore(body_cls)
        annotation = body_cls if required else f"Optional[{body_cls}]"
        return Param(name, name, "body", body_cls, annotation, required, naming.model_module(body_cls))

    def _returns(self, responses: Dict[str, Any]) -> str:
        ok = next((responses[c] for c in ("200", "201", "202") if c in responses), None)
        if ok is None:
            return "object"
        media = (self.resolve(ok).get("content") or {}).get("application/json")
        schema_name = self.ref_name(media.get("schema") or {}) if media is not None else None
        if schema_name is None:
            return "object"
        return self.model_class_of(schema_name) or "object"

    @staticmethod
    def _security(security: List[Any]) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        auth: List[str] = []
        scopes: List[str] = []
        for requirement in security:
            for scheme, scheme_scopes in requirement.items():
                if scheme not in auth:
                    auth.append(scheme)
                scopes.extend(s for s in scheme_scopes if s not in scopes)
        auth.sort(key=lambda s: _AUTH_ORDER.get(s, 2))
        return tuple(auth), tuple(scopes)

    def _idempotency_field(self, method: str, path: str, body: Optional[Param]) -> Optional[str]:
        if (method, path) not in IDEMPOTENT_BY_ID:
            return None
        if body is not None and body.type != "object":
            schema = self.schemas.get(self._schema_of_class(body.type), {})
            if "id" in (schema.get("properties") or {}):
                return "id"
        self.warnings.append(f"{method} {path} is listed as idempotent by id, but its body has no `id`: not retried")
        return None

    def _permissions(self, operation_id: str, description: str) -> Tuple[str, ...]:
        """The API-key permissions an operation's description lists (facts, not prose)."""
        match = _PERMISSIONS_HEADING.search(description)
        if match is None:
            for heading in _API_KEY_HEADING.findall(description):
                self.warnings.append(
                    f"{operation_id}: heading {heading.strip()!r} mentions API Key but is not the permissions "
                    "heading the generator reads: permissions not read"
                )
            return ()
        rest = description[match.end() :]
        following = re.search(r"^#", rest, re.M)
        section = rest[: following.start()] if following else rest
        found = tuple(dict.fromkeys(_BACKTICKED.findall(section)))
        if not found:
            self.warnings.append(f"{operation_id}: the permissions heading lists no `NAME`: permissions not read")
        return found

    def _check_facts(self, operations: List[Operation]) -> None:
        present = {(op.method, op.path) for op in operations}
        for method, path in sorted(IDEMPOTENT_BY_ID - present):
            self.warnings.append(f"{method} {path} is listed as idempotent by id but is not in the spec")
        if operations and not any(op.permissions for op in operations):
            self.warnings.append("no operation lists API-key permissions: has the description heading changed?")

    def _paging(self, params: List[Param], returns: str) -> Optional[Tuple[str, str, str]]:
        """An operation pages when it takes a ``page_token`` query argument and answers a model
        with a ``next_page_token`` string and exactly one list field (the items)."""
        token = next((p for p in params if p.kind == "query" and p.wire == "page_token"), None)
        if token is None or returns == "object":
            return None
        properties = self.schemas.get(self._schema_of_class(returns), {}).get("properties") or {}
        next_token = properties.get("next_page_token")
        if next_token is None or self.resolve(next_token).get("type") != "string":
            return None
        lists = sorted(name for name, node in properties.items() if self.resolve(node).get("type") == "array")
        if len(lists) != 1:
            return None
        return (token.name, lists[0], "next_page_token")

    def _schema_of_class(self, cls: str) -> str:
        for schema_name in self.schemas:
            if naming.model_class(schema_name) == cls:
                return schema_name
        raise SpecError(f"no schema for class {cls}")

    def scopes(self) -> List[str]:
        schemes = (self.doc.get("components") or {}).get("securitySchemes") or {}
        found: List[str] = []
        for scheme in schemes.values():
            for flow in (scheme.get("flows") or {}).values():
                found.extend((flow.get("scopes") or {}).keys())
        return sorted(set(found))


def _wrap(inner: TypeRef, annotation: str, plain: str, typing_name: str) -> TypeRef:
    return TypeRef(
        annotation.format(inner.annotation),
        plain.format(inner.plain),
        models=set(inner.models),
        typing_names=set(inner.typing_names) | ({typing_name} if typing_name else set()),
        pydantic_names=set(inner.pydantic_names),
        uses_datetime=inner.uses_datetime,
        uses_date=inner.uses_date,
    )


def load(path: Path) -> Spec:
    raw = path.read_bytes()
    doc = json.loads(raw)
    reader = _Reader(doc)
    models = reader.models()
    operations = reader.operations()
    apis: Dict[str, Api] = {}
    for op in operations:
        api = apis.get(op.api)
        if api is None:
            api = apis[op.api] = Api(op.tag, op.api, naming.api_module(op.api), [])
        api.operations.append(op)
    for api in apis.values():
        api.operations.sort(key=lambda o: o.name)
    servers = doc.get("servers") or [{"url": "https://open-api.divar.ir"}]
    return Spec(
        source_name=path.name,
        sha256=hashlib.sha256(raw).hexdigest(),
        host=servers[0]["url"].rstrip("/"),
        models=models,
        apis=[apis[name] for name in sorted(apis)],
        scopes=reader.scopes(),
        warnings=reader.warnings,
    )
