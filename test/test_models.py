"""Models: serialisation as the official SDK does it, aliases, and a changing API."""

from __future__ import annotations

import datetime
import json
from typing import Any, List

import pytest
from pydantic import ValidationError

import kenar_api_client
from kenar_api_client import models
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import Configuration
from kenar_api_client.models._base import KenarEnum, KenarModel
from kenar_api_client.testing import sample_value


def _all_classes() -> List[Any]:
    return [getattr(models, name) for name in models.__all__ if name not in ("KenarModel", "KenarEnum")]


MODEL_CLASSES = [c for c in _all_classes() if issubclass(c, KenarModel)]
ENUM_CLASSES = [c for c in _all_classes() if issubclass(c, KenarEnum)]


def test_there_are_219_model_names_for_210_classes() -> None:
    # 0.291's 198 names and the 2026-08-18 spec's 21 new classes; 9 of 0.291's names are renamed classes
    assert len(MODEL_CLASSES) + len(ENUM_CLASSES) == 219
    assert len(set(MODEL_CLASSES)) + len(set(ENUM_CLASSES)) == 210
    assert (len(ENUM_CLASSES), len(set(ENUM_CLASSES))) == (55, 51)


def test_every_model_round_trips_through_json_and_dict() -> None:
    problems = []
    for cls in MODEL_CLASSES:
        sample = sample_value(cls)
        text = json.dumps(sample, ensure_ascii=False)
        from_json = cls.from_json(text)
        from_bytes = cls.from_json(text.encode("utf-8"))
        from_dict = cls.from_dict(sample)
        if not (from_json == from_bytes == from_dict):
            problems.append(f"{cls.__name__}: from_json/from_dict disagree")
        if json.loads(from_json.to_json()) != sample:
            problems.append(f"{cls.__name__}: to_json does not give back the wire JSON")
        if set(from_json.to_dict()) != set(sample):
            problems.append(f"{cls.__name__}: to_dict keys {set(from_json.to_dict())} != {set(sample)}")
        if not isinstance(from_json.to_str(), str):
            problems.append(f"{cls.__name__}: to_str")
        empty = cls.model_construct()
        if empty.to_dict() != {} or empty.to_json() != "{}":
            problems.append(f"{cls.__name__}: an empty model does not serialise to {{}}")
    assert not problems, "\n".join(problems)


def test_every_enum_member_round_trips() -> None:
    for cls in ENUM_CLASSES:
        assert issubclass(cls, str)
        for member in cls:
            assert cls.from_json(json.dumps(member.value)) is member
            assert cls(member.value) is member
            assert member.is_known
            assert member == member.value  # a str enum compares equal to its text


def test_none_fields_are_left_out() -> None:
    stats = kenar_api_client.GetPostStatsResponseDailyStats(count=None, var_date="1403-01-01")
    assert stats.to_dict() == {"date": "1403-01-01"}
    assert stats.to_json() == '{"date":"1403-01-01"}'
    request = kenar_api_client.PostEditPostBody(title="t", description="d")
    assert request.to_dict() == {"title": "t", "description": "d"}
    assert "null" not in request.to_json()
    # nested models too
    status = kenar_api_client.GooglerpcStatus(code=3, details=[kenar_api_client.ProtobufAny(type="t")])
    assert status.to_dict() == {"code": 3, "details": [{"@type": "t"}]}
    # to_str shows everything, None included, with wire names
    assert "'message': None" in status.to_str()


def test_aliases() -> None:
    stats = kenar_api_client.GetPostStatsResponseDailyStats
    assert stats(var_date="d").var_date == "d"
    assert stats(date="d").var_date == "d"  # the wire name is accepted too
    assert stats.from_json('{"date": "1403-02-03", "count": 4}').var_date == "1403-02-03"
    assert stats.from_dict({"date": "x"}).to_dict() == {"date": "x"}
    assert "var_date" not in stats(var_date="d").to_json()

    schema = kenar_api_client.AssetsGetSubmitSchemaResponse.from_json('{"schema": {"type": "object", "x": [1]}}')
    assert schema.var_schema == {"type": "object", "x": [1]}
    assert schema.to_dict() == {"schema": {"type": "object", "x": [1]}}

    anything = kenar_api_client.ProtobufAny.from_dict({"@type": "type.googleapis.com/x.Y", "value": "abc"})
    assert anything.type == "type.googleapis.com/x.Y"
    assert anything.value == "abc"  # fields of the packed message stay readable
    assert anything.to_dict() == {"@type": "type.googleapis.com/x.Y", "value": "abc"}
    assert kenar_api_client.ProtobufAny(type="t").to_json() == '{"@type":"t"}'


def test_unknown_fields_are_kept_and_readable() -> None:
    text = json.dumps(
        {
            "id": "m1",
            "text": "hi",
            "reactions": [{"emoji": "👍"}],
            "sender": {"type": "USER", "nickname": "new-in-sender"},
        }
    )
    message = kenar_api_client.ChatapiMessage.from_json(text)
    assert message.id == "m1"
    assert message.reactions == [{"emoji": "👍"}]  # type: ignore[attr-defined]
    assert message.model_extra == {"reactions": [{"emoji": "👍"}]}
    assert message.sender is not None and message.sender.nickname == "new-in-sender"  # type: ignore[attr-defined]
    assert json.loads(message.to_json()) == json.loads(text)
    assert message.to_dict()["reactions"] == [{"emoji": "👍"}]


def test_unknown_enum_values_parse_and_stay_readable() -> None:
    message_type = kenar_api_client.ChatapiMessageType
    message = kenar_api_client.ChatapiMessage.from_json('{"type": "HOLOGRAM", "id": "m"}')
    assert isinstance(message.type, message_type)
    assert message.type.value == "HOLOGRAM"
    assert message.type == "HOLOGRAM"
    assert not message.type.is_known
    assert json.loads(message.to_json()) == {"type": "HOLOGRAM", "id": "m"}
    assert message_type("HOLOGRAM").value == "HOLOGRAM"
    assert message_type.from_json('"HOLOGRAM"').value == "HOLOGRAM"
    known = next(iter(message_type))
    parsed = kenar_api_client.ChatapiMessage.from_json(json.dumps({"type": known.value}))
    assert parsed.type is known and parsed.type.is_known
    # a value of the wrong JSON type is still an error
    with pytest.raises(ValidationError):
        kenar_api_client.ChatapiMessage.from_json('{"type": 5}')
    with pytest.raises(ValueError):
        message_type(5)


def test_int64_as_string_and_dates() -> None:
    balance = kenar_api_client.PaymentGetBalanceResponse.from_json('{"balance_rials": "9223372036854775807"}')
    assert balance.balance_rials == "9223372036854775807"
    assert balance.to_json() == '{"balance_rials":"9223372036854775807"}'
    with pytest.raises(ValidationError, match="balance_rials"):
        kenar_api_client.PaymentGetBalanceResponse(balance_rials=5)
    message = kenar_api_client.ChatapiMessage.from_json('{"sent_at": "2024-03-01T12:30:00Z"}')
    assert message.sent_at == datetime.datetime(2024, 3, 1, 12, 30, tzinfo=datetime.timezone.utc)


def test_validation() -> None:
    with pytest.raises(ValidationError, match="title"):
        kenar_api_client.PostEditPostBody(description="d")
    body = kenar_api_client.PostEditPostBody(title="t", description="d")
    with pytest.raises(ValidationError, match="title"):
        body.title = 5  # type: ignore[assignment]
    with pytest.raises(ValidationError):
        kenar_api_client.PostEditPostBody.from_json("{not json")
    assert kenar_api_client.PostEditPostBody.from_dict(None) is None


def test_api_client_helpers_on_models() -> None:
    client = ApiClient(Configuration(host="http://127.0.0.1:9"))
    try:
        body = kenar_api_client.GooglerpcStatus(code=5, details=[kenar_api_client.ProtobufAny(type="t")])
        assert client.sanitize_for_serialization(body) == {"code": 5, "details": [{"@type": "t"}]}
        assert client.sanitize_for_serialization(
            {
                "when": datetime.date(2024, 1, 2),
                "items": (kenar_api_client.ChatapiMessageType(next(iter(kenar_api_client.ChatapiMessageType)).value),),
            }
        ) == {"when": "2024-01-02", "items": [next(iter(kenar_api_client.ChatapiMessageType)).value]}
        status = client.deserialize('{"code": 5, "message": "m"}', "GooglerpcStatus", "application/json")
        assert isinstance(status, kenar_api_client.GooglerpcStatus) and status.message == "m"
        assert client.deserialize('{"a": [1]}', "object", "application/json") == {"a": [1]}
        listed = client.deserialize('[{"@type": "x"}]', "List[ProtobufAny]", "application/json")
        assert [item.type for item in listed] == ["x"]
        mapped = client.deserialize('{"k": {"code": 1}}', "Dict[str, GooglerpcStatus]", "application/json")
        assert mapped["k"].code == 1
    finally:
        client.close()
