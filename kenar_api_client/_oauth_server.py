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

The logic lives in :class:`OAuthProvider`, which knows nothing about sockets:
:meth:`OAuthProvider.handle` maps a request to a :class:`HttpAnswer`.  The
mock Kenar server can therefore serve these endpoints from its own port, or
ask :meth:`OAuthProvider.access_grant` whether a bearer token is good.
:class:`OAuthServer` is the provider behind a threaded ``http.server``.

Only the standard library is used.  This module is not part of the public API.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Callable, Deque, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Type, Union
from urllib.parse import parse_qs, quote, urlencode, urlsplit

AUTHORIZE_PATH = "/oauth2/auth"
TOKEN_PATH = "/oauth2/token"

#: lifetime of an authorization code, in seconds
CODE_LIFETIME = 600
#: lifetime of a refresh token, in seconds (30 days)
REFRESH_LIFETIME = 30 * 24 * 3600

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str  #: the path without the query string
    query: Dict[str, List[str]]
    headers: Dict[str, str]  #: header names in lower case
    body: bytes
    received_at: float  #: the provider's clock when the request arrived

    @property
    def form(self) -> Dict[str, List[str]]:
        """The body parsed as ``application/x-www-form-urlencoded`` (empty if it is not)."""
        content_type = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != FORM_CONTENT_TYPE:
            return {}
        return parse_qs(self.body.decode("utf-8", errors="replace"), keep_blank_values=True)

    def form_field(self, name: str) -> Optional[str]:
        """The first value of form field ``name``, or None."""
        values = self.form.get(name)
        return values[0] if values else None

    def query_param(self, name: str) -> Optional[str]:
        """The first value of query parameter ``name``, or None."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class HttpAnswer:
    """What to send back for a request."""

    status: int = 200
    body: bytes = b""
    headers: Dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  #: seconds to wait before answering
    drop: bool = False  #: close the connection without answering

    @classmethod
    def json(cls, status: int, payload: Any, headers: Optional[Mapping[str, str]] = None) -> HttpAnswer:
        merged = {"Content-Type": "application/json", "Cache-Control": "no-store"}
        merged.update(headers or {})
        return cls(status=status, body=json.dumps(payload).encode("utf-8"), headers=merged)

    @classmethod
    def redirect(cls, location: str) -> HttpAnswer:
        return cls(status=302, headers={"Location": location, "Content-Type": "text/plain"}, body=b"redirecting\n")

    @classmethod
    def text(cls, status: int, text: str) -> HttpAnswer:
        return cls(status=status, body=text.encode("utf-8"), headers={"Content-Type": "text/plain; charset=utf-8"})


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


def _error(status: int, error: str, description: str) -> HttpAnswer:
    return HttpAnswer.json(status, {"error": error, "error_description": description})


def _add_query(uri: str, params: Sequence[Tuple[str, str]]) -> str:
    separator = "&" if urlsplit(uri).query else "?"
    return uri + separator + urlencode(list(params), quote_via=quote)


class OAuthProvider:
    """The state and rules of the fake authorization server, without sockets.

    ``redirect_uris`` lists the URIs registered for the client; ``None``
    accepts any absolute ``http``/``https`` URI without a query.  ``clock``
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
        self.redirect_uris: Optional[List[str]] = None if redirect_uris is None else list(redirect_uris)
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
        self._scripted: Deque[HttpAnswer] = deque()
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
            answer = HttpAnswer.json(status, json_body, headers)
        else:
            raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
            answer = HttpAnswer(status=status, body=raw, headers=dict(headers or {}))
        answer.delay = delay
        answer.drop = drop
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
    ) -> Optional[HttpAnswer]:
        """Answer one request, or return None when ``target`` is not an OAuth path.

        ``target`` is the request line's path with its query string.  Only
        requests to this provider's paths are recorded.
        """
        parts = urlsplit(target)
        if parts.path not in (self.authorize_path, self.token_path):
            return None
        record = RecordedRequest(
            method=method.upper(),
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
            received_at=self.now(),
        )
        with self._lock:
            self._requests.append(record)
        if parts.path == self.authorize_path:
            return self._authorize(record)
        with self._lock:
            scripted = self._scripted.popleft() if self._scripted else None
        if scripted is not None:
            scripted.delay += self.token_delay
            return scripted
        answer = self._token(record)
        answer.delay += self.token_delay
        return answer

    def _redirect_ok(self, uri: str) -> bool:
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            return False
        return self.redirect_uris is None or uri in self.redirect_uris

    def _authorize(self, record: RecordedRequest) -> HttpAnswer:
        if record.method != "GET":
            return HttpAnswer.text(405, "use GET\n")
        if any(len(values) > 1 for values in record.query.values()):
            return HttpAnswer.text(400, "a parameter was repeated\n")
        client_id = record.query_param("client_id")
        redirect_uri = record.query_param("redirect_uri") or ""
        if client_id != self.client_id:
            return HttpAnswer.text(400, "unknown client_id\n")
        if not self._redirect_ok(redirect_uri):
            return HttpAnswer.text(400, "redirect_uri is not registered for this client\n")
        state = record.query_param("state")
        back: List[Tuple[str, str]] = []

        def fail(error: str, description: str) -> HttpAnswer:
            back.extend([("error", error), ("error_description", description)])
            if state is not None:
                back.append(("state", state))
            return HttpAnswer.redirect(_add_query(redirect_uri, back))

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
        return HttpAnswer.redirect(_add_query(redirect_uri, back))

    def _token(self, record: RecordedRequest) -> HttpAnswer:
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

    def _exchange(self, code: str, redirect_uri: str) -> HttpAnswer:
        with self._lock:
            entry = self._codes.get(code)
            if entry is None or entry.used or self.now() >= entry.expires_at:
                return _error(400, "invalid_grant", "the authorization code is invalid, used or expired")
            if entry.redirect_uri != redirect_uri:
                return _error(400, "invalid_grant", "redirect_uri does not match the authorization request")
            entry.used = True
            grant = self._mint(entry.scopes, entry.user_id, None)
        return HttpAnswer.json(200, self._token_payload(grant))

    def _refresh(self, refresh_token: str, redirect_uri: str) -> HttpAnswer:
        if not self._redirect_ok(redirect_uri):
            return _error(400, "invalid_request", "redirect_uri is missing or not registered")
        with self._lock:
            old = self._by_refresh.get(refresh_token)
            if old is None or not self._usable(old, old.refresh_expires_at):
                return _error(400, "invalid_grant", "the refresh token is invalid, expired or revoked")
            if old.superseded_at is None:
                old.superseded_at = self.now()
            grant = self._mint(old.scopes, old.user_id, None)
        return HttpAnswer.json(200, self._token_payload(grant))


def send_answer(handler: BaseHTTPRequestHandler, answer: HttpAnswer, stopping: threading.Event) -> None:
    """Write ``answer`` to ``handler``'s connection (also used by the mock Kenar server)."""
    if answer.delay > 0 and stopping.wait(answer.delay):
        handler.close_connection = True
        return
    if answer.drop:
        handler.close_connection = True
        return
    handler.send_response(answer.status)
    for name, value in answer.headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(answer.body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(answer.body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {name: value for name, value in self.headers.items()}
        answer = self.server.provider.handle(self.command, self.path, headers, body)
        if answer is None:
            answer = _error(404, "not_found", "no such endpoint")
        send_answer(self, answer, self.server.stopping)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:  # requests are recorded instead
        pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    provider: OAuthProvider
    stopping: threading.Event


class OAuthServer(OAuthProvider):
    """An :class:`OAuthProvider` serving HTTP on ``127.0.0.1`` (a random port).

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    ``authorize_url`` and ``token_url`` are the endpoints to hand to
    :class:`kenar_api_client.oauth.OAuthClient`.  Keyword arguments are those
    of :class:`OAuthProvider`.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._host = host
        self._port = port
        self._httpd: Optional[_HTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> OAuthServer:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self._host, self._port), _Handler)
        httpd.provider = self
        httpd.stopping = threading.Event()
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> OAuthServer:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def authorize_url(self) -> str:
        return self.base_url + self.authorize_path

    @property
    def token_url(self) -> str:
        return self.base_url + self.token_path


__all__ = [
    "AUTHORIZE_PATH",
    "TOKEN_PATH",
    "Grant",
    "HttpAnswer",
    "OAuthProvider",
    "OAuthServer",
    "RecordedRequest",
]
