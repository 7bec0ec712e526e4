"""A loopback OAuth 2.0 authorization server, for tests.

It plays Divar's authorization server closely enough to drive the whole
authorization-code flow over real HTTP on ``127.0.0.1``:

* ``GET /oauth2/auth`` checks the client and redirect URI and redirects back
  with a one-time ``code`` and the caller's ``state`` (or with
  ``error=access_denied`` when :attr:`OAuthProvider.consent` is ``"deny"``);
* ``POST /oauth2/token`` takes the form fields of a code exchange or a refresh,
  checks the client secret, the code or refresh token and the redirect URI,
  and answers with a JSON token pair.  A refresh rotates both tokens; the old
  pair stays usable for :attr:`OAuthProvider.grace_seconds`.

Every request is recorded.  Answers can be scripted (status, body, headers,
a delay, or a dropped connection) to exercise error paths, and tokens can be
minted, expired and revoked directly.

The rules live in :class:`OAuthProvider`, which knows nothing about sockets;
the mock Kenar server serves them from its own port, and :class:`OAuthServer`
serves them alone, both on the loopback core.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Callable, Deque, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from kenar_api_client.testing._core import (
    FORM_CONTENT_TYPE,
    Answer,
    Headers,
    LoopbackServer,
    RecordedRequest,
    encode_body,
)

AUTHORIZE_PATH = "/oauth2/auth"
TOKEN_PATH = "/oauth2/token"

#: lifetime of an authorization code, in seconds
CODE_LIFETIME = 600
#: lifetime of a refresh token, in seconds (30 days)
REFRESH_LIFETIME = 30 * 24 * 3600


@dataclass
class Grant:
    """A token pair the server issued, with what it grants."""

    access_token: str
    refresh_token: Optional[str]
    scopes: Tuple[str, ...]
    client_id: str
    user_id: str
    issued_at: float
    expires_at: float  #: when the access token stops working
    refresh_expires_at: float
    superseded_at: Optional[float] = None  #: when a refresh replaced this pair
    revoked: bool = False

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: Tuple[str, ...]
    user_id: str
    expires_at: float
    used: bool = False


def _error(status: int, error: str, description: str) -> Answer:
    return Answer.of_json(status, {"error": error, "error_description": description})


def _well_formed_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.query and not parts.fragment


def _add_query(uri: str, params: Sequence[Tuple[str, str]]) -> str:
    separator = "&" if urlsplit(uri).query else "?"
    return uri + separator + urlencode(list(params), quote_via=quote)


class OAuthProvider:
    """The state and rules of the fake authorization server, without sockets.

    ``redirect_uris`` lists the URIs registered for the client (more can be
    added with :meth:`register_redirect_uri`; ``None`` registers none yet):
    the authorize endpoint redirects only to a registered URI.  ``clock``
    returns seconds (``time.time`` by default) and decides every expiry, so
    tests can move time forward with :meth:`advance` instead of sleeping.
    """

    def __init__(
        self,
        *,
        client_id: str = "kenar-test-app",
        client_secret: str = "kenar-test-secret",
        redirect_uris: Optional[Iterable[str]] = None,
        expires_in: int = 3600,
        grace_seconds: float = 120.0,
        user_id: str = "test-user",
        clock: Optional[Callable[[], float]] = None,
        authorize_path: str = AUTHORIZE_PATH,
        token_path: str = TOKEN_PATH,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        #: the redirect URIs registered for the client
        self.redirect_uris: List[str] = [] if redirect_uris is None else list(redirect_uris)
        self.expires_in = expires_in
        self.grace_seconds = grace_seconds
        self.user_id = user_id
        self.authorize_path = authorize_path
        self.token_path = token_path
        #: ``"approve"`` or ``"deny"``: what the simulated user answers at the authorize endpoint
        self.consent = "approve"
        #: seconds every token request waits before it is answered
        self.token_delay = 0.0
        self._clock = clock or time.time
        self._offset = 0.0
        self._lock = threading.RLock()
        self._requests: List[RecordedRequest] = []
        self._scripted: Deque[Answer] = deque()
        self._codes: Dict[str, _Code] = {}
        self._by_access: Dict[str, Grant] = {}
        self._by_refresh: Dict[str, Grant] = {}

    # ------------------------------------------------------------------ time

    def now(self) -> float:
        """The provider's current time, in seconds."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the provider's clock forward (expiring codes and tokens)."""
        with self._lock:
            self._offset += seconds

    # ------------------------------------------------------------------ recording

    @property
    def requests(self) -> List[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def token_requests(self) -> List[RecordedRequest]:
        """The requests that reached the token endpoint."""
        return [r for r in self.requests if r.path == self.token_path]

    @property
    def authorize_requests(self) -> List[RecordedRequest]:
        """The requests that reached the authorize endpoint."""
        return [r for r in self.requests if r.path == self.authorize_path]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # ------------------------------------------------------------------ scripting

    def enqueue(
        self,
        status: int = 200,
        json_body: Any = None,
        *,
        body: Optional[Union[bytes, str]] = None,
        headers: Optional[Mapping[str, str]] = None,
        delay: float = 0.0,
        drop: bool = False,
    ) -> None:
        """Make the next token request get this answer instead of the real one.

        Answers queue up, first in first out; each is used once.  Give
        ``json_body`` for a JSON document or ``body`` for raw bytes or text.
        ``delay`` holds the answer back; ``drop`` closes the connection
        without any answer.
        """
        if json_body is not None:
            answer = Answer.of_json(status, json_body, headers)
        else:
            answer = Answer(status=status, body=encode_body(body) or b"", headers=dict(headers or {}))
        answer.delay = delay
        if drop:
            answer.fault = "close"
        with self._lock:
            self._scripted.append(answer)

    # ------------------------------------------------------------------ minting

    def issue_code(
        self,
        scopes: Iterable[str] = ("USER_ID", "offline_access"),
        redirect_uri: Optional[str] = None,
        *,
        user_id: Optional[str] = None,
    ) -> str:
        """A fresh authorization code, as if the user had just approved ``scopes``."""
        if redirect_uri is None:
            if not self.redirect_uris:
                raise ValueError("give redirect_uri: the provider has none registered")
            redirect_uri = self.redirect_uris[0]
        else:
            self.register_redirect_uri(redirect_uri)
        code = "code-" + secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = _Code(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                scopes=tuple(scopes),
                user_id=user_id or self.user_id,
                expires_at=self.now() + CODE_LIFETIME,
            )
        return code

    def issue_token(
        self,
        scopes: Iterable[str] = ("USER_ID", "offline_access"),
        *,
        expires_in: Optional[int] = None,
        user_id: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Mint a token pair directly and return it as the token endpoint would.

        A refresh token is included when ``offline_access`` is among ``scopes``.
        """
        grant = self._mint(tuple(scopes), user_id or self.user_id, expires_in)
        return self._token_payload(grant)

    def _mint(self, scopes: Tuple[str, ...], user_id: str, expires_in: Optional[int]) -> Grant:
        lifetime = self.expires_in if expires_in is None else expires_in
        now = self.now()
        grant = Grant(
            access_token="at-" + secrets.token_urlsafe(24),
            refresh_token=("rt-" + secrets.token_urlsafe(24)) if "offline_access" in scopes else None,
            scopes=scopes,
            client_id=self.client_id,
            user_id=user_id,
            issued_at=now,
            expires_at=now + lifetime,
            refresh_expires_at=now + REFRESH_LIFETIME,
        )
        with self._lock:
            self._by_access[grant.access_token] = grant
            if grant.refresh_token is not None:
                self._by_refresh[grant.refresh_token] = grant
        return grant

    def _token_payload(self, grant: Grant) -> Dict[str, Any]:
        payload: Dict[str, Any] = {
            "access_token": grant.access_token,
            "token_type": "bearer",
            "expires_in": int(round(grant.expires_at - grant.issued_at)),
            "scope": " ".join(grant.scopes),
        }
        if grant.refresh_token is not None:
            payload["refresh_token"] = grant.refresh_token
        return payload

    # ------------------------------------------------------------------ checking tokens

    def _usable(self, grant: Grant, deadline: float) -> bool:
        now = self.now()
        if grant.revoked or now >= deadline:
            return False
        return grant.superseded_at is None or now < grant.superseded_at + self.grace_seconds

    def access_grant(self, access_token: str) -> Optional[Grant]:
        """The grant behind a bearer token if the token works now, else None."""
        with self._lock:
            grant = self._by_access.get(access_token)
            if grant is None or not self._usable(grant, grant.expires_at):
                return None
            return grant

    def is_valid(self, access_token: str, scope: Optional[str] = None) -> bool:
        """Whether ``access_token`` works now (and grants ``scope``, if given)."""
        grant = self.access_grant(access_token)
        return grant is not None and (scope is None or grant.has_scope(scope))

    def expire(self, token: str) -> None:
        """Make an access token (or the pair a refresh token belongs to) expire now."""
        with self._lock:
            grant = self._by_access.get(token)
            if grant is not None:
                grant.expires_at = self.now()
            else:
                grant = self._by_refresh.get(token)
                if grant is not None:
                    grant.refresh_expires_at = self.now()

    def revoke(self, token: str) -> None:
        """Make a pair, named by either of its tokens, stop working at once."""
        with self._lock:
            grant = self._by_access.get(token) or self._by_refresh.get(token)
            if grant is not None:
                grant.revoked = True

    # ------------------------------------------------------------------ HTTP

    def handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes = b"",
    ) -> Optional[Answer]:
        """Answer one request, or return None when ``target`` is not an OAuth path.

        ``target`` is the request line's path with its query string.  Only
        requests to this provider's paths are recorded.
        """
        parts = urlsplit(target)
        request = RecordedRequest(
            operation=None,
            method=method.upper(),
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            raw_query=parts.query,
            headers=Headers(headers),
            body=body,
            json=None,
        )
        return self.answer_request(request)

    def answer_request(self, request: RecordedRequest) -> Optional[Answer]:
        """:meth:`handle` for a request a loopback server has read."""
        if request.path not in (self.authorize_path, self.token_path):
            return None
        record = replace(request, received_at=self.now())
        with self._lock:
            self._requests.append(record)
        if record.path == self.authorize_path:
            return self._authorize(record)
        with self._lock:
            scripted = self._scripted.popleft() if self._scripted else None
        answer = scripted if scripted is not None else self._token(record)
        return replace(answer, delay=answer.delay + self.token_delay)

    def register_redirect_uri(self, uri: str) -> None:
        """Register one more redirect URI for the client (an absolute http(s) URI without a query)."""
        if not _well_formed_redirect(uri):
            raise ValueError(f"a redirect URI is an absolute http(s) URI without query or fragment, not {uri!r}")
        with self._lock:
            if uri not in self.redirect_uris:
                self.redirect_uris.append(uri)

    def _redirect_ok(self, uri: str) -> bool:
        with self._lock:
            return _well_formed_redirect(uri) and uri in self.redirect_uris

    def _authorize(self, record: RecordedRequest) -> Answer:
        if record.method != "GET":
            return Answer.text(405, "use GET\n")
        if any(len(values) > 1 for values in record.query_lists.values()):
            return Answer.text(400, "a parameter was repeated\n")
        client_id = record.query_param("client_id")
        redirect_uri = record.query_param("redirect_uri") or ""
        if client_id != self.client_id:
            return Answer.text(400, "unknown client_id\n")
        if not self._redirect_ok(redirect_uri):
            return Answer.text(400, "redirect_uri is not registered for this client\n")
        state = record.query_param("state")
        back: List[Tuple[str, str]] = []

        def fail(error: str, description: str) -> Answer:
            back.extend([("error", error), ("error_description", description)])
            if state is not None:
                back.append(("state", state))
            return Answer.redirect(_add_query(redirect_uri, back))

        if record.query_param("response_type") != "code":
            return fail("unsupported_response_type", "only response_type=code is supported")
        scope = record.query_param("scope") or ""
        scopes = tuple(scope.split(" ")) if scope else ()
        if not scopes or any(not s for s in scopes):
            return fail("invalid_scope", "scope is missing or malformed")
        if self.consent != "approve":
            return fail("access_denied", "the user did not grant access")
        code = self.issue_code(scopes, redirect_uri)
        back.append(("code", code))
        if state is not None:
            back.append(("state", state))
        return Answer.redirect(_add_query(redirect_uri, back))

    def _token(self, record: RecordedRequest) -> Answer:
        if record.method != "POST":
            return _error(405, "invalid_request", "the token endpoint takes POST")
        content_type = record.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != FORM_CONTENT_TYPE:
            return _error(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
        form = record.form
        if any(len(values) > 1 for values in form.values()):
            return _error(400, "invalid_request", "a form field was repeated")
        fields = {name: values[0] for name, values in form.items()}
        if fields.get("client_id") != self.client_id or not secrets.compare_digest(
            fields.get("client_secret", "").encode("utf-8"), self.client_secret.encode("utf-8")
        ):
            return _error(401, "invalid_client", "client authentication failed")
        grant_type = fields.get("grant_type")
        redirect_uri = fields.get("redirect_uri", "")
        if grant_type == "authorization_code":
            return self._exchange(fields.get("code", ""), redirect_uri)
        if grant_type == "refresh_token":
            return self._refresh(fields.get("refresh_token", ""), redirect_uri)
        return _error(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")

    def _exchange(self, code: str, redirect_uri: str) -> Answer:
        with self._lock:
            entry = self._codes.get(code)
            if entry is None or entry.used or self.now() >= entry.expires_at:
                return _error(400, "invalid_grant", "the authorization code is invalid, used or expired")
            if entry.redirect_uri != redirect_uri:
                return _error(400, "invalid_grant", "redirect_uri does not match the authorization request")
            entry.used = True
            grant = self._mint(entry.scopes, entry.user_id, None)
        return Answer.of_json(200, self._token_payload(grant))

    def _refresh(self, refresh_token: str, redirect_uri: str) -> Answer:
        if not self._redirect_ok(redirect_uri):
            return _error(400, "invalid_request", "redirect_uri is missing or not registered")
        with self._lock:
            old = self._by_refresh.get(refresh_token)
            if old is None or not self._usable(old, old.refresh_expires_at):
                return _error(400, "invalid_grant", "the refresh token is invalid, expired or revoked")
            if old.superseded_at is None:
                old.superseded_at = self.now()
            grant = self._mint(old.scopes, old.user_id, None)
        return Answer.of_json(200, self._token_payload(grant))


class OAuthServer(OAuthProvider):
    """An :class:`OAuthProvider` serving HTTP on ``127.0.0.1`` (a free port).

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    ``authorize_url`` and ``token_url`` are the endpoints to hand to
    :class:`kenar_api_client.oauth.OAuthClient`.  Keyword arguments are those
    of :class:`OAuthProvider`; a path it does not serve gets a 404.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._host = host
        self._port = port
        self._server: Optional[LoopbackServer] = None

    def start(self) -> OAuthServer:
        if self._server is None:
            server = LoopbackServer(self._host, self._port)
            server.add_handler("/", self._answer_or_404)
            self._server = server.start()
        return self

    def _answer_or_404(self, request: RecordedRequest) -> Answer:
        return self.answer_request(request) or _error(404, "not_found", "no such endpoint")

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> OAuthServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return self._server.port

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return self._server.url

    @property
    def authorize_url(self) -> str:
        return self.base_url + self.authorize_path

    @property
    def token_url(self) -> str:
        return self.base_url + self.token_path


#: the name this module used to give :class:`Answer`
HttpAnswer = Answer

__all__ = [
    "AUTHORIZE_PATH",
    "TOKEN_PATH",
    "Grant",
    "HttpAnswer",
    "OAuthProvider",
    "OAuthServer",
]
