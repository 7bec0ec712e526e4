"""MockKenarServer checked on its own: validation, default answers, queues, faults, recording, fixture.

Everything here is real HTTP on 127.0.0.1: either through the SDK, or with a
bare urllib3 pool where a test needs to send what the SDK would refuse to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import urllib3

import kenar_api_client
from kenar_api_client import pytest_plugin
from kenar_api_client._op_table import OPERATIONS
from kenar_api_client._op_types import BODY, PATH, QUERY, Operation
from kenar_api_client.api_client import ApiClient
from kenar_api_client.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiProtocolError,
    ApiReadTimeoutError,
    BadRequestException,
    NotFoundException,
    ResponseDecodeError,
    ServiceException,
    TooManyRequestsException,
    UnauthorizedException,
)
from kenar_api_client.models.events_register_event_subscription_request import (
    EventsRegisterEventSubscriptionRequest,
)
from kenar_api_client.models.finder_search_posts_v2_request import FinderSearchPostsV2Request
from kenar_api_client.retry import RetryPolicy
from kenar_api_client.testing import (
    GRPC_CODE_FOR_STATUS,
    MockKenarServer,
    RecordedRequest,
    iter_operations,
    sample_value,
)

REPO = Path(__file__).resolve().parent.parent
KEY = {"X-API-Key": "k"}
KEY_AND_TOKEN = {"X-API-Key": "k", "Authorization": "Bearer t"}


@pytest.fixture(scope="module")
def http() -> Iterator[urllib3.PoolManager]:
    """A bare HTTP client, for requests the SDK would never send."""
    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(5.0))
    yield pool
    pool.clear()


def raw(
    http: urllib3.PoolManager,
    server: MockKenarServer,
    method: str,
    path: str,
    headers: Optional[Dict[str, str]] = None,
    body: Optional[bytes] = None,
) -> Tuple[int, Any]:
    response = http.request(method, server.url + path, headers=headers or {}, body=body)
    return response.status, json.loads(response.data) if response.data else None


def no_retries(server: MockKenarServer, **kwargs: Any) -> ApiClient:
    config = server.configuration(**kwargs)
    config.retries = RetryPolicy.none()
    return ApiClient(config)


def cause_names(error: BaseException) -> List[str]:
    names = []
    current: Optional[BaseException] = error
    while current is not None and len(names) < 10:
        names.append(type(current).__name__)
        current = current.__cause__ or current.__context__
    return names


# ---------------------------------------------------------------- validation, as the real API would


def test_unknown_path_is_a_404_with_a_googlerpc_status(server: MockKenarServer, http: urllib3.PoolManager) -> None:
    status, body = raw(http, server, "GET", "/v1/open-platform/no-such-thing", KEY)
    assert status == 404
    assert body["code"] == 5 and body["details"] == []
    assert "/v1/open-platform/no-such-thing" in body["message"]
    assert server.last_request.operation is None


def test_known_path_with_the_wrong_method_is_a_404(server: MockKenarServer, http: urllib3.PoolManager) -> None:
    status, body = raw(http, server, "DELETE", "/v1/open-platform/assets/city", KEY)
    assert status == 404 and body["code"] == 5


def test_missing_api_key_is_a_401(server: MockKenarServer, http: urllib3.PoolManager) -> None:
    status, body = raw(http, server, "GET", "/v1/open-platform/assets/city")
    assert status == 401
    assert body["code"] == 16 and "API key" in body["message"]


def test_missing_api_key_through_the_sdk_is_an_unauthorized_exception(server: MockKenarServer) -> None:
    config = server.configuration()
    config.api_key.clear()
    with ApiClient(config) as client:
        with pytest.raises(UnauthorizedException) as caught:
            kenar_api_client.AssetsApi(client).assets_get_cities()
    assert caught.value.status == 401 and caught.value.code == 16
    assert "X-API-Key" not in server.last_request.headers


def test_a_server_with_a_fixed_key_refuses_any_other(http: urllib3.PoolManager) -> None:
    with MockKenarServer(api_key="the-right-key", access_token="the-right-token") as server:
        assert raw(http, server, "GET", "/v1/open-platform/assets/city", {"X-API-Key": "wrong"})[0] == 401
        assert raw(http, server, "GET", "/v1/open-platform/assets/city", {"X-API-Key": "the-right-key"})[0] == 200
        path = "/v1/open-platform/users"
        assert raw(http, server, "GET", path, {"X-API-Key": "the-right-key", "Authorization": "Bearer no"})[0] == 401
        good = {"X-API-Key": "the-right-key", "Authorization": "Bearer the-right-token"}
        assert raw(http, server, "GET", path, good)[0] == 200
        # and the helpers hand out exactly the credentials it expects
        with server.api_client() as client:
            assert kenar_api_client.FinderApi(client).finder_get_user2() is not None


def test_bearer_token_is_required_only_where_the_operation_needs_oauth(server: MockKenarServer) -> None:
    assert OPERATIONS["events_send_event"].needs_oauth
    assert not OPERATIONS["assets_get_cities"].needs_oauth
    with server.api_client(access_token=None) as client:
        with pytest.raises(UnauthorizedException) as caught:
            kenar_api_client.EventsApi(client).events_send_event(message="hi")
        assert caught.value.code == 16 and "access token" in (caught.value.message or "")
        cities = kenar_api_client.AssetsApi(client).assets_get_cities()
    assert cities.cities
    assert [r.operation for r in server.requests] == ["events_send_event", "assets_get_cities"]


def test_a_bearer_header_without_the_bearer_scheme_is_refused(
    server: MockKenarServer, http: urllib3.PoolManager
) -> None:
    headers = {"X-API-Key": "k", "Authorization": "Token t"}
    status, body = raw(http, server, "GET", "/v1/open-platform/users", headers)
    assert status == 401 and body["code"] == 16


def test_a_body_that_does_not_fit_the_model_is_a_400(server: MockKenarServer, http: urllib3.PoolManager) -> None:
    headers = dict(KEY_AND_TOKEN, **{"Content-Type": "application/json"})
    body = json.dumps({"event_type": "POST_UPDATE", "event_resource_id": 12345}).encode()
    status, answer = raw(http, server, "POST", "/v1/open-platform/events/subscriptions", headers, body)
    assert status == 400
    assert answer["code"] == 3 and "event_resource_id" in answer["message"]
    # the same body with a string fits and is accepted
    good = json.dumps({"event_type": "POST_UPDATE", "event_resource_id": "gZd7omnS"}).encode()
    assert raw(http, server, "POST", "/v1/open-platform/events/subscriptions", headers, good)[0] == 200


def test_a_body_that_is_not_json_is_a_400(server: MockKenarServer, http: urllib3.PoolManager) -> None:
    headers = dict(KEY_AND_TOKEN, **{"Content-Type": "application/json"})
    status, answer = raw(http, server, "POST", "/v1/open-platform/events/subscriptions", headers, b"event=1")
    assert status == 400 and answer["code"] == 3 and "JSON" in answer["message"]
    assert server.last_request.json is None and server.last_request.body == b"event=1"


def test_a_json_array_body_or_a_missing_body_is_a_400(server: MockKenarServer, http: urllib3.PoolManager) -> None:
    headers = dict(KEY, **{"Content-Type": "application/json"})
    assert raw(http, server, "POST", "/v2/open-platform/finder/post", headers, b"[]")[0] == 400
    assert raw(http, server, "POST", "/v2/open-platform/finder/post", KEY)[0] == 400
    assert raw(http, server, "POST", "/v2/open-platform/finder/post", headers, b"{}")[0] == 200


def test_a_json_body_sent_as_another_content_type_is_a_400(server: MockKenarServer, http: urllib3.PoolManager) -> None:
    headers = dict(KEY, **{"Content-Type": "text/plain"})
    status, answer = raw(http, server, "POST", "/v2/open-platform/finder/post", headers, b"{}")
    assert status == 400 and "application/json" in answer["message"]


def test_a_400_reaches_sdk_callers_as_a_bad_request_exception(server: MockKenarServer, client: ApiClient) -> None:
    finder = kenar_api_client.FinderApi(client)
    with pytest.raises(BadRequestException) as caught:
        finder.finder_search_post_v2(FinderSearchPostsV2Request(city="tehran"), _content_type="text/plain")
    assert caught.value.code == 3 and "application/json" in (caught.value.message or "")
    assert len(server.requests) == 1  # a 400 is never retried


def test_query_parameters_are_checked(server: MockKenarServer, http: urllib3.PoolManager) -> None:
    # phone is a required query parameter of this one
    path = "/v1/open-platform/semantic/users/u1"
    status, answer = raw(http, server, "DELETE", path, KEY)
    assert status == 400 and "phone" in answer["message"]
    assert raw(http, server, "DELETE", path + "?phone=09120000000", KEY)[0] == 200
    # page_size is an integer
    status, answer = raw(http, server, "GET", "/experimental/open-platform/transactions?page_size=ten", KEY)
    assert status == 400 and "page_size" in answer["message"]


def test_a_get_with_a_body_is_a_400(server: MockKenarServer, http: urllib3.PoolManager) -> None:
    status, _ = raw(http, server, "GET", "/v1/open-platform/assets/city", KEY, b'{"a": 1}')
    assert status == 400


def test_validation_can_be_turned_off(http: urllib3.PoolManager) -> None:
    with MockKenarServer(validate=False) as server:
        assert raw(http, server, "GET", "/v1/open-platform/assets/city")[0] == 200
        headers = {"Content-Type": "application/json"}
        assert raw(http, server, "POST", "/v1/open-platform/events/subscriptions", headers, b"not json")[0] == 200
        # an unknown path still has no answer to give
        assert raw(http, server, "GET", "/nowhere")[0] == 404


# ---------------------------------------------------------------- default answers for every operation


def test_the_server_knows_all_72_operations_of_the_sdk() -> None:
    operations = list(iter_operations())
    assert len(operations) == len(OPERATIONS) == 72  # 0.291's 68 (12 deprecated) and 4 new
    assert [op.name for op in operations] == sorted(OPERATIONS)
    for op in operations:
        assert callable(getattr(getattr(kenar_api_client, op.api), op.name)), op.name


def arguments_for(op: Operation) -> List[Any]:
    """Arguments for every parameter of ``op``, with characters that need encoding in path values."""
    args: List[Any] = []
    for param in op.params:
        if param.kind == PATH:
            args.append(f"{param.name} 1/ب")
        elif param.kind == QUERY:
            args.append(25 if param.type == "int" else f"{param.name} value")
        else:
            assert param.kind == BODY
            model = op.body_model()
            args.append(model.model_validate(sample_value(model)) if model is not None else {"note": "بدنه"})
    return args


@pytest.mark.no_retries
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_default_answer_decodes_into_the_sdk_return_type(name: str, server: MockKenarServer, client: ApiClient) -> None:
    op = OPERATIONS[name]
    api = getattr(kenar_api_client, op.api)(client)
    args = arguments_for(op)
    result = getattr(api, name)(*args)

    model = op.response_model()
    if model is None:
        assert op.returns == "object" and result == {}
    else:
        assert isinstance(result, model)
        if server.uploads.default_answer(name, server.url) is None:
            assert result == model.model_validate(sample_value(model))
        # else: upload tokens and URLs come from the mock's upload endpoints (see test_media.py)
        assert result.model_dump(exclude_none=True), "a default answer should carry data"

    # the server routed it to this very operation and saw the arguments as sent
    request = server.last_request
    assert request.operation == name
    assert request.method == op.method
    for param, value in zip(op.params, args):
        if param.kind == PATH:
            assert request.path_params[param.name] == value
            assert "/" not in request.path_params[param.name] or "%2F" in request.path
        elif param.kind == QUERY:
            assert request.query[param.name] == str(value)
        elif isinstance(value, dict):
            assert request.json == value
        else:
            assert request.json == json.loads(value.to_json())


# ---------------------------------------------------------------- queued answers


def test_queued_answers_come_in_order_then_the_default_returns(server: MockKenarServer, client: ApiClient) -> None:
    finder = kenar_api_client.FinderApi(client)
    server.respond("finder_get_post", {"data": {"title": "اول"}, "state": "PUBLISHED"})
    server.respond("finder_get_post", {"code": 5, "message": "post not found", "details": []}, status=404)
    server.respond("finder_get_post", {"data": {"title": "سوم"}})
    assert server.pending("finder_get_post") == 3 and server.pending() == 3

    assert finder.finder_get_post("a").data == {"title": "اول"}
    with pytest.raises(NotFoundException) as caught:
        finder.finder_get_post("b")
    assert caught.value.message == "post not found"
    assert finder.finder_get_post("c").data == {"title": "سوم"}
    assert server.pending() == 0
    default = finder.finder_get_post("d")
    assert default.data != {"title": "سوم"} and default.token == "sample-token"


def test_queues_are_per_operation(server: MockKenarServer, client: ApiClient) -> None:
    server.respond("assets_get_categories", {"categories": [{"slug": "light", "display": "سواری"}]})
    cities = kenar_api_client.AssetsApi(client).assets_get_cities()
    assert cities.cities and cities.cities[0].slug == "sample-slug"
    assert server.pending("assets_get_categories") == 1
    categories = kenar_api_client.AssetsApi(client).assets_get_categories()
    assert categories.categories and categories.categories[0].display == "سواری"


def test_times_repeats_an_answer_and_reset_forgets_everything(server: MockKenarServer, client: ApiClient) -> None:
    assets = kenar_api_client.AssetsApi(client)
    server.respond("assets_get_cities", {"cities": []}, times=2)
    assert assets.assets_get_cities().cities == []
    assert assets.assets_get_cities().cities == []
    assert assets.assets_get_cities().cities
    server.respond("assets_get_cities", {"cities": []})
    server.reset()
    assert server.pending() == 0 and server.requests == []
    assert assets.assets_get_cities().cities


def test_answer_headers_and_raw_bodies_reach_the_caller(server: MockKenarServer, client: ApiClient) -> None:
    assets = kenar_api_client.AssetsApi(client)
    server.respond("assets_get_cities", {"cities": []}, headers={"X-Request-Id": "req-42"})
    answer = assets.assets_get_cities_with_http_info()
    assert answer.status_code == 200 and answer.headers is not None and answer.headers["X-Request-Id"] == "req-42"
    server.respond("assets_get_cities", body='{"cities": [{"slug": "qom", "display": "قم"}], "new_field": 1}')
    cities = assets.assets_get_cities()
    assert cities.cities is not None and cities.cities[0].display == "قم"


def test_respond_refuses_unknown_operations_and_faults(server: MockKenarServer) -> None:
    with pytest.raises(KeyError, match="events_sendevent"):
        server.respond("events_sendevent")
    with pytest.raises(ValueError, match="fault"):
        server.respond("events_send_event", fault="explode")
    assert server.pending() == 0


# ---------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, 3),
        (401, 16),
        (403, 7),
        (404, 5),
        (409, 6),
        (429, 8),
        (499, 1),
        (500, 13),
        (501, 12),
        (503, 14),
        (504, 4),
        (418, 2),
        (502, 2),
    ],
)
def test_an_error_status_without_a_body_gets_the_grpc_code_of_that_status(
    server: MockKenarServer, status: int, code: int
) -> None:
    server.respond("assets_get_cities", status=status)
    with no_retries(server) as client, pytest.raises(ApiException) as caught:
        kenar_api_client.AssetsApi(client).assets_get_cities()
    assert caught.value.status == status and caught.value.code == code
    assert GRPC_CODE_FOR_STATUS.get(status, 2) == code


def test_retry_after_is_sent_and_honoured(server: MockKenarServer, client: ApiClient, sleeps: List[float]) -> None:
    server.respond("assets_get_cities", status=429, headers={"Retry-After": "7"})
    assert kenar_api_client.AssetsApi(client).assets_get_cities().cities
    assert sleeps == [7.0]
    assert len(server.requests_for("assets_get_cities")) == 2


def test_retry_after_on_the_final_answer_is_readable(server: MockKenarServer) -> None:
    server.respond("events_send_event", status=429, headers={"Retry-After": "30"})
    with no_retries(server) as client, pytest.raises(TooManyRequestsException) as caught:
        kenar_api_client.EventsApi(client).events_send_event(message="hi")
    assert caught.value.retry_after == 30.0


def test_a_503_is_retried_for_a_get_but_not_for_a_post(
    server: MockKenarServer, client: ApiClient, sleeps: List[float]
) -> None:
    server.respond("assets_get_cities", status=503)
    assert kenar_api_client.AssetsApi(client).assets_get_cities().cities
    assert len(sleeps) == 1
    server.respond("events_send_event", status=503)
    with pytest.raises(ServiceException):
        kenar_api_client.EventsApi(client).events_send_event(message="hi")
    assert len(server.requests_for("events_send_event")) == 1 and len(sleeps) == 1


def test_a_delay_holds_the_answer_back(server: MockKenarServer, client: ApiClient) -> None:
    server.respond("assets_get_cities", delay=0.3)
    started = time.monotonic()
    assert kenar_api_client.AssetsApi(client).assets_get_cities().cities
    assert time.monotonic() - started >= 0.3


def test_a_delay_longer_than_the_timeout_is_a_read_timeout(server: MockKenarServer) -> None:
    server.respond("assets_get_cities", delay=2.0)
    with no_retries(server) as client, pytest.raises(ApiReadTimeoutError):
        kenar_api_client.AssetsApi(client).assets_get_cities(_request_timeout=0.2)


def test_a_reset_is_a_connection_reset(server: MockKenarServer) -> None:
    server.respond("assets_get_cities", fault="reset")
    with no_retries(server) as client, pytest.raises(ApiProtocolError) as caught:
        kenar_api_client.AssetsApi(client).assets_get_cities()
    assert "ConnectionResetError" in cause_names(caught.value)


def test_a_close_ends_the_connection_without_an_answer(server: MockKenarServer) -> None:
    server.respond("assets_get_cities", fault="close")
    with no_retries(server) as client, pytest.raises(ApiProtocolError) as caught:
        kenar_api_client.AssetsApi(client).assets_get_cities()
    assert "RemoteDisconnected" in cause_names(caught.value)


def test_a_truncated_body_is_a_broken_connection(server: MockKenarServer) -> None:
    server.respond("assets_get_cities", {"cities": [{"slug": "tehran", "display": "تهران"}]}, fault="truncate")
    with no_retries(server) as client, pytest.raises(ApiProtocolError) as caught:
        kenar_api_client.AssetsApi(client).assets_get_cities()
    assert "IncompleteRead" in str(caught.value)


def test_malformed_json_is_a_decode_error(server: MockKenarServer) -> None:
    server.respond("finder_search_post_v2", fault="malformed")
    with no_retries(server) as client, pytest.raises(ResponseDecodeError) as caught:
        kenar_api_client.FinderApi(client).finder_search_post_v2(FinderSearchPostsV2Request(city="tehran"))
    assert caught.value.status == 200 and "invalid JSON" in str(caught.value)


def test_a_reset_on_a_get_is_retried(server: MockKenarServer, client: ApiClient, sleeps: List[float]) -> None:
    server.respond("assets_get_cities", fault="reset")
    assert kenar_api_client.AssetsApi(client).assets_get_cities().cities
    assert len(server.requests_for("assets_get_cities")) == 2 and len(sleeps) == 1


def test_stopping_the_server_ends_a_hanging_answer_at_once() -> None:
    server = MockKenarServer().start()
    server.respond("assets_get_cities", fault="hang")
    try:
        with no_retries(server) as client, pytest.raises(ApiReadTimeoutError):
            kenar_api_client.AssetsApi(client).assets_get_cities(_request_timeout=0.2)
    finally:
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 3


# ---------------------------------------------------------------- recording


def test_requests_are_recorded_with_everything_a_test_asserts_on(server: MockKenarServer, client: ApiClient) -> None:
    events = kenar_api_client.EventsApi(client)
    before = time.monotonic()
    events.events_register_event_subscription(
        EventsRegisterEventSubscriptionRequest(event_type="NEW_MESSAGE_ON_POST", event_resource_id="gZd7omnS")
    )
    events.events_send_event(message="سفارش شما آماده است", target_type="USER", target_resource_id="u-1")
    kenar_api_client.FinderApi(client).finder_get_post("a/b?c")

    subscribe, send, get = server.requests
    assert isinstance(subscribe, RecordedRequest)
    assert (subscribe.operation, subscribe.method, subscribe.path) == (
        "events_register_event_subscription",
        "POST",
        "/v1/open-platform/events/subscriptions",
    )
    assert subscribe.json == {"event_type": "NEW_MESSAGE_ON_POST", "event_resource_id": "gZd7omnS"}
    assert json.loads(subscribe.body) == subscribe.json and subscribe.query == {}
    assert subscribe.headers["x-api-key"] == "test-api-key"  # any case
    assert subscribe.headers["Authorization"] == "Bearer test-access-token"
    assert subscribe.headers["Content-Type"].startswith("application/json")
    assert before <= subscribe.received_at <= time.monotonic()

    assert send.query == {"message": "سفارش شما آماده است", "target_type": "USER", "target_resource_id": "u-1"}
    assert "%D8%B3" in send.raw_query and send.json is None and send.body == b""

    assert get.path == "/v1/open-platform/finder/post/a%2Fb%3Fc"
    assert get.path_params == {"token": "a/b?c"}
    assert "Authorization" not in get.headers  # an API-key operation carries no token

    assert server.requests_for("events_send_event") == [send]
    assert server.last_request is get


def test_unanswerable_requests_are_recorded_too(server: MockKenarServer, http: urllib3.PoolManager) -> None:
    raw(http, server, "GET", "/v1/open-platform/assets/city")
    raw(http, server, "PUT", "/v9/nowhere?x=1", KEY)
    unauthorized, unknown = server.requests
    assert unauthorized.operation == "assets_get_cities" and "X-API-Key" not in unauthorized.headers
    assert unknown.operation is None and unknown.query == {"x": "1"}


def test_last_request_on_an_idle_server_says_so(server: MockKenarServer) -> None:
    with pytest.raises(AssertionError, match="no request"):
        server.last_request  # noqa: B018


# ---------------------------------------------------------------- lifecycle


def test_context_manager_serves_on_a_free_loopback_port_and_stops() -> None:
    with MockKenarServer() as first, MockKenarServer() as second:
        assert first.url.startswith("http://127.0.0.1:") and first.port > 0
        assert first.port != second.port
        config = first.configuration()
        config.retries = RetryPolicy.none()
        assert config.host == first.url
        with ApiClient(config) as client:
            assert kenar_api_client.AssetsApi(client).assets_get_cities().cities
    with ApiClient(config) as client, pytest.raises(ApiConnectionError):
        kenar_api_client.AssetsApi(client).assets_get_cities()


# ---------------------------------------------------------------- the pytest plugin


def test_the_fixture_is_a_running_server(kenar_mock_server: MockKenarServer, request: pytest.FixtureRequest) -> None:
    assert isinstance(kenar_mock_server, MockKenarServer)
    assert request.config.pluginmanager.is_registered(pytest_plugin), "the fixture must come from the plugin"
    with kenar_mock_server.api_client() as client:
        kenar_mock_server.respond("assets_get_cities", {"cities": [{"slug": "ahvaz", "display": "اهواز"}]})
        cities = kenar_api_client.AssetsApi(client).assets_get_cities()
    assert cities.cities is not None and cities.cities[0].slug == "ahvaz"


def test_pyproject_declares_the_plugin_entry_point() -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points.pytest11]\nkenar_api_client = "kenar_api_client.pytest_plugin"' in text


def test_another_project_gets_the_fixture_from_the_plugin(tmp_path: Path, plugin_args: List[str]) -> None:
    """A project with no conftest of its own: the fixture must come from the installed plugin."""
    (tmp_path / "test_app.py").write_text(
        textwrap.dedent(
            """
            import kenar_api_client

            def test_cities(kenar_mock_server):
                with kenar_mock_server.api_client() as client:
                    assert kenar_api_client.AssetsApi(client).assets_get_cities().cities
                assert kenar_mock_server.last_request.operation == "assets_get_cities"
            """
        ),
        encoding="utf-8",
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    # installed (pip install .): the entry point loads it; a bare clone names it with -p (see conftest)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin_args, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
