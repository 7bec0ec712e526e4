"""docs/guides/cli.md shows real output: this runs every documented command and compares.

The commands run in order, as subprocesses, against a MockKenarServer seeded with the guide's own
``seed.json``; the files the guide shows (``<!-- file: NAME -->`` before a code block) are written
to a scratch directory first.  Ports, the OAuth state, dates, the scratch directory and the random
access token are normalised before comparing.  After changing the CLI or the guide, rewrite the
output blocks with::

    python test/test_cli_docs.py --update
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "guides" / "cli.md"
DOC_PORT = "8765"

_FILE = re.compile(r"<!-- file: (\S+) -->\n```[a-z]*\n(.*?)```", re.S)
_CONSOLE = re.compile(r"```console\n(.*?)```", re.S)
_TOKEN_LINE = re.compile(r"^[A-Za-z0-9_\-.~+/=]{24,}$", re.M)


def normalise(text: str, scratch: str) -> str:
    text = text.replace(scratch, "~")
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"127\.0\.0\.1%3A\d+", "127.0.0.1%3APORT", text)
    text = re.sub(r"state=[A-Za-z0-9_\-]+", "state=STATE", text)
    text = re.sub(r"^Date: .*$", "Date: DATE", text, flags=re.M)
    text = re.sub(r"^Server: .*$", "Server: SERVER", text, flags=re.M)
    text = re.sub(r"kenar-api-client-python/[0-9][0-9A-Za-z.+-]*", "kenar-api-client-python/VERSION", text)
    # how often urllib3 logs this at DEBUG differs between its versions (2.1 and newer)
    text = re.sub(r"^kenar: debug: urllib3\.util\.retry: Converted retries value: .*\n", "", text, flags=re.M)
    # argparse before Python 3.10 says "optional arguments"
    text = text.replace("optional arguments:", "options:")
    return _TOKEN_LINE.sub("TOKEN", text)


def _for_doc(text: str, scratch: str, mock_port: int, own_port: str) -> str:
    """Actual output as the guide shows it: the scratch directory as ~, the mock's port as 8765,
    any other port as the one the command asked for."""
    text = text.replace(scratch, "~")
    for sep in (":", "%3A"):
        text = text.replace(f"127.0.0.1{sep}{mock_port}", f"127.0.0.1{sep}{DOC_PORT}")
        text = re.sub(rf"127\.0\.0\.1{sep}(?!{DOC_PORT}\b)\d+", f"127.0.0.1{sep}{own_port}", text)
    return text


class Runner:
    def __init__(self, scratch: Path, server: Any) -> None:
        self.scratch = scratch
        self.server = server
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("KENAR_")}
        self.env.update(
            HOME=str(scratch), XDG_CONFIG_HOME=str(scratch / ".config"), PYTHONIOENCODING="utf-8", COLUMNS="100"
        )

    def _address(self, text: str) -> str:
        return re.sub(r"127\.0\.0\.1:\d+", self.server.url[len("http://") :], text)

    def run(self, command: str) -> str:
        """Run one documented command; returns its output as the guide shows it."""
        words = shlex.split(command)
        own_port = words[words.index("--port") + 1] if "--port" in words[:-1] else DOC_PORT
        output = self._run(command)
        if output and not output.endswith("\n"):  # the shell's prompt would start on the next line
            output += "\n"
        return _for_doc(output, str(self.scratch), self.server.port, own_port)

    def _run(self, command: str) -> str:
        if command.startswith("export "):
            name, _, value = command[len("export ") :].partition("=")
            self.env[name] = self._address(value)
            return ""
        echo_status = command.endswith("; echo $?")
        command = command[: -len("; echo $?")] if echo_status else command
        stdin_file: Optional[str] = None
        if " < " in command:
            command, stdin_file = (part.strip() for part in command.split(" < ", 1))
        words = [self._address(word) for word in shlex.split(command)]
        assert words[0] == "kenar", command
        args = words[1:]
        for i, word in enumerate(args[:-1]):  # the guide shows fixed ports; any free one will do here
            if word == "--port":
                args[i + 1] = "0"
        argv = [sys.executable, "-m", "kenar_api_client.cli", *args]
        if args[:2] == ["oauth", "login"]:
            output, code = self._login(argv)
        elif args[:1] == ["mock"]:
            output, code = self._until_ready(argv, "Press Ctrl-C", None)
        elif args[:2] == ["webhooks", "listen"]:
            output, code = self._until_ready(argv, "receiving", self._deliver)
        else:  # in this process, which is quicker: test_cli.py runs each command as a subprocess too
            stdin = (self.scratch / stdin_file).read_bytes() if stdin_file else b""
            output, code = self._in_process(args, stdin)
        if echo_status:
            output += f"{code}\n"
        else:
            assert code == 0, (command, code, output)
        return output

    def _in_process(self, args: List[str], stdin: bytes) -> Tuple[str, int]:
        """``kenar ARGS`` through ``main()``, stdout and stderr into one stream, as a terminal shows them."""
        import io
        import logging

        from kenar_api_client.cli import main

        saved_env, saved_cwd = dict(os.environ), os.getcwd()
        saved_streams = (sys.stdin, sys.stdout, sys.stderr)
        loggers = [logging.getLogger(name) for name in ("kenar_api_client", "urllib3")]
        saved_loggers = [(lg.level, list(lg.handlers), lg.propagate) for lg in loggers]
        merged = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
        try:
            os.environ.clear()
            os.environ.update(self.env)
            os.chdir(self.scratch)
            sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
            sys.stdout = sys.stderr = merged
            code = main(args)
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            os.chdir(saved_cwd)
            sys.stdin, sys.stdout, sys.stderr = saved_streams
            for lg, (level, handlers, propagate) in zip(loggers, saved_loggers):
                lg.setLevel(level)
                lg.handlers[:] = handlers
                lg.propagate = propagate
        merged.flush()
        return merged.buffer.getvalue().decode("utf-8"), code  # type: ignore[attr-defined]

    def _popen(self, argv: List[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self.env, cwd=str(self.scratch)
        )

    def _login(self, argv: List[str]) -> Tuple[str, int]:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        proc = self._popen(argv)
        try:
            assert proc.stdout is not None
            lines = [proc.stdout.readline().decode(), proc.stdout.readline().decode()]
            url = next(line.strip() for line in lines if line.startswith("http"))
            # as an app registers its redirect URI with Divar
            redirect_uri = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["redirect_uri"][0]
            self.server.oauth.register_redirect_uri(redirect_uri)
            try:
                urllib.request.build_opener(NoRedirect).open(url, timeout=10)
                raise AssertionError("the authorize endpoint did not redirect")
            except urllib.error.HTTPError as redirect:
                location = redirect.headers["Location"]
            with urllib.request.urlopen(location, timeout=10) as answer:
                answer.read()
            rest, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        return "".join(lines) + rest.decode(), proc.returncode

    def _deliver(self, banner: str) -> None:
        url = re.search(r"http://\S+", banner)
        assert url is not None
        event = json.loads((self.scratch / "delivery.json").read_text(encoding="utf-8"))
        key = (self.scratch / "key.txt").read_text(encoding="utf-8").strip()
        assert self.server.deliver_event(url.group(0), event, key)[0] == 200

    def _until_ready(self, argv: List[str], marker: str, then: Any) -> Tuple[str, int]:
        proc = self._popen(argv)
        try:
            assert proc.stdout is not None
            lines: List[str] = []
            while not lines or marker not in lines[-1]:
                line = proc.stdout.readline().decode()
                assert line, lines
                lines.append(line)
            if then is not None:
                then(lines[-1])
                lines.append(proc.stdout.readline().decode())
            proc.send_signal(signal.SIGINT)
            rest, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        return "".join(lines) + rest.decode(), proc.returncode


def run_guide(text: str) -> List[Tuple[str, str, str, str]]:
    """(command, documented output, actual output as the guide would show it, scratch dir) for each command."""
    from kenar_api_client.cli._mock import load_seed
    from kenar_api_client.testing import MockKenarServer

    results = []
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(os.path.realpath(scratch_name))
        for name, content in _FILE.findall(text):
            (scratch / name).write_text(content, encoding="utf-8")
        with MockKenarServer() as server:
            if (scratch / "seed.json").exists():
                load_seed(server, str(scratch / "seed.json"))
            runner = Runner(scratch, server)
            for block in _CONSOLE.findall(text):
                for command, documented in _commands(block):
                    results.append((command, documented, runner.run(command), str(scratch)))
    return results


def _commands(block: str) -> List[Tuple[str, str]]:
    commands: List[Tuple[str, str]] = []
    for line in block.splitlines(keepends=True):
        if line.startswith("$ "):
            commands.append((line[2:].rstrip("\n"), ""))
        elif commands:
            command, output = commands[-1]
            commands[-1] = (command, output + line)
    return commands


def test_the_guide_shows_real_output() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    results = run_guide(text)
    assert len(results) >= 15
    for command, documented, actual, scratch in results:
        expected, got = normalise(documented, scratch), normalise(actual, scratch)
        if command.endswith("--help"):  # argparse aligns and wraps differently from one Python version to the next
            expected, got = " ".join(expected.split()), " ".join(got.split())
        assert got == expected, command
        if "oauth token" not in command:  # printing the token is that command's job
            assert "my-api-key" not in actual and "my-secret-key" not in actual, command
            assert "my-identification-key" not in actual, command


def _update() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    results = iter(run_guide(text))

    def fill(match: re.Match[str]) -> str:
        out = []
        for command, _ in _commands(match.group(1)):
            _, _, actual, _ = next(results)
            out.append(f"$ {command}\n{actual}")
        return "```console\n" + "".join(out) + "```"

    GUIDE.write_text(_CONSOLE.sub(fill, text), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        sys.path.insert(0, str(ROOT))
        _update()
    else:
        sys.exit(f"usage: python {sys.argv[0]} --update")
