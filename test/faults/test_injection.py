"""Hostile values in path parameters and headers: the request cannot be bent."""

from __future__ import annotations

import pytest
from fault_helpers import sdk_error

from kenar_api_client.api.events_api import EventsApi
from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api.post_api import PostApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.exceptions import ApiValueError
from kenar_api_client.testing import MockKenarServer

PREFIX = "/v1/open-platform/finder/post/"

HOSTILE = [
    ("../admin", "..%2Fadmin"),
    ("../../v1/open-platform/assets/city", "..%2F..%2Fv1%2Fopen-platform%2Fassets%2Fcity"),
    ("a/b", "a%2Fb"),
    ("?x=1", "%3Fx%3D1"),
    ("tok?x=1&y=2", "tok%3Fx%3D1%26y%3D2"),
    ("#f", "%23f"),
    ("%2e%2e", "%252e%252e"),
    ("%2F", "%252F"),
    (".", "%2E"),
    ("..", "%2E%2E"),
    ("a\r\nX-Injected: 1", "a%0D%0AX-Injected%3A%201"),
    ("\n", "%0A"),
    ("تهران", "%D8%AA%D9%87%D8%B1%D8%A7%D9%86"),
    ("a b+c;d", "a%20b%2Bc%3Bd"),
    ("a\\b", "a%5Cb"),
    ("a\x00b", "a%00b"),
]


@pytest.mark.parametrize(("value", "encoded"), HOSTILE, ids=[repr(v) for v, _ in HOSTILE])
def test_hostile_path_parameter_stays_one_segment(server: MockKenarServer, finder: FinderApi, value, encoded):
    finder.finder_get_post(value)

    (seen,) = server.requests
    assert seen.operation == "finder_get_post"
    assert seen.path == PREFIX + encoded
    assert seen.path_params == {"token": value}  # decoded back to exactly what was given
    assert seen.raw_query == "" and seen.query == {}


def test_hostile_value_in_the_middle_of_a_path(server: MockKenarServer, client: ApiClient):
    from kenar_api_client.api.chat_api_api import ChatAPIApi
    from kenar_api_client.models.chat_api_conversation_send_message_body import ChatAPIConversationSendMessageBody

    ChatAPIApi(client).chat_api_conversation_send_message(
        "../../x?y#z", ChatAPIConversationSendMessageBody(message="m")
    )

    (seen,) = server.requests
    assert seen.operation == "chat_api_conversation_send_message"
    assert seen.path == "/v2/open-platform/conversations/..%2F..%2Fx%3Fy%23z/messages"
    assert seen.path_params == {"conversation_id": "../../x?y#z"}


def test_hostile_query_values_are_encoded(server: MockKenarServer, client: ApiClient):
    message = "hi&target_type=ALL#frag?x=1 ک\r\n"
    EventsApi(client).events_send_event(message=message, target_type="POST", target_resource_id="../a/b")

    (seen,) = server.requests
    assert seen.operation == "events_send_event"
    assert seen.path == "/experimental/open-platform/events/send"
    assert seen.query == {"message": message, "target_type": "POST", "target_resource_id": "../a/b"}
    assert seen.raw_query.count("&") == 2 and "#" not in seen.raw_query and "\r" not in seen.raw_query


# ---------------------------------------------------------------- CR/LF in headers


@pytest.mark.parametrize("bad", ["key\r\nX-Injected: 1", "key\nX-Injected: 1", "key\rX", "\r\n"])
def test_crlf_in_api_key_is_refused_before_sending(server: MockKenarServer, client: ApiClient, bad):
    client.configuration.api_key["APIKey"] = bad

    with pytest.raises(ApiValueError) as caught:
        FinderApi(client).finder_get_post("tok")

    error = sdk_error(caught.value, ApiValueError)
    assert "X-API-Key" in str(error) and "CR/LF" in str(error)
    assert "key" not in str(error).replace("X-API-Key", "")  # the value is not echoed
    assert server.requests == []


@pytest.mark.parametrize("bad", ["token\r\nX-Injected: 1", "token\n", "token\rX"])
def test_crlf_in_access_token_is_refused_before_sending(server: MockKenarServer, client: ApiClient, bad):
    client.configuration.access_token = bad

    with pytest.raises(ApiValueError) as caught:
        PostApi(client).post_get_user_post("tok")  # an OAuth operation: the token is sent

    error = sdk_error(caught.value, ApiValueError)
    assert "Authorization" in str(error) and "token" not in str(error)
    assert server.requests == []


def test_crlf_in_a_token_from_a_token_source_is_refused(server: MockKenarServer, client: ApiClient):
    class Source:
        def get_access_token(self) -> str:
            return "tok\r\nX-Injected: 1"

        def refresh_after_unauthorized(self, token: str) -> bool:
            return False

    client.configuration.token_source = Source()
    with pytest.raises(ApiValueError):
        PostApi(client).post_get_user_post("tok")
    assert server.requests == []


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Trace": "a\r\nX-Injected: 1"},
        {"X-Trace": "a\nb"},
        {"X-Trace\r\nX-Injected": "1"},
        {"Authorization": "Bearer t\r\nX: 1"},
    ],
)
def test_crlf_in_extra_headers_is_refused_before_sending(server: MockKenarServer, finder: FinderApi, headers):
    with pytest.raises(ApiValueError, match="CR/LF"):
        finder.finder_get_post("tok", _headers=headers)
    assert server.requests == []


def test_crlf_in_request_auth_is_refused_before_sending(server: MockKenarServer, finder: FinderApi):
    auth = {"in": "header", "type": "api_key", "key": "X-API-Key", "value": "k\r\nX-Injected: 1"}
    with pytest.raises(ApiValueError, match="CR/LF"):
        finder.finder_get_post("tok", _request_auth=auth)
    assert server.requests == []


def test_crlf_in_default_headers_is_refused_before_sending(server: MockKenarServer, client: ApiClient):
    client.set_default_header("X-App", "v1\r\nX-Injected: 1")
    with pytest.raises(ApiValueError, match="CR/LF"):
        FinderApi(client).finder_get_post("tok")
    assert server.requests == []


def test_clean_headers_go_through(server: MockKenarServer, finder: FinderApi):
    finder.finder_get_post("tok", _headers={"X-Trace": "abc def"})
    assert server.last_request.headers["X-Trace"] == "abc def"
    assert "X-Injected" not in server.last_request.headers
