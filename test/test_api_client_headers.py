"""Headers on the wire: checked per RFC 9110 before sending, merged case-insensitively, sent once.

A raw loopback server records the exact bytes of each request head, so the
tests see duplicates and stray characters that a parsed header mapping would hide.
"""

from __future__ import annotations

import socket
import threading
from typing import Any, Dict, Iterator, List

import pytest

from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api.post_api import PostApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import Configuration
from kenar_api_client.exceptions import ApiValueError

API_KEY = "api-key-Qm39Vx"
TOKEN = "access-token-Lw72Pz"
ANSWER = b'{"token": "t"}'


class RawServer:
    """Answers every request with 200 and ``ANSWER``; keeps each request head as raw lines."""

    def __init__(self) -> None:
        self.heads: List[List[bytes]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if self._stop.is_set():
                conn.close()
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.split(b"\r\n")
                self.heads.append(lines)
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                while len(buffer) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                buffer = buffer[length:]
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + b"Content-Length: "
                    + str(len(ANSWER)).encode()
                    + b"\r\n\r\n"
                    + ANSWER
                )

    def header_lines(self, index: int = -1) -> List[bytes]:
        return self.heads[index][1:]

    def values(self, name: str, index: int = -1) -> List[bytes]:
        wanted = name.lower().encode()
        return [
            line.partition(b":")[2].strip()
            for line in self.header_lines(index)
            if line.partition(b":")[0].strip().lower() == wanted
        ]

    def close(self) -> None:
        self._stop.set()
        with socket.create_connection(self._sock.getsockname()[:2], timeout=2):
            pass  # wakes the accept() above
        self._thread.join(timeout=2)
        self._sock.close()


@pytest.fixture
def raw() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.close()


@pytest.fixture
def client(raw: RawServer) -> Iterator[ApiClient]:
    config = Configuration(host=raw.url, api_key={"APIKey": API_KEY}, access_token=TOKEN)
    config.retries = 0
    with ApiClient(config) as api_client:
        yield api_client


# ---------------------------------------------------------------- sent once, in any letter case


@pytest.mark.parametrize("name", ["x-api-key", "X-API-KEY", "X-Api-Key"])
def test_a_caller_api_key_header_in_another_case_is_sent_once(raw: RawServer, client: ApiClient, name: str) -> None:
    FinderApi(client).finder_get_post("t", _headers={name: "from-headers"})
    assert raw.values("X-API-Key") == [API_KEY.encode()]  # the configured credential wins, as before, once


@pytest.mark.parametrize("name", ["authorization", "AUTHORIZATION"])
def test_a_caller_authorization_header_in_another_case_is_sent_once(
    raw: RawServer, client: ApiClient, name: str
) -> None:
    PostApi(client).post_get_user_post("t", _headers={name: "Bearer mine"})
    assert raw.values("Authorization") == [b"Bearer " + TOKEN.encode()]


def test_without_a_configured_credential_the_callers_header_is_sent_once(raw: RawServer) -> None:
    config = Configuration(host=raw.url)
    with ApiClient(config) as client:
        FinderApi(client).finder_get_post("t", _headers={"x-api-key": "mine"})
    assert raw.values("X-API-Key") == [b"mine"]


@pytest.mark.parametrize(
    ("headers", "name", "expected"),
    [
        ({"accept": "application/json; v=2"}, "Accept", b"application/json; v=2"),
        ({"user-agent": "my-app/2"}, "User-Agent", b"my-app/2"),
        ({"content-type": "application/json; charset=utf-8"}, "Content-Type", b"application/json; charset=utf-8"),
        ({"X-A": "1", "x-a": "2"}, "X-A", b"2"),
    ],
)
def test_a_callers_header_replaces_ours_once(
    raw: RawServer, client: ApiClient, headers: Dict[str, str], name: str, expected: bytes
) -> None:
    from kenar_api_client.api.events_api import EventsApi
    from kenar_api_client.models import EventsRegisterEventSubscriptionRequest

    EventsApi(client).events_register_event_subscription(
        EventsRegisterEventSubscriptionRequest(event_resource_id="r"), _headers=headers
    )
    assert raw.values(name) == [expected]


def test_default_headers_in_another_case_replace_ours_once(raw: RawServer, client: ApiClient) -> None:
    client.set_default_header("user-agent", "my-app/3")
    client.set_default_header("ACCEPT", "application/json")
    FinderApi(client).finder_get_post("t")
    assert raw.values("User-Agent") == [b"my-app/3"]
    assert raw.values("Accept") == [b"application/json"]


def test_request_auth_in_another_case_is_sent_once(raw: RawServer, client: ApiClient) -> None:
    auth = {"in": "header", "type": "api_key", "key": "x-api-key", "value": "other-key"}
    FinderApi(client).finder_get_post("t", _request_auth=auth)
    assert raw.values("X-API-Key") == [b"other-key"]


def test_low_level_path_sends_each_header_once(raw: RawServer, client: ApiClient) -> None:
    method, url, headers, body, post = client.param_serialize(
        "GET",
        "/v1/open-platform/finder/post/{token}",
        path_params={"token": "t"},
        header_params={"accept": "application/json", "x-api-key": "from-params"},
        auth_settings=["APIKey"],
    )
    client.call_api(method, url, headers, body, post)
    assert raw.values("X-API-Key") == [API_KEY.encode()]
    assert raw.values("Accept") == [b"application/json"]


# ---------------------------------------------------------------- refused before anything is sent

BAD_NAMES = ["X Trace", "X-Trace:", "X-Trace\x00", "", "Ünï", "X(a)", "X-Trace\r\nX-Injected", "X\tY", "@"]
BAD_VALUES = [
    ("a\x00b", "U+0000"),
    ("a\x01b", "U+0001"),
    ("a\x1fb", "U+001F"),
    ("a\x7fb", "U+007F"),
    ("a\x0bb", "U+000B"),
    ("a\rb", "CR/LF"),
    ("a\nb", "CR/LF"),
    ("a\u2028b", "Latin-1"),
    ("تهران", "Latin-1"),
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_invalid_header_names_are_refused(raw: RawServer, client: ApiClient, name: str) -> None:
    with pytest.raises(ApiValueError, match="refusing to send it"):
        FinderApi(client).finder_get_post("t", _headers={name: "v"})
    assert raw.heads == []


@pytest.mark.parametrize(("value", "said"), BAD_VALUES, ids=repr)
def test_invalid_header_values_are_refused_without_the_value(
    raw: RawServer, client: ApiClient, value: str, said: str
) -> None:
    secret = "s3cr3t-" + value
    with pytest.raises(ApiValueError) as caught:
        FinderApi(client).finder_get_post("t", _headers={"X-Trace": secret})
    text = str(caught.value)
    assert "X-Trace" in text and said in text and "s3cr3t" not in text
    assert raw.heads == []


def test_tab_and_latin1_values_are_sent(raw: RawServer, client: ApiClient) -> None:
    FinderApi(client).finder_get_post("t", _headers={"X-Trace": "a\tb", "X-Name": "caf\u00e9"})
    assert raw.values("X-Trace") == [b"a\tb"]
    assert raw.values("X-Name") == ["caf\u00e9".encode("latin-1")]


@pytest.mark.parametrize("where", ["default", "request_auth", "cookie", "content_type"])
def test_every_header_source_is_checked(raw: RawServer, raw_client_factory: Any, where: str) -> None:
    client = raw_client_factory(where)
    kwargs: Dict[str, Any] = {}
    if where == "request_auth":
        kwargs["_request_auth"] = {"in": "header", "type": "api_key", "key": "X-API-Key", "value": "k\x00"}
    if where == "content_type":
        kwargs["_content_type"] = "application/json\x00"
    with pytest.raises(ApiValueError, match="U\\+0000"):
        FinderApi(client).finder_get_post("t", **kwargs)
    assert raw.heads == []


@pytest.fixture
def raw_client_factory(raw: RawServer) -> Iterator[Any]:
    made: List[ApiClient] = []

    def make(where: str) -> ApiClient:
        config = Configuration(host=raw.url, api_key={"APIKey": API_KEY}, access_token=TOKEN)
        client = ApiClient(config, cookie="a=b\x00" if where == "cookie" else None)
        if where == "default":
            client.set_default_header("X-App", "v\x00")
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


# ---------------------------------------------------------------- credentials that cannot be sent


@pytest.mark.parametrize("key", ["ключ-API", "کلید", "key\u2603"])
def test_a_non_latin1_api_key_is_refused_without_the_key(raw: RawServer, key: str) -> None:
    config = Configuration(host=raw.url, api_key={"APIKey": key})
    with ApiClient(config) as client, pytest.raises(ApiValueError) as caught:
        FinderApi(client).finder_get_post("t")
    text = str(caught.value)
    assert "X-API-Key" in text and "Latin-1" in text
    assert key not in text and key not in repr(caught.value.args)
    assert not isinstance(caught.value, UnicodeError)
    assert raw.heads == []


def test_a_non_latin1_access_token_is_refused_without_the_token(raw: RawServer) -> None:
    token = "توکن-" + TOKEN
    config = Configuration(host=raw.url, api_key={"APIKey": API_KEY}, access_token=token)
    with ApiClient(config) as client, pytest.raises(ApiValueError) as caught:
        PostApi(client).post_get_user_post("t")
    assert "Authorization" in str(caught.value) and token not in str(caught.value)
    assert raw.heads == []


@pytest.mark.parametrize("value", ["v\r\nX-Injected: 1", "v\n", "v\x00"])
def test_call_api_refuses_bad_header_values_without_quoting_them(raw: RawServer, client: ApiClient, value: str) -> None:
    secret = "s3cr3t-" + value
    with pytest.raises(ApiValueError) as caught:
        client.call_api("GET", raw.url + "/v1/open-platform/finder/post/t", {"X-API-Key": secret})
    assert "X-API-Key" in str(caught.value) and "s3cr3t" not in str(caught.value)
    assert raw.heads == []


@pytest.mark.parametrize("url_tail", ["/v1/x?token=s3cr3t\r\nX-Injected: 1", "/v1/x y?token=s3cr3t", "/v1/\x00s3cr3t"])
def test_call_api_refuses_a_url_with_control_characters_without_quoting_it(
    raw: RawServer, client: ApiClient, url_tail: str
) -> None:
    with pytest.raises(ApiValueError) as caught:
        client.call_api("GET", raw.url + url_tail, {})
    assert "URL" in str(caught.value) and "s3cr3t" not in str(caught.value)
    assert raw.heads == []


def test_call_api_refuses_an_invalid_header_name(raw: RawServer, client: ApiClient) -> None:
    with pytest.raises(ApiValueError, match="not a valid header name"):
        client.call_api("GET", raw.url + "/v1/open-platform/finder/post/t", {"X Y": "1"})
    assert raw.heads == []


def test_good_requests_reach_the_raw_server(raw: RawServer, client: ApiClient) -> None:
    """The server above is a real one: what is not refused arrives, with each header once."""
    FinderApi(client).finder_get_post("t", _headers={"X-Trace": "1"})
    names = [line.partition(b":")[0].lower() for line in raw.header_lines()]
    assert len(names) == len(set(names))
    assert raw.heads[0][0] == b"GET /v1/open-platform/finder/post/t HTTP/1.1"
    assert raw.values("X-Trace") == [b"1"] and raw.values("X-API-Key") == [API_KEY.encode()]
