"""The transport: the only module that talks to urllib3.

One :class:`RESTClientObject` holds one ``urllib3.PoolManager`` (keep-alive
connections reused across calls, safe to share between threads).  It sends
exactly one attempt per :meth:`RESTClientObject.request`, with urllib3's own
retries switched off; retrying is the ApiClient's job, so nothing is retried
twice.  Every low-level failure comes out as a :class:`TransportError`
subclass naming the method and the URL.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
from typing import IO, Any, Dict, Iterator, List, Optional, Tuple, Union
from urllib.parse import urlencode, urlsplit, urlunsplit

import urllib3
from urllib3 import exceptions as u3

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
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=host)
    return urlunsplit(parts)


class RESTResponse:
    """An answer: ``status``, ``reason``, ``data`` (bytes) and ``headers``."""

    __slots__ = ("response", "status", "reason", "data", "attempts", "method", "url")

    def __init__(self, resp: urllib3.BaseHTTPResponse, method: Optional[str] = None, url: Optional[str] = None) -> None:
        self.method, self.url = method, url  # the request's, for error messages (the URL without credentials)
        self.response = resp
        self.status: int = resp.status
        self.reason: Optional[str] = resp.reason
        self.data: Optional[bytes] = None
        self.attempts = 1

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
        """Give the connection back to the pool without reading the rest."""
        try:
            self.response.drain_conn()
        except Exception:  # the connection is broken anyway; the pool replaces it
            pass
        self.response.release_conn()

    def __repr__(self) -> str:
        return f"RESTResponse(status={self.status}, reason={self.reason!r})"


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
        self._timeouts: Dict[Tuple[float, float], urllib3.Timeout] = {}

    def _timeout(self, value: Any) -> Optional[urllib3.Timeout]:
        pair = self.configuration.timeout if value is UNSET else check_timeout(value, "_request_timeout")
        if pair is None:
            return None
        cached = self._timeouts.get(pair)
        if cached is None:
            cached = self._timeouts[pair] = urllib3.Timeout(connect=pair[0], read=pair[1])
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
        """
        method = method.upper()
        headers = dict(headers or {})
        timeout = self._timeout(_request_timeout)
        if isinstance(body, UploadBody):
            headers["Content-Length"] = str(len(body))  # streamed with a length, not chunked
        elif body is not None and not isinstance(body, (bytes, bytearray)):
            if isinstance(body, str):
                body = body.encode("utf-8")
            else:
                body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        elif body is None and post_params:
            body = urlencode(post_params).encode("ascii")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        try:
            resp = self.pool_manager.request(
                method,
                url,
                body=body,
                headers=headers,
                timeout=timeout,
                preload_content=preload_content,
                redirect=False,
                retries=False,
            )
        except u3.NewConnectionError as error:  # before ConnectTimeoutError: it subclasses it
            raise ApiConnectionError(method, safe_url(url), _reason(error)) from error
        except u3.ConnectTimeoutError as error:
            raise ApiConnectTimeoutError(method, safe_url(url), _reason(error)) from error
        except u3.SSLError as error:
            raise ApiTLSError(method, safe_url(url), _reason(error)) from error
        except u3.ReadTimeoutError as error:
            raise ApiReadTimeoutError(method, safe_url(url), _reason(error)) from error
        except u3.ProxyError as error:
            raise ApiConnectionError(method, safe_url(url), "proxy: " + _reason(error)) from error
        except (u3.ProtocolError, u3.DecodeError, u3.ResponseError) as error:
            raise ApiProtocolError(method, safe_url(url), _reason(error)) from error
        except u3.LocationParseError as error:
            raise ApiValueError(f"invalid URL {safe_url(url)!r}: {error}") from error
        except u3.HTTPError as error:
            raise TransportError(method, safe_url(url), _reason(error)) from error
        except OSError as error:
            raise ApiProtocolError(method, safe_url(url), _reason(error)) from error
        return RESTResponse(resp, method, safe_url(url))

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


def _reason(error: BaseException) -> str:
    text = str(error)
    # urllib3 messages embed the connection object's repr; keep the useful tail
    if "): " in text and "<urllib3" in text:
        text = text.split("): ", 1)[1]
    return text[:300]


__all__ = [
    "RESTClientObject",
    "RESTResponse",
    "RESTResponseType",
    "UploadBody",
    "is_socks_proxy_url",
    "multipart_file_body",
    "safe_url",
]
