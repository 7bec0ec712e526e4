"""kenar_api_client.semantic: Divar's normalise-then-SHA-256 rule for sensitive semantic values."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

import kenar_api_client
from kenar_api_client.exceptions import ApiTypeError, ApiValueError
from kenar_api_client.models.semantic_create_post_semantic_body import SemanticCreatePostSemanticBody
from kenar_api_client.semantic import (
    SENSITIVE_KEYS,
    hash_old_real_estate_id,
    hash_sensitive,
    normalize,
    prepare_semantic,
)
from kenar_api_client.testing import MockKenarServer

VIN = "IRJC95R23KJ039206"
VIN_HASH = "e0c01d18d946a4145892bba6a6f31d1c0bc16de04f3df3d3ccd3adfe63e838bf"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_test_vector() -> None:
    assert hash_sensitive(VIN) == VIN_HASH


@pytest.mark.parametrize(
    "written",
    [
        "IRJC95R23KJ039206",
        "  irjc95r23kj039206\n",
        "IRJC۹۵R۲۳KJ۰۳۹۲۰۶",  # Persian digits
        "IRJC٩٥R٢٣KJ٠٣٩٢٠٦",  # Arabic-Indic digits
        "\tirjc۹5r2٣kj039206 ",  # mixed, lower case, whitespace
        "\u00a0IRJC95R23KJ039206\u2003",  # non-breaking and em spaces
    ],
)
def test_every_way_of_writing_the_vin_hashes_the_same(written: str) -> None:
    assert normalize(written) == VIN
    assert hash_sensitive(written) == VIN_HASH


def test_normalize() -> None:
    assert normalize(" ab-۱۲٣ ") == "AB-123"
    assert normalize(1234) == "1234"
    assert normalize("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert normalize("٠١٢٣٤٥٦٧٨٩") == "0123456789"


def test_the_sensitive_keys() -> None:
    assert isinstance(SENSITIVE_KEYS, frozenset)
    assert SENSITIVE_KEYS == {"VIN", "chassis_number", "engine_number", "real_estate_id", "old_real_estate_id"}


def test_old_real_estate_id() -> None:
    assert hash_old_real_estate_id("12345", "67") == sha("12345|67")
    assert hash_old_real_estate_id(" ۱۲۳۴۵ ", 67) == sha("12345|67")
    assert hash_old_real_estate_id("ab12", "c") == sha("AB12|C")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: hash_sensitive(""), ApiValueError, "empty"),
        (lambda: hash_sensitive("   "), ApiValueError, "empty"),
        (lambda: hash_sensitive(None), ApiTypeError, "NoneType"),  # type: ignore[arg-type]
        (lambda: hash_sensitive(True), ApiTypeError, "bool"),
        (lambda: hash_sensitive(b"IRJC"), ApiTypeError, "bytes"),  # type: ignore[arg-type]
        (lambda: hash_sensitive(VIN_HASH), ApiValueError, "already a SHA-256"),
        (lambda: hash_sensitive(VIN_HASH.upper()), ApiValueError, "already a SHA-256"),
        (lambda: hash_old_real_estate_id("", "1"), ApiValueError, "document_number"),
        (lambda: hash_old_real_estate_id("1", " "), ApiValueError, "page_number"),
        (lambda: hash_old_real_estate_id("1|2", "3"), ApiValueError, "'\\|'"),
        (lambda: prepare_semantic([("VIN", VIN)]), ApiTypeError, "dict"),  # type: ignore[arg-type]
    ],
)
def test_bad_values_are_refused(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_a_stored_digest_passes_only_when_allowed() -> None:
    assert hash_sensitive(VIN_HASH, already_hashed_ok=True) == VIN_HASH
    assert hash_sensitive(" " + VIN_HASH.upper(), already_hashed_ok=True) == VIN_HASH
    assert hash_sensitive(VIN, already_hashed_ok=True) == VIN_HASH  # a plain value is still hashed
    assert hash_sensitive("a" * 63) == sha("A" * 63)  # not a digest's shape: hashed
    assert prepare_semantic({"VIN": VIN_HASH}, already_hashed_ok=True) == {"VIN": VIN_HASH}
    with pytest.raises(ApiValueError, match=r"semantic\['VIN'\]: the value is already a SHA-256"):
        prepare_semantic({"VIN": VIN_HASH})


def test_prepare_semantic_hashes_exactly_the_sensitive_keys() -> None:
    given = {
        "VIN": VIN,
        "chassis_number": " nas123 ",
        "engine_number": "۱۲۳ab",
        "real_estate_id": "9876",
        "old_real_estate_id": " ۱۲۳۴۵ | 67 ",
        "color": "white",
        "vin": "lower-case key is not Divar's key",
        "mileage": 12000,
    }
    snapshot = dict(given)
    prepared = prepare_semantic(given)
    assert given == snapshot  # the input is not changed
    assert prepared == {
        "VIN": VIN_HASH,
        "chassis_number": sha("NAS123"),
        "engine_number": sha("123AB"),
        "real_estate_id": sha("9876"),
        "old_real_estate_id": sha("12345|67"),
        "color": "white",
        "vin": "lower-case key is not Divar's key",
        "mileage": 12000,
    }


def test_old_real_estate_id_forms_in_a_semantic() -> None:
    assert prepare_semantic({"old_real_estate_id": ("12345", "67")}) == {"old_real_estate_id": sha("12345|67")}
    stored = sha("12345|67")
    assert prepare_semantic({"old_real_estate_id": stored}, already_hashed_ok=True) == {"old_real_estate_id": stored}
    for bad in ("12345", "1|2|3", ("1",), ("1", "2", "3")):
        with pytest.raises(ApiValueError, match="old_real_estate_id"):
            prepare_semantic({"old_real_estate_id": bad})
    with pytest.raises(ApiValueError, match="already a SHA-256"):
        prepare_semantic({"old_real_estate_id": stored})


def test_a_prepared_semantic_is_sent_as_is(server: MockKenarServer) -> None:
    with server.api_client() as client:
        api = kenar_api_client.SemanticApi(client)
        api.semantic_create_post_semantic(
            "wZ3kPq1R", SemanticCreatePostSemanticBody(semantic=prepare_semantic({"VIN": VIN, "brand": "Peugeot"}))
        )
    assert server.last_request.json == {"semantic": {"VIN": VIN_HASH, "brand": "Peugeot"}}
