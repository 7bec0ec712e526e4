"""The commands that are not API operations: ``oauth``, ``mock`` and ``webhooks``."""

from __future__ import annotations

import argparse
from typing import Any, Callable


def _lazy(module: str, function: str) -> Any:
    def handler(namespace: argparse.Namespace) -> int:
        import importlib

        result: int = getattr(importlib.import_module(f"kenar_api_client.cli.{module}"), function)(namespace)
        return result

    return handler


def add_tool_commands(commands: Any) -> None:
    """Add ``oauth``, ``mock`` and ``webhooks`` to ``commands`` (made with :func:`kenar_api_client.cli._add_commands`)."""
    from kenar_api_client.cli import _formatter

    def parser(name: str, helptext: str, description: str, add: Callable[[argparse.ArgumentParser], None]) -> None:
        def build(sub: argparse.ArgumentParser) -> None:
            sub.set_defaults(parser=sub)
            add(sub)

        commands.add_parser(
            name, help=helptext, description=description, formatter_class=_formatter, allow_abbrev=False, build=build
        )

    parser(
        "oauth",
        "log in as a Divar user (OAuth), print or delete the stored token",
        "Act for a Divar user: `login` runs the OAuth consent in a browser and stores the token set in\n"
        "a file only you can read; later commands use it and refresh it. `token` prints the access\n"
        "token, `logout` deletes the file. The file is $KENAR_TOKEN_FILE, or kenar/token.json in\n"
        "$XDG_CONFIG_HOME (~/.config when unset).",
        _add_oauth,
    )
    parser(
        "mock",
        "run the mock Kenar server in the foreground",
        "Run the mock Kenar server (kenar_api_client.testing.MockKenarServer) until Ctrl-C, printing\n"
        "its URL and each request it serves. Point any SDK at the URL; it accepts any API key and\n"
        "access token, and serves the OAuth endpoints too.",
        _add_mock,
    )
    parser(
        "webhooks",
        "check a webhook delivery, or receive them and print each event",
        "Debug a webhook receiver: `verify` checks one delivery read from stdin, `listen` receives\n"
        "deliveries on a local port. Both check the Authorization header against your app's\n"
        "identification key and print the parsed event as JSON.",
        _add_webhooks,
    )


def _add_oauth(oauth: argparse.ArgumentParser) -> None:
    from kenar_api_client.cli import _formatter, _Parser

    actions = oauth.add_subparsers(title="actions", metavar="<action>", parser_class=_Parser)
    login = actions.add_parser(
        "login",
        help="grant access in a browser and store the token",
        formatter_class=_formatter,
        allow_abbrev=False,
        description=(
            "Send the user to Divar's consent page, catch the redirect on a loopback port, exchange the\n"
            "code and store the token set (0600). The redirect URI is http://127.0.0.1:PORT/callback:\n"
            "register exactly that URI for your app in the Kenar panel and pass the same --port.\n"
            "The client secret comes from --client-secret-file or KENAR_OAUTH_CLIENT_SECRET."
        ),
    )
    login.add_argument("--client-id", required=True, metavar="SLUG", help="your app's slug (the OAuth client id)")
    login.add_argument(
        "--scope",
        action="append",
        required=True,
        metavar="SCOPE",
        help="a scope to ask for, e.g. USER_ID or POST_ADDON_CREATE.<token>; repeat for more",
    )
    login.add_argument(
        "--client-secret-file",
        metavar="FILE",
        help="read the OAuth client secret from FILE (instead of KENAR_OAUTH_CLIENT_SECRET)",
    )
    login.add_argument(
        "--port", type=int, default=8765, help="loopback port of the redirect URI (default 8765; 0 picks a free one)"
    )
    login.add_argument("--no-browser", action="store_true", help="only print the URL to open")
    login.add_argument(
        "--wait", type=float, default=300.0, metavar="SECONDS", help="how long to wait for the redirect (default 300)"
    )
    login.add_argument("--authorize-url", metavar="URL", help="another authorization endpoint (e.g. `kenar mock`'s)")
    login.add_argument("--token-url", metavar="URL", help="another token endpoint (e.g. `kenar mock`'s)")
    login.add_argument("--debug", action="store_true", help="log the token requests on stderr (secrets redacted)")
    login.set_defaults(handler=_lazy("_oauth", "login"))
    token = actions.add_parser(
        "token",
        help="print the current access token (refreshed when due)",
        formatter_class=_formatter,
        description="Print the stored access token, refreshing it first when it expires within a minute.",
    )
    token.add_argument("--debug", action="store_true", help="log the token requests on stderr (secrets redacted)")
    token.set_defaults(handler=_lazy("_oauth", "token"))
    logout = actions.add_parser(
        "logout",
        help="delete the stored token",
        formatter_class=_formatter,
        description="Delete the stored token file.",
    )
    logout.set_defaults(handler=_lazy("_oauth", "logout"))


def _add_mock(mock: argparse.ArgumentParser) -> None:
    mock.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    mock.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    mock.add_argument(
        "--seed",
        metavar="FILE",
        help='canned answers, JSON: {"finder_get_post": [{"status": 404}, {"json": {...}}], ...}',
    )
    mock.add_argument("--quiet", action="store_true", help="print the URL only, not each request")
    mock.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than a loopback address (the mock has no real security)",
    )
    mock.add_argument(
        "--redirect-uri",
        metavar="URI",
        action="append",
        default=None,
        help="an OAuth redirect URI the mock accepts (repeatable; default: "
        "`kenar oauth login`'s http://127.0.0.1:8765/callback)",
    )
    mock.set_defaults(handler=_lazy("_mock", "run"))


def _add_webhooks(webhooks: argparse.ArgumentParser) -> None:
    from kenar_api_client.cli import _formatter, _Parser

    actions = webhooks.add_subparsers(title="actions", metavar="<action>", parser_class=_Parser)
    kinds = ("event", "session-init", "dynamic-action")
    verify = actions.add_parser(
        "verify",
        help="check one delivery read from stdin and print it",
        formatter_class=_formatter,
        allow_abbrev=False,
        description=(
            "Read a delivery's body from stdin, check its Authorization header value (from\n"
            "--authorization-file or KENAR_WEBHOOK_AUTHORIZATION) against the identification key\n"
            "(--key-file or KENAR_WEBHOOK_KEY), and print the parsed event as JSON.\n"
            "Exit 0 when it checks out, 1 when it would be refused (the reason on stderr)."
        ),
    )
    verify.add_argument("--key-file", metavar="FILE", help="your app's identification key (or KENAR_WEBHOOK_KEY)")
    verify.add_argument(
        "--authorization-file",
        metavar="FILE",
        help="the delivery's Authorization header value (or KENAR_WEBHOOK_AUTHORIZATION)",
    )
    verify.add_argument("--kind", choices=kinds, default="event", help="what the body is (default: event)")
    verify.set_defaults(handler=_lazy("_webhooks", "verify"))
    listen = actions.add_parser(
        "listen",
        help="receive deliveries on a local port and print each event",
        formatter_class=_formatter,
        allow_abbrev=False,
        description=(
            "Receive webhook deliveries on http://HOST:PORT/ until Ctrl-C: answer 200 to a delivery\n"
            "that checks out and print its event as one JSON line on stdout; answer 401/400/413 to one\n"
            "that does not and say why on stderr."
        ),
    )
    listen.add_argument("--key-file", metavar="FILE", help="your app's identification key (or KENAR_WEBHOOK_KEY)")
    listen.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    listen.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    listen.add_argument("--kind", choices=kinds, default="event", help="what the deliveries are (default: event)")
    listen.set_defaults(handler=_lazy("_webhooks", "listen"))
