"""Every example of docs/guides/testing.md runs, as a user would run it (a pytest session of its own)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "guides" / "testing.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks() -> List[str]:
    return _BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


def test_the_guide_has_the_examples_it_promises() -> None:
    blocks = _blocks()
    text = "\n".join(blocks)
    assert len(blocks) >= 6
    for needle in [
        "with MockKenarServer() as server",
        "kenar_mock_server",
        ".respond(",
        ".requests_for(",
        'fault="reset"',
        "Retry-After",
        "RetryPolicy(",
        "sleep=waits.append",
    ]:
        assert needle in text, needle


def test_every_example_of_the_guide_runs(tmp_path: Path, plugin_args: List[str]) -> None:
    blocks = _blocks()
    for number, code in enumerate(blocks, 1):
        # plain scripts run while pytest imports them; test functions run as tests
        (tmp_path / f"test_guide_example_{number}.py").write_text(code, encoding="utf-8")
    expected_tests = sum(len(re.findall(r"^def test_", code, re.M)) for code in blocks)

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    for name in ("PYTEST_ADDOPTS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "KENAR_API_KEY", "KENAR_HOST"):
        env.pop(name, None)
    # the user's situation: the SDK installed, its plugin found through the entry point
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin_args, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{expected_tests} passed" in result.stdout, result.stdout
    assert "warning" not in result.stdout.lower(), result.stdout
