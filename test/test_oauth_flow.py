"""OAuth over real HTTP: code exchange, refresh, errors, timeouts, and the token source under threads."""

from __future__ import annotations

import copy
import json
import logging
import socket
import threading
import traceback
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import urllib3

from kenar_api_client.configuration import Configuration
from kenar_api_client.exceptions import ApiConnectionError, ApiProtocolError, ApiReadTimeoutError, TransportError
from kenar_api_client.oauth import (
    OAuthClient,
    OAuthError,
    OAuthToken,
    OAuthTokenSource,
    OAuthValueError,
    parse_callback,
)
from kenar_api_client.testing import Answer, LoopbackServer, MockKenarServer, OAuthServer, RecordedRequest

CLIENT_ID = "kenar-test-app"
SECRET = "client-secret-Zq81xv0Lw"
REDIRECT = "http://127.0.0.1:8765/oauth/callback"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def server() -> Iterator[OAuthServer]:
    with OAuthServer(client_id=CLIENT_ID, client_secret=SECRET, redirect_uris=[REDIRECT]) as srv:
        yield srv


@pytest.fixture
def client(server: OAuthServer) -> Iterator[OAuthClient]:
    configuration = Configuration()
    configuration.timeout = 5
    with OAuthClient(
        CLIENT_ID,
        SECRET,
        REDIRECT,
        authorize_url=server.authorize_url,
        token_url=server.token_url,
        configuration=configuration,
    ) as oauth_client:
        yield oauth_client


def authorize(server: OAuthServer, client: OAuthClient, scopes: List[str]) -> str:
    """Play the user's browser: open the authorization URL and return the code from the redirect."""
    url, state = client.authorization_url(scopes)
    answer = urllib3.PoolManager().request("GET", url, redirect=False)
    assert answer.status == 302
    return parse_callback(answer.headers["Location"], state)


def expired_pair(server: OAuthServer) -> OAuthToken:
    """A pair the server knows, whose access token the client believes expired."""
    payload = server.issue_token(["USER_ID", "offline_access"])
    return OAuthToken.from_dict({**payload, "expires_at": datetime.now(timezone.utc) - timedelta(seconds=5)})


# ------------------------------------------------------------------ exchange and refresh


def test_code_exchange_sends_exactly_the_documented_form(server: OAuthServer, client: OAuthClient) -> None:
    code = authorize(server, client, ["USER_ID", "USER_PHONE", "offline_access"])
    before = datetime.now(timezone.utc)
    token = client.exchange_code(code)
    after = datetime.now(timezone.utc)

    request = server.token_requests[-1]
    assert request.method == "POST"
    assert request.headers["content-type"] == FORM
    assert request.form == {
        "grant_type": ["authorization_code"],
        "code": [code],
        "client_id": [CLIENT_ID],
        "client_secret": [SECRET],
        "redirect_uri": [REDIRECT],
    }
    assert list(request.form) == ["grant_type", "code", "client_id", "client_secret", "redirect_uri"]
    assert request.query == {}  # nothing secret in the URL

    assert server.is_valid(token.access_token, "USER_PHONE")
    assert token.refresh_token and token.refresh_token.startswith("rt-")
    assert token.token_type == "bearer"
    assert token.expires_in == 3600
    assert token.scope == "USER_ID USER_PHONE offline_access"
    assert token.scopes == ["USER_ID", "USER_PHONE", "offline_access"]
    assert token.expires_at is not None
    assert before + timedelta(seconds=3600) <= token.expires_at <= after + timedelta(seconds=3600)

    with pytest.raises(OAuthError) as info:  # a code works once
        client.exchange_code(code)
    assert info.value.status == 400 and info.value.error == "invalid_grant"


def test_refresh_rotates_both_tokens_and_sends_the_documented_form(server: OAuthServer, client: OAuthClient) -> None:
    token = client.exchange_code(authorize(server, client, ["USER_ID", "offline_access"]))
    fresh = client.refresh(token)
    request = server.token_requests[-1]
    assert list(request.form) == ["grant_type", "refresh_token", "client_id", "client_secret", "redirect_uri"]
    assert request.form == {
        "grant_type": ["refresh_token"],
        "refresh_token": [token.refresh_token],
        "client_id": [CLIENT_ID],
        "client_secret": [SECRET],
        "redirect_uri": [REDIRECT],
    }
    assert fresh.access_token != token.access_token
    assert fresh.refresh_token != token.refresh_token
    assert server.is_valid(fresh.access_token)
    # a bare refresh token string works too
    again = client.refresh(fresh.refresh_token or "")
    assert server.is_valid(again.access_token)
    assert server.token_requests[-1].form_field("refresh_token") == fresh.refresh_token


def test_refresh_keeps_scope_and_refresh_token_the_answer_leaves_out(server: OAuthServer, client: OAuthClient) -> None:
    token = OAuthToken("old-access", "old-refresh", scope="USER_ID offline_access", expires_in=1)
    server.enqueue(200, {"access_token": "new-access", "token_type": "bearer", "expires_in": "1800"})
    fresh = client.refresh(token)
    assert fresh.access_token == "new-access"
    assert fresh.refresh_token == "old-refresh"
    assert fresh.scope == "USER_ID offline_access"
    assert fresh.expires_in == 1800


def test_refresh_needs_a_refresh_token(server: OAuthServer, client: OAuthClient) -> None:
    with pytest.raises(OAuthValueError, match="offline_access"):
        client.refresh(OAuthToken("access-only"))
    with pytest.raises(OAuthValueError):
        client.refresh("")
    with pytest.raises(OAuthValueError):
        client.exchange_code("")
    assert server.token_requests == []


def test_exchange_refuses_a_bad_redirect_uri_before_sending(server: OAuthServer) -> None:
    bad = OAuthClient(CLIENT_ID, SECRET, REDIRECT + "?x=1", token_url=server.token_url)
    with pytest.raises(OAuthValueError):
        bad.exchange_code("some-code")
    assert server.token_requests == []


# ------------------------------------------------------------------ refusals and broken answers


def test_wrong_secret_gives_401_invalid_client(server: OAuthServer) -> None:
    wrong = OAuthClient(CLIENT_ID, "not-the-secret", REDIRECT, token_url=server.token_url)
    with pytest.raises(OAuthError) as info:
        wrong.exchange_code(server.issue_code())
    assert info.value.status == 401
    assert info.value.error == "invalid_client"
    assert info.value.error_description == "client authentication failed"
    assert "401" in str(info.value) and "invalid_client" in str(info.value)
    assert "not-the-secret" not in str(info.value) + repr(info.value)


def test_revoked_refresh_token_gives_400_invalid_grant(server: OAuthServer, client: OAuthClient) -> None:
    token = OAuthToken.from_dict(server.issue_token())
    server.revoke(token.refresh_token or "")
    with pytest.raises(OAuthError) as info:
        client.refresh(token)
    assert (info.value.status, info.value.error) == (400, "invalid_grant")
    assert token.refresh_token and token.refresh_token not in str(info.value)


def test_error_bodies_are_read_and_secrets_in_them_removed(server: OAuthServer, client: OAuthClient) -> None:
    server.enqueue(400, {"error": "invalid_request", "error_description": f"bad secret {SECRET}"})
    with pytest.raises(OAuthError) as info:
        client.refresh("rt-echoed-back")
    assert info.value.error == "invalid_request"
    assert info.value.error_description == "bad secret ***"
    assert SECRET not in str(info.value)

    server.enqueue(
        502, body="<html>upstream down; form was client_secret=" + SECRET + "&refresh_token=rt-echoed-back</html>"
    )
    with pytest.raises(OAuthError) as info:
        client.refresh("rt-echoed-back")
    assert info.value.status == 502 and info.value.error is None
    assert "upstream down" in str(info.value)
    assert SECRET not in str(info.value) and "rt-echoed-back" not in str(info.value)
    assert info.value.body is not None and "***" in info.value.body

    server.enqueue(401, {"code": 16, "message": "unauthenticated"})  # a googlerpcStatus-shaped answer
    with pytest.raises(OAuthError, match="unauthenticated") as info:
        client.refresh("rt-x")
    assert info.value.status == 401


@pytest.mark.parametrize(
    "body",
    [
        b"not json, but access_token=at-leaked-1234",
        b'["at-leaked-1234"]',
        b'{"token": "at-leaked-1234"}',
        b'{"access_token": "at-leaked-1234", "expires_in": "soon"}',
    ],
)
def test_unusable_2xx_answers_raise_without_showing_the_body(
    server: OAuthServer, client: OAuthClient, body: bytes
) -> None:
    server.enqueue(200, body=body, headers={"Content-Type": "application/json"})
    with pytest.raises(OAuthError) as info:
        client.exchange_code("a-code")
    assert info.value.error == "invalid_response" and info.value.status == 200
    assert "at-leaked-1234" not in str(info.value) + repr(info.value)


# ------------------------------------------------------------------ transport failures


def test_read_timeout_from_configuration_and_per_call(server: OAuthServer) -> None:
    configuration = Configuration()
    configuration.timeout = (2.0, 0.2)
    slow = OAuthClient(CLIENT_ID, SECRET, REDIRECT, token_url=server.token_url, configuration=configuration)
    server.enqueue(200, {"access_token": "late"}, delay=2)
    with pytest.raises(ApiReadTimeoutError) as info:
        slow.exchange_code("a-code")
    assert isinstance(info.value, TransportError)
    assert info.value.url == server.token_url

    server.enqueue(200, {"access_token": "late"}, delay=2)
    configuration.timeout = 30
    with pytest.raises(ApiReadTimeoutError):
        slow.refresh("rt-1", _request_timeout=0.2)


def test_connection_refused_and_dropped(server: OAuthServer, client: OAuthClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = OAuthClient(CLIENT_ID, SECRET, REDIRECT, token_url=f"http://127.0.0.1:{port}/oauth2/token")
    with pytest.raises(ApiConnectionError):
        closed.exchange_code("a-code")

    server.enqueue(drop=True)
    with pytest.raises(ApiProtocolError):
        client.exchange_code("a-code")


# ------------------------------------------------------------------ the token source


def test_fresh_token_is_handed_out_without_a_request(server: OAuthServer, client: OAuthClient) -> None:
    token = OAuthToken.from_dict(server.issue_token())
    source = client.token_source(token)
    assert source.get_access_token() == token.access_token
    assert source.token is token
    assert server.token_requests == []


def test_sixteen_threads_one_refresh(server: OAuthServer, client: OAuthClient) -> None:
    token = expired_pair(server)
    stored: List[OAuthToken] = []
    source = client.token_source(token, on_refresh=stored.append)
    server.token_delay = 0.2  # keep the refresh in flight while every thread arrives
    barrier = threading.Barrier(16)
    results: List[str] = []
    errors: List[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(source.get_access_token())
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(server.token_requests) == 1
    assert len(stored) == 1 and stored[0] is source.token
    assert results == [stored[0].access_token] * 16
    assert stored[0].access_token != token.access_token
    assert server.is_valid(stored[0].access_token)


def test_leeway_decides_when_to_refresh(server: OAuthServer, client: OAuthClient) -> None:
    now = [datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)]
    payload = server.issue_token()
    token = OAuthToken.from_dict({**payload, "expires_at": now[0] + timedelta(seconds=300)})
    source = OAuthTokenSource(client, token, leeway_seconds=120, clock=lambda: now[0])
    now[0] += timedelta(seconds=179)
    assert source.get_access_token() == token.access_token
    assert server.token_requests == []
    now[0] += timedelta(seconds=1)
    assert source.get_access_token() == token.access_token  # still valid: used while a refresh runs
    assert source.wait_for_refresh(5)
    assert source.get_access_token() != token.access_token
    assert len(server.token_requests) == 1


def test_expired_token_without_refresh_token_is_handed_out_as_is(server: OAuthServer, client: OAuthClient) -> None:
    token = OAuthToken("at-no-refresh", expires_at=datetime(2020, 1, 1, tzinfo=timezone.utc))
    source = client.token_source(token)
    assert source.get_access_token() == "at-no-refresh"
    assert source.refresh_after_unauthorized("at-no-refresh") is False
    assert server.token_requests == []


def test_refresh_after_unauthorized(server: OAuthServer, client: OAuthClient) -> None:
    token = OAuthToken.from_dict(server.issue_token())
    refreshed: List[OAuthToken] = []
    source = client.token_source(token, on_refresh=refreshed.append)
    assert source.refresh_after_unauthorized(token.access_token) is True
    assert len(server.token_requests) == 1 and len(refreshed) == 1
    # a late 401 for the token already replaced: retry with the new one, no second refresh
    assert source.refresh_after_unauthorized(token.access_token) is True
    assert len(server.token_requests) == 1
    assert source.get_access_token() == refreshed[0].access_token

    server.revoke(refreshed[0].refresh_token or "")
    assert source.refresh_after_unauthorized(refreshed[0].access_token) is False
    assert len(server.token_requests) == 2
    assert isinstance(source.last_refresh_error, OAuthError) and source.last_refresh_error.error == "invalid_grant"
    # the refused refresh token is not tried again
    assert source.refresh_after_unauthorized(refreshed[0].access_token) is False
    assert len(server.token_requests) == 2
    # until the app sets a new token
    source.token = OAuthToken.from_dict(server.issue_token())
    assert source.refresh_after_unauthorized(source.token.access_token) is True
    assert len(server.token_requests) == 3
    assert source.last_refresh_error is None


def test_server_trouble_after_a_401_is_raised(server: OAuthServer, client: OAuthClient) -> None:
    token = OAuthToken.from_dict(server.issue_token())
    source = client.token_source(token)
    server.enqueue(503, {"error": "temporarily_unavailable"})
    with pytest.raises(OAuthError) as info:
        source.refresh_after_unauthorized(token.access_token)
    assert info.value.status == 503
    assert source.refresh_after_unauthorized(token.access_token) is True  # not marked as refused
    assert len(server.token_requests) == 2


def test_refused_refresh_ahead_of_expiry_hands_out_the_old_token_once(
    server: OAuthServer, client: OAuthClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = expired_pair(server)
    server.revoke(token.refresh_token or "")
    source = client.token_source(token)
    assert source.get_access_token() == token.access_token  # the API will say 401
    assert source.get_access_token() == token.access_token
    assert len(server.token_requests) == 1
    assert any("refused the refresh" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_server_trouble_ahead_of_expiry(server: OAuthServer, client: OAuthClient) -> None:
    now = [datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)]
    token = OAuthToken.from_dict({**server.issue_token(), "expires_at": now[0] + timedelta(seconds=30)})
    source = OAuthTokenSource(client, token, clock=lambda: now[0])
    server.enqueue(500, body="oops")
    assert source.get_access_token() == token.access_token  # still valid: used, retried next time
    assert source.wait_for_refresh(5)
    now[0] += timedelta(seconds=30)
    server.enqueue(200, body="<html>not json</html>")
    with pytest.raises(OAuthError) as info:
        source.get_access_token()
    assert info.value.error == "invalid_response"
    assert server.is_valid(source.get_access_token())
    assert len(server.token_requests) == 3


def test_many_threads_rejected_together_refresh_once(server: OAuthServer, client: OAuthClient) -> None:
    token = OAuthToken.from_dict(server.issue_token())
    source = client.token_source(token)
    server.token_delay = 0.1
    barrier = threading.Barrier(8)
    answers: List[bool] = []

    def worker() -> None:
        barrier.wait()
        answers.append(source.refresh_after_unauthorized(token.access_token))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert answers == [True] * 8
    assert len(server.token_requests) == 1


def test_network_failure_before_expiry_keeps_the_current_token(server: OAuthServer, client: OAuthClient) -> None:
    now = [datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)]
    payload = server.issue_token()
    token = OAuthToken.from_dict({**payload, "expires_at": now[0] + timedelta(seconds=30)})
    source = OAuthTokenSource(client, token, leeway_seconds=60, clock=lambda: now[0])
    server.enqueue(drop=True)
    assert source.get_access_token() == token.access_token  # still valid for 30 s
    assert source.wait_for_refresh(5)
    assert len(server.token_requests) == 1
    now[0] += timedelta(seconds=31)
    server.enqueue(drop=True)
    with pytest.raises(ApiProtocolError):
        source.get_access_token()  # expired: nothing usable to fall back on
    assert source.get_access_token() != token.access_token  # the next call succeeds
    assert len(server.token_requests) == 3


def test_on_refresh_failure_reaches_the_caller_but_the_token_is_kept(server: OAuthServer, client: OAuthClient) -> None:
    def broken_store(_: OAuthToken) -> None:
        raise RuntimeError("database is down")

    source = client.token_source(expired_pair(server), on_refresh=broken_store)
    with pytest.raises(RuntimeError, match="database is down"):
        source.get_access_token()
    assert server.is_valid(source.get_access_token())
    assert len(server.token_requests) == 1


def test_configuration_copies_share_the_source(client: OAuthClient) -> None:
    source = client.token_source(OAuthToken("at"))
    configuration = Configuration()
    configuration.token_source = source
    assert copy.deepcopy(configuration).token_source is source
    assert copy.deepcopy(source) is source and copy.copy(source) is source


# ------------------------------------------------------------------ no secret in any log line


def test_no_secret_in_logs_errors_or_reprs(
    server: OAuthServer, client: OAuthClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("kenar_api_client", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    texts: List[str] = []
    secrets = [SECRET]

    code = authorize(server, client, ["USER_ID", "offline_access"])
    secrets.append(code)
    token = client.exchange_code(code)
    secrets += [token.access_token, token.refresh_token or ""]
    source = client.token_source(token)
    source.refresh_after_unauthorized(token.access_token)
    secrets += [source.token.access_token, source.token.refresh_token or ""]
    texts += [repr(token), str(token), repr(source), repr(client), repr(source.token)]

    server.enqueue(400, {"error": "invalid_grant", "error_description": "nope"})
    assert source.refresh_after_unauthorized(source.token.access_token) is False  # logs a warning
    server.enqueue(drop=True)
    try:
        client.refresh(source.token)
    except TransportError as exc:
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))]
    for bad in (f"code={code}&state=wrong", "error=access_denied&state=x"):
        try:
            parse_callback(bad, "expected")
        except OAuthError as exc:
            texts += [str(exc), repr(exc)]
    try:
        OAuthClient(CLIENT_ID, "wrong-secret-123", REDIRECT, token_url=server.token_url).refresh(token)
    except OAuthError as exc:
        texts += [str(exc), repr(exc)]
    secrets.append("wrong-secret-123")

    handler_format = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = [handler_format.format(record) for record in caplog.records]
    assert any("grant_type=refresh_token" in line for line in lines)  # the logs did say something
    assert any(record.levelno == logging.WARNING and "refused" in record.getMessage() for record in caplog.records)
    assert any(record.name.startswith("urllib3") for record in caplog.records)
    for text in lines + texts:
        for secret in secrets:
            assert secret and secret not in text, (secret, text)


# ------------------------------------------------------------------ end to end with the ApiClient


class _KenarStub(LoopbackServer):
    """GET /v1/open-platform/users, answering 401 unless the bearer token is one the OAuth server honours."""

    def __init__(self, oauth: OAuthServer, api_key: str) -> None:
        super().__init__()
        self.oauth = oauth
        self.api_key = api_key
        self.calls: List[Tuple[str, str]] = []  # (X-API-Key, Authorization) per request
        self.start()

    def answer(self, request: RecordedRequest) -> Answer:
        auth = request.headers.get("Authorization") or ""
        self.calls.append((request.headers.get("X-API-Key") or "", auth))
        grant = self.oauth.access_grant(auth[len("Bearer ") :]) if auth.startswith("Bearer ") else None
        if request.method != "GET" or request.path != "/v1/open-platform/users":
            return Answer(404, {"code": 5, "message": "not found", "details": []})
        if request.headers.get("X-API-Key") != self.api_key or grant is None:
            return Answer(401, {"code": 16, "message": "invalid access token", "details": []})
        payload: Dict[str, Any] = {"user_id": grant.user_id, "phone_numbers": []}
        if grant.has_scope("USER_PHONE"):
            payload["phone_number"] = "09120000000"
        return Answer(200, payload)


@pytest.fixture
def kenar(server: OAuthServer) -> Iterator[_KenarStub]:
    stub = _KenarStub(server, "api-key-1")
    yield stub
    stub.close()


def _finder(kenar: _KenarStub, source: OAuthTokenSource) -> object:
    import kenar_api_client

    configuration = Configuration(host=kenar.url, api_key={"APIKey": "api-key-1"})
    configuration.token_source = source
    return kenar_api_client.FinderApi(kenar_api_client.ApiClient(configuration))


def test_401_then_refresh_then_one_retry(
    server: OAuthServer, client: OAuthClient, kenar: _KenarStub, caplog: pytest.LogCaptureFixture
) -> None:
    token = client.exchange_code(authorize(server, client, ["USER_ID", "offline_access"]))
    server.expire(token.access_token)  # the server gave up on it early; the app cannot know
    stored: List[OAuthToken] = []
    finder = _finder(kenar, client.token_source(token, on_refresh=stored.append))
    caplog.set_level(logging.DEBUG)
    for name in ("kenar_api_client", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)

    user = finder.finder_get_user2()  # type: ignore[attr-defined]

    assert user.user_id == "test-user"
    assert len(stored) == 1
    assert kenar.calls == [
        ("api-key-1", "Bearer " + token.access_token),
        ("api-key-1", "Bearer " + stored[0].access_token),
    ]
    assert len(server.token_requests) == 2  # the exchange and one refresh
    lines = [logging.Formatter("%(name)s %(message)s").format(record) for record in caplog.records]
    assert any("/v1/open-platform/users" in line for line in lines)
    for secret in (token.access_token, token.refresh_token, stored[0].access_token, stored[0].refresh_token, SECRET):
        assert secret and not any(secret in line for line in lines), secret


def test_401_after_refresh_is_not_retried_again(server: OAuthServer, client: OAuthClient, kenar: _KenarStub) -> None:
    from kenar_api_client.exceptions import UnauthorizedException

    token = OAuthToken.from_dict(server.issue_token())
    server.expire(token.access_token)
    server.expires_in = 0  # every refreshed token is dead on arrival
    finder = _finder(kenar, client.token_source(token, leeway_seconds=-3600))
    with pytest.raises(UnauthorizedException) as info:
        finder.finder_get_user2()  # type: ignore[attr-defined]
    assert info.value.status == 401
    assert len(kenar.calls) == 2
    assert len(server.token_requests) == 1


def test_expired_token_refreshed_before_the_call(server: OAuthServer, client: OAuthClient, kenar: _KenarStub) -> None:
    source = client.token_source(expired_pair(server))
    user = _finder(kenar, source).finder_get_user2()  # type: ignore[attr-defined]
    assert user.user_id == "test-user"
    assert kenar.calls == [("api-key-1", "Bearer " + source.token.access_token)]
    assert len(server.token_requests) == 1


def test_expired_token_with_a_dead_refresh_token_surfaces_a_401(
    server: OAuthServer, client: OAuthClient, kenar: _KenarStub
) -> None:
    from kenar_api_client.exceptions import UnauthorizedException

    token = expired_pair(server)
    server.revoke(token.refresh_token or "")
    with pytest.raises(UnauthorizedException):
        _finder(kenar, client.token_source(token)).finder_get_user2()  # type: ignore[attr-defined]
    assert kenar.calls == [("api-key-1", "Bearer " + token.access_token)]
    assert len(server.token_requests) == 1


def test_401_with_a_dead_refresh_token_surfaces_the_401(
    server: OAuthServer, client: OAuthClient, kenar: _KenarStub
) -> None:
    from kenar_api_client.exceptions import UnauthorizedException

    token = OAuthToken.from_dict(server.issue_token())
    server.revoke(token.access_token)  # revokes the whole pair
    with pytest.raises(UnauthorizedException):
        _finder(kenar, client.token_source(token)).finder_get_user2()  # type: ignore[attr-defined]
    assert len(kenar.calls) == 1
    assert len(server.token_requests) == 1


def test_the_guide_example_runs(server: OAuthServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/guides/oauth.md's example, run against the loopback servers instead of Divar."""
    import re
    from pathlib import Path

    import kenar_api_client.configuration

    guide = (Path(__file__).resolve().parent.parent / "docs" / "guides" / "oauth.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", guide, re.S)
    assert example is not None
    defaults = OAuthClient.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "authorize_url", server.authorize_url)
    monkeypatch.setitem(defaults, "token_url", server.token_url)
    namespace: Dict[str, Any] = {}
    exec(compile(example.group(1), "oauth.md", "exec"), namespace)
    oauth = namespace["oauth"]
    server.client_id, server.client_secret = oauth.client_id, oauth._client_secret
    server.redirect_uris = [oauth.redirect_uri]
    kenar = _KenarStub(server, namespace["API_KEY"])
    monkeypatch.setattr(kenar_api_client.configuration, "DEFAULT_HOST", kenar.url)
    try:
        session: Dict[str, str] = {}
        url = namespace["start_login"](session)
        location = urllib3.PoolManager().request("GET", url, redirect=False).headers["Location"]
        namespace["finish_login"](session, "user-1", location)
        assert session == {}
        stored = json.loads(namespace["TOKENS"]["user-1"])
        assert stored["scope"] == "USER_ID USER_PHONE offline_access"
        assert namespace["phone_number_of"]("user-1") == "09120000000"

        server.expire(stored["access_token"])  # a 401, a refresh, a retry, and the new pair stored
        assert namespace["phone_number_of"]("user-1") == "09120000000"
        rotated = json.loads(namespace["TOKENS"]["user-1"])
        assert rotated["refresh_token"] != stored["refresh_token"]
        assert len(kenar.calls) == 3

        namespace["refresh_now"]("user-1")
        assert json.loads(namespace["TOKENS"]["user-1"])["refresh_token"] != rotated["refresh_token"]
        assert [r.form_field("grant_type") for r in server.token_requests] == [
            "authorization_code",
            "refresh_token",
            "refresh_token",
        ]
    finally:
        kenar.close()


def test_the_guide_testing_example_runs() -> None:
    """docs/guides/oauth.md's Testing section, run as printed."""
    import re
    from pathlib import Path

    guide = (Path(__file__).resolve().parent.parent / "docs" / "guides" / "oauth.md").read_text(encoding="utf-8")
    section = guide[guide.index("## Testing") :]
    example = re.search(r"```python\n(.*?)```", section, re.S)
    assert example is not None and "MockKenarServer" in example.group(1)
    namespace: Dict[str, Any] = {}
    exec(compile(example.group(1), "oauth.md#testing", "exec"), namespace)
    assert isinstance(namespace["server"], MockKenarServer)
    assert namespace["server"].oauth.redirect_uris == [namespace["REDIRECT"]]
