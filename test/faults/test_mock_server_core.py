"""The loopback core under the test servers: binding, framing, limits, idle connections, stop, extension points,
and the checks on the answers a test queues.  Real sockets on 127.0.0.1 throughout."""

from __future__ import annotations

import http.client as httpclient
import json
import socket
import subprocess
import sys
import time
import typing
from typing import Iterator, List, Optional, Tuple

import pytest
import urllib3

import kenar_api_client
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import Configuration
from kenar_api_client.exceptions import ServiceException
from kenar_api_client.oauth import OAuthClient
from kenar_api_client.testing import Answer, LoopbackServer, MockKenarServer, RecordedRequest

KEY = {"X-API-Key": "k"}
CITIES = "/v1/open-platform/assets/city"
SUBSCRIBE = "/v1/open-platform/events/subscriptions"


def exchange(server: LoopbackServer, raw: bytes, timeout: float = 5.0) -> bytes:
    """Send ``raw`` bytes on a fresh connection and read until the server closes it or answers."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)


def status_and_json(answer: bytes) -> Tuple[int, object]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body) if body else None


# ---------------------------------------------------------------- binding


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "example.com"])
def test_a_host_that_is_not_loopback_needs_an_explicit_flag(host: str) -> None:
    with pytest.raises(ValueError, match="allow_remote=True"):
        MockKenarServer(host)


def test_allow_remote_binds_all_interfaces_when_asked() -> None:
    with MockKenarServer("0.0.0.0", allow_remote=True) as server:
        assert server.host == "0.0.0.0" and server.port > 0
        with urllib3.PoolManager(retries=False) as pool:
            assert pool.request("GET", f"http://127.0.0.1:{server.port}{CITIES}", headers=KEY).status == 200


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.2"])
def test_loopback_hosts_need_no_flag(host: str) -> None:
    server = MockKenarServer(host)
    server.stop()  # never started: stop still frees the port


# ---------------------------------------------------------------- framing and limits


@pytest.mark.parametrize("length", ["abc", "-1", "1, 2", "１٢"])
def test_a_malformed_content_length_is_a_400_not_a_traceback(
    server: MockKenarServer, length: str, capfd: pytest.CaptureFixture[str]
) -> None:
    raw = f"POST {SUBSCRIBE} HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\nContent-Length: {length}\r\n\r\n{{}}"
    status, body = status_and_json(exchange(server, raw.encode("utf-8")))
    assert status == 400 and isinstance(body, dict) and body["code"] == 3 and "Content-Length" in body["message"]
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_over_the_limit_is_a_413_before_it_is_read(capfd: pytest.CaptureFixture[str]) -> None:
    with MockKenarServer(max_body_size=1000) as server:
        # only the headers are sent: the answer comes without waiting for the announced gigabyte
        raw = f"POST {SUBSCRIBE} HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\nContent-Length: {10**9}\r\n\r\n"
        started = time.monotonic()
        status, body = status_and_json(exchange(server, raw.encode()))
        assert status == 413 and isinstance(body, dict) and "1000 bytes" in body["message"]
        assert time.monotonic() - started < 2
        assert server.requests == []  # never read, never recorded
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_at_the_limit_is_read(http: urllib3.PoolManager) -> None:
    with MockKenarServer(max_body_size=1000) as server:
        body = json.dumps({"event_type": "POST_UPDATE", "event_resource_id": "x" * 900}).encode()
        body += b" " * (1000 - len(body))
        headers = dict(KEY, **{"Authorization": "Bearer t", "Content-Type": "application/json"})
        assert http.request("POST", server.url + SUBSCRIBE, body=body, headers=headers).status == 200
        assert server.last_request.body == body


def test_deep_json_is_a_400_not_a_traceback(server: MockKenarServer, http: urllib3.PoolManager, capfd) -> None:
    headers = dict(KEY, **{"Authorization": "Bearer t", "Content-Type": "application/json"})
    body = b"[" * 100_000 + b"]" * 100_000
    answer = http.request("POST", server.url + SUBSCRIBE, body=body, headers=headers)
    assert answer.status == 400 and json.loads(answer.data)["code"] == 3
    assert server.last_request.body == body and server.last_request.json is None
    assert "Traceback" not in capfd.readouterr().err


def test_a_chunked_body_is_read_and_recorded(server: MockKenarServer) -> None:
    payload = {"event_type": "POST_UPDATE", "event_resource_id": "gZd7omnS"}
    body = json.dumps(payload).encode()
    connection = httpclient.HTTPConnection(server.host, server.port, timeout=5)
    try:
        headers = {"X-API-Key": "k", "Authorization": "Bearer t", "Content-Type": "application/json"}
        connection.request("POST", SUBSCRIBE, body=iter([body[:10], body[10:25], body[25:]]), headers=headers)
        assert connection.getresponse().status == 200
    finally:
        connection.close()
    request = server.last_request
    assert "chunked" in request.headers["Transfer-Encoding"]
    assert request.body == body and request.json == payload


def test_a_chunked_body_over_the_limit_is_a_413() -> None:
    with MockKenarServer(max_body_size=100) as server:
        chunk = b"x" * 80
        raw = (
            f"POST {SUBSCRIBE} HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + b"50\r\n"
            + chunk
            + b"\r\n50\r\n"
            + chunk
            + b"\r\n0\r\n\r\n"
        )
        assert status_and_json(exchange(server, raw))[0] == 413


def test_a_bad_chunk_size_is_a_400(server: MockKenarServer) -> None:
    raw = f"POST {SUBSCRIBE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".encode()
    assert status_and_json(exchange(server, raw))[0] == 400


# ---------------------------------------------------------------- connections and stop


def test_an_idle_connection_is_closed_after_the_idle_timeout() -> None:
    with MockKenarServer(idle_timeout=0.2) as server:
        with socket.create_connection((server.host, server.port), timeout=5) as sock:
            started = time.monotonic()
            assert sock.recv(1) == b""  # the server hung up: no thread waits on this socket any more
            assert 0.15 <= time.monotonic() - started < 3


def test_stop_closes_kept_alive_connections_and_is_quick() -> None:
    server = MockKenarServer().start()
    connection = httpclient.HTTPConnection(server.host, server.port, timeout=5)
    connection.request("GET", CITIES, headers=KEY)
    assert connection.getresponse().read() and connection.sock is not None  # kept alive
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 0.5
    assert connection.sock.recv(1) == b""
    connection.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=1).close()
    server.stop()  # a second stop does nothing
    with pytest.raises(RuntimeError, match="cannot be started again"):
        server.start()


def test_a_handler_that_raises_is_a_500_that_names_the_error(server: MockKenarServer, http) -> None:
    def broken(request: RecordedRequest) -> Optional[Answer]:
        raise RuntimeError("boom")

    server.add_handler("/broken", broken)
    answer = http.request("GET", server.url + "/broken")
    assert answer.status == 500 and "boom" in json.loads(answer.data)["message"]


# ---------------------------------------------------------------- extension points


def test_add_handler_serves_a_path_prefix_before_the_operations(server: MockKenarServer, http) -> None:
    seen: List[str] = []

    def uploads(request: RecordedRequest) -> Optional[Answer]:
        seen.append(request.path)
        if request.method != "PUT":
            return None  # passed on: the operations (here: none) answer
        return Answer(201, {"stored": len(request.body)})

    server.add_handler("/custom/", uploads)
    answer = http.request("PUT", server.url + "/custom/img-1", body=b"\x89PNG....")
    assert answer.status == 201 and json.loads(answer.data) == {"stored": 8}
    assert http.request("GET", server.url + "/custom/img-1", headers=KEY).status == 404
    assert seen == ["/custom/img-1", "/custom/img-1"]
    server.remove_handler("/custom/")
    assert http.request("PUT", server.url + "/custom/img-1", body=b"x").status == 404
    with pytest.raises(ValueError, match="starts with '/'"):
        server.add_handler("upload", uploads)


def test_a_bare_loopback_server_answers_404_and_serves_handlers(http: urllib3.PoolManager) -> None:
    with LoopbackServer() as server:
        server.add_handler("/", lambda request: Answer(200, {"path": request.path}) if request.body else None)
        assert http.request("POST", server.url + "/x", body=b"1").status == 200
        assert http.request("GET", server.url + "/x").status == 404


# ---------------------------------------------------------------- canned answers


def test_a_canned_answer_with_an_enum_value_the_api_does_not_define_is_refused_at_respond(
    server: MockKenarServer,
) -> None:
    with pytest.raises(ValueError) as caught:
        server.respond("payment_get_transaction", {"transaction": {"id": "t1", "state": "COMPLETED"}})
    message = str(caught.value)
    assert "transaction.state" in message and "'COMPLETED'" in message
    assert "TRANSACTION_STATE_COMPLETED" in message and "PaymentGetTransactionResponse" in message
    assert server.pending() == 0
    # the right spelling is queued, and unknown extra fields are allowed (the real API adds fields)
    server.respond("payment_get_transaction", {"transaction": {"state": "TRANSACTION_STATE_COMPLETED"}, "new": 1})
    assert server.pending() == 1


def test_a_canned_answer_of_the_wrong_type_is_refused_and_check_false_sends_it(server: MockKenarServer) -> None:
    with pytest.raises(ValueError, match="token: Input should be a valid string"):
        server.respond("finder_get_post", {"token": 12345})
    with pytest.raises(ValueError, match=r"cities\.0\.slug"):
        server.respond("assets_get_cities", {"cities": [{"slug": 1}]})
    server.respond("finder_get_post", {"token": 12345}, check=False)
    server.respond("finder_get_post", {"token": 12345}, status=400)  # error bodies are not the response model
    assert server.pending() == 2


def test_a_computed_answer_that_does_not_fit_is_a_500_naming_the_problem(server: MockKenarServer) -> None:
    server.respond_with("payment_get_transaction", lambda request: {"transaction": {"state": "DONE"}})
    with server.api_client() as client:
        client.configuration.retries = 0
        with pytest.raises(ServiceException) as caught:
            kenar_api_client.PaymentApi(client).payment_get_transaction("t1")
    assert "DONE" in (caught.value.message or "") and "TRANSACTION_STATE_COMPLETED" in (caught.value.message or "")


# ---------------------------------------------------------------- OAuth redirect URIs


def test_the_mock_oauth_provider_redirects_only_to_registered_uris(server: MockKenarServer, http) -> None:
    oauth = server.oauth_client("http://127.0.0.1:9/registered")
    url, _ = oauth.authorization_url(["USER_ID"])
    assert http.request("GET", url, redirect=False).status == 302
    stranger = url.replace("registered", "elsewhere")
    answer = http.request("GET", stranger, redirect=False)
    assert answer.status == 400 and "Location" not in answer.headers
    assert server.oauth.redirect_uris == ["http://127.0.0.1:9/registered"]
    with pytest.raises(ValueError, match="redirect URI"):
        server.oauth.register_redirect_uri("http://127.0.0.1/cb?x=1")


# ---------------------------------------------------------------- types and weight


def test_helpers_return_real_types(server: MockKenarServer) -> None:
    hints = {
        name: typing.get_type_hints(
            getattr(MockKenarServer, name),
            localns={"Configuration": Configuration, "ApiClient": ApiClient, "OAuthClient": OAuthClient},
        )["return"]
        for name in ("configuration", "api_client", "oauth_client")
    }
    assert hints == {"configuration": Configuration, "api_client": ApiClient, "oauth_client": OAuthClient}
    assert isinstance(server.configuration(), Configuration)
    with server.api_client() as client, server.oauth_client() as oauth:
        assert isinstance(client, ApiClient) and isinstance(oauth, OAuthClient)


def test_importing_the_testing_package_stays_light() -> None:
    code = (
        "import sys, kenar_api_client.testing\n"
        "heavy = ['pydantic', 'urllib3', 'kenar_api_client.api_client', 'kenar_api_client.oauth',\n"
        "         'kenar_api_client.webhooks', 'kenar_api_client.models']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_the_public_names_resolve_and_the_old_module_re_exports() -> None:
    import kenar_api_client.testing as testing
    from kenar_api_client import _oauth_server

    assert testing.__all__ == sorted(testing.__all__)
    for name in testing.__all__:
        assert getattr(testing, name) is not None, name
    assert _oauth_server.OAuthServer is testing.OAuthServer and _oauth_server.OAuthProvider is testing.OAuthProvider
    assert _oauth_server.HttpAnswer is testing.Answer and _oauth_server.RecordedRequest is testing.RecordedRequest


@pytest.fixture(scope="module")
def http() -> Iterator[urllib3.PoolManager]:
    with urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(5.0)) as pool:
        yield pool
