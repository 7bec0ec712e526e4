"""The mock Kenar server: the API's operations, Divar's OAuth endpoints and webhook delivery on one port."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Deque, Dict, Iterator, List, Mapping, Optional, Tuple, Union

from kenar_api_client._op_table import OPERATIONS
from kenar_api_client._op_types import QUERY, Operation
from kenar_api_client.testing._core import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_BODY_SIZE,
    FAULTS,
    Answer,
    LoopbackServer,
    RecordedRequest,
    encode_body,
)
from kenar_api_client.testing._oauth import OAuthProvider
from kenar_api_client.testing._routes import PathMatcher, compile_template
from kenar_api_client.testing._samples import answer_problems, sample_value
from kenar_api_client.testing._uploads import UPLOAD_PREFIXES, MockUploads

if TYPE_CHECKING:
    from kenar_api_client.api_client import ApiClient
    from kenar_api_client.configuration import Configuration
    from kenar_api_client.oauth import OAuthClient

JSONValue = Any

#: the gRPC status code the API puts in the body of each HTTP error status
#: (grpc-gateway's mapping, read backwards); any other status carries 2 (UNKNOWN)
GRPC_CODE_FOR_STATUS: Mapping[int, int] = MappingProxyType(
    {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 499: 1, 500: 13, 501: 12, 503: 14, 504: 4}
)
_GRPC_UNKNOWN = 2

#: where the OAuth endpoints live on the mock server
_OAUTH_PREFIX = "/oauth2/"


def rpc_status(status: int, message: str) -> Dict[str, Any]:
    """A ``googlerpcStatus`` body for an HTTP error ``status``."""
    return {"code": GRPC_CODE_FOR_STATUS.get(status, _GRPC_UNKNOWN), "message": message, "details": []}


def _error(status: int, message: str) -> Answer:
    return Answer(status, rpc_status(status, message))


Route = Tuple[PathMatcher, int, Operation]
_ROUTES: Dict[Tuple[int, ...], Dict[str, List[Route]]] = {}


def _routes() -> Dict[str, List[Route]]:
    """HTTP method -> the operations' matchers, most specific template first.

    Built once per state of the operation table (a test may add an operation to it).
    """
    key = tuple(map(id, OPERATIONS.values()))
    cached = _ROUTES.get(key)
    if cached is None:
        table: Dict[str, List[Route]] = {}
        for op in OPERATIONS.values():
            matcher, literal = compile_template(op.path)
            table.setdefault(op.method, []).append((matcher, literal, op))
        for routes in table.values():
            routes.sort(key=lambda route: -route[1])
        _ROUTES.clear()
        cached = _ROUTES[key] = table
    return cached


class MockKenarServer(LoopbackServer):
    """A loopback HTTP server that behaves like the Kenar API.

    ``api_key`` / ``access_token``: when given, requests must carry exactly
    these; otherwise any non-empty value is accepted.  ``validate=False``
    turns the request checks off (every request is answered as queued).

    The same port also serves Divar's OAuth endpoints (``/oauth2/auth`` and
    ``/oauth2/token``, see :attr:`oauth` and :meth:`oauth_client`); with
    ``require_issued_tokens=True`` an OAuth operation accepts only a live
    access token that this server issued.  :meth:`deliver_event` POSTs a
    webhook event to a receiver the way Divar does.

    ``host`` must be a loopback address unless ``allow_remote=True``;
    ``max_body_size`` and ``idle_timeout`` bound what one connection can
    hold (see :class:`LoopbackServer`).  :meth:`add_handler` serves extra
    paths (a path prefix and a function) before the operations are routed.
    """

    thread_name = "mock-kenar"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: Optional[str] = None,
        access_token: Optional[str] = None,
        validate: bool = True,
        require_issued_tokens: bool = False,
        allow_remote: bool = False,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    ) -> None:
        super().__init__(host, port, allow_remote=allow_remote, max_body_size=max_body_size, idle_timeout=idle_timeout)
        self.api_key = api_key
        self.access_token = access_token
        self.validate = validate
        self.require_issued_tokens = require_issued_tokens
        #: the OAuth authorization server behind ``/oauth2/*`` on this port
        self.oauth = OAuthProvider()
        #: the chat upload host and the post upload URLs on this port, and the uploads received
        self.uploads = MockUploads()
        self._queues: Dict[str, Deque[Answer]] = {}
        self._computed: Dict[str, Callable[[RecordedRequest], Any]] = {}
        self._defaults: Dict[str, bytes] = {}
        self._routes = _routes()
        # looked up per request: a test may put another provider in place of self.oauth
        self.add_handler(_OAUTH_PREFIX, lambda request: self.oauth.answer_request(request))
        for prefix in UPLOAD_PREFIXES:
            self.add_handler(prefix, self._answer_upload)

    # ------------------------------------------------------------------ helpers for tests

    def configuration(
        self, api_key: str = "test-api-key", access_token: Optional[str] = "test-access-token"
    ) -> Configuration:
        """A :class:`~kenar_api_client.configuration.Configuration` pointed at this server with credentials set."""
        from kenar_api_client.configuration import Configuration

        config = Configuration(host=self.url, allow_insecure_http=True)  # a mock bound off loopback is still a test
        config.api_key["APIKey"] = self.api_key or api_key
        config.access_token = self.access_token or access_token
        config.chat_upload_host = self.url
        return config

    def api_client(self, **kwargs: Any) -> ApiClient:
        """An :class:`~kenar_api_client.api_client.ApiClient` for :meth:`configuration` (same arguments)."""
        from kenar_api_client.api_client import ApiClient

        return ApiClient(self.configuration(**kwargs))

    @property
    def oauth_authorize_url(self) -> str:
        return self.url + self.oauth.authorize_path

    @property
    def oauth_token_url(self) -> str:
        return self.url + self.oauth.token_path

    def oauth_client(self, redirect_uri: str = "http://127.0.0.1/oauth/callback") -> OAuthClient:
        """An :class:`~kenar_api_client.oauth.OAuthClient` for this server's OAuth endpoints.

        ``redirect_uri`` is registered with :attr:`oauth`: the authorize
        endpoint redirects to it and to no URI that was not registered.
        """
        from kenar_api_client.oauth import OAuthClient

        self.oauth.register_redirect_uri(redirect_uri)
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
        from kenar_api_client.testing._webhooks import deliver_event

        return deliver_event(url, event, identification_key, timeout)

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
        check: bool = True,
    ) -> None:
        """Queue the next answer(s) for ``method_name`` (e.g. ``"events_send_event"``).

        Calling it several times queues a sequence; once the queue is empty the
        server answers the default again.  ``json`` is sent as the body (with
        ``status``); a 2xx ``json`` must fit the operation's response model
        (types, required fields, enum values the API defines; extra fields
        are allowed), or :class:`ValueError` is raised here (``check=False``
        sends it anyway, to test a client against an off-spec answer).
        ``body`` sends raw bytes instead, unchecked; with neither, a 2xx sends the
        operation's default answer and an error status a ``googlerpcStatus``
        body with the gRPC code of that status; ``delay`` waits before
        answering; ``fault`` is one of ``"reset"`` (drop the connection with
        no answer), ``"truncate"`` (promise more bytes than are sent),
        ``"malformed"`` (a 200 with broken JSON), ``"hang"`` (never answer
        until the server stops) or ``"close"`` (close without an answer).
        """
        op = self._operation(method_name)
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS}, not {fault!r}")
        if check and json is not None and body is None and fault is None and 200 <= status < 300:
            self._check_answer(op, json, f"respond({method_name!r})")
        answer = Answer(status, json, encode_body(body), dict(headers or {}), delay, fault)
        with self._lock:
            queue = self._queues.setdefault(method_name, deque())
            for _ in range(times):
                queue.append(answer)

    def respond_with(self, method_name: str, compute: Optional[Callable[[RecordedRequest], Any]]) -> None:
        """Answer ``method_name`` with ``compute(request)`` whenever no queued answer is left.

        ``compute`` gets the :class:`RecordedRequest` and returns an :class:`Answer`
        or a JSON value (sent as a 200, checked like :meth:`respond`'s); if it
        raises, or its value does not fit, the server answers 500 with the
        error.  It runs on the server's threads.  ``None`` removes it.
        """
        self._operation(method_name)
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
        self.uploads.reset()

    def pending(self, method_name: Optional[str] = None) -> int:
        """How many queued answers are still unused."""
        with self._lock:
            if method_name is not None:
                return len(self._queues.get(method_name, ()))
            return sum(len(q) for q in self._queues.values())

    # ------------------------------------------------------------------ serving

    @staticmethod
    def _operation(method_name: str) -> Operation:
        try:
            return OPERATIONS[method_name]
        except KeyError:
            raise KeyError(f"unknown operation {method_name!r}") from None

    @staticmethod
    def _check_answer(op: Operation, value: JSONValue, who: str) -> None:
        model = op.response_model()
        if model is None:
            return
        problems = answer_problems(model, value)
        if problems:
            shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
            raise ValueError(
                f"{who}: the answer does not fit {model.__name__}: {shown} (send body=... to send it anyway)"
            )

    def route(self, method: str, path: str) -> Tuple[Optional[Operation], Dict[str, str]]:
        """The operation that ``method`` and the raw ``path`` reach, with its decoded path parameters."""
        for matcher, _, op in self._routes.get(method, ()):
            params = matcher(path)
            if params is not None:
                return op, params
        return None, {}

    def refused(self, status: int, message: str) -> Answer:
        return _error(status, message)

    def answer(self, request: RecordedRequest) -> Answer:
        op, request.path_params = self.route(request.method, request.path)
        request.operation = op.name if op else None
        self.record(request)
        if op is None:
            return _error(404, f"no operation {request.method} {request.path}")
        if request.body and request.json is None and self.validate:
            return _error(400, "the body is not valid JSON")
        answer = self._check(op, request) or self._next_answer(op, request)
        if answer is None:
            return Answer(200, body=self._default_body(op), headers={"Content-Type": "application/json"})
        headers = {"Content-Type": "application/json"}
        headers.update(answer.headers)
        answer = replace(answer, headers=headers)
        if answer.json is None and answer.body is None:
            if 200 <= answer.status < 300:  # e.g. respond(name, delay=1): the usual answer, only later
                return replace(answer, body=self._default_body(op))
            return replace(answer, json=rpc_status(answer.status, f"mock error {answer.status}"))
        return answer

    def _next_answer(self, op: Operation, request: RecordedRequest) -> Optional[Answer]:
        with self._lock:
            queue = self._queues.get(op.name)
            if queue:
                return queue.popleft()
            compute = self._computed.get(op.name)
        if compute is None:
            return None
        who = f"respond_with({op.name!r})"
        try:
            result = compute(request)
            if not isinstance(result, Answer):
                self._check_answer(op, result, who)
                return Answer(200, json=result)
        except Exception as error:  # tell the test what went wrong instead of dropping the connection
            return _error(500, f"{who} raised {error!r}")
        return result

    def _check(self, op: Operation, req: RecordedRequest) -> Optional[Answer]:
        """The error the real API would give, or None when the request is acceptable."""
        if not self.validate:
            return None
        key = req.headers.get("X-API-Key")
        if not key or (self.api_key is not None and key != self.api_key):
            return _error(401, "missing or invalid API key")
        if op.needs_oauth:
            auth = req.headers.get("Authorization") or ""
            token = auth[7:] if auth.startswith("Bearer ") else ""
            if not token or (self.access_token is not None and token != self.access_token):
                return _error(401, "missing or invalid access token")
            if self.require_issued_tokens and not self.oauth.is_valid(token):
                return _error(401, "the access token is expired or unknown")
        for param in op.params:
            wire = param.wire_name
            if param.kind == QUERY and wire in req.query and param.type == "int":
                try:
                    int(req.query[wire])
                except ValueError:
                    return _error(400, f"{param.name} must be an integer")
            if param.kind == QUERY and param.required and wire not in req.query:
                return _error(400, f"missing query parameter {param.name}")
        if op.body_param is not None:
            return self._check_body(op, req)
        if req.body and op.method in ("GET", "DELETE"):
            return _error(400, "this operation takes no body")
        return None

    @staticmethod
    def _check_body(op: Operation, req: RecordedRequest) -> Optional[Answer]:
        content_type = req.headers.get("Content-Type") or ""
        if "application/json" not in content_type:
            return _error(400, "the body must be application/json")
        if not isinstance(req.json, dict):
            return _error(400, "the body must be a JSON object")
        model = op.body_model()
        if model is not None:
            from pydantic import ValidationError

            from kenar_api_client._decode import describe_validation_error

            try:
                model.model_validate_json(req.body)
            except ValidationError as error:
                return _error(400, f"invalid body: {describe_validation_error(error, limit=1)}")
        return None

    def _answer_upload(self, request: RecordedRequest) -> Optional[Answer]:
        upload = self.uploads.handle(
            request.method, request.path, request.headers, request.body, self.url, self.api_key
        )
        return None if upload is None else Answer(upload[0], json=upload[1])

    def _default_body(self, op: Operation) -> bytes:
        upload_answer = self.uploads.default_answer(op.name, self.url)  # upload tokens and URLs point back here
        if upload_answer is not None:
            return json.dumps(upload_answer[1]).encode("utf-8")
        cached = self._defaults.get(op.name)
        if cached is None:
            model = op.response_model()
            value = sample_value(model) if model is not None else {}
            cached = self._defaults[op.name] = json.dumps(value, ensure_ascii=False).encode("utf-8")
        return cached


def iter_operations() -> Iterator[Operation]:
    """Every operation the server knows, in name order."""
    for name in sorted(OPERATIONS):
        yield OPERATIONS[name]


__all__ = ["GRPC_CODE_FOR_STATUS", "MockKenarServer", "iter_operations", "rpc_status"]
