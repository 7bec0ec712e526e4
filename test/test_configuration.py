"""Configuration: the official attributes and methods, our additions, and no secrets in output."""

from __future__ import annotations

import copy
import inspect
import logging
import time
from pathlib import Path

import pytest

import kenar_api_client
from kenar_api_client import ApiClient, Configuration
from kenar_api_client.exceptions import ApiReadTimeoutError, ApiValueError
from kenar_api_client.testing import MockKenarServer

KEY = "k3y-SECRET-value"
TOKEN = "t0ken-SECRET-value"

OFFICIAL_ATTRIBUTES = [
    "host",
    "api_key",
    "api_key_prefix",
    "access_token",
    "refresh_api_key_hook",
    "verify_ssl",
    "ssl_ca_cert",
    "ca_cert_data",
    "cert_file",
    "key_file",
    "assert_hostname",
    "tls_server_name",
    "connection_pool_maxsize",
    "proxy",
    "proxy_headers",
    "safe_chars_for_path_param",
    "retries",
    "socket_options",
    "client_side_validation",
    "datetime_format",
    "date_format",
    "logger",
    "logger_file",
    "logger_format",
    "debug",
]
OFFICIAL_METHODS = [
    "get_default",
    "set_default",
    "get_default_copy",
    "get_api_key_with_prefix",
    "auth_settings",
    "to_debug_report",
    "get_host_settings",
    "get_host_from_settings",
]


def test_signature_is_the_official_one() -> None:
    params = inspect.signature(Configuration).parameters
    assert list(params) == [
        "host",
        "api_key",
        "api_key_prefix",
        "username",
        "password",
        "access_token",
        "server_index",
        "server_variables",
        "server_operation_index",
        "server_operation_variables",
        "ignore_operation_servers",
        "ssl_ca_cert",
        "retries",
        "ca_cert_data",
        "debug",
        "allow_insecure_http",
    ]
    assert params["debug"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["allow_insecure_http"].kind is inspect.Parameter.KEYWORD_ONLY
    assert all(p.default in (None, False) for p in params.values())


def test_official_attributes_and_defaults() -> None:
    config = Configuration()
    for name in OFFICIAL_ATTRIBUTES:
        assert hasattr(config, name), name
    for name in OFFICIAL_METHODS:
        assert callable(getattr(config, name)), name
    assert config.host == "https://open-api.divar.ir"
    assert config.api_key == {} and config.api_key_prefix == {}
    assert config.access_token is None and config.refresh_api_key_hook is None
    assert config.verify_ssl is True
    assert config.ssl_ca_cert is None and config.ca_cert_data is None
    assert config.cert_file is None and config.key_file is None
    assert config.assert_hostname is None and config.tls_server_name is None
    assert isinstance(config.connection_pool_maxsize, int) and config.connection_pool_maxsize > 0
    assert config.proxy is None and config.proxy_headers is None
    assert config.safe_chars_for_path_param == ""
    assert config.socket_options is None
    assert config.client_side_validation is True
    assert config.datetime_format == "%Y-%m-%dT%H:%M:%S.%f%z"
    assert config.date_format == "%Y-%m-%d"
    assert set(config.logger) == {"package_logger", "urllib3_logger"}
    assert config.logger_file is None
    assert config.debug is False
    assert isinstance(config.logger_format, str)


def test_constructor_arguments() -> None:
    config = Configuration(
        host="http://127.0.0.1:8080",
        api_key={"APIKey": KEY},
        api_key_prefix={"APIKey": "Key"},
        access_token=TOKEN,
        ssl_ca_cert="/tmp/ca.pem",
        retries=5,
        ca_cert_data="-----BEGIN CERTIFICATE-----",
    )
    assert config.host == "http://127.0.0.1:8080"
    assert config.api_key["APIKey"] == KEY
    assert config.get_api_key_with_prefix("APIKey") == "Key " + KEY
    assert config.access_token == TOKEN
    assert (config.ssl_ca_cert, config.retries, config.ca_cert_data) == (
        "/tmp/ca.pem",
        5,
        "-----BEGIN CERTIFICATE-----",
    )
    config.host = "http://127.0.0.1:9090"
    assert config.host == "http://127.0.0.1:9090"


def test_api_key_prefix_alias_and_refresh_hook() -> None:
    config = Configuration()
    assert config.get_api_key_with_prefix("APIKey") is None
    calls = []

    def hook(conf: Configuration) -> None:
        calls.append(conf)
        conf.api_key["APIKey"] = "fresh-key"

    config.refresh_api_key_hook = hook
    assert config.get_api_key_with_prefix("APIKey") == "fresh-key"
    assert calls == [config]
    config.refresh_api_key_hook = None
    with pytest.warns(UserWarning, match="not an API-key scheme"):  # auth_settings never sends it
        config.api_key = {"other": "v"}
    assert config.get_api_key_with_prefix("APIKey", alias="other") == "v"


def test_auth_settings() -> None:
    config = Configuration()
    assert config.auth_settings() == {}
    config.api_key["APIKey"] = KEY
    config.access_token = TOKEN
    assert config.auth_settings() == {
        "APIKey": {"type": "api_key", "in": "header", "key": "X-API-Key", "value": KEY},
        "OAuth": {"type": "oauth2", "in": "header", "key": "Authorization", "value": "Bearer " + TOKEN},
    }
    config.api_key_prefix["APIKey"] = "Token"
    assert config.auth_settings()["APIKey"]["value"] == "Token " + KEY


def test_hosts() -> None:
    config = Configuration()
    assert config.get_host_settings()[0]["url"] == "https://open-api.divar.ir"
    assert config.get_host_from_settings(0) == "https://open-api.divar.ir"
    assert config.get_host_from_settings(None) == "https://open-api.divar.ir"
    with pytest.raises(ValueError, match="Invalid index 3"):
        config.get_host_from_settings(3)
    servers = [
        {
            "url": "https://{region}.example/{v}",
            "variables": {
                "region": {"default_value": "eu", "enum_values": ["eu", "us"]},
                "v": {"default_value": "v1"},
            },
        }
    ]
    assert config.get_host_from_settings(0, servers=servers) == "https://eu.example/v1"
    assert config.get_host_from_settings(0, {"region": "us", "v": "v2"}, servers) == "https://us.example/v2"
    with pytest.raises(ValueError, match="region"):
        config.get_host_from_settings(0, {"region": "mars"}, servers)
    custom = Configuration(host="http://localhost:1")
    assert custom.get_host_from_settings(None) == "http://localhost:1"
    assert custom.host == "http://localhost:1"


def test_default_configuration_and_client() -> None:
    saved_config, saved_client = Configuration._default, ApiClient._default
    try:
        Configuration.set_default(None)
        first = Configuration.get_default()
        assert Configuration.get_default() is first
        assert Configuration.get_default_copy().host == first.host
        mine = Configuration(host="http://127.0.0.1:1")
        Configuration.set_default(mine)
        assert Configuration.get_default() is mine
        with ApiClient() as client:
            assert client.configuration is mine
        ApiClient.set_default(None)
        assert ApiClient.get_default() is ApiClient.get_default()
        assert ApiClient.get_default().configuration is mine
    finally:
        Configuration.set_default(saved_config)
        ApiClient.set_default(saved_client)


def test_timeout_default_and_validation() -> None:
    config = Configuration()
    assert config.timeout == (10.0, 60.0)
    config.timeout = 5
    assert config.timeout == (5.0, 5.0)
    config.timeout = (1.5, 30)
    assert config.timeout == (1.5, 30.0)
    config.timeout = None
    assert config.timeout is None
    for bad in (0, -1, "10", True, (1,), (1, 2, 3), (0, 5), (5, None), [1, "x"]):
        with pytest.raises(ApiValueError, match="timeout"):
            config.timeout = bad  # type: ignore[assignment]
    assert config.timeout is None  # a refused value changes nothing


def test_the_configured_timeout_applies_to_every_request() -> None:
    with MockKenarServer() as server:
        config = server.configuration()
        config.retries = 0
        config.timeout = 0.2
        server.respond("assets_get_cities", json={}, delay=2.0)
        started = time.monotonic()
        with ApiClient(config) as client:
            with pytest.raises(ApiReadTimeoutError):
                kenar_api_client.AssetsApi(client).assets_get_cities()
        assert time.monotonic() - started < 1.5


def test_explicit_none_request_timeout_means_no_timeout() -> None:
    with MockKenarServer() as server:
        config = server.configuration()
        config.retries = 0
        config.timeout = 0.1
        server.respond("assets_get_cities", json={"cities": []}, delay=0.4)
        with ApiClient(config) as client:
            cities = kenar_api_client.AssetsApi(client).assets_get_cities(_request_timeout=None)
        assert cities.to_dict() == {"cities": []}


def test_from_env() -> None:
    config = Configuration.from_env({"KENAR_API_KEY": KEY, "KENAR_ACCESS_TOKEN": TOKEN, "KENAR_HOST": "https://h:1"})
    assert (config.api_key["APIKey"], config.access_token, config.host) == (KEY, TOKEN, "https://h:1")
    empty = Configuration.from_env({}, require_api_key=False)
    assert (empty.api_key, empty.access_token, empty.host) == ({}, None, "https://open-api.divar.ir")
    assert empty.timeout == (10.0, 60.0)


def test_from_env_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KENAR_API_KEY", KEY)
    monkeypatch.setenv("KENAR_ACCESS_TOKEN", TOKEN)
    monkeypatch.delenv("KENAR_HOST", raising=False)
    config = Configuration.from_env()
    assert config.auth_settings()["APIKey"]["value"] == KEY
    assert config.auth_settings()["OAuth"]["value"] == "Bearer " + TOKEN
    assert config.host == "https://open-api.divar.ir"


def test_secrets_are_never_printed() -> None:
    config = Configuration(host="http://127.0.0.1:1", api_key={"APIKey": KEY}, access_token=TOKEN)
    config.password = "pa55-SECRET"
    texts = [repr(config), str(config), config.to_debug_report(), repr(config.api_key), str(config.api_key)]
    client = ApiClient(config)
    try:
        texts.append(repr(client))
    finally:
        client.close()
    for text in texts:
        assert "SECRET" not in text, text
    report = config.to_debug_report()
    assert "Python" in report and kenar_api_client.__version__ in report and "http://127.0.0.1:1" in report
    # the values themselves are still there for the SDK to use
    assert config.api_key["APIKey"] == KEY and dict(config.api_key) == {"APIKey": KEY}


def test_deepcopy_is_independent() -> None:
    config = Configuration(api_key={"APIKey": KEY}, access_token=TOKEN)
    config.timeout = 3
    clone = copy.deepcopy(config)
    clone.api_key["APIKey"] = "other"
    clone.timeout = 4
    assert config.api_key["APIKey"] == KEY and config.timeout == (3.0, 3.0)
    assert clone.access_token == TOKEN and clone.logger is config.logger


def test_debug_and_logger_file(tmp_path: Path) -> None:
    config = Configuration()
    package_logger = config.logger["package_logger"]
    saved_level = package_logger.level
    try:
        config.debug = True
        assert config.debug is True and package_logger.level == logging.DEBUG
        config.debug = False
        assert package_logger.level == logging.WARNING
        path = tmp_path / "kenar.log"
        config.logger_file = str(path)
        assert config.logger_file == str(path)
        package_logger.warning("hello %s", "file")
        config.logger_file_handler.flush()  # type: ignore[union-attr]
        assert "hello file" in path.read_text(encoding="utf-8")
    finally:
        handler = config.logger_file_handler
        if handler is not None:
            for logger in config.logger.values():
                logger.removeHandler(handler)
            handler.close()
        package_logger.setLevel(saved_level)
        config.logger["urllib3_logger"].setLevel(logging.NOTSET)
    assert Configuration(debug=True).debug is True
    package_logger.setLevel(saved_level)
    config.logger["urllib3_logger"].setLevel(logging.NOTSET)
