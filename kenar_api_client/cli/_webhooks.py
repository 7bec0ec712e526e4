"""``kenar webhooks verify`` and ``kenar webhooks listen``: check deliveries as a receiver would."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional

from kenar_api_client.cli import EXIT_API_ERROR, EXIT_OK, UsageError
from kenar_api_client.cli._output import write_json


def _key(namespace: argparse.Namespace) -> str:
    from kenar_api_client.cli._call import read_secret_file

    if namespace.key_file:
        return read_secret_file(namespace.key_file, "the identification key")
    key = os.environ.get("KENAR_WEBHOOK_KEY")
    if not key:
        raise UsageError("no identification key: pass --key-file FILE or set KENAR_WEBHOOK_KEY")
    return key


def _parser(kind: str) -> Callable[..., Any]:
    from kenar_api_client import webhooks

    return {
        "event": webhooks.parse_event,
        "session-init": webhooks.parse_session_init,
        "dynamic-action": webhooks.parse_dynamic_action,
    }[kind]


def _as_json(parsed: Any) -> Any:
    raw = getattr(parsed, "raw", None)
    if isinstance(raw, dict) and raw:
        return raw
    return parsed.model_dump(mode="json", by_alias=True, exclude_none=True)


def verify(namespace: argparse.Namespace) -> int:
    from kenar_api_client.webhooks import WebhookError

    key = _key(namespace)
    if namespace.authorization_file:
        with_header: Optional[str] = _read_header(namespace.authorization_file)
    else:
        with_header = os.environ.get("KENAR_WEBHOOK_AUTHORIZATION")
        if with_header is None:
            raise UsageError(
                "no Authorization header value: pass --authorization-file FILE or set KENAR_WEBHOOK_AUTHORIZATION"
            )
    if sys.stdin.isatty():
        sys.stderr.write("kenar: reading the delivery's body from stdin (end with Ctrl-D)\n")
    body = sys.stdin.buffer.read()
    try:
        parsed = _parser(namespace.kind)(body, with_header, key)
    except WebhookError as error:
        sys.stderr.write(f"kenar: refused ({error.http_status}): {error}\n")
        return EXIT_API_ERROR
    write_json(_as_json(parsed), "pretty" if sys.stdout.isatty() else "compact")
    sys.stderr.write(f"kenar: verified: {type(parsed).__name__}\n")
    return EXIT_OK


def _read_header(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip("\r\n")
    except OSError as error:
        raise UsageError(f"cannot read --authorization-file {path}: {error.strerror or error}") from None


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True
    key: str
    parse: Callable[..., Any]
    lock: threading.Lock


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        from kenar_api_client.webhooks import WebhookError

        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        try:
            parsed = self.server.parse(body, self.headers.get("Authorization"), self.server.key)
        except WebhookError as error:
            with self.server.lock:
                sys.stderr.write(f"kenar: refused {self.path} ({error.http_status}): {error}\n")
                sys.stderr.flush()
            self._answer(error.http_status, b'{"error": "refused"}')
            return
        with self.server.lock:
            write_json(_as_json(parsed), "compact")
        self._answer(200, b"{}")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def listen(namespace: argparse.Namespace) -> int:
    key = _key(namespace)
    if not 0 <= namespace.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {namespace.port}")
    try:
        server = _Receiver((namespace.host, namespace.port), _Handler)
    except OSError as error:
        raise UsageError(f"cannot listen on {namespace.host}:{namespace.port}: {error.strerror or error}") from None
    server.key = key
    server.parse = _parser(namespace.kind)
    server.lock = threading.Lock()

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    host, port = server.server_address[:2]
    try:
        sys.stderr.write(f"kenar: receiving webhook deliveries on http://{host!s}:{port}/ (Ctrl-C to stop)\n")
        sys.stderr.flush()
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        sys.stderr.write("kenar: stopped\n")
    finally:
        server.server_close()
    return EXIT_OK
