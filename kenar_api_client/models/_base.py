"""The base classes every generated model and enum share.

A generated model module holds only its fields; everything else lives here.
Models keep fields they do not know (``extra="allow"``) so a response from a
newer API still parses and its new fields stay readable; enums accept values
they do not know the same way.

Building is stricter than parsing: a model built from keyword arguments
(``Model(field=...)``) or changed by assignment refuses an enum value the SDK
does not know, with pydantic's ``ValidationError`` naming the field, because
such a value would only earn an error from the server.  Parsing
(``model_validate``, ``model_validate_json``, ``from_dict``, ``from_json``, the
answers the SDK decodes, webhook events) keeps the unknown value readable.
"""

from __future__ import annotations

import json
import pprint
import threading
from contextvars import ContextVar
from enum import Enum
from typing import Any, Dict, FrozenSet, Iterator, Optional, Set, Tuple, Type, TypeVar, Union

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

_M = TypeVar("_M", bound="KenarModel")
_E = TypeVar("_E", bound="KenarEnum")


# Every decoded model records which fields it was given, in a set of its own;
# for a large answer those sets are most of the memory it holds.  Models of a
# given shape share one read-only set instead, replaced by a private copy the
# moment a model is changed (see __setattr__ / __copy__).  The table is
# bounded: shapes beyond it simply keep their own set.
#
# The shared set must be a real ``set``: pydantic-core reads
# ``__pydantic_fields_set__`` as one (``model_dump(exclude_unset=True)`` fails
# on a frozenset in every pydantic 2 release).  Its Python-level mutators
# raise, so no code can change it for every model of a shape at once; pydantic
# itself only adds to a model's set on assignment and in model_copy(update=),
# and both go through the thawing below first.


class _SharedFieldsSet(Set[str]):
    """The ``model_fields_set`` shared by decoded models of one shape: read-only."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            "model_fields_set is shared by every decoded model of this shape and is read-only; "
            "assign the field (model.field = value) to mark it as set"
        )

    def __repr__(self) -> str:
        return repr(set(self))

    add = discard = remove = pop = clear = update = _refuse
    difference_update = intersection_update = symmetric_difference_update = _refuse
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse


_SHARED_FIELD_SETS: Dict[FrozenSet[str], _SharedFieldsSet] = {}
_SHARED_FIELD_SETS_MAX = 4096
_SHARED_LOCK = threading.Lock()
_object_setattr = object.__setattr__

# True while the caller is building a model (keyword arguments, assignment):
# then KenarEnum refuses values it does not know.  Everywhere else (decoding an
# answer, a webhook, model_validate) they are kept.
_BUILDING: ContextVar[bool] = ContextVar("kenar_api_client_building", default=False)


def _share(fields_set: Set[str]) -> Any:
    key = frozenset(fields_set)
    shared = _SHARED_FIELD_SETS.get(key)
    if shared is None:
        with _SHARED_LOCK:
            if len(_SHARED_FIELD_SETS) >= _SHARED_FIELD_SETS_MAX:
                return fields_set
            shared = _SHARED_FIELD_SETS.setdefault(key, _SharedFieldsSet(key))
    return shared


class KenarModel(BaseModel):
    """Base of all request and response models."""

    model_config = ConfigDict(
        populate_by_name=True,
        validate_assignment=True,
        extra="allow",
        protected_namespaces=(),
    )

    def __init__(self, /, **data: Any) -> None:
        token = _BUILDING.set(True)
        try:
            super().__init__(**data)
        finally:
            _BUILDING.reset(token)

    # Not a "custom __init__" to pydantic: it must not route validation (answers
    # included) through this method, as it would for a model's own __init__.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def _validate_request(cls: Type[_M], data: Any) -> _M:
        """Validate ``data`` the caller gave for a request body: as strict as the constructor."""
        token = _BUILDING.set(True)
        try:
            return cls.model_validate(data)
        finally:
            _BUILDING.reset(token)

    def model_post_init(self, context: Any, /) -> None:
        _object_setattr(self, "__pydantic_fields_set__", _share(self.__pydantic_fields_set__))

    def _thaw(self) -> None:
        fields_set: Any = self.__pydantic_fields_set__
        if type(fields_set) is _SharedFieldsSet:
            _object_setattr(self, "__pydantic_fields_set__", set(fields_set))

    def __setattr__(self, name: str, value: Any) -> None:
        self._thaw()
        token = _BUILDING.set(True)
        try:
            super().__setattr__(name, value)
        finally:
            _BUILDING.reset(token)

    def __delattr__(self, name: str) -> None:
        self._thaw()
        super().__delattr__(name)

    def __copy__(self: _M) -> _M:
        copied = super().__copy__()
        copied._thaw()
        return copied

    def __deepcopy__(self: _M, memo: Optional[Dict[int, Any]] = None) -> _M:
        copied = super().__deepcopy__(memo)
        copied._thaw()
        return copied

    def __repr_args__(self) -> Iterator[Tuple[Optional[str], Any]]:
        """Only the fields that hold something: ``repr()`` of an answer stays readable."""
        for name, value in super().__repr_args__():
            if value is not None:
                yield name, value

    def to_str(self) -> str:
        """A readable, multi-line rendering of every field (None included)."""
        return pprint.pformat(self.model_dump(by_alias=True))

    def to_json(self) -> str:
        """JSON as the API expects it: wire names, fields that are None left out."""
        return self.model_dump_json(by_alias=True, exclude_none=True)

    def to_dict(self) -> Dict[str, Any]:
        """A dict with wire names; fields that are None are left out."""
        return self.model_dump(by_alias=True, exclude_none=True)

    @classmethod
    def from_json(cls: Type[_M], json_str: Union[str, bytes, bytearray]) -> _M:
        """Parse JSON text straight into the model (no intermediate dict)."""
        return cls.model_validate_json(json_str)

    @classmethod
    def from_dict(cls: Type[_M], obj: Optional[Any]) -> Optional[_M]:
        """Build the model from a dict (None gives None)."""
        if obj is None:
            return None
        return cls.model_validate(obj)


class KenarEnum(str, Enum):
    """Base of all generated string enumerations.

    A value the SDK does not know yet does not fail: it becomes a pseudo-member
    whose ``value`` (and ``name``) is the text the server sent, so code can
    still read, compare and log it.  Only a model being built by the caller
    refuses it (see the module's docstring).

    ``str()`` and f-strings give the value itself, as the API spells it, on
    every Python version (3.11 changed the default to ``Class.MEMBER``).
    """

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, format_spec: str) -> str:
        return str.__format__(str.__str__(self), format_spec)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        # A member passed in Python, even one the SDK does not know (read from an
        # answer and sent back), is taken as it is.  pydantic 2.7+ does this
        # itself; 2.6 turns it into a plain string first and looks it up again.
        # JSON input, the answers the SDK decodes, is left to pydantic alone.
        schema = handler(source)
        return core_schema.json_or_python_schema(
            json_schema=schema,
            python_schema=core_schema.no_info_wrap_validator_function(cls._keep_members, schema),
            serialization=schema.get("serialization"),
        )

    @classmethod
    def _keep_members(cls, value: Any, validate: Any) -> Any:
        return value if isinstance(value, cls) else validate(value)

    @classmethod
    def from_json(cls: Type[_E], json_str: str) -> _E:
        """Parse a JSON string literal, e.g. ``'"TEXT"'``."""
        return cls(json.loads(json_str))

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, cls):  # a value read from an answer, passed back: the server knows it
            return value
        if not isinstance(value, str) or _BUILDING.get():
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """False for a value that is not one of the members the SDK was generated with."""
        return self._name_ in type(self).__members__
