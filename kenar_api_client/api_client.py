"""ApiClient: one pipeline from a method's arguments to the decoded answer.

One call, from the method to the socket::

    FinderApi.finder_get_post(token)           generated: hands its Operation, arguments and CallOptions over
    -> ApiClient.call_operation(op, args, options)
       -> build_request(op, args, options)      pure, no network: check the arguments, fill the path
                                                (_paths), encode query and body (_wire), compose the headers
                                                and credentials (_compose_headers), check every header
       -> _send_authorized(request, ...)        send(); after a 401 for a token-source token: refresh once, resend once
          -> send(request, options)             the one retry loop (rules in kenar_api_client.retry)
             -> RESTClientObject.request        rest.py, the only code that touches urllib3
       -> _decode(op, response)                 non-2xx: ApiException.from_response; 2xx: _decode.decode_answer

The official low-level API (``param_serialize`` -> ``call_api`` ->
``response_deserialize``, ``update_params_for_auth``...) keeps its names and
signatures and is a thin layer over the same steps: the same headers, auth,
token refresh, retry loop, decoder and errors.
"""

from __future__ import annotations

import datetime
import decimal
import json
import logging
import re
import threading
from collections import deque
from typing import Any, Callable, ClassVar, Deque, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from pydantic import ValidationError

from kenar_api_client import rest
from kenar_api_client._decode import decode_answer, describe_validation_error
from kenar_api_client._op_types import BODY, DEFAULT_OPTIONS, PATH, QUERY, UNSET, CallOptions, Operation
from kenar_api_client._paths import compile_template, query_item, query_text
from kenar_api_client._redact import redact_headers
from kenar_api_client._wire import (
    FORM_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    as_text_values,
    check_headers,
    check_url,
    encode_body,
    form_body,
    header_get,
    layer_headers,
    merge_headers,
    to_jsonable,
)
from kenar_api_client.api_response import ApiResponse
from kenar_api_client.configuration import BEARER_PREFIX, Configuration, bearer
from kenar_api_client.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTLSError,
    ApiTypeError,
    ApiValueError,
    OpenApiException,
    ResponseDecodeError,
    ResponseTooLargeError,
    TransportError,
    parse_retry_after,
)
from kenar_api_client.retry import RetryPolicy, is_idempotent, may_retry_status

RequestTimeout = Union[None, float, int, Tuple[float, float]]
RequestSerialized = Tuple[str, str, Dict[str, str], Optional[Any], List[Tuple[str, Any]]]

_LOG = logging.getLogger("kenar_api_client")
_SIMPLE_TYPES: Dict[str, Tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "float": (float, int),
    "object": (dict,),
}
_TYPE_WORDS = {"str": "a string", "int": "an integer", "bool": "a bool", "float": "a number", "object": "a dict"}
#: how many tokens from the token source a client remembers, to know a 401 on the low-level path is theirs
_REMEMBERED_TOKENS = 4


class PreparedRequest(NamedTuple):
    """A request ready to send: the output of the pure building step."""

    method: str
    url: str
    headers: Dict[str, str]
    body: Optional[bytes]
    #: True when sending it twice cannot do twice what it does
    idempotent: bool
    #: the token source's bearer token it carries, if any (a 401 for it triggers one refresh)
    access_token: Optional[str] = None

    def __repr__(self) -> str:
        return f"PreparedRequest({self.method} {rest.safe_url(self.url)}, headers={redact_headers(self.headers)})"


class ApiClient:
    """Sends the operations of the generated API classes.

    One instance holds one connection pool; share it between threads and
    API classes, and close it (or use ``with``) when done.
    """

    PRIMITIVE_TYPES = (float, bool, bytes, str, int)
    NATIVE_TYPES_MAPPING = {
        "int": int,
        "long": int,
        "float": float,
        "str": str,
        "bool": bool,
        "date": datetime.date,
        "datetime": datetime.datetime,
        "decimal": decimal.Decimal,
        "object": object,
    }
    _default: ClassVar[Optional[ApiClient]] = None
    _default_lock = threading.Lock()

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        cookie: Optional[str] = None,
    ) -> None:
        if configuration is None:
            configuration = Configuration.get_default()
        self.configuration = configuration
        self.rest_client = rest.RESTClientObject(configuration)
        self.default_headers: Dict[str, str] = {}
        if header_name is not None and header_value is not None:
            self.default_headers[header_name] = header_value
        self.cookie = cookie
        from kenar_api_client import __version__

        self.user_agent = f"kenar-api-client-python/{__version__}"
        self.client_side_validation = configuration.client_side_validation
        self._policy_source: Any = UNSET
        self._policy = RetryPolicy()
        # the last tokens the token source gave the low-level path (see _refreshable_token)
        self._source_tokens: Deque[str] = deque(maxlen=_REMEMBERED_TOKENS)

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self.rest_client.close()

    def __repr__(self) -> str:
        return f"ApiClient(configuration={self.configuration!r})"

    @property
    def user_agent(self) -> str:
        return self.default_headers["User-Agent"]

    @user_agent.setter
    def user_agent(self, value: str) -> None:
        self.default_headers["User-Agent"] = value

    def set_default_header(self, header_name: str, header_value: str) -> None:
        self.default_headers[header_name] = header_value

    @classmethod
    def get_default(cls) -> ApiClient:
        """The shared client used by API classes created without one."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = ApiClient()
            return cls._default

    @classmethod
    def set_default(cls, default: Optional[ApiClient]) -> None:
        with cls._default_lock:
            cls._default = default

    @property
    def retry_policy(self) -> RetryPolicy:
        """The policy read from ``configuration.retries`` (re-read when that changes)."""
        source = self.configuration.retries
        if source is not self._policy_source:
            self._policy = RetryPolicy.from_setting(source)
            self._policy_source = source
        return self._policy

    # ------------------------------------------------------------------ the operation path
    def call_operation(
        self, op: Operation, args: Sequence[Any], options: CallOptions = DEFAULT_OPTIONS
    ) -> ApiResponse[Any]:
        """Send ``op`` with ``args`` (in signature order) and decode the answer."""
        return self._decode(op, self._exchange(op, args, options))

    def call_operation_raw(
        self, op: Operation, args: Sequence[Any], options: CallOptions = DEFAULT_OPTIONS
    ) -> rest.RESTResponseType:
        """Send ``op`` and return the unread urllib3 response, whatever its status."""
        return self._exchange(op, args, options, stream=True).response  # type: ignore[return-value]

    def _exchange(
        self, op: Operation, args: Sequence[Any], options: CallOptions, *, stream: bool = False
    ) -> rest.RESTResponse:
        request = self.build_request(op, args, options)
        return self._send_authorized(request, options, stream, lambda: self.build_request(op, args, options))

    def build_request(
        self, op: Operation, args: Sequence[Any], options: CallOptions = DEFAULT_OPTIONS
    ) -> PreparedRequest:
        """Check the arguments and build the request; nothing is sent."""
        config = self.configuration
        if len(args) != len(op.params):
            raise ApiTypeError(f"{op.name}() takes {len(op.params)} arguments, got {len(args)}")
        if options.host_index not in (0, None):
            raise ApiValueError(
                f"{op.name}(): _host_index must be 0 (the API has one server), got {options.host_index!r}"
            )
        try:
            template = op._cache["path"]
        except KeyError:
            template = op._cache["path"] = compile_template(op.path)
        values: Dict[str, str] = {}
        query: List[str] = []
        body: Optional[bytes] = None
        idempotency_key_set = False
        for param, value in zip(op.params, args):
            if value is None:
                if param.required:
                    raise ApiValueError(f"{op.name}(): missing the required parameter '{param.name}'")
                continue
            kind = param.kind
            if kind == BODY:
                body, idempotency_key_set = self._encode_body(op, param.name, param.type, value)
                continue
            expected = _SIMPLE_TYPES[param.type]
            if not isinstance(value, expected) or (isinstance(value, bool) and param.type != "bool"):
                raise ApiTypeError(
                    f"{op.name}(): parameter '{param.name}' must be {_TYPE_WORDS[param.type]}, "
                    f"got {type(value).__name__}"
                )
            if kind == PATH:
                text = str(value)
                if not text:
                    raise ApiValueError(f"{op.name}(): path parameter '{param.name}' must not be empty")
                values[param.wire_name] = text
            elif kind == QUERY:
                query.append(query_item(param.wire_name, value))

        url = self._base_url() + template.expand(values, config.safe_chars_for_path_param)
        if query:
            url += "?" + "&".join(query)
        headers, access_token = self._compose_headers(
            op.auth, options, has_body=body is not None, accept=True, who=op.name + "(): "
        )
        return PreparedRequest(
            op.method, url, headers, body, is_idempotent(op.method, idempotency_key_set), access_token
        )

    def _base_url(self) -> str:
        config = self.configuration
        return config._base_path if config.server_index is None else config.host

    @staticmethod
    def _encode_body(op: Operation, name: str, type_name: str, value: Any) -> Tuple[bytes, bool]:
        if type_name == "object":
            if not isinstance(value, dict):
                raise ApiTypeError(f"{op.name}(): parameter '{name}' must be a dict, got {type(value).__name__}")
            return encode_body(value), False
        model = op.body_model()
        if not isinstance(value, model):
            if isinstance(value, dict):
                value = model._validate_request(value)  # ValidationError names the fields
            else:
                raise ApiTypeError(
                    f"{op.name}(): parameter '{name}' must be a {model.__name__} (or a dict of its fields), "
                    f"got {type(value).__name__}"
                )
        key_set = bool(op.idempotency_field and getattr(value, op.idempotency_field, None))
        return encode_body(value), key_set

    # ------------------------------------------------------------------ headers and credentials
    def _compose_headers(
        self,
        schemes: Sequence[str],
        options: CallOptions,
        *,
        has_body: bool,
        accept: bool,
        who: str = "",
    ) -> Tuple[Dict[str, str], Optional[str]]:
        """The headers of a request, checked, and the token-source token they carry (or None).

        Layers, each replacing a header of the same name in any letter case, so
        no header goes out twice: ``Accept``; ``default_headers`` (with
        ``User-Agent``); ``Cookie``; ``Content-Type``; the call's own headers
        (``options.headers``); last the credentials (``options.auth``, or the
        configured ones for ``schemes``), as in the official client.
        """
        content_type = options.content_type
        ours: Dict[str, str] = {"Accept": JSON_CONTENT_TYPE} if accept else {}
        layers: List[Mapping[str, str]] = [ours, self.default_headers]
        if self.cookie or has_body or content_type:
            last: Dict[str, str] = {}
            if self.cookie:
                last["Cookie"] = self.cookie
            if has_body or content_type:
                last["Content-Type"] = content_type or JSON_CONTENT_TYPE
            layers.append(last)
        if options.headers:
            layers.append(as_text_values(options.headers))
        credentials, access_token = self._credentials(schemes, options.auth)
        layers.append(credentials)
        headers = layer_headers(layers)
        check_headers(headers, who)
        return headers, access_token

    def _credentials(
        self, schemes: Sequence[str], request_auth: Optional[Dict[str, Any]]
    ) -> Tuple[Dict[str, str], Optional[str]]:
        """The credential headers: ``request_auth`` if given, else the configured ones for ``schemes``.

        Also returns the access token when it came from ``Configuration.token_source``
        (a 401 for it is worth one refresh), else None.
        """
        if request_auth is not None:
            return self._request_auth_header(request_auth), None
        config = self.configuration
        headers: Dict[str, str] = {}
        from_source = None
        for scheme in schemes:
            found = config._auth_header(scheme)
            if found is not None:
                name, value, token = found
                headers[name] = value
                if token is not None and config.token_source is not None:
                    from_source = token
        return headers, from_source

    def _apply_auth(
        self, headers: Dict[str, str], schemes: Sequence[str], request_auth: Optional[Dict[str, Any]]
    ) -> Optional[str]:
        """Put the credentials of :meth:`_credentials` in ``headers`` (any letter case replaced)."""
        credentials, access_token = self._credentials(schemes, request_auth)
        merge_headers(headers, credentials)
        return access_token

    @staticmethod
    def _request_auth_header(setting: Dict[str, Any]) -> Dict[str, str]:
        """The one header a ``_request_auth`` setting sends."""
        where = setting.get("in", "header")
        if where != "header":
            raise ApiValueError(f"_request_auth: only header credentials are used by this API, not {where!r}")
        key = setting.get("key")
        value = setting.get("value")
        kind = setting.get("type")
        if not key or value is None:
            raise ApiValueError("_request_auth needs 'key' (the header name) and 'value'")
        text = str(value)
        if kind in ("oauth2", "bearer") and not text.startswith(BEARER_PREFIX):
            text = bearer(text)
        return {str(key): text}

    # ------------------------------------------------------------------ sending, with the retry loop
    def _send_authorized(
        self, request: PreparedRequest, options: CallOptions, stream: bool, rebuild: Callable[[], PreparedRequest]
    ) -> rest.RESTResponse:
        """:meth:`send`; after a 401 for the token source's token, refresh once and send ``rebuild()`` once."""
        response = self.send(request, options, stream=stream)
        if response.status != 401 or request.access_token is None:
            return response
        source = self.configuration.token_source
        if source is None:
            return response
        try:
            refreshed = source.refresh_after_unauthorized(request.access_token)
        except BaseException:
            response.release()
            raise
        if not refreshed:
            return response
        response.release()
        return self.send(rebuild(), options, stream=stream)

    def send(
        self, request: PreparedRequest, options: CallOptions = DEFAULT_OPTIONS, *, stream: bool = False
    ) -> rest.RESTResponse:
        """Send a prepared request, retrying only what is safe to retry.

        ``options.timeout`` is the call's ``_request_timeout``; ``stream=True``
        leaves the body unread (for ``*_without_preload_content``).
        """
        policy = self.retry_policy
        debug = _LOG.isEnabledFor(logging.DEBUG)
        if debug:
            _LOG.debug(
                "request %s %s headers=%s", request.method, rest.safe_url(request.url), redact_headers(request.headers)
            )
        attempt = 1
        waited = 0.0  # seconds slept between attempts
        started = policy.clock()
        while True:
            try:
                response = self.rest_client.request(
                    request.method,
                    request.url,
                    headers=request.headers,
                    body=request.body,
                    _request_timeout=options.timeout,
                    preload_content=not stream,
                )
            except TransportError as error:
                reached_server = not isinstance(error, ApiConnectionError)
                # a refused certificate, or an answer over the size limit, would come again: not retried
                allowed = (request.idempotent or not reached_server) and not isinstance(
                    error, (ApiTLSError, ResponseTooLargeError)
                )
                delay = policy.backoff(attempt)
                spent = max(waited, policy.clock() - started)
                if allowed and attempt < policy.max_attempts and spent + delay <= policy.max_total_delay:
                    _LOG.debug(
                        "retry %d of %s %s in %.2fs: %s",
                        attempt,
                        request.method,
                        rest.safe_url(request.url),
                        delay,
                        error,
                    )
                    policy.sleep(delay)
                    waited += delay
                    attempt += 1
                    continue
                error.attempts = attempt
                raise
            status = response.status
            if status >= 400 and may_retry_status(status, request.idempotent) and attempt < policy.max_attempts:
                delay = policy.backoff(attempt)
                retry_after = (
                    parse_retry_after(response.getheader("Retry-After")) if policy.respect_retry_after else None
                )
                if retry_after is not None:
                    delay = retry_after if retry_after <= policy.retry_after_max else -1.0
                if 0 <= delay and max(waited, policy.clock() - started) + delay <= policy.max_total_delay:
                    _LOG.debug(
                        "retry %d of %s %s in %.2fs: status %d",
                        attempt,
                        request.method,
                        rest.safe_url(request.url),
                        delay,
                        status,
                    )
                    response.release()  # give the connection back before waiting
                    policy.sleep(delay)
                    waited += delay
                    attempt += 1
                    continue
            response.attempts = attempt
            if debug:
                _LOG.debug("response %s %s -> %d", request.method, rest.safe_url(request.url), status)
            return response

    # ------------------------------------------------------------------ decoding
    def _decode(self, op: Operation, response: rest.RESTResponse) -> ApiResponse[Any]:
        data = response.read()
        status = response.status
        if not 200 <= status <= 299:
            self._raise_for_status(response, data)
        headers = response.response.headers
        value = decode_answer(op.response_model(), status, headers.get("Content-Type"), data, headers)
        return ApiResponse(status, value, headers, data)

    @staticmethod
    def _raise_for_status(response: rest.RESTResponse, data: bytes) -> None:
        text = data.decode("utf-8", errors="replace")
        error = ApiException.from_response(http_resp=response, body=text, data=None)
        error.attempts = response.attempts
        raise error

    # ------------------------------------------------------------------ the official, lower-level API
    # The same steps as above under the official names: param_serialize composes the headers and
    # credentials with _compose_headers, call_api sends through _send_authorized (so a token from
    # the token source is refreshed after a 401), response_deserialize decodes with decode_answer.
    def param_serialize(
        self,
        method: str,
        resource_path: str,
        path_params: Optional[Dict[str, Any]] = None,
        query_params: Optional[List[Tuple[str, Any]]] = None,
        header_params: Optional[Dict[str, Any]] = None,
        body: Any = None,
        post_params: Optional[List[Tuple[str, Any]]] = None,
        files: Optional[Dict[str, Any]] = None,
        auth_settings: Optional[List[str]] = None,
        collection_formats: Optional[Dict[str, str]] = None,
        _host: Optional[str] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
    ) -> RequestSerialized:
        """Build (method, url, headers, body, post_params) from loose parts, as the official client does."""
        if files:
            raise ApiValueError("file uploads are not used by the Kenar API")
        config = self.configuration
        values = {
            str(name): str(to_jsonable(value)) for name, value in (path_params or {}).items() if value is not None
        }
        url = (_host or config.host) + compile_template(resource_path).expand(values, config.safe_chars_for_path_param)
        if query_params:
            url += "?" + self.parameters_to_url_query(query_params, collection_formats)
        headers, access_token = self._compose_headers(
            auth_settings or (), CallOptions(auth=_request_auth, headers=header_params), has_body=False, accept=False
        )
        self._remember_token(access_token)
        sanitized = self.sanitize_for_serialization(body) if body is not None else None
        return method, url, headers, sanitized, list(post_params or [])

    def call_api(
        self,
        method: str,
        url: str,
        header_params: Optional[Dict[str, str]] = None,
        body: Any = None,
        post_params: Optional[List[Tuple[str, Any]]] = None,
        _request_timeout: Any = UNSET,
    ) -> rest.RESTResponse:
        """Send a request built by :meth:`param_serialize`, through the same retry loop and token refresh."""
        check_url(url)
        headers: Dict[str, str] = {}
        merge_headers(headers, header_params or {})
        encoded: Optional[bytes] = None
        if body is not None:
            encoded = encode_body(body)
            if not header_get(headers, "Content-Type")[0]:
                headers["Content-Type"] = JSON_CONTENT_TYPE
        elif post_params:
            encoded = form_body(post_params)
            if not header_get(headers, "Content-Type")[0]:
                headers["Content-Type"] = FORM_CONTENT_TYPE
        check_headers(headers)
        request = PreparedRequest(
            method.upper(), url, headers, encoded, is_idempotent(method), self._refreshable_token(headers)
        )
        response = self._send_authorized(
            request, CallOptions(timeout=_request_timeout), False, lambda: self._with_fresh_token(request)
        )
        response.read()
        return response

    def _remember_token(self, token: Optional[str]) -> None:
        if token is not None and token not in self._source_tokens:
            self._source_tokens.append(token)

    def _refreshable_token(self, headers: Mapping[str, str]) -> Optional[str]:
        """The bearer token in ``headers`` if the token source gave it to this client (else None)."""
        value = header_get(headers, "Authorization")[1]
        if not value or not value.startswith(BEARER_PREFIX) or self.configuration.token_source is None:
            return None
        token: str = value[len(BEARER_PREFIX) :]
        return token if token in self._source_tokens else None

    def _with_fresh_token(self, request: PreparedRequest) -> PreparedRequest:
        """``request`` again with the token source's current token (after it refreshed)."""
        headers = dict(request.headers)
        token = self._apply_auth(headers, ("OAuth",), None)
        check_headers(headers)
        self._remember_token(token)
        return request._replace(headers=headers, access_token=token)

    def response_deserialize(
        self,
        response_data: rest.RESTResponse,
        response_types_map: Optional[Dict[str, Optional[str]]] = None,
    ) -> ApiResponse[Any]:
        """Decode a response from :meth:`call_api` by status, as the official client does."""
        data = response_data.read()
        status = response_data.status
        if not 200 <= status <= 299:
            self._raise_for_status(response_data, data)
        types = response_types_map or {}
        response_type = types.get(str(status)) or types.get(f"{str(status)[0]}XX")
        content_type = response_data.getheader("Content-Type")
        if response_type == "bytearray":
            value: Any = data
        elif response_type is None:
            value = None
        elif response_type == "object" or self._model_class(response_type) is not None:
            # what the generated methods return: the same decoder as call_operation
            model = self._model_class(response_type)
            value = decode_answer(model, status, content_type, data, response_data.headers)
        else:
            try:
                value = self.deserialize(data.decode("utf-8"), response_type, content_type)
            except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
                if isinstance(error, OpenApiException):
                    raise
                detail = describe_validation_error(error) if isinstance(error, ValidationError) else str(error)
                raise ResponseDecodeError(
                    status, f"{response_type}: {detail}", data, content_type=content_type, headers=response_data.headers
                ) from None
        return ApiResponse(status, value, response_data.headers, data)

    def deserialize(self, response_text: str, response_type: str, content_type: Optional[str]) -> Any:
        """Decode ``response_text`` as ``response_type`` ("object", "str", "int", a model name, "List[...]")."""
        if (
            content_type is not None
            and "json" not in content_type.lower()
            and not content_type.startswith("text/plain")
        ):
            raise ApiException(status=0, reason=f"Unsupported content type: {content_type}")
        if content_type is not None and content_type.startswith("text/plain"):
            return response_text
        if response_text == "":
            return ""
        model = self._model_class(response_type)
        if model is not None:
            return model.model_validate_json(response_text)
        try:
            data = json.loads(response_text)
        except ValueError:
            return response_text
        return self._deserialize_value(data, response_type)

    def _deserialize_value(self, data: Any, klass: str) -> Any:
        if data is None:
            return None
        list_match = re.match(r"List\[(.+)\]$", klass)
        if list_match:
            return [self._deserialize_value(item, list_match.group(1)) for item in data]
        dict_match = re.match(r"Dict\[([^,]+), (.+)\]$", klass)
        if dict_match:
            return {k: self._deserialize_value(v, dict_match.group(2)) for k, v in data.items()}
        if klass in ("object", "Any"):
            return data
        native = self.NATIVE_TYPES_MAPPING.get(klass)
        if native is datetime.datetime or native is datetime.date:
            from dateutil.parser import parse

            parsed = parse(data)
            return parsed if native is datetime.datetime else parsed.date()
        if native is not None:
            return native(data)
        model = self._model_class(klass)
        if model is None:
            raise ApiValueError(f"unknown response type {klass!r}")
        return model.model_validate(data)

    @staticmethod
    def _model_class(name: str) -> Any:
        if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name):
            return None
        import kenar_api_client.models as models

        return getattr(models, name, None)

    def sanitize_for_serialization(self, obj: Any) -> Any:
        """Turn models, enums, dates and containers into plain JSON values."""
        return to_jsonable(obj)

    def parameters_to_url_query(self, params: Any, collection_formats: Optional[Dict[str, str]] = None) -> str:
        """Encode query parameters: UTF-8, space as %20, '/' kept, None values left out."""
        items = params.items() if isinstance(params, dict) else params
        formats = collection_formats or {}
        parts: List[str] = []
        for name, value in items:
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                fmt = formats.get(name, "multi")
                if fmt == "multi":
                    parts.extend(query_item(name, v) for v in value)
                    continue
                sep = {"ssv": " ", "tsv": "\t", "pipes": "|"}.get(fmt, ",")
                value = sep.join(query_text(v) for v in value)
            elif isinstance(value, dict):
                value = json.dumps(value)
            parts.append(query_item(name, value))
        return "&".join(parts)

    @staticmethod
    def select_header_accept(accepts: List[str]) -> Optional[str]:
        if not accepts:
            return None
        for accept in accepts:
            if re.search(r"json", accept, re.IGNORECASE):
                return accept
        return accepts[0]

    @staticmethod
    def select_header_content_type(content_types: List[str]) -> Optional[str]:
        if not content_types:
            return None
        for content_type in content_types:
            if re.search(r"json", content_type, re.IGNORECASE):
                return content_type
        return content_types[0]

    def update_params_for_auth(
        self,
        headers: Dict[str, str],
        queries: List[Tuple[str, Any]],
        auth_settings: Optional[List[str]],
        resource_path: str,
        method: str,
        body: Any,
        request_auth: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Add the credentials of ``auth_settings`` (or ``request_auth``) to ``headers``."""
        self._remember_token(self._apply_auth(headers, auth_settings or (), request_auth))


__all__ = ["ApiClient", "PreparedRequest", "RequestSerialized", "RequestTimeout", "redact_headers"]
