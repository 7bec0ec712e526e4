"""Answers that are broken, odd, huge or newer than the SDK."""

from __future__ import annotations

import json

import pytest
from fault_helpers import sdk_error

from kenar_api_client.api.chat_api_api import ChatAPIApi
from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.exceptions import (
    ApiException,
    ApiProtocolError,
    BadRequestException,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    OpenApiException,
    ResponseDecodeError,
    ServiceException,
    TooManyRequestsException,
    UnauthorizedException,
    UnprocessableEntityException,
)
from kenar_api_client.models.chat_api_conversation_send_message_body import ChatAPIConversationSendMessageBody
from kenar_api_client.models.finder_post_ext_state import FinderPostExtState
from kenar_api_client.retry import RetryPolicy
from kenar_api_client.testing import MockKenarServer

GET_POST = "finder_get_post"


# ---------------------------------------------------------------- broken bodies


def test_truncated_body_get_is_retried_and_succeeds(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, json={"token": "abc", "city": "tehran"}, fault="truncate")

    assert finder.finder_get_post("tok").token == "sample-token"
    assert len(server.requests) == 2
    assert sleeps == [0.5]


def test_truncated_body_on_every_attempt(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, json={"token": "abc", "city": "tehran"}, fault="truncate", times=5)

    with pytest.raises(ApiProtocolError) as caught:
        finder.finder_get_post("tok")

    error = sdk_error(caught.value, ApiProtocolError)
    assert error.attempts == 3
    assert "IncompleteRead" in str(error) and "after 3 attempts" in str(error)
    assert len(server.requests) == 3


def test_truncated_body_post_is_not_retried(server: MockKenarServer, chat: ChatAPIApi, sleeps):
    server.respond("chat_api_conversation_send_message", json={"message": "sent"}, fault="truncate")

    with pytest.raises(ApiProtocolError) as caught:
        chat.chat_api_conversation_send_message("c", ChatAPIConversationSendMessageBody(message="m"))

    assert sdk_error(caught.value, ApiProtocolError).attempts == 1
    assert len(server.requests) == 1


def test_malformed_json(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, fault="malformed")

    with pytest.raises(ResponseDecodeError) as caught:
        finder.finder_get_post("tok")

    error = sdk_error(caught.value, ResponseDecodeError)
    assert error.status == 200
    text = str(error)
    assert "200" in text and "invalid JSON" in text and "FinderGetPostResponse" in text
    assert '{"posts": [{"token": "abc", ' in text  # an excerpt of what came
    assert error.__cause__ is None and error.__suppress_context__  # no pydantic traceback attached
    assert len(server.requests) == 1  # the server answered: nothing to retry


def test_malformed_json_for_an_untyped_answer(server: MockKenarServer, client):
    # operations returning "object" are decoded with json, whose errors must not escape either
    from kenar_api_client.api.post_api import PostApi

    server.respond("post_delete_user_post", body=b"{not json")
    with pytest.raises(ResponseDecodeError) as caught:
        PostApi(client).post_delete_user_post("tok")
    assert "invalid JSON" in str(sdk_error(caught.value, ResponseDecodeError))


def test_json_that_does_not_fit_the_model(server: MockKenarServer, finder: FinderApi):
    server.respond(GET_POST, json={"token": 12345, "chat_enabled": "maybe"}, check=False)

    with pytest.raises(ResponseDecodeError) as caught:
        finder.finder_get_post("tok")

    text = str(sdk_error(caught.value, ResponseDecodeError))
    assert "token" in text and "chat_enabled" in text and "12345" in text


def test_wrong_content_type(server: MockKenarServer, finder: FinderApi):
    page = "<html><body>" + "Bad gateway, please wait. " * 200 + "</body></html>"
    server.respond(GET_POST, body=page, headers={"Content-Type": "text/html; charset=utf-8"})

    with pytest.raises(ResponseDecodeError) as caught:
        finder.finder_get_post("tok")

    error = sdk_error(caught.value, ResponseDecodeError)
    assert error.status == 200
    assert error.content_type == "text/html; charset=utf-8"
    text = str(error)
    assert "text/html" in text and "<html><body>Bad gateway" in text
    assert len(text) < 600 and f"({len(page)} bytes)" in text  # a short excerpt, not the page
    assert len(server.requests) == 1


def test_empty_200_body(server: MockKenarServer, finder: FinderApi):
    server.respond(GET_POST, body=b"")
    with pytest.raises(ResponseDecodeError, match="empty body"):
        finder.finder_get_post("tok")


def test_a_10_mb_body_decodes(server: MockKenarServer, finder: FinderApi):
    blob = "ک" * (5 * 1024 * 1024)  # two bytes each in UTF-8: 10 MB
    server.respond(GET_POST, json={"token": "big", "data": {"blob": blob}})

    post = finder.finder_get_post("tok")

    assert post.token == "big"
    assert post.data is not None and post.data["blob"] == blob
    assert len(server.requests) == 1


# ---------------------------------------------------------------- newer than the SDK


def test_unknown_enum_value_and_unknown_field_in_a_200(server: MockKenarServer, finder: FinderApi):
    server.respond(
        GET_POST,
        json={
            "token": "tok",
            "state": "ARCHIVED_BY_ROBOT",
            "brand_new_field": {"nested": [1, 2]},
            "business_data": {"business_ref": "b1", "another_new_one": True},
        },
        check=False,  # a value the API does not define (yet)
    )

    post = finder.finder_get_post("tok")

    assert isinstance(post.state, FinderPostExtState)
    assert post.state == "ARCHIVED_BY_ROBOT" and post.state.value == "ARCHIVED_BY_ROBOT"
    assert post.state.is_known is False
    assert post.brand_new_field == {"nested": [1, 2]}  # type: ignore[attr-defined]
    assert post.business_data is not None
    assert post.business_data.another_new_one is True  # type: ignore[attr-defined]
    assert post.to_dict()["brand_new_field"] == {"nested": [1, 2]}
    assert json.loads(post.to_json())["state"] == "ARCHIVED_BY_ROBOT"
    assert "ARCHIVED_BY_ROBOT" in repr(post)


def test_known_enum_values_stay_members(server: MockKenarServer, finder: FinderApi):
    server.respond(GET_POST, json={"state": "PUBLISHED"})
    post = finder.finder_get_post("tok")
    assert post.state is FinderPostExtState.PUBLISHED and post.state.is_known


def test_missing_optional_fields_are_none(server: MockKenarServer, finder: FinderApi):
    server.respond(GET_POST, json={})
    post = finder.finder_get_post("tok")
    assert post.token is None and post.state is None and post.business_data is None


# ---------------------------------------------------------------- error answers


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestException),
        (401, UnauthorizedException),
        (403, ForbiddenException),
        (404, NotFoundException),
        (409, ConflictException),
        (422, UnprocessableEntityException),
        (429, TooManyRequestsException),
        (500, ServiceException),
        (503, ServiceException),
        (418, ApiException),
    ],
)
def test_error_statuses_raise_typed_exceptions_with_the_rpc_status(server: MockKenarServer, client, status, cls):
    client.configuration.retries = RetryPolicy.none()
    details = [{"@type": "type.googleapis.com/google.rpc.BadRequest", "field": "token"}]
    server.respond(GET_POST, status=status, json={"code": 9, "message": f"said {status}", "details": details})

    with pytest.raises(ApiException) as caught:
        FinderApi(client).finder_get_post("tok")

    error = sdk_error(caught.value, cls)
    assert type(error) is cls
    assert error.status == status
    assert (error.code, error.message, error.details) == (9, f"said {status}", details)
    assert error.rpc_status is not None and error.rpc_status.message == f"said {status}"
    assert f"said {status}" in str(error)
    assert len(server.requests) == 1


def test_error_body_that_is_not_an_rpc_status(server: MockKenarServer, client):
    client.configuration.retries = RetryPolicy.none()
    server.respond(GET_POST, status=502, body="<html>bad gateway</html>", headers={"Content-Type": "text/html"})

    with pytest.raises(ServiceException) as caught:
        FinderApi(client).finder_get_post("tok")

    error = sdk_error(caught.value, ServiceException)
    assert (error.code, error.message, error.details, error.rpc_status) == (None, None, [], None)
    assert error.body == "<html>bad gateway</html>"


# ---------------------------------------------------------------- the official lower-level path


@pytest.mark.parametrize(
    ("body", "response_type", "expected"),
    [
        (b'{"token": 5}', "FinderGetPostResponse", "token"),
        (b"not json", "FinderGetPostResponse", "invalid JSON"),
        (b"\xff\xfe", "object", "utf-8"),
        (b'{"a": "b"}', "datetime", "datetime"),
        (b'"soon"', "datetime", "datetime"),
        (b'"x1"', "int", "int"),
    ],
)
def test_call_api_and_response_deserialize_raise_decode_errors(
    server: MockKenarServer, client, body, response_type, expected
):
    server.respond(GET_POST, body=body)
    method, url, headers, request_body, post_params = client.param_serialize(
        "GET", "/v1/open-platform/finder/post/{token}", path_params={"token": "tok"}, auth_settings=["APIKey"]
    )
    response = client.call_api(method, url, headers, request_body, post_params)
    response.read()

    with pytest.raises(ResponseDecodeError) as caught:
        client.response_deserialize(response, {"200": response_type})

    error = sdk_error(caught.value, ResponseDecodeError)
    assert error.status == 200 and expected in str(error)
    assert isinstance(error, ValueError)  # code that caught pydantic's ValidationError (a ValueError) still does


def test_response_deserialize_still_decodes_good_answers(server: MockKenarServer, client):
    server.respond(GET_POST, json={"token": "abc"})
    method, url, headers, request_body, post_params = client.param_serialize(
        "GET", "/v1/open-platform/finder/post/{token}", path_params={"token": "tok"}, auth_settings=["APIKey"]
    )
    response = client.call_api(method, url, headers, request_body, post_params)
    response.read()
    assert client.response_deserialize(response, {"200": "FinderGetPostResponse"}).data.token == "abc"


# ---------------------------------------------------------------- every fault, one family


FAULT_ANSWERS = {
    "reset": {"fault": "reset"},
    "close": {"fault": "close"},
    "truncate": {"fault": "truncate", "json": {"token": "t" * 100}},
    "malformed": {"fault": "malformed"},
    "hang": {"fault": "hang"},
    "html": {"body": "<html/>", "headers": {"Content-Type": "text/html"}},
    "empty": {"body": b""},
    "wrong-shape": {"json": {"message": ["not", "a", "string"]}, "check": False},
    "400": {"status": 400},
    "429": {"status": 429, "headers": {"Retry-After": "9999"}},
    "500": {"status": 500},
    "503-html": {"status": 503, "body": "<h1>down</h1>", "headers": {"Content-Type": "text/html"}},
}


@pytest.mark.parametrize("fault", sorted(FAULT_ANSWERS))
def test_every_fault_raises_an_sdk_exception(server: MockKenarServer, client, fault):
    # a POST and a GET through the same failure: whatever breaks, the caller sees one of ours
    client.configuration.timeout = 0.2
    client.configuration.retries = RetryPolicy.none()
    server.respond("chat_api_conversation_send_message", **FAULT_ANSWERS[fault])
    server.respond("chat_api_get_conversation", **FAULT_ANSWERS[fault])
    chat = ChatAPIApi(client)

    for call in (
        lambda: chat.chat_api_conversation_send_message("c", ChatAPIConversationSendMessageBody(message="m")),
        lambda: chat.chat_api_get_conversation("c"),
    ):
        with pytest.raises(OpenApiException) as caught:
            call()
        sdk_error(caught.value, OpenApiException)
    assert len(server.requests) == 2
