"""Through a proxy: a request the proxy (or the origin behind a tunnel) has read is never sent again.

urllib3 reports a connection that breaks before it counts as "connected to
the proxy" as a proxy error, even when the whole request already went out.
Only a failure before the request started to go out may be retried as "not
sent"; these tests count what the proxy and the origin saw.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from fault_helpers import RawServer, forward_proxy, read_request, sdk_error, tunnel_proxy

from kenar_api_client.api.chat_api_api import ChatAPIApi
from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import Configuration
from kenar_api_client.exceptions import ApiConnectionError, ApiProtocolError
from kenar_api_client.models.chat_api_conversation_send_message_body import ChatAPIConversationSendMessageBody
from kenar_api_client.retry import RetryPolicy
from kenar_api_client.testing import MockKenarServer

SEND = "chat_api_conversation_send_message"


def send_message(client: ApiClient) -> Any:
    return ChatAPIApi(client).chat_api_conversation_send_message(
        "conv-1", ChatAPIConversationSendMessageBody(message="hi")
    )


def proxied(host: str, proxy: RawServer, sleeps: List[float], **settings: Any) -> ApiClient:
    config = Configuration(host=host)
    config.api_key["APIKey"] = "proxy-test-key"
    config.access_token = "proxy-test-token"
    config.proxy = proxy.url
    config.retries = RetryPolicy(sleep=sleeps.append, jitter=False)
    for name, value in settings.items():
        setattr(config, name, value)
    return ApiClient(config)


@pytest.mark.parametrize("behaviour", ["close", "reset"])
def test_a_post_the_proxy_read_is_not_sent_again(behaviour: str):
    sleeps: List[float] = []
    with RawServer(forward_proxy(behaviour)) as proxy, proxied("http://127.0.0.1:9", proxy, sleeps) as client:
        with pytest.raises(ApiProtocolError) as caught:
            send_message(client)

    error = sdk_error(caught.value, ApiProtocolError)
    assert not isinstance(error, ApiConnectionError)  # "connection broken": it may have been delivered
    assert error.attempts == 1 and sleeps == []
    assert len(proxy.requests) == 1  # once, not three times
    assert proxy.requests[0].startswith(b"POST http://127.0.0.1:9/v2/open-platform/conversations/conv-1/messages")


def test_a_get_the_proxy_dropped_is_retried():
    sleeps: List[float] = []
    with RawServer(forward_proxy("close")) as proxy, proxied("http://127.0.0.1:9", proxy, sleeps) as client:
        with pytest.raises(ApiProtocolError) as caught:
            FinderApi(client).finder_get_post("tok")
    assert caught.value.attempts == 3 and len(proxy.requests) == 3 and sleeps == [0.5, 1.0]


def test_a_working_forward_proxy_carries_the_call(server: MockKenarServer):
    sleeps: List[float] = []
    with RawServer(forward_proxy("forward")) as proxy, proxied(server.url, proxy, sleeps) as client:
        assert FinderApi(client).finder_get_post("tok").token == "sample-token"
        assert send_message(client) is not None
    assert proxy.requests and len(server.requests) == 2  # the proxy keeps the connection: it sees the first head


def test_a_proxy_that_is_not_listening_sent_nothing_and_a_post_is_retried(closed_port: int):
    sleeps: List[float] = []
    config = Configuration(host="http://127.0.0.1:9")
    config.proxy = f"http://127.0.0.1:{closed_port}"
    config.retries = RetryPolicy(sleep=sleeps.append, jitter=False)
    with ApiClient(config) as client:
        with pytest.raises(ApiConnectionError) as caught:
            send_message(client)
    assert "proxy" in str(sdk_error(caught.value, ApiConnectionError))
    assert caught.value.attempts == 3 and sleeps == [0.5, 1.0]


# ---------------------------------------------------------------- through a CONNECT tunnel to a TLS origin


@pytest.fixture
def tls(self_signed: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(self_signed / "cert.pem", self_signed / "key.pem")
    return context


def origin_that_reads_then_closes(sock: Any, server: RawServer) -> None:
    head, _ = read_request(sock)
    if head:
        server.record(head)


@pytest.fixture
def tunnel() -> Iterator[RawServer]:
    with RawServer(tunnel_proxy()) as proxy:
        yield proxy


def test_a_post_the_origin_read_through_a_tunnel_is_not_sent_again(
    tls: ssl.SSLContext, self_signed: Path, tunnel: RawServer
):
    sleeps: List[float] = []
    with RawServer(origin_that_reads_then_closes, tls=tls) as origin:
        with proxied(origin.url, tunnel, sleeps, ssl_ca_cert=str(self_signed / "cert.pem")) as client:
            with pytest.raises(ApiProtocolError) as caught:
                send_message(client)

    assert not isinstance(sdk_error(caught.value, ApiProtocolError), ApiConnectionError)
    assert caught.value.attempts == 1 and sleeps == []
    assert len(origin.requests) == 1  # once, not three times
    assert origin.requests[0].startswith(b"POST /v2/open-platform/conversations/conv-1/messages")
    assert tunnel.requests[0].startswith(b"CONNECT 127.0.0.1:%d" % origin.port)


def test_a_refused_tunnel_sent_nothing_and_a_post_is_retried(tls: ssl.SSLContext, self_signed: Path):
    sleeps: List[float] = []
    with RawServer(origin_that_reads_then_closes, tls=tls) as origin, RawServer(tunnel_proxy(refuse=403)) as proxy:
        with proxied(origin.url, proxy, sleeps, ssl_ca_cert=str(self_signed / "cert.pem")) as client:
            with pytest.raises(ApiConnectionError) as caught:
                send_message(client)
    assert "403" in str(sdk_error(caught.value, ApiConnectionError))
    assert caught.value.attempts == 3 and len(proxy.requests) == 3
    assert origin.requests == []


def test_a_working_tunnel_carries_the_call(tls: ssl.SSLContext, self_signed: Path, tunnel: RawServer):
    mock = MockKenarServer()
    mock._httpd.socket = tls.wrap_socket(mock._httpd.socket, server_side=True)
    sleeps: List[float] = []
    with mock:
        host = mock.url.replace("http://", "https://")
        with proxied(host, tunnel, sleeps, ssl_ca_cert=str(self_signed / "cert.pem")) as client:
            assert FinderApi(client).finder_get_post("tok").token == "sample-token"
            assert send_message(client) is not None
        assert len(mock.requests) == 2
