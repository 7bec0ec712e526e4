"""ApiClient: turns an operation and its arguments into a request, sends it, and reads the answer.

The generated API classes are thin: each method hands its
:class:`~kenar_api_client._op_types.Operation` and arguments to
:meth:`ApiClient.call_operation`.  That runs in two steps:

1. :meth:`ApiClient.build_request` (pure, no network): check the arguments,
   fill the path, encode the query and body, add headers and credentials;
2. send it through the one retry loop (see :mod:`kenar_api_client.retry`)
   and decode the answer straight from bytes into the model.
"""

from __future__ import annotations

import datetime
import decimal
import json
import logging
import re
import threading
from enum import Enum
from typing import Any, ClassVar, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from kenar_api_client import rest
from kenar_api_client._op_types import BODY, DEFAULT_OPTIONS, PATH, QUERY, UNSET, CallOptions, Operation
from kenar_api_client.api_response import ApiResponse
from kenar_api_client.configuration import Configuration
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
_SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie"})
_SIMPLE_TYPES: Dict[str, Tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "float": (float, int),
    "object": (dict,),
}
_TYPE_WORDS = {"str": "a string", "int": "an integer", "bool": "a bool", "float": "a number", "object": "a dict"}


def redact_headers(headers: Mapping[str, Any]) -> Dict[str, Any]:
    """A copy of ``headers`` with credential values replaced by ``***``."""
    return {k: ("***" if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}


class PreparedRequest(NamedTuple):
    """A request ready to send: the output of the pure building step."""

    method: str
    url: str
    headers: Dict[str, str]
    body: Optional[bytes]
    #: True when sending it twice cannot do twice what it does
    idempotent: bool
    #: the bearer token it carries, if any (to know which one a 401 rejected)
    access_token: Optional[str] = None

    def __repr__(self) -> str:
        return f"PreparedRequest({self.method} {rest.safe_url(self.url)}, headers={redact_headers(self.headers)})"


def _path_segments(path: str) -> Tuple[Tuple[str, bool], ...]:
    """``/a/{b}/c`` -> (("/a/", False), ("b", True), ("/c", False))."""
    parts = re.split(r"\{([^}]+)\}", path)
    return tuple((part, i % 2 == 1) for i, part in enumerate(parts) if part or i % 2 == 1)


def _encode_path_value(value: str, safe: str) -> str:
    encoded = quote(value, safe=safe)
    if encoded in (".", ".."):  # a bare dot segment would be folded away by URL normalisation
        encoded = encoded.replace(".", "%2E")
    return encoded


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


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
    def call_operation(self, op: Operation, args: Sequence[Any], options: CallOptions = DEFAULT_OPTIONS) -> ApiResponse[Any]:
        """Send ``op`` with ``args`` (in signature order) and decode the answer."""
        return self._decode(op, self._exchange(op, args, options, True))

    def call_operation_raw(
        self, op: Operation, args: Sequence[Any], options: CallOptions = DEFAULT_OPTIONS
    ) -> rest.RESTResponseType:
        """Send ``op`` and return the unread urllib3 response, whatever its status."""
        return self._exchange(op, args, options, False).response  # type: ignore[return-value]

    def _exchange(self, op: Operation, args: Sequence[Any], options: CallOptions, preload_content: bool) -> rest.RESTResponse:
        request_auth = options.auth
        request = self.build_request(op, args, request_auth, options.content_type, options.headers, options.host_index)
        response = self.send(request, options.timeout, preload_content)
        if response.status == 401 and op.needs_oauth and request_auth is None:
            # a token source may know a fresher token: refresh once, resend once, never loop
            source = self.configuration.token_source
            if source is not None and request.access_token is not None:
                try:
                    refreshed = source.refresh_after_unauthorized(request.access_token)
                except BaseException:
                    response.release()
                    raise
                if refreshed:
                    response.release()
                    request = self.build_request(
                        op, args, request_auth, options.content_type, options.headers, options.host_index
                    )
                    response = self.send(request, options.timeout, preload_content)
        return response

    def build_request(
        self,
        op: Operation,
        args: Sequence[Any],
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Dict[str, Any]] = None,
        _host_index: int = 0,
    ) -> PreparedRequest:
        """Check the arguments and build the request; nothing is sent."""
        config = self.configuration
        if len(args) != len(op.params):
            raise ApiTypeError(f"{op.name}() takes {len(op.params)} arguments, got {len(args)}")
        if _host_index not in (0, None):
            raise ApiValueError(f"{op.name}(): _host_index must be 0 (the API has one server), got {_host_index!r}")
        try:
            segments = op._cache["segments"]
        except KeyError:
            segments = op._cache["segments"] = _path_segments(op.path)
        values: Dict[str, Any] = {}
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
                values[param.wire_name] = _encode_path_value(text, config.safe_chars_for_path_param)
            elif kind == QUERY:
                query.append(quote(param.wire_name) + "=" + quote(_query_text(value)))

        path = "".join(values[text] if is_param else text for text, is_param in segments)
        host = config._base_path if config.server_index is None else config.host
        url = host + path
        if query:
            url += "?" + "&".join(query)

        headers = {"Accept": "application/json"}
        headers.update(self.default_headers)
        if self.cookie:
            headers["Cookie"] = self.cookie
        if _headers:
            for name, header_value in _headers.items():
                headers[name] = str(header_value)
        if body is not None:
            headers["Content-Type"] = _content_type or "application/json"
        elif _content_type:
            headers["Content-Type"] = _content_type
        access_token = None
        if _request_auth is not None:
            self._apply_auth_setting(headers, _request_auth)
        else:
            for scheme in op.auth:
                if scheme == "APIKey":
                    key = config.get_api_key_with_prefix("APIKey")
                    if key is not None:
                        headers["X-API-Key"] = key
                elif scheme == "OAuth":
                    source = config.token_source
                    access_token = source.get_access_token() if source is not None else config.access_token
                    if access_token:
                        headers["Authorization"] = "Bearer " + access_token
        for name, header_value in headers.items():
            if "\r" in header_value or "\n" in header_value or "\r" in name or "\n" in name:
                raise ApiValueError(
                    f"{op.name}(): header {name!r} contains a line break (CR/LF); refusing to send it"
                )
        return PreparedRequest(
            op.method,
            url,
            headers,
            body,
            is_idempotent(op.method, idempotency_key_set),
            access_token,
        )

    def _encode_body(self, op: Operation, name: str, type_name: str, value: Any) -> Tuple[bytes, bool]:
        if type_name == "object":
            if not isinstance(value, dict):
                raise ApiTypeError(f"{op.name}(): parameter '{name}' must be a dict, got {type(value).__name__}")
            encoded = json.dumps(self.sanitize_for_serialization(value), ensure_ascii=False).encode("utf-8")
            return encoded, False
        model = op.body_model()
        if not isinstance(value, model):
            if isinstance(value, dict):
                value = model.model_validate(value)  # ValidationError names the fields
            else:
                raise ApiTypeError(
                    f"{op.name}(): parameter '{name}' must be a {model.__name__} (or a dict of its fields), "
                    f"got {type(value).__name__}"
                )
        encoded = value.__pydantic_serializer__.to_json(value, by_alias=True, exclude_none=True)
        key_set = bool(op.idempotency_field and getattr(value, op.idempotency_field, None))
        return encoded, key_set

    @staticmethod
    def _apply_auth_setting(headers: Dict[str, str], setting: Dict[str, Any]) -> None:
        where = setting.get("in", "header")
        if where != "header":
            raise ApiValueError(f"_request_auth: only header credentials are used by this API, not {where!r}")
        key = setting.get("key")
        value = setting.get("value")
        kind = setting.get("type")
        if not key or value is None:
            raise ApiValueError("_request_auth needs 'key' (the header name) and 'value'")
        if kind in ("oauth2", "bearer") and not str(value).startswith("Bearer "):
            value = "Bearer " + str(value)
        headers[str(key)] = str(value)

    # ------------------------------------------------------------------ sending, with the retry loop
    def send(self, request: PreparedRequest, timeout: Any = UNSET, preload_content: bool = True) -> rest.RESTResponse:
        """Send a prepared request, retrying only what is safe to retry."""
        policy = self.retry_policy
        debug = _LOG.isEnabledFor(logging.DEBUG)
        if debug:
            _LOG.debug("request %s %s headers=%s", request.method, rest.safe_url(request.url), redact_headers(request.headers))
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
                    _request_timeout=timeout,
                    preload_content=preload_content,
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
                    _LOG.debug("retry %d of %s %s in %.2fs: %s", attempt, request.method, rest.safe_url(request.url), delay, error)
                    policy.sleep(delay)
                    waited += delay
                    attempt += 1
                    continue
                error.attempts = attempt
                raise
            status = response.status
            if status >= 400 and may_retry_status(status, request.idempotent) and attempt < policy.max_attempts:
                delay = policy.backoff(attempt)
                retry_after = parse_retry_after(response.getheader("Retry-After")) if policy.respect_retry_after else None
                if retry_after is not None:
                    delay = retry_after if retry_after <= policy.retry_after_max else -1.0
                if 0 <= delay and max(waited, policy.clock() - started) + delay <= policy.max_total_delay:
                    _LOG.debug(
                        "retry %d of %s %s in %.2fs: status %d", attempt, request.method, rest.safe_url(request.url), delay, status
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
        model = op.response_model()
        value = self._decode_body(model, response, data)
        return ApiResponse(status, value, response.response.headers, data)

    @staticmethod
    def _decode_body(model: Any, response: rest.RESTResponse, data: bytes) -> Any:
        status = response.status
        content_type = response.response.headers.get("Content-Type")
        if content_type is not None and "json" not in content_type.lower():
            if not data and status == 204:
                return None
            raise ResponseDecodeError(status, f"expected a JSON answer, got Content-Type {content_type!r}", data,
                                      content_type=content_type, headers=response.headers)
        if not data:
            if status == 204 or model is None:
                return None
            raise ResponseDecodeError(status, "the answer has an empty body", data, headers=response.headers)
        if model is None:
            try:
                return json.loads(data)
            except ValueError as error:
                raise ResponseDecodeError(status, f"invalid JSON ({error})", data, headers=response.headers) from None
        try:
            return model.model_validate_json(data)
        except ValidationError as error:
            raise ResponseDecodeError(
                status, f"{model.__name__}: {_summarise(error)}", data, headers=response.headers
            ) from None

    @staticmethod
    def _raise_for_status(response: rest.RESTResponse, data: bytes) -> None:
        text = data.decode("utf-8", errors="replace")
        error = ApiException.from_response(http_resp=response, body=text, data=None)
        error.attempts = response.attempts
        raise error

    # ------------------------------------------------------------------ the official, lower-level API
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
        headers: Dict[str, str] = dict(self.default_headers)
        if self.cookie:
            headers["Cookie"] = self.cookie
        for name, value in (header_params or {}).items():
            headers[name] = str(value)
        path = resource_path
        for name, value in (path_params or {}).items():
            path = path.replace("{" + name + "}", _encode_path_value(str(value), config.safe_chars_for_path_param))
        if _request_auth is not None:
            self._apply_auth_setting(headers, _request_auth)
        else:
            available = config.auth_settings()
            for scheme in auth_settings or []:
                setting = available.get(scheme)
                if setting:
                    headers[setting["key"]] = setting["value"]
        for name, value in headers.items():
            if "\r" in value or "\n" in value:
                raise ApiValueError(f"header {name!r} contains a line break (CR/LF); refusing to send it")
        url = (_host or config.host) + path
        if query_params:
            url += "?" + self.parameters_to_url_query(query_params, collection_formats)
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
        """Send a request built by :meth:`param_serialize` (retried by method idempotency only)."""
        headers = dict(header_params or {})
        encoded: Optional[bytes] = None
        if body is not None:
            encoded = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        elif post_params:
            from urllib.parse import urlencode

            encoded = urlencode(post_params).encode("ascii")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = PreparedRequest(method.upper(), url, headers, encoded, is_idempotent(method))
        response = self.send(request, _request_timeout)
        response.read()
        return response

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
        if response_type == "bytearray":
            value: Any = data
        elif response_type is None:
            value = None
        else:
            content_type = response_data.getheader("Content-Type")
            try:
                value = self.deserialize(data.decode("utf-8"), response_type, content_type)
            except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
                if isinstance(error, OpenApiException):
                    raise
                detail = _summarise(error) if isinstance(error, ValidationError) else str(error)
                raise ResponseDecodeError(
                    status, f"{response_type}: {detail}", data, content_type=content_type, headers=response_data.headers
                ) from None
        return ApiResponse(status, value, response_data.headers, data)

    def deserialize(self, response_text: str, response_type: str, content_type: Optional[str]) -> Any:
        """Decode ``response_text`` as ``response_type`` ("object", "str", "int", a model name, "List[...]")."""
        if content_type is not None and "json" not in content_type.lower() and not content_type.startswith("text/plain"):
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
        if obj is None or isinstance(obj, (str, int, float, bool)) and not isinstance(obj, Enum):
            return obj
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, bytes):
            return obj.decode("utf-8")
        if isinstance(obj, (list, tuple)):
            return [self.sanitize_for_serialization(item) for item in obj]
        if isinstance(obj, (datetime.datetime, datetime.date)):
            return obj.isoformat()
        if isinstance(obj, decimal.Decimal):
            return str(obj)
        if isinstance(obj, dict):
            return {key: self.sanitize_for_serialization(val) for key, val in obj.items()}
        if isinstance(obj, BaseModel):
            return obj.model_dump(mode="json", by_alias=True, exclude_none=True)
        if hasattr(obj, "to_dict"):
            return self.sanitize_for_serialization(obj.to_dict())
        raise ApiTypeError(f"cannot serialise a {type(obj).__name__} to JSON")

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
                    parts.extend(quote(name) + "=" + quote(_query_text(v)) for v in value)
                    continue
                sep = {"ssv": " ", "tsv": "\t", "pipes": "|"}.get(fmt, ",")
                value = sep.join(_query_text(v) for v in value)
            elif isinstance(value, dict):
                value = json.dumps(value)
            parts.append(quote(name) + "=" + quote(_query_text(value)))
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
        if request_auth is not None:
            self._apply_auth_setting(headers, request_auth)
            return
        available = self.configuration.auth_settings()
        for scheme in auth_settings or []:
            setting = available.get(scheme)
            if setting:
                headers[setting["key"]] = setting["value"]


def _summarise(error: ValidationError) -> str:
    errors = error.errors()
    if errors and errors[0]["type"] == "json_invalid":
        return f"invalid JSON ({errors[0]['msg']})"
    parts = []
    for item in errors[:3]:
        where = ".".join(str(x) for x in item.get("loc", ())) or "(root)"
        parts.append(f"{where}: {item.get('msg')}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


__all__ = ["ApiClient", "PreparedRequest", "RequestSerialized", "RequestTimeout", "redact_headers"]
