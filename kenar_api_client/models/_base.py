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
from typing import Any, Dict, Optional, Type, TypeVar, Union

from pydantic import BaseModel, ConfigDict

_M = TypeVar("_M", bound="KenarModel")
_E = TypeVar("_E", bound="KenarEnum")


class KenarModel(BaseModel):
    """Base of all request and response models."""

    model_config = ConfigDict(
        populate_by_name=True,
        validate_assignment=True,
        extra="allow",
        protected_namespaces=(),
    )

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
