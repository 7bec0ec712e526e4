"""Enum values the spec does not define: kept in answers, refused in requests the
caller builds, before anything is sent (issue 15 §13)."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from pydantic import ValidationError

import kenar_api_client
from kenar_api_client import ApiClient
from kenar_api_client.models.events_register_event_subscription_request import EventsRegisterEventSubscriptionRequest
from kenar_api_client.models.events_register_event_subscription_request_event_type import (
    EventsRegisterEventSubscriptionRequestEventType as EventType,
)
from kenar_api_client.models.payment_transaction import PaymentTransaction
from kenar_api_client.models.payment_transaction_state import PaymentTransactionState
from kenar_api_client.models.post_submit_user_post_request import PostSubmitUserPostRequest
from kenar_api_client.testing import MockKenarServer


@pytest.fixture
def client(server: MockKenarServer) -> Iterator[ApiClient]:
    config = server.configuration()
    config.retries = 0
    with ApiClient(config) as api_client:
        yield api_client


def _names_the_field(error: ValidationError, *location: Any) -> None:
    assert [tuple(item["loc"]) for item in error.errors()] == [location]
    assert error.errors()[0]["type"] == "enum"
    text = str(error)
    assert "NEW_MESSAGE_ON_POST" in text  # what was expected


# ---------------------------------------------------------------- requests the caller builds


def test_the_constructor_refuses_an_unknown_value_and_nothing_is_sent(server: MockKenarServer) -> None:
    with pytest.raises(ValidationError) as info:
        EventsRegisterEventSubscriptionRequest(event_type="NOT_AN_EVENT", event_resource_id="p1")
    _names_the_field(info.value, "event_type")
    assert "NOT_AN_EVENT" in str(info.value)
    assert server.requests == []


def test_a_dict_body_is_checked_as_strictly_and_nothing_is_sent(server: MockKenarServer, client: ApiClient) -> None:
    events = kenar_api_client.EventsApi(client)
    with pytest.raises(ValidationError) as info:
        events.events_register_event_subscription({"event_type": "NOT_AN_EVENT"})  # type: ignore[arg-type]
    _names_the_field(info.value, "event_type")
    assert server.requests == []


def test_assignment_refuses_an_unknown_value_and_keeps_the_old_one(server: MockKenarServer, client: ApiClient) -> None:
    request = EventsRegisterEventSubscriptionRequest(event_type="NEW_MESSAGE_ON_POST", event_resource_id="p1")
    with pytest.raises(ValidationError) as info:
        request.event_type = "NOT_AN_EVENT"  # type: ignore[assignment]
    _names_the_field(info.value, "event_type")
    assert request.event_type is EventType.NEW_MESSAGE_ON_POST
    kenar_api_client.EventsApi(client).events_register_event_subscription(request)
    assert server.requests[-1].json == {"event_type": "NEW_MESSAGE_ON_POST", "event_resource_id": "p1"}


def test_a_nested_unknown_value_is_refused_with_its_path() -> None:
    with pytest.raises(ValidationError) as info:
        PostSubmitUserPostRequest(general_data={"title": "t", "location_type": "EXACT"})  # type: ignore[arg-type]
    enum_errors = [item for item in info.value.errors() if item["type"] == "enum"]
    assert [tuple(item["loc"]) for item in enum_errors] == [("general_data", "location_type")]
    assert "LOCATION_TYPE_EXACT" in enum_errors[0]["msg"]


def test_known_values_by_text_or_member_build_and_are_sent(server: MockKenarServer, client: ApiClient) -> None:
    events = kenar_api_client.EventsApi(client)
    events.events_register_event_subscription(EventsRegisterEventSubscriptionRequest(event_type=EventType.POST_UPDATE))
    events.events_register_event_subscription({"event_type": "NEW_MESSAGE_ON_POST"})  # type: ignore[arg-type]
    assert [r.json for r in server.requests] == [{"event_type": "POST_UPDATE"}, {"event_type": "NEW_MESSAGE_ON_POST"}]


# ---------------------------------------------------------------- answers keep what they do not know


def test_an_answer_with_an_unknown_value_parses_and_the_value_stays_readable(
    server: MockKenarServer, client: ApiClient
) -> None:
    # check=False: the mock refuses values the spec does not define unless told this one is on purpose
    server.respond(
        "payment_get_transaction", json={"transaction": {"id": "t1", "state": "TRANSACTION_STATE_ON_HOLD"}}, check=False
    )
    answer = kenar_api_client.PaymentApi(client).payment_get_transaction("t1")
    state = answer.transaction.state  # type: ignore[union-attr]
    assert isinstance(state, PaymentTransactionState) and not state.is_known
    assert state == "TRANSACTION_STATE_ON_HOLD" and str(state) == "TRANSACTION_STATE_ON_HOLD"
    assert answer.to_dict()["transaction"]["state"] == "TRANSACTION_STATE_ON_HOLD"
    assert json.loads(answer.to_json())["transaction"]["state"] == "TRANSACTION_STATE_ON_HOLD"


def test_the_official_deserialize_keeps_unknown_values_too(client: ApiClient) -> None:
    body = json.dumps({"transaction": {"state": "TRANSACTION_STATE_ON_HOLD"}})
    answer = client.deserialize(body, "PaymentGetTransactionResponse", "application/json")
    assert answer.transaction.state == "TRANSACTION_STATE_ON_HOLD"


def test_parsing_by_hand_keeps_unknown_values() -> None:
    # model_validate, from_dict and from_json parse data (a stored answer, a canned one in a test)
    for parsed in (
        PaymentTransaction.model_validate({"state": "X_NEW"}),
        PaymentTransaction.from_dict({"state": "X_NEW"}),
        PaymentTransaction.from_json('{"state": "X_NEW"}'),
        PaymentTransaction.model_validate_json('{"state": "X_NEW"}'),
    ):
        assert parsed is not None and parsed.state == "X_NEW" and not parsed.state.is_known  # type: ignore[union-attr]
    assert PaymentTransactionState("X_NEW") == "X_NEW"  # the enum itself still accepts it


def test_a_value_read_from_an_answer_can_be_sent_back(server: MockKenarServer, client: ApiClient) -> None:
    # the server told us this value, so echoing it is no guess: a member, even an unknown one, is accepted
    unknown = PaymentTransaction.model_validate({"state": "X_NEW"}).state
    echoed = PaymentTransaction(state=unknown)
    assert echoed.to_dict() == {"state": "X_NEW"}


def test_a_webhook_event_with_an_unknown_value_still_parses() -> None:
    from kenar_api_client import webhooks

    body = json.dumps(
        {
            "type": "NEW_MESSAGE",
            "new_message": {"id": "m1", "type": "A_NEW_MESSAGE_KIND", "text": "hi", "conversation": {"id": "c1"}},
        }
    )
    event = webhooks.parse_event(body, "key", "key")
    message = event.new_message  # type: ignore[attr-defined]
    assert message.type == "A_NEW_MESSAGE_KIND" and not message.type.is_known


def test_building_state_does_not_leak_after_a_refusal() -> None:
    with pytest.raises(ValidationError):
        EventsRegisterEventSubscriptionRequest(event_type="NOT_AN_EVENT")
    assert PaymentTransaction.model_validate_json('{"state": "X_NEW"}').state == "X_NEW"
    assert EventType("SOMETHING_ELSE") == "SOMETHING_ELSE"
