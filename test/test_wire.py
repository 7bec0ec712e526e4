"""The wire format: path and query encoding as the server sees it, and bad
arguments refused before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

import kenar_api_client
from kenar_api_client import ApiClient
from kenar_api_client._op_table import OPERATIONS
from kenar_api_client.exceptions import ApiTypeError, ApiValueError
from kenar_api_client.testing import MockKenarServer

# the `server` and `client` fixtures come from conftest.py: one attempt per call here
pytestmark = pytest.mark.no_retries


# ---------------------------------------------------------------------------- path parameters


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("a/b c?d#e%f/../g", "a%2Fb%20c%3Fd%23e%25f%2F..%2Fg"),
        ("AbCdEfGh", "AbCdEfGh"),
        ("gZ3k-Lm_9.Q~x", "gZ3k-Lm_9.Q~x"),  # the unreserved set stays as it is
        ("..", "%2E%2E"),  # a bare dot segment would be folded away by URL normalisation
        (".", "%2E"),
        ("../../v1/open-platform/users", "..%2F..%2Fv1%2Fopen-platform%2Fusers"),
        ("/", "%2F"),
        ("a?b=c&d", "a%3Fb%3Dc%26d"),
        ("#frag", "%23frag"),
        ("100%", "100%25"),
        ("%2F", "%252F"),  # already-encoded text is encoded again, not trusted
        ("two  spaces", "two%20%20spaces"),
        ("plus+sign", "plus%2Bsign"),
        ("آگهی۱", "%D8%A2%DA%AF%D9%87%DB%8C%DB%B1"),
        ("emoji😀", "emoji%F0%9F%98%80"),
        ("semi;colon,comma:colon@at", "semi%3Bcolon%2Ccomma%3Acolon%40at"),
        ("tab\there", "tab%09here"),
        ("back\\slash", "back%5Cslash"),
    ],
)
def test_path_parameter_is_percent_encoded_and_cannot_change_the_path(
    value: str, encoded: str, server: MockKenarServer, client: ApiClient
) -> None:
    kenar_api_client.FinderApi(client).finder_get_post(value)
    req = server.last_request
    assert req.path == "/v1/open-platform/finder/post/" + encoded
    assert req.raw_query == ""
    assert req.operation == "finder_get_post"  # the server routed it to the same operation
    assert req.path_params == {"token": value}


def test_path_parameters_in_the_middle_of_the_path(server: MockKenarServer, client: ApiClient) -> None:
    api = kenar_api_client.ChatAPIApi(client)
    body = kenar_api_client.ChatAPIChatBotSendMessageBody(text_message="hi")
    api.chat_api_chat_bot_send_message("../../users/x?y#z", body)
    req = server.last_request
    assert req.path == "/v1/open-platform/chat/bot/conversations/..%2F..%2Fusers%2Fx%3Fy%23z/messages"
    assert req.operation == "chat_api_chat_bot_send_message"
    assert req.path_params == {"conversation_id": "../../users/x?y#z"}
    api.chat_api_chat_bot_send_message("..", body)
    assert server.last_request.path == "/v1/open-platform/chat/bot/conversations/%2E%2E/messages"


def test_safe_chars_for_path_param_is_honoured(server: MockKenarServer) -> None:
    server.reset()
    config = server.configuration()
    config.safe_chars_for_path_param = "/"
    with ApiClient(config) as client:
        kenar_api_client.FinderApi(client).finder_get_post("a b")
    assert server.last_request.path == "/v1/open-platform/finder/post/a%20b"


def test_empty_path_parameter_is_refused(server: MockKenarServer, client: ApiClient) -> None:
    with pytest.raises(ApiValueError, match="token"):
        kenar_api_client.FinderApi(client).finder_get_post("")
    assert server.requests == []


# ---------------------------------------------------------------------------- query parameters


def test_query_encoding(server: MockKenarServer, client: ApiClient) -> None:
    api = kenar_api_client.PaymentApi(client)
    api.payment_list_transactions(page_size=50, page_token="a b/c+d&e=f?g#h%i~j")
    req = server.last_request
    assert req.raw_query == "page_size=50&page_token=a%20b/c%2Bd%26e%3Df%3Fg%23h%25i~j"
    assert req.query == {"page_size": "50", "page_token": "a b/c+d&e=f?g#h%i~j"}
    assert "+" not in req.raw_query


def test_query_order_is_the_parameter_order_and_none_is_left_out(server: MockKenarServer, client: ApiClient) -> None:
    api = kenar_api_client.PaymentApi(client)
    api.payment_list_transactions(page_token="t", page_size=5)
    assert server.last_request.raw_query == "page_size=5&page_token=t"
    api.payment_list_transactions(page_size=None, page_token="t")
    assert server.last_request.raw_query == "page_token=t"
    api.payment_list_transactions()
    assert server.last_request.raw_query == ""
    # falsy values that are not None are sent
    api.payment_list_transactions(page_size=0, page_token="")
    assert server.last_request.raw_query == "page_size=0&page_token="


def test_required_query_parameter_next_to_a_path_parameter(server: MockKenarServer, client: ApiClient) -> None:
    api = kenar_api_client.SemanticApi(client)
    api.semantic_delete_user_semantic2("user/1", "+98 912")
    req = server.last_request
    assert (req.method, req.path, req.raw_query) == (
        "DELETE",
        "/v1/open-platform/semantic/users/user%2F1",
        "phone=%2B98%20912",
    )
    api.semantic_delete_user_semantic("0912 123", divar_user_id="ü")
    req = server.last_request
    assert (req.path, req.raw_query) == ("/v1/open-platform/semantic/user/0912%20123", "divar_user_id=%C3%BC")


def test_non_ascii_query_is_utf8(server: MockKenarServer, client: ApiClient) -> None:
    kenar_api_client.AssetsApi(client).assets_get_districts(city_slug="تهران")
    assert server.last_request.raw_query == "city_slug=%D8%AA%D9%87%D8%B1%D8%A7%D9%86"
    assert server.last_request.query == {"city_slug": "تهران"}


# ---------------------------------------------------------------------------- refused before sending


def _refused(server: MockKenarServer, call: Any, error: Any, *words: str) -> None:
    with pytest.raises(error) as info:
        call()
    text = str(info.value)
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"
    assert server.requests == [], "nothing may be sent when the arguments are wrong"


def test_wrong_path_type(server: MockKenarServer, client: ApiClient) -> None:
    api = kenar_api_client.FinderApi(client)
    _refused(server, lambda: api.finder_get_post(123), ApiTypeError, "token", "str")
    _refused(server, lambda: api.finder_get_post(b"bytes"), ApiTypeError, "token")
    _refused(server, lambda: api.finder_get_post(["a"]), ApiTypeError, "token")


def test_missing_required_path_or_query(server: MockKenarServer, client: ApiClient) -> None:
    api = kenar_api_client.FinderApi(client)
    _refused(server, lambda: api.finder_get_post(None), ApiValueError, "token")
    _refused(server, lambda: api.finder_get_post(), TypeError, "token")
    semantic = kenar_api_client.SemanticApi(client)
    _refused(server, lambda: semantic.semantic_delete_user_semantic2("u", None), ApiValueError, "phone")


def test_wrong_query_types(server: MockKenarServer, client: ApiClient) -> None:
    api = kenar_api_client.PaymentApi(client)
    _refused(server, lambda: api.payment_list_transactions(page_size="10"), ApiTypeError, "page_size", "int")
    _refused(server, lambda: api.payment_list_transactions(page_size=1.5), ApiTypeError, "page_size")
    _refused(server, lambda: api.payment_list_transactions(page_size=True), ApiTypeError, "page_size")
    _refused(server, lambda: api.payment_list_transactions(page_token=5), ApiTypeError, "page_token")
    events = kenar_api_client.EventsApi(client)
    _refused(server, lambda: events.events_send_event(message={"a": 1}), ApiTypeError, "message")


def test_wrong_body_types(server: MockKenarServer, client: ApiClient) -> None:
    events = kenar_api_client.EventsApi(client)
    _refused(
        server,
        lambda: events.events_register_event_subscription("{}"),
        ApiTypeError,
        "events_register_event_subscription_request",
        "EventsRegisterEventSubscriptionRequest",
    )
    _refused(
        server,
        lambda: events.events_register_event_subscription(None),
        ApiValueError,
        "events_register_event_subscription_request",
    )
    # another model in place of the body model
    wrong = kenar_api_client.FinderGetUserIDByPhoneRequest(phone="0912")
    _refused(
        server,
        lambda: events.events_register_event_subscription(wrong),
        ApiTypeError,
        "EventsRegisterEventSubscriptionRequest",
    )
    finder = kenar_api_client.FinderApi(client)
    _refused(server, lambda: finder.finder_get_user(["not", "a", "dict"]), ApiTypeError, "body", "dict")


def test_bad_model_values(server: MockKenarServer, client: ApiClient) -> None:
    payment = kenar_api_client.PaymentApi(client)
    # a dict body that does not fit the model: pydantic names the field
    with pytest.raises(ValidationError) as info:
        payment.payment_create_wallet_payment({"amount_rials": 1000, "description": "d", "redirect_url": "u"})
    assert "amount_rials" in str(info.value)
    with pytest.raises(ValidationError) as info:
        payment.payment_create_wallet_payment({"description": "d"})
    assert "amount_rials" in str(info.value) and "redirect_url" in str(info.value)
    # building the model itself refuses wrong types and missing fields
    with pytest.raises(ValidationError, match="amount_rials"):
        kenar_api_client.PaymentCreateWalletPaymentRequest(amount_rials=10, description="d", redirect_url="u")
    model = kenar_api_client.PaymentCreateWalletPaymentRequest(amount_rials="10", description="d", redirect_url="u")
    with pytest.raises(ValidationError, match="amount_rials"):
        model.amount_rials = 10  # validated on assignment too
    with pytest.raises(ValidationError, match="event_type"):
        kenar_api_client.EventsRegisterEventSubscriptionRequest(event_type=5)
    assert server.requests == []


def test_bad_header_values_are_refused(server: MockKenarServer, client: ApiClient) -> None:
    events = kenar_api_client.EventsApi(client)
    _refused(
        server,
        lambda: events.events_send_event(message="m", _headers={"X-Trace": "a\r\nX-Injected: 1"}),
        ApiValueError,
        "X-Trace",
    )
    client.configuration.api_key["APIKey"] = "key\nX-Injected: 1"
    _refused(server, lambda: events.events_send_event(message="m"), ApiValueError, "line break")


def test_bad_request_timeout_is_refused(server: MockKenarServer, client: ApiClient) -> None:
    events = kenar_api_client.EventsApi(client)
    for bad in (-1, 0, "5", (1, 2, 3), True):
        _refused(
            server, lambda bad=bad: events.events_send_event(_request_timeout=bad), ApiValueError, "_request_timeout"
        )


def test_every_operation_refuses_a_wrong_first_argument(server: MockKenarServer, client: ApiClient) -> None:
    """One wrong-typed argument per operation (path, query or body) and nothing goes out."""
    checked = 0
    for name, op in sorted(OPERATIONS.items()):
        if not op.params:
            continue
        api = getattr(kenar_api_client, op.api)(client)
        first = op.params[0]
        wrong: Any = 12345 if first.type != "int" else "12345"
        kwargs = {first.name: wrong}
        for param in op.params[1:]:
            if param.required:
                kwargs[param.name] = None
        with pytest.raises((ApiTypeError, ValidationError)) as info:
            getattr(api, name)(**kwargs)
        assert first.name in str(info.value) or (first.module and op.body_model().__name__ in str(info.value)), name
        checked += 1
    assert checked > 40
    assert server.requests == []


# ---------------------------------------------------------------------------- the 0.291 wire contract


def _golden() -> Any:
    import json

    from wire_golden import GOLDEN

    return json.loads(GOLDEN.read_text(encoding="utf-8"))["operations"]


@pytest.mark.parametrize("entry", _golden(), ids=lambda e: e["call"]["method"])
def test_0291_operations_send_what_they_sent(entry: Any) -> None:
    """Each of 0.291's 68 operations, called as 0.291 code calls it (positional arguments, the body
    built from its 0.291 class), sends byte for byte what the 0.291-era SDK sent and returns the same
    result (see test/wire_golden.py)."""
    import warnings

    from wire_golden import perform

    with MockKenarServer(api_key="test-api-key", access_token="test-access-token") as srv:
        config = srv.configuration()
        config.retries = 0
        with ApiClient(config) as api_client, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # removed operations warn, and still send
            assert perform(entry["call"], srv, api_client) == entry["sent"]


def test_the_golden_file_covers_0291s_68_operations(official_names: Any) -> None:
    entries = _golden()
    assert len(entries) == 68
    assert len({e["call"]["method"] for e in entries}) == 68
