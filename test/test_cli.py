"""The `kenar` command line, end to end: each command runs as a subprocess against a MockKenarServer."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import pytest

from kenar_api_client import webhooks
from kenar_api_client._op_table import OPERATIONS
from kenar_api_client._op_types import PATH, QUERY, Operation, Param
from kenar_api_client.cli import build_parser
from kenar_api_client.cli._naming import api_command, deprecation, op_command, operations_by_api, title
from kenar_api_client.cli._ops import COMMON_OPTIONS, describe, query_option
from kenar_api_client.testing import MockKenarServer

API_KEY = "cli-test-key-Zq81xW"
ACCESS_TOKEN = "cli-test-token-Jd02pL"
WEBHOOK_KEY = "cli-webhook-key-Hy77tQ"
SECRETS = (API_KEY, ACCESS_TOKEN, WEBHOOK_KEY)
ROOT = Path(__file__).resolve().parent.parent


class Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code = code
        self.stdout = stdout
        self.stderr = stderr

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return f"Result(code={self.code}, stdout={self.stdout[:500]!r}, stderr={self.stderr[:500]!r})"


def base_env(tmp_path: Path, **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENAR_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


def kenar(
    args: Sequence[str], env: Dict[str, str], stdin: Optional[bytes] = None, allowed: Sequence[str] = ()
) -> Result:
    done = subprocess.run(
        [sys.executable, "-m", "kenar_api_client.cli", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=env,
        timeout=60,
        cwd=str(ROOT),
    )
    result = Result(done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))
    for secret in SECRETS:
        if secret in allowed:
            continue
        assert secret not in result.stdout, result
        assert secret not in result.stderr, result
    return result


def kenar_in(args: Sequence[str], env: Dict[str, str], stdin: Optional[bytes] = None) -> Result:
    """The same as :func:`kenar`, in this process (quicker): for the variants of a command already run as a subprocess."""
    import io
    import logging

    from kenar_api_client.cli import main

    saved_env = dict(os.environ)
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    loggers = [logging.getLogger(name) for name in ("kenar_api_client", "urllib3")]
    saved_loggers = [(lg.level, list(lg.handlers), lg.propagate) for lg in loggers]
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    try:
        os.environ.clear()
        os.environ.update(env)
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin or b""), encoding="utf-8")
        sys.stdout, sys.stderr = out, err
        code = main(list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        for lg, (level, handlers, propagate) in zip(loggers, saved_loggers):
            lg.setLevel(level)
            lg.handlers[:] = handlers
            lg.propagate = propagate
    out.flush()
    err.flush()
    result = Result(code, out.buffer.getvalue().decode("utf-8"), err.buffer.getvalue().decode("utf-8"))  # type: ignore[attr-defined]
    for secret in SECRETS:
        assert secret not in result.stdout, result
        assert secret not in result.stderr, result
    return result


@pytest.fixture
def server() -> Iterator[MockKenarServer]:
    with MockKenarServer(api_key=API_KEY, access_token=ACCESS_TOKEN) as mock:
        yield mock


@pytest.fixture
def env(server: MockKenarServer, tmp_path: Path) -> Dict[str, str]:
    return base_env(tmp_path, KENAR_HOST=server.url, KENAR_API_KEY=API_KEY, KENAR_ACCESS_TOKEN=ACCESS_TOKEN)


# ---------------------------------------------------------------------------- names and parsing


def test_command_names_follow_the_class_and_method_names() -> None:
    assert api_command("FinderApi") == "finder"
    assert api_command("ChatAPIApi") == "chat-api"
    assert api_command("PaymentTicketApi") == "payment-ticket"
    assert op_command(OPERATIONS["finder_get_post"]) == "get-post"
    assert op_command(OPERATIONS["chat_api_conversation_send_message"]) == "conversation-send-message"
    assert op_command(OPERATIONS["payment_ticket_validate"]) == "validate"
    assert op_command(OPERATIONS["payment_list_transactions"]) == "list-transactions"


def test_every_operation_has_a_command_and_none_collide() -> None:
    seen = set()
    for api, ops in operations_by_api().items():
        for op in ops:
            key = (api_command(api), op_command(op))
            assert key not in seen
            seen.add(key)
            for param in op.params:
                if param.kind == QUERY:
                    assert query_option(param) not in COMMON_OPTIONS
    assert len(seen) == len(OPERATIONS)


@pytest.mark.parametrize(
    "argv, operation",
    [
        (["finder", "get-post", "gZd7omnS"], "finder_get_post"),
        (["payment", "list-transactions", "--page-size", "50"], "payment_list_transactions"),
        (
            ["events", "register-event-subscription", "--json", '{"event_type": "POST_UPDATE"}'],
            "events_register_event_subscription",
        ),
        (
            ["chat-api", "conversation-send-message", "CONV_ID", "--json", "@body.json"],
            "chat_api_conversation_send_message",
        ),
    ],
)
def test_the_issue_examples_parse(argv: List[str], operation: str) -> None:
    namespace = build_parser(argv).parse_args(argv)
    assert namespace.operation == operation


def test_every_operation_command_parses_its_required_arguments() -> None:
    for name, op in OPERATIONS.items():
        argv = [api_command(op.api), op_command(op)]
        argv += [f"v-{p.name}" for p in op.params if p.kind == PATH]
        for p in op.params:
            if p.kind == QUERY and p.required:
                argv += [query_option(p), "1"]
        if op.body_param is not None and op.body_param.required:
            argv += ["--json", "{}"]
        namespace = build_parser(argv).parse_args(argv)
        assert namespace.operation == name
        for p in op.params:
            if p.kind == PATH:
                assert getattr(namespace, "p_" + p.name) == f"v-{p.name}"


def test_one_parser_parses_any_command_building_only_what_it_reaches() -> None:
    """Command parsers are built on demand, so a parser made without argv parses every command."""
    from kenar_api_client.cli import _Unbuilt

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a.choices, dict))
    assert all(isinstance(sub, _Unbuilt) and sub._parser is None for sub in commands.choices.values())
    namespace = parser.parse_args(["finder", "get-post", "gZd7omnS"])
    assert namespace.operation == "finder_get_post" and namespace.p_token == "gZd7omnS"
    built = [name for name, sub in commands.choices.items() if sub._parser is not None]
    assert built == ["finder"]
    finder = commands.choices["finder"].built()
    operations = next(a for a in finder._actions if isinstance(a.choices, dict))
    assert [name for name, sub in operations.choices.items() if sub._parser is not None] == ["get-post"]
    # the same parser object parses another command later
    again = parser.parse_args(["payment", "list-transactions", "--page-size", "5"])
    assert again.operation == "payment_list_transactions" and again.p_page_size == 5
    assert namespace.parser is finder  # `kenar finder` alone prints the built parser's help


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "a short help line",
        "  spaces\tand\nnewlines   inside  ",
        "x" * 61,
        "x" * 62,
        "x" * 63,
        "word " * 30,
        "a-very-long-hyphenated-word-that-argparse-may-break-somewhere " * 2,
        "tab\there and\u00a0no-break space",
    ],
)
def test_help_lines_split_as_argparse_splits_them(text: str) -> None:
    """The formatter returns a line that fits as it is; the result equals argparse's textwrap result."""
    import argparse

    from kenar_api_client.cli import _formatter

    ours = _formatter("kenar")
    theirs = argparse.RawDescriptionHelpFormatter("kenar", max_help_position=36, width=100)
    for width in (11, 40, 62, 100):
        assert ours._split_lines(text, width) == theirs._split_lines(text, width), (text, width)


def _synthetic(**extra: Any) -> Operation:
    base = OPERATIONS["finder_get_post"]
    op = Operation(
        name="finder_get_post_old",
        api="FinderApi",
        operation_id="Finder_GetPostOld",
        method="GET",
        path="/v0/post/{token}",
        params=(Param("token", PATH, "str", True),),
        returns="object",
        returns_module=None,
        auth=base.auth,
    )
    for key, value in extra.items():
        object.__setattr__(op, key, value)
    return op


def test_deprecated_operations_say_so_and_name_the_replacement() -> None:
    plain = _synthetic()
    assert deprecation(plain) is None
    old = _synthetic(deprecated=True, replacement="finder_get_post", summary="Read a post (old path)")
    assert deprecation(old) == "deprecated: use `kenar finder get-post` instead"
    assert title(old) == "Read a post (old path)"
    assert "Deprecated: use `kenar finder get-post` instead" in describe(old)
    assert deprecation(_synthetic(deprecated=True)) == "deprecated"

    import argparse

    from kenar_api_client.cli._ops import add_operation_commands

    parser = argparse.ArgumentParser(
        prog="kenar finder", formatter_class=lambda prog: argparse.HelpFormatter(prog, width=300)
    )
    current = _synthetic(name="finder_get_post_new", operation_id="Finder_GetPostNew")
    add_operation_commands(parser, [old, current])
    text = " ".join(parser.format_help().split())
    assert "get-post-old" in text and "Read a post (old path) (deprecated: use `kenar finder get-post` instead)" in text
    assert text.endswith("get-post-new Get post new")  # no summary: made from the operationId
    assert "deprecated" not in text.split("get-post-new")[1]


def test_help_lists_the_apis_and_the_tools(tmp_path: Path) -> None:
    result = kenar(["--help"], base_env(tmp_path))
    assert result.code == 0 and result.stderr == ""
    for api in operations_by_api():
        assert api_command(api) in result.stdout
    for word in ("oauth", "mock", "webhooks", "KENAR_API_KEY", "exit codes"):
        assert word in result.stdout
    version = kenar_in(["--version"], base_env(tmp_path))
    assert version.code == 0 and version.stdout.startswith("kenar ")


def test_api_help_lists_operations_with_notes(tmp_path: Path) -> None:
    result = kenar_in(["finder", "--help"], base_env(tmp_path))
    assert result.code == 0
    for op in operations_by_api()["FinderApi"]:
        assert op_command(op) in result.stdout
        assert title(op) in result.stdout
    bare = kenar_in(["finder"], base_env(tmp_path))
    assert bare.code == 2 and "get-post" in bare.stderr


def test_operation_help_shows_parameters_permissions_and_scopes(tmp_path: Path) -> None:
    result = kenar_in(["finder", "get-post", "--help"], base_env(tmp_path))
    assert result.code == 0
    assert "GET /v1/open-platform/finder/post/{token}" in result.stdout
    assert "API-key permission: GET_POST" in result.stdout
    assert "TOKEN" in result.stdout and "in the path" in result.stdout
    oauth_op = kenar_in(["addons", "create-post-addon-v2", "--help"], base_env(tmp_path))
    assert "OAuth scope (one of): POST_ADDON_CREATE.post_token, USER_POSTS_ADDON_CREATE" in oauth_op.stdout
    assert "--json JSON" in oauth_op.stdout and "(required)" in oauth_op.stdout
    paged = kenar_in(["payment", "list-transactions", "--help"], base_env(tmp_path))
    assert "--page-size INT" in paged.stdout and "--all-pages" in paged.stdout


@pytest.mark.parametrize("argv", [["--help"], ["finder", "get-post", "--help"]])
def test_help_does_not_load_pydantic_or_urllib3(argv: List[str]) -> None:
    """Nor dataclasses and inspect: together they would take more start-up time than the rest of --help."""
    code = (
        "import sys\n"
        "from kenar_api_client.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main({argv!r})\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'pydantic_core', 'urllib3', 'dataclasses', 'inspect')"
        " or m.startswith('kenar_api_client.models') or m.startswith('kenar_api_client.api.'))\n"
        "print(rc, heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=str(ROOT))
    assert done.stdout.strip() == "0 []", done


# ---------------------------------------------------------------------------- operations


def test_get_post_prints_the_answer_as_compact_json(server: MockKenarServer, env: Dict[str, str]) -> None:
    post = {"token": "gZd7omnS", "category": "apartment-sell", "title_fa": "آپارتمان ۸۰ متری", "extra": [1, 2]}
    server.respond("finder_get_post", json=post)
    result = kenar(["finder", "get-post", "gZd7omnS"], env)
    assert result.code == 0, result
    assert result.stderr == ""
    assert result.stdout == json.dumps(post, ensure_ascii=False, separators=(",", ":")) + "\n"
    request = server.last_request
    assert request.operation == "finder_get_post" and request.path_params == {"token": "gZd7omnS"}
    assert request.headers["X-API-Key"] == API_KEY


def test_pretty_include_and_raw(server: MockKenarServer, env: Dict[str, str]) -> None:
    server.respond("finder_get_post", json={"token": "a"}, headers={"X-Request-Id": "r-42"})
    pretty = kenar_in(["finder", "get-post", "a", "--pretty", "--include"], env)
    assert pretty.code == 0, pretty
    head, _, body = pretty.stdout.partition("\n\n")
    assert head.splitlines()[0] == "HTTP 200 OK"
    assert "X-Request-Id: r-42" in head.splitlines()
    assert body == '{\n  "token": "a"\n}\n'

    raw_body = b'{ "token" :"a",   "unknown_field": 1 }'
    server.respond("finder_get_post", body=raw_body)
    raw = kenar_in(["finder", "get-post", "a", "--raw"], env)
    assert raw.code == 0 and raw.stdout.encode() == raw_body

    server.respond("finder_get_post", fault="malformed")
    broken = kenar_in(["finder", "get-post", "a"], env)
    assert broken.code == 3 and broken.stdout == ""
    assert broken.stderr.startswith("kenar: unusable answer:") and broken.stderr.count("\n") == 1
    server.respond("finder_get_post", fault="malformed")
    broken_raw = kenar_in(["finder", "get-post", "a", "--raw"], env)
    assert broken_raw.code == 0 and broken_raw.stdout == '{"posts": [{"token": "abc", '


def test_api_errors_are_one_line_with_exit_code_1(server: MockKenarServer, env: Dict[str, str]) -> None:
    server.respond("finder_get_post", status=404, json={"code": 5, "message": "post  not\nfound", "details": []})
    result = kenar_in(["finder", "get-post", "missing"], env)
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr == "kenar: HTTP 404 Not Found, gRPC NOT_FOUND (5): post not found\n"

    server.respond("finder_get_post", status=403, json={"code": 7, "message": "no"})
    included = kenar_in(["finder", "get-post", "x", "-i"], env)
    assert included.code == 1 and included.stdout.startswith("HTTP 403 Forbidden\n")

    server.respond("finder_get_post", status=404, body="not json")
    raw = kenar_in(["finder", "get-post", "x", "--raw"], env)
    assert raw.code == 1 and raw.stdout == "not json"
    assert raw.stderr == "kenar: HTTP 404 Not Found: not json\n"


def test_server_errors_exit_3(server: MockKenarServer, env: Dict[str, str]) -> None:
    # a POST without an idempotency key is never retried: one 500, one answer
    server.respond("events_register_event_subscription", status=500, json={"code": 13, "message": "boom"})
    result = kenar_in(["events", "register-event-subscription", "--json", '{"event_type": "POST_UPDATE"}'], env)
    assert result.code == 3
    assert result.stderr == "kenar: HTTP 500 Internal Server Error, gRPC INTERNAL (13): boom\n"
    assert len(server.requests_for("events_register_event_subscription")) == 1


def test_transport_errors_exit_3(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # nothing listens on the port any more: connection refused
    env = base_env(
        tmp_path, KENAR_HOST=f"http://127.0.0.1:{port}", KENAR_API_KEY=API_KEY, KENAR_ACCESS_TOKEN=ACCESS_TOKEN
    )
    result = kenar_in(["events", "register-event-subscription", "--json", '{"event_type": "POST_UPDATE"}'], env)
    assert result.code == 3, result
    assert result.stderr.startswith("kenar: no answer:") and result.stderr.count("\n") == 1


def test_the_body_comes_from_text_a_file_or_stdin(server: MockKenarServer, env: Dict[str, str], tmp_path: Path) -> None:
    body = {"event_type": "NEW_MESSAGE_ON_POST", "event_resource_id": "gZd7omnS", "metadata": {"k": "v"}}
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    for value, stdin in ((json.dumps(body), None), (f"@{path}", None), ("-", json.dumps(body).encode())):
        server.reset()
        result = kenar_in(["events", "register-event-subscription", "--json", value], env, stdin=stdin)
        assert result.code == 0, result
        assert server.last_request.json == body


@pytest.mark.parametrize(
    "value, message",
    [
        ("{not json", "--json is not valid JSON: Expecting property name"),
        ("[1, 2]", "--json must be a JSON object (the EventsRegisterEventSubscriptionRequest body), not an array"),
        (
            '{"event_type": "POST_UPDATE", "metadata": "text"}',
            "--json does not fit EventsRegisterEventSubscriptionRequest: metadata: ",
        ),
        ("@/nonexistent/body.json", "cannot read --json @/nonexistent/body.json"),
    ],
)
def test_a_bad_body_is_refused_before_sending(
    server: MockKenarServer, env: Dict[str, str], value: str, message: str
) -> None:
    result = kenar_in(["events", "register-event-subscription", "--json", value], env)
    assert result.code == 2
    assert result.stderr.startswith("kenar: error: " + message), result
    assert server.requests == []


def test_usage_errors_send_nothing(server: MockKenarServer, env: Dict[str, str]) -> None:
    for argv in (
        ["finder", "get-post"],  # a missing path parameter
        ["payment", "list-transactions", "--page-size", "many"],
        ["events", "register-event-subscription"],  # the required body
        ["finder", "no-such-operation"],
        ["nothing"],
        ["finder", "get-post", ""],  # an empty path parameter
        ["finder", "get-post", "x", "--timeout", "0"],
    ):
        result = kenar_in(argv, env)
        assert result.code == 2, (argv, result)
        assert result.stdout == ""
        assert "kenar: error:" in result.stderr
    assert server.requests == []


def test_query_options_and_path_encoding(server: MockKenarServer, env: Dict[str, str]) -> None:
    result = kenar_in(["payment", "list-transactions", "--page-size", "50"], env)
    assert result.code == 0, result
    assert server.last_request.query == {"page_size": "50"}
    result = kenar_in(["finder", "get-post", "../../users"], env)
    assert result.code == 0
    assert server.last_request.path == "/v1/open-platform/finder/post/..%2F..%2Fusers"
    kenar_in(["semantic", "delete-user-semantic2", "uid-1", "--phone", "09120000000"], env)
    assert server.last_request.query == {"phone": "09120000000"}


def test_all_pages_follows_the_token(server: MockKenarServer, env: Dict[str, str]) -> None:
    pages = [
        {"transactions": [{"id": "t1"}, {"id": "t2"}], "next_page_token": "p2"},
        {"transactions": [{"id": "t3"}], "next_page_token": "p3"},
        {"transactions": [{"id": "t4"}], "next_page_token": ""},
    ]
    for page in pages:
        server.respond("payment_list_transactions", json=page)
    result = kenar_in(["payment", "list-transactions", "--page-size", "2", "--all-pages"], env)
    assert result.code == 0, result
    assert result.json() == {"transactions": [{"id": "t1"}, {"id": "t2"}, {"id": "t3"}, {"id": "t4"}]}
    sent = [r.query for r in server.requests_for("payment_list_transactions")]
    assert sent == [{"page_size": "2"}, {"page_size": "2", "page_token": "p2"}, {"page_size": "2", "page_token": "p3"}]

    server.reset()
    server.respond("payment_list_transactions", json={"transactions": [], "next_page_token": "same"}, times=3)
    loop = kenar_in(["payment", "list-transactions", "--all-pages"], env)
    assert loop.code == 3 and "twice" in loop.stderr
    assert len(server.requests_for("payment_list_transactions")) == 2

    server.reset()
    server.respond("payment_list_transactions", json={"transactions": [{"id": "x"}], "next_page_token": "n1"})
    server.respond("payment_list_transactions", json={"transactions": [{"id": "y"}], "next_page_token": "n2"})
    capped = kenar_in(["payment", "list-transactions", "--all-pages", "--max-pages", "2"], env)
    assert capped.code == 3 and "--max-pages 2" in capped.stderr

    mixed = kenar_in(["payment", "list-transactions", "--all-pages", "--raw"], env)
    assert mixed.code == 2
    not_paged = kenar_in(["finder", "get-post", "x", "--all-pages"], env)
    assert not_paged.code == 2 and "--all-pages" in not_paged.stderr


# ---------------------------------------------------------------------------- credentials


def test_no_api_key_is_a_usage_error(server: MockKenarServer, tmp_path: Path) -> None:
    result = kenar_in(["finder", "get-post", "x"], base_env(tmp_path, KENAR_HOST=server.url))
    assert result.code == 2
    assert result.stderr == "kenar: error: no API key: set KENAR_API_KEY or pass --api-key-file FILE\n"
    assert server.requests == []


def test_api_key_file(server: MockKenarServer, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(API_KEY + "\n", encoding="utf-8")
    env = base_env(tmp_path, KENAR_HOST=server.url)
    result = kenar_in(["finder", "get-post", "x", "--api-key-file", str(key_file)], env)
    assert result.code == 0, result
    assert server.last_request.headers["X-API-Key"] == API_KEY
    missing = kenar_in(["finder", "get-post", "x", "--api-key-file", str(tmp_path / "nope")], env)
    assert missing.code == 2 and "cannot read the API key" in missing.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["finder", "get-post", "x", "--api-key", API_KEY],
        ["finder", "get-post", "x", f"--api-key={API_KEY}"],
        ["--api-key", API_KEY, "finder", "get-post", "x"],
        ["finder", "get-user2", "--access-token", ACCESS_TOKEN],
    ],
)
def test_a_secret_on_the_command_line_is_refused_without_echo(
    server: MockKenarServer, env: Dict[str, str], argv: List[str]
) -> None:
    result = kenar_in(argv, env)  # kenar() checks that neither output holds the secret
    assert result.code == 2
    assert "is refused: a secret on the command line is visible" in result.stderr
    assert server.requests == []


def test_access_token_from_the_environment(server: MockKenarServer, env: Dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k != "KENAR_ACCESS_TOKEN"}
    no_token = kenar_in(["finder", "get-user2"], env)
    assert no_token.code == 2 and "kenar oauth login" in no_token.stderr
    assert server.requests == []
    result = kenar_in(["finder", "get-user2"], dict(env, KENAR_ACCESS_TOKEN=ACCESS_TOKEN))
    assert result.code == 0, result
    assert server.last_request.headers["Authorization"] == "Bearer " + ACCESS_TOKEN


def test_debug_logs_are_redacted(server: MockKenarServer, env: Dict[str, str]) -> None:
    result = kenar(["finder", "get-user2", "--debug"], dict(env, KENAR_ACCESS_TOKEN=ACCESS_TOKEN))
    assert result.code == 0, result
    assert "kenar: debug: kenar_api_client: request GET" in result.stderr
    assert "'X-API-Key': '***'" in result.stderr and "'Authorization': '***'" in result.stderr
    # kenar() has already checked that neither secret appears anywhere


def test_ctrl_c_exits_130(server: MockKenarServer, env: Dict[str, str]) -> None:
    server.respond("finder_get_post", fault="hang")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kenar_api_client.cli", "finder", "get-post", "x"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=str(ROOT),
    )
    try:
        deadline = time.monotonic() + 20
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.requests, "the call never arrived"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert err.decode() == "kenar: interrupted\n" and out == b""


# ---------------------------------------------------------------------------- oauth


def _follow_consent(url: str) -> str:
    """Open the authorize URL like a browser would; returns the Location it redirects to."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(url, timeout=10)
    assert caught.value.code == 302
    location: str = caught.value.headers["Location"]
    return location


def _login(server: MockKenarServer, env: Dict[str, str], scopes: Sequence[str]) -> Result:
    argv = [
        sys.executable,
        "-m",
        "kenar_api_client.cli",
        "oauth",
        "login",
        "--client-id",
        server.oauth.client_id,
        "--no-browser",
        "--port",
        "0",
        "--wait",
        "30",
        "--authorize-url",
        server.oauth_authorize_url,
        "--token-url",
        server.oauth_token_url,
    ]
    for scope in scopes:
        argv += ["--scope", scope]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT))
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().decode().strip()
        assert url.startswith(server.oauth_authorize_url + "?"), url
        # as an app registers its redirect URI with Divar: here the port the CLI picked
        server.oauth.register_redirect_uri(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["redirect_uri"][0])
        location = _follow_consent(url)
        assert location.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(location, timeout=10) as answer:  # the browser lands on kenar's port
            assert answer.status == 200 and b"kenar has the answer" in answer.read()
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return Result(proc.returncode, url + "\n" + out.decode(), err.decode())


def test_oauth_login_token_refresh_and_logout(tmp_path: Path) -> None:
    with MockKenarServer(api_key=API_KEY, require_issued_tokens=True) as server:
        token_file = tmp_path / "private" / "token.json"
        env = base_env(
            tmp_path,
            KENAR_HOST=server.url,
            KENAR_API_KEY=API_KEY,
            KENAR_TOKEN_FILE=str(token_file),
            KENAR_OAUTH_CLIENT_SECRET=server.oauth.client_secret,
        )
        login = _login(server, env, ["USER_ID", "offline_access"])
        assert login.code == 0, login
        assert "Logged in. Granted: USER_ID offline_access; with a refresh token." in login.stderr
        assert str(token_file) in login.stderr
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        stored = json.loads(token_file.read_text())
        first = stored["token"]["access_token"]
        assert server.oauth.is_valid(first)
        assert first not in login.stdout + login.stderr
        assert stored["token"]["refresh_token"] not in login.stdout + login.stderr

        printed = kenar(["oauth", "token"], env)
        assert printed.code == 0 and printed.stdout == first + "\n" and printed.stderr == ""

        call = kenar_in(["finder", "get-user2"], env)
        assert call.code == 0, call
        assert first not in call.stdout + call.stderr
        assert server.last_request.headers["Authorization"] == "Bearer " + first

        # the server stops accepting the token: the next call refreshes once, resends, and stores the new pair
        server.oauth.expire(first)
        again = kenar(["finder", "get-user2"], env)
        assert again.code == 0, again
        second = json.loads(token_file.read_text())["token"]["access_token"]
        assert second != first and server.oauth.is_valid(second)
        assert server.last_request.headers["Authorization"] == "Bearer " + second
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert [f for f in token_file.parent.iterdir()] == [token_file]  # no temporary file left behind

        logout = kenar(["oauth", "logout"], env)
        assert logout.code == 0 and not token_file.exists()
        assert logout.stderr == f"Logged out: deleted {token_file}\n"
        gone = kenar_in(["oauth", "token"], env)
        assert gone.code == 1 and "not logged in" in gone.stderr
        needs = kenar_in(["finder", "get-user2"], env)
        assert needs.code == 2 and "kenar oauth login" in needs.stderr


def test_oauth_login_default_file_and_refusals(tmp_path: Path) -> None:
    with MockKenarServer(api_key=API_KEY) as server:
        env = base_env(tmp_path, KENAR_OAUTH_CLIENT_SECRET=server.oauth.client_secret)
        login = _login(server, env, ["USER_ID"])
        assert login.code == 0, login
        default = tmp_path / "config" / "kenar" / "token.json"
        assert stat.S_IMODE(default.stat().st_mode) == 0o600
        assert stat.S_IMODE(default.parent.stat().st_mode) == 0o700
        assert "no refresh token" in login.stderr

        server.oauth.consent = "deny"
        denied = _login(server, env, ["USER_PHONE"])
        assert denied.code == 1 and "kenar: OAuth: the user refused access" in denied.stderr, denied
        assert json.loads(default.read_text())["token"]["scope"] == "USER_ID"  # the old login is kept

    no_secret = kenar_in(
        ["oauth", "login", "--client-id", "app", "--scope", "USER_ID", "--no-browser"], base_env(tmp_path)
    )
    assert no_secret.code == 2 and "KENAR_OAUTH_CLIENT_SECRET" in no_secret.stderr
    bad_scope = kenar_in(
        ["oauth", "login", "--client-id", "app", "--scope", "A B", "--no-browser", "--port", "0"],
        base_env(tmp_path, KENAR_OAUTH_CLIENT_SECRET="s"),
    )
    assert bad_scope.code == 2 and "space" in bad_scope.stderr
    refused = kenar_in(
        ["oauth", "login", "--client-id", "app", "--scope", "USER_ID", "--client-secret", "s3cr3t"], base_env(tmp_path)
    )
    assert refused.code == 2 and "s3cr3t" not in refused.stderr


# ---------------------------------------------------------------------------- mock


def _start(argv: List[str], env: Dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kenar_api_client.cli", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=str(ROOT),
    )
    return proc


def _read_until(pipe: Any, marker: str) -> List[str]:
    lines = []
    while True:
        line = pipe.readline().decode()
        if not line:
            raise AssertionError(f"the process ended before {marker!r}: {lines}")
        lines.append(line)
        if marker in line:
            return lines


def test_mock_command_serves_seeded_answers_and_prints_requests(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "finder_get_post": [
                    {"status": 404, "json": {"code": 5, "message": "no such post"}},
                    {"json": {"token": "gZd7omnS", "category": "apartment-sell"}},
                ],
                "payment_get_balance": {"status": 503, "times": 1},
            }
        ),
        encoding="utf-8",
    )
    env = base_env(tmp_path)
    proc = _start(["mock", "--port", "0", "--seed", str(seed)], env)
    try:
        assert proc.stdout is not None
        banner = _read_until(proc.stdout, "Press Ctrl-C")
        url = banner[0].split(" on ")[1].strip()
        assert url.startswith("http://127.0.0.1:")
        assert "3 canned answers queued" in "".join(banner)
        call_env = base_env(tmp_path, KENAR_HOST=url, KENAR_API_KEY=API_KEY)
        missing = kenar_in(["finder", "get-post", "gZd7omnS"], call_env)
        assert missing.code == 1 and "no such post" in missing.stderr
        found = kenar_in(["finder", "get-post", "gZd7omnS"], call_env)
        assert found.code == 0 and found.json() == {"token": "gZd7omnS", "category": "apartment-sell"}
        line = proc.stdout.readline().decode()
        assert line == "GET /v1/open-platform/finder/post/gZd7omnS -> finder_get_post\n"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out.decode().endswith("Stopped.\n")
    assert API_KEY not in out.decode() + err.decode()


@pytest.mark.parametrize(
    "seed, message",
    [
        ({"no_such_op": []}, "unknown operation 'no_such_op'"),
        ({"finder_get_post": [{"status": 99}]}, "finder_get_post[0].status must be an HTTP status"),
        ({"finder_get_post": {"jsn": {}}}, "finder_get_post[0] has unknown field(s) jsn"),
        ({"finder_get_post": {"fault": "explode"}}, "finder_get_post[0].fault must be one of"),
        ([1, 2], "must hold a JSON object"),
    ],
)
def test_mock_refuses_a_bad_seed(tmp_path: Path, seed: Any, message: str) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    result = kenar_in(["mock", "--port", "0", "--seed", str(path)], base_env(tmp_path))
    assert result.code == 2 and message in result.stderr, result
    assert result.stdout == ""


def test_mock_stops_on_sigterm(tmp_path: Path) -> None:
    proc = _start(["mock", "--quiet"], base_env(tmp_path))
    try:
        assert proc.stdout is not None
        _read_until(proc.stdout, "Press Ctrl-C")
        proc.terminate()
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0


# ---------------------------------------------------------------------------- webhooks

EVENT = {
    "type": "NEW_MESSAGE",
    "metadata": {"app": "demo"},
    "new_message": {
        "id": "m-1",
        "type": "TEXT",
        "text": "سلام",
        "sent_at": "1717236000123456",
        "conversation": {"id": "c-1", "type": "POST", "post_token": "gZd7omnS"},
        "sender": {"side": "BUYER", "type": "HUMAN"},
    },
}


def test_webhooks_verify(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(WEBHOOK_KEY + "\n", encoding="utf-8")
    headers, body = webhooks.build_delivery(EVENT, WEBHOOK_KEY)
    header_file = tmp_path / "authorization"
    header_file.write_text(headers["Authorization"], encoding="utf-8")
    env = base_env(tmp_path)
    ok = kenar(
        ["webhooks", "verify", "--key-file", str(key_file), "--authorization-file", str(header_file)], env, stdin=body
    )
    assert ok.code == 0, ok
    assert ok.json() == EVENT
    assert ok.stderr == "kenar: verified: NewMessageEvent\n"

    from_env = kenar_in(
        ["webhooks", "verify"],
        dict(env, KENAR_WEBHOOK_KEY=WEBHOOK_KEY, KENAR_WEBHOOK_AUTHORIZATION=WEBHOOK_KEY),
        stdin=body,
    )
    assert from_env.code == 0 and from_env.json() == EVENT

    wrong = kenar_in(
        ["webhooks", "verify", "--key-file", str(key_file)],
        dict(env, KENAR_WEBHOOK_AUTHORIZATION="someone-else"),
        stdin=body,
    )
    assert wrong.code == 1 and wrong.stdout == ""
    assert wrong.stderr == "kenar: refused (401): the Authorization header does not match the identification key\n"

    garbage = kenar_in(
        ["webhooks", "verify", "--key-file", str(key_file)],
        dict(env, KENAR_WEBHOOK_AUTHORIZATION=WEBHOOK_KEY),
        stdin=b"[1, 2",
    )
    assert garbage.code == 1 and garbage.stderr.startswith("kenar: refused (400):")

    no_header = kenar_in(["webhooks", "verify", "--key-file", str(key_file)], env, stdin=body)
    assert no_header.code == 2 and "--authorization-file" in no_header.stderr
    no_key = kenar_in(["webhooks", "verify"], env, stdin=body)
    assert no_key.code == 2 and "--key-file" in no_key.stderr
    on_argv = kenar_in(["webhooks", "verify", "--key", WEBHOOK_KEY], env, stdin=body)
    assert on_argv.code == 2


def test_webhooks_listen(tmp_path: Path) -> None:
    env = base_env(tmp_path, KENAR_WEBHOOK_KEY=WEBHOOK_KEY)
    proc = _start(["webhooks", "listen", "--port", "0"], env)
    try:
        assert proc.stderr is not None and proc.stdout is not None
        banner = _read_until(proc.stderr, "receiving")[-1]
        url = banner.split(" on ")[1].split(" ")[0]
        with MockKenarServer() as server:
            assert server.deliver_event(url + "kenar/events", EVENT, WEBHOOK_KEY) == (200, b"{}")
            assert json.loads(proc.stdout.readline().decode()) == EVENT
            status, _ = server.deliver_event(url, EVENT, "not-the-key")
            assert status == 401
            refused = proc.stderr.readline().decode()
            assert refused.startswith("kenar: refused / (401):")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert out == b"" and err.decode() == "kenar: stopped\n"


# ---------------------------------------------------------------------------- installation


def test_the_console_script_is_installed(tmp_path: Path) -> None:
    from importlib import metadata

    try:
        dist = metadata.distribution("kenar_api_client")
    except metadata.PackageNotFoundError:
        pytest.skip("kenar_api_client is not installed in this environment (only importable from the tree)")
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert scripts.get("kenar") == "kenar_api_client.cli:main"
    import shutil

    beside = Path(sys.executable).parent / ("kenar.exe" if os.name == "nt" else "kenar")
    found = str(beside) if beside.exists() else shutil.which("kenar")
    assert found, "the package is installed but its `kenar` script is missing: reinstall it (pip install -e .)"
    script = Path(found)
    done = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, env=base_env(tmp_path)
    )
    assert done.returncode == 0 and done.stdout == f"kenar {dist.version}\n"


# ---------------------------------------------------------------------------- more bad input


@pytest.mark.parametrize(
    "argv, message",
    [
        (["mock", "--port", "70000"], "--port must be between 0 and 65535"),
        (["webhooks", "listen", "--port", "-1"], "--port must be between 0 and 65535"),
        (
            ["oauth", "login", "--client-id", "app", "--scope", "USER_ID", "--port", "65536"],
            "--port must be between 0 and 65535",
        ),
        (
            ["oauth", "login", "--client-id", "app", "--scope", "USER_ID", "--wait", "0"],
            "--wait must be a positive number",
        ),
        (["payment", "list-transactions", "--all-pages", "--max-pages", "0"], "--max-pages must be at least 1"),
        (["webhooks", "verify", "--kind", "ping"], "invalid choice: 'ping'"),
        (["oauth"], "usage: kenar oauth"),
    ],
)
def test_bad_options_are_usage_errors(
    server: MockKenarServer, env: Dict[str, str], argv: List[str], message: str
) -> None:
    result = kenar_in(argv, dict(env, KENAR_OAUTH_CLIENT_SECRET="s", KENAR_WEBHOOK_KEY=WEBHOOK_KEY))
    assert result.code == 2, result
    assert message in result.stderr, result
    assert server.requests == []


def test_a_damaged_or_stale_token_file(server: MockKenarServer, env: Dict[str, str], tmp_path: Path) -> None:
    token_file = tmp_path / "token.json"
    env = {k: v for k, v in env.items() if k != "KENAR_ACCESS_TOKEN"}
    env["KENAR_TOKEN_FILE"] = str(token_file)
    token_file.write_text("{not json", encoding="utf-8")
    damaged = kenar_in(["finder", "get-user2"], env)
    assert damaged.code == 2 and "cannot be read" in damaged.stderr and "kenar oauth logout" in damaged.stderr
    token_file.write_text('{"token": "abc"}', encoding="utf-8")
    foreign = kenar_in(["oauth", "token"], env)
    assert foreign.code == 2 and "not one kenar wrote" in foreign.stderr

    stale = {
        "client_id": server.oauth.client_id,
        "client_secret": server.oauth.client_secret,
        "redirect_uri": "http://127.0.0.1:8765/callback",
        "token_url": server.oauth_token_url,
        "token": {
            "access_token": "stale-token-no-refresh",
            "token_type": "bearer",
            "expires_at": "2020-01-01T00:00:00+00:00",
            "scope": "USER_ID",
        },
    }
    token_file.write_text(json.dumps(stale), encoding="utf-8")
    expired = kenar_in(["oauth", "token"], env)
    assert expired.code == 1 and expired.stdout == ""
    assert "has expired and could not be refreshed" in expired.stderr
    assert "stale-token-no-refresh" not in expired.stderr
    assert server.requests == []


def test_webhooks_verify_reads_the_two_callbacks(tmp_path: Path) -> None:
    env = base_env(tmp_path, KENAR_WEBHOOK_KEY=WEBHOOK_KEY, KENAR_WEBHOOK_AUTHORIZATION=WEBHOOK_KEY)
    session = {"post_token": "gZd7omnS", "user_side": "SUPPLY", "completion_url": "https://divar.ir/done"}
    ok = kenar_in(["webhooks", "verify", "--kind", "session-init"], env, stdin=json.dumps(session).encode())
    assert ok.code == 0, ok
    assert ok.json() == session and ok.stderr == "kenar: verified: SessionInitRequest\n"
    action = {"touchpoint": "POST_PAGE", "post_token": "gZd7omnS", "extra_data": {"n": 1}}
    ok = kenar_in(["webhooks", "verify", "--kind", "dynamic-action"], env, stdin=json.dumps(action).encode())
    assert ok.code == 0 and ok.json() == action
    wrong = kenar_in(["webhooks", "verify", "--kind", "dynamic-action"], env, stdin=b"[1]")
    assert wrong.code == 1 and wrong.stderr.startswith("kenar: refused (400): ") and wrong.stdout == ""
