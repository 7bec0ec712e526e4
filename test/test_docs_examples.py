"""Every example on the generated API pages runs against the mock server and is accepted."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from kenar_api_client._op_table import OPERATIONS
from kenar_api_client.testing import MockKenarServer

DOCS = Path(__file__).resolve().parent.parent / "docs"
_BLOCK = re.compile(r"^## (\w+)\n.*?```python\n(.*?)```", re.S | re.M)


def _examples() -> Iterator[Tuple[str, str]]:
    for page in sorted(DOCS.glob("*Api.md")):
        yield from _BLOCK.findall(page.read_text(encoding="utf-8"))


EXAMPLES: List[Tuple[str, str]] = list(_examples())


def test_every_operation_has_an_example() -> None:
    assert sorted(name for name, _ in EXAMPLES) == sorted(OPERATIONS)


@pytest.mark.parametrize("name,code", EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_example_runs(name: str, code: str, server: MockKenarServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KENAR_HOST", server.url)
    monkeypatch.setenv("KENAR_API_KEY", "docs-key")
    monkeypatch.setenv("KENAR_ACCESS_TOKEN", "docs-token")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"docs example {name}", "exec"), {"__name__": "__docs__"})
    assert "the API refused" not in out.getvalue(), out.getvalue()
    seen = server.requests_for(name)
    assert len(seen) == 1
    assert seen[0].headers["X-API-Key"] == "docs-key"
