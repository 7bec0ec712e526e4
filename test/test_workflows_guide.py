"""Every example of docs/guides/workflows.md runs, as a user would run it (a pytest session of its own)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "guides" / "workflows.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks() -> List[str]:
    return _BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


def test_the_guide_has_the_four_examples() -> None:
    text = "\n".join(_blocks())
    assert len(_blocks()) == 4
    for needle in [
        "/start MY_POST",
        "upload_chat_media",
        "button_grid(",
        "upload_post_image",
        "post_submit_post_v2",
        "paginate(",
        "payment_list_transactions",
        "prepare_semantic(",
        '"VIN"',
    ]:
        assert needle in text, needle


def test_every_example_of_the_guide_runs(tmp_path: Path) -> None:
    blocks = _blocks()
    for number, code in enumerate(blocks, 1):
        (tmp_path / f"test_workflow_example_{number}.py").write_text(code, encoding="utf-8")
    expected_tests = sum(len(re.findall(r"^def test_", code, re.M)) for code in blocks)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    for name in ("PYTEST_ADDOPTS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "KENAR_API_KEY", "KENAR_HOST"):
        env.pop(name, None)
    from importlib.metadata import entry_points

    found = entry_points()
    group = found.select(group="pytest11") if hasattr(found, "select") else found.get("pytest11", [])
    installed = any(ep.value == "kenar_api_client.pytest_plugin" for ep in group)
    plugin_args = [] if installed else ["-p", "kenar_api_client.pytest_plugin"]
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
