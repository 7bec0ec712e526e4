"""Where requests may go: https://, plain HTTP only to loopback (or on explicit request).

A host without a scheme used to go out as plain HTTP with the API key in
clear; credentials written into the host URL were silently dropped and
showed in repr() and the debug report.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import Configuration
from kenar_api_client.exceptions import ApiValueError
from kenar_api_client.oauth import OAuthClient, OAuthValueError
from kenar_api_client.testing import MockKenarServer

REFUSED = [
    "open-api.divar.ir",
    "open-api.divar.ir/v1",
    "//open-api.divar.ir",
    "ftp://open-api.divar.ir",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "http://open-api.divar.ir",
    "http://10.0.0.1:8080",
    "http://0.0.0.0:8080",
    "https://",
    "https://host:notaport",
]


@pytest.mark.parametrize("host", REFUSED)
def test_a_host_that_is_not_https_is_refused_at_configuration_time(host: str):
    with pytest.raises(ApiValueError, match="host"):
        Configuration(host=host)
    config = Configuration()
    with pytest.raises(ApiValueError, match="host"):
        config.host = host
    assert config.host == "https://open-api.divar.ir"  # unchanged


def test_the_refusal_says_what_to_do():
    with pytest.raises(ApiValueError) as caught:
        Configuration(host="open-api.divar.ir")
    assert "https://" in str(caught.value) and "plain HTTP" in str(caught.value)
    with pytest.raises(ApiValueError) as caught:
        Configuration(host="http://open-api.divar.ir")
    assert "allow_insecure_http=True" in str(caught.value)


@pytest.mark.parametrize(
    "host",
    ["http://127.0.0.1:8080", "http://127.8.9.10", "http://[::1]:8080", "http://localhost:1", "http://LOCALHOST"],
)
def test_plain_http_to_loopback_is_accepted_quietly(host: str, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="kenar_api_client")
    assert Configuration(host=host).host == host
    assert caplog.records == []


def test_plain_http_elsewhere_needs_the_opt_in_and_warns(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="kenar_api_client")
    config = Configuration(host="http://10.0.0.1:8080", allow_insecure_http=True)
    assert config.host == "http://10.0.0.1:8080" and config.allow_insecure_http is True
    assert any("plain HTTP to 10.0.0.1:8080" in r.getMessage() for r in caplog.records)
    config.host = "http://kenar.internal"  # the setter honours the opt-in too
    assert config.host == "http://kenar.internal"


def test_https_hosts_are_accepted():
    for host in ("https://open-api.divar.ir", "HTTPS://open-api.divar.ir", "https://10.0.0.1:8443/prefix"):
        assert Configuration(host=host).host == host


@pytest.mark.parametrize("host", ["https://user:s3cret-pw@open-api.divar.ir", "https://s3cret-pw@open-api.divar.ir"])
def test_credentials_in_the_host_are_refused_without_repeating_them(host: str):
    with pytest.raises(ApiValueError) as caught:
        Configuration(host=host)
    assert "credentials" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value) and "s3cret-pw" not in repr(caught.value)


def test_credentials_that_reach_the_host_some_other_way_are_redacted():
    config = Configuration()
    config._base_path = "https://user:s3cret-pw@open-api.divar.ir"  # e.g. a subclass or an old pickle
    config.server_index = None
    shown = [repr(config), str(config), config.to_debug_report(), repr(ApiClient(config)), str(ApiClient(config))]
    for text in shown:
        assert "s3cret-pw" not in text and "user" not in text
        assert "***@open-api.divar.ir" in text


def test_the_mock_server_configuration_still_works(server: MockKenarServer, client: Any):
    assert server.configuration().host.startswith("http://127.0.0.1:")
    assert FinderApi(client).finder_get_post("tok").token == "sample-token"


def test_the_oauth_endpoints_follow_the_same_rule():
    with pytest.raises(OAuthValueError, match="plain HTTP"):
        OAuthClient("app", "secret", "https://example.com/cb", token_url="http://oauth.example.com/token")
    OAuthClient("app", "secret", "https://example.com/cb", token_url="http://127.0.0.1:9/token")
    insecure = Configuration(allow_insecure_http=True)
    OAuthClient(
        "app", "secret", "https://example.com/cb", token_url="http://oauth.internal/token", configuration=insecure
    )
