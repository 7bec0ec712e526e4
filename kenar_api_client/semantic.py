"""Hashing the semantic values Divar wants hashed before they are sent.

Divar matches a few identifying semantic values (a car's VIN, chassis and
engine numbers, a property's registration ids) without ever seeing them: the
app sends the SHA-256 of the value, normalised first.  Normalising means:
surrounding whitespace stripped, Persian and Arabic-Indic digits turned into
ASCII digits, letters upper-cased.  The hash is the hex digest of the UTF-8
bytes.  ``old_real_estate_id`` is the hash of ``"{document_number}|{page_number}"``::

    from kenar_api_client.semantic import prepare_semantic

    semantic = prepare_semantic({"VIN": "IRJC95R23KJ039206", "color": "white"})
    # {"VIN": "e0c01d18...", "color": "white"}

A value that already looks like a SHA-256 digest (64 hexadecimal characters)
is refused with :class:`~kenar_api_client.exceptions.ApiValueError`: hashing a
digest again would silently break Divar's matching, and no VIN, chassis or
engine number or real-estate id has that shape.  Pass
``already_hashed_ok=True`` when the values come from a store that holds the
digests; they are then sent as they are (in lower case), not hashed again.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Dict, FrozenSet, Mapping, Union

from kenar_api_client.exceptions import ApiTypeError, ApiValueError

__all__ = ["SENSITIVE_KEYS", "hash_old_real_estate_id", "hash_sensitive", "normalize", "prepare_semantic"]

#: semantic keys whose values Divar requires hashed by the app
SENSITIVE_KEYS: FrozenSet[str] = frozenset(
    {"VIN", "chassis_number", "engine_number", "real_estate_id", "old_real_estate_id"}
)

_OLD_REAL_ESTATE_ID = "old_real_estate_id"
# Persian (U+06F0..U+06F9) and Arabic-Indic (U+0660..U+0669) digits -> ASCII
_DIGITS = {0x06F0 + i: str(i) for i in range(10)}
_DIGITS.update({0x0660 + i: str(i) for i in range(10)})
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}\Z")

Value = Union[str, int]


def normalize(value: Value) -> str:
    """The form Divar hashes: digits in ASCII, whitespace stripped, upper case.

    An ``int`` is taken as its decimal text; anything else that is not a
    string is refused with ``ApiTypeError``.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ApiTypeError(f"a sensitive semantic value must be a string, got {type(value).__name__}")
    return str(value).translate(_DIGITS).strip().upper()


def _looks_hashed(text: str) -> bool:
    return bool(_SHA256_HEX.match(text))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_sensitive(value: Value, *, already_hashed_ok: bool = False) -> str:
    """The lower-case hex SHA-256 of the normalised ``value``.

    An empty value is refused.  A value that is already a SHA-256 hex digest is
    refused too, unless ``already_hashed_ok`` is true: then it is returned as
    it is (lower-cased), not hashed a second time.
    """
    text = normalize(value)
    if not text:
        raise ApiValueError("a sensitive semantic value must not be empty")
    if _looks_hashed(text):
        if already_hashed_ok:
            return text.lower()
        raise ApiValueError(
            "the value is already a SHA-256 hex digest; hashing it again would break Divar's matching "
            "(pass already_hashed_ok=True to send stored digests as they are)"
        )
    return _digest(text)


def hash_old_real_estate_id(document_number: Value, page_number: Value) -> str:
    """The hash Divar expects for ``old_real_estate_id``: ``sha256("{document}|{page}")``.

    Each part is normalised on its own before they are joined.
    """
    document = normalize(document_number)
    page = normalize(page_number)
    for name, part in (("document_number", document), ("page_number", page)):
        if not part:
            raise ApiValueError(f"old_real_estate_id: {name} must not be empty")
        if "|" in part:
            raise ApiValueError(f"old_real_estate_id: {name} must not contain '|'")
    return _digest(f"{document}|{page}")


def _old_real_estate_value(value: Any, already_hashed_ok: bool) -> str:
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ApiValueError("old_real_estate_id: give a (document_number, page_number) pair")
        return hash_old_real_estate_id(value[0], value[1])
    text = normalize(value)
    if _looks_hashed(text):
        return hash_sensitive(text, already_hashed_ok=already_hashed_ok)
    if text.count("|") != 1:
        raise ApiValueError(
            "old_real_estate_id is hashed as 'document_number|page_number': "
            "give that text or a (document_number, page_number) pair"
        )
    document, page = text.split("|")
    return hash_old_real_estate_id(document, page)


def prepare_semantic(semantic: Mapping[str, Any], *, already_hashed_ok: bool = False) -> Dict[str, Any]:
    """A copy of ``semantic`` with exactly the :data:`SENSITIVE_KEYS` values hashed.

    Other keys are left as they are.  ``old_real_estate_id`` may be given as
    ``"document|page"`` text or as a ``(document_number, page_number)`` pair.
    A sensitive value that is already a digest is refused unless
    ``already_hashed_ok`` is true (see the module documentation).
    """
    if not isinstance(semantic, Mapping):
        raise ApiTypeError(f"prepare_semantic() takes a dict, got {type(semantic).__name__}")
    result: Dict[str, Any] = {}
    for key, value in semantic.items():
        if key not in SENSITIVE_KEYS:
            result[key] = value
            continue
        try:
            if key == _OLD_REAL_ESTATE_ID:
                result[key] = _old_real_estate_value(value, already_hashed_ok)
            else:
                result[key] = hash_sensitive(value, already_hashed_ok=already_hashed_ok)
        except (ApiValueError, ApiTypeError) as error:
            raise type(error)(f"semantic[{key!r}]: {error}") from None
    return result
