"""Reading the OpenAPI document into plain records the templates render."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

from codegen import naming

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# Operations whose body carries a client-chosen id that the server refuses to
# use twice: a retry of such a call cannot repeat its effect once the id is set.
IDEMPOTENT_BY_ID = frozenset(
    {
        "Payment_ReorderPost",
        "Payment_RenewPost",
        "Payment_PublishUserPost",
        "Post_SubmitUserPost",
    }
)

_PERMISSIONS_HEADING = re.compile(r"^#+\s*مجوزهای API Key مورد نیاز", re.M)
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


@dataclass
class Model:
    schema: str
    cls: str
    module: str
    fields: List[Field]
    enum_values: Optional[List[str]] = None  # set for enums

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

    def __post_init__(self) -> None:
        self.class_modules = {m.cls: m.module for m in self.models}
        self.references = {m.cls: set().union(*(f.type.models for f in m.fields)) for m in self.models}

    @property
    def operations(self) -> List[Operation]:
        return [op for api in self.apis for op in api.operations]


class SpecError(Exception):
    pass


class _Reader:
    def __init__(self, doc: Dict[str, Any]) -> None:
        self.doc = doc
        components = doc.get("components") or {}
        self.schemas: Dict[str, Any] = components.get("schemas") or {}
        self.request_bodies: Dict[str, Any] = components.get("requestBodies") or {}
        self.parameters: Dict[str, Any] = components.get("parameters") or {}
        self.responses: Dict[str, Any] = components.get("responses") or {}

    # -------------------------------------------------------------- schema kinds
    def resolve(self, node: Dict[str, Any], section: str = "schemas") -> Dict[str, Any]:
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

    def is_model_schema(self, schema: Dict[str, Any]) -> bool:
        """Schemas that become a generated class: objects with properties, and enums."""
        if "enum" in schema:
            return True
        if "allOf" in schema:
            return True
        return bool(schema.get("properties"))

    def model_class_of(self, schema_name: str) -> Optional[str]:
        schema = self.schemas.get(schema_name)
        if schema is None:
            raise SpecError(f"unknown schema {schema_name!r}")
        return naming.model_class(schema_name) if self.is_model_schema(schema) else None

    # -------------------------------------------------------------- type mapping
    def type_of(self, node: Dict[str, Any]) -> TypeRef:
        name = self.ref_name(node)
        if name is not None:
            cls = self.model_class_of(name)
            if cls is not None:
                return TypeRef(cls, cls, models={cls})
            return self.type_of(self.schemas[name])
        if "allOf" in node and len(node["allOf"]) == 1:
            return self.type_of(node["allOf"][0])
        kind = node.get("type")
        fmt = node.get("format")
        if kind == "string":
            if fmt == "date-time":
                return TypeRef("datetime", "datetime", uses_datetime=True)
            if fmt == "date":
                return TypeRef("date", "date", uses_date=True)
            if fmt == "byte":
                return TypeRef("Union[StrictBytes, StrictStr]", "str", typing_names={"Union"}, pydantic_names={"StrictBytes", "StrictStr"})
            # int64/uint64 travel as JSON strings in this API: they stay str
            return TypeRef("StrictStr", "str", pydantic_names={"StrictStr"})
        if kind == "integer":
            return TypeRef("StrictInt", "int", pydantic_names={"StrictInt"})
        if kind == "number":
            return TypeRef(
                "Union[StrictFloat, StrictInt]",
                "float",
                typing_names={"Union"},
                pydantic_names={"StrictFloat", "StrictInt"},
            )
        if kind == "boolean":
            return TypeRef("StrictBool", "bool", pydantic_names={"StrictBool"})
        if kind == "array":
            inner = self.type_of(node.get("items") or {})
            return _wrap(inner, "List[{}]", "List[{}]", "List")
        if kind == "object" or kind is None:
            addl = node.get("additionalProperties")
            if isinstance(addl, dict) and addl and not node.get("properties"):
                inner = self.type_of(addl)
                return _wrap(inner, "Dict[str, {}]", "Dict[str, {}]", "Dict")
            return TypeRef("Dict[str, Any]", "Dict[str, Any]", typing_names={"Dict", "Any"})
        raise SpecError(f"unsupported schema {json.dumps(node)[:120]}")

    # -------------------------------------------------------------- models
    def models(self) -> List[Model]:
        result = []
        for schema_name in sorted(self.schemas):
            schema = self.schemas[schema_name]
            if not self.is_model_schema(schema):
                continue
            cls = naming.model_class(schema_name)
            module = naming.model_module(cls)
            if "enum" in schema:
                values = [str(v) for v in schema["enum"]]
                result.append(Model(schema_name, cls, module, [], enum_values=values))
                continue
            props = dict(schema.get("properties") or {})
            required = set(schema.get("required") or [])
            for part in schema.get("allOf") or []:
                resolved = self.resolve(part)
                props.update(resolved.get("properties") or {})
                required.update(resolved.get("required") or [])
            fields = [
                Field(naming.field_name(wire), wire, self.type_of(prop), wire in required)
                for wire, prop in sorted(props.items())
            ]
            names = [f.name for f in fields]
            if len(set(names)) != len(names):
                raise SpecError(f"schema {schema_name}: two properties map to one field name")
            result.append(Model(schema_name, cls, module, fields))
        classes = [m.cls for m in result]
        if len(set(classes)) != len(classes):
            raise SpecError("two schemas map to one class name")
        return result

    # -------------------------------------------------------------- operations
    def operations(self) -> List[Operation]:
        global_security = self.doc.get("security") or []
        result = []
        for path, item in self.doc.get("paths", {}).items():
            shared_params = item.get("parameters") or []
            for method in HTTP_METHODS:
                op = item.get(method)
                if op is None:
                    continue
                result.append(self.operation(path, method, op, shared_params, global_security))
        names = [op.name for op in result]
        if len(set(names)) != len(names):
            raise SpecError("two operations map to one method name")
        return result

    def operation(
        self,
        path: str,
        method: str,
        op: Dict[str, Any],
        shared_params: List[Any],
        global_security: List[Any],
    ) -> Operation:
        operation_id = op.get("operationId")
        if not operation_id:
            raise SpecError(f"{method.upper()} {path} has no operationId")
        tags = op.get("tags") or ["Default"]
        name = naming.method_name(operation_id)

        merged: Dict[Tuple[str, str], Dict[str, Any]] = {}
        for raw in list(shared_params) + list(op.get("parameters") or []):
            param = self.resolve(raw)
            merged[(param["name"], param["in"])] = param
        params: List[Param] = []
        for param in merged.values():
            where = param["in"]
            if where not in ("path", "query"):
                raise SpecError(f"{operation_id}: parameters in {where} are not supported")
            ptype = self.type_of(param.get("schema") or {"type": "string"})
            simple = {"str": "str", "int": "int", "bool": "bool", "float": "float"}.get(ptype.plain)
            if simple is None:
                raise SpecError(f"{operation_id}: parameter {param['name']} has an unsupported type")
            required = bool(param.get("required")) or where == "path"
            annotation = simple if required else f"Optional[{simple}]"
            params.append(Param(naming.param_name(param["name"]), param["name"], where, simple, annotation, required))

        body = op.get("requestBody")
        body_cls: Optional[str] = None
        if body is not None:
            body = self.resolve(body)
            content = body.get("content") or {}
            media = content.get("application/json")
            if media is None:
                raise SpecError(f"{operation_id}: only application/json bodies are supported")
            schema_node = media.get("schema") or {}
            schema_name = self.ref_name(schema_node)
            body_cls = self.model_class_of(schema_name) if schema_name else None
            if body_cls is None and schema_name is None and schema_node.get("properties"):
                raise SpecError(f"{operation_id}: inline body schemas are not supported")
            required = bool(body.get("required", False))
            if body_cls is not None:
                pname = naming.underscore(body_cls)
                annotation = body_cls if required else f"Optional[{body_cls}]"
                params.append(Param(pname, pname, "body", body_cls, annotation, required, naming.model_module(body_cls)))
            else:
                annotation = "Dict[str, Any]" if required else "Optional[Dict[str, Any]]"
                params.append(Param("body", "body", "body", "object", annotation, required))
        # required parameters first, each group in declaration order
        params.sort(key=lambda p: not p.required)

        returns = "object"
        responses = op.get("responses") or {}
        ok = next((responses[c] for c in ("200", "201", "202") if c in responses), None)
        if ok is not None:
            ok = self.resolve(ok)
            media = (ok.get("content") or {}).get("application/json")
            if media is not None:
                schema_name = self.ref_name(media.get("schema") or {})
                if schema_name is not None:
                    returns = self.model_class_of(schema_name) or "object"

        security = op.get("security", global_security) or []
        auth: List[str] = []
        scopes: List[str] = []
        for requirement in security:
            for scheme, scheme_scopes in requirement.items():
                if scheme not in auth:
                    auth.append(scheme)
                scopes.extend(s for s in scheme_scopes if s not in scopes)
        order = {"APIKey": 0, "OAuth": 1}
        auth.sort(key=lambda s: order.get(s, 2))

        body_param = next((p for p in params if p.kind == "body"), None)
        idempotency_field = None
        if operation_id in IDEMPOTENT_BY_ID and body_param is not None and body_param.type != "object":
            schema = self.schemas.get(self._schema_of_class(body_param.type), {})
            if "id" in (schema.get("properties") or {}):
                idempotency_field = "id"

        paging = self._paging(params, returns)

        return Operation(
            operation_id=operation_id,
            name=name,
            api=naming.api_class(tags[0]),
            method=method.upper(),
            path=path,
            params=params,
            returns=returns,
            returns_module=None if returns == "object" else naming.model_module(returns),
            auth=tuple(auth),
            oauth_scopes=tuple(scopes),
            permissions=_permissions(op.get("description") or ""),
            idempotency_field=idempotency_field,
            summary=naming.summary_from_operation_id(operation_id),
            tag=tags[0],
            deprecated=bool(op.get("deprecated")),
            paging=paging,
        )

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
        typing_names=set(inner.typing_names) | {typing_name},
        pydantic_names=set(inner.pydantic_names),
        uses_datetime=inner.uses_datetime,
        uses_date=inner.uses_date,
    )


def _permissions(description: str) -> Tuple[str, ...]:
    """The API-key permissions an operation's description lists (facts, not prose)."""
    match = _PERMISSIONS_HEADING.search(description)
    if match is None:
        return ()
    rest = description[match.end() :]
    following = re.search(r"^#", rest, re.M)
    section = rest[: following.start()] if following else rest
    return tuple(dict.fromkeys(_BACKTICKED.findall(section)))


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
    )
