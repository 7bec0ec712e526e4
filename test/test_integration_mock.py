"""A whole integration driven through MockKenarServer alone: subscribe, send, typed error, fault, retry.

``PriceWatch`` below stands for a user's app: for each post it is asked to
watch, it checks the post exists, subscribes to the post's chat messages and
tells the post's owner that watching has begun.  The tests drive it the way a
user would test their own code: no Divar account, no network, no sleeping.
"""

from __future__ import annotations

from typing import List

import pytest

import kenar_api_client
from kenar_api_client.api_client import ApiClient
from kenar_api_client.exceptions import ApiProtocolError, NotFoundException
from kenar_api_client.models.events_register_event_subscription_request import (
    EventsRegisterEventSubscriptionRequest,
)
from kenar_api_client.retry import RetryPolicy
from kenar_api_client.testing import MockKenarServer


class PriceWatch:
    """A small app built on the SDK (what a user would have in their own code base)."""

    def __init__(self, api_client: ApiClient) -> None:
        self.finder = kenar_api_client.FinderApi(api_client)
        self.events = kenar_api_client.EventsApi(api_client)

    def watch(self, post_token: str) -> str:
        try:
            post = self.finder.finder_get_post(post_token)
        except NotFoundException:
            return "gone"
        self.events.events_register_event_subscription(
            EventsRegisterEventSubscriptionRequest(event_type="NEW_MESSAGE_ON_POST", event_resource_id=post_token)
        )
        title = (post.data or {}).get("title", post_token)
        self.events.events_send_event(
            message=f"Watching prices for «{title}»", target_type="POST", target_resource_id=post_token
        )
        return "watching"


@pytest.fixture
def app(client: ApiClient) -> PriceWatch:
    return PriceWatch(client)


def test_a_full_integration_with_a_fault_a_retry_and_a_typed_error(
    server: MockKenarServer, app: PriceWatch, sleeps: List[float]
) -> None:
    post = {"token": "gZd7omnS", "category": "apartment-sell", "data": {"title": "آپارتمان ۸۵ متری"}}
    server.respond("finder_get_post", status=503)  # a fault: the GET is retried after a backoff
    server.respond("finder_get_post", post)
    server.respond("events_send_event", status=429, headers={"Retry-After": "3"})  # rate limited once
    server.respond("finder_get_post", {"code": 5, "message": "post not found", "details": []}, status=404)

    assert app.watch("gZd7omnS") == "watching"
    assert app.watch("gone0000") == "gone"  # the typed 404 is handled by the app

    assert [r.operation for r in server.requests] == [
        "finder_get_post",
        "finder_get_post",
        "events_register_event_subscription",
        "events_send_event",
        "events_send_event",
        "finder_get_post",
    ]
    assert sleeps == [0.5, 3.0]  # the policy's first backoff, then the server's Retry-After
    subscribe = server.requests_for("events_register_event_subscription")[0]
    assert subscribe.json == {"event_type": "NEW_MESSAGE_ON_POST", "event_resource_id": "gZd7omnS"}
    assert subscribe.headers["Authorization"] == "Bearer test-access-token"
    sent = server.requests_for("events_send_event")
    assert (
        sent[0].query
        == sent[1].query
        == {
            "message": "Watching prices for «آپارتمان ۸۵ متری»",
            "target_type": "POST",
            "target_resource_id": "gZd7omnS",
        }
    )
    assert server.requests[-1].path == "/v1/open-platform/finder/post/gone0000"
    assert server.pending() == 0


def test_a_broken_connection_on_subscribe_is_not_retried_and_nothing_more_is_sent(
    server: MockKenarServer, app: PriceWatch, sleeps: List[float]
) -> None:
    # a POST that may have reached the server is not sent twice: the app sees the error
    server.respond("events_register_event_subscription", fault="reset")
    with pytest.raises(ApiProtocolError):
        app.watch("gZd7omnS")
    assert [r.operation for r in server.requests] == ["finder_get_post", "events_register_event_subscription"]
    assert sleeps == []


def test_the_app_without_a_user_token_is_refused_where_oauth_is_needed(server: MockKenarServer) -> None:
    config = server.configuration(access_token=None)
    config.retries = RetryPolicy.none()
    with ApiClient(config) as client:
        with pytest.raises(kenar_api_client.UnauthorizedException) as caught:
            PriceWatch(client).watch("gZd7omnS")
    assert caught.value.code == 16
    assert server.last_request.operation == "events_register_event_subscription"
