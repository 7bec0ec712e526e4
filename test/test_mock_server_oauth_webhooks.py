"""MockKenarServer serves Divar's OAuth endpoints and delivers webhook events."""

from __future__ import annotations

import urllib.request
from typing import Any, Iterator, List

import pytest

import kenar_api_client
from kenar_api_client import webhooks
from kenar_api_client.testing import MockKenarServer, WebhookReceiver

REDIRECT = "http://127.0.0.1/oauth/callback"


def test_whole_oauth_flow_against_the_mock_server() -> None:
    with MockKenarServer(require_issued_tokens=True) as server:
        oauth = server.oauth_client(REDIRECT)
        url, state = oauth.authorization_url(["USER_ID", "offline_access"])
        assert url.startswith(server.oauth_authorize_url + "?")

        # the user approves: the authorize endpoint redirects back with a code
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(url, timeout=5)
        location = redirect.value.headers["Location"]
        code = oauth.parse_callback(location, state)
        token = oauth.exchange_code(code)
        assert token.refresh_token

        config = server.configuration(access_token=None)
        refreshed: List[str] = []
        config.token_source = oauth.token_source(token, on_refresh=lambda t: refreshed.append(t.access_token))
        with kenar_api_client.ApiClient(config) as client:
            finder = kenar_api_client.FinderApi(client)
            finder.finder_get_user2()
            assert server.last_request.headers["Authorization"] == f"Bearer {token.access_token}"

            # the token dies on the server: one 401, one refresh, one retry that succeeds
            server.oauth.expire(token.access_token)
            finder.finder_get_user2()
            assert len(refreshed) == 1
            assert server.last_request.headers["Authorization"] == f"Bearer {refreshed[0]}"
        assert [r.operation for r in server.requests] == ["finder_get_user2"] * 3
        assert len(server.oauth.token_requests) == 2  # the exchange and one refresh


def test_tokens_not_issued_by_the_server_are_refused_when_asked() -> None:
    with MockKenarServer(require_issued_tokens=True) as server, server.api_client(access_token="made-up") as client:
        with pytest.raises(kenar_api_client.UnauthorizedException) as error:
            kenar_api_client.FinderApi(client).finder_get_user2()
        assert "expired or unknown" in (error.value.message or "")


KEY = "panel-identification-key"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(KEY) as app:
        yield app


def test_deliver_event_reaches_a_receiver_with_the_right_key(
    server: MockKenarServer, receiver: WebhookReceiver
) -> None:
    url, events = receiver.events_url, receiver.events
    event = {
        "type": "NEW_MESSAGE",
        "metadata": {"app": "demo"},
        "new_message": {
            "id": "m-1",
            "type": "TEXT",
            "text": "سلام",
            "sent_at": "1717236000123456",
            "conversation": {"id": "c-1", "type": "POST", "post_token": "gZd7omnS"},
            "sender": {"side": "BUYER", "type": "HUMAN"},
        },
    }
    assert server.deliver_event(url, event, KEY) == (200, b"ok")
    assert len(events) == 1 and isinstance(events[0], webhooks.NewMessageEvent)
    assert events[0].new_message.text == "سلام"

    status, body = server.deliver_event(url, event, "not-the-key")
    assert status == 401 and b"not-the-key" not in body and KEY.encode() not in body
    assert len(events) == 1
    assert [r.method for r in receiver.requests] == ["POST", "POST"]
    assert server.deliver_event(receiver.url + "/elsewhere", event, KEY)[0] == 404


def test_a_receiver_hands_events_to_a_callback_and_answers_413_over_its_limit() -> None:
    seen: List[webhooks.Event] = []
    with WebhookReceiver(KEY, max_body_size=200, on_event=seen.append) as app, MockKenarServer() as server:
        small = {"type": "USER_ACCESS_REVOCATION", "user_access_revocation": {"user_id": "u-1"}}
        assert server.deliver_event(app.events_url, small, KEY) == (200, b"ok")
        assert isinstance(seen[0], webhooks.UserAccessRevocationEvent) and app.events == seen
        status, _ = server.deliver_event(app.events_url, dict(small, pad="p" * 300), KEY)
        assert status == 413 and len(seen) == 1


def test_routes_accept_template_names_that_are_not_python_names() -> None:
    from kenar_api_client.testing._routes import compile_template

    match, literal = compile_template("/v1/reports/{report.id}/items/{item}")
    assert match("/v1/reports/r%2F1/items/7") == {"report.id": "r/1", "item": "7"}
    assert match("/v1/reports/r/1/items/7") is None  # a parameter is one segment
    assert match("/v1/reports/r1/items/7/") is None
    assert literal == len("/v1/reports//items/")
