"""One walk over the type annotations of the generated models.

The SDK reads a field's annotation in three places: the mock server builds a
sample answer from it and checks the answers a test queues, and the webhook
models bring Divar's wire forms (microsecond timestamps, numbers as strings)
into the types a field expects.  All of them need the same answer to "what is
behind ``Optional[Annotated[List[Foo], ...]]``?", and :func:`shape_of` is the
only place that asks ``typing`` for it.
"""

from __future__ import annotations

import datetime
import enum
import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union, get_args, get_origin

from typing_extensions import Annotated

# kinds of Shape.kind
MODEL = "model"
ENUM = "enum"
LIST = "list"
DICT = "dict"
BOOL = "bool"
INT = "int"
FLOAT = "float"
STR = "str"
DATETIME = "datetime"
DATE = "date"
ANY = "any"  #: anything else: Any, an unknown class, or a union the SDK does not generate

_SCALARS: Tuple[Tuple[type, str], ...] = (
    # order matters: bool is an int, datetime is a date
    (bool, BOOL),
    (int, INT),
    (float, FLOAT),
    (str, STR),
    (datetime.datetime, DATETIME),
    (datetime.date, DATE),
)


@dataclass(frozen=True)
class Shape:
    """What a field holds, with ``Optional`` and ``Annotated`` taken off."""

    kind: str  #: one of MODEL, ENUM, LIST, DICT, BOOL, INT, FLOAT, STR, DATETIME, DATE, ANY
    cls: Any = None  #: the model, enum or scalar class (None for LIST, DICT, ANY)
    item: Optional[Shape] = None  #: the items of a LIST, the values of a DICT


@dataclass(frozen=True)
class FieldShape:
    """One field of a model."""

    name: str  #: the Python name
    wire: str  #: the name written on the wire (the alias, or the Python name)
    accepted: Tuple[str, ...]  #: every name the field is read from (name, alias, validation aliases)
    required: bool
    shape: Shape


_ANY = Shape(ANY)


def shape_of(annotation: Any) -> Shape:
    """The :class:`Shape` of a field annotation."""
    for _ in range(16):
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union:
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                # the generator types a double as Union[StrictFloat, StrictInt]
                kinds = {shape_of(member).kind for member in members}
                return Shape(FLOAT, float) if kinds == {FLOAT, INT} else _ANY
            annotation = members[0]
        else:
            break
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (list, List):
        return Shape(LIST, item=shape_of(args[0]) if args else _ANY)
    if origin in (dict, Dict):
        return Shape(DICT, item=shape_of(args[1]) if len(args) == 2 else _ANY)
    if not isinstance(annotation, type):
        return _ANY
    from pydantic import BaseModel

    if issubclass(annotation, BaseModel):
        return Shape(MODEL, annotation)
    if issubclass(annotation, enum.Enum):
        return Shape(ENUM, annotation)
    for scalar, kind in _SCALARS:
        if issubclass(annotation, scalar):
            return Shape(kind, scalar)
    return _ANY


_FIELDS: Dict[type, Tuple[FieldShape, ...]] = {}
_FIELDS_LOCK = threading.Lock()


def fields_of(model: Any) -> Tuple[FieldShape, ...]:
    """The fields of a pydantic model class, in declaration order (cached per class)."""
    cached = _FIELDS.get(model)
    if cached is not None:
        return cached
    from pydantic import AliasChoices

    result = []
    for name, info in model.model_fields.items():
        wire = info.alias if isinstance(info.alias, str) else name
        accepted = [name]
        if wire not in accepted:
            accepted.append(wire)
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        accepted.extend(choice for choice in choices if isinstance(choice, str) and choice not in accepted)
        result.append(FieldShape(name, wire, tuple(accepted), info.is_required(), shape_of(info.annotation)))
    with _FIELDS_LOCK:
        return _FIELDS.setdefault(model, tuple(result))


def enum_choices(shape: Shape) -> Tuple[str, ...]:
    """The values an ENUM shape's class defines."""
    return tuple(str(member.value) for member in shape.cls)


def first_meaningful_member(enum_class: Any) -> Any:
    """The first member that is not an ``..._UNSPECIFIED``/``UNKNOWN`` placeholder (or the first)."""
    members = list(enum_class)
    if not members:
        return None
    return next((m for m in members if "UNSPECIFIED" not in m.name and "UNKNOWN" not in m.name), members[0])


__all__ = [
    "ANY",
    "BOOL",
    "DATE",
    "DATETIME",
    "DICT",
    "ENUM",
    "FLOAT",
    "INT",
    "LIST",
    "MODEL",
    "STR",
    "FieldShape",
    "Shape",
    "enum_choices",
    "fields_of",
    "first_meaningful_member",
    "shape_of",
]
