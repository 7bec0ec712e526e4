"""Shared fixtures: a mock Kenar server per test and a client pointed at it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, List

import pytest

from kenar_api_client.api_client import ApiClient
from kenar_api_client.retry import RetryPolicy
from kenar_api_client.testing import MockKenarServer

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SPEC_PATH = SHARED / "openapi" / "kenar-openapi.json"
OFFICIAL_NAMES_PATH = SHARED / "reference" / "official-names.json"
EVENTS_REFERENCE_PATH = SHARED / "reference" / "EventsApi.md"


def need_shared(path: Path) -> Path:
    """Return ``path`` from ../shared, or skip: but in CI a missing file is a failure."""
    if path.exists():
        return path
    message = f"{path} is not here: these tests need the shared spec and reference files beside the clone"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: not skipping)")
    pytest.skip(message)


class Sleeps(List[float]):
    """Records the delays the retry loop asked for, without waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def server() -> Iterator[MockKenarServer]:
    with MockKenarServer() as mock:
        yield mock


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(server: MockKenarServer, sleeps: Sleeps) -> Iterator[ApiClient]:
    """An ApiClient on the mock server whose retries record their waits instead of sleeping."""
    config = server.configuration()
    config.retries = RetryPolicy(sleep=sleeps, jitter=False)
    with ApiClient(config) as api_client:
        yield api_client
