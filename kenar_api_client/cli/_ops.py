"""The operation commands, built from the operation table (argparse only; no SDK import here)."""

from __future__ import annotations

import argparse
from typing import Any, Callable, List, Sequence

from kenar_api_client._op_types import BODY, PATH, QUERY, Operation, Param
from kenar_api_client.cli._naming import body_param, deprecation, op_command, option_name, title

#: the options every operation command takes (a query parameter never shadows them)
COMMON_OPTIONS = (
    "--json",
    "--raw",
    "--include",
    "--pretty",
    "--compact",
    "--all-pages",
    "--max-pages",
    "--api-key-file",
    "--host",
    "--timeout",
    "--debug",
    "--help",
)

_TYPE_WORDS = {"str": "text", "int": "integer", "float": "number", "bool": "true|false", "object": "JSON object"}
_AUTH_WORDS = {"APIKey": "API key (X-API-Key)", "OAuth": "a user's OAuth access token (Authorization: Bearer)"}


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _value_type(param: Param) -> Any:
    return {"int": int, "float": float, "bool": _bool}.get(param.type, str)


def query_option(param: Param) -> str:
    option = option_name(param.name)
    return option if option not in COMMON_OPTIONS else option_name("query_" + param.name)


def describe(op: Operation) -> str:
    """The text of ``kenar <api> <op> --help`` above the arguments."""
    lines: List[str] = [title(op) + ".", "", f"  {op.method} {op.path}", f"  SDK: {op.api}.{op.name}()"]
    note = deprecation(op)
    if note:
        lines[0:0] = [note.upper() if note == "deprecated" else note[:1].upper() + note[1:], ""]
    lines.append("")
    lines.append("credentials: " + " and ".join(_AUTH_WORDS.get(a, a) for a in op.auth))
    if op.permissions:
        lines.append("API-key permission: " + ", ".join(op.permissions))
    if op.oauth_scopes:
        lines.append("OAuth scope (one of): " + ", ".join(op.oauth_scopes))
    body = body_param(op)
    if body is not None:
        what = "a JSON object" if body.type == "object" else f"a {body.type} as JSON (checked before sending)"
        lines.append(f"body: {what}")
    if op.paging is not None:
        lines.append(
            f"paging: --all-pages follows {op.paging.next_token_field} and prints every item of {op.paging.items_field}"
        )
    return "\n".join(lines)


def add_operation_commands(api_parser: argparse.ArgumentParser, ops: Sequence[Operation]) -> None:
    from kenar_api_client.cli import _add_commands, _formatter

    commands = _add_commands(api_parser, "operations", "<operation>")
    for op in ops:
        note = deprecation(op)
        helptext = title(op) + (f" ({note})" if note else "")
        commands.add_parser(
            op_command(op),
            help=helptext.replace("%", "%%"),
            description=describe(op),
            formatter_class=_formatter,
            allow_abbrev=False,
            build=_operation_builder(op),
        )


def _operation_builder(op: Operation) -> Callable[[argparse.ArgumentParser], None]:
    def build(sub: argparse.ArgumentParser) -> None:
        _add_arguments(sub, op)
        sub.set_defaults(handler=_handler, operation=op.name)

    return build


def _add_arguments(sub: argparse.ArgumentParser, op: Operation) -> None:
    for param in op.params:
        kind = _TYPE_WORDS.get(param.type, param.type)
        if param.kind == PATH:
            sub.add_argument(
                "p_" + param.name, metavar=param.name.upper(), type=_value_type(param), help=f"{kind}, in the path"
            )
    for param in op.params:
        if param.kind == QUERY:
            kind = _TYPE_WORDS.get(param.type, param.type)
            sub.add_argument(
                query_option(param),
                dest="p_" + param.name,
                metavar=param.type.upper(),
                type=_value_type(param),
                required=param.required,
                default=None,
                help=f"{kind}, in the query{' (required)' if param.required else ''}",
            )
    body = body_param(op)
    calls = sub.add_argument_group("call options")
    if body is not None and body.kind == BODY:
        calls.add_argument(
            "--json",
            dest="json_body",
            metavar="JSON",
            required=body.required,
            help=f"the body ({body.type}): JSON text, @FILE, or - for stdin" + (" (required)" if body.required else ""),
        )
    calls.add_argument("--raw", action="store_true", help="print the answer's body exactly as received")
    calls.add_argument("-i", "--include", action="store_true", help="print the status line and headers first")
    calls.add_argument(
        "--pretty",
        dest="layout",
        action="store_const",
        const="pretty",
        help="indented JSON (the default on a terminal)",
    )
    calls.add_argument(
        "--compact", dest="layout", action="store_const", const="compact", help="one-line JSON (the default in a pipe)"
    )
    if op.paging is not None:
        calls.add_argument(
            "--all-pages",
            action="store_true",
            help=f"follow {op.paging.next_token_field} and print one answer with every {op.paging.items_field} item",
        )
        calls.add_argument(
            "--max-pages", type=int, default=1000, metavar="N", help="stop with an error after N pages (default 1000)"
        )
    calls.add_argument("--api-key-file", metavar="FILE", help="read the API key from FILE (instead of KENAR_API_KEY)")
    calls.add_argument("--host", metavar="URL", help="the server (instead of KENAR_HOST; default the Kenar API)")
    calls.add_argument("--timeout", type=float, metavar="SECONDS", help="connect and read timeout of each request")
    calls.add_argument("--debug", action="store_true", help="log each request and answer on stderr (secrets redacted)")


def _handler(namespace: argparse.Namespace) -> int:
    from kenar_api_client.cli._call import run_operation

    return run_operation(namespace)
