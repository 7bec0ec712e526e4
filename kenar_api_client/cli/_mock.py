"""``kenar mock``: the mock Kenar server in the foreground, for test suites in any language.

``--seed FILE`` queues canned answers before the first request.  The file is a
JSON object from SDK method names (``finder_get_post``, as in the API
reference) to one answer or a list of answers, served in order; once they are
used up the operation answers its default again.  An answer has the fields of
:meth:`MockKenarServer.respond`::

    {
      "finder_get_post": [
        {"status": 404},
        {"json": {"token": "gZd7omnS", "category": "apartment-sell"}}
      ],
      "payment_get_balance": {"status": 503, "headers": {"Retry-After": "1"}, "times": 2}
    }

``status`` (default 200), ``json`` (the body, any JSON value), ``body`` (a raw
body as text, instead of ``json``), ``headers``, ``delay`` (seconds),
``fault`` (``reset``, ``truncate``, ``malformed``, ``hang`` or ``close``) and
``times`` (how many times to serve it, default 1).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from typing import Any, Dict, List

from kenar_api_client.cli import EXIT_OK, UsageError

_ANSWER_FIELDS = {"status", "json", "body", "headers", "delay", "fault", "times"}


def _check_answer(name: str, index: int, answer: Any) -> Dict[str, Any]:
    where = f"{name}[{index}]"
    if not isinstance(answer, dict):
        raise UsageError(f"--seed: {where} must be an object with fields like status and json")
    unknown = sorted(set(answer) - _ANSWER_FIELDS)
    if unknown:
        raise UsageError(
            f"--seed: {where} has unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_ANSWER_FIELDS))}"
        )
    status = answer.get("status", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise UsageError(f"--seed: {where}.status must be an HTTP status (100-599), not {status!r}")
    if "body" in answer and not isinstance(answer["body"], str):
        raise UsageError(f"--seed: {where}.body must be text (use json for a JSON value)")
    if "body" in answer and "json" in answer:
        raise UsageError(f"--seed: {where} has both body and json; give one")
    headers = answer.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise UsageError(f"--seed: {where}.headers must be an object of text values")
    delay = answer.get("delay", 0)
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
        raise UsageError(f"--seed: {where}.delay must be a number of seconds >= 0")
    times = answer.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise UsageError(f"--seed: {where}.times must be a whole number >= 1")
    return answer


def load_seed(server: Any, path: str) -> int:
    """Queue the answers of a seed file on ``server``; returns how many answers were queued."""
    from kenar_api_client._op_table import OPERATIONS
    from kenar_api_client.testing import FAULTS

    try:
        with open(path, encoding="utf-8") as handle:
            seed = json.load(handle)
    except OSError as error:
        raise UsageError(f"cannot read --seed {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise UsageError(f"--seed {path} is not valid JSON: {error}") from None
    if not isinstance(seed, dict):
        raise UsageError(f"--seed {path} must hold a JSON object: operation name -> answer(s)")
    planned: List[Any] = []
    for name, answers in seed.items():
        if name not in OPERATIONS:
            raise UsageError(f"--seed: unknown operation {name!r} (use SDK method names, e.g. finder_get_post)")
        items = answers if isinstance(answers, list) else [answers]
        for index, answer in enumerate(items):
            checked = _check_answer(name, index, answer)
            if checked.get("fault") is not None and checked["fault"] not in FAULTS:
                raise UsageError(f"--seed: {name}[{index}].fault must be one of {', '.join(FAULTS)}")
            planned.append((name, checked))
    count = 0
    for name, answer in planned:
        server.respond(
            name,
            answer.get("json"),
            answer.get("status", 200),
            answer.get("headers"),
            body=answer.get("body"),
            delay=float(answer.get("delay", 0)),
            fault=answer.get("fault"),
            times=answer.get("times", 1),
        )
        count += answer.get("times", 1)
    return count


#: where ``kenar oauth login`` catches the redirect by default
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8765/callback"


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run(namespace: argparse.Namespace) -> int:
    from kenar_api_client.testing import MockKenarServer

    if not 0 <= namespace.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {namespace.port}")
    try:
        server = MockKenarServer(host=namespace.host, port=namespace.port, allow_remote=namespace.allow_remote)
    except OSError as error:
        raise UsageError(f"cannot listen on {namespace.host}:{namespace.port}: {error.strerror or error}") from None
    except ValueError as error:  # a non-loopback address without --allow-remote
        raise UsageError(f"{error} (pass --allow-remote to listen there anyway)") from None
    for uri in namespace.redirect_uri or [DEFAULT_REDIRECT_URI]:
        server.oauth.register_redirect_uri(uri)
    try:
        queued = load_seed(server, namespace.seed) if namespace.seed else 0

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        server.start()
        try:
            _serve(server, namespace, queued)
        except KeyboardInterrupt:  # the way to stop it (Ctrl-C or SIGTERM): not an error
            _say("Stopped.")
    finally:
        server.stop()
    return EXIT_OK


def _serve(server: Any, namespace: argparse.Namespace, queued: int) -> None:
    url = server.url
    _say(f"Mock Kenar server on {url}")
    _say(f"  export KENAR_HOST={url}   (any non-empty API key and access token are accepted)")
    oauth = server.oauth
    _say(
        f"  OAuth: {server.oauth_authorize_url} and {server.oauth_token_url}, "
        f"client id {oauth.client_id}, client secret {oauth.client_secret} (test values)"
    )
    if namespace.seed:
        _say(f"  {queued} canned answer{'s' if queued != 1 else ''} queued from {namespace.seed}")
    _say("Press Ctrl-C to stop.")
    shown = 0
    shown_oauth = 0
    while True:
        time.sleep(0.05)
        if namespace.quiet:
            continue
        requests = list(server.requests)
        for request in requests[shown:]:
            query = f"?{request.raw_query}" if request.raw_query else ""
            operation = request.operation or "(no such operation: 404)"
            _say(f"{request.method} {request.path}{query} -> {operation}")
        shown = len(requests)
        oauth_requests = list(oauth.requests)
        for record in oauth_requests[shown_oauth:]:
            _say(f"{record.method} {record.path} -> OAuth")
        shown_oauth = len(oauth_requests)
