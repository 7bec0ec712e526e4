"""``kenar``: the Kenar API from a shell.

Every operation of the SDK is a command, generated at run time from the same
operation table the API classes are made from
(:data:`kenar_api_client._op_table.OPERATIONS`), so the command line never
drifts from the SDK::

    kenar finder get-post gZd7omnS
    kenar payment list-transactions --page-size 50 --all-pages
    kenar chat-api conversation-send-message CONV_ID --json @body.json

besides ``kenar oauth login|token|logout``, ``kenar mock`` (the mock server in
the foreground) and ``kenar webhooks verify|listen``.  See
``docs/guides/cli.md`` for the whole reference and the exit codes.

Start-up stays cheap: this module imports :mod:`argparse` and the operation
table only; pydantic, urllib3 and the models load when a command runs.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type, cast

from kenar_api_client._op_types import Operation
from kenar_api_client.cli._naming import api_command, operations_by_api

#: exit codes (see docs/guides/cli.md)
EXIT_OK = 0
EXIT_API_ERROR = 1  #: the API (or the OAuth server, or a webhook check) said no: a 4xx
EXIT_USAGE = 2  #: bad arguments, bad --json, missing credentials; nothing was sent
EXIT_TRANSPORT = 3  #: no usable answer: connection, timeout, 5xx, an answer that does not parse
EXIT_INTERRUPTED = 130  #: Ctrl-C

PROG = "kenar"

#: options that would put a secret on the command line (visible in ``ps``); refused
_SECRET_OPTIONS = {
    "--api-key": "set KENAR_API_KEY or pass --api-key-file FILE",
    "--access-token": "set KENAR_ACCESS_TOKEN or run `kenar oauth login`",
    "--token": "set KENAR_ACCESS_TOKEN or run `kenar oauth login`",
    "--client-secret": "set KENAR_OAUTH_CLIENT_SECRET or pass --client-secret-file FILE",
    "--key": "pass --key-file FILE or set KENAR_WEBHOOK_KEY",
    "--identification-key": "pass --key-file FILE or set KENAR_WEBHOOK_KEY",
    "--authorization": "pass --authorization-file FILE or set KENAR_WEBHOOK_AUTHORIZATION",
}

_DESCRIPTION = """\
Call the Kenar API of Divar from a shell: every operation of the SDK is a
command, `kenar <api> <operation> [arguments]`. Answers are printed as JSON on
stdout; errors as one line on stderr.

credentials (never on the command line):
  KENAR_API_KEY        the app's API key (or --api-key-file FILE)
  KENAR_ACCESS_TOKEN   a user's OAuth access token (or `kenar oauth login` once)
  KENAR_HOST           another server, e.g. the one `kenar mock` prints
"""

_EPILOG = """\
exit codes: 0 ok, 1 the API refused (4xx), 2 usage error (nothing sent),
3 no usable answer (connection, timeout, 5xx), 130 interrupted.

examples:
  kenar finder get-post gZd7omnS
  kenar payment list-transactions --page-size 50 --all-pages
  kenar events register-event-subscription --json '{"event_type": "POST_UPDATE"}'
  kenar finder --help          the operations of FinderApi
  kenar finder get-post --help the arguments of one operation
"""


class UsageError(Exception):
    """A mistake on the command line: reported on stderr, exit code 2, nothing sent."""


class Failure(Exception):
    """A command failed after it started: reported on stderr with ``code`` as the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse with the exit code and the message format of the rest of kenar."""

    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{PROG}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("kenar_api_client")
    except Exception:
        return "unknown"


class _VersionAction(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        sys.stdout.write(f"{PROG} {_version()}\n")
        raise SystemExit(EXIT_OK)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's help layout, without importing :mod:`textwrap` for a help line that fits as it is."""

    def _split_lines(self, text: str, width: int) -> List[str]:
        # what argparse does before handing the text to textwrap.wrap, which returns a text that
        # fits the width unchanged; textwrap (and its regular expressions) would cost start-up time
        flat = _WHITESPACE.sub(" ", text).strip()
        if 0 < len(flat) <= width:
            return [flat]
        return super()._split_lines(text, width)


_WHITESPACE = re.compile(r"\s+", re.ASCII)  # argparse.HelpFormatter's own (re caches it once for both)


def _formatter(prog: str) -> argparse.HelpFormatter:
    return _HelpFormatter(prog, max_help_position=36, width=100)


#: what fills in a command's parser once it is built: its arguments, defaults and subcommands
Builder = Callable[[argparse.ArgumentParser], None]


class _Unbuilt:
    """A command's parser, built only when argparse parses that command.

    argparse asks the parser of the command it meets for ``parse_known_args``, and lists every
    command in a help text from its name and help line alone.  So ``kenar --help`` builds no
    command parser, and ``kenar finder get-post ...`` builds two (``finder`` and its ``get-post``),
    not one per API and per operation: each argparse parser costs start-up time.  Anything else
    asked of it is answered by the parser, built then.
    """

    def __init__(self, build: Builder, kwargs: Dict[str, Any]) -> None:
        self._build = build
        self._kwargs = kwargs
        self._parser: Optional[argparse.ArgumentParser] = None

    def built(self) -> argparse.ArgumentParser:
        if self._parser is None:
            self._parser = _Parser(**self._kwargs)
            self._build(self._parser)
        return self._parser

    def parse_known_args(
        self, args: Optional[Sequence[str]] = None, namespace: Optional[argparse.Namespace] = None
    ) -> Tuple[argparse.Namespace, List[str]]:
        return self.built().parse_known_args(args, namespace)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_build", "_kwargs", "_parser"):
            raise AttributeError(name)
        return getattr(self.built(), name)


def _unbuilt(*, build: Builder, **kwargs: Any) -> Any:
    return _Unbuilt(build, kwargs)


def _add_commands(parser: argparse.ArgumentParser, title: str, metavar: str) -> Any:
    """``parser.add_subparsers(...)`` whose ``add_parser(name, build=BUILD, **kwargs)`` defers each
    command's parser (``_Parser(**kwargs)``, then ``BUILD(parser)`` to add its arguments) until a
    command line reaches that command."""
    # argparse makes a command's parser with ``parser_class(**kwargs)`` and uses it only for
    # ``parse_known_args`` (3.9 to 3.13 alike): a factory stands in for the class typeshed expects
    return parser.add_subparsers(title=title, metavar=metavar, parser_class=cast("Type[_Parser]", _unbuilt))


def _api_builder(ops: List[Operation]) -> Builder:
    def build(sub: argparse.ArgumentParser) -> None:
        from kenar_api_client.cli import _ops

        sub.set_defaults(parser=sub)
        _ops.add_operation_commands(sub, ops)

    return build


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The argument parser of ``kenar``.

    Each command's parser (an API, its operations, ``oauth``, ``mock``, ``webhooks``) is built when
    parsing reaches it, so a command line pays only for the commands it names, whatever ``argv``
    holds (it is accepted for compatibility, and needed no more).
    """
    parser = _Parser(
        prog=PROG, description=_DESCRIPTION, epilog=_EPILOG, formatter_class=_formatter, allow_abbrev=False
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = _add_commands(parser, "commands", "<command>")
    commands.required = True

    for api, ops in operations_by_api().items():
        name = api_command(api)
        commands.add_parser(
            name,
            help=f"{api}: {len(ops)} operation{'s' if len(ops) != 1 else ''}",
            description=f"The operations of {api}. `{PROG} {name} <operation> --help` shows one in full.",
            formatter_class=_formatter,
            allow_abbrev=False,
            build=_api_builder(ops),
        )

    from kenar_api_client.cli import _commands

    _commands.add_tool_commands(commands)
    return parser


def _refuse_secret_options(argv: Sequence[str]) -> None:
    for word in argv:
        if word == "--":
            return
        name = word.split("=", 1)[0]
        hint = _SECRET_OPTIONS.get(name)
        if hint is not None:
            raise UsageError(
                f"{name} is refused: a secret on the command line is visible to every user of this machine "
                f"(ps, shell history); {hint}"
            )


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``kenar`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    args_list: List[str] = list(sys.argv[1:] if argv is None else argv)
    try:
        _refuse_secret_options(args_list)
        parser = build_parser(args_list)
        if not args_list:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        namespace = parser.parse_args(args_list)
        handler: Optional[Callable[[argparse.Namespace], int]] = getattr(namespace, "handler", None)
        if handler is None:  # `kenar finder` alone
            sub: argparse.ArgumentParser = namespace.parser
            sub.print_help(sys.stderr)
            return EXIT_USAGE
        return handler(namespace)
    except UsageError as error:
        sys.stderr.write(f"{PROG}: error: {error}\n")
        return EXIT_USAGE
    except Failure as error:
        sys.stderr.write(f"{PROG}: {error}\n")
        return error.code
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly, without a traceback at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_USAGE)


__all__ = [
    "EXIT_API_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TRANSPORT",
    "EXIT_USAGE",
    "Failure",
    "UsageError",
    "build_parser",
    "main",
]
