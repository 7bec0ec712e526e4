"""Path templates and query strings: the part of a URL after the host.

An operation's path is a template such as ``/v1/open-platform/finder/post/{token}``.
:func:`expand` fills it in for a request and :func:`match` reads the values
back out of a received path (the mock server routes with it), so both sides
agree on one rule: a value is one whole segment, percent-encoded as UTF-8, and
can never change the path (``/``, ``?``, ``#`` and bare ``.``/``..`` are encoded).
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple
from urllib.parse import quote, unquote

from kenar_api_client.exceptions import ApiValueError

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def encode_segment(value: str, safe: str = "") -> str:
    """``value`` as one path segment: percent-encoded, never ``.`` or ``..``."""
    encoded = quote(value, safe=safe)
    if encoded in (".", ".."):  # a bare dot segment would be folded away by URL normalisation
        encoded = encoded.replace(".", "%2E")
    return encoded


class PathTemplate:
    """One path template, parsed once: fill it in, or match a path against it."""

    __slots__ = ("template", "names", "specificity", "_parts", "_regex")

    def __init__(self, template: str) -> None:
        self.template = template
        pieces = _PLACEHOLDER.split(template)
        #: (text, is_placeholder) in order, empty literal texts left out
        self._parts: Tuple[Tuple[str, bool], ...] = tuple(
            (piece, i % 2 == 1) for i, piece in enumerate(pieces) if piece or i % 2 == 1
        )
        #: the placeholder names in order (they need not be Python names, e.g. ``report.id``)
        self.names: Tuple[str, ...] = tuple(pieces[1::2])
        #: how many literal characters the template has: of two templates matching
        #: one path, the one with more literal text is the more specific
        self.specificity = sum(len(piece) for piece in pieces[0::2])
        pattern = "".join("([^/]+)" if is_name else re.escape(text) for text, is_name in self._parts)
        self._regex = re.compile(pattern + r"\Z")

    def expand(self, values: Mapping[str, str], safe: str = "") -> str:
        """The path with every placeholder replaced by its encoded value.

        Every placeholder needs a non-empty value (an empty one would change
        the path); a missing or empty one is an :class:`ApiValueError`.
        """
        out: List[str] = []
        for text, is_name in self._parts:
            if not is_name:
                out.append(text)
                continue
            value = values.get(text)
            if value is None:
                raise ApiValueError(f"the path {self.template} needs a value for '{text}'")
            if not value:
                raise ApiValueError(f"path parameter '{text}' must not be empty")
            out.append(encode_segment(value, safe))
        return "".join(out)

    def match(self, path: str) -> Optional[Dict[str, str]]:
        """The decoded placeholder values if ``path`` (without query) fits the template, else None."""
        found = self._regex.match(path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in zip(self.names, found.groups())}

    def __repr__(self) -> str:
        return f"PathTemplate({self.template!r})"


@lru_cache(maxsize=1024)
def compile_template(template: str) -> PathTemplate:
    """The parsed :class:`PathTemplate` of ``template`` (cached)."""
    return PathTemplate(template)


def expand(template: str, values: Mapping[str, str], safe: str = "") -> str:
    """``template`` filled in with ``values`` (see :meth:`PathTemplate.expand`)."""
    return compile_template(template).expand(values, safe)


def match(template: str, path: str) -> Optional[Dict[str, str]]:
    """The decoded values of ``template``'s placeholders in ``path``, or None when it does not fit."""
    return compile_template(template).match(path)


# ---------------------------------------------------------------------- query strings


def query_text(value: Any) -> str:
    """A query value as text: booleans as ``true``/``false``, enums by value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def query_item(name: str, value: Any) -> str:
    """``name=value``, both percent-encoded as UTF-8 (space as ``%20``, ``/`` kept)."""
    return quote(name) + "=" + quote(query_text(value))


def encode_query(items: Iterable[Tuple[str, Any]]) -> str:
    """``a=1&b=2`` from (name, value) pairs; None values are left out."""
    return "&".join(query_item(name, value) for name, value in items if value is not None)


__all__ = [
    "PathTemplate",
    "compile_template",
    "encode_query",
    "encode_segment",
    "expand",
    "match",
    "query_item",
    "query_text",
]
