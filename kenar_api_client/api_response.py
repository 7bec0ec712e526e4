"""``ApiResponse[T]``: an answer with its status and headers, from ``*_with_http_info``."""

from __future__ import annotations

from typing import Any, Generic, Mapping, Optional, TypeVar

T = TypeVar("T")


class ApiResponse(Generic[T]):
    """The decoded ``data`` of an answer plus ``status_code``, ``headers`` and ``raw_data``."""

    __slots__ = ("status_code", "headers", "data", "raw_data")

    def __init__(
        self,
        status_code: int,
        data: T,
        headers: Optional[Mapping[str, str]] = None,
        raw_data: bytes = b"",
    ) -> None:
        self.status_code = status_code
        self.data = data
        self.headers = headers
        self.raw_data = raw_data

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, ApiResponse):
            return NotImplemented
        return (self.status_code, self.data, self.raw_data) == (other.status_code, other.data, other.raw_data)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ApiResponse(status_code={self.status_code}, data={self.data!r})"
