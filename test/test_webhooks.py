"""Tests of kenar_api_client.webhooks: verification, parsing, callbacks, delivery."""

import copy
import hashlib
import http.client
import json
import re
import threading
from datetime import datetime, timedelta, timezone
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

import pytest

from kenar_api_client import webhooks
from kenar_api_client.exceptions import OpenApiException
from kenar_api_client.models.addons_action import AddonsAction
from kenar_api_client.models.addons_get_dynamic_action import AddonsGetDynamicAction
from kenar_api_client.models.chatapi_conversation import ChatapiConversation
from kenar_api_client.models.chatapi_message import ChatapiMessage
from kenar_api_client.models.finder_get_post_response import FinderGetPostResponse
from kenar_api_client.models.message_contact_data import MessageContactData
from kenar_api_client.models.message_file_data import MessageFileData
from kenar_api_client.models.message_image_data import MessageImageData
from kenar_api_client.models.message_location_data import MessageLocationData
from kenar_api_client.models.message_sender import MessageSender
from kenar_api_client.models.message_video_data import MessageVideoData
from kenar_api_client.models.message_voice_data import MessageVoiceData
from kenar_api_client.models.payment_transaction import PaymentTransaction
from kenar_api_client.testing import Answer, LoopbackServer, RecordedRequest, WebhookReceiver
from kenar_api_client.webhooks import (
    Event,
    NewChatbotMessageEvent,
    NewMessageEvent,
    PaymentTransactionEvent,
    PostUpdateEvent,
    UserAccessRevocationEvent,
    WebhookAuthenticationError,
    WebhookPayloadError,
    parse_event,
)

KEY = "k3nar-ident1fication-key-5f9a"
DATA = json.loads((Path(__file__).parent / "webhooks_data" / "events.json").read_text(encoding="utf-8"))
CHAT_TYPES = ["TEXT", "IMAGE", "FILE", "VOICE", "LOCATION", "VIDEO", "CONTACT"]
SENT_AT = datetime(2024, 10, 28, 8, 0, 0, 250000, tzinfo=timezone.utc)
DATA_CLASSES = {
    "image_data": MessageImageData,
    "file_data": MessageFileData,
    "voice_data": MessageVoiceData,
    "location_data": MessageLocationData,
    "video_data": MessageVideoData,
    "contact_data": MessageContactData,
}


def sample(name: str) -> Dict[str, Any]:
    return copy.deepcopy(DATA[name])


def new_message(chat_type: str) -> Dict[str, Any]:
    return {"type": "NEW_MESSAGE", "metadata": {"key": "value"}, "new_message": sample("chat_messages")[chat_type]}


def parse(body: Any, authorization: Optional[str] = KEY, **kwargs: Any) -> Event:
    if isinstance(body, (dict, list)):
        body = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return parse_event(body, authorization, KEY, **kwargs)


def numbers_as_strings(value: Any) -> Any:
    """The same document with every number (not bool) written as a string."""
    if isinstance(value, dict):
        return {key: numbers_as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [numbers_as_strings(item) for item in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return value


# ----------------------------------------------------------------------- verify


class TestVerify:
    def test_matching_key(self) -> None:
        assert webhooks.verify(KEY, KEY) is True

    @pytest.mark.parametrize(
        "header",
        [None, "", "   ", KEY[:-1], KEY + "x", KEY.upper(), "Bearer " + KEY, KEY[1:], "x" * 200],
    )
    def test_other_values_do_not_match(self, header: Optional[str]) -> None:
        assert webhooks.verify(header, KEY) is False

    def test_surrounding_blanks_are_ignored(self) -> None:
        assert webhooks.verify(f"  {KEY}\t", KEY)
        assert webhooks.verify(KEY, f"{KEY}\n")  # a key read from a file with its newline

    def test_bytes_header(self) -> None:
        assert webhooks.verify(KEY.encode(), KEY)
        assert not webhooks.verify(b"nope", KEY)

    @pytest.mark.parametrize("key", ["", "   ", b""])
    def test_empty_key_verifies_nothing(self, key: Any) -> None:
        assert webhooks.verify("", key) is False
        assert webhooks.verify("anything", key) is False

    def test_non_ascii_key(self) -> None:
        key = "کلید-شناسایی-۴۲"
        assert webhooks.verify(key, key)
        assert webhooks.verify(key.encode("utf-8"), key)
        # WSGI and http.server decode header bytes as ISO-8859-1
        assert webhooks.verify(key.encode("utf-8").decode("latin-1"), key)
        assert not webhooks.verify("کلید-شناسایی-۴۳", key)
        assert not webhooks.verify("\ud800", key)  # lone surrogate: no crash

    def test_non_string_header_is_refused(self) -> None:
        assert webhooks.verify(123, KEY) is False  # type: ignore[arg-type]

    def test_comparison_is_constant_time(self, monkeypatch: pytest.MonkeyPatch) -> None:
        calls: List[Tuple[bytes, bytes]] = []
        real = webhooks.hmac.compare_digest

        def spy(a: bytes, b: bytes) -> bool:
            calls.append((a, b))
            return real(a, b)

        monkeypatch.setattr(webhooks.hmac, "compare_digest", spy)
        assert webhooks.verify(KEY, KEY)
        assert not webhooks.verify("short", KEY)
        assert len(calls) == 2
        # equal-length digests are compared, so not even the length leaks
        assert all(len(a) == len(b) == 32 for a, b in calls)
        assert calls[0][1] == hashlib.sha256(KEY.encode()).digest()


# ----------------------------------------------------------------------- errors


class TestErrors:
    def test_hierarchy(self) -> None:
        assert issubclass(webhooks.WebhookError, OpenApiException)
        assert issubclass(WebhookAuthenticationError, webhooks.WebhookError)
        assert issubclass(WebhookPayloadError, webhooks.WebhookError)
        assert WebhookAuthenticationError("x").http_status == 401
        assert WebhookPayloadError("x").http_status == 400

    @pytest.mark.parametrize("header", [None, "", "  ", "wrong", KEY + " extra", "Bearer " + KEY])
    def test_wrong_missing_or_empty_authorization(self, header: Optional[str]) -> None:
        with pytest.raises(WebhookAuthenticationError) as info:
            parse(new_message("TEXT"), header)
        text = str(info.value)
        assert KEY not in text
        if header and header.strip():
            assert header.strip() not in text

    def test_authentication_comes_before_the_body(self) -> None:
        with pytest.raises(WebhookAuthenticationError):
            parse(b"not json at all", "wrong")
        with pytest.raises(WebhookAuthenticationError):
            parse(b"x" * (webhooks.DEFAULT_MAX_BODY_SIZE + 1), None)

    def test_no_configured_key_refuses_everything(self) -> None:
        with pytest.raises(WebhookAuthenticationError, match="no identification key"):
            parse_event(json.dumps(new_message("TEXT")), "", "")

    @pytest.mark.parametrize(
        "body, fragment",
        [
            (b"", "not valid JSON"),
            (b"{", "not valid JSON"),
            (b"hello", "not valid JSON"),
            (b"\xff\xfe\xfa", "not UTF-8"),
            (b'{"type": "X", "n": NaN}', "not valid JSON"),
            (b'{"type": "X", "n": -Infinity}', "not valid JSON"),
            (b"[]", "an array"),
            (b'[{"type": "NEW_MESSAGE"}]', "an array"),
            (b'"NEW_MESSAGE"', "a string"),
            (b"42", "a number"),
            (b"null", "null"),
            (b"true", "a boolean"),
            (b"{}", "no 'type'"),
            (b'{"type": 5}', "no 'type'"),
            (b'{"type": ""}', "no 'type'"),
            (b'{"type": null}', "no 'type'"),
            (b'{"type": "X", "metadata": "not an object"}', "metadata"),
            (b'{"type": "NEW_MESSAGE"}', "new_message"),
            (b'{"type": "NEW_MESSAGE", "new_message": null}', "new_message"),
            (b'{"type": "NEW_MESSAGE", "new_message": []}', "new_message"),
            (b'{"type": "NEW_CHATBOT_MESSAGE", "new_message": {}}', "new_chatbot_message"),
            (b'{"type": "USER_ACCESS_REVOCATION", "user_access_revocation": {}}', "user_id"),
            (b'{"type": "POST_UPDATE", "post_update": {"type": "PUBLISH"}}', "post"),
            (b'{"type": "POST_UPDATE", "post_update": {"post": {"token": "t"}}}', "type"),
            (b'{"type": "PAYMENT_TRANSACTION"}', "payment_transaction"),
            (b'{"type": "NEW_MESSAGE", "new_message": {"sent_at": "yesterday"}}', "sent_at"),
            (b'{"type": "NEW_MESSAGE", "new_message": {"sent_at": 1e300}}', "sent_at"),
            (b'{"type": "NEW_MESSAGE", "new_message": {"sent_at": true}}', "sent_at"),
            (b'{"type": "NEW_MESSAGE", "new_message": {"image_data": {"height_px": "tall"}}}', "height_px"),
            (b'{"type": "NEW_MESSAGE", "new_message": {"conversation": "c-1"}}', "conversation"),
        ],
    )
    def test_payload_errors(self, body: bytes, fragment: str) -> None:
        with pytest.raises(WebhookPayloadError) as info:
            parse(body)
        assert fragment in str(info.value)
        assert info.value.http_status == 400

    def test_wrong_body_type(self) -> None:
        with pytest.raises(WebhookPayloadError, match="bytes or str"):
            parse_event(12345, KEY, KEY)  # type: ignore[arg-type]

    def test_text_that_is_not_unicode(self) -> None:
        with pytest.raises(WebhookPayloadError):
            parse('{"type": "X", "a": "\ud800"}')

    def test_oversized_body_is_refused_before_parsing(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def no_parsing(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("the body was parsed")

        monkeypatch.setattr(webhooks.json, "loads", no_parsing)
        big = b'{"type": "X", "pad": "' + b"a" * webhooks.DEFAULT_MAX_BODY_SIZE + b'"}'
        for body in (big, big.decode(), bytearray(big), memoryview(big)):
            with pytest.raises(WebhookPayloadError, match="larger than") as info:
                parse(body)
            assert info.value.http_status == 413

    def test_size_limit_boundary_and_override(self) -> None:
        body = json.dumps({"type": "X", "pad": ""}).encode()
        padded = body[:-2] + b"a" * (100 - len(body)) + b'"}'
        assert len(padded) == 100
        assert parse(padded, max_body_size=100).type == "X"
        with pytest.raises(WebhookPayloadError, match="larger than 99 bytes"):
            parse(padded, max_body_size=99)
        # a str is measured in UTF-8 bytes, not characters
        text = '{"type":"X","t":"' + "ی" * 20 + '"}'
        assert len(text) < 50 < len(text.encode())
        with pytest.raises(WebhookPayloadError, match="larger than"):
            parse(text, max_body_size=50)
        big = {"type": "X", "blob": "b" * (2 * 1024 * 1024)}
        assert parse(big, max_body_size=3 * 1024 * 1024).raw["blob"] == big["blob"]

    @pytest.mark.parametrize("opener, closer", [("[", "]"), ('{"a":', "}")])
    def test_deeply_nested_junk(self, opener: str, closer: str) -> None:
        for depth in (65, 5_000, 100_000):
            body = '{"type": "X", "junk": ' + opener * depth + "1" + closer * depth + "}"
            with pytest.raises(WebhookPayloadError, match="nested"):
                parse(body)
        # bare nesting without an envelope
        with pytest.raises(WebhookPayloadError):
            parse("[" * 100_000 + "]" * 100_000)

    def test_nesting_up_to_the_limit_parses_and_serialises(self) -> None:
        inner: Any = "leaf"
        for _ in range(63):  # with the envelope: 64 levels
            inner = {"n": inner}
        event = parse({"type": "X", "metadata": inner})
        assert json.loads(event.to_json())["metadata"] == inner
        with pytest.raises(WebhookPayloadError, match="64"):
            parse({"type": "X", "metadata": {"n": inner}})


# ----------------------------------------------------------------------- events


class TestEncodingsAndAmbiguity:
    """Issue 15 item 12: what is refused beyond malformed JSON, and what ``max_body_size`` takes."""

    @pytest.mark.parametrize(
        "body",
        [
            b'{"type": "X", "a": "\\ud800"}',  # a lone high surrogate, escaped
            b'{"type": "X", "a": "x\\udfffy"}',  # a lone low surrogate
            b'{"type": "X", "\\udc00": 1}',  # in a key
            b'{"type": "X", "a": ["\\ud83d"]}',  # half a pair, in a list
            b'{"type": "X", "a": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8 bytes (not UTF-8)
        ],
    )
    def test_lone_surrogates_are_refused(self, body: bytes) -> None:
        with pytest.raises(WebhookPayloadError) as caught:
            parse_event(body, KEY, KEY)
        assert caught.value.http_status == 400

    def test_a_surrogate_pair_is_one_character_and_round_trips(self) -> None:
        event = parse_event(b'{"type": "X", "a": "\\ud83d\\ude00"}', KEY, KEY)
        assert event.raw["a"] == "\U0001f600"
        assert json.loads(event.model_dump_json())["a"] == "\U0001f600"
        headers, body = webhooks.build_delivery(event, KEY)
        assert parse_event(body, headers["Authorization"], KEY).raw == event.raw

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "latin-1"])
    def test_bodies_that_are_not_utf8_are_refused(self, encoding: str) -> None:
        body = json.dumps({"type": "X", "name": "é"}, ensure_ascii=False).encode(encoding)
        with pytest.raises(WebhookPayloadError, match="not UTF-8"):
            parse_event(body, KEY, KEY)

    def test_a_utf8_byte_order_mark_is_ignored(self) -> None:
        body = "\ufeff" + json.dumps(new_message("TEXT"), ensure_ascii=False)
        assert parse_event(body.encode("utf-8"), KEY, KEY).raw == new_message("TEXT")
        assert parse_event(body, KEY, KEY).raw == new_message("TEXT")

    @pytest.mark.parametrize(
        "body",
        [
            b'{"type": "NEW_MESSAGE", "type": "USER_ACCESS_REVOCATION"}',
            b'{"type": "X", "metadata": {"a": 1, "a": 2}}',
            b'{"type": "X", "list": [{"k": 1, "k": 1}]}',
        ],
    )
    def test_duplicate_keys_are_refused(self, body: bytes) -> None:
        with pytest.raises(WebhookPayloadError, match="appears more than once"):
            parse_event(body, KEY, KEY)

    def test_max_body_size_none_means_no_limit(self) -> None:
        body = json.dumps({"type": "X", "pad": "p" * (webhooks.DEFAULT_MAX_BODY_SIZE + 10)}).encode()
        with pytest.raises(WebhookPayloadError) as caught:
            parse_event(body, KEY, KEY)
        assert caught.value.http_status == 413
        assert parse_event(body, KEY, KEY, max_body_size=None).raw["type"] == "X"
        assert webhooks.parse_session_init(b"{}", KEY, KEY, max_body_size=None).post_token is None
        assert webhooks.parse_dynamic_action(b"{}", KEY, KEY, max_body_size=None).touchpoint is None

    def test_max_body_size_zero_refuses_any_body(self) -> None:
        with pytest.raises(WebhookPayloadError) as caught:
            parse_event(b"{}", KEY, KEY, max_body_size=0)
        assert caught.value.http_status == 413

    @pytest.mark.parametrize("limit", ["1000", 10.5, True])
    def test_a_max_body_size_of_the_wrong_type_is_a_clear_type_error(self, limit: Any) -> None:
        with pytest.raises(TypeError, match="max_body_size must be an int"):
            parse_event(b"{}", KEY, KEY, max_body_size=limit)
        with pytest.raises(TypeError, match="max_body_size"):  # before the key is even checked
            parse_event(b"{}", "wrong", KEY, max_body_size=limit)

    def test_a_negative_max_body_size_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="must not be negative"):
            parse_event(b"{}", KEY, KEY, max_body_size=-1)


class TestChatMessages:
    @pytest.mark.parametrize("chat_type", CHAT_TYPES)
    @pytest.mark.parametrize("as_strings", [False, True], ids=["numbers", "strings"])
    def test_every_chat_message_type(self, chat_type: str, as_strings: bool) -> None:
        body = new_message(chat_type)
        wire = body["new_message"]
        if as_strings:
            body = numbers_as_strings(body)
        event = parse(body)
        assert type(event) is NewMessageEvent
        assert event.type == "NEW_MESSAGE" and event.metadata == {"key": "value"}
        message = event.new_message
        assert event.message is message
        assert isinstance(message, ChatapiMessage)  # the generated model, reused
        assert message.id == wire["id"]
        assert message.type == chat_type and message.type.value == chat_type
        assert message.sent_at == SENT_AT and message.sent_at.tzinfo is not None
        assert isinstance(message.conversation, ChatapiConversation)
        assert message.conversation.id == wire["conversation"]["id"]
        assert message.conversation.type == "POST" and message.conversation.post_token == "wZ3kPq1R"
        assert isinstance(message.sender, MessageSender)
        assert message.sender.side == wire["sender"]["side"] and message.sender.type == "HUMAN"
        for name, data_class in DATA_CLASSES.items():
            value = getattr(message, name)
            if name not in wire:
                assert value is None
                continue
            assert isinstance(value, data_class)
            for field, expected in wire[name].items():
                got = getattr(value, field)
                # numbers keep the type of the generated field, whatever came on the wire
                assert got == type(got)(expected), (field, got, expected)
        if chat_type == "TEXT":
            assert message.text == "سلام، هنوز موجوده؟"
        else:
            assert message.text is None

    def test_number_fields_typed_as_the_generated_model(self) -> None:
        for as_strings in (False, True):
            body = new_message("IMAGE")
            if as_strings:
                body = numbers_as_strings(body)
            image = parse(body).new_message.image_data
            assert image.size_bytes == "348211"  # uint64: a string, as in the REST model
            assert image.height_px == 1280 and image.width_px == 960
        location = parse(numbers_as_strings(new_message("LOCATION"))).new_message.location_data
        assert location.latitude == pytest.approx(35.7219) and location.longitude == pytest.approx(51.3347)

    @pytest.mark.parametrize(
        "sent_at, expected",
        [
            (1730102400250000, SENT_AT),
            ("1730102400250000", SENT_AT),
            (1730102400250000.0, SENT_AT),
            ("2024-10-28T08:00:00.250Z", SENT_AT),
            ("2024-10-28T08:00:00.250000000Z", SENT_AT),
            ("2024-10-28T08:00:00.250000999z", SENT_AT),
            ("2024-10-28T11:30:00.25+03:30", SENT_AT),
            ("2024-10-28 08:00:00.25", SENT_AT),
            ("2024-10-28T03:00:00.25-05:00", SENT_AT),
            (0, datetime(1970, 1, 1, tzinfo=timezone.utc)),
            (-1_000_000, datetime(1969, 12, 31, 23, 59, 59, tzinfo=timezone.utc)),
        ],
    )
    def test_sent_at_forms(self, sent_at: Any, expected: datetime) -> None:
        body = new_message("TEXT")
        body["new_message"]["sent_at"] = sent_at
        got = parse(body).new_message.sent_at
        assert got == expected
        assert got.tzinfo is not None and got.utcoffset() is not None

    def test_sent_at_keeps_the_offset_it_was_given(self) -> None:
        body = new_message("TEXT")
        body["new_message"]["sent_at"] = "2024-10-28T11:30:00.25+03:30"
        got = parse(body).new_message.sent_at
        assert got.utcoffset() == timedelta(hours=3, minutes=30)

    @pytest.mark.parametrize("bad", ["2024-13-01T00:00:00Z", "2024-10-28T08:00:60Z", "2024-10-28", "12:00", "1.5e3x"])
    def test_bad_sent_at(self, bad: str) -> None:
        body = new_message("TEXT")
        body["new_message"]["sent_at"] = bad
        with pytest.raises(WebhookPayloadError, match="sent_at"):
            parse(body)

    def test_sent_at_may_be_absent(self) -> None:
        body = new_message("TEXT")
        del body["new_message"]["sent_at"]
        assert parse(body).new_message.sent_at is None

    def test_unknown_enum_values_and_fields_are_kept(self) -> None:
        body = new_message("TEXT")
        message = body["new_message"]
        message["type"] = "STICKER"
        message["sender"] = {"side": "OBSERVER", "type": "USER"}
        message["conversation"]["type"] = "GROUP"
        message["sticker_data"] = {"pack": "cats", "index": 3}
        event = parse(body)
        assert event.new_message.type == "STICKER" and event.new_message.type.value == "STICKER"
        assert event.new_message.sender.side == "OBSERVER"
        assert event.new_message.sender.type == "USER"
        assert event.new_message.conversation.type == "GROUP"
        assert event.new_message.sticker_data == {"pack": "cats", "index": 3}
        assert event.to_dict()["new_message"]["sticker_data"] == {"pack": "cats", "index": 3}

    def test_assignment_is_validated_the_same_way(self) -> None:
        message = parse(new_message("TEXT")).new_message
        message.sent_at = "1000000"  # type: ignore[assignment]
        assert message.sent_at == datetime(1970, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
        message.sent_at = datetime(2024, 1, 1)  # naive: taken as UTC
        assert message.sent_at.tzinfo is not None

    def test_sent_at_is_written_back_as_microseconds(self) -> None:
        message = parse(new_message("TEXT")).new_message
        assert json.loads(message.to_json())["sent_at"] == 1730102400250000
        assert message.to_dict()["sent_at"] == SENT_AT


class TestOtherEvents:
    def test_chatbot_message_and_start_command(self) -> None:
        event = parse(sample("new_chatbot_message"))
        assert type(event) is NewChatbotMessageEvent
        assert event.metadata is None
        message = event.new_chatbot_message
        assert event.message is message
        assert message.conversation.type == "BOT" and message.conversation.post_token is None
        assert message.sender.side is None and message.sender.type == "HUMAN"
        assert message.start_command == webhooks.ChatbotStart("MY_POST", "wZ3kPq1R")
        assert message.start_command.touchpoint == "MY_POST"

    @pytest.mark.parametrize(
        "text, expected",
        [
            ("/start MY_DIVAR", webhooks.ChatbotStart("MY_DIVAR", None)),
            ("  /start   CHAT   abc  ", webhooks.ChatbotStart("CHAT", "abc")),
            ("/start", None),
            ("/stop MY_POST x", None),
            ("hello /start MY_POST", None),
            (None, None),
        ],
    )
    def test_start_command_forms(self, text: Optional[str], expected: Any) -> None:
        assert webhooks.WebhookChatMessage(text=text).start_command == expected

    def test_user_access_revocation(self) -> None:
        event = parse(sample("user_access_revocation"))
        assert type(event) is UserAccessRevocationEvent
        assert event.user_access_revocation.user_id == "7c2e4a1b-0d9f-4e3c-b5a6-918273645f00"

    def test_post_update_publish(self) -> None:
        event = parse(sample("post_update_publish"))
        assert type(event) is PostUpdateEvent
        assert event.metadata == {"shop": "north-branch", "subscription": 3}
        update = event.post_update
        assert update.type == webhooks.PostUpdateType.PUBLISH and update.type == "PUBLISH"
        post = update.post
        assert isinstance(post, FinderGetPostResponse)
        assert (post.token, post.category, post.city, post.district) == ("wZ3kPq1R", "light", "tehran", "vanak")
        assert post.is_phone_hidden is True and post.chat_enabled is True
        assert post.supplier_chat_assistant_enabled is False
        assert post.first_published_at == datetime(2024, 10, 28, 8, 0, 0, 123456, tzinfo=timezone.utc)
        assert post.data == sample("post_update_publish")["post_update"]["post"]["data"]

    def test_post_update_retire_carries_only_the_token(self) -> None:
        event = parse(sample("post_update_retire"))
        assert event.post_update.type == "RETIRE"
        assert event.post_update.post.token == "wZ3kPq1R"
        assert event.post_update.post.category is None and event.post_update.post.data is None

    def test_unknown_post_update_type(self) -> None:
        body = sample("post_update_retire")
        body["post_update"]["type"] = "SUSPEND"
        event = parse(body)
        assert type(event) is PostUpdateEvent
        assert event.post_update.type.value == "SUSPEND" and event.post_update.type == "SUSPEND"
        assert isinstance(event.post_update.type, webhooks.PostUpdateType)

    @pytest.mark.parametrize("field", ["payment_transaction", "transaction"])
    @pytest.mark.parametrize("as_strings", [False, True], ids=["numbers", "strings"])
    def test_payment_transaction_under_either_name(self, field: str, as_strings: bool) -> None:
        body = sample("payment_transaction")
        body[field] = body.pop("payment_transaction")
        if as_strings:
            body = numbers_as_strings(body)
        event = parse(body)
        assert type(event) is PaymentTransactionEvent
        transaction = event.payment_transaction
        assert isinstance(transaction, PaymentTransaction)
        assert transaction.id == "3b241101-e2bb-4255-8caf-4136c566a962"
        assert transaction.cost_rials == "250000"
        assert transaction.extra_details == "reorder wZ3kPq1R"
        assert transaction.state == "TRANSACTION_STATE_COMPLETED"
        assert transaction.type == "TRANSACTION_TYPE_REORDER"
        assert event.raw[field]["id"] == transaction.id

    def test_payment_transaction_unknown_state(self) -> None:
        body = sample("payment_transaction")
        body["payment_transaction"]["state"] = "TRANSACTION_STATE_DISPUTED"
        assert parse(body).payment_transaction.state.value == "TRANSACTION_STATE_DISPUTED"

    def test_unknown_event_type(self) -> None:
        body = {"type": "POST_BOOKMARKED", "metadata": {"m": 1}, "post_bookmarked": {"post_token": "abc", "count": 2}}
        event = parse(body)
        assert type(event) is Event
        assert event.type == "POST_BOOKMARKED" and event.metadata == {"m": 1}
        assert event.raw == body
        assert event.post_bookmarked == {"post_token": "abc", "count": 2}

    def test_raw_is_the_decoded_body_on_every_event(self) -> None:
        bodies = [new_message(t) for t in CHAT_TYPES] + [
            sample(name)
            for name in (
                "new_chatbot_message",
                "user_access_revocation",
                "post_update_publish",
                "post_update_retire",
                "payment_transaction",
            )
        ]
        for body in bodies:
            event = parse(body)
            assert event.raw == body
            assert type(event) is webhooks.EVENT_TYPES[body["type"]]

    def test_awkward_extra_keys_do_not_break_the_model(self) -> None:
        body = {"type": "X", "raw": 1, "_raw": 2, "__dict__": 3, "model_config": 4, "to_dict": 5}
        event = parse(body)
        assert event.raw == body
        assert event.type == "X"
        assert event.to_dict()["type"] == "X"

    def test_event_types_registry(self) -> None:
        assert set(webhooks.EVENT_TYPES) == {member.value for member in webhooks.EventType}
        with pytest.raises(TypeError):
            webhooks.EVENT_TYPES["X"] = Event  # type: ignore[index]


# ----------------------------------------------------------------------- address check


class TestDivarAddress:
    @pytest.mark.parametrize(
        "ip",
        [
            "78.111.6.41",
            "78.111.6.42",
            "78.111.6.43",
            "31.214.250.128",
            "31.214.250.143",
            "31.214.250.159",
            " 78.111.6.42 ",
            "::ffff:78.111.6.41",
            "::ffff:31.214.250.130",
        ],
    )
    def test_documented_addresses(self, ip: str) -> None:
        assert webhooks.is_divar_address(ip)

    @pytest.mark.parametrize(
        "ip",
        [
            "78.111.6.40",
            "78.111.6.44",
            "31.214.250.127",
            "31.214.250.160",
            "127.0.0.1",
            "10.0.0.1",
            "2001:db8::1",
            "::1",
            "78.111.6",
            "not an ip",
            "",
            "78.111.6.41/32",
        ],
    )
    def test_other_addresses(self, ip: str) -> None:
        assert not webhooks.is_divar_address(ip)

    def test_address_objects(self) -> None:
        import ipaddress

        assert webhooks.is_divar_address(ipaddress.ip_address("31.214.250.150"))
        assert not webhooks.is_divar_address(ipaddress.ip_address("31.214.251.150"))


# ----------------------------------------------------------------------- callbacks


class TestCallbacks:
    def test_parse_session_init(self) -> None:
        body = sample("session_init")
        request = webhooks.parse_session_init(json.dumps(body).encode(), KEY, KEY)
        assert isinstance(request, webhooks.SessionInitRequest)
        assert request.completion_url == "https://divar.ir/kenar/complete/7e1d"
        assert request.post_token == "wZ3kPq1R"
        assert request.conversation_id == body["conversation_id"]
        assert request.user_side == "SUPPLY" and request.source == "CHAT"
        assert request.provider_data == {"flow": {"step": "quote"}}
        assert request.extra_data is None
        assert request.user_id == body["user_id"]

    def test_session_init_sparse_and_extra(self) -> None:
        request = webhooks.parse_session_init(
            b'{"completion_url": "https://divar.ir/c", "extra_data": {"a": 1}, "new_field": true}', KEY, KEY
        )
        assert request.post_token is None and request.extra_data == {"a": 1}
        assert request.new_field is True

    def test_parse_dynamic_action(self) -> None:
        body = sample("dynamic_action")
        request = webhooks.parse_dynamic_action(json.dumps(body), KEY, KEY)
        assert isinstance(request, webhooks.DynamicActionRequest)
        assert (request.touchpoint, request.post_token, request.user_side) == ("CHAT", "wZ3kPq1R", "DEMAND")
        assert request.extra_data == {"button": "book-visit", "slot": 2}
        assert request.user_id == body["user_id"]

    @pytest.mark.parametrize("parser", [webhooks.parse_session_init, webhooks.parse_dynamic_action])
    def test_callbacks_are_authenticated_and_checked(self, parser: Any) -> None:
        with pytest.raises(WebhookAuthenticationError):
            parser(b"{}", "wrong", KEY)
        with pytest.raises(WebhookAuthenticationError):
            parser(b"{}", None, KEY)
        for bad in (b"[]", b"nope", b'{"post_token": ["x"]}', b'{"extra_data": "text"}'):
            with pytest.raises(WebhookPayloadError):
                parser(bad, KEY, KEY)
        with pytest.raises(WebhookPayloadError) as info:
            parser(b"{}" + b" " * 100, KEY, KEY, max_body_size=50)
        assert info.value.http_status == 413

    def test_session_init_response(self) -> None:
        response = webhooks.SessionInitResponse(url="https://app.example.ir/start?session=xyz")
        assert json.loads(response.to_body()) == {"url": "https://app.example.ir/start?session=xyz"}
        assert response.content_type == "application/json"

    @pytest.mark.parametrize(
        "url", ["", "/relative", "javascript:alert(1)", "ftp://x.ir/f", "https://", "https://a.ir/\r\nSet-Cookie: x"]
    )
    def test_session_init_response_refuses_bad_urls(self, url: str) -> None:
        with pytest.raises(ValueError, match="url"):
            webhooks.SessionInitResponse(url=url)

    def test_dynamic_action_response_with_action_models(self) -> None:
        response = webhooks.DynamicActionResponse(
            action=AddonsAction(open_direct_link="https://app.example.ir/visit/2"),
            text_message="زمان بازدید ثبت شد",
        )
        assert json.loads(response.to_body().decode("utf-8")) == {
            "action": {"open_direct_link": "https://app.example.ir/visit/2"},
            "text_message": "زمان بازدید ثبت شد",
        }
        chained = webhooks.DynamicActionResponse(
            action=AddonsAction(get_dynamic_action=AddonsGetDynamicAction(data={"step": 2}))
        )
        assert json.loads(chained.to_body()) == {"action": {"get_dynamic_action": {"data": {"step": 2}}}}

    def test_dynamic_action_response_needs_an_action(self) -> None:
        with pytest.raises(ValueError, match="action"):
            webhooks.DynamicActionResponse(text_message="hi")  # type: ignore[call-arg]


# ----------------------------------------------------------------------- delivery


class TestBuildDelivery:
    def test_headers_and_body(self) -> None:
        body = new_message("IMAGE")
        headers, raw = webhooks.build_delivery(body, KEY)
        assert headers == {"Content-Type": "application/json", "Authorization": KEY}
        assert json.loads(raw.decode("utf-8")) == body
        event = parse_event(raw, headers["Authorization"], KEY)
        assert event.raw == body

    def test_parsed_event_is_sent_as_received(self) -> None:
        body = numbers_as_strings(sample("payment_transaction"))
        event = parse(body)
        _, raw = webhooks.build_delivery(event, KEY)
        assert json.loads(raw) == body

    def test_built_event_round_trips(self) -> None:
        event = NewMessageEvent(
            type="NEW_MESSAGE",
            new_message=webhooks.WebhookChatMessage(id="m-1", type="TEXT", text="hi", sent_at=SENT_AT),
        )
        headers, raw = webhooks.build_delivery(event, KEY)
        assert json.loads(raw)["new_message"]["sent_at"] == 1730102400250000
        again = parse_event(raw, headers["Authorization"], KEY)
        assert isinstance(again, NewMessageEvent)
        assert again.new_message.sent_at == SENT_AT and again.new_message.text == "hi"

    def test_non_ascii_body_is_utf8(self) -> None:
        _, raw = webhooks.build_delivery(new_message("TEXT"), KEY)
        assert "سلام".encode() in raw

    @pytest.mark.parametrize("key", ["", "a\r\nX-Evil: 1", "a\nb", "a\0"])
    def test_refuses_unusable_keys(self, key: str) -> None:
        with pytest.raises(ValueError):
            webhooks.build_delivery({"type": "X"}, key)

    def test_refuses_text_utf8_cannot_carry(self) -> None:
        with pytest.raises(ValueError, match="lone surrogate"):
            webhooks.build_delivery({"type": "X", "a": "\ud800"}, KEY)

    def test_refuses_other_event_types(self) -> None:
        with pytest.raises(TypeError):
            webhooks.build_delivery(["not", "an", "event"], KEY)  # type: ignore[arg-type]


def test_public_names() -> None:
    assert webhooks.__all__ == sorted(webhooks.__all__)
    for name in webhooks.__all__:
        assert getattr(webhooks, name) is not None


# ----------------------------------------------------------------------- over HTTP


def _session(request: RecordedRequest) -> Answer:
    parsed = webhooks.parse_session_init(request.body, request.headers.get("Authorization"), KEY)
    reply = webhooks.SessionInitResponse(url=f"https://app.example.ir/s/{parsed.post_token}")
    return Answer(200, body=reply.to_body())


def _action(request: RecordedRequest) -> Answer:
    webhooks.parse_dynamic_action(request.body, request.headers.get("Authorization"), KEY)
    action = AddonsAction(open_direct_link="https://app.example.ir/a")
    return Answer(200, body=webhooks.DynamicActionResponse(action=action, text_message="ok").to_body())


def _callback(read: Callable[[RecordedRequest], Answer]) -> Callable[[RecordedRequest], Answer]:
    def answer(request: RecordedRequest) -> Answer:
        try:
            return read(request)
        except webhooks.WebhookError as exc:
            return Answer(exc.http_status, {"error": str(exc)})

    return answer


@pytest.fixture()
def receiver() -> Iterator[WebhookReceiver]:
    """A minimal app: events at /events (64 KiB at most), callbacks at /session and /action."""
    with WebhookReceiver(KEY, path="/events", max_body_size=64 * 1024) as app:
        app.add_handler("/session", _callback(_session))
        app.add_handler("/action", _callback(_action))
        yield app


def _post(
    address: Union[Tuple[str, int], LoopbackServer], path: str, headers: Dict[str, str], body: bytes
) -> Tuple[int, bytes]:
    if isinstance(address, LoopbackServer):
        address = (address.host, address.port)
    connection = http.client.HTTPConnection(*address, timeout=5)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class TestOverHttp:
    def test_every_event_type_end_to_end(self, receiver: WebhookReceiver) -> None:
        bodies = [new_message(t) for t in CHAT_TYPES] + [
            sample("new_chatbot_message"),
            sample("user_access_revocation"),
            numbers_as_strings(sample("post_update_publish")),
            sample("post_update_retire"),
            sample("payment_transaction"),
            {"type": "SOMETHING_NEW", "something_new": {"x": 1}},
        ]
        for body in bodies:
            headers, raw = webhooks.build_delivery(body, KEY)
            status, _ = _post(receiver, "/events", headers, raw)
            assert status == 200
        received = receiver.events
        assert [event.raw for event in received] == bodies
        assert [type(event).__name__ for event in received[-6:]] == [
            "NewChatbotMessageEvent",
            "UserAccessRevocationEvent",
            "PostUpdateEvent",
            "PostUpdateEvent",
            "PaymentTransactionEvent",
            "Event",
        ]
        assert received[0].new_message.text == "سلام، هنوز موجوده؟"
        assert received[0].new_message.sent_at == SENT_AT

    def test_non_ascii_key_over_http(self, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
        key = "کلید-۱۲۳"
        receiver.identification_key = key
        body = new_message("TEXT")
        raw = json.dumps(body).encode()
        connection = http.client.HTTPConnection(receiver.host, receiver.port, timeout=5)
        try:
            connection.putrequest("POST", "/events")
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Authorization", key.encode("utf-8"))
            connection.putheader("Content-Length", str(len(raw)))
            connection.endheaders(raw)
            assert connection.getresponse().status == 200
        finally:
            connection.close()
        assert receiver.events[-1].raw == body

    def test_refusals_over_http(self, receiver: WebhookReceiver) -> None:
        headers, raw = webhooks.build_delivery(new_message("TEXT"), KEY)
        status, answer = _post(receiver, "/events", {**headers, "Authorization": "guess"}, raw)
        assert status == 401 and KEY.encode() not in answer and b"guess" not in answer
        no_auth = {"Content-Type": "application/json"}
        assert _post(receiver, "/events", no_auth, raw)[0] == 401
        assert _post(receiver, "/events", headers, b"[1, 2, 3]")[0] == 400
        assert _post(receiver, "/events", headers, b"<xml/>")[0] == 400
        assert _post(receiver, "/events", headers, b"[" * 20_000 + b"]" * 20_000)[0] == 400
        assert _post(receiver, "/events", headers, b'{"type": "X", "pad": "' + b"p" * 70_000 + b'"}')[0] == 413
        assert receiver.events == []

    def test_callbacks_over_http(self, receiver: WebhookReceiver) -> None:
        headers = {"Content-Type": "application/json", "Authorization": KEY, "API-Version": "2"}
        status, answer = _post(receiver, "/session", headers, json.dumps(sample("session_init")).encode())
        assert status == 200 and json.loads(answer) == {"url": "https://app.example.ir/s/wZ3kPq1R"}
        status, answer = _post(receiver, "/action", headers, json.dumps(sample("dynamic_action")).encode())
        assert status == 200
        assert json.loads(answer) == {"action": {"open_direct_link": "https://app.example.ir/a"}, "text_message": "ok"}
        assert _post(receiver, "/action", {**headers, "Authorization": "x"}, b"{}")[0] == 401


# ----------------------------------------------------------------------- the guide's receiver


GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guides" / "webhooks.md"


def _guide_block(heading: str) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    start = section.index("```python\n") + len("```python\n")
    return section[start : section.index("```", start)]


def test_the_guide_receiver_works(monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard-library receiver printed in the guide, run as written."""
    monkeypatch.setenv("KENAR_IDENTIFICATION_KEY", KEY)
    handled: List[Event] = []
    namespace: Dict[str, Any] = {"__name__": "__guide__", "handle": handled.append}
    exec(compile(_guide_block("### With the standard library"), "webhooks.md receiver", "exec"), namespace)
    namespace["KenarEvents"].log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), namespace["KenarEvents"])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        address = (server.server_address[0], server.server_address[1])
        headers, body = webhooks.build_delivery(sample("user_access_revocation"), KEY)
        assert _post(address, "/", headers, body)[0] == 200
        assert _post(address, "/", {**headers, "Authorization": "nope"}, body)[0] == 401
        assert _post(address, "/", headers, b"[]")[0] == 400
        connection = http.client.HTTPConnection(*address, timeout=5)
        try:  # announce a body over the limit: refused before it is read
            connection.putrequest("POST", "/")
            connection.putheader("Authorization", KEY)
            connection.putheader("Content-Length", str(webhooks.DEFAULT_MAX_BODY_SIZE + 1))
            connection.endheaders()
            assert connection.getresponse().status == 413
        finally:
            connection.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert [type(event) for event in handled] == [UserAccessRevocationEvent]
    assert handled[0].user_access_revocation.user_id == "7c2e4a1b-0d9f-4e3c-b5a6-918273645f00"


def test_the_guide_names_only_what_exists() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    mentioned = set(re.findall(r"webhooks\.([A-Za-z_]+)", text))
    assert {"parse_event", "parse_session_init", "parse_dynamic_action", "build_delivery"} <= mentioned
    for name in mentioned:
        assert name in webhooks.__all__, name
