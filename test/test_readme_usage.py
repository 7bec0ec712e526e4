"""The README's usage example runs as printed, with only the host pointed at the mock server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kenar_api_client.testing import MockKenarServer

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_usage_example_runs(server: MockKenarServer, monkeypatch: pytest.MonkeyPatch) -> None:
    section = README.read_text(encoding="utf-8").split("## Usage", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    source = code.group(1)
    assert 'host="https://open-api.divar.ir"' in source
    monkeypatch.setenv("KENAR_API_KEY", "readme-key")
    monkeypatch.setenv("KENAR_ACCESS_TOKEN", "readme-token")
    exec(compile(source.replace("https://open-api.divar.ir", server.url), "README usage", "exec"), {})

    assert [r.operation for r in server.requests] == ["events_register_event_subscription", "finder_get_post"]
    subscribe, get_post = server.requests
    assert subscribe.json == {"event_type": "NEW_MESSAGE_ON_POST", "event_resource_id": "gZd7omnS"}
    assert get_post.path == "/v1/open-platform/finder/post/gZd7omnS"
    assert all(r.headers["X-API-Key"] == "readme-key" for r in server.requests)
    # the token goes only where OAuth is needed
    assert subscribe.headers["Authorization"] == "Bearer readme-token" and "Authorization" not in get_post.headers
