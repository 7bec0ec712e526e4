"""Missing or misplaced credentials are reported, never silently sent as nothing (issue 12 §7)."""

from __future__ import annotations

import warnings

import pytest

import kenar_api_client
from kenar_api_client import ApiClient, Configuration
from kenar_api_client.exceptions import ApiValueError, UnauthorizedException
from kenar_api_client.testing import MockKenarServer

KEY = "k-123-secret"


@pytest.mark.parametrize(
    "environ", [{}, {"KENAR_API_KEY": ""}, {"KENAR_ACCESS_TOKEN": "t", "KENAR_HOST": "http://h:1"}]
)
def test_from_env_without_an_api_key_raises_a_clear_error(environ: dict) -> None:
    with pytest.raises(ApiValueError) as info:
        Configuration.from_env(environ)
    assert "KENAR_API_KEY is not set" in str(info.value)
    assert "require_api_key=False" in str(info.value)


def test_from_env_reads_os_environ_and_refuses_when_the_key_is_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KENAR_API_KEY", raising=False)
    with pytest.raises(ApiValueError, match="KENAR_API_KEY"):
        Configuration.from_env()


def test_from_env_can_be_told_that_no_key_is_fine(server: MockKenarServer) -> None:
    config = Configuration.from_env({"KENAR_HOST": server.url}, require_api_key=False)
    assert config.api_key == {} and config.host == server.url
    config.retries = 0
    with ApiClient(config) as client:
        with pytest.raises(UnauthorizedException):  # the mock server, like Kenar, wants a key
            kenar_api_client.AssetsApi(client).assets_get_cities()
    assert "X-API-Key" not in server.requests[-1].headers


def test_from_env_with_a_key_sends_it(server: MockKenarServer) -> None:
    config = Configuration.from_env({"KENAR_API_KEY": KEY, "KENAR_HOST": server.url})
    with ApiClient(config) as client:
        kenar_api_client.AssetsApi(client).assets_get_cities()
    assert server.requests[-1].headers["X-API-Key"] == KEY


def test_an_api_key_under_a_name_the_spec_does_not_define_warns(server: MockKenarServer) -> None:
    config = Configuration(host=server.url)
    config.retries = 0
    with pytest.warns(UserWarning, match=r"api_key\['X-API-Key'\] is not an API-key scheme") as caught:
        config.api_key["X-API-Key"] = KEY
    assert "api_key['APIKey']" in str(caught[0].message)
    assert caught[0].filename == __file__  # points at the user's line
    assert KEY not in str(caught[0].message)
    # and it is indeed not sent: the warning tells the truth
    with ApiClient(config) as client, pytest.raises(UnauthorizedException):
        kenar_api_client.AssetsApi(client).assets_get_cities()
    assert "X-API-Key" not in server.requests[-1].headers


@pytest.mark.parametrize(
    "how",
    ["constructor", "assignment", "update", "setdefault"],
)
def test_every_way_of_setting_a_wrong_name_warns(how: str) -> None:
    with pytest.warns(UserWarning, match=r"api_key\['apikey'\]"):
        if how == "constructor":
            Configuration(api_key={"apikey": KEY})
        elif how == "assignment":
            Configuration().api_key = {"apikey": KEY}
        elif how == "update":
            Configuration().api_key.update(apikey=KEY)
        else:
            Configuration().api_key.setdefault("apikey", KEY)


def test_the_right_name_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config = Configuration(api_key={"APIKey": KEY})
        config.api_key["APIKey"] = KEY
        config.api_key = {"APIKey": KEY}
        config.api_key.update({"APIKey": KEY})
    assert config.auth_settings()["APIKey"]["value"] == KEY
