"""OAuth without the transport: URLs, callbacks, scopes, tokens and the loopback server's rules."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3

from kenar_api_client._oauth_server import HttpAnswer, OAuthProvider, OAuthServer
from kenar_api_client.exceptions import ApiValueError, OpenApiException
from kenar_api_client.oauth import (
    DEFAULT_AUTHORIZE_URL,
    DEFAULT_TOKEN_URL,
    OAuthClient,
    OAuthError,
    OAuthToken,
    OAuthValueError,
    Scope,
    parse_callback,
)

REDIRECT = "https://app.example/kenar/callback"
SECRET = "s3cr3t-client-secret-value"


def make_client(redirect_uri: str = REDIRECT, **kwargs: object) -> OAuthClient:
    return OAuthClient("my-app-slug", SECRET, redirect_uri, **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------ authorization URL


def test_authorization_url_has_every_parameter_encoded() -> None:
    url, state = make_client().authorization_url(
        ["USER_PHONE", Scope("POST_ADDON_CREATE", "AZTH74V2"), "offline_access"]
    )
    assert url.startswith(DEFAULT_AUTHORIZE_URL + "?")
    query = url.split("?", 1)[1]
    # order and exact encoding: redirect_uri fully escaped, scopes joined with %20
    assert query == (
        "response_type=code&client_id=my-app-slug"
        "&redirect_uri=https%3A%2F%2Fapp.example%2Fkenar%2Fcallback"
        "&scope=USER_PHONE%20POST_ADDON_CREATE.AZTH74V2%20offline_access"
        f"&state={state}"
    )
    assert "+" not in query
    assert parse_qs(query)["scope"] == ["USER_PHONE POST_ADDON_CREATE.AZTH74V2 offline_access"]


def test_state_is_random_and_url_safe_unless_given() -> None:
    client = make_client()
    states = {client.authorization_url(["USER_ID"])[1] for _ in range(50)}
    assert len(states) == 50
    for state in states:
        assert len(state) >= 32
        assert all(ch.isalnum() or ch in "-_" for ch in state)
    url, state = client.authorization_url("USER_ID", state="my state/1")
    assert state == "my state/1"
    assert url.endswith("&state=my%20state%2F1")


def test_single_scope_and_duplicates() -> None:
    url, _ = make_client().authorization_url(Scope("CHAT_POST_CONVERSATIONS_READ", "wXyZ123"))
    assert "scope=CHAT_POST_CONVERSATIONS_READ.wXyZ123&" in url
    url, _ = make_client().authorization_url(["USER_ID", Scope("USER_ID"), "USER_ID"])
    assert "scope=USER_ID&" in url


def test_authorize_url_with_its_own_query_gets_an_ampersand() -> None:
    client = make_client(authorize_url="https://sso.example/auth?tenant=divar")
    url, _ = client.authorization_url(["USER_ID"])
    assert url.startswith("https://sso.example/auth?tenant=divar&response_type=code&")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://app.example/cb?next=/home",
        "https://app.example/cb?",
        "https://app.example/cb#frag",
        "/relative/cb",
        "ftp://app.example/cb",
        "",
        "https://app.example/cb\r\nX: y",
    ],
)
def test_bad_redirect_uri_is_refused(redirect_uri: str) -> None:
    client = make_client(redirect_uri)
    with pytest.raises(OAuthValueError) as info:
        client.authorization_url(["USER_ID"])
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, ApiValueError)
    assert isinstance(info.value, OAuthError)
    assert "redirect_uri" in str(info.value)


def test_query_in_redirect_uri_message_says_why() -> None:
    with pytest.raises(OAuthValueError, match="query string"):
        make_client("https://app.example/cb?x=1").authorization_url(["USER_ID"])


@pytest.mark.parametrize(
    "scopes, fragment",
    [
        (["USER_ID USER_PHONE"], "whitespace"),
        (["USER_ID\t"], "whitespace"),
        ("USER_ID USER_PHONE", "whitespace"),
        ([""], "empty"),
        ([], "at least one scope"),
        (['USER"ID'], "characters"),
        ([42], "must be a string"),
    ],
)
def test_bad_scopes_are_refused(scopes: object, fragment: str) -> None:
    with pytest.raises(OAuthValueError, match=fragment):
        make_client().authorization_url(scopes)  # type: ignore[arg-type]


def test_bad_state_is_refused() -> None:
    with pytest.raises(OAuthValueError):
        make_client().authorization_url(["USER_ID"], state="")


def test_constructor_checks() -> None:
    with pytest.raises(OAuthValueError):
        OAuthClient("", SECRET, REDIRECT)
    with pytest.raises(OAuthValueError):
        OAuthClient("app", "", REDIRECT)
    with pytest.raises(OAuthValueError):
        OAuthClient("app", SECRET, REDIRECT, token_url="oauth.divar.ir/oauth2/token")
    client = make_client()
    assert client.token_url == DEFAULT_TOKEN_URL
    assert client.authorize_url == DEFAULT_AUTHORIZE_URL
    assert client.client_id == "my-app-slug"
    assert client.redirect_uri == REDIRECT


# ------------------------------------------------------------------ scopes


def test_scope_str_and_parse() -> None:
    assert str(Scope("USER_PHONE")) == "USER_PHONE"
    assert str(Scope("POST_EDIT", "AZTH74V2")) == "POST_EDIT.AZTH74V2"
    assert Scope.parse("POST_EDIT.AZTH74V2") == Scope("POST_EDIT", "AZTH74V2")
    assert Scope.parse("USER_ID") == Scope("USER_ID")
    for bad in (("USER ID",), ("",), ("POST.EDIT",), ("POST_EDIT", "A B"), ("POST_EDIT", "")):
        with pytest.raises(OAuthValueError):
            Scope(*bad)


# ------------------------------------------------------------------ callback


def test_callback_accepts_url_path_query_and_mapping() -> None:
    expected = "state-123"
    assert parse_callback(f"{REDIRECT}?code=abc&state={expected}", expected) == "abc"
    assert parse_callback(f"/kenar/callback?state={expected}&code=abc", expected) == "abc"
    assert parse_callback(f"?code=abc&state={expected}", expected) == "abc"
    assert parse_callback(f"code=abc&state={expected}", expected) == "abc"
    assert parse_callback({"code": "abc", "state": expected}, expected) == "abc"
    assert parse_callback({"code": ["abc"], "state": [expected]}, expected) == "abc"
    assert parse_callback(f"{REDIRECT}?code=a%2Bb%20c&state={expected}#x", expected) == "a+b c"
    assert make_client().parse_callback(f"code=abc&state={expected}", expected) == "abc"


def test_callback_refused_by_user() -> None:
    with pytest.raises(OAuthError) as info:
        parse_callback(f"{REDIRECT}?error=access_denied&error_description=User+said+no&state=s", "s")
    assert info.value.error == "access_denied"
    assert info.value.error_description == "User said no"
    assert info.value.status is None
    assert "refused" in str(info.value) and "User said no" in str(info.value)
    assert isinstance(info.value, OpenApiException)


def test_callback_without_code_is_a_refusal() -> None:
    with pytest.raises(OAuthError, match="no authorization code") as info:
        parse_callback(f"{REDIRECT}?state=s", "s")
    assert info.value.error == "access_denied"
    with pytest.raises(OAuthError, match="no authorization code"):
        parse_callback(f"{REDIRECT}?state=s&code=", "s")


def test_callback_other_error() -> None:
    with pytest.raises(OAuthError, match="invalid_scope") as info:
        parse_callback("error=invalid_scope&state=s", "s")
    assert info.value.error == "invalid_scope"


def test_callback_with_wrong_or_missing_state() -> None:
    with pytest.raises(OAuthError, match="does not match") as info:
        parse_callback(f"{REDIRECT}?code=abc&state=other", "expected")
    assert info.value.error == "invalid_state"
    assert "abc" not in str(info.value)
    with pytest.raises(OAuthError, match="no state"):
        parse_callback(f"{REDIRECT}?code=abc", "expected")
    with pytest.raises(OAuthError, match="does not match"):
        parse_callback(f"{REDIRECT}?code=abc&state=", "expected")
    with pytest.raises(OAuthError, match="more than once"):
        parse_callback(f"{REDIRECT}?code=abc&state=expected&state=evil", "expected")


def test_callback_state_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    calls = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert parse_callback("code=c&state=xyz", "xyz") == "c"
    assert calls == [(b"xyz", b"xyz")]


def test_callback_needs_an_expected_state() -> None:
    with pytest.raises(OAuthValueError):
        parse_callback("code=abc&state=", "")
    with pytest.raises(OAuthValueError):
        parse_callback(12, "s")  # type: ignore[arg-type]


# ------------------------------------------------------------------ tokens


def test_token_expiry_and_scopes() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    token = OAuthToken("at", "rt", "bearer", 3600, "USER_ID offline_access", now + timedelta(seconds=3600))
    assert token.scopes == ["USER_ID", "offline_access"]
    assert not token.is_expired(now=now)
    assert not token.is_expired(now=now + timedelta(seconds=3539))
    assert token.is_expired(now=now + timedelta(seconds=3540))
    assert not token.is_expired(leeway_seconds=0, now=now + timedelta(seconds=3599))
    assert token.is_expired(leeway_seconds=0, now=now + timedelta(seconds=3600))
    # naive datetimes are read as UTC
    assert token.is_expired(now=datetime(2026, 1, 1, 13, 0))


def test_expires_at_counted_from_creation() -> None:
    before = datetime.now(timezone.utc)
    token = OAuthToken("at", expires_in=120)
    after = datetime.now(timezone.utc)
    assert token.expires_at is not None and token.expires_at.tzinfo is not None
    assert before + timedelta(seconds=120) <= token.expires_at <= after + timedelta(seconds=120)
    assert OAuthToken("at").expires_at is None
    assert not OAuthToken("at").is_expired()
    assert OAuthToken("at").scopes == []


def test_token_round_trips_through_json() -> None:
    token = OAuthToken("at-1", "rt-1", "bearer", 3600, "USER_ID", datetime(2026, 5, 1, 8, 30, tzinfo=timezone.utc))
    stored = json.loads(json.dumps(token.to_dict()))
    assert stored["expires_at"] == "2026-05-01T08:30:00+00:00"
    assert OAuthToken.from_dict(stored) == token
    assert OAuthToken.from_dict({**stored, "expires_at": "2026-05-01T08:30:00Z"}) == token
    assert OAuthToken.from_dict({**stored, "expires_at": token.expires_at.timestamp()}) == token  # type: ignore[union-attr]
    assert OAuthToken.from_dict({**stored, "unknown": 1}) == token
    fresh = OAuthToken.from_dict({"access_token": "x", "expires_in": "60"})
    assert fresh.expires_in == 60 and fresh.expires_at is not None and fresh.token_type == "bearer"
    bad: object
    for bad in ({"expires_in": 1}, {"access_token": ""}, {"access_token": "x", "expires_at": "soon"}, []):
        with pytest.raises(OAuthValueError):
            OAuthToken.from_dict(bad)  # type: ignore[arg-type]


def test_token_and_client_reprs_hide_secrets() -> None:
    token = OAuthToken("ACCESS-abcdef", "REFRESH-ghijkl", scope="USER_ID", expires_in=10)
    client = make_client()
    source = client.token_source(token)
    for text in (repr(token), str(token), repr(client), str(client), repr(source), str(source)):
        for secret in ("ACCESS-abcdef", "REFRESH-ghijkl", SECRET):
            assert secret not in text
    assert "access_token=***" in repr(token) and "refresh_token=***" in repr(token) and "USER_ID" in repr(token)
    assert "refresh_token=None" in repr(OAuthToken("ACCESS-abcdef"))


# ------------------------------------------------------------------ the loopback server


def test_server_authorize_redirects_with_code_and_state() -> None:
    with OAuthServer(client_id="my-app-slug", client_secret=SECRET, redirect_uris=[REDIRECT]) as server:
        client = make_client(authorize_url=server.authorize_url, token_url=server.token_url)
        url, state = client.authorization_url(["USER_ID", "offline_access"])
        http = urllib3.PoolManager()
        answer = http.request("GET", url, redirect=False)
        assert answer.status == 302
        location = answer.headers["Location"]
        assert location.startswith(REDIRECT + "?")
        code = parse_callback(location, state)
        assert code.startswith("code-")
        recorded = server.authorize_requests[-1]
        assert recorded.query_param("redirect_uri") == REDIRECT
        assert recorded.query_param("scope") == "USER_ID offline_access"

        server.consent = "deny"
        location = http.request("GET", url, redirect=False).headers["Location"]
        with pytest.raises(OAuthError, match="refused") as info:
            parse_callback(location, state)
        assert info.value.error == "access_denied"

        bad = make_client("https://evil.example/cb", authorize_url=server.authorize_url)
        answer = http.request("GET", bad.authorization_url(["USER_ID"])[0], redirect=False)
        assert answer.status == 400 and "Location" not in answer.headers


def test_provider_handles_requests_without_sockets() -> None:
    provider = OAuthProvider(redirect_uris=[REDIRECT])
    assert provider.handle("GET", "/v1/open-platform/users", {}) is None
    code = provider.issue_code(["USER_ID"])
    body = (
        f"grant_type=authorization_code&code={code}&client_id={provider.client_id}"
        f"&client_secret={provider.client_secret}&redirect_uri={REDIRECT}"
    ).encode()
    answer = provider.handle("POST", "/oauth2/token", {"Content-Type": "application/x-www-form-urlencoded"}, body)
    assert isinstance(answer, HttpAnswer) and answer.status == 200
    payload = json.loads(answer.body)
    assert provider.is_valid(payload["access_token"], "USER_ID")
    assert not provider.is_valid(payload["access_token"], "USER_PHONE")
    assert "refresh_token" not in payload  # no offline_access asked
    again = provider.handle("POST", "/oauth2/token", {"Content-Type": "application/x-www-form-urlencoded"}, body)
    assert again is not None and again.status == 400
    assert json.loads(again.body)["error"] == "invalid_grant"


def test_provider_clock_rotation_grace_and_revocation() -> None:
    provider = OAuthProvider(redirect_uris=[REDIRECT], expires_in=100, grace_seconds=120, clock=lambda: 1000.0)
    first = provider.issue_token()
    assert provider.is_valid(first["access_token"])
    provider.advance(99)
    assert provider.is_valid(first["access_token"])
    provider.advance(1)
    assert not provider.is_valid(first["access_token"])

    pair = provider.issue_token()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": pair["refresh_token"],
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "redirect_uri": REDIRECT,
    }
    from urllib.parse import urlencode

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = provider.handle("POST", "/oauth2/token", headers, urlencode(form).encode())
    assert answer is not None and answer.status == 200
    rotated = json.loads(answer.body)
    assert rotated["access_token"] != pair["access_token"]
    assert rotated["refresh_token"] != pair["refresh_token"]
    assert provider.is_valid(pair["access_token"])  # the old pair lives on for the grace period
    provider.advance(60)
    assert provider.is_valid(pair["access_token"])
    provider.advance(61)
    assert not provider.is_valid(pair["access_token"])
    answer = provider.handle("POST", "/oauth2/token", headers, urlencode(form).encode())
    assert answer is not None and answer.status == 400
    provider.revoke(rotated["refresh_token"])
    assert not provider.is_valid(rotated["access_token"])


def test_server_scripted_delay_and_drop_and_stop_is_quick() -> None:
    server = OAuthServer().start()
    http = urllib3.PoolManager(retries=False)
    server.enqueue(503, body="busy", delay=0.05)
    answer = http.request("POST", server.token_url, body=b"")
    assert answer.status == 503 and answer.data == b"busy"
    server.enqueue(drop=True)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        http.request("POST", server.token_url, body=b"")
    server.enqueue(200, {"never": "sent"}, delay=30)
    worker = threading.Thread(
        target=lambda: pytest.raises(urllib3.exceptions.HTTPError, http.request, "POST", server.token_url, body=b""),
        daemon=True,
    )
    worker.start()
    deadline = time.monotonic() + 5
    while len(server.token_requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    worker.join(5)
    assert len(server.token_requests) == 3
    assert urlsplit(server.requests[0].path).path == "/oauth2/token"
