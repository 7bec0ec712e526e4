"""One request pipeline: the generated methods and the official low-level API share every step.

Each test runs real HTTP against the loopback mock server; the low-level path
(``param_serialize`` -> ``call_api`` -> ``response_deserialize``) is the way the
official SDK's generated methods call the client, and code written against it
must get the same credentials, token refresh, retries, decoding and errors.
"""

from __future__ import annotations

import logging
from typing import Any, Iterator, List, Tuple

import pytest

import kenar_api_client
from kenar_api_client._op_table import OPERATIONS
from kenar_api_client._op_types import CallOptions
from kenar_api_client.api_client import ApiClient, PreparedRequest
from kenar_api_client.configuration import Configuration
from kenar_api_client.exceptions import (
    ApiReadTimeoutError,
    NotFoundException,
    ResponseDecodeError,
    UnauthorizedException,
)
from kenar_api_client.oauth import OAuthToken
from kenar_api_client.retry import RetryPolicy
from kenar_api_client.testing import MockKenarServer

USERS = "/v1/open-platform/users"


@pytest.fixture
def server() -> Iterator[MockKenarServer]:
    with MockKenarServer(require_issued_tokens=True) as mock:
        yield mock


def _client_with_source(
    server: MockKenarServer, refreshed: List[OAuthToken], leeway_seconds: float = 60
) -> Tuple[ApiClient, OAuthToken]:
    """A client whose OAuth token comes from an OAuthTokenSource; the server already expired that token."""
    token = OAuthToken.from_dict(server.oauth.issue_token(["USER_ID", "offline_access"]))
    server.oauth.expire(token.access_token)  # the server gave up on it early; the app cannot know
    config = server.configuration(access_token=None)
    config.token_source = server.oauth_client().token_source(
        token, on_refresh=refreshed.append, leeway_seconds=leeway_seconds
    )
    return ApiClient(config), token


def _low_level_get_user(client: ApiClient, **extra: Any) -> Any:
    method, url, headers, body, post_params = client.param_serialize(
        "GET", USERS, header_params={"Accept": "application/json"}, auth_settings=["APIKey", "OAuth"], **extra
    )
    response = client.call_api(method, url, headers, body, post_params)
    return client.response_deserialize(response, {"200": "FinderUser"})


def test_official_low_level_path_refreshes_through_the_token_source(server: MockKenarServer) -> None:
    refreshed: List[OAuthToken] = []
    client, token = _client_with_source(server, refreshed)
    with client:
        result = _low_level_get_user(client)

    assert isinstance(result.data, kenar_api_client.FinderUser) and result.status_code == 200
    assert len(refreshed) == 1 and refreshed[0].access_token != token.access_token
    # one 401 for the dead token, one refresh, one resend that succeeds
    assert [r.headers["Authorization"] for r in server.requests] == [
        "Bearer " + token.access_token,
        "Bearer " + refreshed[0].access_token,
    ]
    assert len(server.oauth.token_requests) == 1


def test_both_paths_refresh_the_same_way(server: MockKenarServer) -> None:
    """The generated method and the low-level path: same requests, same refresh count."""
    refreshed: List[OAuthToken] = []
    client, token = _client_with_source(server, refreshed)
    with client:
        user = kenar_api_client.FinderApi(client).finder_get_user2()
        server.oauth.expire(refreshed[0].access_token)
        low = _low_level_get_user(client)
    assert user == low.data
    assert len(refreshed) == 2 and len(server.oauth.token_requests) == 2
    assert [r.headers["Authorization"] for r in server.requests] == [
        "Bearer " + token.access_token,
        "Bearer " + refreshed[0].access_token,
        "Bearer " + refreshed[0].access_token,
        "Bearer " + refreshed[1].access_token,
    ]


def test_low_level_refresh_happens_once_then_the_401_surfaces(server: MockKenarServer) -> None:
    refreshed: List[OAuthToken] = []
    # every refreshed token is dead on arrival (and the source does not know: no early refresh)
    client, _ = _client_with_source(server, refreshed, leeway_seconds=-3600)
    server.oauth.expires_in = 0
    with client, pytest.raises(UnauthorizedException):
        _low_level_get_user(client)
    assert len(server.requests) == 2
    assert len(server.oauth.token_requests) == 1


def test_a_token_the_caller_chose_is_not_refreshed(server: MockKenarServer) -> None:
    """_request_auth is the caller's credential: a 401 for it is theirs, the token source is not asked."""
    refreshed: List[OAuthToken] = []
    client, _ = _client_with_source(server, refreshed)
    auth = {"in": "header", "type": "oauth2", "key": "Authorization", "value": "made-up"}
    with client, pytest.raises(UnauthorizedException):
        _low_level_get_user(client, _request_auth=auth)
    assert [r.headers["Authorization"] for r in server.requests] == ["Bearer made-up"]
    assert refreshed == [] and server.oauth.token_requests == []


def test_update_params_for_auth_uses_the_token_source(server: MockKenarServer) -> None:
    refreshed: List[OAuthToken] = []
    client, token = _client_with_source(server, refreshed)
    with client:
        headers = {"Accept": "application/json"}
        client.update_params_for_auth(headers, [], ["APIKey", "OAuth"], USERS, "GET", None)
        assert headers["Authorization"] == "Bearer " + token.access_token
        assert headers["X-API-Key"] == "test-api-key"
        response = client.call_api("GET", server.url + USERS, headers)
        assert client.response_deserialize(response, {"200": "FinderUser"}).status_code == 200
    assert len(server.requests) == 2 and len(refreshed) == 1
    # and Configuration.auth_settings() tells the same credentials the requests carry
    assert client.configuration.auth_settings()["OAuth"]["value"] == "Bearer " + refreshed[0].access_token


def test_low_level_path_uses_the_same_retry_loop(server: MockKenarServer) -> None:
    sleeps: List[float] = []
    with server.api_client() as client:
        client.configuration.retries = RetryPolicy(sleep=sleeps.append, jitter=False)
        server.respond("finder_get_post", status=503)
        server.respond("finder_get_post", fault="reset")
        method, url, headers, body, post = client.param_serialize(
            "GET", "/v1/open-platform/finder/post/{token}", path_params={"token": "t"}, auth_settings=["APIKey"]
        )
        response = client.call_api(method, url, headers, body, post)
        assert response.status == 200 and response.attempts == 3
    assert sleeps == [0.5, 1.0]
    assert len(server.requests) >= 2  # the reset one may not be recorded


def test_both_paths_raise_the_same_errors(server: MockKenarServer) -> None:
    """Same decoder and same error mapping: the messages are identical."""
    with server.api_client() as client:
        finder = kenar_api_client.FinderApi(client)
        method, url, headers, body, post = client.param_serialize(
            "GET", "/v1/open-platform/finder/post/{token}", path_params={"token": "t"}, auth_settings=["APIKey"]
        )
        for answer in (
            {"body": b'{"token": 5}'},
            {"body": b"not json"},
            {"body": b"<html/>", "headers": {"Content-Type": "text/html"}},
            {"body": b""},
        ):
            server.respond("finder_get_post", **answer)
            with pytest.raises(ResponseDecodeError) as high:
                finder.finder_get_post("t")
            server.respond("finder_get_post", **answer)
            with pytest.raises(ResponseDecodeError) as low:
                client.response_deserialize(
                    client.call_api(method, url, headers, body, post), {"200": "FinderGetPostResponse"}
                )
            assert str(high.value) == str(low.value), answer
            assert high.value.__cause__ is None and low.value.__cause__ is None

        server.respond("finder_get_post", status=404, json={"code": 5, "message": "gone", "details": []})
        with pytest.raises(NotFoundException) as high_status:
            finder.finder_get_post("t")
        server.respond("finder_get_post", status=404, json={"code": 5, "message": "gone", "details": []})
        with pytest.raises(NotFoundException) as low_status:
            client.response_deserialize(
                client.call_api(method, url, headers, body, post), {"200": "FinderGetPostResponse"}
            )
        assert (high_status.value.code, high_status.value.message) == (low_status.value.code, low_status.value.message)


def test_response_deserialize_object_type_uses_the_same_decoder(server: MockKenarServer) -> None:
    with server.api_client() as client:
        server.respond("finder_get_post", body=b'{"a": [1, 2]}')
        method, url, headers, body, post = client.param_serialize(
            "GET", "/v1/open-platform/finder/post/{token}", path_params={"token": "t"}, auth_settings=["APIKey"]
        )
        assert client.response_deserialize(
            client.call_api(method, url, headers, body, post), {"200": "object"}
        ).data == {"a": [1, 2]}
        server.respond("finder_get_post", body=b"{not json")
        with pytest.raises(ResponseDecodeError, match="invalid JSON"):
            client.response_deserialize(client.call_api(method, url, headers, body, post), {"200": "object"})


def test_param_serialize_refuses_a_missing_or_empty_path_value_before_sending(server: MockKenarServer) -> None:
    with server.api_client() as client:
        with pytest.raises(kenar_api_client.ApiValueError, match="needs a value for 'token'"):
            client.param_serialize("GET", "/v1/open-platform/finder/post/{token}", path_params={})
        with pytest.raises(kenar_api_client.ApiValueError, match="must not be empty"):
            client.param_serialize("GET", "/v1/open-platform/finder/post/{token}", path_params={"token": ""})
    assert server.requests == []


# ---------------------------------------------------------------- options travel as one record


def test_build_request_keeps_its_short_form_and_takes_the_options_record(server: MockKenarServer) -> None:
    op = OPERATIONS["finder_get_post"]
    with server.api_client() as client:
        plain = client.build_request(op, ("t",))
        assert isinstance(plain, PreparedRequest)
        assert plain.url == server.url + "/v1/open-platform/finder/post/t"
        options = CallOptions(headers={"X-Trace": "1"}, content_type="text/plain")
        dressed = client.build_request(op, ("t",), options)
        assert dressed.headers["X-Trace"] == "1" and dressed.headers["Content-Type"] == "text/plain"
        assert "X-Trace" not in plain.headers
        response = client.send(dressed, options)
        assert response.status == 200 and server.last_request.headers["X-Trace"] == "1"
        assert server.requests == [server.last_request]


def test_send_takes_the_timeout_from_the_options_record(server: MockKenarServer) -> None:
    op = OPERATIONS["finder_get_post"]
    with server.api_client() as client:
        client.configuration.retries = RetryPolicy.none()
        server.respond("finder_get_post", delay=1.0)
        request = client.build_request(op, ("t",))
        with pytest.raises(ApiReadTimeoutError):
            client.send(request, CallOptions(timeout=(1.0, 0.2)))


def test_stream_leaves_the_body_unread(server: MockKenarServer) -> None:
    with server.api_client() as client:
        server.respond("finder_get_post", json={"token": "streamed"})
        raw = kenar_api_client.FinderApi(client).finder_get_post_without_preload_content("t")
        assert raw.status == 200
        assert raw.read() == b'{"token": "streamed"}'
        raw.release_conn()
        server.respond("finder_get_post", json={"token": "sent"})
        response = client.send(client.build_request(OPERATIONS["finder_get_post"], ("t",)), stream=True)
        assert response.data is None  # nothing read yet
        assert response.read() == b'{"token": "sent"}'
        response.release()


def test_token_source_refresh_is_logged_without_secrets(
    server: MockKenarServer, caplog: pytest.LogCaptureFixture
) -> None:
    refreshed: List[OAuthToken] = []
    client, token = _client_with_source(server, refreshed)
    caplog.set_level(logging.DEBUG, logger="kenar_api_client")
    with client:
        _low_level_get_user(client)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "'Authorization': '***'" in text
    for secret in (token.access_token, refreshed[0].access_token, "test-api-key"):
        assert secret not in text


def test_configuration_without_a_token_source_is_unchanged(server: MockKenarServer) -> None:
    config = Configuration(host=server.url, api_key={"APIKey": "k"}, access_token="plain")
    assert config.auth_settings()["OAuth"] == {
        "type": "oauth2",
        "in": "header",
        "key": "Authorization",
        "value": "Bearer plain",
    }
    assert config.auth_settings()["APIKey"]["value"] == "k"


@pytest.mark.parametrize("number", [float("nan"), float("inf"), -float("inf")])
def test_a_body_that_is_not_json_is_refused_before_sending(server: MockKenarServer, number: float) -> None:
    with server.api_client() as client:
        with pytest.raises(kenar_api_client.ApiValueError, match="cannot be sent as JSON"):
            kenar_api_client.ChatAPIApi(client).chat_api_generate_upload_token({"size": number})
        with pytest.raises(kenar_api_client.ApiValueError, match="cannot be sent as JSON"):
            client.call_api("POST", server.url + "/experimental/open-platform/chat/upload", {}, {"size": number})
    assert server.requests == []
