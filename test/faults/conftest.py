"""Helpers for the fault suite: real HTTP to a MockKenarServer on 127.0.0.1."""

from __future__ import annotations

import socket
from typing import Iterator

import pytest

from kenar_api_client.api.chat_api_api import ChatAPIApi
from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api.payment_api import PaymentApi
from kenar_api_client.api.post_api import PostApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.testing import MockKenarServer


@pytest.fixture(scope="module")
def shared_server() -> Iterator[MockKenarServer]:
    with MockKenarServer() as mock:
        yield mock


@pytest.fixture
def server(shared_server: MockKenarServer) -> Iterator[MockKenarServer]:
    """One server per module, emptied around each test (stopping a server costs a poll interval)."""
    shared_server.reset()
    yield shared_server
    shared_server.reset()


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
