"""The README's Quickstart: two command lines, the second the one CI runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = [REPO / "README.md", REPO / "docs" / "guides" / "quickstart-snippet.md"]


def quickstart_commands(markdown: str) -> List[str]:
    """The lines of the first code block under the ``Quickstart`` heading."""
    section = re.search(r"^#+ Quickstart\n(.*?)(?=^#+ |\Z)", markdown, re.S | re.M)
    assert section, "no section headed Quickstart"
    block = re.search(r"^```[a-z]*\n(.*?)^```", section.group(1), re.S | re.M)
    assert block, "no code block in the Quickstart section"
    return [line for line in block.group(1).splitlines() if line.strip()]


def ci_test_command() -> str:
    lines = [line.strip() for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    found = [line for line in lines if "python -m pytest" in line and not line.startswith("#")]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_quickstart_is_two_commands_and_ci_runs_the_second(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path.relative_to(REPO)} is not in this checkout")
    commands = quickstart_commands(path.read_text(encoding="utf-8"))
    assert len(commands) == 2, commands
    install_and_tour, install_and_test = commands
    assert "pip install" in install_and_tour and install_and_tour.endswith("python -m kenar_api_client")
    assert '".[test]"' in install_and_test and install_and_test.endswith("python -m pytest")
    assert not any(line.lstrip().startswith(("#", "$")) for line in commands)
    assert _quiet_removed(install_and_test) == _quiet_removed(ci_test_command())


def _quiet_removed(command: str) -> str:
    """CI may keep pip quiet; otherwise it must run the very same command."""
    return re.sub(r" -q\b", "", command)
