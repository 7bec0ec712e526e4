"""The base classes every generated model and enum share.

A generated model module holds only its fields; everything else lives here.
Models keep fields they do not know (``extra="allow"``) so a response from a
newer API still parses and its new fields stay readable; enums accept values
they do not know the same way.
"""

from __future__ import annotations

import json
import pprint
from enum import Enum
import threading
from typing import Any, Dict, FrozenSet, Optional, Set, Type, TypeVar, Union

from pydantic import BaseModel, ConfigDict

_M = TypeVar("_M", bound="KenarModel")
_E = TypeVar("_E", bound="KenarEnum")


# Every decoded model records which fields it was given, in a set of its own;
# for a large answer those sets are most of the memory it holds.  Models of a
# given shape share one frozen copy instead, thawed the moment a model is
# changed (see __setattr__ / __copy__).  The table is bounded: shapes beyond it
# simply keep their own set.
_SHARED_FIELD_SETS: Dict[FrozenSet[str], FrozenSet[str]] = {}
_SHARED_FIELD_SETS_MAX = 4096
_SHARED_LOCK = threading.Lock()
_object_setattr = object.__setattr__


def _share(fields_set: Set[str]) -> Any:
    key = frozenset(fields_set)
    shared = _SHARED_FIELD_SETS.get(key)
    if shared is None:
        with _SHARED_LOCK:
            if len(_SHARED_FIELD_SETS) >= _SHARED_FIELD_SETS_MAX:
                return fields_set
            shared = _SHARED_FIELD_SETS.setdefault(key, key)
    return shared


class KenarModel(BaseModel):
    """Base of all request and response models."""

    model_config = ConfigDict(
        populate_by_name=True,
        validate_assignment=True,
        extra="allow",
        protected_namespaces=(),
    )

    def model_post_init(self, context: Any, /) -> None:
        _object_setattr(self, "__pydantic_fields_set__", _share(self.__pydantic_fields_set__))

    def _thaw(self) -> None:
        fields_set: Any = self.__pydantic_fields_set__
        if type(fields_set) is frozenset:
            _object_setattr(self, "__pydantic_fields_set__", set(fields_set))

    def __setattr__(self, name: str, value: Any) -> None:
        self._thaw()
        super().__setattr__(name, value)

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
    still read, compare and log it.
    """

    @classmethod
    def from_json(cls: Type[_E], json_str: str) -> _E:
        """Parse a JSON string literal, e.g. ``'"TEXT"'``."""
        return cls(json.loads(json_str))

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """False for a value that is not one of the members the SDK was generated with."""
        return self._name_ in type(self).__members__
