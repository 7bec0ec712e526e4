"""The package as it is published: version, licence, metadata, links, and the
settings CI relies on (issue 12)."""

from __future__ import annotations

import datetime
import io
import os
import re
from pathlib import Path
from typing import List

import pytest
from hypothesis import settings
from packaging.version import Version

import kenar_api_client
from kenar_api_client import ApiClient
from kenar_api_client._version import __version__
from kenar_api_client.testing import MockKenarServer

REPO = Path(__file__).resolve().parent.parent
REPOSITORY_URL = "https://github.com/kenar-sdk/kenar_api_client"
OFFICIAL_VERSION = Version("0.291.0")


def _pyproject() -> str:
    return (REPO / "pyproject.toml").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the version


def test_version_follows_the_scheme_and_is_above_every_official_release() -> None:
    version = Version(__version__)  # PEP 440, or InvalidVersion
    assert str(version) == __version__  # already in normal form: pip shows what we wrote
    assert version > OFFICIAL_VERSION and version.major == 1, "pip would keep the official 0.x SDK"
    match = re.fullmatch(r"1\.(\d{8})\.(\d+)", __version__)
    assert match, f"{__version__} is not 1.<SPECDATE>.<N>"
    datetime.datetime.strptime(match.group(1), "%Y%m%d")  # a real date
    assert kenar_api_client.__version__ == __version__


def test_pyproject_reads_the_version_from_the_one_place_it_is_written() -> None:
    text = _pyproject()
    assert 'dynamic = ["version"]' in text
    assert re.search(r'^version = \{ attr = "kenar_api_client\._version\.__version__" \}$', text, re.M)
    assert not re.search(r'^version = "', text, re.M)
    hard_coded = [
        str(path.relative_to(REPO))
        for folder in ("kenar_api_client", "codegen")
        for path in (REPO / folder).rglob("*.py")
        if path.name != "_version.py" and __version__ in path.read_text(encoding="utf-8")
    ]
    assert hard_coded == [], f"the version is written again in {hard_coded}"


def test_installed_metadata_carries_the_version() -> None:
    from importlib import metadata

    try:
        installed = metadata.version("kenar_api_client")
    except metadata.PackageNotFoundError:
        pytest.skip("kenar_api_client is not installed (run from a bare clone): no metadata to compare")
    assert installed == __version__, "the installed metadata is stale: pip install -e . again"


def test_the_user_agent_carries_the_version(server: MockKenarServer, client: ApiClient) -> None:
    kenar_api_client.AssetsApi(client).assets_get_cities()
    assert server.requests[-1].headers["User-Agent"] == f"kenar-api-client-python/{__version__}"


# ---------------------------------------------------------------- licence and metadata


def test_the_licence_is_mit_with_a_copyright_holder() -> None:
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert re.search(r"^Copyright \(c\) \d{4} The kenar_api_client authors$", text, re.M)
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    pyproject = _pyproject()
    assert 'license = "MIT"' in pyproject and 'license-files = ["LICENSE"]' in pyproject
    # SPDX license expressions need setuptools 77
    assert (
        re.search(r'requires = \["setuptools>=(\d+)', pyproject)
        and int(
            re.search(r'requires = \["setuptools>=(\d+)', pyproject).group(1)  # type: ignore[union-attr]
        )
        >= 77
    )


def test_classifiers_name_every_supported_python_and_the_requires_python_floor() -> None:
    pyproject = _pyproject()
    versions = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', pyproject)
    assert versions == ["3.9", "3.10", "3.11", "3.12", "3.13"]
    assert 'requires-python = ">=3.9"' in pyproject
    for classifier in ("Typing :: Typed", "Development Status :: ", "Operating System :: OS Independent"):
        assert f'"{classifier}' in pyproject
    assert "License ::" not in pyproject  # with an SPDX expression, a licence classifier is an error
    for name in ("Homepage", "Repository", "Documentation", "Issues"):
        assert re.search(rf'^{name} = "{re.escape(REPOSITORY_URL)}', pyproject, re.M), name


def test_tox_has_an_environment_per_supported_python_and_one_with_the_lowest_dependencies() -> None:
    tox = (REPO / "tox.ini").read_text(encoding="utf-8")
    envlist = re.search(r"^envlist = (.*)$", tox, re.M)
    assert envlist
    names = [name.strip() for name in envlist.group(1).split(",")]
    for name in ("py39", "py310", "py311", "py312", "py313", "lowest"):
        assert name in names, name
    assert "[testenv:lowest]" in tox and ".ci/lowest-constraints.txt" in tox


def test_the_lowest_constraints_pin_every_floor_in_pyproject() -> None:
    runtime = re.search(r"^dependencies = \[(.*?)^\]", _pyproject(), re.S | re.M)
    assert runtime
    floors = dict(re.findall(r'"([a-z0-9-]+)>=([0-9.]+)', runtime.group(1)))
    pins = dict(
        re.findall(r"^([a-z0-9-]+)==([0-9.]+)$", (REPO / ".ci" / "lowest-constraints.txt").read_text("utf-8"), re.M)
    )
    assert set(floors) == {"urllib3", "pydantic", "python-dateutil", "typing-extensions"}
    assert {name: Version(v) for name, v in pins.items()} == {name: Version(v) for name, v in floors.items()}


# ---------------------------------------------------------------- the long description and the docs' links

LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_readme_links_work_on_a_package_index() -> None:
    links = LINK.findall((REPO / "README.md").read_text(encoding="utf-8"))
    assert len(links) > 100  # the generated tables included
    relative = [link for link in links if not link.startswith(("https://", "http://", "#"))]
    assert relative == [], f"relative links break on a package index: {relative[:5]}"
    prefix = REPOSITORY_URL + "/blob/main/"
    for link in links:
        if link.startswith(prefix):
            target = REPO / link[len(prefix) :].split("#")[0]
            assert target.exists(), f"{link} points at {target.relative_to(REPO)}, which is not in the repository"


@pytest.mark.parametrize("page", sorted((REPO / "docs" / "guides").glob("*.md")), ids=lambda p: p.name)
def test_guide_links_resolve(page: Path) -> None:
    for link in LINK.findall(page.read_text(encoding="utf-8")):
        if link.startswith(("https://", "http://", "#", "mailto:")):
            continue
        target = (page.parent / link.split("#")[0]).resolve()
        assert target.exists(), f"{page.name}: the link {link!r} goes nowhere"


def test_the_tour_points_at_a_guide_a_wheel_user_can_open() -> None:
    from kenar_api_client.__main__ import TESTING_GUIDE_URL, main

    out = io.StringIO()
    assert main([], environ={}, out=out) == 0
    text = out.getvalue()
    assert TESTING_GUIDE_URL in text and TESTING_GUIDE_URL.startswith(REPOSITORY_URL + "/blob/main/")
    assert (REPO / TESTING_GUIDE_URL[len(REPOSITORY_URL + "/blob/main/") :]).exists()
    assert "see docs/" not in text


# ---------------------------------------------------------------- property tests cannot fail by chance


def test_hypothesis_keeps_no_examples_database_and_is_derandomized_under_ci() -> None:
    assert settings.default.database is None
    if os.environ.get("CI", "").lower() == "true":
        assert settings.default.derandomize is True
    from test_webhooks_properties import SETTINGS  # the property tests' own settings inherit the profile

    assert SETTINGS.database is None


def test_pytest_shows_skip_reasons() -> None:
    addopts = re.search(r'^addopts = "(.*)"$', _pyproject(), re.M)
    assert addopts and "-rs" in addopts.group(1).split()


# ---------------------------------------------------------------- the CI script


def _ci_lines() -> List[str]:
    return (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_ci_cleans_up_its_temporary_folder_and_checks_for_shared() -> None:
    text = "\n".join(_ci_lines())
    assert re.search(r"^trap .*rm -rf", text, re.M), "the temporary venvs must be removed on every exit"
    assert "../shared" in text and "is missing" in text
