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
from hypothesis import settings

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


# ---------------------------------------------------------------- Hypothesis: no run depends on an earlier one

# No examples database: a failure found once is reported with its reproduction
# blob, never replayed at random in a later run.  Under CI the examples are
# also derandomized, so a run's outcome depends on the code alone.
settings.register_profile("dev", database=None, print_blob=True)
settings.register_profile("ci", database=None, print_blob=True, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else "dev")


# ---------------------------------------------------------------- the mock server and a client on it


class Sleeps(List[float]):
    """Records the delays the retry loop asked for, without waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[MockKenarServer]:
    """A fresh mock server for one test; ``@pytest.mark.mock_server(api_key=..., ...)`` passes its arguments."""
    marker = request.node.get_closest_marker("mock_server")
    with MockKenarServer(**(marker.kwargs if marker else {})) as mock:
        yield mock


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(request: pytest.FixtureRequest, server: MockKenarServer, sleeps: Sleeps) -> Iterator[ApiClient]:
    """An ApiClient on the mock server whose retries record their waits instead of sleeping.

    ``@pytest.mark.no_retries``: one attempt per call, so the answer under test is what the caller sees.
    """
    config = server.configuration()
    if request.node.get_closest_marker("no_retries"):
        config.retries = RetryPolicy.none()
    else:
        config.retries = RetryPolicy(sleep=sleeps, jitter=False)
    with ApiClient(config) as api_client:
        yield api_client


# ---------------------------------------------------------------- the pytest plugin, from a bare clone


def entry_point_installed() -> bool:
    """Whether the installed package declares the ``pytest11`` entry point of the plugin."""
    from importlib.metadata import entry_points

    found = entry_points()
    group = found.select(group="pytest11") if hasattr(found, "select") else found.get("pytest11", [])
    return any(ep.value == "kenar_api_client.pytest_plugin" for ep in group)


@pytest.fixture(scope="session")
def plugin_args() -> List[str]:
    """The pytest arguments that load the plugin in a child run: none when installed, ``-p`` from a bare clone."""
    return [] if entry_point_installed() else ["-p", "kenar_api_client.pytest_plugin"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers, and load the ``kenar_mock_server`` plugin when the package is not installed.

    Installed (``pip install -e .``), its ``pytest11`` entry point has already
    loaded it, and registering the module a second time would be an error;
    ``-p no:kenar_api_client`` is respected.
    """
    config.addinivalue_line("markers", "mock_server(**kwargs): arguments of the `server` fixture's MockKenarServer")
    config.addinivalue_line("markers", "no_retries: the `client` fixture makes one attempt per call")
    from kenar_api_client import pytest_plugin

    manager = config.pluginmanager
    if not manager.is_registered(pytest_plugin) and not manager.is_blocked("kenar_api_client"):
        manager.register(pytest_plugin, "kenar_api_client.pytest_plugin")
