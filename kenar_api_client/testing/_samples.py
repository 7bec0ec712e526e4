"""Answers that fit the API's models: samples built from a model, and canned answers checked against one."""

from __future__ import annotations

from typing import Any, Dict, List

from kenar_api_client._shapes import (
    BOOL,
    DATE,
    DATETIME,
    DICT,
    ENUM,
    FLOAT,
    INT,
    LIST,
    MODEL,
    STR,
    Shape,
    enum_choices,
    fields_of,
    first_meaningful_member,
    shape_of,
)

JSONValue = Any

_MAX_DEPTH = 6


def sample_value(annotation: Any, name: str = "value", depth: int = 0) -> JSONValue:
    """A JSON value that fits ``annotation`` (a model class, enum or typing hint)."""
    return _sample(shape_of(annotation), name, depth)


def _sample(shape: Shape, name: str, depth: int) -> JSONValue:
    kind = shape.kind
    if kind == MODEL:
        result: Dict[str, JSONValue] = {}
        for field in fields_of(shape.cls):
            if depth > _MAX_DEPTH and not field.required:  # deep down, only what the model cannot do without
                continue
            result[field.wire] = _sample(field.shape, field.name, depth + 1)
        return result
    if kind == LIST:
        return [_sample(shape.item, name, depth + 1)] if shape.item is not None and depth < _MAX_DEPTH else []
    if kind == DICT:
        return {}
    if kind == ENUM:
        member = first_meaningful_member(shape.cls)
        return member.value if member is not None else ""
    if kind == STR:
        return f"sample-{name}"
    return _SCALAR_SAMPLES.get(kind)


_SCALAR_SAMPLES: Dict[str, JSONValue] = {
    BOOL: True,
    INT: 1,
    FLOAT: 1.5,
    DATETIME: "2024-03-01T12:30:00Z",
    DATE: "2024-03-01",
}


def answer_problems(model: Any, value: JSONValue) -> List[str]:
    """What is wrong with ``value`` as the JSON of ``model`` (empty when it fits).

    On top of what the model itself checks (types, required fields), every
    enum value must be one the API defines: a model reading an answer accepts
    unknown values (the API may add some), but a test that queues one has most
    likely misspelt a known one.  Fields the model does not know are allowed:
    the real API adds fields, and a client must cope with them.
    """
    import json

    from pydantic import ValidationError

    try:
        model.model_validate_json(json.dumps(value))  # the way the SDK reads an answer
    except ValidationError as error:
        return [
            f"{'.'.join(str(part) for part in item['loc']) or '(the answer)'}: {item['msg']}"
            for item in error.errors(include_url=False)
        ]
    problems: List[str] = []
    _check(shape_of(model), value, "", problems)
    return problems


def _check(shape: Shape, value: JSONValue, where: str, problems: List[str]) -> None:
    if value is None:
        return
    kind = shape.kind
    if kind == MODEL and isinstance(value, dict):
        for field in fields_of(shape.cls):
            for name in field.accepted:
                if name in value:
                    _check(field.shape, value[name], f"{where}.{name}" if where else name, problems)
                    break
    elif kind == LIST and isinstance(value, list) and shape.item is not None:
        for index, item in enumerate(value):
            _check(shape.item, item, f"{where}[{index}]", problems)
    elif kind == DICT and isinstance(value, dict) and shape.item is not None:
        for key, item in value.items():
            _check(shape.item, item, f"{where}.{key}", problems)
    elif kind == ENUM:
        choices = enum_choices(shape)
        if value not in choices:
            problems.append(f"{where}: {value!r} is not a value the API defines (one of {', '.join(choices)})")


__all__ = ["answer_problems", "sample_value"]
