"""The transport: the only module that talks to urllib3.

One :class:`RESTClientObject` holds one ``urllib3.PoolManager`` (keep-alive
connections reused across calls, safe to share between threads).  It sends
exactly one attempt per :meth:`RESTClientObject.request`, with urllib3's own
retries switched off; retrying is the ApiClient's job, so nothing is retried
twice.  Every low-level failure comes out as a :class:`TransportError`
subclass naming the method and the URL.
"""

from __future__ import annotations

import http.client
import io
import logging
import socket
import ssl
import threading
import time
import zlib
from typing import IO, Any, Dict, Iterator, List, Optional, Tuple, Union
from urllib.parse import urlsplit, urlunsplit

import urllib3
from urllib3 import exceptions as u3

from kenar_api_client import _wire
from kenar_api_client._op_types import UNSET
from kenar_api_client.configuration import Configuration, check_timeout
from kenar_api_client.exceptions import (
    ApiConnectionError,
    ApiConnectTimeoutError,
    ApiException,  # noqa: F401  re-exported: the official examples import it from here
    ApiProtocolError,
    ApiReadTimeoutError,
    ApiTLSError,
    ApiValueError,
    ResponseTooLargeError,
    TransportError,
)

RESTResponseType = urllib3.HTTPResponse

_LOG = logging.getLogger("kenar_api_client")
_TLS_WARNED = threading.Event()


def is_socks_proxy_url(url: Optional[str]) -> bool:
    if url is None:
        return False
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    return scheme in ("socks4", "socks4a", "socks5", "socks5h")


def safe_url(url: str) -> str:
    """The URL without user:password, for messages and logs."""
    if "@" not in url:  # no userinfo possible: the common case, without parsing
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=host)
    return urlunsplit(parts)


class RESTResponse:
    """An answer: ``status``, ``reason``, ``data`` (bytes) and ``headers``.

    ``truncated`` is True when ``data`` holds only the first part of an error
    answer's body (see :data:`ERROR_BODY_LIMIT`).  ``method`` and ``url`` are the
    request's (the URL without credentials), for error messages.
    """

    __slots__ = ("response", "status", "reason", "data", "attempts", "truncated", "method", "url")

    def __init__(
        self,
        resp: urllib3.BaseHTTPResponse,
        data: Optional[bytes] = None,
        truncated: bool = False,
        method: Optional[str] = None,
        url: Optional[str] = None,
    ) -> None:
        self.method, self.url = method, url
        self.response = resp
        self.status: int = resp.status
        self.reason: Optional[str] = resp.reason
        self.data: Optional[bytes] = data
        self.attempts = 1
        self.truncated = truncated

    def read(self) -> bytes:
        if self.data is None:
            self.data = self.response.data
        return self.data

    @property
    def headers(self) -> Any:
        return self.response.headers

    def getheaders(self) -> Any:
        """The response headers (a case-insensitive mapping)."""
        return self.response.headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """One response header, or ``default``."""
        return self.response.headers.get(name, default)

    def release(self) -> None:
        """Give the connection back to the pool without reading the rest.

        An answer whose body was not read has its connection closed rather
        than drained: draining a huge or trickling body could take forever.
        """
        if self.data is None:
            _discard(self.response)
        else:
            self.response.release_conn()

    def __repr__(self) -> str:
        return f"RESTResponse(status={self.status}, reason={self.reason!r})"


def _discard(resp: urllib3.BaseHTTPResponse) -> None:
    try:
        resp.close()  # closes the socket: the pool opens a fresh one next time
    except Exception:  # already broken; nothing to keep
        pass
    resp.release_conn()


# --------------------------------------------------------------------------- what the sockets know
#
# Two facts urllib3 does not tell us are kept per thread (a request runs
# entirely in the calling thread): whether the request has started to go out
# on the wire, and when the current attempt's deadline passes.


class _State(threading.local):
    written = False
    deadline: Optional[float] = None


_STATE = _State()


class _DeadlineSocketIO(socket.SocketIO):
    """A socket reader whose every read ends by the attempt's deadline."""

    def __init__(self, sock: Any, deadline: float) -> None:
        super().__init__(sock, "rb")
        sock._io_refs += 1  # as socket.makefile does: the socket stays open while this reads
        self._deadline = deadline

    def readinto(self, b: Any) -> Optional[int]:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("the deadline passed")
        current = self._sock.gettimeout()  # type: ignore[attr-defined]
        if current is None or current > remaining:
            self._sock.settimeout(remaining)  # type: ignore[attr-defined]
        return super().readinto(b)


class _DeadlineSocket:
    """Stands in for the socket while http.client builds its response: hands out a deadline reader."""

    __slots__ = ("sock", "deadline")

    def __init__(self, sock: Any, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineSocketIO(self.sock, self.deadline))


class _DeadlineHTTPResponse(http.client.HTTPResponse):
    """http.client's response, reading the status line, headers and body against the deadline."""

    def __init__(self, sock: Any, debuglevel: int = 0, method: Optional[str] = None, url: Optional[str] = None) -> None:
        deadline = _STATE.deadline
        if deadline is not None and hasattr(sock, "_io_refs"):
            sock = _DeadlineSocket(sock, deadline)
        super().__init__(sock, debuglevel, method, url)


class _TrackedConnection:
    """Mixed into urllib3's connection classes: marks the moment a request starts to go out.

    Connecting (to the origin, to a proxy, through a CONNECT tunnel) happens
    before the mark, so a failure without it provably sent nothing.
    """

    response_class = _DeadlineHTTPResponse

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kwargs: Any) -> None:
        if getattr(self, "sock", None) is None:
            self.connect()  # type: ignore[attr-defined]
        _STATE.written = True
        super().request(method, url, body, headers, **kwargs)  # type: ignore[misc]


_TRACKED: Dict[Any, Any] = {}


def _tracked_pool_classes(manager: urllib3.PoolManager) -> Dict[str, Any]:
    """The manager's pool classes, with connections that are :class:`_TrackedConnection`."""
    classes: Dict[str, Any] = {}
    pool_class: Any
    for scheme, pool_class in manager.pool_classes_by_scheme.items():
        tracked = _TRACKED.get(pool_class)
        if tracked is None:
            base = pool_class.ConnectionCls
            connection_class = type("Kenar" + base.__name__, (_TrackedConnection, base), {})
            tracked = _TRACKED[pool_class] = type(
                "Kenar" + pool_class.__name__, (pool_class,), {"ConnectionCls": connection_class}
            )
        classes[scheme] = tracked
    return classes


# --------------------------------------------------------------------------- reading a body, bounded

#: bytes read per step when the body's length is not known up front
READ_CHUNK = 1 << 20
#: the most of an error answer's body that is read and kept (on the exception)
ERROR_BODY_LIMIT = 64 * 1024
_MAX_ENCODING_LAYERS = 4
#: the most one decoding step produces, so decoded data never sits in one huge buffer
_PIECE = 1 << 20


class _TooLarge(Exception):
    """The body is over the limit."""


class _Layer:
    """One Content-Encoding layer, decoded with a bound on what it may produce."""

    def __init__(self, name: str) -> None:
        self.gzip = name in ("gzip", "x-gzip")
        self.obj = self._new()
        self.produced = 0
        self.started = False
        self.done = False
        #: True once the layer produced more than the limit (it then stops)
        self.over = False

    def _new(self, raw: bool = False) -> Any:
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else (16 + zlib.MAX_WBITS if self.gzip else zlib.MAX_WBITS))

    def feed(self, data: bytes, limit: Optional[int]) -> List[bytes]:
        """Decode ``data`` into pieces of at most :data:`_PIECE` bytes, stopping past ``limit``."""
        out: List[bytes] = []
        while data and not self.done:
            cap = _PIECE if limit is None else min(_PIECE, limit - self.produced + 1)
            try:
                piece = self.obj.decompress(data, cap)
            except zlib.error:
                if not self.gzip and not self.started:  # "deflate" sent as raw deflate, as some servers do
                    self.obj = self._new(raw=True)
                    self.started = True
                    continue
                if self.gzip and self.produced and not self.started:  # junk after the last gzip member
                    self.done = True
                    break
                raise
            self.started = True
            self.produced += len(piece)
            if piece:
                out.append(piece)
            if limit is not None and self.produced > limit:
                self.over = self.done = True
                break
            data = self.obj.unconsumed_tail
            if self.obj.eof:
                data = self.obj.unused_data
                if self.gzip and data:  # another gzip member follows
                    self.obj = self._new()
                    self.started = False
                else:
                    self.done = True
        return out


def _decoder_layers(content_encoding: Optional[str]) -> List[_Layer]:
    if not content_encoding:
        return []
    names = [part.strip().lower() for part in content_encoding.split(",")]
    names = [name for name in names if name and name != "identity"]
    for name in names:
        if name not in ("gzip", "x-gzip", "deflate"):
            raise ValueError(f"the answer is encoded as {name!r}, which the SDK did not ask for and does not decode")
    if len(names) > _MAX_ENCODING_LAYERS:
        raise ValueError(f"the answer is encoded {len(names)} times over ({content_encoding!r})")
    return [_Layer(name) for name in reversed(names)]


def _read_body(resp: Any, limit: Optional[int], excerpt: bool) -> Tuple[bytes, bool]:
    """The body of ``resp``, decoded, at most ``limit`` bytes.

    Over the limit, raise :class:`_TooLarge`, or (``excerpt``) return the first
    ``limit`` bytes and True.
    """
    layers = _decoder_layers(resp.headers.get("Content-Encoding"))
    length = resp.length_remaining
    if not layers and (limit is None or (length is not None and length <= limit)):
        return resp.read(decode_content=False) or b"", False
    if not layers and length is not None and not excerpt:
        raise _TooLarge()  # announced as too large: not a byte of it is read
    step = READ_CHUNK if limit is None else min(READ_CHUNK, limit + 1)
    chunks: List[bytes] = []
    size = 0
    while True:
        chunk = resp.read(step, decode_content=False)
        if not chunk:
            return b"".join(chunks), False
        pieces = [chunk]
        over = False
        for layer in layers:
            pieces = [out for piece in pieces for out in layer.feed(piece, limit)]
            over = over or layer.over
        chunks.extend(pieces)
        size += sum(len(piece) for piece in pieces)
        if over or (limit is not None and size > limit):
            if not excerpt:
                raise _TooLarge()
            return b"".join(chunks)[:limit], True


class RESTClientObject:
    """Sends single HTTP requests over a shared connection pool."""

    def __init__(self, configuration: Configuration) -> None:
        self.configuration = configuration
        pool_args: Dict[str, Any] = {
            "cert_reqs": ssl.CERT_REQUIRED if configuration.verify_ssl else ssl.CERT_NONE,
            "ca_certs": configuration.ssl_ca_cert,
            "cert_file": configuration.cert_file,
            "key_file": configuration.key_file,
            "ca_cert_data": configuration.ca_cert_data,
            "retries": False,
            "maxsize": configuration.connection_pool_maxsize or 4,
        }
        if configuration.assert_hostname is not None:
            pool_args["assert_hostname"] = configuration.assert_hostname
        if configuration.tls_server_name:
            pool_args["server_hostname"] = configuration.tls_server_name
        if configuration.socket_options is not None:
            pool_args["socket_options"] = configuration.socket_options
        if not configuration.verify_ssl:
            if not _TLS_WARNED.is_set():
                _TLS_WARNED.set()
                _LOG.warning("TLS certificate verification is OFF: traffic can be read and changed in transit")
            urllib3.disable_warnings(u3.InsecureRequestWarning)

        self.pool_manager: urllib3.PoolManager
        if configuration.proxy:
            if is_socks_proxy_url(configuration.proxy):
                from urllib3.contrib.socks import SOCKSProxyManager

                pool_args["proxy_url"] = configuration.proxy
                pool_args["headers"] = configuration.proxy_headers
                self.pool_manager = SOCKSProxyManager(**pool_args)
            else:
                pool_args["proxy_url"] = configuration.proxy
                pool_args["proxy_headers"] = configuration.proxy_headers
                self.pool_manager = urllib3.ProxyManager(**pool_args)
        else:
            self.pool_manager = urllib3.PoolManager(**pool_args)
        self.pool_manager.pool_classes_by_scheme = _tracked_pool_classes(self.pool_manager)
        self._timeouts: Dict[Tuple[Tuple[float, float], Optional[float]], urllib3.Timeout] = {}

    def _timeout(self, value: Any, deadline: Optional[float] = None) -> Optional[urllib3.Timeout]:
        pair = self.configuration.timeout if value is UNSET else check_timeout(value, "_request_timeout")
        if pair is None:
            if deadline is None:
                return None
            pair = (deadline, deadline)
        key = (pair, deadline)
        cached = self._timeouts.get(key)
        if cached is None:
            connect, read = pair
            if deadline is not None:  # no single wait may outlast the whole attempt
                connect, read = min(connect, deadline), min(read, deadline)
            cached = self._timeouts[key] = urllib3.Timeout(connect=connect, read=read)
        return cached

    def request(
        self,
        method: str,
        url: str,
        headers: Optional[Dict[str, str]] = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = UNSET,
        preload_content: bool = True,
    ) -> RESTResponse:
        """Send one request; raise a :class:`TransportError` if no answer arrives.

        ``body`` may be bytes, str, an :class:`UploadBody` (streamed with its
        length), or a JSON-able value (encoded as JSON);
        ``post_params`` (with no body) are sent as a urlencoded form.
        ``_request_timeout`` left out uses ``Configuration.timeout``; None means
        no timeout; a number or a (connect, read) pair sets both.

        The attempt (connecting, sending, the answer's headers and, with
        ``preload_content``, its body) ends by ``Configuration.deadline``; a
        body longer than ``Configuration.max_response_bytes`` (counted after
        decoding) raises :class:`ResponseTooLargeError`, and of an error
        answer's body only the first :data:`ERROR_BODY_LIMIT` bytes are kept.
        """
        method = method.upper()
        headers = dict(headers or {})
        config = self.configuration
        deadline = config.deadline
        timeout = self._timeout(_request_timeout, deadline)
        if isinstance(body, UploadBody):
            headers["Content-Length"] = str(len(body))  # streamed with a length, not chunked
        elif body is not None and not isinstance(body, (bytes, bytearray)):
            body = _wire.encode_body(body)  # the one body encoder (ApiClient hands bytes already)
        elif body is None and post_params:
            body = _wire.form_body(post_params)
            headers.setdefault("Content-Type", _wire.FORM_CONTENT_TYPE)
        state = _STATE
        state.written = False
        deadline_at = state.deadline = None if deadline is None else time.monotonic() + deadline
        resp: Any = None
        try:
            resp = self.pool_manager.request(
                method,
                url,
                body=body,
                headers=headers,
                timeout=timeout,
                preload_content=False,
                decode_content=not preload_content,
                redirect=False,
                retries=False,
            )
            if not preload_content:
                return RESTResponse(resp, method=method, url=safe_url(url))
            limit = config.max_response_bytes
            status = resp.status
            if not 200 <= status <= 299:
                limit = ERROR_BODY_LIMIT if limit is None else min(limit, ERROR_BODY_LIMIT)
            try:
                data, truncated = _read_body(resp, limit, not 200 <= status <= 299)
            except _TooLarge:
                _discard(resp)
                raise ResponseTooLargeError(
                    method, safe_url(url), f"the answer is over the limit of {limit} bytes", status=status, limit=limit
                ) from None
            except ValueError as error:  # an encoding we cannot or will not decode
                _discard(resp)
                raise ApiProtocolError(method, safe_url(url), str(error)) from None
            except zlib.error as error:
                _discard(resp)
                raise ApiProtocolError(
                    method, safe_url(url), f"the answer's compressed body is corrupt ({error})"
                ) from None
            if truncated:
                _discard(resp)
            return RESTResponse(resp, data, truncated, method, safe_url(url))
        except u3.NewConnectionError as error:  # before ConnectTimeoutError: it subclasses it
            raise ApiConnectionError(method, safe_url(url), _reason(error)) from error
        except u3.ConnectTimeoutError as error:
            raise ApiConnectTimeoutError(method, safe_url(url), _reason(error)) from error
        except u3.SSLError as error:
            raise ApiTLSError(method, safe_url(url), _reason(error)) from error
        except u3.ReadTimeoutError as error:
            _discard_quietly(resp)
            detail = _reason(error)
            if deadline_at is not None and time.monotonic() >= deadline_at - 0.01:
                detail = f"the attempt took longer than the deadline of {deadline:g} s"
            raise ApiReadTimeoutError(method, safe_url(url), detail) from error
        except u3.ProxyError as error:
            # urllib3 says "proxy error" for anything that breaks while the connection counts
            # as not yet connected, even after the proxy read the whole request: only a
            # failure before the request started to go out means nothing was sent
            if state.written:
                raise ApiProtocolError(method, safe_url(url), "proxy: " + _reason(error)) from error
            raise ApiConnectionError(method, safe_url(url), "proxy: " + _reason(error)) from error
        except (u3.ProtocolError, u3.DecodeError, u3.ResponseError) as error:
            _discard_quietly(resp)
            raise ApiProtocolError(method, safe_url(url), _reason(error)) from error
        except u3.LocationParseError as error:
            raise ApiValueError(f"invalid URL {safe_url(url)!r}: {error}") from error
        except u3.HTTPError as error:
            _discard_quietly(resp)
            raise TransportError(method, safe_url(url), _reason(error)) from error
        except OSError as error:
            _discard_quietly(resp)
            raise ApiProtocolError(method, safe_url(url), _reason(error)) from error
        finally:
            state.deadline = None

    def close(self) -> None:
        self.pool_manager.clear()


class UploadBody:
    """A request body streamed from bytes and open binary files, never copied whole.

    A file part is sent from the position it had when the body was made to its
    end, in chunks.  Every iteration starts again from the beginning, so a retry
    resends the same bytes; ``len()`` is the exact size (sent as Content-Length).
    """

    CHUNK_SIZE = 256 * 1024

    def __init__(self, *parts: Union[bytes, bytearray, memoryview, IO[bytes]]) -> None:
        self._parts: List[Tuple[Any, int, int]] = []  # (bytes or file, start, size)
        total = 0
        for part in parts:
            if isinstance(part, (bytes, bytearray, memoryview)):
                data = part if isinstance(part, bytes) else bytes(part)
                self._parts.append((data, 0, len(data)))
                total += len(data)
            else:
                start = part.tell()
                size = part.seek(0, 2) - start
                part.seek(start)
                self._parts.append((part, start, size))
                total += size
        self._length = total

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        for part, start, size in self._parts:
            if isinstance(part, bytes):
                if part:
                    yield part
                continue
            part.seek(start)
            left = size
            while left > 0:
                chunk = part.read(min(self.CHUNK_SIZE, left))
                if not chunk:
                    raise OSError(f"the file ended {left} bytes before its size when sent")
                left -= len(chunk)
                yield chunk

    def __repr__(self) -> str:
        return f"UploadBody({self._length} bytes)"


def multipart_file_body(
    field_name: str, filename: str, content_type: str, data: Union[bytes, IO[bytes]]
) -> Tuple[UploadBody, str]:
    """A ``multipart/form-data`` body of one file field, and its Content-Type.

    urllib3's encoder writes the framing and the part headers (the filename
    quoted its way); the file's bytes are then streamed between them instead of
    being copied into one buffer, so a 50 MB file is not held twice.
    """
    from urllib3.fields import RequestField
    from urllib3.filepost import choose_boundary

    field = RequestField(name=field_name, data=b"", filename=filename)
    field.make_multipart(content_type=content_type)
    boundary = choose_boundary()
    empty, form_content_type = urllib3.encode_multipart_formdata([field], boundary=boundary)
    # the encoder ends a part with CRLF after its data, then the closing boundary line
    closing = f"\r\n--{boundary}--\r\n".encode("latin-1")
    if not empty.endswith(closing):  # pragma: no cover - a urllib3 that frames differently
        raise RuntimeError("unexpected multipart framing from urllib3")
    return UploadBody(empty[: -len(closing)], data, closing), form_content_type


def _discard_quietly(resp: Any) -> None:
    if resp is not None:
        try:
            _discard(resp)
        except Exception:  # the error being raised matters more
            pass


def _reason(error: BaseException) -> str:
    text = str(error)
    # urllib3 messages embed the connection object's repr; keep the useful tail
    if "): " in text and "<urllib3" in text:
        text = text.split("): ", 1)[1]
    return text[:300]


__all__ = [
    "ERROR_BODY_LIMIT",
    "READ_CHUNK",
    "RESTClientObject",
    "RESTResponse",
    "RESTResponseType",
    "UploadBody",
    "is_socks_proxy_url",
    "multipart_file_body",
    "safe_url",
]
