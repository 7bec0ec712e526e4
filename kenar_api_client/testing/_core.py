"""The loopback HTTP core every test server of the SDK is built on.

:class:`LoopbackServer` binds a port on 127.0.0.1, serves on threads of its
own, reads each request whole (``Content-Length`` or chunked, within a size
limit), hands it to the first handler registered for its path prefix (or to
:meth:`LoopbackServer.answer`), and writes the :class:`Answer` back, with the
faults a test asks for.  :meth:`LoopbackServer.stop` ends everything at once:
the serving loop, delayed and hanging answers, and idle keep-alive connections.

The mock Kenar server, the OAuth endpoints and the webhook receiver are thin
layers on top.  Only the standard library is used.
"""

from __future__ import annotations

import ipaddress
import json
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple, Type, TypeVar, Union
from urllib.parse import parse_qs, parse_qsl, urlsplit

JSONValue = Any

#: the faults an answer can carry
FAULTS = ("reset", "truncate", "malformed", "hang", "close")

#: request bodies larger than this are refused with a 413 before they are read (16 MiB)
DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024  # above the 50 MB chat video limit plus multipart framing
#: a connection that sends nothing for this many seconds is closed
DEFAULT_IDLE_TIMEOUT = 10.0
#: the longest a ``"hang"`` fault holds a connection when the server is not stopped
HANG_SECONDS = 60.0

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


class Headers(Dict[str, str]):
    """Request headers as sent, looked up without regard to case."""

    def _key(self, name: str) -> Optional[str]:
        lowered = name.lower()
        for key in dict.keys(self):
            if key.lower() == lowered:
                return key
        return None

    def __getitem__(self, name: str) -> str:
        key = self._key(name)
        if key is None:
            raise KeyError(name)
        return dict.__getitem__(self, key)

    def get(self, name: str, default: Any = None) -> Any:
        key = self._key(name)
        return default if key is None else dict.__getitem__(self, key)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) is not None


@dataclass
class RecordedRequest:
    """One request a test server received."""

    operation: Optional[str]  #: the SDK method name (mock Kenar server), else None
    method: str
    path: str  #: the raw path, still percent-encoded, without the query
    query: Dict[str, str]  #: decoded query parameters (the last value of a repeated one)
    raw_query: str
    headers: Headers
    body: bytes
    json: JSONValue  #: the parsed body, or None
    path_params: Dict[str, str] = field(default_factory=dict)  #: decoded path parameters
    received_at: float = 0.0  #: ``time.monotonic()`` on arrival (OAuth: the provider's clock)

    @property
    def query_lists(self) -> Dict[str, List[str]]:
        """Every value of every query parameter."""
        return parse_qs(self.raw_query, keep_blank_values=True)

    def query_param(self, name: str) -> Optional[str]:
        """The first value of query parameter ``name``, or None."""
        values = self.query_lists.get(name)
        return values[0] if values else None

    @property
    def form(self) -> Dict[str, List[str]]:
        """The body parsed as ``application/x-www-form-urlencoded`` (empty if it is not)."""
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != FORM_CONTENT_TYPE:
            return {}
        return parse_qs(self.body.decode("utf-8", errors="replace"), keep_blank_values=True)

    def form_field(self, name: str) -> Optional[str]:
        """The first value of form field ``name``, or None."""
        values = self.form.get(name)
        return values[0] if values else None


@dataclass
class Answer:
    """What a test server sends back for one request.

    ``body`` (raw bytes) wins over ``json``; ``delay`` waits before answering
    (cut short when the server stops); ``fault`` is one of :data:`FAULTS`.
    """

    status: int = 200
    json: JSONValue = None
    body: Optional[bytes] = None
    headers: Dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    fault: Optional[str] = None

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS}, not {self.fault!r}")

    @classmethod
    def of_json(cls, status: int, payload: JSONValue, headers: Optional[Mapping[str, str]] = None) -> Answer:
        """A JSON answer that must not be cached (as token endpoints send)."""
        merged = {"Content-Type": "application/json", "Cache-Control": "no-store"}
        merged.update(headers or {})
        return cls(status, body=json.dumps(payload).encode("utf-8"), headers=merged)

    @classmethod
    def redirect(cls, location: str) -> Answer:
        return cls(302, body=b"redirecting\n", headers={"Location": location, "Content-Type": "text/plain"})

    @classmethod
    def text(cls, status: int, text: str) -> Answer:
        return cls(status, body=text.encode("utf-8"), headers={"Content-Type": "text/plain; charset=utf-8"})

    def payload(self) -> bytes:
        """The bytes of the body."""
        if self.body is not None:
            return self.body
        if self.json is not None:
            return json.dumps(self.json, ensure_ascii=False).encode("utf-8")
        return b""


#: a handler registered for a path prefix: an answer, or None to pass the request on
Handler = Callable[[RecordedRequest], Optional[Answer]]


_S = TypeVar("_S", bound="LoopbackServer")


class RequestRefused(Exception):
    """A request the core refuses before any handler sees it (bad framing, too large)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_json(body: bytes) -> JSONValue:
    """``body`` parsed as JSON, or None (not JSON, or nested too deeply)."""
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


class LoopbackServer:
    """An HTTP/1.1 server on a free loopback port, serving on its own threads.

    ``host`` must be a loopback address unless ``allow_remote=True`` (a test
    server answers anyone who can reach it).  Request bodies over
    ``max_body_size`` bytes get a 413 without being read; a connection idle
    for ``idle_timeout`` seconds is closed.  Subclasses override
    :meth:`answer`; :meth:`add_handler` claims a path prefix for a function.
    The port is bound at construction, so :attr:`url` is known before
    :meth:`start`.
    """

    thread_name = "kenar-loopback"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_remote: bool = False,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    ) -> None:
        if not is_loopback(host) and not allow_remote:
            raise ValueError(
                f"host {host!r} is not a loopback address: a test server answers anyone who can reach it; "
                "pass allow_remote=True to serve on it anyway"
            )
        self.max_body_size = max_body_size
        self.idle_timeout = idle_timeout
        self.requests: List[RecordedRequest] = []
        self._lock = threading.RLock()
        self._handlers: List[Tuple[str, Handler]] = []
        self._stopping = threading.Event()
        self._connections: Set[socket.socket] = set()
        self._httpd = _HTTPServer((host, port), _RequestHandler)
        self._httpd.owner = self
        self._thread: Optional[threading.Thread] = None
        self._wake_r, self._wake_w = socket.socketpair()

    # ------------------------------------------------------------------ lifecycle

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://host:port``, without a trailing slash."""
        host = self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self: _S) -> _S:
        """Serve on a background thread (a second call does nothing)."""
        if self._stopping.is_set():
            raise RuntimeError("a stopped server cannot be started again; make a new one")
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=self.thread_name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: end delayed and hanging answers, close every connection, free the port."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake_w.send(b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()
        self._wake_r.close()
        self._wake_w.close()

    close = stop

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.stop()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._httpd.socket, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._httpd.socket and not self._stopping.is_set():
                        self._httpd.handle_request()

    # ------------------------------------------------------------------ routing and recording

    def add_handler(self, prefix: str, handler: Handler) -> None:
        """Send requests whose path starts with ``prefix`` to ``handler`` first.

        The longest matching prefix is asked first; a handler that returns
        None passes the request on (to shorter prefixes, then :meth:`answer`).
        """
        if not prefix.startswith("/"):
            raise ValueError(f"a path prefix starts with '/', not {prefix!r}")
        with self._lock:
            self._handlers.append((prefix, handler))
            self._handlers.sort(key=lambda item: -len(item[0]))

    def remove_handler(self, prefix: str) -> None:
        """Forget the handlers registered for exactly ``prefix``."""
        with self._lock:
            self._handlers = [item for item in self._handlers if item[0] != prefix]

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self.requests:
                raise AssertionError("the server has received no request")
            return self.requests[-1]

    def answer(self, request: RecordedRequest) -> Answer:
        """The answer for a request no handler took (here: a 404)."""
        return Answer.text(404, f"nothing at {request.path}\n")

    def dispatch(self, request: RecordedRequest) -> Answer:
        with self._lock:
            handlers = [handler for prefix, handler in self._handlers if request.path.startswith(prefix)]
        for handler in handlers:
            answer = handler(request)
            if answer is not None:
                return answer
        return self.answer(request)

    def refused(self, status: int, message: str) -> Answer:
        """The answer to a request the core could not read (override to change its body)."""
        return Answer.text(status, message + "\n")

    # ------------------------------------------------------------------ the wire

    def _read_body(self, handler: _RequestHandler) -> bytes:
        if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked(handler)
        declared = handler.headers.get_all("Content-Length") or []
        if not declared:
            return b""
        if len(set(declared)) != 1 or not declared[0].strip().isdigit() or not declared[0].strip().isascii():
            raise RequestRefused(400, "the Content-Length header is not a single non-negative integer")
        length = int(declared[0])
        if length > self.max_body_size:
            raise RequestRefused(413, f"the body is larger than {self.max_body_size} bytes")
        body = handler.rfile.read(length)
        if len(body) < length:
            raise ConnectionResetError("the body ended early")
        return body

    def _read_chunked(self, handler: _RequestHandler) -> bytes:
        parts: List[bytes] = []
        total = 0
        while True:
            line = handler.rfile.readline(1026)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise RequestRefused(400, "a chunk size is not a hexadecimal number") from None
            if size < 0:
                raise RequestRefused(400, "a chunk size is negative")
            if size == 0:
                while handler.rfile.readline(8194) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > self.max_body_size:
                raise RequestRefused(413, f"the body is larger than {self.max_body_size} bytes")
            chunk = handler.rfile.read(size)
            if len(chunk) < size:
                raise ConnectionResetError("the body ended early")
            parts.append(chunk)
            handler.rfile.readline(3)

    def _handle(self, handler: _RequestHandler) -> None:
        try:
            body = self._read_body(handler)
        except RequestRefused as refusal:
            handler.close_connection = True  # the rest of the body is unread: the connection is done
            self._send(handler, self.refused(refusal.status, str(refusal)))
            return
        split = urlsplit(handler.path)
        request = RecordedRequest(
            operation=None,
            method=handler.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            raw_query=split.query,
            headers=Headers(handler.headers.items()),
            body=body,
            json=parse_json(body),
            received_at=time.monotonic(),
        )
        try:
            answer = self.dispatch(request)
        except Exception as error:  # tell the test what went wrong instead of dropping the connection
            answer = self.refused(500, f"the test server failed: {error!r}")
        self._send(handler, answer)

    def _send(self, handler: _RequestHandler, answer: Answer) -> None:
        if answer.delay > 0 and self._stopping.wait(answer.delay):
            handler.close_connection = True
            return
        if answer.fault == "hang":
            self._stopping.wait(HANG_SECONDS)
            handler.close_connection = True
            return
        if answer.fault in ("reset", "close"):
            handler.close_connection = True
            if answer.fault == "reset":  # RST instead of FIN
                handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                # closed here, the socket skips the server's shutdown(SHUT_WR), which would send a FIN first
                handler.connection.close()
            return
        payload = b'{"posts": [{"token": "abc", ' if answer.fault == "malformed" else answer.payload()
        headers = dict(answer.headers)
        if answer.body is None and answer.json is not None and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
        handler.send_response(answer.status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if answer.fault == "truncate":
            handler.send_header("Content-Length", str(len(payload) + 100))
            handler.end_headers()
            handler.wfile.write(payload[: max(1, len(payload) // 2)])
            handler.wfile.flush()
            handler.close_connection = True
            return
        handler.send_header("Content-Length", str(len(payload)))
        if handler.close_connection:
            handler.send_header("Connection", "close")
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that broke is the client's business: no traceback on stderr."""


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: with Nagle on, the body waits
    # for the client's delayed ACK and every request takes ~40 ms instead of <1 ms
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.owner.idle_timeout)
        self.server.owner._opened(self.connection)

    def finish(self) -> None:
        self.server.owner._closed(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def _dispatch(self) -> None:
        try:
            self.server.owner._handle(self)
        except (OSError, ValueError):  # a broken connection, or the socket closed under us at stop()
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # requests are recorded instead
        return


def encode_body(body: Union[bytes, str, None]) -> Optional[bytes]:
    """Text as UTF-8 bytes; bytes and None as they are."""
    return body.encode("utf-8") if isinstance(body, str) else body


__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_BODY_SIZE",
    "FAULTS",
    "Answer",
    "Handler",
    "Headers",
    "LoopbackServer",
    "RecordedRequest",
    "is_loopback",
]
