"""Every SDK exception survives pickle and copy (e.g. raised in a process pool worker).

The classes are found by walking the modules, so a new exception class is
covered without editing this file; each is built the way the SDK builds it.
"""

from __future__ import annotations

import copy
import inspect
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any, List, Type

import pytest
import urllib3

from kenar_api_client import exceptions, oauth, webhooks
from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.exceptions import (
    ApiException,
    OpenApiException,
    ResponseDecodeError,
    ResponseTooLargeError,
    TooManyRequestsException,
    TransportError,
    _PathError,
)
from kenar_api_client.testing import MockKenarServer


def sdk_exception_classes() -> List[Type[OpenApiException]]:
    found = {}
    for module in (exceptions, oauth, webhooks):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, OpenApiException) and cls.__module__.startswith("kenar_api_client"):
                found[cls.__qualname__] = cls
    return [found[name] for name in sorted(found)]


def response(status: int) -> urllib3.HTTPResponse:
    return urllib3.HTTPResponse(
        body=b'{"code": 8, "message": "slow down", "details": []}',
        headers={"Retry-After": "7", "Content-Type": "application/json"},
        status=status,
        reason="Some Reason",
        preload_content=True,
    )


def build(cls: Type[OpenApiException]) -> OpenApiException:
    if issubclass(cls, oauth.OAuthValueError):
        return cls("bad redirect_uri")  # type: ignore[call-arg]
    if issubclass(cls, ApiException):
        status = 429 if cls is TooManyRequestsException else 418
        error = cls(http_resp=response(status))
        error.attempts = 2
        return error
    if issubclass(cls, ResponseTooLargeError):
        return cls("GET", "https://h/x", "over", attempts=2, status=200, limit=10)
    if issubclass(cls, TransportError):
        return cls("POST", "https://h/x", "reset by peer", attempts=3)
    if issubclass(cls, ResponseDecodeError):
        return cls(200, "invalid JSON", b"{not json", content_type="application/json", headers={"A": "b"})
    if issubclass(cls, _PathError):
        return cls("wrong value", path_to_item=["body", 0], valid_classes=(str,), key_type=False)  # type: ignore[call-arg]
    if issubclass(cls, oauth.OAuthError):
        return cls(
            "refused", status=400, reason="Bad Request", error="invalid_grant", error_description="no", body="{}"
        )  # type: ignore[call-arg]
    if issubclass(cls, webhooks.WebhookPayloadError):
        return cls("not JSON", http_status=413)  # type: ignore[call-arg]
    return cls("something failed")


def same(a: BaseException, b: BaseException) -> None:
    assert type(a) is type(b)
    assert str(a) == str(b) and repr(a) == repr(b) and a.args == b.args
    assert set(vars(a)) == set(vars(b))
    for name, value in vars(a).items():
        other = vars(b)[name]
        if name == "headers" and value is not None:
            assert dict(value) == dict(other)
        else:
            assert value == other, name


@pytest.mark.parametrize("cls", sdk_exception_classes(), ids=lambda c: c.__name__)
def test_every_sdk_exception_round_trips_through_pickle_and_copy(cls: Type[OpenApiException]):
    error = build(cls)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        same(error, pickle.loads(pickle.dumps(error, protocol)))
    same(error, copy.copy(error))
    same(error, copy.deepcopy(error))


def test_the_walk_found_the_families():
    names = {cls.__name__ for cls in sdk_exception_classes()}
    assert {"TransportError", "ResponseDecodeError", "ResponseTooLargeError", "TooManyRequestsException"} <= names
    assert {"OAuthError", "OAuthValueError", "WebhookError", "WebhookPayloadError"} <= names
    assert len(names) >= 25


def test_parsed_parts_survive(server: MockKenarServer):
    error = pickle.loads(pickle.dumps(build(TooManyRequestsException)))
    assert isinstance(error, TooManyRequestsException)
    assert (error.status, error.code, error.message, error.retry_after, error.attempts) == (429, 8, "slow down", 7.0, 2)
    transport = pickle.loads(pickle.dumps(build(exceptions.ApiReadTimeoutError)))
    assert (transport.method, transport.url, transport.attempts) == ("POST", "https://h/x", 3)
    assert "after 3 attempts" in str(transport)


def fetch_in_a_worker(url: str) -> Any:
    from kenar_api_client.api_client import ApiClient
    from kenar_api_client.configuration import Configuration
    from kenar_api_client.retry import RetryPolicy

    config = Configuration(host=url)
    config.api_key["APIKey"] = "test-api-key"
    config.retries = RetryPolicy.none()
    with ApiClient(config) as client:
        return FinderApi(client).finder_get_post("tok")


def test_an_error_raised_in_a_process_pool_worker_reaches_the_caller(closed_port: int, server: MockKenarServer):
    server.respond("finder_get_post", status=404)
    # spawn, not fork: forking a process that runs server threads can deadlock (3.12+ warns)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        with pytest.raises(exceptions.ApiConnectionError) as caught:
            pool.submit(fetch_in_a_worker, f"http://127.0.0.1:{closed_port}").result(timeout=30)
        assert caught.value.method == "GET" and str(closed_port) in caught.value.url
        with pytest.raises(exceptions.NotFoundException) as not_found:
            pool.submit(fetch_in_a_worker, server.url).result(timeout=30)
        assert not_found.value.status == 404
