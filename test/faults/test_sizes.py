"""Answer sizes are bounded: Configuration.max_response_bytes, counted after decoding.

A compressed body cannot hide its size (a gzip bomb is refused with memory
near the limit, measured as the peak RSS of a child process), a body
announced as too large is not read at all, and an error answer's body is kept
as a bounded excerpt.
"""

from __future__ import annotations

import gzip
import socket
import time
import zlib
from typing import Any, Callable, Iterator

import pytest
from fault_helpers import RawServer, peak_rss_growth_of, read_request, sdk_error

from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import DEFAULT_MAX_RESPONSE_BYTES, Configuration
from kenar_api_client.exceptions import (
    ApiProtocolError,
    ApiValueError,
    OpenApiException,
    ResponseTooLargeError,
    ServiceException,
    TransportError,
)
from kenar_api_client.rest import ERROR_BODY_LIMIT
from kenar_api_client.retry import RetryPolicy

MiB = 1024 * 1024
POST_JSON = b'{"token": "sample-token", "city": "tehran"}'


def answering(
    status: int, headers: bytes, body: Callable[[socket.socket], None]
) -> Callable[[socket.socket, RawServer], None]:
    """A handler that answers every request on a connection with ``status``, ``headers`` and ``body(sock)``."""

    def handle(sock: socket.socket, server: RawServer) -> None:
        while True:
            head, _ = read_request(sock)
            if not head:
                return
            server.record(head)
            sock.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n" % status + headers + b"\r\n")
            body(sock)

    return handle


def fixed(data: bytes) -> Callable[[socket.socket], None]:
    return lambda sock: sock.sendall(data)


def client_for(server: RawServer, **settings: Any) -> ApiClient:
    config = Configuration(host=server.url)
    config.retries = RetryPolicy(sleep=lambda s: None)
    for name, value in settings.items():
        setattr(config, name, value)
    return ApiClient(config)


def gzip_bomb(decoded_size: int, layers: int = 2) -> bytes:
    """``decoded_size`` zero bytes, gzipped ``layers`` times (one gzip member per MiB, cheap to make)."""
    member = gzip.compress(bytes(MiB), 9)
    data = member * (decoded_size // MiB)
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb(256 * MiB)


# ---------------------------------------------------------------- the setting


def test_the_limit_has_a_default_and_can_be_lifted_or_set():
    config = Configuration()
    assert config.max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES == 32 * MiB
    config.max_response_bytes = None
    assert config.max_response_bytes is None
    config.max_response_bytes = 1000
    assert config.max_response_bytes == 1000
    for bad in (0, -1, 1.5, "10", True):
        with pytest.raises(ApiValueError, match="max_response_bytes"):
            config.max_response_bytes = bad  # type: ignore[assignment]


def test_the_error_is_a_transport_error():
    assert issubclass(ResponseTooLargeError, TransportError) and issubclass(ResponseTooLargeError, OpenApiException)
    import kenar_api_client

    assert kenar_api_client.ResponseTooLargeError is ResponseTooLargeError


# ---------------------------------------------------------------- compressed answers


def test_a_gzip_bomb_is_refused_with_memory_near_the_limit(bomb: bytes):
    handler = answering(200, b"Content-Encoding: gzip, gzip\r\nContent-Length: %d\r\n" % len(bomb), fixed(bomb))
    with RawServer(handler) as server:
        code = """
import sys
from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import Configuration
from kenar_api_client.exceptions import ResponseTooLargeError

def prepare():
    global api
    config = Configuration(host=sys.argv[1])
    config.retries = 0
    api = FinderApi(ApiClient(config))

def run():
    try:
        api.finder_get_post("tok")
    except ResponseTooLargeError as error:
        return f"refused {error.limit} {error.status}"
    return "read"
"""
        growth, output = peak_rss_growth_of(code, server.url)
    assert output == f"refused {32 * MiB} 200"
    assert len(bomb) < 64 * 1024  # tens of KB on the wire, 256 MiB decoded
    assert growth < 32 * MiB + 8 * MiB, f"peak RSS grew by {growth / MiB:.1f} MiB for a 32 MiB limit"


def test_a_small_limit_holds_for_a_bomb(bomb: bytes):
    handler = answering(200, b"Content-Encoding: gzip, gzip\r\nContent-Length: %d\r\n" % len(bomb), fixed(bomb))
    with RawServer(handler) as server, client_for(server, max_response_bytes=MiB) as client:
        started = time.monotonic()
        with pytest.raises(ResponseTooLargeError) as caught:
            FinderApi(client).finder_get_post("tok")
        assert time.monotonic() - started < 1.0
    error = sdk_error(caught.value, ResponseTooLargeError)
    assert error.limit == MiB and error.status == 200 and error.attempts == 1  # a GET, yet not retried
    assert len(server.requests) == 1
    assert "answer too large: GET http://127.0.0.1:" in str(error) and f"limit of {MiB} bytes" in str(error)


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "gzip, deflate", "identity"])
def test_compressed_answers_within_the_limit_still_decode(encoding: str):
    body = POST_JSON
    for name in [part.strip() for part in encoding.split(",")]:
        if name in ("gzip", "x-gzip"):
            body = gzip.compress(body)
        elif name == "deflate":
            body = zlib.compress(body)
    handler = answering(
        200, b"Content-Encoding: %s\r\nContent-Length: %d\r\n" % (encoding.encode(), len(body)), fixed(body)
    )
    with RawServer(handler) as server, client_for(server) as client:
        assert FinderApi(client).finder_get_post("tok").token == "sample-token"


def test_raw_deflate_and_several_gzip_members_decode():
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = raw.compress(POST_JSON) + raw.flush()
    members = gzip.compress(POST_JSON[:10]) + gzip.compress(POST_JSON[10:])
    for encoding, body in ((b"deflate", deflated), (b"gzip", members)):
        handler = answering(200, b"Content-Encoding: %s\r\nContent-Length: %d\r\n" % (encoding, len(body)), fixed(body))
        with RawServer(handler) as server, client_for(server) as client:
            assert FinderApi(client).finder_get_post("tok").token == "sample-token"


@pytest.mark.parametrize("encoding", [b"br", b"zstd", b"compress", b"gzip, gzip, gzip, gzip, gzip"])
def test_an_encoding_the_sdk_did_not_ask_for_is_refused(encoding: bytes):
    handler = answering(200, b"Content-Encoding: %s\r\nContent-Length: 4\r\n" % encoding, fixed(b"abcd"))
    with RawServer(handler) as server, client_for(server, retries=RetryPolicy.none()) as client:
        with pytest.raises(ApiProtocolError) as caught:
            FinderApi(client).finder_get_post("tok")
    assert "did not ask for" in str(caught.value) or "times over" in str(caught.value)


def test_a_corrupt_gzip_body_is_a_protocol_error():
    handler = answering(200, b"Content-Encoding: gzip\r\nContent-Length: 8\r\n", fixed(b"notgzip!"))
    with RawServer(handler) as server, client_for(server, retries=RetryPolicy.none()) as client:
        with pytest.raises(ApiProtocolError, match="corrupt"):
            FinderApi(client).finder_get_post("tok")


# ---------------------------------------------------------------- plain answers


def endless_zeros(sock: socket.socket) -> None:
    block = bytes(MiB)
    try:
        for _ in range(500):
            sock.sendall(block)
    except OSError:
        pass  # the client stopped reading: that is the point


def test_an_answer_announced_too_large_is_not_read():
    handler = answering(200, b"Content-Length: %d\r\n" % (500 * MiB), endless_zeros)
    with RawServer(handler) as server, client_for(server) as client:
        started = time.monotonic()
        with pytest.raises(ResponseTooLargeError) as caught:
            FinderApi(client).finder_get_post("tok")
        assert time.monotonic() - started < 1.0
    assert caught.value.limit == 32 * MiB


def chunked(total: int, size: int = 256 * 1024) -> Callable[[socket.socket], None]:
    def send(sock: socket.socket) -> None:
        sent = 0
        try:
            while sent < total:
                piece = min(size, total - sent)
                sock.sendall(b"%x\r\n" % piece + b"0" * piece + b"\r\n")
                sent += piece
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass

    return send


def test_a_chunked_answer_over_the_limit_is_stopped_while_reading():
    handler = answering(200, b"Transfer-Encoding: chunked\r\n", chunked(200 * MiB))
    with RawServer(handler) as server, client_for(server, max_response_bytes=2 * MiB) as client:
        started = time.monotonic()
        with pytest.raises(ResponseTooLargeError):
            FinderApi(client).finder_get_post("tok")
        assert time.monotonic() - started < 2.0


def test_no_limit_reads_a_large_chunked_answer():
    body = b'{"token": "t", "pad": "' + b"x" * (3 * MiB) + b'"}'
    chunks = b"".join(
        b"%x\r\n" % len(body[i : i + 65536]) + body[i : i + 65536] + b"\r\n" for i in range(0, len(body), 65536)
    )
    handler = answering(200, b"Transfer-Encoding: chunked\r\n", fixed(chunks + b"0\r\n\r\n"))
    with RawServer(handler) as server:
        with client_for(server, max_response_bytes=MiB) as client, pytest.raises(ResponseTooLargeError):
            FinderApi(client).finder_get_post("tok")
        with client_for(server, max_response_bytes=None) as client:
            assert FinderApi(client).finder_get_post("tok").token == "t"


def test_an_answer_at_the_limit_is_read():
    body = POST_JSON
    handler = answering(200, b"Content-Length: %d\r\n" % len(body), fixed(body))
    with RawServer(handler) as server, client_for(server, max_response_bytes=len(body)) as client:
        assert FinderApi(client).finder_get_post("tok").token == "sample-token"
    handler = answering(200, b"Content-Length: %d\r\n" % len(body), fixed(body))
    with RawServer(handler) as server, client_for(server, max_response_bytes=len(body) - 1) as client:
        with pytest.raises(ResponseTooLargeError):
            FinderApi(client).finder_get_post("tok")


# ---------------------------------------------------------------- error answers


@pytest.fixture
def huge_error() -> Iterator[RawServer]:
    body = b'{"code": 13, "message": "boom", "pad": "' + b"x" * (50 * MiB) + b'"}'
    with RawServer(answering(500, b"Content-Length: %d\r\n" % len(body), fixed(body))) as server:
        yield server


def test_a_50_mb_error_body_is_kept_as_a_bounded_excerpt(huge_error: RawServer):
    with client_for(huge_error) as client:
        started = time.monotonic()
        with pytest.raises(ServiceException) as caught:
            FinderApi(client).finder_get_post("tok")
        assert time.monotonic() - started < 1.0
    error = caught.value
    assert error.status == 500
    assert error.body is not None and len(error.body) == ERROR_BODY_LIMIT
    assert error.body.startswith('{"code": 13, "message": "boom"')
    assert len(str(error)) < 4000


def test_an_error_body_costs_little_memory(huge_error: RawServer):
    code = """
import sys
from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import Configuration
from kenar_api_client.exceptions import ServiceException

def prepare():
    global api
    config = Configuration(host=sys.argv[1])
    api = FinderApi(ApiClient(config))

def run():
    try:
        api.finder_get_post("tok")
    except ServiceException as error:
        return len(error.body)
"""
    growth, output = peak_rss_growth_of(code, huge_error.url)
    assert output == str(ERROR_BODY_LIMIT)
    assert growth < 8 * MiB, f"peak RSS grew by {growth / MiB:.1f} MiB for a 50 MB error body"


def test_a_compressed_error_body_is_cut_after_decoding():
    body = gzip_bomb(64 * MiB, layers=1)
    handler = answering(503, b"Content-Encoding: gzip\r\nContent-Length: %d\r\n" % len(body), fixed(body))
    with RawServer(handler) as server, client_for(server, retries=RetryPolicy.none()) as client:
        with pytest.raises(ServiceException) as caught:
            FinderApi(client).finder_get_post("tok")
    assert caught.value.body == "\x00" * ERROR_BODY_LIMIT
