"""Assertions shared by the fault suite (imported by the test modules of this folder)."""

from __future__ import annotations

from typing import Any, Type, TypeVar

from kenar_api_client.exceptions import OpenApiException

E = TypeVar("E", bound=BaseException)


def sdk_error(error: Any, cls: Type[E]) -> E:
    """``error`` is a ``cls`` and one of ours: no urllib3/json/pydantic exception reaches the caller raw."""
    assert isinstance(error, cls), f"expected {cls.__name__}, got {type(error).__name__}: {error}"
    assert isinstance(error, OpenApiException), f"{type(error).__name__} does not derive from OpenApiException"
    assert type(error).__module__.startswith("kenar_api_client."), type(error).__module__
    return error
