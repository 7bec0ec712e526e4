"""A mock Kenar server for tests: real HTTP on 127.0.0.1, no account, no network.

:class:`MockKenarServer` knows every operation of the SDK from the same
operation table the API classes use.  It checks each request as the real API
would (known path, credentials, a JSON body that fits the body model),
answers a valid response built from the response model unless a test queued
something else, records every request, and misbehaves on command::

    from kenar_api_client.testing import MockKenarServer

    with MockKenarServer() as server:
        with server.api_client() as client:
            api = kenar_api_client.EventsApi(client)
            server.respond("events_send_event", status=503)    # the next answer
            ...
        assert server.requests[0].operation == "events_send_event"

Only the standard library is used to serve; models come from the SDK.
"""

from __future__ import annotations

import datetime
import enum
import json
import re
import socket
import struct
import threading
import time
import typing
from collections import deque
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional, Tuple, Union
from urllib.parse import parse_qsl, urlsplit

from kenar_api_client._op_types import QUERY, Operation
from kenar_api_client._op_table import OPERATIONS

JSONValue = Any

#: the faults a queued answer can carry
FAULTS = ("reset", "truncate", "malformed", "hang", "close")

_GRPC_INVALID_ARGUMENT = 3
_GRPC_NOT_FOUND = 5
_GRPC_UNAUTHENTICATED = 16


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
    """One request the server received."""

    operation: Optional[str]  #: the SDK method name, or None for an unknown path
    method: str
    path: str  #: the raw path, still percent-encoded, without the query
    query: Dict[str, str]  #: decoded query parameters
    raw_query: str
    headers: Headers
    body: bytes
    json: JSONValue  #: the parsed body, or None
    path_params: Dict[str, str] = field(default_factory=dict)  #: decoded path parameters
    received_at: float = 0.0


@dataclass
class Answer:
    """What the server sends back for one request (queued with :meth:`MockKenarServer.respond`)."""

    status: int = 200
    json: JSONValue = None
    body: Optional[bytes] = None
    headers: Dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    fault: Optional[str] = None


class _Route:
    def __init__(self, op: Operation) -> None:
        self.op = op
        pattern = ""
        literal = 0
        #: template names in order (they need not be Python names, e.g. ``report.id``)
        self.names: List[str] = []
        for i, part in enumerate(re.split(r"\{([^}]+)\}", op.path)):
            if i % 2:
                self.names.append(part)
                pattern += "([^/]+)"
            else:
                pattern += re.escape(part)
                literal += len(part)
        self.regex = re.compile(pattern + r"\Z")
        self.literal = literal


def _rpc_status(code: int, message: str) -> Dict[str, Any]:
    return {"code": code, "message": message, "details": []}


class MockKenarServer:
    """A loopback HTTP server that behaves like the Kenar API.

    ``api_key`` / ``access_token``: when given, requests must carry exactly
    these; otherwise any non-empty value is accepted.  ``validate=False``
    turns the request checks off (every request is answered as queued).

    The same port also serves Divar's OAuth endpoints (``/oauth2/auth`` and
    ``/oauth2/token``, see :attr:`oauth` and :meth:`oauth_client`); with
    ``require_issued_tokens=True`` an OAuth operation accepts only a live
    access token that this server issued.  :meth:`deliver_event` POSTs a
    webhook event to a receiver the way Divar does.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: Optional[str] = None,
        access_token: Optional[str] = None,
        validate: bool = True,
        require_issued_tokens: bool = False,
    ) -> None:
        from kenar_api_client._oauth_server import OAuthProvider

        self.api_key = api_key
        self.access_token = access_token
        self.validate = validate
        self.require_issued_tokens = require_issued_tokens
        #: the OAuth authorization server behind ``/oauth2/*`` on this port
        self.oauth = OAuthProvider()
        self.requests: List[RecordedRequest] = []
        self._lock = threading.Lock()
        self._queues: Dict[str, Deque[Answer]] = {}
        self._computed: Dict[str, Callable[[RecordedRequest], Any]] = {}
        self._defaults: Dict[str, bytes] = {}
        self._stopping = threading.Event()
        self._routes: Dict[str, List[_Route]] = {}
        for op in OPERATIONS.values():
            self._routes.setdefault(op.method, []).append(_Route(op))
        for routes in self._routes.values():
            routes.sort(key=lambda r: -r.literal)
        self._httpd = _Server((host, port), _Handler)
        self._httpd.mock = self
        self._thread: Optional[threading.Thread] = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """Base URL to give ``Configuration(host=...)``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> MockKenarServer:
        if self._thread is None:
            # a short poll interval: stop() waits for the serving loop to notice, up to one interval
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="mock-kenar", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    close = stop

    def __enter__(self) -> MockKenarServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers for tests
    def configuration(self, api_key: str = "test-api-key", access_token: Optional[str] = "test-access-token") -> Any:
        """A :class:`Configuration` pointed at this server with credentials set."""
        from kenar_api_client.configuration import Configuration

        config = Configuration(host=self.url, allow_insecure_http=True)  # a mock bound off loopback is still a test
        config.api_key["APIKey"] = self.api_key or api_key
        config.access_token = self.access_token or access_token
        return config

    def api_client(self, **kwargs: Any) -> Any:
        """An :class:`ApiClient` for :meth:`configuration`."""
        from kenar_api_client.api_client import ApiClient

        return ApiClient(self.configuration(**kwargs))

    @property
    def oauth_authorize_url(self) -> str:
        return self.url + self.oauth.authorize_path

    @property
    def oauth_token_url(self) -> str:
        return self.url + self.oauth.token_path

    def oauth_client(self, redirect_uri: str = "http://127.0.0.1/oauth/callback") -> Any:
        """An :class:`~kenar_api_client.oauth.OAuthClient` for this server's OAuth endpoints."""
        from kenar_api_client.oauth import OAuthClient

        return OAuthClient(
            self.oauth.client_id,
            self.oauth.client_secret,
            redirect_uri,
            authorize_url=self.oauth_authorize_url,
            token_url=self.oauth_token_url,
            configuration=self.configuration(),
        )

    def deliver_event(self, url: str, event: Any, identification_key: str, timeout: float = 5.0) -> Tuple[int, bytes]:
        """POST ``event`` (a dict or a parsed webhook Event) to ``url`` as Divar does.

        Returns the receiver's status and body.  A receiver's error status is
        returned, not raised.
        """
        import urllib.error
        import urllib.request

        from kenar_api_client.webhooks import build_delivery

        headers, payload = build_delivery(event, identification_key)
        request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - tests only
                return int(answer.status), bytes(answer.read())
        except urllib.error.HTTPError as error:
            return int(error.code), bytes(error.read())

    def respond(
        self,
        method_name: str,
        json: JSONValue = None,
        status: int = 200,
        headers: Optional[Dict[str, str]] = None,
        *,
        body: Optional[Union[bytes, str]] = None,
        delay: float = 0.0,
        fault: Optional[str] = None,
        times: int = 1,
    ) -> None:
        """Queue the next answer(s) for ``method_name`` (e.g. ``"events_send_event"``).

        Calling it several times queues a sequence; once the queue is empty the
        server answers the default again.  ``json`` is sent as the body (with
        ``status``); ``body`` sends raw bytes instead; with neither, a 2xx
        sends the operation's default answer and an error status a
        ``googlerpcStatus`` body; ``delay`` waits before
        answering; ``fault`` is one of ``"reset"`` (drop the connection with
        no answer), ``"truncate"`` (promise more bytes than are sent),
        ``"malformed"`` (a 200 with broken JSON), ``"hang"`` (never answer
        until the server stops) or ``"close"`` (close without an answer).
        """
        if method_name not in OPERATIONS:
            raise KeyError(f"unknown operation {method_name!r}")
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS}, not {fault!r}")
        raw = body.encode("utf-8") if isinstance(body, str) else body
        answer = Answer(status, json, raw, dict(headers or {}), delay, fault)
        with self._lock:
            queue = self._queues.setdefault(method_name, deque())
            for _ in range(times):
                queue.append(answer)

    def respond_with(self, method_name: str, compute: Optional[Callable[[RecordedRequest], Any]]) -> None:
        """Answer ``method_name`` with ``compute(request)`` whenever no queued answer is left.

        ``compute`` gets the :class:`RecordedRequest` and returns an :class:`Answer`
        or a JSON value (sent as a 200); if it raises, the server answers 500 with
        the error.  It runs on the server's threads.  ``None`` removes it.
        """
        if method_name not in OPERATIONS:
            raise KeyError(f"unknown operation {method_name!r}")
        with self._lock:
            if compute is None:
                self._computed.pop(method_name, None)
            else:
                self._computed[method_name] = compute

    def requests_for(self, method_name: str) -> List[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.operation == method_name]

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self.requests:
                raise AssertionError("the mock server has received no request")
            return self.requests[-1]

    def reset(self) -> None:
        """Forget recorded requests and queued answers."""
        with self._lock:
            self.requests.clear()
            self._queues.clear()
            self._computed.clear()

    def pending(self, method_name: Optional[str] = None) -> int:
        """How many queued answers are still unused."""
        with self._lock:
            if method_name is not None:
                return len(self._queues.get(method_name, ()))
            return sum(len(q) for q in self._queues.values())

    # ------------------------------------------------------------------ serving
    def _route(self, method: str, path: str) -> Tuple[Optional[Operation], Dict[str, str]]:
        from urllib.parse import unquote

        for route in self._routes.get(method, ()):
            match = route.regex.match(path)
            if match:
                return route.op, {k: unquote(v) for k, v in zip(route.names, match.groups())}
        return None, {}

    def _next_answer(self, req: RecordedRequest) -> Optional[Answer]:
        name = req.operation or ""
        with self._lock:
            queue = self._queues.get(name)
            if queue:
                return queue.popleft()
            compute = self._computed.get(name)
        if compute is None:
            return None
        try:
            result = compute(req)
        except Exception as error:  # tell the test what went wrong instead of dropping the connection
            return Answer(500, _rpc_status(13, f"respond_with({name!r}) raised {error!r}"))
        return result if isinstance(result, Answer) else Answer(200, json=result)

    def _check(self, op: Optional[Operation], req: RecordedRequest) -> Optional[Answer]:
        """The error the real API would give, or None when the request is acceptable."""
        if op is None:
            return Answer(404, _rpc_status(_GRPC_NOT_FOUND, f"no operation {req.method} {req.path}"))
        if not self.validate:
            return None
        key = req.headers.get("X-API-Key")
        if not key or (self.api_key is not None and key != self.api_key):
            return Answer(401, _rpc_status(_GRPC_UNAUTHENTICATED, "missing or invalid API key"))
        if op.needs_oauth:
            auth = req.headers.get("Authorization") or ""
            token = auth[7:] if auth.startswith("Bearer ") else ""
            if not token or (self.access_token is not None and token != self.access_token):
                return Answer(401, _rpc_status(_GRPC_UNAUTHENTICATED, "missing or invalid access token"))
            if self.require_issued_tokens and not self.oauth.is_valid(token):
                return Answer(401, _rpc_status(_GRPC_UNAUTHENTICATED, "the access token is expired or unknown"))
        for param in op.params:
            wire = param.wire_name
            if param.kind == QUERY and wire in req.query and param.type == "int":
                try:
                    int(req.query[wire])
                except ValueError:
                    return Answer(400, _rpc_status(_GRPC_INVALID_ARGUMENT, f"{param.name} must be an integer"))
            if param.kind == QUERY and param.required and wire not in req.query:
                return Answer(400, _rpc_status(_GRPC_INVALID_ARGUMENT, f"missing query parameter {param.name}"))
        body_param = op.body_param
        if body_param is not None:
            content_type = req.headers.get("Content-Type") or ""
            if "application/json" not in content_type:
                return Answer(400, _rpc_status(_GRPC_INVALID_ARGUMENT, "the body must be application/json"))
            if not isinstance(req.json, dict):
                return Answer(400, _rpc_status(_GRPC_INVALID_ARGUMENT, "the body must be a JSON object"))
            model = op.body_model()
            if model is not None:
                from pydantic import ValidationError

                try:
                    model.model_validate_json(req.body)
                except ValidationError as error:
                    first = error.errors()[0]
                    where = ".".join(str(x) for x in first.get("loc", ()))
                    return Answer(400, _rpc_status(_GRPC_INVALID_ARGUMENT, f"invalid body: {where}: {first.get('msg')}"))
        elif req.body and op.method in ("GET", "DELETE"):
            return Answer(400, _rpc_status(_GRPC_INVALID_ARGUMENT, "this operation takes no body"))
        return None

    def _default_body(self, op: Operation) -> bytes:
        cached = self._defaults.get(op.name)
        if cached is None:
            model = op.response_model()
            value = sample_value(model) if model is not None else {}
            cached = self._defaults[op.name] = json.dumps(value, ensure_ascii=False).encode("utf-8")
        return cached

    def _handle(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        oauth_answer = self.oauth.handle(handler.command, handler.path, dict(handler.headers.items()), body)
        if oauth_answer is not None:
            from kenar_api_client._oauth_server import send_answer

            send_answer(handler, oauth_answer, self._stopping)
            return
        parsed: JSONValue = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        op, path_params = self._route(handler.command, split.path)
        req = RecordedRequest(
            operation=op.name if op else None,
            method=handler.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            raw_query=split.query,
            headers=Headers(handler.headers.items()),
            body=body,
            json=parsed,
            path_params=path_params,
            received_at=time.monotonic(),
        )
        with self._lock:
            self.requests.append(req)
        if op is not None and body and parsed is None and self.validate:
            answer: Optional[Answer] = Answer(400, _rpc_status(_GRPC_INVALID_ARGUMENT, "the body is not valid JSON"))
        else:
            answer = self._check(op, req)
        if answer is None and op is not None:
            answer = self._next_answer(req)
        if answer is None and op is not None:
            answer = Answer(200, body=self._default_body(op))
        elif answer is not None and op is not None and answer.json is None and answer.body is None:
            if 200 <= answer.status < 300:  # e.g. respond(name, delay=1): the usual answer, only later
                answer = replace(answer, body=self._default_body(op))
        assert answer is not None
        self._send(handler, answer)

    def _send(self, handler: _Handler, answer: Answer) -> None:
        if answer.delay:
            self._stopping.wait(answer.delay)
        if answer.fault == "hang":
            self._stopping.wait(60)
            handler.close_connection = True
            return
        if answer.fault in ("reset", "close"):
            handler.close_connection = True
            if answer.fault == "reset":  # RST instead of FIN
                handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                # closed here, the socket skips the server's shutdown(SHUT_WR), which would send a FIN first
                handler.connection.close()
            return
        if answer.fault == "malformed":
            payload = b'{"posts": [{"token": "abc", '
        elif answer.body is not None:
            payload = answer.body
        elif answer.json is not None:
            payload = json.dumps(answer.json, ensure_ascii=False).encode("utf-8")
        else:
            payload = b"{}" if 200 <= answer.status < 300 else json.dumps(
                _rpc_status(2, f"mock error {answer.status}")
            ).encode()
        headers = {"Content-Type": "application/json"}
        headers.update(answer.headers)
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
        handler.end_headers()
        handler.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    mock: MockKenarServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: with Nagle on, the body waits
    # for the client's delayed ACK and every request takes ~40 ms instead of <1 ms
    disable_nagle_algorithm = True
    server: _Server

    def _dispatch(self) -> None:
        try:
            self.server.mock._handle(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return


# ---------------------------------------------------------------------- sample answers


def sample_value(annotation: Any, name: str = "value", depth: int = 0) -> JSONValue:
    """A JSON value that fits ``annotation`` (a model class, enum or typing hint)."""
    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Union:
        candidates = [a for a in args if a is not type(None)]
        return sample_value(candidates[0], name, depth) if candidates else None
    if origin is typing.Annotated:
        return sample_value(args[0], name, depth)
    if origin in (list, List):
        return [sample_value(args[0], name, depth + 1)] if args and depth < 6 else []
    if origin in (dict, Dict):
        return {}
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            result: Dict[str, JSONValue] = {}
            for field_name, info in annotation.model_fields.items():
                if depth > 6 and not info.is_required():  # deep down, only what the model cannot do without
                    continue
                wire = info.alias or field_name
                result[wire] = sample_value(info.annotation, field_name, depth + 1)
            return result
        if issubclass(annotation, enum.Enum):
            members = list(annotation)
            chosen = next((m for m in members if "UNSPECIFIED" not in m.name and "UNKNOWN" not in m.name), None)
            return (chosen or members[0]).value if members else ""
        if issubclass(annotation, bool):
            return True
        if issubclass(annotation, int):
            return 1
        if issubclass(annotation, float):
            return 1.5
        if issubclass(annotation, str):
            return f"sample-{name}"
        if issubclass(annotation, datetime.datetime):
            return "2024-03-01T12:30:00Z"
        if issubclass(annotation, datetime.date):
            return "2024-03-01"
    return None


def iter_operations() -> Iterator[Operation]:
    """Every operation the server knows, in name order."""
    for name in sorted(OPERATIONS):
        yield OPERATIONS[name]


__all__ = ["Answer", "FAULTS", "Headers", "MockKenarServer", "RecordedRequest", "iter_operations", "sample_value"]

