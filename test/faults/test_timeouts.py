"""Timeouts: a server that accepts and never answers cannot hang a call."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fault_helpers import sdk_error

from kenar_api_client.api.chat_api_api import ChatAPIApi
from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import DEFAULT_TIMEOUT, Configuration
from kenar_api_client.exceptions import ApiReadTimeoutError, ApiTimeoutError, ApiValueError, TransportError
from kenar_api_client.models.chat_api_conversation_send_message_body import ChatAPIConversationSendMessageBody
from kenar_api_client.retry import RetryPolicy
from kenar_api_client.testing import Answer, MockKenarServer, RecordedRequest

GET_POST = "finder_get_post"


def test_every_request_has_a_timeout_by_default():
    config = Configuration()
    assert config.timeout == DEFAULT_TIMEOUT == (10.0, 60.0)
    assert ApiClient(config).rest_client._timeout(config.timeout) is not None


def test_a_server_that_never_answers_times_out_within_the_configured_time(server: MockKenarServer, client, finder):
    client.configuration.timeout = 0.2
    client.configuration.retries = RetryPolicy.none()
    server.respond(GET_POST, fault="hang")

    started = time.monotonic()
    with pytest.raises(ApiReadTimeoutError) as caught:
        finder.finder_get_post("tok")
    elapsed = time.monotonic() - started

    error = sdk_error(caught.value, ApiReadTimeoutError)
    assert isinstance(error, ApiTimeoutError) and isinstance(error, TransportError)
    assert 0.2 <= elapsed < 1.5
    assert error.method == "GET" and "/v1/open-platform/finder/post/tok" in error.url
    assert "read timed out: GET http://127.0.0.1:" in str(error)
    assert len(server.requests) == 1


def test_a_get_that_times_out_is_retried(server: MockKenarServer, client, finder, sleeps):
    client.configuration.timeout = 0.2
    server.respond(GET_POST, fault="hang", times=5)

    with pytest.raises(ApiReadTimeoutError) as caught:
        finder.finder_get_post("tok")

    assert sdk_error(caught.value, ApiReadTimeoutError).attempts == 3
    assert "after 3 attempts" in str(caught.value)
    assert len(server.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_a_post_that_times_out_is_not_retried(server: MockKenarServer, client, sleeps):
    client.configuration.timeout = 0.2
    server.respond("chat_api_conversation_send_message", fault="hang")

    with pytest.raises(ApiReadTimeoutError) as caught:
        ChatAPIApi(client).chat_api_conversation_send_message("c", ChatAPIConversationSendMessageBody(message="m"))

    assert sdk_error(caught.value, ApiReadTimeoutError).attempts == 1
    assert len(server.requests) == 1  # it may have been delivered: never sent twice
    assert sleeps == []


def test_per_call_timeout_number(server: MockKenarServer, client, finder):
    client.configuration.timeout = 30
    client.configuration.retries = RetryPolicy.none()
    server.respond(GET_POST, fault="hang")

    started = time.monotonic()
    with pytest.raises(ApiReadTimeoutError):
        finder.finder_get_post("tok", _request_timeout=0.2)
    assert time.monotonic() - started < 1.5


def test_per_call_timeout_pair_is_connect_then_read(server: MockKenarServer, client, finder):
    client.configuration.timeout = 30
    client.configuration.retries = RetryPolicy.none()

    server.respond(GET_POST, fault="hang")
    started = time.monotonic()
    with pytest.raises(ApiReadTimeoutError):
        finder.finder_get_post("tok", _request_timeout=(30, 0.2))
    assert time.monotonic() - started < 1.5

    # a short connect timeout does not cut a slow answer short
    server.respond(GET_POST, json={"token": "slow"}, delay=0.4)
    assert finder.finder_get_post("tok", _request_timeout=(0.2, 30)).token == "slow"


def test_per_call_timeout_overrides_a_short_configured_one(server: MockKenarServer, client, finder):
    client.configuration.timeout = 0.1
    client.configuration.retries = RetryPolicy.none()
    server.respond(GET_POST, json={"token": "slow"}, delay=0.4, times=2)

    with pytest.raises(ApiReadTimeoutError):
        finder.finder_get_post("tok")
    assert finder.finder_get_post("tok", _request_timeout=5).token == "slow"


def test_explicit_none_means_no_timeout(server: MockKenarServer, client, finder):
    # the configured 0.1 s would fail this slow answer: None lifts it, only because the caller asked
    client.configuration.timeout = 0.1
    client.configuration.retries = RetryPolicy.none()
    server.respond(GET_POST, json={"token": "slow"}, delay=0.4)

    assert finder.finder_get_post("tok", _request_timeout=None).token == "slow"
    assert client.rest_client._timeout(None) is None


def test_configured_none_is_allowed_on_purpose(server: MockKenarServer, client, finder):
    client.configuration.timeout = None
    server.respond(GET_POST, json={"token": "slow"}, delay=0.2)
    assert finder.finder_get_post("tok").token == "slow"


@pytest.mark.parametrize("value", [-1, 0, "5", (1, 2, 3), (1,), True, (1, None), float("nan")])
def test_nonsense_timeouts_are_refused_before_sending(server: MockKenarServer, finder, value):
    with pytest.raises(ApiValueError, match="_request_timeout"):
        finder.finder_get_post("tok", _request_timeout=value)
    assert server.requests == []


@pytest.mark.parametrize("value", [-1, "5", (1, 2, 3), True])
def test_nonsense_configured_timeouts_are_refused(value):
    with pytest.raises(ApiValueError, match="timeout"):
        Configuration().timeout = value


def test_a_hung_server_does_not_block_other_threads(server: MockKenarServer, client):
    # one call hangs until its timeout while others on the same client go through
    client.configuration.timeout = 0.5
    client.configuration.retries = RetryPolicy.none()
    hanging = threading.Event()

    def answer(request: RecordedRequest) -> Any:
        if request.path_params["token"] != "hung":
            return {}
        hanging.set()
        return Answer(fault="hang")

    server.respond_with(GET_POST, answer)
    api = FinderApi(client)
    errors = []

    def hung() -> None:
        try:
            api.finder_get_post("hung")
        except TransportError as error:
            errors.append(error)

    thread = threading.Thread(target=hung)
    thread.start()
    assert hanging.wait(5), "the hanging request never reached the server"
    for _ in range(5):
        api.finder_get_post("other")
    # all five went through while the first call was still waiting for its answer
    assert thread.is_alive() and errors == []
    thread.join(5)
    assert len(errors) == 1 and isinstance(errors[0], ApiReadTimeoutError)
    assert [r.path_params["token"] for r in server.requests] == ["hung"] + ["other"] * 5
