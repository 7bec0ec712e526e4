"""Lenient reading of the values Divar's webhook requests carry.

Divar's events encode timestamps as int64 microseconds and may send numbers
as JSON numbers or as strings.  The generated models are strict, so before
they validate, values are brought into the form each field expects (the
field's :class:`~kenar_api_client._shapes.Shape`).  Only values that are not
already acceptable are replaced; anything that cannot be converted is left
for pydantic to report.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Optional, Type

from pydantic import BaseModel, ValidationInfo, field_validator

from kenar_api_client._shapes import ANY, DATETIME, FLOAT, INT, LIST, MODEL, STR, Shape, fields_of
from kenar_api_client.models._base import KenarModel

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,20}\Z")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE][+-]?[0-9]{1,3})?\Z")
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?([Zz]|[+-][0-9]{2}:[0-9]{2})?\Z"
)
_MAX_NESTING = 16


def to_microseconds(value: datetime) -> int:
    """Microseconds since the epoch (a naive datetime counts as UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    delta = aware - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_microseconds(value: int) -> datetime:
    try:
        return EPOCH + timedelta(microseconds=value)
    except OverflowError:
        raise ValueError("timestamp out of range") from None


def _parse_rfc3339(text: str) -> datetime:
    match = _RFC3339.match(text)
    if match is None:
        raise ValueError("expected microseconds since the epoch or an RFC 3339 timestamp")
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    fraction = (match.group(7) or "").ljust(6, "0")[:6]
    offset = match.group(8)
    if offset is None or offset in ("Z", "z"):
        zone = timezone.utc
    else:
        sign = -1 if offset[0] == "-" else 1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    return datetime(year, month, day, hour, minute, second, int(fraction), tzinfo=zone)


def to_datetime(value: Any) -> Any:
    """Microseconds (number or digit string) or RFC 3339 text -> aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if isinstance(value, bool):
        raise ValueError("expected a timestamp, got a boolean")
    if isinstance(value, int):
        return _from_microseconds(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("expected a finite timestamp")
        return _from_microseconds(int(value))
    if isinstance(value, str):
        text = value.strip()
        if _INT_TEXT.match(text):
            return _from_microseconds(int(text))
        return _parse_rfc3339(text)
    return value


def coerce(shape: Shape, value: Any, depth: int = 0) -> Any:
    """``value`` in the form a field of ``shape`` accepts, when it can be converted."""
    kind = shape.kind
    if kind == MODEL:
        if issubclass(shape.cls, WireModel):  # it converts its own fields
            return value
        return lenient_input(shape.cls, value, depth + 1)
    if kind == LIST:
        if shape.item is not None and shape.item.kind != ANY and isinstance(value, list):
            return [coerce(shape.item, item, depth + 1) for item in value]
        return value
    if kind == DATETIME:
        return to_datetime(value)
    if isinstance(value, bool):
        return value
    if kind == STR:
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
            return str(int(value))
    elif kind == INT:
        if isinstance(value, str) and _INT_TEXT.match(value.strip()):
            return int(value.strip())
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
            return int(value)
    elif kind == FLOAT:
        if isinstance(value, str) and _FLOAT_TEXT.match(value.strip()):
            number = float(value.strip())
            return number if number not in (float("inf"), float("-inf")) else value
    return value


_PLANS: Dict[type, Dict[str, Shape]] = {}


def _plan(model: Type[BaseModel]) -> Dict[str, Shape]:
    """Every name a field of ``model`` is read from -> the field's shape."""
    plan = _PLANS.get(model)
    if plan is None:
        plan = {name: field.shape for field in fields_of(model) for name in field.accepted if field.shape.kind != ANY}
        _PLANS[model] = plan
    return plan


def lenient_input(model: Type[BaseModel], data: Any, depth: int = 0) -> Any:
    """A copy of ``data`` with values in the forms ``model``'s fields accept."""
    if not isinstance(data, dict) or depth > _MAX_NESTING:
        return data
    plan = _plan(model)
    result: Optional[Dict[str, Any]] = None
    for key, value in data.items():
        shape = plan.get(key)
        if shape is None or value is None:
            continue
        try:
            converted = coerce(shape, value, depth)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
        if converted is not value:
            if result is None:
                result = dict(data)
            result[key] = converted
    return data if result is None else result


class WireModel(KenarModel):
    """Base of the models read from Divar's requests: accepts the wire forms."""

    @field_validator("*", mode="before")
    @classmethod
    def _accept_wire_forms(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return value
        shape = _plan(cls).get(info.field_name or "")
        return value if shape is None else coerce(shape, value, 0)


__all__ = ["EPOCH", "WireModel", "coerce", "lenient_input", "to_datetime", "to_microseconds"]
