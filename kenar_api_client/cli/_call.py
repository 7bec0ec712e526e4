"""Running one operation command: credentials, the body, the call through ApiClient, the output."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any, Dict, List, Optional

from kenar_api_client._op_table import OPERATIONS
from kenar_api_client._op_types import BODY, PATH, QUERY, CallOptions, Operation
from kenar_api_client.cli import EXIT_API_ERROR, EXIT_OK, EXIT_TRANSPORT, Failure, UsageError
from kenar_api_client.cli._naming import body_param, needs_user_token
from kenar_api_client.cli._output import error_line, exit_code_for_status, write_headers, write_json

_LOG_FORMAT = "kenar: debug: %(name)s: %(message)s"


def read_secret_file(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read().strip()
    except OSError as error:
        raise UsageError(f"cannot read {what} from {path}: {error.strerror or error}") from None
    if not text:
        raise UsageError(f"{path} is empty: it should hold {what}")
    return text


def read_json_argument(text: str) -> Any:
    """``--json TEXT``, ``--json @FILE`` or ``--json -`` (stdin), parsed."""
    source = "--json"
    if text == "-":
        text = sys.stdin.read()
        source = "--json - (stdin)"
    elif text.startswith("@"):
        path = text[1:]
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as error:
            raise UsageError(f"cannot read --json @{path}: {error.strerror or error}") from None
        source = f"--json @{path}"
    try:
        return json.loads(text)
    except ValueError as error:
        raise UsageError(f"{source} is not valid JSON: {error}") from None


def _validation_summary(error: Any) -> str:
    from kenar_api_client._decode import describe_validation_error

    return describe_validation_error(error, root="(the object)", limit=5)


def body_argument(op: Operation, namespace: argparse.Namespace) -> Any:
    """The body, checked against the body model; a usage error names what is wrong."""
    param = body_param(op)
    text = getattr(namespace, "json_body", None)
    if param is None or text is None:
        return None
    data = read_json_argument(text)
    if not isinstance(data, dict):
        from kenar_api_client._wire import json_kind

        raise UsageError(f"--json must be a JSON object (the {param.type} body), not {json_kind(data)}")
    model = op.body_model()
    if model is None:
        return data
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise UsageError(f"--json does not fit {model.__name__}: {_validation_summary(error)}") from None


def configure_debug(enabled: bool) -> None:
    """Log the SDK's warnings on stderr as kenar lines; with ``enabled`` every request and answer too."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_LOG_FORMAT if enabled else "kenar: %(message)s"))
    handler.set_name("kenar-cli")
    names = ("kenar_api_client", "urllib3") if enabled else ("kenar_api_client",)
    for name in names:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG if enabled else logging.WARNING)
        # main() may run more than once in a process: one kenar handler per logger
        logger.handlers[:] = [h for h in logger.handlers if h.get_name() != "kenar-cli"] + [handler]
        logger.propagate = False


def make_configuration(namespace: argparse.Namespace, op: Optional[Operation]) -> Any:
    """A Configuration from the environment and the options; refuses to run without a needed credential."""
    from kenar_api_client.configuration import Configuration

    env = os.environ
    host = getattr(namespace, "host", None) or env.get("KENAR_HOST") or None
    config = Configuration(host=host)
    key_file = getattr(namespace, "api_key_file", None)
    key = read_secret_file(key_file, "the API key") if key_file else env.get("KENAR_API_KEY")
    if key:
        config.api_key["APIKey"] = key
    elif op is not None and "APIKey" in op.auth:
        raise UsageError("no API key: set KENAR_API_KEY or pass --api-key-file FILE")
    token = env.get("KENAR_ACCESS_TOKEN")
    if token:
        config.access_token = token
    elif op is not None and needs_user_token(op):
        from kenar_api_client.cli._oauth import stored_token_source

        source = stored_token_source(config)
        if source is None:
            raise UsageError(
                "this operation acts for a Divar user and needs their OAuth access token: "
                "run `kenar oauth login` once, or set KENAR_ACCESS_TOKEN"
            )
        config.token_source = source
    return config


def call_arguments(op: Operation, namespace: argparse.Namespace) -> List[Any]:
    args: List[Any] = []
    for param in op.params:
        if param.kind == BODY:
            args.append(body_argument(op, namespace))
        elif param.kind in (PATH, QUERY):
            args.append(getattr(namespace, "p_" + param.name, None))
        else:  # a kind this version does not know: let the ApiClient say so
            args.append(None)
    return args


def run_operation(namespace: argparse.Namespace) -> int:
    op = OPERATIONS[namespace.operation]
    all_pages = bool(getattr(namespace, "all_pages", False))
    if all_pages and namespace.raw:
        raise UsageError("--all-pages prints one merged answer; it cannot be combined with --raw")
    if all_pages and namespace.include:
        raise UsageError("--all-pages prints one merged answer; it cannot be combined with --include")
    configure_debug(namespace.debug)
    if namespace.timeout is not None and namespace.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    args = call_arguments(op, namespace)
    config = make_configuration(namespace, op)
    if namespace.debug:
        config.debug = True
    options = CallOptions() if namespace.timeout is None else CallOptions(timeout=namespace.timeout)
    layout = namespace.layout or ("pretty" if sys.stdout.isatty() else "compact")

    try:
        return _send(config, op, args, options, namespace, layout)
    except Exception as error:
        failure = translate(error)
        if failure is None:
            raise
        raise failure from None


def _send(
    config: Any, op: Operation, args: List[Any], options: CallOptions, namespace: argparse.Namespace, layout: str
) -> int:
    from kenar_api_client.api_client import ApiClient
    from kenar_api_client.exceptions import ApiException

    with ApiClient(config) as client:
        if namespace.raw:
            return _call_raw(client, op, args, options, namespace.include)
        if getattr(namespace, "all_pages", False):
            write_json(_all_pages(client, op, args, options, namespace.max_pages), layout)
            return EXIT_OK
        try:
            response = client.call_operation(op, args, options)
        except ApiException as error:
            if namespace.include:
                write_headers(error.status or 0, error.reason, error.headers or {})
            raise
        if namespace.include:
            write_headers(response.status_code, None, response.headers or {})
        if response.raw_data:
            write_json(json.loads(response.raw_data), layout)
        return EXIT_OK


def _call_raw(client: Any, op: Operation, args: List[Any], options: CallOptions, include: bool) -> int:
    from kenar_api_client.exceptions import ApiException

    response = client.call_operation_raw(op, args, options)
    try:
        data = response.data
    finally:
        response.release_conn()
    if include:
        write_headers(response.status, response.reason, response.headers)
    out = sys.stdout.buffer
    out.write(data)
    out.flush()
    if 200 <= response.status <= 299:
        return EXIT_OK
    error = ApiException.from_response(http_resp=response, body=data.decode("utf-8", errors="replace"), data=None)
    sys.stderr.write("kenar: " + error_line(error) + "\n")
    return exit_code_for_status(response.status)


def _all_pages(client: Any, op: Operation, args: List[Any], options: CallOptions, max_pages: int) -> Dict[str, Any]:
    """Every page merged into one answer of the same shape, without the next-page token."""
    paging = op.paging
    assert paging is not None
    if max_pages < 1:
        raise UsageError("--max-pages must be at least 1")
    index = [p.name for p in op.params].index(paging.token_param)
    args = list(args)
    seen = set()
    items: List[Any] = []
    merged: Dict[str, Any] = {}
    pages = 0
    while True:
        response = client.call_operation(op, args, options)
        pages += 1
        page = json.loads(response.raw_data) if response.raw_data else {}
        if not isinstance(page, dict):
            raise Failure(f"page {pages} is not a JSON object", EXIT_TRANSPORT)
        found = page.get(paging.items_field) or []
        if not isinstance(found, list):
            raise Failure(f"page {pages}: {paging.items_field} is not a list", EXIT_TRANSPORT)
        items.extend(found)
        merged.update(page)
        token = page.get(paging.next_token_field)
        if not token:
            break
        if token in seen or token == args[index]:
            raise Failure(
                f"the server sent page token {token!r} twice (page {pages}); stopped to avoid a loop", EXIT_TRANSPORT
            )
        if pages >= max_pages:
            raise Failure(f"stopped after --max-pages {max_pages} pages; there are more", EXIT_TRANSPORT)
        seen.add(token)
        args[index] = token
    merged.pop(paging.next_token_field, None)
    merged[paging.items_field] = items
    return merged


def translate(exc: BaseException) -> Optional[Failure]:
    from kenar_api_client.exceptions import (
        ApiException,
        ApiTypeError,
        ApiValueError,
        ResponseDecodeError,
        TransportError,
    )
    from kenar_api_client.oauth import OAuthError, OAuthValueError

    if isinstance(exc, ApiException):
        return Failure(error_line(exc), exit_code_for_status(exc.status or 0))
    if isinstance(exc, OAuthValueError):
        return Failure(f"error: {exc}", 2)
    if isinstance(exc, OAuthError):
        # refused (a 4xx, or the user said no at the consent page): 1; the server failed: 3
        status = getattr(exc, "status", None)
        failed = (status is not None and status >= 500) or getattr(exc, "error", None) == "invalid_response"
        return Failure(f"OAuth: {exc}", EXIT_TRANSPORT if failed else EXIT_API_ERROR)
    if isinstance(exc, TransportError):
        return Failure(f"no answer: {exc}", EXIT_TRANSPORT)
    if isinstance(exc, ResponseDecodeError):
        return Failure(f"unusable answer: {exc}", EXIT_TRANSPORT)
    if isinstance(exc, (ApiTypeError, ApiValueError)):
        return Failure(f"error: {exc}", 2)
    return None
