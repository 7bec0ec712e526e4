"""Helpers for the fault suite: real HTTP to a MockKenarServer on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from kenar_api_client.api.chat_api_api import ChatAPIApi
from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api.payment_api import PaymentApi
from kenar_api_client.api.post_api import PostApi
from kenar_api_client.api_client import ApiClient

# `server` and `client` come from test/conftest.py (a fresh server per test: starting and stopping one
# costs about a millisecond)


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


@pytest.fixture
def finder(client: ApiClient) -> FinderApi:
    return FinderApi(client)


@pytest.fixture
def chat(client: ApiClient) -> ChatAPIApi:
    return ChatAPIApi(client)


@pytest.fixture
def payment(client: ApiClient) -> PaymentApi:
    return PaymentApi(client)


@pytest.fixture
def post(client: ApiClient) -> PostApi:
    return PostApi(client)
