"""Request pieces that go on the wire as they are: header lines and bodies.

Every header the SDK sends, whoever chose it (the SDK, ``default_headers``,
``_headers``, ``_request_auth``, the credentials), passes :func:`check_header`;
every body passes :func:`encode_body` (or :func:`form_body`).  A refusal is an
:class:`~kenar_api_client.exceptions.ApiValueError` raised before anything is
sent, and it names the header, never its value (values are often secrets).
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
from enum import Enum
from functools import lru_cache
from typing import Any, Dict, Iterable, Mapping, Tuple
from urllib.parse import urlencode

from pydantic import BaseModel

from kenar_api_client.exceptions import ApiTypeError, ApiValueError

JSON_CONTENT_TYPE = "application/json"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

# RFC 9110 5.1: a field name is a token; 5.5: a value has no control characters but HTAB
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# header names joined by "\n": all tokens (one regex pass for the common case)
_TOKENS = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*\Z")
# what http.client refuses in a request target
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")


# ---------------------------------------------------------------------- headers


def _shown(name: str) -> str:
    text = repr(name)
    return text if len(text) <= 60 else text[:57] + "...'"


@lru_cache(maxsize=256)
def _name_problem(name: str) -> str:
    """Why ``name`` cannot be a header name, or "" when it can (names repeat: cached)."""
    if _TOKEN.match(name):
        return ""
    if "\r" in name or "\n" in name:
        return f"header name {_shown(name)} contains a line break (CR/LF)"
    return f"{_shown(name)} is not a valid header name (RFC 9110: letters, digits and !#$%&'*+-.^_`|~ only)"


def _value_problem(name: str, value: str) -> str:
    """Why ``value`` cannot be sent in header ``name``, or "" when it can.  Never quotes the value."""
    bad = _CONTROL.search(value)
    if bad is not None:
        char = bad.group()
        if char in "\r\n":
            return f"header {name!r} contains a line break (CR/LF)"
        return f"header {name!r} contains the control character U+{ord(char):04X}"
    if not value.isascii():
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            return f"header {name!r} contains characters outside Latin-1, which an HTTP header cannot carry"
    return ""


def check_header(name: Any, value: Any, who: str = "") -> None:
    """Refuse a header that would be malformed on the wire (:class:`ApiValueError`, value not shown)."""
    if not isinstance(name, str):
        raise ApiValueError(f"{who}header names must be strings, got {type(name).__name__}")
    if not isinstance(value, str):
        raise ApiValueError(f"{who}header {name!r} must be a string, got {type(value).__name__}")
    problem = _name_problem(name) or _value_problem(name, value)
    if problem:
        raise ApiValueError(f"{who}{problem}; refusing to send it")


def check_headers(headers: Mapping[str, str], who: str = "") -> None:
    """:func:`check_header` for each header."""
    try:
        names = "\n".join(headers)
        values = "\t".join(headers.values())  # HTAB is allowed in values, so it cannot hide a problem
    except TypeError:  # a name or value that is not a string: let check_header say which
        pass
    else:
        if values.isascii() and _CONTROL.search(values) is None and _TOKENS.match(names) is not None:
            return  # the common case, in one pass; otherwise find the culprit below
    for name, value in headers.items():
        check_header(name, value, who)


def layer_headers(layers: Iterable[Mapping[str, str]]) -> Dict[str, str]:
    """The layers merged in order; a later layer's header replaces an earlier one of the same name in any case."""
    layers = list(layers)
    headers: Dict[str, str] = {}
    for layer in layers:
        headers.update(layer)
    if len(headers) > 1 and len({str(name).lower() for name in headers}) != len(headers):
        headers = {}  # the same name in two letter cases: merge again, case-insensitively
        for layer in layers:
            merge_headers(headers, layer)
    return headers


def as_text_values(headers: Mapping[Any, Any]) -> Dict[Any, str]:
    """``headers`` with every value as ``str`` (the official client accepts any value in ``_headers``)."""
    return {name: value if isinstance(value, str) else str(value) for name, value in headers.items()}


def merge_headers(headers: Dict[str, str], extra: Mapping[Any, Any]) -> None:
    """Add ``extra`` to ``headers``, replacing a header of the same name in any letter case.

    Header names are case-insensitive, so ``{"x-api-key": ...}`` replaces
    ``X-API-Key`` instead of sending the header twice.  Values become ``str``.
    """
    if not extra:
        return
    lower = {name.lower(): name for name in headers}
    for name, value in extra.items():
        if not isinstance(name, str):
            raise ApiValueError(f"header names must be strings, got {type(name).__name__}")
        key = name.lower()
        old = lower.get(key)
        if old is not None and old != name:
            del headers[old]
        headers[name] = value if isinstance(value, str) else str(value)
        lower[key] = name


def header_get(headers: Mapping[str, str], name: str) -> Tuple[str, Any]:
    """(the name as spelled in ``headers``, its value) for ``name`` in any letter case; ("", None) if absent."""
    if name in headers:
        return name, headers[name]
    key = name.lower()
    for present, value in headers.items():
        if present.lower() == key:
            return present, value
    return "", None


def check_url(url: Any, who: str = "") -> None:
    """Refuse a URL with spaces or control characters (it may carry a secret: not quoted)."""
    if not isinstance(url, str):
        raise ApiValueError(f"{who}the URL must be a string, got {type(url).__name__}")
    bad = _URL_FORBIDDEN.search(url)
    if bad is not None:
        what = "a line break (CR/LF)" if bad.group() in "\r\n" else f"the character U+{ord(bad.group()):04X}"
        raise ApiValueError(f"{who}the URL contains {what}; refusing to send it")


# ---------------------------------------------------------------------- bodies


def to_jsonable(obj: Any) -> Any:
    """Models, enums, dates and containers as plain JSON values (None fields of models left out)."""
    if obj is None or isinstance(obj, (str, int, float, bool)) and not isinstance(obj, Enum):
        return obj
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, bytes):
        return obj.decode("utf-8")
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(item) for item in obj]
    if isinstance(obj, (datetime.datetime, datetime.date)):
        return obj.isoformat()
    if isinstance(obj, decimal.Decimal):
        return str(obj)
    if isinstance(obj, dict):
        return {key: to_jsonable(val) for key, val in obj.items()}
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True, exclude_none=True)
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    raise ApiTypeError(f"cannot serialise a {type(obj).__name__} to JSON")


def encode_body(body: Any) -> bytes:
    """The bytes of a request body: bytes as given, text as UTF-8, anything else as JSON.

    A model is written by its own serializer (aliases, None fields left out);
    other values go through :func:`to_jsonable`.  NaN and infinities are
    refused: they are not JSON.
    """
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, BaseModel):
        return body.__pydantic_serializer__.to_json(body, by_alias=True, exclude_none=True)
    try:
        return json.dumps(to_jsonable(body), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except ValueError as error:
        raise ApiValueError(f"the request body cannot be sent as JSON: {error}") from None


def json_kind(value: Any) -> str:
    """What a JSON value that is not an object is, for an error message ("an array", "null", ...)."""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def form_body(fields: Iterable[Tuple[str, Any]]) -> bytes:
    """An ``application/x-www-form-urlencoded`` body from (name, value) pairs."""
    return urlencode(list(fields)).encode("ascii")


__all__ = [
    "FORM_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "check_header",
    "check_headers",
    "check_url",
    "encode_body",
    "form_body",
    "json_kind",
    "as_text_values",
    "header_get",
    "layer_headers",
    "merge_headers",
    "to_jsonable",
]
