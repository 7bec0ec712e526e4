"""``kenar oauth login|token|logout`` and the token file later commands read.

The file holds what a refresh needs: the client id and secret, the redirect
URI, the token endpoint and the token set.  It is created with mode 0600 in a
0700 directory, written to a new file and renamed over the old one, so it is
never readable by others and never half written.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Dict, Optional

from kenar_api_client.cli import EXIT_API_ERROR, EXIT_OK, EXIT_TRANSPORT, Failure, UsageError

FILE_VERSION = 1
_CALLBACK_PATH = "/callback"


def token_file() -> str:
    """``$KENAR_TOKEN_FILE``, or ``kenar/token.json`` in the user's config directory."""
    explicit = os.environ.get("KENAR_TOKEN_FILE")
    if explicit:
        return explicit
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        base = os.environ["APPDATA"]
    else:
        base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "kenar", "token.json")


def save(path: str, record: Dict[str, Any]) -> None:
    """Write ``record`` to ``path`` atomically, readable by the user only."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    data = json.dumps(record, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    for _ in range(100):
        temp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            continue
        break
    else:  # pragma: no cover - 100 name collisions in a row
        raise Failure(f"cannot create a temporary file in {directory}", EXIT_TRANSPORT)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def load(path: str) -> Optional[Dict[str, Any]]:
    """The stored record, or None when there is none; a damaged file is a usage error."""
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise UsageError(
            f"the token file {path} cannot be read ({error}); run `kenar oauth logout` and log in again"
        ) from None
    if not isinstance(record, dict) or not isinstance(record.get("token"), dict) or not record.get("client_id"):
        raise UsageError(f"the token file {path} is not one kenar wrote; run `kenar oauth logout` and log in again")
    return record


def _client(record: Dict[str, Any], configuration: Any = None) -> Any:
    from kenar_api_client.oauth import OAuthClient

    kwargs: Dict[str, Any] = {}
    if record.get("token_url"):
        kwargs["token_url"] = record["token_url"]
    if record.get("authorize_url"):
        kwargs["authorize_url"] = record["authorize_url"]
    return OAuthClient(
        record["client_id"],
        record.get("client_secret") or "",
        record["redirect_uri"],
        configuration=configuration,
        **kwargs,
    )


def _source(path: str, record: Dict[str, Any], configuration: Any = None) -> Any:
    from kenar_api_client.oauth import OAuthToken

    token = OAuthToken.from_dict(record["token"])

    def store(new: Any) -> None:
        save(path, dict(record, token=new.to_dict()))

    return _client(record, configuration).token_source(token, on_refresh=store)


def stored_token_source(configuration: Any) -> Any:
    """A token source from the token file (refreshes are written back), or None when logged out."""
    path = token_file()
    record = load(path)
    if record is None:
        return None
    return _source(path, record, configuration)


# ---------------------------------------------------------------------------- login


class _Callback:
    def __init__(self) -> None:
        self.query: Optional[str] = None
        self.done = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path, _, query = self.path.partition("?")
        if path != _CALLBACK_PATH:
            self.send_error(404)
            return
        callback = self.server.callback
        first = callback.query is None
        if first:
            callback.query = query
        body = (
            b"<!doctype html><meta charset=utf-8><title>kenar</title>"
            b"<p>kenar has the answer: close this tab and go back to the terminal.</p>\n"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
        if first:
            callback.done.set()

    def log_message(self, format: str, *args: Any) -> None:  # the query holds the code: never log it
        return


class _CallbackServer(HTTPServer):
    callback: _Callback


def login(namespace: argparse.Namespace) -> int:
    from kenar_api_client.cli._call import configure_debug, read_secret_file, translate
    from kenar_api_client.oauth import OAuthError, OAuthValueError, parse_callback

    configure_debug(namespace.debug)
    if namespace.client_secret_file:
        secret = read_secret_file(namespace.client_secret_file, "the OAuth client secret")
    else:
        secret = os.environ.get("KENAR_OAUTH_CLIENT_SECRET") or ""
        if not secret:
            raise UsageError("no client secret: set KENAR_OAUTH_CLIENT_SECRET or pass --client-secret-file FILE")
    if not 0 <= namespace.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {namespace.port}")
    if namespace.wait <= 0:
        raise UsageError("--wait must be a positive number of seconds")
    try:
        server = _CallbackServer(("127.0.0.1", namespace.port), _Handler)
    except OSError as error:
        raise UsageError(
            f"cannot listen on 127.0.0.1:{namespace.port} for the redirect: {error.strerror or error}"
        ) from None
    server.callback = _Callback()
    record: Dict[str, Any] = {
        "version": FILE_VERSION,
        "client_id": namespace.client_id,
        "client_secret": secret,
        "redirect_uri": f"http://127.0.0.1:{server.server_address[1]}{_CALLBACK_PATH}",
    }
    if namespace.authorize_url:
        record["authorize_url"] = namespace.authorize_url
    if namespace.token_url:
        record["token_url"] = namespace.token_url
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    try:
        try:
            client = _client(record)
            url, state = client.authorization_url(namespace.scope)
        except OAuthValueError as error:
            raise UsageError(str(error)) from None
        thread.start()
        sys.stderr.write("Open this address in a browser and grant access; kenar waits for the redirect.\n")
        sys.stderr.flush()
        sys.stdout.write(url + "\n")
        sys.stdout.flush()
        if not namespace.no_browser:
            import webbrowser

            try:
                webbrowser.open(url)
            except Exception:  # no browser here: the printed address is enough
                pass
        if not server.callback.done.wait(namespace.wait):
            raise Failure(f"no redirect arrived within {namespace.wait:g} seconds; nothing was stored", EXIT_API_ERROR)
        try:
            code = parse_callback(server.callback.query or "", state)
            token = client.exchange_code(code)
        except OAuthError as error:
            failure = translate(error)
            assert failure is not None
            raise failure from None
        except Exception as error:
            failure = translate(error)
            if failure is None:
                raise
            raise failure from None
    finally:
        if thread.is_alive():
            server.shutdown()
        server.server_close()
    record["token"] = token.to_dict()
    path = token_file()
    save(path, record)
    scopes = " ".join(token.scopes) or "(none)"
    refresh = "with a refresh token" if token.refresh_token else "no refresh token (ask for offline_access)"
    sys.stderr.write(f"Logged in. Granted: {scopes}; {refresh}. Token stored in {path}\n")
    return EXIT_OK


def token(namespace: argparse.Namespace) -> int:
    from kenar_api_client.cli._call import configure_debug, translate

    configure_debug(namespace.debug)
    path = token_file()
    record = load(path)
    if record is None:
        raise Failure(f"not logged in (no {path}): run `kenar oauth login`", EXIT_API_ERROR)
    source = _source(path, record)
    try:
        access = source.get_access_token()
    except Exception as error:
        failure = translate(error)
        if failure is None:
            raise
        raise failure from None
    if source.token.is_expired(leeway_seconds=0):
        why = f" ({source.last_refresh_error})" if source.last_refresh_error is not None else ""
        raise Failure(
            f"the stored token has expired and could not be refreshed{why}: run `kenar oauth login`", EXIT_API_ERROR
        )
    sys.stdout.write(access + "\n")
    return EXIT_OK


def logout(namespace: argparse.Namespace) -> int:
    path = token_file()
    try:
        os.unlink(path)
    except FileNotFoundError:
        sys.stderr.write(f"Not logged in: there is no {path}\n")
        return EXIT_OK
    except OSError as error:
        raise Failure(f"cannot delete {path}: {error.strerror or error}", EXIT_TRANSPORT) from None
    sys.stderr.write(f"Logged out: deleted {path}\n")
    return EXIT_OK
