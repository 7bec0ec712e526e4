"""One ApiClient shared by many threads, and the mock server's computed answers that test it."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Tuple

import pytest

from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.exceptions import NotFoundException, ServiceException, UnauthorizedException
from kenar_api_client.retry import RetryPolicy
from kenar_api_client.testing import Answer, MockKenarServer, RecordedRequest

THREADS = 16
CALLS = 200


def answer_for(request: RecordedRequest) -> Any:
    token = request.path_params["token"]
    if token.endswith("7"):  # some calls fail, with an error that names them
        return Answer(404, {"code": 5, "message": f"no post {token}", "details": []})
    return {"token": token, "city": f"city-of-{token}", "unknown_field": token[::-1]}


def test_one_client_shared_by_16_threads(server: MockKenarServer):
    server.respond_with("finder_get_post", answer_for)
    config = server.configuration()
    config.retries = RetryPolicy.none()  # a lost answer must show up, not be papered over
    config.connection_pool_maxsize = THREADS
    settings_before = dict(vars(config))
    start = threading.Barrier(THREADS)

    def worker(n: int) -> List[Tuple[str, str]]:
        start.wait()
        seen = []
        for i in range(CALLS):
            token = f"t{n:02d}-{i:03d}"
            try:
                post = api.finder_get_post(token)
            except NotFoundException as error:
                seen.append((token, f"404:{error.message}"))
            else:
                assert post.city == f"city-of-{post.token}"
                assert post.unknown_field == token[::-1]  # type: ignore[attr-defined]
                seen.append((token, str(post.token)))
        return seen

    started = time.monotonic()
    with ApiClient(config) as client:
        api = FinderApi(client)
        with ThreadPoolExecutor(THREADS) as pool:
            results = [pair for part in pool.map(worker, range(THREADS)) for pair in part]
    elapsed = time.monotonic() - started

    assert len(results) == THREADS * CALLS
    for token, answer in results:
        expected = f"404:no post {token}" if token.endswith("7") else token
        assert answer == expected
    assert len(server.requests) == THREADS * CALLS
    assert sorted(r.path_params["token"] for r in server.requests) == sorted(t for t, _ in results)
    assert vars(config) == settings_before  # nothing is changed per call
    assert elapsed < 10.0


# ---------------------------------------------------------------- the respond_with hook


def test_respond_with_computes_each_answer_from_the_request(server: MockKenarServer):
    server.respond_with("finder_get_post", lambda request: {"token": request.path_params["token"].upper()})
    with server.api_client() as client:
        api = FinderApi(client)
        assert api.finder_get_post("abc").token == "ABC"
        assert api.finder_get_post("xyz").token == "XYZ"


def test_queued_answers_come_first_then_computed_ones(server: MockKenarServer):
    server.respond_with("finder_get_post", lambda request: {"token": "computed"})
    server.respond("finder_get_post", json={"token": "queued"})
    with server.api_client() as client:
        api = FinderApi(client)
        assert [api.finder_get_post("a").token for _ in range(2)] == ["queued", "computed"]


def test_respond_with_an_answer_object(server: MockKenarServer):
    server.respond_with("finder_get_post", lambda request: Answer(404, {"code": 5, "message": "gone"}))
    with server.api_client() as client:
        with pytest.raises(NotFoundException) as caught:
            FinderApi(client).finder_get_post("a")
    assert caught.value.message == "gone"


def test_a_failing_compute_answers_500_naming_the_error(server: MockKenarServer):
    def broken(request: RecordedRequest) -> Dict[str, Any]:
        raise RuntimeError("boom")

    server.respond_with("finder_get_post", broken)
    config = server.configuration()
    config.retries = RetryPolicy.none()
    with ApiClient(config) as client:
        with pytest.raises(ServiceException) as caught:
            FinderApi(client).finder_get_post("a")
    assert caught.value.status == 500
    assert "boom" in (caught.value.message or "")


def test_respond_with_none_and_reset_remove_it(server: MockKenarServer):
    with server.api_client() as client:
        api = FinderApi(client)
        server.respond_with("finder_get_post", lambda request: {"token": "computed"})
        server.respond_with("finder_get_post", None)
        assert api.finder_get_post("a").token == "sample-token"
        server.respond_with("finder_get_post", lambda request: {"token": "computed"})
        server.reset()
        assert api.finder_get_post("a").token == "sample-token"


def test_respond_with_an_unknown_operation_is_refused(server: MockKenarServer):
    with pytest.raises(KeyError):
        server.respond_with("no_such_operation", lambda request: {})


def test_requests_that_fail_the_checks_never_reach_compute(server: MockKenarServer):
    calls: List[str] = []
    server.respond_with("finder_get_post", lambda request: calls.append("x") or {})
    config = server.configuration()
    config.api_key.clear()
    with ApiClient(config) as client:
        with pytest.raises(UnauthorizedException):
            FinderApi(client).finder_get_post("a")
    assert calls == []


# ---------------------------------------------------------------- the connection pool under contention

POOL_FULL = "Connection pool is full"


def calls_from_threads(server: MockKenarServer, client: ApiClient, threads: int, calls: int) -> List[str]:
    server.respond_with(
        "finder_get_post", lambda request: Answer(200, {"token": request.path_params["token"]}, delay=0.01)
    )
    start = threading.Barrier(threads)
    api = FinderApi(client)

    def worker(n: int) -> List[str]:
        start.wait()
        return [str(api.finder_get_post(f"t{n}-{i}").token) for i in range(calls)]

    with ThreadPoolExecutor(threads) as pool:
        return [token for part in pool.map(worker, range(threads)) for token in part]


def test_32_threads_on_one_default_client_fit_the_pool(server: MockKenarServer, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="urllib3")
    config = server.configuration()
    assert config.connection_pool_maxsize >= 32
    with ApiClient(config) as client:
        tokens = calls_from_threads(server, client, 32, 5)
    assert sorted(tokens) == sorted(f"t{n}-{i}" for n in range(32) for i in range(5))
    assert [r.getMessage() for r in caplog.records if POOL_FULL in r.getMessage()] == []


def test_more_threads_than_the_pool_still_all_succeed(server: MockKenarServer, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="urllib3")
    config = server.configuration()
    config.connection_pool_maxsize = 4
    config.retries = RetryPolicy.none()  # nothing may be papered over by a retry
    with ApiClient(config) as client:
        tokens = calls_from_threads(server, client, 16, 5)
        pool = client.rest_client.pool_manager.connection_from_url(server.url)
        assert pool.pool is not None and pool.pool.qsize() <= 4  # the extras were closed, not kept
    assert len(tokens) == 80 and len(server.requests) == 80
    assert any(POOL_FULL in r.getMessage() for r in caplog.records)  # the documented symptom of a small pool
