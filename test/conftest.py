"""Shared test helpers.

Some tests read the spec and reference files in ``../shared`` (next to the
repository).  Without them those tests are skipped with the reason; under CI
(``CI=true``) a missing file is a failure, so CI cannot go green by skipping.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from kenar_api_client.api_client import ApiClient
from kenar_api_client.retry import RetryPolicy
from kenar_api_client.testing import MockKenarServer

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SPEC_PATH = SHARED / "openapi" / "kenar-openapi.json"
#: the current Kenar spec the package is generated from (SPEC_PATH is the 0.291 baseline whose names it keeps)
CURRENT_SPEC_PATH = SHARED / "openapi" / "kenar-openapi-2026-08-18.json"
OFFICIAL_NAMES_PATH = SHARED / "reference" / "official-names.json"
EVENTS_API_DOC_PATH = SHARED / "reference" / "EventsApi.md"


def require_shared(path: Path) -> Path:
    """``path`` if it exists; otherwise skip the test (fail it when ``CI=true``)."""
    if path.exists():
        return path
    reason = f"{path} is missing: these tests need the shared spec/reference files next to the repository"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI=true: not skipping)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spec_path() -> Path:
    """The Kenar OpenAPI document the package is generated from."""
    return require_shared(SPEC_PATH)


@pytest.fixture(scope="session")
def spec_doc(spec_path: Path) -> Dict[str, Any]:
    return json.loads(spec_path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def current_spec_path() -> Path:
    """The current Kenar spec (2026-08-18) the package is generated from."""
    return require_shared(CURRENT_SPEC_PATH)


@pytest.fixture(scope="session")
def current_spec_doc(current_spec_path: Path) -> Dict[str, Any]:
    return json.loads(current_spec_path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def official_names() -> Dict[str, Any]:
    """The public names of the official SDK 0.291.0."""
    return json.loads(require_shared(OFFICIAL_NAMES_PATH).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def events_api_doc() -> str:
    """The official reference page of EventsApi (markdown)."""
    return require_shared(EVENTS_API_DOC_PATH).read_text(encoding="utf-8")


# ---------------------------------------------------------------- the mock server and a client on it


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


# ---------------------------------------------------------------- the pytest plugin, from a bare clone


def pytest_configure(config: pytest.Config) -> None:
    """Load the ``kenar_mock_server`` plugin when the package is not installed.

    Installed (``pip install -e .``), its ``pytest11`` entry point has already
    loaded it, and registering the module a second time would be an error;
    ``-p no:kenar_api_client`` is respected.
    """
    from kenar_api_client import pytest_plugin

    manager = config.pluginmanager
    if not manager.is_registered(pytest_plugin) and not manager.is_blocked("kenar_api_client"):
        manager.register(pytest_plugin, "kenar_api_client.pytest_plugin")
