"""The record that describes one API operation.

The generator writes one :class:`Operation` per operation of the spec into
``kenar_api_client/_op_table.py``; the API classes hand it, with the call's
arguments, to :meth:`ApiClient.call_operation`, and the mock server in
:mod:`kenar_api_client.testing` reads the same table.  Model classes are named
by module and class and imported only when the operation is first used.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from typing import Any, Dict, NamedTuple, Optional, Tuple

# kinds of Param.kind
PATH = "path"
QUERY = "query"
BODY = "body"

_MODELS_PACKAGE = "kenar_api_client.models"
#: where the generated API classes live (frames there are skipped when pointing a warning at its caller)
_API_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api") + os.sep


def _frozen(self: object, name: str, value: object = None) -> None:
    raise AttributeError(f"cannot assign to field {name!r}: {type(self).__name__} is read-only")


class Param:
    """One argument of an operation, in the order of the method signature.

    A read-only record, like :class:`Operation`: written by hand with ``__slots__`` rather than as
    a dataclass, because ``dataclasses`` (with ``inspect``) would cost the ``kenar`` command line
    more start-up time than everything else it loads for ``--help``.
    """

    __slots__ = ("name", "kind", "type", "required", "module", "wire")

    name: str  #: python name (also the wire name for path and query parameters, unless ``wire`` is set)
    kind: str  #: PATH, QUERY or BODY
    type: str  #: "str", "int", "bool", "float", "object" or a model class name
    required: bool
    module: Optional[str]  #: module (under kenar_api_client.models) of a model type; default None
    #: the name on the wire when it is not a Python name (e.g. grpc-gateway's ``filter.city``); default None
    wire: Optional[str]

    def __init__(
        self,
        name: str,
        kind: str,
        type: str,
        required: bool,
        module: Optional[str] = None,
        wire: Optional[str] = None,
    ) -> None:
        put = object.__setattr__
        put(self, "name", name)
        put(self, "kind", kind)
        put(self, "type", type)
        put(self, "required", required)
        put(self, "module", module)
        put(self, "wire", wire)

    __setattr__ = _frozen
    __delattr__ = _frozen

    def _fields(self) -> Tuple[Any, ...]:
        return (self.name, self.kind, self.type, self.required, self.module, self.wire)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"Param(name={self.name!r}, kind={self.kind!r}, type={self.type!r}, required={self.required!r}, "
            f"module={self.module!r}, wire={self.wire!r})"
        )

    def __reduce__(self) -> Tuple[Any, ...]:
        return (self.__class__, self._fields())

    @property
    def wire_name(self) -> str:
        """The name in the path template or the query string."""
        return self.wire or self.name


class Paging(NamedTuple):
    """How an operation pages: which argument takes the token, which answer fields hold the items and the next token."""

    token_param: str  #: python name of the argument that takes the page token, e.g. "page_token"
    items_field: str  #: the answer's list field, e.g. "transactions"
    next_token_field: str  #: the answer's field holding the next page's token, e.g. "next_page_token"


#: the fields of an Operation in the order of its constructor's arguments (``_cache`` last, not a field)
_OPERATION_FIELDS = (
    "name",
    "api",
    "operation_id",
    "method",
    "path",
    "auth",
    "params",
    "returns",
    "returns_module",
    "oauth_scopes",
    "permissions",
    "idempotency_field",
    "paging",
    "summary",
    "deprecated",
    "removed_in",
    "replacement",
)


class Operation:
    """An API operation: what to send and what comes back.

    A read-only record (assigning an attribute raises AttributeError); equal when every field is,
    ``_cache`` aside.  ``replace(**changes)`` makes a changed copy.
    """

    __slots__ = (*_OPERATION_FIELDS, "_cache")

    name: str  #: method name on the API class, e.g. "events_send_event"
    api: str  #: API class name, e.g. "EventsApi"
    operation_id: str  #: the spec's operationId
    method: str  #: HTTP method, upper case
    path: str  #: path template, e.g. "/v1/open-platform/finder/post/{token}"
    auth: Tuple[str, ...]  #: security schemes sent, e.g. ("APIKey", "OAuth")
    # the generated table leaves out every field below that equals its default (see __init__)
    params: Tuple[Param, ...]  #: default ()
    returns: str  #: "object" (the decoded JSON, the default) or a model class name
    returns_module: Optional[str]  #: module of the ``returns`` model, under kenar_api_client.models
    oauth_scopes: Tuple[str, ...]  #: default ()
    permissions: Tuple[str, ...]  #: default ()
    #: name of a body field holding a client-chosen idempotency id; when it is
    #: set, a POST may be retried like an idempotent method
    idempotency_field: Optional[str]
    #: set when the operation pages (a token argument in, a list and a next token out)
    paging: Optional[Paging]
    summary: str  #: one line of our own words about the operation (codegen/operation_notes.toml)
    #: True when the operation is deprecated: gone from the current Kenar spec (``removed_in``), or
    #: marked so by the spec; calling it sends what it always sent, with a DeprecationWarning
    deprecated: bool
    removed_in: Optional[str]  #: date (YYYY-MM-DD) of the first Kenar spec without the operation
    replacement: Optional[str]  #: method name to call instead, when the current spec has one
    #: what the SDK works out once per operation (compiled path template, model classes)
    _cache: Dict[str, Any]

    def __init__(
        self,
        name: str,
        api: str,
        operation_id: str,
        method: str,
        path: str,
        auth: Tuple[str, ...],
        params: Tuple[Param, ...] = (),
        returns: str = "object",
        returns_module: Optional[str] = None,
        oauth_scopes: Tuple[str, ...] = (),
        permissions: Tuple[str, ...] = (),
        idempotency_field: Optional[str] = None,
        paging: Optional[Paging] = None,
        summary: str = "",
        deprecated: bool = False,
        removed_in: Optional[str] = None,
        replacement: Optional[str] = None,
        _cache: Optional[Dict[str, Any]] = None,
    ) -> None:
        put = object.__setattr__
        put(self, "name", name)
        put(self, "api", api)
        put(self, "operation_id", operation_id)
        put(self, "method", method)
        put(self, "path", path)
        put(self, "auth", auth)
        put(self, "params", params)
        put(self, "returns", returns)
        put(self, "returns_module", returns_module)
        put(self, "oauth_scopes", oauth_scopes)
        put(self, "permissions", permissions)
        put(self, "idempotency_field", idempotency_field)
        put(self, "paging", paging)
        put(self, "summary", summary)
        put(self, "deprecated", deprecated)
        put(self, "removed_in", removed_in)
        put(self, "replacement", replacement)
        put(self, "_cache", {} if _cache is None else _cache)

    __setattr__ = _frozen
    __delattr__ = _frozen

    def _fields(self) -> Tuple[Any, ...]:
        return tuple(getattr(self, key) for key in _OPERATION_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return "Operation(" + ", ".join(f"{key}={getattr(self, key)!r}" for key in _OPERATION_FIELDS) + ")"

    def __reduce__(self) -> Tuple[Any, ...]:
        return (self.__class__, self._fields())

    def replace(self, **changes: Any) -> Operation:
        """A copy with ``changes`` (field name -> value) applied, and a cache of its own."""
        unknown = set(changes).difference(_OPERATION_FIELDS)
        if unknown:
            raise TypeError(f"Operation has no field {sorted(unknown)[0]!r}")
        values = {key: getattr(self, key) for key in _OPERATION_FIELDS}
        values.update(changes)
        return self.__class__(**values)

    #: ``copy.replace(op, ...)`` (Python 3.13)
    __replace__ = replace

    @property
    def needs_oauth(self) -> bool:
        return "OAuth" in self.auth

    @property
    def body_param(self) -> Optional[Param]:
        for param in self.params:
            if param.kind == BODY:
                return param
        return None

    def response_model(self) -> Any:
        """The model class of the 200 answer, or None for ``object``."""
        try:
            return self._cache["returns"]
        except KeyError:
            cls = load_model(self.returns, self.returns_module) if self.returns_module else None
            self._cache["returns"] = cls
            return cls

    def body_model(self) -> Any:
        """The model class of the request body, or None (no body, or ``object``)."""
        try:
            return self._cache["body"]
        except KeyError:
            param = self.body_param
            cls = load_model(param.type, param.module) if param and param.module else None
            self._cache["body"] = cls
            return cls


def deprecation_message(op: Operation) -> str:
    """What the DeprecationWarning of a deprecated operation says."""
    if op.removed_in is None:
        text = f"{op.api}.{op.name} is deprecated by the Kenar API ({op.method} {op.path})."
    else:
        text = f"{op.api}.{op.name} ({op.method} {op.path}) is not in the Kenar API spec of {op.removed_in}."
    if op.replacement:
        return f"{text} Use {op.api}.{op.replacement} instead."
    return text + (" It has no replacement." if op.removed_in else "")


def warn_deprecated(op: Operation) -> None:
    """Warn (DeprecationWarning) that ``op`` is deprecated, pointing at the caller's line.

    The warning names the first frame outside the generated API modules, so it points at the
    program's call whichever of the three methods it used.
    """
    frame = sys._getframe(1)
    level = 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_API_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(deprecation_message(op), DeprecationWarning, stacklevel=level)


def load_model(class_name: str, module: str) -> Any:
    return getattr(importlib.import_module(f"{_MODELS_PACKAGE}.{module}"), class_name)


class _Unset:
    """Marks an argument that was not given (distinct from an explicit None)."""

    _instance: Optional[_Unset] = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


#: default of ``_request_timeout``: use ``Configuration.timeout``
UNSET: Any = _Unset()


class CallOptions(NamedTuple):
    """The per-call options every API method takes (``_request_timeout``, ``_request_auth``, ...)."""

    timeout: Any = UNSET  #: ``_request_timeout``: UNSET means ``Configuration.timeout``, None means no timeout
    auth: Optional[Dict[str, Any]] = None  #: ``_request_auth``: one auth setting used instead of the configured ones
    content_type: Optional[str] = None  #: ``_content_type``
    headers: Optional[Dict[str, Any]] = None  #: ``_headers``: extra request headers
    host_index: int = 0  #: ``_host_index``


#: the options of a call that gives none
DEFAULT_OPTIONS = CallOptions()
