"""Errors raised by the SDK.

Every error raised while building a request, sending it or reading its answer
derives from :class:`OpenApiException`:

* ``ApiTypeError`` / ``ApiValueError`` / ``ApiKeyError`` / ``ApiAttributeError``:
  bad arguments, refused before anything is sent;
* ``ApiException`` and its status subclasses: the server answered with a
  non-2xx status;
* ``TransportError`` and its subclasses: no usable answer arrived (DNS,
  refused connection, TLS, timeout, reset, truncated body);
* ``ResponseDecodeError``: a 2xx answer whose body is not the JSON expected.
"""

from __future__ import annotations

import datetime
import json
import re
import time
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

if TYPE_CHECKING:  # pragma: no cover
    from kenar_api_client.models.googlerpc_status import GooglerpcStatus

PathType = Sequence[Union[str, int]]


def _rebuild(cls: Any, args: Tuple[Any, ...]) -> Any:
    """Unpickle an SDK error without calling its ``__init__`` (its state comes back separately)."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    return error


class OpenApiException(Exception):
    """Base class of every error this SDK raises.

    Every SDK error can be copied and pickled (e.g. to cross a process pool),
    keeping its attributes; the low-level ``__cause__`` is not carried over.
    """

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.args), dict(self.__dict__))


def _render_path(path_to_item: Optional[PathType]) -> str:
    result = ""
    for part in path_to_item or ():
        result += f"[{part}]" if isinstance(part, int) else f"['{part}']"
    return result


class _PathError(OpenApiException):
    def __init__(
        self,
        msg: str,
        path_to_item: Optional[PathType] = None,
        valid_classes: Optional[Sequence[type]] = None,
        key_type: Optional[bool] = None,
    ) -> None:
        self.path_to_item = path_to_item
        self.valid_classes = valid_classes
        self.key_type = key_type
        full = f"{msg} at {_render_path(path_to_item)}" if path_to_item else msg
        super().__init__(full)


class ApiTypeError(_PathError, TypeError):
    """An argument has the wrong type; nothing was sent."""


class ApiValueError(_PathError, ValueError):
    """An argument has a value the API cannot take; nothing was sent."""


class ApiAttributeError(_PathError, AttributeError):
    """An attribute that does not exist was asked for."""


class ApiKeyError(_PathError, KeyError):
    """A key that does not exist was asked for."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------- HTTP status errors


def _excerpt(text: Optional[str], limit: int = 200) -> str:
    if text is None:
        return ""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


class ApiException(OpenApiException):
    """The server answered with a status outside 2xx.

    ``status``, ``reason``, ``body`` (the raw text) and ``headers`` are as the
    server sent them.  When the body is a ``googlerpcStatus`` document its
    parts are readable as ``code``, ``message`` and ``details`` (and the whole
    model as ``rpc_status``).
    """

    def __init__(
        self,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        http_resp: Any = None,
        *,
        body: Optional[str] = None,
        data: Any = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.body = body
        self.data = data
        self.headers: Any = None
        self.attempts = 1
        #: The request that earned this answer (the URL never carries credentials), when known.
        self.method: Optional[str] = None
        self.url: Optional[str] = None
        if http_resp is not None:
            method, url = getattr(http_resp, "method", None), getattr(http_resp, "url", None)
            if isinstance(method, str) and isinstance(url, str):
                self.method, self.url = method, url
            if self.status is None:
                self.status = http_resp.status
            if self.reason is None:
                self.reason = http_resp.reason
            if self.body is None:
                raw = getattr(http_resp, "data", None)
                if isinstance(raw, (bytes, bytearray)):
                    self.body = bytes(raw).decode("utf-8", errors="replace")
            # ``headers`` where the response has it: urllib3 2.0/2.1 warn on getheaders()
            headers = getattr(http_resp, "headers", None)
            self.headers = headers if headers is not None else http_resp.getheaders()
        self._rpc: Optional[Dict[str, Any]] = _parse_rpc_status(self.body)
        super().__init__(self.status, self.reason)

    # -- the parsed googlerpcStatus -------------------------------------------------
    @property
    def code(self) -> Optional[int]:
        """The gRPC status code from the error body, if it had one."""
        value = self._rpc.get("code") if self._rpc else None
        return value if isinstance(value, int) else None

    @property
    def message(self) -> Optional[str]:
        """The human readable message from the error body, if it had one."""
        value = self._rpc.get("message") if self._rpc else None
        return value if isinstance(value, str) else None

    @property
    def details(self) -> List[Any]:
        """The ``details`` list from the error body (empty when absent)."""
        value = self._rpc.get("details") if self._rpc else None
        return value if isinstance(value, list) else []

    @property
    def rpc_status(self) -> Optional[GooglerpcStatus]:
        """The error body as a :class:`GooglerpcStatus` model, or None."""
        if self._rpc is None:
            return None
        from kenar_api_client.models.googlerpc_status import GooglerpcStatus

        try:
            return GooglerpcStatus.model_validate(self._rpc)
        except Exception:  # a body that only looks like one
            return None

    @classmethod
    def from_response(
        cls,
        *,
        http_resp: Any,
        body: Optional[str],
        data: Any,
    ) -> ApiException:
        """Build the status-specific exception for ``http_resp`` (not raised)."""
        status = http_resp.status
        exc_class: type[ApiException] = _STATUS_CLASSES.get(status) or (
            ServiceException if 500 <= status <= 599 else ApiException
        )
        return exc_class(http_resp=http_resp, body=body, data=data)

    def __str__(self) -> str:
        """The status, the request, the server's code and message; no headers.

        The full body and headers stay on ``body`` and ``headers``; the text shows
        the body only when it is not a ``googlerpcStatus`` document.
        """
        lines = [f"({self.status}) {self.reason}" if self.reason else f"({self.status})"]
        if self.method and self.url:
            lines.append(f"Request: {self.method} {self.url}")
        code = self.code
        if code is not None:
            name = _GRPC_CODE_NAMES.get(code)
            lines.append(f"Code: {code} ({name})" if name else f"Code: {code}")
        if self.message is not None:
            lines.append(f"Message: {self.message}")
        elif self.body:
            lines.append(f"Body: {_excerpt(self.body, 500)}")
        retry_after = getattr(self, "retry_after", None)
        if retry_after is not None:
            lines.append(f"Retry after: {retry_after:g} s")
        if self.attempts > 1:
            lines.append(f"Attempts: {self.attempts}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, reason={self.reason!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython shows the readable text, not the constructor-like repr."""
        printer.text(f"{type(self).__name__}: {self}")


# google.rpc.Code: the codes a googlerpcStatus body carries
_GRPC_CODE_NAMES: Dict[int, str] = {
    0: "OK",
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}


def _parse_rpc_status(body: Optional[str]) -> Optional[Dict[str, Any]]:
    if not body or not body.lstrip().startswith("{"):
        return None
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    if not isinstance(decoded, dict):
        return None
    if not ({"code", "message", "details"} & decoded.keys()):
        return None
    return decoded


class BadRequestException(ApiException):
    """400: the request was malformed or failed the server's validation."""


class UnauthorizedException(ApiException):
    """401: the API key or access token is missing, wrong or expired."""


class ForbiddenException(ApiException):
    """403: the credentials do not grant this operation."""


class NotFoundException(ApiException):
    """404: the resource (post, conversation, user...) does not exist."""


class ConflictException(ApiException):
    """409: the request conflicts with the resource's current state."""


class UnprocessableEntityException(ApiException):
    """422: the request was understood but cannot be carried out."""


class TooManyRequestsException(ApiException):
    """429: the rate limit was hit; ``retry_after`` is the server's wait, in seconds."""

    def __init__(
        self,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        http_resp: Any = None,
        *,
        body: Optional[str] = None,
        data: Any = None,
    ) -> None:
        super().__init__(status, reason, http_resp, body=body, data=data)
        self.retry_after: Optional[float] = parse_retry_after(_header(self.headers, "Retry-After"))


class ServiceException(ApiException):
    """5xx: the server failed."""


_STATUS_CLASSES: Dict[int, type[ApiException]] = {
    400: BadRequestException,
    401: UnauthorizedException,
    403: ForbiddenException,
    404: NotFoundException,
    409: ConflictException,
    422: UnprocessableEntityException,
    429: TooManyRequestsException,
}


def _header(headers: Any, name: str) -> Optional[str]:
    if headers is None:
        return None
    getter = getattr(headers, "get", None)
    if getter is None:
        return None
    value = getter(name)
    if value is None and isinstance(headers, Mapping):
        lowered = name.lower()
        for key, candidate in headers.items():
            if str(key).lower() == lowered:
                return str(candidate)
    return None if value is None else str(value)


#: the longest ``Retry-After`` reported, in seconds (a later date or a longer delay reads as this)
RETRY_AFTER_MAX = 86400.0

_DELAY_SECONDS = re.compile(r"[0-9]+")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
# RFC 9110 section 5.6.7: IMF-fixdate, then the obsolete RFC 850 and asctime forms
_IMF_FIXDATE = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) " + _MONTH + r" ([0-9]{4}) " + _TIME + " GMT")
_RFC850_DATE = re.compile(
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), ([0-9]{2})-"
    + _MONTH
    + r"-([0-9]{2}) "
    + _TIME
    + " GMT"
)
_ASCTIME_DATE = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) " + _MONTH + r" ([0-9 ][0-9]) " + _TIME + r" ([0-9]{4})")


def _http_date(value: str, now: float) -> Optional[float]:
    match = _IMF_FIXDATE.fullmatch(value)
    if match:
        day, month, year, hour, minute, second = match.groups()
    else:
        match = _RFC850_DATE.fullmatch(value)
        if match:
            day, month, short_year, hour, minute, second = match.groups()
            # RFC 9110: a two-digit year more than 50 years in the future means the past century
            this_year = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).year
            year = str(2000 + int(short_year))
            if int(year) > this_year + 50:
                year = str(int(year) - 100)
        else:
            match = _ASCTIME_DATE.fullmatch(value)
            if not match:
                return None
            month, day, hour, minute, second, year = match.groups()
    try:
        when = datetime.datetime(
            int(year),
            _MONTHS.index(month) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=datetime.timezone.utc,
        )
    except ValueError:  # 31 Feb, hour 25...
        return None
    return when.timestamp() - now


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` value, or None when it is not one.

    Only the forms of RFC 9110 are read: a whole number of seconds in ASCII
    digits, or an HTTP date (a date in the past means 0).  The result is at
    most :data:`RETRY_AFTER_MAX` (a day).
    """
    if value is None:
        return None
    value = value.strip(" \t")
    if not value:
        return None
    if _DELAY_SECONDS.fullmatch(value):
        return min(float(int(value)), RETRY_AFTER_MAX) if len(value) < 20 else RETRY_AFTER_MAX
    current = time.time() if now is None else now
    seconds = _http_date(value, current)
    if seconds is None:
        return None
    return min(max(0.0, seconds), RETRY_AFTER_MAX)


# --------------------------------------------------------------------- transport errors


class TransportError(OpenApiException):
    """No usable answer arrived for a request.

    ``method`` and ``url`` say where (the URL never carries credentials),
    ``attempts`` how many times the request was tried, and ``__cause__`` holds
    the low-level error for debugging.
    """

    what = "request failed"

    def __init__(self, method: str, url: str, detail: str = "", *, attempts: int = 1) -> None:
        self.method = method
        self.url = url
        self.detail = detail
        self.attempts = attempts
        super().__init__(self._text())

    def _text(self) -> str:
        text = f"{self.what}: {self.method} {self.url}"
        if self.detail:
            text += f" ({self.detail})"
        if self.attempts > 1:
            text += f" after {self.attempts} attempts"
        return text

    def __str__(self) -> str:
        return self._text()


class ApiConnectionError(TransportError):
    """The connection could not be opened (DNS, refused, unreachable)."""

    what = "could not connect"


class ApiTLSError(ApiConnectionError):
    """The TLS handshake or certificate check failed."""

    what = "TLS failure"


class ApiTimeoutError(TransportError):
    """Connecting or waiting for the answer took longer than the timeout."""

    what = "timed out"


class ApiConnectTimeoutError(ApiTimeoutError, ApiConnectionError):
    """The connection was not opened within the connect timeout."""

    what = "connect timed out"


class ApiReadTimeoutError(ApiTimeoutError):
    """The server did not answer within the read timeout."""

    what = "read timed out"


class ApiProtocolError(TransportError):
    """The connection broke after the request was sent (reset, truncated body)."""

    what = "connection broken"


class ResponseTooLargeError(TransportError):
    """The answer's body is longer than ``Configuration.max_response_bytes``.

    The length counts the body after decoding (a compressed body cannot hide
    its size).  ``status`` is the answer's status and ``limit`` the limit in
    bytes.  It is not retried: the same answer would be too large again.
    """

    what = "answer too large"

    def __init__(
        self,
        method: str,
        url: str,
        detail: str = "",
        *,
        attempts: int = 1,
        status: Optional[int] = None,
        limit: Optional[int] = None,
    ) -> None:
        self.status = status
        self.limit = limit
        super().__init__(method, url, detail, attempts=attempts)


# --------------------------------------------------------------------- decoding errors


class ResponseDecodeError(OpenApiException, ValueError):
    """A 2xx answer whose body is not valid JSON or does not fit the model."""

    def __init__(
        self,
        status: int,
        detail: str,
        body: Union[bytes, str, None],
        *,
        content_type: Optional[str] = None,
        headers: Any = None,
    ) -> None:
        self.status = status
        self.detail = detail
        self.content_type = content_type
        self.headers = headers
        if isinstance(body, (bytes, bytearray)):
            text = bytes(body[:400]).decode("utf-8", errors="replace")
            size = len(body)
        else:
            text = (body or "")[:400]
            size = len(body or "")
        self.body_excerpt = text[:200] + (f"... ({size} bytes)" if size > 200 else "")
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"could not decode the {self.status} response: {self.detail}; body: {self.body_excerpt!r}"


__all__ = [
    "ApiAttributeError",
    "ApiConnectTimeoutError",
    "ApiConnectionError",
    "ApiException",
    "ApiKeyError",
    "ApiProtocolError",
    "ApiReadTimeoutError",
    "ApiTLSError",
    "ApiTimeoutError",
    "ApiTypeError",
    "ApiValueError",
    "BadRequestException",
    "ConflictException",
    "ForbiddenException",
    "NotFoundException",
    "OpenApiException",
    "RETRY_AFTER_MAX",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "ServiceException",
    "TooManyRequestsException",
    "TransportError",
    "UnauthorizedException",
    "UnprocessableEntityException",
    "parse_retry_after",
]
