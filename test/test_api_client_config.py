"""The pieces of Configuration the pipeline relies on: the TokenSource protocol, the shared default, redaction."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Iterator, List, Optional

import pytest

from kenar_api_client._redact import REDACTED, mask, redact_headers
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import Configuration, TokenSource
from kenar_api_client.oauth import OAuthClient, OAuthToken
from kenar_api_client.testing import MockKenarServer


def test_oauth_token_source_satisfies_the_protocol() -> None:
    with OAuthClient("id", "secret", "http://127.0.0.1/cb") as client:
        source = client.token_source(OAuthToken("at"))
        assert isinstance(source, TokenSource)
        config = Configuration()
        config.token_source = source
        assert config.auth_settings()["OAuth"]["value"] == "Bearer at"


def test_a_hand_written_token_source_works_and_others_are_told_apart() -> None:
    class Fixed:
        def get_access_token(self) -> Optional[str]:
            return "fixed"

        def refresh_after_unauthorized(self, rejected_token: str) -> bool:
            return False

    assert isinstance(Fixed(), TokenSource)
    assert not isinstance(object(), TokenSource)
    assert not isinstance("a token", TokenSource)


def test_a_token_source_that_has_no_token_sends_no_authorization() -> None:
    class Empty:
        def get_access_token(self) -> Optional[str]:
            return None

        def refresh_after_unauthorized(self, rejected_token: str) -> bool:
            return False

    with MockKenarServer(validate=False) as server, server.api_client() as client:
        client.configuration.token_source = Empty()
        from kenar_api_client.api.post_api import PostApi

        PostApi(client).post_get_user_post("t")
        assert "Authorization" not in server.last_request.headers
        assert "OAuth" not in client.configuration.auth_settings()


@pytest.fixture
def fresh_defaults() -> Iterator[None]:
    saved_config, saved_client = Configuration._default, ApiClient._default
    Configuration.set_default(None)
    ApiClient.set_default(None)
    try:
        yield
    finally:
        Configuration.set_default(saved_config)
        ApiClient.set_default(saved_client)


def test_configuration_default_is_created_once_under_threads(
    fresh_defaults: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """32 threads ask at once while construction is slow: one instance, built once."""
    original = Configuration.__init__
    built: List[int] = []

    def slow_init(self: Configuration, *args: Any, **kwargs: Any) -> None:
        built.append(1)
        time.sleep(0.02)  # widens the window in which a second thread would also see no default
        original(self, *args, **kwargs)

    monkeypatch.setattr(Configuration, "__init__", slow_init)
    barrier = threading.Barrier(32)
    seen: List[Configuration] = []

    def ask() -> None:
        barrier.wait()
        seen.append(Configuration.get_default())

    threads = [threading.Thread(target=ask) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(seen) == 32
    assert len({id(config) for config in seen}) == 1
    assert built == [1]


def test_api_client_default_is_created_once_under_threads(fresh_defaults: None) -> None:
    barrier = threading.Barrier(16)
    seen: List[ApiClient] = []

    def ask() -> None:
        barrier.wait()
        seen.append(ApiClient.get_default())

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len({id(client) for client in seen}) == 1 and len(seen) == 16
    assert seen[0].configuration is Configuration.get_default()


# ---------------------------------------------------------------- one placeholder for secrets


def test_one_placeholder_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    config = Configuration(host="http://127.0.0.1:9", api_key={"APIKey": "key-Zx81"}, access_token="tok-Qw93")
    assert f"api_key={REDACTED}" in repr(config) and f"access_token={REDACTED}" in repr(config)
    assert repr(config.api_key) == f"{{'APIKey': {REDACTED!r}}}"
    assert mask(None) == "<unset>" and mask("") == "<unset>" and mask("x") == REDACTED
    headers = {"X-API-Key": "key-Zx81", "authorization": "Bearer tok-Qw93", "Cookie": "c", "Accept": "a"}
    assert redact_headers(headers) == {
        "X-API-Key": REDACTED,
        "authorization": REDACTED,
        "Cookie": REDACTED,
        "Accept": "a",
    }

    with ApiClient(config) as client:
        from kenar_api_client._op_table import OPERATIONS

        prepared = client.build_request(OPERATIONS["post_get_user_post"], ("t",))
        text = repr(prepared)
        assert f"'X-API-Key': {REDACTED!r}" in text and f"'Authorization': {REDACTED!r}" in text
        assert "key-Zx81" not in text and "tok-Qw93" not in text
        for secret in ("key-Zx81", "tok-Qw93"):
            assert secret not in repr(client) and secret not in str(config) and secret not in config.to_debug_report()

    caplog.set_level(logging.DEBUG, logger="kenar_api_client")
    with MockKenarServer() as server, server.api_client(api_key="key-Zx81", access_token="tok-Qw93") as client:
        from kenar_api_client.api.post_api import PostApi

        PostApi(client).post_get_user_post("t")
    lines = "\n".join(record.getMessage() for record in caplog.records)
    assert f"'X-API-Key': {REDACTED!r}" in lines
    assert "key-Zx81" not in lines and "tok-Qw93" not in lines
