"""Helpers for the fault suite: real HTTP to a MockKenarServer on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

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


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a self-signed certificate for 127.0.0.1 (cert.pem) and its key (key.pem)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return folder
