"""The official EventsApi reference page's examples run unchanged against the mock server.

The python blocks are read from ../shared/reference/EventsApi.md at test time;
only the host string is replaced by the mock server's URL.  The page's code
uses ``os.environ`` without importing ``os`` (it expects it from the
surrounding script), so ``os`` is provided in the namespace it runs in.
"""

from __future__ import annotations

import os
import re
from typing import List

import pytest

from kenar_api_client.testing import MockKenarServer

API_KEY = "reference-example-key"
ACCESS_TOKEN = "reference-example-token"
OFFICIAL_HOST = '"https://open-api.divar.ir"'


def _python_blocks(markdown: str) -> List[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.S)


# the `server` fixture (conftest.py) accepts exactly these credentials (anything else is a 401),
# and the examples read them from the environment
pytestmark = pytest.mark.mock_server(api_key=API_KEY, access_token=ACCESS_TOKEN)


@pytest.fixture(autouse=True)
def credentials_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEY", API_KEY)
    monkeypatch.setenv("ACCESS_TOKEN", ACCESS_TOKEN)


def _run(code: str, server: MockKenarServer) -> None:
    assert code.count(OFFICIAL_HOST) == 1, "the example's host line changed upstream"
    local = code.replace(OFFICIAL_HOST, repr(server.url))
    exec(compile(local, "EventsApi.md", "exec"), {"__name__": "__main__", "os": os})


def test_the_page_has_the_two_examples(events_api_doc: str) -> None:
    blocks = _python_blocks(events_api_doc)
    assert len(blocks) == 2
    assert "events_register_event_subscription(" in blocks[0]
    assert "events_send_event(" in blocks[1]


def test_register_event_subscription_example_runs_unchanged(
    events_api_doc: str, server: MockKenarServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(_python_blocks(events_api_doc)[0], server)
    out = capsys.readouterr().out
    assert "Exception when calling" not in out, out
    assert "The response of EventsApi->events_register_event_subscription:" in out
    assert out.rstrip().endswith("{}")
    (req,) = server.requests
    assert req.operation == "events_register_event_subscription"
    assert (req.method, req.path) == ("POST", "/v1/open-platform/events/subscriptions")
    assert req.json == {}
    assert req.headers["X-API-Key"] == API_KEY
    assert req.headers["Authorization"] == "Bearer " + ACCESS_TOKEN
    assert req.headers["Content-Type"] == "application/json"


def test_send_event_example_runs_unchanged(
    events_api_doc: str, server: MockKenarServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(_python_blocks(events_api_doc)[1], server)
    out = capsys.readouterr().out
    assert "Exception when calling" not in out, out
    assert "The response of EventsApi->events_send_event:" in out
    (req,) = server.requests
    assert req.operation == "events_send_event"
    assert (req.method, req.path) == ("POST", "/experimental/open-platform/events/send")
    assert req.raw_query == (
        "message=message_example&target_type=target_type_example&target_resource_id=target_resource_id_example"
    )
    assert req.body == b"" and req.headers["Content-Length"] == "0" and "Content-Type" not in req.headers
    assert req.headers["X-API-Key"] == API_KEY
    assert req.headers["Authorization"] == "Bearer " + ACCESS_TOKEN


def test_example_reports_a_server_error_through_its_except_branch(
    events_api_doc: str, server: MockKenarServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.respond("events_send_event", json={"code": 7, "message": "permission denied"}, status=403)
    _run(_python_blocks(events_api_doc)[1], server)
    out = capsys.readouterr().out
    assert "Exception when calling EventsApi->events_send_event: (403)" in out
    assert "permission denied" in out
    assert API_KEY not in out and ACCESS_TOKEN not in out
