"""Every error status maps to its exception class, with the server's googlerpcStatus readable."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Type

import pytest

import kenar_api_client
from kenar_api_client import ApiClient
from kenar_api_client.exceptions import (
    ApiException,
    BadRequestException,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    OpenApiException,
    ServiceException,
    TooManyRequestsException,
    UnauthorizedException,
    UnprocessableEntityException,
)
from kenar_api_client.models.googlerpc_status import GooglerpcStatus
from kenar_api_client.models.protobuf_any import ProtobufAny
from kenar_api_client.testing import MockKenarServer

API_KEY = "secret-api-key-123"
TOKEN = "secret-access-token-456"

RPC_BODY = {
    "code": 3,
    "message": "عنوان آگهی معتبر نیست",
    "details": [
        {"@type": "type.googleapis.com/google.rpc.BadRequest", "field_violations": [{"field": "title"}]},
        {"@type": "type.googleapis.com/google.rpc.RequestInfo", "request_id": "r-1"},
    ],
}

STATUSES = [
    (400, "Bad Request", BadRequestException),
    (401, "Unauthorized", UnauthorizedException),
    (403, "Forbidden", ForbiddenException),
    (404, "Not Found", NotFoundException),
    (409, "Conflict", ConflictException),
    (422, "Unprocessable Entity", UnprocessableEntityException),
    (429, "Too Many Requests", TooManyRequestsException),
    (418, "I'm a Teapot", ApiException),
    (405, "Method Not Allowed", ApiException),
    (500, "Internal Server Error", ServiceException),
    (502, "Bad Gateway", ServiceException),
    (503, "Service Unavailable", ServiceException),
    (504, "Gateway Timeout", ServiceException),
]


def sent_reason(status: int, documented: str) -> str:
    """The reason phrase the mock server's ``http.server`` sends for ``status``.

    Python 3.13 renamed 422 after RFC 9110 ("Unprocessable Content"); every
    other phrase here is the same on every supported version.
    """
    phrase = HTTPStatus(status).phrase
    assert phrase == documented or (status, phrase) == (422, "Unprocessable Content"), phrase
    return phrase


# the `server` and `client` fixtures come from conftest.py: a server that accepts exactly these
# credentials, and one answer per call (the status under test is what the caller sees)
pytestmark = [pytest.mark.mock_server(api_key=API_KEY, access_token=TOKEN), pytest.mark.no_retries]


@pytest.mark.parametrize(("status", "reason", "exc_class"), STATUSES)
@pytest.mark.parametrize("operation", ["finder_get_post", "events_send_event"])
def test_status_maps_to_exception(
    status: int, reason: str, exc_class: Type[ApiException], operation: str, server: MockKenarServer, client: ApiClient
) -> None:
    raw = json.dumps(RPC_BODY, ensure_ascii=False)
    server.respond(operation, body=raw, status=status, headers={"X-Request-Id": "r-1", "Retry-After": "7"})
    if operation == "finder_get_post":
        call = lambda: kenar_api_client.FinderApi(client).finder_get_post("tok")  # noqa: E731
    else:
        call = lambda: kenar_api_client.EventsApi(client).events_send_event(message="m")  # noqa: E731
    with pytest.raises(ApiException) as info:
        call()
    error = info.value
    reason = sent_reason(status, reason)
    assert type(error) is exc_class
    assert isinstance(error, OpenApiException)
    assert error.status == status
    assert error.reason == reason
    assert error.body == raw
    assert error.headers["X-Request-Id"] == "r-1"
    assert error.headers["content-type"] == "application/json"
    assert error.code == 3
    assert error.message == RPC_BODY["message"]
    assert error.details == RPC_BODY["details"]
    rpc = error.rpc_status
    assert isinstance(rpc, GooglerpcStatus)
    assert rpc.code == 3 and rpc.message == RPC_BODY["message"]
    assert rpc.details is not None and all(isinstance(d, ProtobufAny) for d in rpc.details)
    assert rpc.details[0].type == "type.googleapis.com/google.rpc.BadRequest"
    assert rpc.details[0].field_violations == [{"field": "title"}]  # unknown fields of Any stay readable
    assert rpc.details[1].model_extra == {"request_id": "r-1"}
    text = str(error)
    assert f"({status})" in text and reason in text and RPC_BODY["message"] in text
    assert API_KEY not in text and TOKEN not in text and API_KEY not in repr(error)
    if status == 429:
        assert error.retry_after == 7.0  # type: ignore[attr-defined]
    assert len(server.requests) == 1


def test_error_body_that_is_not_a_googlerpc_status(server: MockKenarServer, client: ApiClient) -> None:
    html = "<html><body>502 Bad Gateway</body></html>"
    server.respond("finder_get_post", body=html, status=502, headers={"Content-Type": "text/html"})
    with pytest.raises(ServiceException) as info:
        kenar_api_client.FinderApi(client).finder_get_post("tok")
    error = info.value
    assert error.body == html
    assert (error.code, error.message, error.details, error.rpc_status) == (None, None, [], None)
    assert error.headers["Content-Type"] == "text/html"

    server.respond("finder_get_post", body=b"", status=404)
    with pytest.raises(NotFoundException) as not_found:
        kenar_api_client.FinderApi(client).finder_get_post("tok")
    assert not_found.value.body == "" and not_found.value.message is None

    server.respond("finder_get_post", json={"error": "something else"}, status=400)
    with pytest.raises(BadRequestException) as other:
        kenar_api_client.FinderApi(client).finder_get_post("tok")
    assert other.value.code is None and other.value.rpc_status is None
    assert json.loads(other.value.body) == {"error": "something else"}


def test_partial_googlerpc_status(server: MockKenarServer, client: ApiClient) -> None:
    server.respond("payment_get_balance", json={"code": 16, "message": "token expired"}, status=401)
    with pytest.raises(UnauthorizedException) as info:
        kenar_api_client.PaymentApi(client).payment_get_balance()
    assert (info.value.code, info.value.message, info.value.details) == (16, "token expired", [])
    assert info.value.rpc_status == GooglerpcStatus(code=16, message="token expired")


def test_the_mock_servers_own_refusals_are_typed(server: MockKenarServer, client: ApiClient) -> None:
    """Wrong credentials as the real API answers them: 401 with a googlerpcStatus."""
    client.configuration.api_key["APIKey"] = "wrong"
    with pytest.raises(UnauthorizedException) as info:
        kenar_api_client.AssetsApi(client).assets_get_cities()
    assert info.value.code == 16 and info.value.message


def test_with_http_info_raises_the_same(server: MockKenarServer, client: ApiClient) -> None:
    server.respond("post_get_user_post", json=RPC_BODY, status=409)
    with pytest.raises(ConflictException) as info:
        kenar_api_client.PostApi(client).post_get_user_post_with_http_info("tok")
    assert info.value.status == 409 and info.value.details == RPC_BODY["details"]


def test_success_statuses_other_than_200(server: MockKenarServer, client: ApiClient) -> None:
    server.respond("post_delete_user_post", json={}, status=202)
    info = kenar_api_client.PostApi(client).post_delete_user_post_with_http_info("tok")
    assert info.status_code == 202 and info.data == {}


def test_exception_constructors_like_the_official() -> None:
    error = ApiException(status=418, reason="teapot")
    assert (error.status, error.reason, error.body, error.headers) == (418, "teapot", None, None)
    assert "(418)" in str(error) and "teapot" in str(error)
    error = NotFoundException(status=404, reason="Not Found", body='{"code": 5, "message": "no post"}')
    assert error.code == 5 and error.message == "no post"
