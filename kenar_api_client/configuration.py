"""Configuration: where to send requests, with which credentials, and how.

The names and defaults follow the official SDK, so existing code keeps
working; on top of that a request timeout is always set (``timeout``),
retries default to a policy that cannot repeat an effect (``retries``), and
secrets never show up in ``repr``/``str`` or the debug report.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import multiprocessing
import os
import platform
import sys
import threading
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ClassVar,
    Dict,
    List,
    Mapping,
    Optional,
    Protocol,
    Tuple,
    Union,
    runtime_checkable,
)
from urllib.parse import urlsplit

from kenar_api_client._redact import REDACTED, mask

JSON_SCHEMA_VALIDATION_KEYWORDS = {
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
}

DEFAULT_HOST = "https://open-api.divar.ir"
#: where chat media is uploaded (see kenar_api_client.media)
DEFAULT_CHAT_UPLOAD_HOST = "https://chat.divar.ir"
#: (connect, read) seconds; the official SDK has none, so a call could hang forever
DEFAULT_TIMEOUT: Tuple[float, float] = (10.0, 60.0)

#: seconds one attempt may take in all (connecting, sending, the answer's headers and body)
DEFAULT_DEADLINE = 120.0
#: the least number of connections kept per host (threads sharing a client each need one)
DEFAULT_POOL_MAXSIZE = 32
#: the largest answer body read, in bytes after decoding
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024

TimeoutValue = Union[float, int, Tuple[float, float]]

_LOG = logging.getLogger("kenar_api_client")


#: how an ``Authorization`` value that carries an OAuth access token starts
BEARER_PREFIX = "Bearer "


def bearer(token: str) -> str:
    """The ``Authorization`` value that carries an OAuth access token."""
    return BEARER_PREFIX + token


@runtime_checkable
class TokenSource(Protocol):
    """What ``Configuration.token_source`` holds: an access token that stays fresh.

    :class:`kenar_api_client.oauth.OAuthTokenSource` is one; any object with
    these two methods will do.
    """

    def get_access_token(self) -> Optional[str]:
        """The access token to send now (refreshed first if it is about to expire)."""
        ...

    def refresh_after_unauthorized(self, rejected_token: str, /) -> bool:
        """React to a 401 for ``rejected_token``; True means: send the call once more with a fresh token."""
        ...


if TYPE_CHECKING:  # mypy proves here that the SDK's own token source fits the protocol
    from kenar_api_client.oauth import OAuthTokenSource

    def _oauth_token_source_fits(source: OAuthTokenSource) -> TokenSource:
        return source


# The spec's API-key security schemes: ``api_key`` is keyed by these names.
API_KEY_SCHEMES = ("APIKey",)


def _warn_unknown_scheme(name: Any) -> None:
    if name not in API_KEY_SCHEMES:
        import warnings

        warnings.warn(
            f"api_key[{name!r}] is not an API-key scheme of the Kenar API and is never sent; "
            f"put the key in api_key['APIKey'] (it goes out as the X-API-Key header)",
            UserWarning,
            stacklevel=3,
        )


def _safe_host(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = REDACTED + "@" + authority.rsplit("@", 1)[1]
    return (scheme + sep if sep else "") + authority + slash + path


class _SecretDict(Dict[str, str]):
    """A plain dict whose repr never shows its values (API keys live here).

    Setting a name that is not a scheme of the spec warns: the key would be
    silently ignored otherwise.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self:
            _warn_unknown_scheme(name)

    def __setitem__(self, name: str, value: str) -> None:
        _warn_unknown_scheme(name)
        super().__setitem__(name, value)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for name in dict(*args, **kwargs):
            _warn_unknown_scheme(name)
        super().update(*args, **kwargs)

    def setdefault(self, name: str, default: str = "") -> str:
        _warn_unknown_scheme(name)
        return super().setdefault(name, default)

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: {REDACTED!r}" for k in self) + "}"

    __str__ = __repr__


def check_timeout(value: Any, name: str = "timeout") -> Optional[Tuple[float, float]]:
    """Normalise a timeout to a (connect, read) pair, refusing nonsense clearly."""
    from kenar_api_client.exceptions import ApiValueError

    if value is None:
        return None
    if isinstance(value, bool):
        raise ApiValueError(f"{name} must be a number of seconds or a (connect, read) pair, not {value!r}")
    if isinstance(value, (int, float)):
        pair: Tuple[Any, Any] = (value, value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        pair = (value[0], value[1])
    else:
        raise ApiValueError(f"{name} must be a number of seconds or a (connect, read) pair, not {value!r}")
    for part in pair:
        if isinstance(part, bool) or not isinstance(part, (int, float)) or not part > 0:
            raise ApiValueError(f"{name} values must be positive numbers of seconds, got {value!r}")
    return (float(pair[0]), float(pair[1]))


def _is_loopback(hostname: str) -> bool:
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def check_host(value: Any, allow_insecure_http: bool = False) -> str:
    """Refuse a host URL that is not ``https://`` (or plain HTTP to a loopback address).

    The message never repeats credentials written into the URL.
    """
    from kenar_api_client.exceptions import ApiValueError

    if not isinstance(value, str):
        raise ApiValueError(f"host must be a URL string, not {type(value).__name__}")
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
        parts.port  # noqa: B018  a port that is not a number raises here
    except ValueError:
        raise ApiValueError("host is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not hostname:
        shown = parts.netloc.rsplit("@", 1)[-1] if parts.netloc else value.split("/", 1)[0].rsplit("@", 1)[-1]
        if scheme:
            shown = scheme + "://" + shown
        why = "" if scheme else " (without a scheme it would go out as plain HTTP, API key included)"
        raise ApiValueError(f"host must be an https:// URL such as {DEFAULT_HOST!r}, not {shown!r}{why}")
    if parts.username is not None or parts.password is not None:
        raise ApiValueError(
            "host must not carry credentials (user:password@): Kenar authenticates with the API key "
            "(X-API-Key) and access tokens, and a password in a URL leaks into logs"
        )
    if scheme == "http" and not _is_loopback(hostname):
        if not allow_insecure_http:
            raise ApiValueError(
                f"host {'http://' + parts.netloc!r} is plain HTTP: the API key would travel unencrypted. "
                "Use https://, or pass allow_insecure_http=True to Configuration if you really mean it"
            )
        _LOG.warning("plain HTTP to %s: the API key and tokens travel unencrypted", parts.netloc)
    return value


class Configuration:
    """Settings shared by every request an :class:`ApiClient` sends.

    Credentials: ``api_key["APIKey"]`` (sent as ``X-API-Key`` on every call) and
    ``access_token`` (sent as ``Authorization: Bearer ...`` on operations that
    need a user's OAuth grant), or a ``token_source`` that keeps a token fresh
    (see :mod:`kenar_api_client.oauth`).
    """

    _default: ClassVar[Optional[Configuration]] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        host: Optional[str] = None,
        api_key: Optional[Dict[str, str]] = None,
        api_key_prefix: Optional[Dict[str, str]] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        access_token: Optional[str] = None,
        server_index: Optional[int] = None,
        server_variables: Optional[Dict[str, str]] = None,
        server_operation_index: Optional[Dict[int, int]] = None,
        server_operation_variables: Optional[Dict[int, Dict[str, str]]] = None,
        ignore_operation_servers: bool = False,
        ssl_ca_cert: Optional[str] = None,
        retries: Any = None,
        ca_cert_data: Optional[Union[str, bytes]] = None,
        *,
        debug: Optional[bool] = None,
        allow_insecure_http: bool = False,
    ) -> None:
        #: True lets ``host`` be a plain ``http://`` URL to a host that is not loopback (a warning is logged)
        self.allow_insecure_http = bool(allow_insecure_http)
        self._base_path = DEFAULT_HOST if host is None else check_host(host, self.allow_insecure_http)
        #: base URL of the chat media upload host (no API key is ever sent there)
        self.chat_upload_host = DEFAULT_CHAT_UPLOAD_HOST
        self.server_index = 0 if server_index is None and host is None else server_index
        self.server_operation_index = server_operation_index or {}
        self.server_variables = server_variables or {}
        self.server_operation_variables = server_operation_variables or {}
        self.ignore_operation_servers = ignore_operation_servers
        self.temp_folder_path: Optional[str] = None

        self.api_key = api_key or {}
        self.api_key_prefix: Dict[str, str] = dict(api_key_prefix or {})
        self.refresh_api_key_hook: Optional[Callable[[Configuration], None]] = None
        self.username = username
        self.password = password
        self.access_token = access_token
        #: a :class:`TokenSource` (e.g. :class:`kenar_api_client.oauth.OAuthTokenSource`);
        #: used instead of ``access_token`` when set
        self.token_source: Optional[TokenSource] = None

        self.logger: Dict[str, logging.Logger] = {
            "package_logger": logging.getLogger("kenar_api_client"),
            "urllib3_logger": logging.getLogger("urllib3"),
        }
        self.logger_format = "%(asctime)s %(levelname)s %(message)s"
        self.logger_stream_handler: Optional[logging.Handler] = None
        self.logger_file_handler: Optional[logging.Handler] = None
        self._logger_file: Optional[str] = None
        self._debug = False
        if debug is not None:
            self.debug = debug

        self.verify_ssl = True
        self.ssl_ca_cert = ssl_ca_cert
        self.ca_cert_data = ca_cert_data
        self.cert_file: Optional[str] = None
        self.key_file: Optional[str] = None
        self.assert_hostname: Optional[Union[bool, str]] = None
        self.tls_server_name: Optional[str] = None
        #: connections kept open per host; at least the number of threads sharing one client,
        #: or urllib3 closes the extras after use and logs "Connection pool is full"
        self.connection_pool_maxsize = max(DEFAULT_POOL_MAXSIZE, multiprocessing.cpu_count() * 5)
        self.proxy: Optional[str] = None
        self.proxy_headers: Optional[Dict[str, str]] = None
        self.safe_chars_for_path_param = ""
        #: None means the default policy (see :class:`kenar_api_client.retry.RetryPolicy`);
        #: an int is the number of retries (0 turns them off); a ``urllib3.Retry`` or a
        #: ``RetryPolicy`` is used as given
        self.retries = retries
        self.client_side_validation = True
        self.socket_options: Optional[List[Any]] = None
        self.datetime_format = "%Y-%m-%dT%H:%M:%S.%f%z"
        self.date_format = "%Y-%m-%d"
        self._timeout: Optional[Tuple[float, float]] = DEFAULT_TIMEOUT
        self._deadline: Optional[float] = DEFAULT_DEADLINE
        self._max_response_bytes: Optional[int] = DEFAULT_MAX_RESPONSE_BYTES

    @property
    def api_key(self) -> Dict[str, str]:
        """API keys by security scheme: ``api_key["APIKey"]`` is sent as ``X-API-Key``."""
        return self._api_key

    @api_key.setter
    def api_key(self, value: Dict[str, str]) -> None:
        # kept in a dict whose repr hides the values, even when a plain dict is assigned
        self._api_key: Dict[str, str] = value if isinstance(value, _SecretDict) else _SecretDict(value)

    # ------------------------------------------------------------------ extras of ours
    @property
    def timeout(self) -> Optional[Tuple[float, float]]:
        """(connect, read) seconds applied to every request unless a call overrides it.

        Set a number for both, or a pair.  ``None`` turns the timeout off, which
        lets a call hang forever: only do it on purpose.
        """
        return self._timeout

    @timeout.setter
    def timeout(self, value: Optional[TimeoutValue]) -> None:
        self._timeout = check_timeout(value)

    @property
    def deadline(self) -> Optional[float]:
        """Seconds one attempt may take in all: connecting, sending, and reading the answer.

        ``timeout`` bounds each wait on the socket; this bounds their sum, so a
        server that sends a byte now and then cannot hold a call forever.
        Retries, their waits and a token refresh come on top (the guide
        "Errors and retries" gives the worst case).  ``None`` removes it.
        """
        return self._deadline

    @deadline.setter
    def deadline(self, value: Optional[float]) -> None:
        from kenar_api_client.exceptions import ApiValueError

        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf")
        ):
            raise ApiValueError(f"deadline must be a positive, finite number of seconds or None, not {value!r}")
        self._deadline = None if value is None else float(value)

    @property
    def max_response_bytes(self) -> Optional[int]:
        """The longest answer body read, in bytes after decoding (``None``: no limit).

        A longer one raises :class:`~kenar_api_client.exceptions.ResponseTooLargeError`
        while it is being read, so memory stays bounded.  Of an error answer's
        body at most 64 KiB is kept.
        """
        return self._max_response_bytes

    @max_response_bytes.setter
    def max_response_bytes(self, value: Optional[int]) -> None:
        from kenar_api_client.exceptions import ApiValueError

        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ApiValueError(f"max_response_bytes must be a positive int or None, not {value!r}")
        self._max_response_bytes = value

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None, *, require_api_key: bool = True) -> Configuration:
        """A configuration from ``KENAR_API_KEY``, ``KENAR_ACCESS_TOKEN`` and ``KENAR_HOST``.

        Without ``KENAR_API_KEY`` (or with it empty) this raises
        :class:`~kenar_api_client.exceptions.ApiValueError`, since every Kenar
        operation needs the key; pass ``require_api_key=False`` to build a
        configuration without one (a mock server that checks no key, say).
        """
        env = os.environ if environ is None else environ
        host = env.get("KENAR_HOST") or None
        key = env.get("KENAR_API_KEY")
        if not key and require_api_key:
            from kenar_api_client.exceptions import ApiValueError

            raise ApiValueError(
                "KENAR_API_KEY is not set: every Kenar operation needs the app's API key. Set it, or call "
                "Configuration.from_env(require_api_key=False) to build a configuration without one."
            )
        config = cls(host=host)
        if key:
            config.api_key["APIKey"] = key
        token = env.get("KENAR_ACCESS_TOKEN")
        if token:
            config.access_token = token
        return config

    # ------------------------------------------------------------------ copying and defaults
    def __deepcopy__(self, memo: Dict[int, Any]) -> Configuration:
        cls = self.__class__
        result = cls.__new__(cls)
        memo[id(self)] = result
        for key, value in self.__dict__.items():
            if key in ("logger", "logger_file_handler", "logger_stream_handler", "token_source"):
                setattr(result, key, value)  # shared, not copied
            else:
                setattr(result, key, copy.deepcopy(value, memo))
        return result

    @classmethod
    def set_default(cls, default: Optional[Configuration]) -> None:
        with cls._default_lock:
            cls._default = default

    @classmethod
    def get_default_copy(cls) -> Configuration:
        return cls.get_default()

    @classmethod
    def get_default(cls) -> Configuration:
        """The shared configuration (created once, even when threads ask at the same time)."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls()
            return cls._default

    # ------------------------------------------------------------------ logging
    @property
    def logger_file(self) -> Optional[str]:
        return self._logger_file

    @logger_file.setter
    def logger_file(self, value: Optional[str]) -> None:
        self._logger_file = value
        if value:
            self.logger_file_handler = logging.FileHandler(value)
            self.logger_file_handler.setFormatter(logging.Formatter(self.logger_format))
            for logger in self.logger.values():
                logger.addHandler(self.logger_file_handler)

    @property
    def debug(self) -> bool:
        """True logs each request and answer at DEBUG, with credentials redacted.

        Unlike the official SDK this does not switch on ``http.client``'s wire
        printing, which would print the API key and token to stdout.
        """
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = bool(value)
        level = logging.DEBUG if self._debug else logging.WARNING
        for logger in self.logger.values():
            logger.setLevel(level)

    # ------------------------------------------------------------------ credentials
    def get_api_key_with_prefix(self, identifier: str, alias: Optional[str] = None) -> Optional[str]:
        """The API key for ``identifier`` with its prefix, or None."""
        if self.refresh_api_key_hook is not None:
            self.refresh_api_key_hook(self)
        key = self.api_key.get(identifier, self.api_key.get(alias) if alias is not None else None)
        if key:
            prefix = self.api_key_prefix.get(identifier)
            return f"{prefix} {key}" if prefix else key
        return None

    def get_basic_auth_token(self) -> Optional[str]:
        """Basic auth is not used by Kenar; kept for compatibility."""
        import base64

        username = self.username or ""
        password = self.password or ""
        return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    def _auth_header(self, scheme: str) -> Optional[Tuple[str, str, Optional[str]]]:
        """(header, value, OAuth access token or None) that ``scheme`` sends, or None without a credential.

        The one place that decides which credential goes out: every request
        the ApiClient builds asks here, and :meth:`auth_settings` describes it.
        """
        if scheme == "APIKey":
            key = self.get_api_key_with_prefix("APIKey")
            return None if key is None else ("X-API-Key", key, None)
        if scheme == "OAuth":
            source = self.token_source
            token = source.get_access_token() if source is not None else self.access_token
            return ("Authorization", bearer(token), token) if token else None
        return None

    def auth_settings(self) -> Dict[str, Dict[str, Any]]:
        """The credentials to send, per security scheme of the spec (the token source's token when one is set)."""
        settings: Dict[str, Dict[str, Any]] = {}
        for scheme, kind in (("APIKey", "api_key"), ("OAuth", "oauth2")):
            found = self._auth_header(scheme)
            if found is not None:
                settings[scheme] = {"type": kind, "in": "header", "key": found[0], "value": found[1]}
        return settings

    # ------------------------------------------------------------------ reports and hosts
    def to_debug_report(self) -> str:
        """Facts worth pasting into a bug report (no secrets)."""
        from kenar_api_client import __version__

        return (
            "Python SDK Debug Report:\n"
            f"OS: {sys.platform}\n"
            f"Python Version: {platform.python_version()}\n"
            "Version of the API: 1.0\n"
            f"SDK Package Version: {__version__}\n"
            f"Host: {_safe_host(self.host)}\n"
            f"API key set: {'yes' if self.api_key.get('APIKey') else 'no'}\n"
            f"Access token set: {'yes' if self.access_token else 'no'}\n"
            f"Timeout: {self.timeout}\n"
            f"Deadline: {self.deadline}\n"
            f"Max response bytes: {self.max_response_bytes}\n"
            f"TLS verification: {'on' if self.verify_ssl else 'OFF'}"
        )

    def get_host_settings(self) -> List[Dict[str, Any]]:
        return [{"url": DEFAULT_HOST, "description": "Kenar open API"}]

    def get_host_from_settings(
        self,
        index: Optional[int],
        variables: Optional[Dict[str, str]] = None,
        servers: Optional[List[Dict[str, Any]]] = None,
    ) -> str:
        """The URL of server ``index`` with its variables filled in (None: the host)."""
        if index is None:
            return self._base_path
        variables = variables or {}
        servers = self.get_host_settings() if servers is None else servers
        try:
            server = servers[index]
        except IndexError:
            raise ValueError(
                f"Invalid index {index} when selecting the host settings. Must be less than {len(servers)}"
            ) from None
        url = str(server["url"])
        for name, spec in (server.get("variables") or {}).items():
            used = variables.get(name, spec["default_value"])
            if "enum_values" in spec and used not in spec["enum_values"]:
                raise ValueError(f"The variable `{name}` in the host URL has invalid value {used!r}.")
            url = url.replace("{" + name + "}", used)
        return url

    @property
    def host(self) -> str:
        return self.get_host_from_settings(self.server_index, variables=self.server_variables)

    @host.setter
    def host(self, value: str) -> None:
        self._base_path = check_host(value, getattr(self, "allow_insecure_http", False))
        self.server_index = None

    def __repr__(self) -> str:
        return (
            f"Configuration(host={_safe_host(self.host)!r}, api_key={mask(self.api_key.get('APIKey'))}, "
            f"access_token={mask(self.access_token)}, timeout={self.timeout!r}, verify_ssl={self.verify_ssl})"
        )

    __str__ = __repr__
