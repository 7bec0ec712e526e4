"""Secrets never leak, and TLS is verified unless turned off (loudly)."""

from __future__ import annotations

import http.client
import logging
import ssl
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest
from fault_helpers import sdk_error

from kenar_api_client import rest
from kenar_api_client.api.chat_api_api import ChatAPIApi
from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api.post_api import PostApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import Configuration
from kenar_api_client.exceptions import ApiTLSError, OpenApiException
from kenar_api_client.models.chat_api_conversation_send_message_body import ChatAPIConversationSendMessageBody
from kenar_api_client.oauth import OAuthClient
from kenar_api_client.retry import RetryPolicy
from kenar_api_client.testing import MockKenarServer

# each has a marker that appears nowhere else, so a partial leak is caught too
API_KEY = "apikey-5ECRET1-0a1b2c3d4e5f"
ACCESS_TOKEN = "token-5ECRET2-9f8e7d6c5b4a"
CLIENT_SECRET = "oauth-5ECRET3-112233445566"
MARKERS = ("5ECRET1", "5ECRET2", "5ECRET3")
LOGGERS = ("", "kenar_api_client", "urllib3")


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def root_handler() -> Iterator[Collect]:
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    handler = Collect()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():  # Configuration.debug sets levels on shared loggers
            logging.getLogger(name).setLevel(level)


def test_secrets_never_appear_in_reprs_errors_logs_or_output(
    server: MockKenarServer, root_handler: Collect, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
):
    caplog.set_level(logging.DEBUG)
    config = server.configuration(api_key=API_KEY, access_token=ACCESS_TOKEN)
    config.debug = True
    config.retries = RetryPolicy(sleep=lambda seconds: None)
    texts: List[str] = []
    errors: List[BaseException] = []

    def keep(*objects: Any) -> None:
        for obj in objects:
            texts.extend((repr(obj), str(obj)))

    def expect_error(call: Callable[[], Any]) -> None:
        try:
            call()
        except Exception as error:
            errors.append(error)
            texts.append("".join(traceback.format_exception(type(error), error, error.__traceback__)))
        else:
            raise AssertionError("expected an error")

    with ApiClient(config) as client:
        finder, posts, chat = FinderApi(client), PostApi(client), ChatAPIApi(client)
        keep(config, client, config.api_key, config.auth_settings().keys(), client.rest_client)

        # answers
        from kenar_api_client._op_table import OPERATIONS

        prepared = client.build_request(OPERATIONS["post_get_user_post"], ("tok",))
        keep(prepared, client.send(prepared))
        keep(finder.finder_get_post("tok"), finder.finder_get_post_with_http_info("tok"))
        keep(posts.post_get_user_post_with_http_info("tok"))
        raw = posts.post_get_user_post_without_preload_content("tok")
        raw.read()
        server.respond("finder_get_post", status=503)
        keep(finder.finder_get_post("tok"))  # retried: logged

        # status errors
        message = ChatAPIConversationSendMessageBody(message="m")
        for status, headers in [(503, {}), (401, {}), (403, {}), (429, {"Retry-After": "600"})]:
            server.respond("chat_api_conversation_send_message", status=status, headers=headers)
            expect_error(lambda: chat.chat_api_conversation_send_message("c", message))
        # transport and decoding errors
        for fault in ("reset", "truncate", "malformed"):
            server.respond("post_get_user_post", fault=fault, times=3)
            expect_error(lambda: posts.post_get_user_post("tok"))
        server.respond("post_get_user_post", fault="hang")
        expect_error(lambda: posts.post_get_user_post("tok", _request_timeout=0.2))
        server.respond("finder_get_post", body="<html/>", headers={"Content-Type": "text/html"})
        expect_error(lambda: finder.finder_get_post("tok"))
        # refused before sending
        expect_error(lambda: finder.finder_get_post("tok", _headers={"X-Trace": "a\r\nb"}))
        expect_error(lambda: finder.finder_get_post(123))  # type: ignore[arg-type]
        expect_error(lambda: chat.chat_api_conversation_send_message("c", {"message": 5}))  # type: ignore[arg-type]
        expect_error(lambda: finder.finder_get_post("tok", _request_timeout=-1))

    # nothing listening
    refused = Configuration(host="http://127.0.0.1:1")
    refused.api_key["APIKey"] = API_KEY
    refused.access_token = ACCESS_TOKEN
    refused.retries = RetryPolicy(sleep=lambda seconds: None)
    with ApiClient(refused) as refused_client:
        expect_error(lambda: PostApi(refused_client).post_get_user_post("tok"))

    oauth = OAuthClient("my-app", CLIENT_SECRET, "https://app.example/callback")
    keep(oauth, config.to_debug_report(), refused.to_debug_report())
    output = capfd.readouterr()

    everything = "\n".join(
        texts + [repr(e) for e in errors] + root_handler.lines + [caplog.text, output.out, output.err]
    )
    for marker in MARKERS:
        assert marker not in everything, f"a secret ({marker}) leaked"

    # the test saw what it meant to see: secrets in play, errors raised, debug logs written
    assert server.requests and all(r.headers["X-API-Key"] == API_KEY for r in server.requests)
    assert any(r.headers.get("Authorization") == "Bearer " + ACCESS_TOKEN for r in server.requests)
    assert len(errors) == 14 and all(isinstance(e, (OpenApiException, ValueError, TypeError)) for e in errors)
    assert any("'X-API-Key': '***'" in line and "'Authorization': '***'" in line for line in root_handler.lines)
    assert any(" DEBUG retry 1 of GET" in line for line in root_handler.lines)
    assert any(line.startswith("urllib3") for line in root_handler.lines)  # its debug logging was on too
    assert http.client.HTTPConnection.debuglevel == 0  # no wire printing of headers to stdout


def test_debug_flag_does_not_turn_on_wire_printing(server: MockKenarServer, root_handler: Collect, capfd):
    config = server.configuration(api_key=API_KEY, access_token=ACCESS_TOKEN)
    config.debug = True
    with ApiClient(config) as client:
        PostApi(client).post_get_user_post("tok")
    output = capfd.readouterr()
    assert "send:" not in output.out and "header:" not in output.out
    assert API_KEY not in output.out + output.err
    assert logging.getLogger("kenar_api_client").isEnabledFor(logging.DEBUG)


def test_debug_report_and_config_repr_say_whether_credentials_are_set():
    config = Configuration()
    config.api_key["APIKey"] = API_KEY
    config.access_token = ACCESS_TOKEN
    report = config.to_debug_report()
    assert "API key set: yes" in report and "Access token set: yes" in report
    assert "api_key=***" in repr(config) and "access_token=***" in repr(config)
    assert API_KEY not in report + repr(config) + str(config.api_key) + repr(ApiClient(config))


# ---------------------------------------------------------------- TLS


def test_tls_verification_is_on_by_default():
    config = Configuration()
    assert config.verify_ssl is True
    client = ApiClient(config)
    assert client.rest_client.pool_manager.connection_pool_kw["cert_reqs"] == ssl.CERT_REQUIRED


@pytest.fixture
def tls_server(self_signed: Path) -> Iterator[MockKenarServer]:
    mock = MockKenarServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(self_signed / "cert.pem", self_signed / "key.pem")
    mock._httpd.socket = context.wrap_socket(mock._httpd.socket, server_side=True)
    with mock:
        yield mock


def tls_config(server: MockKenarServer, **settings: Any) -> Configuration:
    config = server.configuration()
    config.host = server.url.replace("http://", "https://")
    config.retries = RetryPolicy(sleep=lambda seconds: None)
    for name, value in settings.items():
        setattr(config, name, value)
    return config


def test_an_untrusted_certificate_is_refused_and_nothing_is_sent(tls_server: MockKenarServer):
    with ApiClient(tls_config(tls_server)) as client:
        with pytest.raises(ApiTLSError) as caught:
            FinderApi(client).finder_get_post("tok")
    assert "CERTIFICATE_VERIFY_FAILED" in str(sdk_error(caught.value, ApiTLSError))
    assert tls_server.requests == []  # the API key never went to the unverified server
    assert caught.value.attempts == 1  # a refused certificate is not retried


def test_a_trusted_certificate_works_with_verification_on(tls_server: MockKenarServer, self_signed: Path):
    with ApiClient(tls_config(tls_server, ssl_ca_cert=str(self_signed / "cert.pem"))) as client:
        assert FinderApi(client).finder_get_post("tok").token == "sample-token"
    assert len(tls_server.requests) == 1


def test_turning_verification_off_works_and_warns_once(tls_server: MockKenarServer, caplog, monkeypatch):
    monkeypatch.setattr(rest, "_TLS_WARNED", type(rest._TLS_WARNED)())  # as if no client had been made yet
    caplog.set_level(logging.WARNING, logger="kenar_api_client")

    for _ in range(3):
        with ApiClient(tls_config(tls_server, verify_ssl=False)) as client:
            assert FinderApi(client).finder_get_post("tok").token == "sample-token"

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "verification is OFF" in r.getMessage()]
    assert len(warnings) == 1
    assert len(tls_server.requests) == 3
