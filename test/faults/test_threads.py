"""One ApiClient shared by many threads, and the mock server's computed answers that test it."""

from __future__ import annotations

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
