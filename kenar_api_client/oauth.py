"""OAuth 2.0 for Divar: the authorization-code flow and tokens that stay fresh.

Most Kenar operations that touch a user's posts, chats or payments need that
user's access token besides the app's API key.  This module covers the whole
round trip:

1. :meth:`OAuthClient.authorization_url` builds the address to send the user
   to, with the scopes asked for and a random ``state``;
2. :func:`parse_callback` reads the redirect back to the app, checks the
   ``state`` and returns the one-time ``code``;
3. :meth:`OAuthClient.exchange_code` trades the code for an
   :class:`OAuthToken`, and :meth:`OAuthClient.refresh` trades a refresh token
   for a new pair;
4. :class:`OAuthTokenSource`, set as ``Configuration.token_source``, hands
   the :class:`~kenar_api_client.api_client.ApiClient` a valid access token
   for every call, refreshing it shortly before it expires and once after a
   401, and tells the app about each new pair through ``on_refresh``.

Token requests go through the SDK's own transport
(:class:`~kenar_api_client.rest.RESTClientObject`), so the timeouts, TLS and
proxy settings of the :class:`~kenar_api_client.configuration.Configuration`
apply and network failures raise the SDK's ``TransportError`` family.

The client secret, authorization codes and tokens never appear in a
``repr``, an error message or a log line.
"""

from __future__ import annotations

import copy
import hmac
import json
import logging
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    Union,
)
from urllib.parse import parse_qs, quote, quote_plus, urlencode, urlsplit

from kenar_api_client._op_types import UNSET
from kenar_api_client._redact import REDACTED
from kenar_api_client.exceptions import ApiValueError, OpenApiException, TransportError

if TYPE_CHECKING:  # pragma: no cover
    from kenar_api_client.configuration import Configuration
    from kenar_api_client.rest import RESTClientObject

logger = logging.getLogger(__name__)

DEFAULT_AUTHORIZE_URL = "https://oauth.divar.ir/oauth2/auth"
DEFAULT_TOKEN_URL = "https://oauth.divar.ir/oauth2/token"
#: the scope that makes the token endpoint hand out a refresh token
OFFLINE_ACCESS = "offline_access"

_REDACTED = REDACTED
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


# ------------------------------------------------------------------ errors


class OAuthError(OpenApiException):
    """An OAuth step failed.

    ``status`` is the HTTP status of the token endpoint's answer (None when
    no HTTP answer was involved, e.g. a refused authorization seen in the
    callback).  ``error`` and ``error_description`` are the OAuth error code
    and text, from the server when it sent them; the SDK's own checks use
    ``invalid_state``, ``access_denied`` and ``invalid_response``.
    """

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        error: Optional[str] = None,
        error_description: Optional[str] = None,
        body: Optional[str] = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.error = error
        self.error_description = error_description
        #: a short excerpt of the error answer's body, credentials removed
        self.body = body
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, error={self.error!r}, message={str(self)!r})"


class OAuthValueError(OAuthError, ApiValueError):
    """An argument or setting cannot be used; nothing was sent.

    It is an :class:`OAuthError`, an :class:`~kenar_api_client.exceptions.ApiValueError`
    and a ``ValueError``, so any of the three catches it.
    """

    def __init__(self, message: str) -> None:
        ApiValueError.__init__(self, message)
        self.status = None
        self.reason = None
        self.error = None
        self.error_description = None
        self.body = None


# ------------------------------------------------------------------ scopes

# RFC 6749 scope-token: printable ASCII except space, double quote and backslash
_SCOPE_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F)) - {'"', "\\"}


def _check_scope_part(text: Any, what: str) -> str:
    if not isinstance(text, str):
        raise OAuthValueError(f"{what} must be a string, not {type(text).__name__}")
    if not text:
        raise OAuthValueError(f"{what} is empty")
    bad = sorted({ch for ch in text if ch not in _SCOPE_CHARS})
    if bad:
        if any(ch.isspace() for ch in bad):
            raise OAuthValueError(f"{what} {text!r} contains whitespace; pass each scope as its own item")
        raise OAuthValueError(f"{what} {text!r} contains characters a scope cannot have: {bad!r}")
    return text


@dataclass(frozen=True)
class Scope:
    """A scope to ask the user for.

    A global scope is just a name (``Scope("USER_PHONE")``); a scope bound to
    one resource carries its id (``Scope("POST_ADDON_CREATE", "AZTH74V2")``)
    and is written ``NAME.resource_id``.
    """

    name: str
    resource_id: Optional[str] = None

    def __post_init__(self) -> None:
        _check_scope_part(self.name, "scope name")
        if "." in self.name:
            raise OAuthValueError(f"scope name {self.name!r} contains '.'; give the resource id as resource_id")
        if self.resource_id is not None:
            _check_scope_part(self.resource_id, f"resource id of scope {self.name}")

    def __str__(self) -> str:
        return self.name if self.resource_id is None else f"{self.name}.{self.resource_id}"

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Read ``NAME`` or ``NAME.resource_id``."""
        _check_scope_part(text, "scope")
        name, dot, resource_id = text.partition(".")
        return cls(name, resource_id if dot else None)


ScopeLike = Union[str, Scope]


def _scope_strings(scopes: Union[ScopeLike, Iterable[ScopeLike]]) -> List[str]:
    items: Iterable[Any] = [scopes] if isinstance(scopes, (str, Scope)) else scopes
    result: List[str] = []
    for item in items:
        text = str(item) if isinstance(item, Scope) else _check_scope_part(item, "scope")
        if text not in result:
            result.append(text)
    if not result:
        raise OAuthValueError("ask for at least one scope")
    return result


# ------------------------------------------------------------------ tokens


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True, repr=False)
class OAuthToken:
    """An access token, with its refresh token and what it grants.

    ``expires_at`` is when the access token stops working (an aware
    datetime); when it is not given and ``expires_in`` is, it is counted from
    the moment the object is made, which for tokens from
    :class:`OAuthClient` is when the answer arrived.  Keep :meth:`to_dict`'s
    output to restore the token later with :meth:`from_dict`.

    ``repr()`` and ``str()`` never show the tokens.
    """

    access_token: str
    refresh_token: Optional[str] = None
    token_type: str = "bearer"
    expires_in: Optional[int] = None
    scope: Optional[str] = None
    expires_at: Optional[datetime] = None

    def __post_init__(self) -> None:
        if not isinstance(self.access_token, str) or not self.access_token:
            raise OAuthValueError("access_token must be a non-empty string")
        if self.refresh_token is not None and (not isinstance(self.refresh_token, str) or not self.refresh_token):
            raise OAuthValueError("refresh_token must be a non-empty string or None")
        if self.expires_in is not None:
            object.__setattr__(self, "expires_in", _seconds(self.expires_in))
        if self.expires_at is not None:
            object.__setattr__(self, "expires_at", _aware(self.expires_at))
        elif self.expires_in is not None:
            object.__setattr__(self, "expires_at", _utcnow() + timedelta(seconds=self.expires_in))

    @property
    def scopes(self) -> List[str]:
        """The granted scopes, one string per scope."""
        return self.scope.split() if self.scope else []

    def is_expired(self, leeway_seconds: float = 60, now: Optional[datetime] = None) -> bool:
        """Whether the access token has expired, or will within ``leeway_seconds``.

        A token whose expiry is unknown is taken as valid (the server will say
        otherwise).  ``now`` defaults to the current time.
        """
        if self.expires_at is None:
            return False
        current = _utcnow() if now is None else _aware(now)
        return current + timedelta(seconds=leeway_seconds) >= self.expires_at

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-ready dict of every field (``expires_at`` as ISO 8601 text)."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "scope": self.scope,
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OAuthToken:
        """Rebuild a token from :meth:`to_dict`'s output (unknown keys are ignored).

        ``expires_at`` may be ISO 8601 text, a datetime or a Unix timestamp;
        naive values are read as UTC.  Without ``expires_at``, the dict is
        taken to be a fresh token-endpoint answer and the expiry is counted
        from now.
        """
        if not isinstance(data, Mapping):
            raise OAuthValueError(f"a token dict was expected, not {type(data).__name__}")
        raw_expiry = data.get("expires_at")
        expires_at: Optional[datetime]
        if raw_expiry is None:
            expires_at = None
        elif isinstance(raw_expiry, datetime):
            expires_at = raw_expiry
        elif isinstance(raw_expiry, (int, float)) and not isinstance(raw_expiry, bool):
            try:
                expires_at = datetime.fromtimestamp(raw_expiry, timezone.utc)
            except (OverflowError, OSError, ValueError):
                raise OAuthValueError("expires_at is not a usable Unix timestamp") from None
        elif isinstance(raw_expiry, str):
            try:
                expires_at = datetime.fromisoformat(raw_expiry.replace("Z", "+00:00"))
            except ValueError:
                raise OAuthValueError("expires_at is not an ISO 8601 date and time") from None
        else:
            raise OAuthValueError(f"expires_at has an unusable type: {type(raw_expiry).__name__}")
        return cls(
            access_token=data.get("access_token"),  # type: ignore[arg-type]  # checked in __post_init__
            refresh_token=data.get("refresh_token"),
            token_type=str(data.get("token_type") or "bearer"),
            expires_in=_seconds(data.get("expires_in")),
            scope=_scope_field(data.get("scope")),
            expires_at=expires_at,
        )

    def __repr__(self) -> str:
        expiry = None if self.expires_at is None else self.expires_at.isoformat()
        refresh = "None" if self.refresh_token is None else REDACTED
        return (
            f"OAuthToken(token_type={self.token_type!r}, scope={self.scope!r}, expires_at={expiry!r}, "
            f"access_token={REDACTED}, refresh_token={refresh})"
        )

    __str__ = __repr__


#: the longest token lifetime taken at face value (ten years); beyond it the answer is unusable
MAX_EXPIRES_IN = 10 * 365 * 86400
_NUMBER = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,20})?")


def _seconds(value: Any) -> Optional[int]:
    if value is None:
        return None
    number: float
    if isinstance(value, bool):
        raise OAuthValueError("expires_in must be a number of seconds")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = float(value.strip())
    else:
        raise OAuthValueError("expires_in must be a number of seconds")
    if not math.isfinite(number) or abs(number) > MAX_EXPIRES_IN:
        raise OAuthValueError(f"expires_in must be a finite number of seconds within {MAX_EXPIRES_IN}")
    return int(number)


def _scope_field(value: Any) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    raise OAuthValueError("scope must be a space-separated string")


# ------------------------------------------------------------------ the callback

CallbackInput = Union[str, Mapping[str, Union[str, Sequence[str]]]]


def _callback_params(url_or_query: CallbackInput) -> Dict[str, str]:
    raw: Dict[str, List[str]] = {}
    if isinstance(url_or_query, str):
        text = url_or_query.strip()
        if "://" in text or text.startswith("/"):
            query = urlsplit(text).query
        else:
            query = text[1:] if text.startswith("?") else text
            query = query.split("#", 1)[0]
        raw = parse_qs(query, keep_blank_values=True)
    elif isinstance(url_or_query, Mapping):
        for key, value in url_or_query.items():
            raw[str(key)] = [value] if isinstance(value, str) else [str(v) for v in value]
    else:
        raise OAuthValueError(
            f"give the callback URL, its query string or a mapping of its parameters, not {type(url_or_query).__name__}"
        )
    params: Dict[str, str] = {}
    for name in ("code", "state", "error", "error_description"):
        values = raw.get(name, [])
        if len(values) > 1:
            raise OAuthError(f"the callback carries {name!r} more than once", error="invalid_request")
        if values:
            params[name] = values[0]
    return params


def _printable(text: str, limit: int = 300) -> str:
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return cleaned if len(cleaned) <= limit else cleaned[:limit] + "..."


def parse_callback(url_or_query: CallbackInput, expected_state: str) -> str:
    """Check the redirect back from Divar and return the authorization code.

    ``url_or_query`` is the full callback URL, its path and query, its bare
    query string, or a mapping of its query parameters (as web frameworks
    give them).  ``expected_state`` is the state that
    :meth:`OAuthClient.authorization_url` returned for this attempt; the two
    are compared in constant time.

    Raises :class:`OAuthError` when the user refused (``error`` in the
    callback, or no code), when ``state`` is missing or differs (the callback
    may be forged), or when a parameter is repeated.
    """
    if not isinstance(expected_state, str) or not expected_state:
        raise OAuthValueError("expected_state must be the state returned by authorization_url")
    params = _callback_params(url_or_query)
    error = params.get("error")
    if error is not None:
        description = params.get("error_description")
        shown_error = _printable(error, 60)
        message = (
            "the user refused access"
            if error == "access_denied"
            else f"authorization failed with error {shown_error!r}"
        )
        if description:
            message += f": {_printable(description)}"
        raise OAuthError(message, error=shown_error, error_description=description)
    state = params.get("state")
    if state is None:
        raise OAuthError(
            "the callback has no state parameter; it may not come from this authorization attempt",
            error="invalid_state",
        )
    if not hmac.compare_digest(state.encode("utf-8"), expected_state.encode("utf-8")):
        raise OAuthError(
            "the callback's state does not match the one issued; it may be forged or from another attempt",
            error="invalid_state",
        )
    code = params.get("code")
    if not code:
        raise OAuthError(
            "the callback carries no authorization code: the user did not grant access", error="access_denied"
        )
    return code


# ------------------------------------------------------------------ the client


def _check_text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise OAuthValueError(f"{name} must be a non-empty string")
    if any(not ch.isprintable() for ch in value):
        raise OAuthValueError(f"{name} contains control characters")
    return value


def _check_endpoint(value: Any, name: str, allow_insecure_http: bool = False) -> str:
    _check_text(value, name)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OAuthValueError(f"{name} must be an absolute http or https URL")
    if parts.scheme == "http":
        from kenar_api_client.configuration import _is_loopback

        if not _is_loopback(parts.hostname or "") and not allow_insecure_http:
            raise OAuthValueError(
                f"{name} is plain HTTP: the client secret and tokens would travel unencrypted "
                "(use https://, or a configuration with allow_insecure_http=True)"
            )
    return str(value)


def _scrub(text: str, hidden: Sequence[str]) -> str:
    for secret in hidden:
        if secret:
            text = text.replace(secret, _REDACTED)
            text = text.replace(quote_plus(secret), _REDACTED)
            text = text.replace(quote(secret, safe=""), _REDACTED)
    return text


class OAuthClient:
    """Divar's OAuth 2.0 authorization-code flow for one Kenar app.

    ``client_id`` is the app's slug, ``client_secret`` its OAuth secret from
    the Kenar panel and ``redirect_uri`` one of the redirect addresses
    registered there (absolute, without a query string).  ``configuration``
    supplies the timeouts, TLS and proxy settings for the token requests; a
    default :class:`~kenar_api_client.configuration.Configuration` is used when
    it is None.  ``authorize_url`` and ``token_url`` point at Divar unless
    changed (tests point them at a local server).

    The client is safe to share between threads.  :meth:`close` (or a
    ``with`` block) releases its connections.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        *,
        authorize_url: str = DEFAULT_AUTHORIZE_URL,
        token_url: str = DEFAULT_TOKEN_URL,
        configuration: Optional[Configuration] = None,
    ) -> None:
        self._client_id = _check_text(client_id, "client_id")
        self._client_secret = _check_text(client_secret, "client_secret")
        if not isinstance(redirect_uri, str):
            raise OAuthValueError("redirect_uri must be a string")
        self._redirect_uri = redirect_uri
        insecure_ok = bool(getattr(configuration, "allow_insecure_http", False))
        self._authorize_url = _check_endpoint(authorize_url, "authorize_url", insecure_ok)
        self._token_url = _check_endpoint(token_url, "token_url", insecure_ok)
        self._configuration = configuration
        self._rest: Optional[RESTClientObject] = None
        self._rest_lock = threading.Lock()

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def redirect_uri(self) -> str:
        return self._redirect_uri

    @property
    def authorize_url(self) -> str:
        return self._authorize_url

    @property
    def token_url(self) -> str:
        return self._token_url

    @property
    def configuration(self) -> Configuration:
        """The configuration whose transport settings the token requests use."""
        if self._configuration is None:
            from kenar_api_client.configuration import Configuration

            self._configuration = Configuration()
        return self._configuration

    def __repr__(self) -> str:
        return (
            f"OAuthClient(client_id={self._client_id!r}, redirect_uri={self._redirect_uri!r}, "
            f"token_url={self._token_url!r}, client_secret={REDACTED})"
        )

    def _checked_redirect_uri(self) -> str:
        uri = self._redirect_uri
        _check_text(uri, "redirect_uri")
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise OAuthValueError("redirect_uri must be an absolute http or https URL")
        if parts.query or uri.endswith("?"):
            raise OAuthValueError(
                "redirect_uri must not carry a query string; register one without it "
                "and keep per-attempt data with the state"
            )
        if parts.fragment or "#" in uri:
            raise OAuthValueError("redirect_uri must not carry a fragment")
        return uri

    # -------------------------------------------------------------- step 1

    def authorization_url(
        self, scopes: Union[ScopeLike, Iterable[ScopeLike]], state: Optional[str] = None
    ) -> Tuple[str, str]:
        """The address to send the user to, and the ``state`` to check on return.

        ``scopes`` are strings (``"USER_PHONE"``, ``"POST_EDIT.AZTH74V2"``)
        or :class:`Scope` objects; add ``offline_access`` to get a refresh
        token.  Without ``state`` an unguessable one is generated; keep it
        (in the user's session, say) and pass it to :func:`parse_callback`.
        """
        redirect_uri = self._checked_redirect_uri()
        scope_text = " ".join(_scope_strings(scopes))
        if state is None:
            state = secrets.token_urlsafe(32)
        elif not isinstance(state, str) or not state:
            raise OAuthValueError("state must be a non-empty string (or None for a random one)")
        query = urlencode(
            [
                ("response_type", "code"),
                ("client_id", self._client_id),
                ("redirect_uri", redirect_uri),
                ("scope", scope_text),
                ("state", state),
            ],
            quote_via=quote,
        )
        separator = "&" if urlsplit(self._authorize_url).query else "?"
        return self._authorize_url + separator + query, state

    def parse_callback(self, url_or_query: CallbackInput, expected_state: str) -> str:
        """Same as the module's :func:`parse_callback`."""
        return parse_callback(url_or_query, expected_state)

    # -------------------------------------------------------------- step 2 and later

    def exchange_code(self, code: str, *, _request_timeout: Any = UNSET) -> OAuthToken:
        """Trade an authorization code for a token pair.

        ``_request_timeout`` works as on API methods: left out, the
        configuration's timeout applies.  Raises :class:`OAuthError` when the
        token endpoint refuses (with its status and error code) and the SDK's
        ``TransportError`` subclasses when no answer arrives.
        """
        _check_text(code, "code")
        return self._token_request(
            [("grant_type", "authorization_code"), ("code", code)],
            hidden=[code],
            previous=None,
            timeout=_request_timeout,
        )

    def refresh(self, token_or_refresh_token: Union[OAuthToken, str], *, _request_timeout: Any = UNSET) -> OAuthToken:
        """Trade a refresh token for a new pair (both tokens change).

        Given an :class:`OAuthToken`, its scope (and its refresh token, should
        the answer carry none) carry over to the result.
        """
        previous: Optional[OAuthToken] = None
        if isinstance(token_or_refresh_token, OAuthToken):
            previous = token_or_refresh_token
            if previous.refresh_token is None:
                raise OAuthValueError("this token has no refresh token; ask for the offline_access scope to get one")
            refresh_token = previous.refresh_token
        else:
            refresh_token = _check_text(token_or_refresh_token, "refresh_token")
        return self._token_request(
            [("grant_type", "refresh_token"), ("refresh_token", refresh_token)],
            hidden=[refresh_token],
            previous=previous,
            timeout=_request_timeout,
        )

    def token_source(
        self,
        token: OAuthToken,
        *,
        on_refresh: Optional[Callable[[OAuthToken], Any]] = None,
        leeway_seconds: float = 60,
    ) -> OAuthTokenSource:
        """An :class:`OAuthTokenSource` that keeps ``token`` fresh with this client."""
        return OAuthTokenSource(self, token, on_refresh=on_refresh, leeway_seconds=leeway_seconds)

    def _transport(self) -> RESTClientObject:
        with self._rest_lock:
            if self._rest is None:
                from kenar_api_client.rest import RESTClientObject

                self._rest = RESTClientObject(self.configuration)
            return self._rest

    def _token_request(
        self,
        fields: List[Tuple[str, str]],
        *,
        hidden: List[str],
        previous: Optional[OAuthToken],
        timeout: Any,
    ) -> OAuthToken:
        redirect_uri = self._checked_redirect_uri()
        grant_type = fields[0][1]
        body = urlencode(
            fields
            + [
                ("client_id", self._client_id),
                ("client_secret", self._client_secret),
                ("redirect_uri", redirect_uri),
            ]
        )
        hidden = hidden + [self._client_secret]
        logger.debug("OAuth token request: POST %s grant_type=%s", self._token_url, grant_type)
        response = self._transport().request(
            "POST",
            self._token_url,
            headers={"Content-Type": _FORM_CONTENT_TYPE, "Accept": "application/json"},
            body=body,
            _request_timeout=timeout,
        )
        received_at = _utcnow()
        status = int(response.status)
        data = response.read() or b""
        logger.debug("OAuth token endpoint answered %s to grant_type=%s", status, grant_type)
        if not 200 <= status <= 299:
            raise _error_from_answer(status, response.reason, bytes(data), hidden)
        return _token_from_answer(status, bytes(data), received_at, previous)

    def close(self) -> None:
        """Release the pooled connections (the client stays usable)."""
        with self._rest_lock:
            rest, self._rest = self._rest, None
        if rest is not None:
            rest.close()

    def __enter__(self) -> OAuthClient:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


def _json_object(data: bytes) -> Optional[Dict[str, Any]]:
    try:
        decoded = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _error_from_answer(status: int, reason: Any, data: bytes, hidden: Sequence[str]) -> OAuthError:
    payload = _json_object(data)
    error: Optional[str] = None
    description: Optional[str] = None
    if payload is not None:
        raw_error, raw_description = payload.get("error"), payload.get("error_description")
        if raw_description is None:
            raw_description = payload.get("message")  # a googlerpcStatus-shaped answer
        if isinstance(raw_error, str) and raw_error:
            error = _printable(_scrub(raw_error, hidden), 80)
        if isinstance(raw_description, str) and raw_description:
            description = _printable(_scrub(raw_description, hidden))
    reason_text = reason if isinstance(reason, str) else None
    excerpt = _printable(_scrub(data.decode("utf-8", errors="replace"), hidden), 200) if data else None
    message = f"the token endpoint answered HTTP {status}"
    if error:
        message += f" with error {error!r}"
    elif reason_text:
        message += f" {reason_text}"
    if description:
        message += f": {description}"
    elif not error and excerpt:
        message += f"; body: {excerpt}"
    return OAuthError(
        message,
        status=status,
        reason=reason_text,
        error=error,
        error_description=description,
        body=excerpt,
    )


def _token_from_answer(status: int, data: bytes, received_at: datetime, previous: Optional[OAuthToken]) -> OAuthToken:
    # the body holds credentials: none of it goes into an error message
    payload = _json_object(data)
    if payload is None:
        raise OAuthError(
            f"the token endpoint answered HTTP {status} with a body that is not a JSON object",
            status=status,
            error="invalid_response",
        )
    access_token = payload.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise OAuthError(
            f"the token endpoint answered HTTP {status} without an access_token",
            status=status,
            error="invalid_response",
        )
    refresh_token = payload.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token:
        refresh_token = previous.refresh_token if previous is not None else None
    token_type = payload.get("token_type")
    try:
        expires_in = _seconds(payload.get("expires_in"))
        scope = _scope_field(payload.get("scope"))
    except OAuthValueError as exc:
        raise OAuthError(
            f"the token endpoint answered HTTP {status} with an unusable token: {exc}",
            status=status,
            error="invalid_response",
        ) from None
    if scope is None and previous is not None:
        scope = previous.scope
    return OAuthToken(
        access_token=access_token,
        refresh_token=refresh_token,
        token_type=token_type if isinstance(token_type, str) and token_type else "bearer",
        expires_in=expires_in,
        scope=scope,
        expires_at=None if expires_in is None else received_at + timedelta(seconds=expires_in),
    )


# ------------------------------------------------------------------ keeping calls authorised


def _is_refusal(exc: OAuthError) -> bool:
    """The token endpoint said no (4xx), as opposed to failing (5xx, unusable answer)."""
    return exc.status is not None and 400 <= exc.status <= 499


class OAuthTokenSource:
    """Hands out a user's access token, refreshing it when needed.

    Set it as ``configuration.token_source``: for every operation that needs
    OAuth, the :class:`~kenar_api_client.api_client.ApiClient` asks
    :meth:`get_access_token` for the bearer token, and after a 401 calls
    :meth:`refresh_after_unauthorized` to decide whether to send the call one
    more time.

    * A token that expires within ``leeway_seconds`` (or within half its
      lifetime, for a token that lives shorter than twice the leeway) is
      refreshed ahead of time in one background thread; while that runs, every
      caller keeps getting the current token, which is still valid.  Only a
      caller without a valid token waits for a refresh, and never longer than
      one token request (bounded by the token client's
      ``Configuration.deadline``); threads that wait together share one
      refresh and its outcome.  :meth:`wait_for_refresh` waits for a
      background refresh to finish.
    * After a successful refresh, no refresh ahead of time starts within
      ``min_refresh_interval`` seconds, so a token the server hands out with a
      tiny or negative lifetime costs one token request per interval, not one
      per call (the API decides whether it still accepts it).
    * After every refresh, ``on_refresh(new_token)`` is called (inside the
      lock, so calls never overlap or come out of order).  Store the new pair
      there: the old refresh token stops working soon after.  Event
      subscriptions made with the old access token must be registered again.
      An exception from ``on_refresh`` reaches the caller that waited for the
      refresh, or is logged when the refresh ran in the background; the new
      token is kept regardless.
    * A token without a refresh token is handed out as it is, expired or not.
    * When the token endpoint refuses a refresh (a 4xx such as
      ``invalid_grant``), that refresh token is not tried again and the
      current access token is handed out, so the API answers 401 and the
      caller gets :class:`~kenar_api_client.exceptions.UnauthorizedException`:
      the user has to authorise the app again.  The refusal is kept in
      :attr:`last_refresh_error`.
    * When a refresh fails otherwise (network, 5xx, an unusable answer), the
      current token is used if it has not expired yet, and the refresh is
      tried again on the next call; once it has expired, the error is raised.

    ``clock`` (returning an aware datetime) is for tests.
    """

    def __init__(
        self,
        client: OAuthClient,
        token: OAuthToken,
        *,
        on_refresh: Optional[Callable[[OAuthToken], Any]] = None,
        leeway_seconds: float = 60,
        clock: Optional[Callable[[], datetime]] = None,
        min_refresh_interval: float = 10.0,
    ) -> None:
        if not isinstance(client, OAuthClient):
            raise OAuthValueError("client must be an OAuthClient")
        if not isinstance(token, OAuthToken):
            raise OAuthValueError("token must be an OAuthToken")
        self._client = client
        self._token = token
        self._on_refresh = on_refresh
        self._leeway = float(leeway_seconds)
        self._clock = clock or _utcnow
        self._lock = threading.RLock()
        self._lock_for_start = threading.Lock()
        self._refused: Optional[str] = None  # a refresh token the endpoint turned down
        self._min_interval = float(min_refresh_interval)
        self._refreshed_at: Optional[float] = None  # time.monotonic() of the last successful refresh
        self._lifetime: Optional[float] = None  # seconds the last refreshed token was given
        self._refreshes = 0  # refresh attempts finished so far (a waiter compares it to see if one ran)
        self._idle = threading.Event()  # set while no background refresh runs
        self._idle.set()
        #: the error of the last refresh that failed, None after a success
        self.last_refresh_error: Optional[OpenApiException] = None

    @property
    def client(self) -> OAuthClient:
        return self._client

    @property
    def token(self) -> OAuthToken:
        """The current token."""
        return self._token

    @token.setter
    def token(self, token: OAuthToken) -> None:
        """Replace the token (after the user authorised the app again, say)."""
        if not isinstance(token, OAuthToken):
            raise OAuthValueError("token must be an OAuthToken")
        with self._lock:
            self._token = token
            self._refreshed_at = self._lifetime = None

    def _can_refresh(self, token: OAuthToken) -> bool:
        return token.refresh_token is not None and token.refresh_token != self._refused

    def _due(self, token: OAuthToken) -> bool:
        if not self._can_refresh(token):
            return False
        leeway = self._leeway
        lifetime = self._lifetime
        if token is self._token and lifetime is not None and lifetime <= 2 * leeway:
            leeway = max(0.0, lifetime / 2)  # a short-lived token: refresh at half its life, not at once
        if not token.is_expired(leeway, now=self._clock()):
            return False
        refreshed_at = self._refreshed_at
        return refreshed_at is None or time.monotonic() - refreshed_at >= self._min_interval

    def get_access_token(self) -> str:
        """A usable access token; see the class notes for when it is refreshed and who waits."""
        token = self._token
        if not self._due(token):
            return token.access_token
        if not token.is_expired(0, now=self._clock()):
            self._refresh_in_background()
            return token.access_token
        seen = self._refreshes
        with self._lock:
            token = self._token
            if self._refreshes != seen:  # a refresh ran while this thread waited: share its outcome
                error = self.last_refresh_error
                if error is None or not token.is_expired(0, now=self._clock()):
                    return token.access_token
                if isinstance(error, OAuthError) and _is_refusal(error):
                    return token.access_token
                raise copy.copy(error)
            if self._due(token):
                try:
                    token = self._refresh_locked(token)
                except OAuthError as exc:
                    if not _is_refusal(exc) and token.is_expired(0, now=self._clock()):
                        raise
                except TransportError:
                    if token.is_expired(0, now=self._clock()):
                        raise
            return token.access_token

    def _refresh_in_background(self) -> None:
        with self._lock_for_start:
            if not self._idle.is_set():
                return
            self._idle.clear()
        try:
            threading.Thread(target=self._background_refresh, name="kenar-oauth-refresh", daemon=True).start()
        except BaseException:
            self._idle.set()
            raise

    def _background_refresh(self) -> None:
        try:
            with self._lock:
                token = self._token
                if self._due(token):
                    try:
                        self._refresh_locked(token)
                    except (OAuthError, TransportError):
                        pass  # logged and kept in last_refresh_error; the current token stays in use
                    except Exception:
                        logger.exception("OAuth: on_refresh failed after a background refresh (the new token is kept)")
        finally:
            self._idle.set()

    def wait_for_refresh(self, timeout: Optional[float] = None) -> bool:
        """Wait until no background refresh is running; False if ``timeout`` passed first."""
        return self._idle.wait(timeout)

    def refresh_after_unauthorized(self, rejected_token: str) -> bool:
        """React to a 401 for ``rejected_token``; True means: send the call again.

        If another thread has already replaced that token, nothing is
        refreshed and the answer is True.  Otherwise the token is refreshed
        once.  The answer is False when there is no refresh token or the
        token endpoint refuses it (the caller then sees the 401).  Other
        failures of the refresh (network, 5xx) are raised.  Threads that
        waited while a refresh failed share its outcome instead of sending
        another token request, so the wait stays within one token request.
        """
        seen = self._refreshes
        with self._lock:
            current = self._token
            rejected = rejected_token.encode("utf-8") if isinstance(rejected_token, str) else b""
            if not hmac.compare_digest(current.access_token.encode("utf-8"), rejected):
                return True
            if not self._can_refresh(current):
                logger.debug("OAuth: access token rejected and no usable refresh token")
                return False
            error = self.last_refresh_error
            if self._refreshes != seen and error is not None:  # one failed while this thread waited: share it
                if isinstance(error, OAuthError) and _is_refusal(error):
                    return False
                raise copy.copy(error)
            try:
                self._refresh_locked(current)
            except OAuthError as exc:
                if not _is_refusal(exc):
                    raise
                return False
            return True

    def refresh(self) -> OAuthToken:
        """Refresh now, whatever the expiry, and return the new token (errors are raised)."""
        with self._lock:
            return self._refresh_locked(self._token)

    def _refresh_locked(self, token: OAuthToken) -> OAuthToken:
        try:
            new = self._client.refresh(token)
        except (OAuthError, TransportError) as exc:
            self._refreshes += 1
            self.last_refresh_error = exc
            expiry = token.expires_at.isoformat() if token.expires_at else "unknown"
            if isinstance(exc, OAuthError) and _is_refusal(exc):
                self._refused = token.refresh_token
                logger.warning(
                    "OAuth: the token endpoint refused the refresh (HTTP %s, %s); "
                    "the user must authorise the app again",
                    exc.status,
                    exc.error or "no error code",
                )
            else:
                what = f"HTTP {exc.status}" if isinstance(exc, OAuthError) else type(exc).__name__
                logger.warning(
                    "OAuth: refreshing the access token failed (%s); the current one expires at %s",
                    what,
                    expiry,
                )
            raise
        self._token = new
        self._refreshes += 1
        self._refreshed_at = time.monotonic()
        self._lifetime = None if new.expires_at is None else (new.expires_at - self._clock()).total_seconds()
        self.last_refresh_error = None
        logger.debug(
            "OAuth: access token refreshed; the new one expires at %s",
            new.expires_at.isoformat() if new.expires_at else "unknown",
        )
        if self._on_refresh is not None:
            self._on_refresh(new)
        return new

    # one source per user token: copies of a Configuration share it
    def __copy__(self) -> OAuthTokenSource:
        return self

    def __deepcopy__(self, memo: Dict[int, Any]) -> OAuthTokenSource:
        return self

    def __repr__(self) -> str:
        return f"OAuthTokenSource(client={self._client!r}, token={self._token!r})"


__all__ = [
    "DEFAULT_AUTHORIZE_URL",
    "DEFAULT_TOKEN_URL",
    "OFFLINE_ACCESS",
    "OAuthClient",
    "OAuthError",
    "OAuthToken",
    "OAuthTokenSource",
    "OAuthValueError",
    "Scope",
    "parse_callback",
]
