"""OAuth against a misbehaving token endpoint (the OAuth test server on 127.0.0.1).

A slow endpoint holds up only callers that have no valid token; an unusable
``expires_in`` is an ``OAuthError``; a token with a tiny lifetime costs one
refresh per burst, not one per call; a huge error body is read only in part.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, List

import pytest
from fault_helpers import peak_rss_growth_of

from kenar_api_client._oauth_server import OAuthServer
from kenar_api_client.api.chat_api_api import ChatAPIApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import Configuration
from kenar_api_client.exceptions import ApiReadTimeoutError
from kenar_api_client.oauth import MAX_EXPIRES_IN, OAuthClient, OAuthError, OAuthToken, OAuthValueError
from kenar_api_client.rest import ERROR_BODY_LIMIT
from kenar_api_client.testing import MockKenarServer

CLIENT_ID = "kenar-test-app"
SECRET = "client-secret-Zq81xv0Lw"
REDIRECT = "http://127.0.0.1:8765/oauth/callback"


@pytest.fixture
def provider() -> Iterator[OAuthServer]:
    with OAuthServer(client_id=CLIENT_ID, client_secret=SECRET, redirect_uris=[REDIRECT]) as srv:
        yield srv


def oauth_client(provider: OAuthServer, **settings: Any) -> OAuthClient:
    config = Configuration()
    config.timeout = 5
    for name, value in settings.items():
        setattr(config, name, value)
    return OAuthClient(
        CLIENT_ID,
        SECRET,
        REDIRECT,
        authorize_url=provider.authorize_url,
        token_url=provider.token_url,
        configuration=config,
    )


def pair(provider: OAuthServer, expires_in_seconds: float) -> OAuthToken:
    payload = provider.issue_token(["USER_ID", "offline_access"])
    return OAuthToken.from_dict(
        {**payload, "expires_at": datetime.now(timezone.utc) + timedelta(seconds=expires_in_seconds)}
    )


# ---------------------------------------------------------------- item 4: a slow token endpoint


def test_a_slow_refresh_holds_up_no_caller_that_has_a_valid_token(provider: OAuthServer, server: MockKenarServer):
    provider.token_delay = 1.5
    token = pair(provider, 30)  # valid, but inside the 60 s leeway: a refresh is due
    client = oauth_client(provider)
    source = client.token_source(token)
    config = server.configuration()
    config.token_source = source
    waits: List[float] = []
    handing_out = source.get_access_token

    def timed() -> str:  # how long each call waited for its token
        started = time.monotonic()
        try:
            return handing_out()
        finally:
            waits.append(time.monotonic() - started)

    source.get_access_token = timed  # type: ignore[method-assign]
    barrier = threading.Barrier(16)

    with ApiClient(config) as api_client:
        chat = ChatAPIApi(api_client)

        def call(_: int) -> None:
            barrier.wait()
            chat.chat_api_get_conversation("conv-1")

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(call, range(16)))

    assert len(waits) == 16 and max(waits) < 0.3, waits  # nobody waited for the 1.5 s refresh
    sent = [r.headers.get("Authorization") for r in server.requests]
    assert sent == [f"Bearer {token.access_token}"] * 16  # the current, still valid token
    assert source.wait_for_refresh(5)
    assert len(provider.token_requests) == 1  # one background refresh for the burst
    assert source.token.access_token != token.access_token and provider.is_valid(source.token.access_token)
    client.close()


def test_callers_without_a_valid_token_wait_at_most_one_token_deadline(provider: OAuthServer):
    provider.token_delay = 3  # longer than the deadline
    client = oauth_client(provider, deadline=0.5)
    source = client.token_source(pair(provider, -5))  # expired: these callers must wait
    barrier = threading.Barrier(8)
    errors: List[BaseException] = []

    def call() -> None:
        barrier.wait()
        try:
            source.get_access_token()
        except BaseException as error:  # checked below
            errors.append(error)

    started = time.monotonic()
    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    elapsed = time.monotonic() - started

    assert len(errors) == 8 and all(isinstance(e, ApiReadTimeoutError) for e in errors)
    assert elapsed < 0.5 + 0.6  # one token request's deadline, shared: not 8 of them in turn
    assert len(provider.token_requests) == 1
    client.close()


def test_threads_rejected_together_share_one_failed_refresh(provider: OAuthServer):
    provider.token_delay = 0.3
    provider.enqueue(503, {"error": "temporarily_unavailable"})
    client = oauth_client(provider)
    token = pair(provider, 3600)
    source = client.token_source(token)
    barrier = threading.Barrier(8)
    outcomes: List[Any] = []

    def rejected() -> None:
        barrier.wait()
        try:
            outcomes.append(source.refresh_after_unauthorized(token.access_token))
        except OAuthError as error:
            outcomes.append(error.status)

    started = time.monotonic()
    threads = [threading.Thread(target=rejected) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcomes == [503] * 8
    assert len(provider.token_requests) == 1 and time.monotonic() - started < 0.3 * 2 + 0.5  # not 8 in turn
    client.close()


# ---------------------------------------------------------------- item 6: expires_in


@pytest.mark.parametrize(
    "expires_in",
    [b"1e20", b"1e309", b'"1e309"', b"Infinity", b"-Infinity", b"NaN", b'"NaN"', b'"12abc"', b"true", b"[1]"],
)
def test_an_unusable_expires_in_is_an_oauth_error(provider: OAuthServer, expires_in: bytes):
    client = oauth_client(provider)
    token = pair(provider, 3600)
    for action in ("refresh", "exchange"):
        provider.enqueue(
            200, body=b'{"access_token": "at-1", "token_type": "bearer", "expires_in": ' + expires_in + b"}"
        )
        with pytest.raises(OAuthError) as caught:
            client.refresh(token) if action == "refresh" else client.exchange_code("some-code")
        assert caught.value.error == "invalid_response" and "expires_in" in str(caught.value)
    client.close()


def test_reasonable_expires_in_values_are_read(provider: OAuthServer):
    client = oauth_client(provider)
    for raw, seconds in ((b"3600", 3600), (b'"3600"', 3600), (b"3600.7", 3600), (b"0", 0), (b"-30", -30)):
        provider.enqueue(200, body=b'{"access_token": "at-1", "expires_in": ' + raw + b"}")
        assert client.refresh(pair(provider, 3600)).expires_in == seconds
    client.close()


def test_tokens_built_by_hand_refuse_unusable_lifetimes():
    for bad in (1e20, float("inf"), float("nan"), MAX_EXPIRES_IN + 1):
        with pytest.raises(OAuthValueError):
            OAuthToken("at", expires_in=bad)  # type: ignore[arg-type]
    with pytest.raises(OAuthValueError):
        OAuthToken.from_dict({"access_token": "at", "expires_at": 1e20})


@pytest.mark.parametrize("lifetime", [0, -60, 30])
def test_a_burst_with_a_short_lived_token_makes_one_refresh(provider: OAuthServer, lifetime: int):
    client = oauth_client(provider)
    source = client.token_source(pair(provider, -5))  # expired: the first call refreshes
    provider.enqueue(200, {"access_token": "short-lived", "refresh_token": "rt-2", "expires_in": lifetime})
    tokens = [source.get_access_token() for _ in range(80)]
    assert source.wait_for_refresh(5)
    assert tokens == ["short-lived"] * 80
    assert len(provider.token_requests) == 1
    client.close()


# ---------------------------------------------------------------- item 7: a huge error body


def test_a_50_mb_oauth_error_body_is_read_only_in_part(provider: OAuthServer):
    body = '{"error": "invalid_grant", "error_description": "' + "x" * (50 * 1024 * 1024) + '"}'
    provider.enqueue(400, body=body)
    client = oauth_client(provider)
    started = time.monotonic()
    with pytest.raises(OAuthError) as caught:
        client.refresh(pair(provider, 3600))
    assert time.monotonic() - started < 1.0
    assert caught.value.status == 400 and caught.value.body is not None and len(caught.value.body) <= 300
    assert ERROR_BODY_LIMIT <= 64 * 1024
    client.close()


def test_a_50_mb_oauth_error_body_costs_little_memory(provider: OAuthServer):
    body = '{"error": "invalid_grant", "error_description": "' + "x" * (50 * 1024 * 1024) + '"}'
    provider.enqueue(400, body=body)
    code = f"""
import sys
from datetime import datetime, timedelta, timezone
from kenar_api_client.configuration import Configuration
from kenar_api_client.oauth import OAuthClient, OAuthError, OAuthToken

def prepare():
    global client, token
    client = OAuthClient({CLIENT_ID!r}, {SECRET!r}, {REDIRECT!r}, token_url=sys.argv[1], configuration=Configuration())
    token = OAuthToken("at", refresh_token="rt", expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
    client._transport()

def run():
    try:
        client.refresh(token)
    except OAuthError as error:
        return error.status
"""
    growth, output = peak_rss_growth_of(code, provider.token_url)
    assert output == "400"
    assert growth < 8 * 1024 * 1024, f"peak RSS grew by {growth / 1048576:.1f} MiB"
