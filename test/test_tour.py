"""``python -m kenar_api_client``: the tour runs on a fresh machine, and against a real API when told to."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

from kenar_api_client.__main__ import MISSING_POST_TOKEN, main
from kenar_api_client.testing import MockKenarServer

REPO = Path(__file__).resolve().parent.parent
TOUR_OPERATIONS = [
    "assets_get_cities",
    "assets_get_categories",
    "finder_search_post_v2",
    "events_register_event_subscription",
    "events_send_event",
    "finder_get_post",
]


def _clean_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENAR_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def test_the_tour_runs_on_the_mock_server_without_an_api_key() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kenar_api_client"],
        env=_clean_env(),
        cwd=REPO,
        capture_output=True,
        timeout=60,
    )
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, out + result.stderr.decode("utf-8", "replace")
    assert result.stderr == b""
    for line in [
        "No KENAR_API_KEY set, so this tour runs against a mock Kenar server",
        "8 cities, e.g. تهران (tehran), مشهد (mashhad)",
        "categories, e.g. فروش آپارتمان (apartment-sell)",
        "3 posts found",
        "- [gZd7omnS] آپارتمان ۸۵ متری، دو خوابه، سعادت‌آباد  (85 m², 2 rooms, 12,500,000,000 toman)",
        "subscribed: Divar will send NEW_MESSAGE_ON_POST events for post gZd7omnS",
        "sent: an event to post gZd7omnS",
        f"caught NotFoundException (HTTP 404, gRPC code 5): post {MISSING_POST_TOKEN} not found",
        "The mock server saw 6 requests: GET /v1/open-platform/assets/city,",
        "Done.",
    ]:
        assert line in out, f"missing {line!r} in:\n{out}"
    assert "refused" not in out and "skipped" not in out


def test_with_an_api_key_the_tour_calls_the_configured_host(server: MockKenarServer) -> None:
    """KENAR_HOST points the 'real API' at a mock server here, to see exactly what the tour sends."""
    server.respond("finder_get_post", {"code": 5, "message": "not found", "details": []}, status=404)
    out = io.StringIO()
    env = {"KENAR_API_KEY": "live-key", "KENAR_ACCESS_TOKEN": "live-token", "KENAR_HOST": server.url}
    assert main([], env, out) == 0, out.getvalue()
    text = out.getvalue()
    assert f"Using the Kenar API at {server.url}" in text
    assert "mock" not in text
    assert [r.operation for r in server.requests] == TOUR_OPERATIONS
    for request in server.requests:
        assert request.headers["X-API-Key"] == "live-key"
    assert server.requests_for("events_send_event")[0].headers["Authorization"] == "Bearer live-token"
    subscription = server.requests_for("events_register_event_subscription")[0].json
    assert subscription == {"event_type": "NEW_MESSAGE_ON_POST", "event_resource_id": "sample-token"}


def test_without_an_access_token_the_user_steps_are_skipped(server: MockKenarServer) -> None:
    server.respond("finder_get_post", status=404)
    out = io.StringIO()
    assert main([], {"KENAR_API_KEY": "live-key", "KENAR_HOST": server.url}, out) == 0, out.getvalue()
    assert out.getvalue().count("skipped: needs a user's OAuth access token") == 2
    assert "events_send_event" not in [r.operation for r in server.requests]
    assert all("Authorization" not in r.headers for r in server.requests)


def test_refusals_are_reported_and_make_the_exit_code_nonzero() -> None:
    with MockKenarServer(api_key="a-different-key") as server:
        out = io.StringIO()
        env = {"KENAR_API_KEY": "wrong-key", "KENAR_ACCESS_TOKEN": "t", "KENAR_HOST": server.url}
        assert main([], env, out) == 1
    text = out.getvalue()
    assert text.count("the API refused: UnauthorizedException (HTTP 401, gRPC code 16)") == 6
    assert "Done, but the API refused 6 step(s)" in text
