"""A deadline per attempt: a server that trickles bytes cannot hold a call forever.

Per-read timeouts alone never fire against a server that sends one byte
every fraction of a second; ``Configuration.deadline`` bounds the whole
attempt (connect, send, status line, headers, body).
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path
from typing import Any, Callable, List

import pytest
from fault_helpers import RawServer, read_request, sdk_error

from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import DEFAULT_DEADLINE, Configuration
from kenar_api_client.exceptions import ApiReadTimeoutError, ApiValueError
from kenar_api_client.oauth import OAuthClient
from kenar_api_client.retry import RetryPolicy

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 0.5
DRIP = 0.05  # seconds between two bytes: far under every per-read timeout


def trickling(prefix: bytes, drip: bytes) -> Callable[[socket.socket, RawServer], None]:
    """Answer with ``prefix`` at once, then ``drip`` one byte at a time, for at most 5 s."""

    def handle(sock: socket.socket, server: RawServer) -> None:
        head, _ = read_request(sock)
        if not head:
            return
        server.record(head)
        sock.sendall(prefix)
        stop = time.monotonic() + 5
        i = 0
        while time.monotonic() < stop:
            sock.sendall(drip[i % len(drip) : i % len(drip) + 1])
            i += 1
            time.sleep(DRIP)

    return handle


def client_for(server: RawServer, sleeps: List[float], **settings: Any) -> ApiClient:
    config = Configuration(host=server.url)
    config.timeout = (1, 1)
    config.deadline = DEADLINE
    config.retries = RetryPolicy(sleep=sleeps.append, jitter=False)
    for name, value in settings.items():
        setattr(config, name, value)
    return ApiClient(config)


CASES = {
    "fixed length body": (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n", b" "),
    "chunked body": (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"1\r\n \r\n",
    ),
    "endless header line": (b"HTTP/1.1 200 OK\r\nX-Endless: ", b"a"),
    "endless headers": (b"HTTP/1.1 200 OK\r\n", b"X-A: b\r\n"),
    "status line": (b"", b"HTTP/1.1 200 OK"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_trickling_answer_ends_at_the_deadline(case: str):
    prefix, drip = CASES[case]
    sleeps: List[float] = []
    with RawServer(trickling(prefix, drip)) as server, client_for(server, sleeps, retries=RetryPolicy.none()) as client:
        started = time.monotonic()
        with pytest.raises(ApiReadTimeoutError) as caught:
            FinderApi(client).finder_get_post("tok")
        elapsed = time.monotonic() - started

    error = sdk_error(caught.value, ApiReadTimeoutError)
    assert DEADLINE <= elapsed < DEADLINE + 0.5, elapsed
    assert f"deadline of {DEADLINE:g} s" in str(error)
    assert len(server.requests) == 1


def test_a_trickled_get_is_retried_and_each_attempt_has_its_own_deadline():
    prefix, drip = CASES["fixed length body"]
    sleeps: List[float] = []
    with RawServer(trickling(prefix, drip)) as server, client_for(server, sleeps) as client:
        started = time.monotonic()
        with pytest.raises(ApiReadTimeoutError) as caught:
            FinderApi(client).finder_get_post("tok")
        elapsed = time.monotonic() - started
    assert caught.value.attempts == 3 and len(server.requests) == 3 and sleeps == [0.5, 1.0]
    assert 3 * DEADLINE <= elapsed < 3 * DEADLINE + 1.0


def test_one_silent_read_cannot_outlast_the_deadline():
    def silent(sock: socket.socket, server: RawServer) -> None:
        head, _ = read_request(sock)
        server.record(head)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
        time.sleep(3)

    sleeps: List[float] = []
    with (
        RawServer(silent) as server,
        client_for(server, sleeps, timeout=(30, 30), retries=RetryPolicy.none()) as client,
    ):
        started = time.monotonic()
        with pytest.raises(ApiReadTimeoutError):
            FinderApi(client).finder_get_post("tok")
        assert DEADLINE <= time.monotonic() - started < DEADLINE + 0.5


def test_calls_within_the_deadline_are_untouched(server: Any, client: ApiClient):
    client.configuration.deadline = DEADLINE
    for _ in range(20):  # the same pooled connection, each attempt with a fresh deadline
        assert FinderApi(client).finder_get_post("tok").token == "sample-token"
    client.configuration.deadline = None
    assert FinderApi(client).finder_get_post("tok").token == "sample-token"


def test_the_deadline_has_a_finite_default_and_is_checked():
    config = Configuration()
    assert config.deadline == DEFAULT_DEADLINE == 120.0
    config.deadline = 2
    assert config.deadline == 2.0 and isinstance(config.deadline, float)
    config.deadline = None
    assert config.deadline is None
    for bad in (0, -1, float("inf"), float("nan"), "5", True):
        with pytest.raises(ApiValueError, match="deadline"):
            config.deadline = bad  # type: ignore[assignment]
    assert "Deadline: 120.0" in Configuration().to_debug_report()


# ---------------------------------------------------------------- the worst case of one call, documented


def worst_case_seconds() -> tuple:
    """The longest one call can take with default settings, from the defaults themselves.

    Every retry starts within ``max_total_delay`` of the first attempt (the
    retry loop counts elapsed time), and each attempt ends by the deadline, so
    one round of attempts takes at most ``max_total_delay + deadline``.  An
    OAuth operation can wait for one token request before it (only when it
    holds no valid token) and, after a 401, one refresh and one more round.
    """
    policy = RetryPolicy()
    deadline = Configuration().deadline
    token_deadline = OAuthClient("app", "secret", "https://example.com/cb").configuration.deadline
    assert deadline is not None and token_deadline is not None
    one_round = policy.max_total_delay + deadline
    return one_round, 2 * one_round + 2 * token_deadline


def test_the_worst_case_of_one_call_is_documented():
    one_round, with_oauth = worst_case_seconds()
    assert (one_round, with_oauth) == (150.0, 540.0)
    guide = (REPO / "docs" / "guides" / "errors-and-retries.md").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for text in (guide, readme):
        assert f"{one_round:g} s" in text and f"{with_oauth:g} s" in text
    assert "three read timeouts" not in guide
    assert re.search(r"deadline` \(seconds, default `120.0`\)", guide)
    assert re.search(r"max_response_bytes` \(default 32 MiB", guide)
