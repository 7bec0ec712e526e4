"""Models, enums and errors read well in a REPL and a notebook, without changing
what ``to_dict()``/``to_json()`` give or the official attributes (issue 12 §8)."""

from __future__ import annotations

import json
from typing import Any, List

import pytest

import kenar_api_client
from kenar_api_client import ApiClient
from kenar_api_client.exceptions import ApiException, NotFoundException, ServiceException, TooManyRequestsException
from kenar_api_client.models.payment_get_transaction_response import PaymentGetTransactionResponse
from kenar_api_client.models.payment_transaction import PaymentTransaction
from kenar_api_client.models.payment_transaction_state import PaymentTransactionState
from kenar_api_client.testing import MockKenarServer

TRANSACTION = {"id": "tx-1", "state": "TRANSACTION_STATE_COMPLETED", "cost_rials": "1000", "novel": {"a": 1}}


# ---------------------------------------------------------------- models


def test_repr_lists_only_fields_that_hold_something() -> None:
    tx = PaymentTransaction.model_validate(TRANSACTION)
    text = repr(tx)
    assert text.startswith("PaymentTransaction(") and text.endswith(")")
    assert "id='tx-1'" in text and "cost_rials='1000'" in text and "novel={'a': 1}" in text
    assert "None" not in text and "app_slug" not in text and "created_at" not in text
    assert repr(PaymentTransaction()) == "PaymentTransaction()"
    assert "None" not in str(tx) and "id='tx-1'" in str(tx)


def test_repr_of_nested_models_stays_concise() -> None:
    answer = PaymentGetTransactionResponse.model_validate({"transaction": TRANSACTION})
    text = repr(answer)
    assert text.startswith(
        "PaymentGetTransactionResponse(transaction=PaymentTransaction(cost_rials='1000', id='tx-1', "
    )
    assert "None" not in text


def test_to_dict_to_json_and_to_str_are_unchanged() -> None:
    tx = PaymentTransaction.model_validate(dict(TRANSACTION, app_slug=None))
    assert tx.to_dict() == TRANSACTION  # None left out, unknown fields kept, enum as its member
    assert json.loads(tx.to_json()) == TRANSACTION
    assert "'app_slug': None" in tx.to_str()  # to_str shows every field, as the official SDK's does
    assert tx.model_dump()["app_slug"] is None


# ---------------------------------------------------------------- enums


@pytest.mark.parametrize("value", ["TRANSACTION_STATE_COMPLETED", "TRANSACTION_STATE_ON_HOLD"])
def test_str_and_format_of_an_enum_are_its_value(value: str) -> None:
    state = PaymentTransaction.model_validate({"state": value}).state
    assert isinstance(state, PaymentTransactionState)
    assert state.is_known is (value == "TRANSACTION_STATE_COMPLETED")
    assert str(state) == value
    assert f"{state}" == value
    assert f"{state:>30}" == value.rjust(30)
    assert "%s" % state == value  # noqa: UP031
    assert "{}".format(state) == value  # noqa: UP032
    assert state == value and state.value == value  # the official attributes
    assert (
        repr(state) == f"<{PaymentTransactionState.__name__}.{value}: '{value}'>"
    )  # the class 0.291 called PaymentTransactionState


# ---------------------------------------------------------------- errors

RPC = {"code": 5, "message": "post tok-1 not found", "details": []}


@pytest.fixture
def client(server: MockKenarServer) -> Any:
    config = server.configuration()
    config.retries = 0
    with ApiClient(config) as api_client:
        yield api_client


def _lines(error: BaseException) -> List[str]:
    return str(error).splitlines()


def test_error_text_has_status_request_code_and_message_and_no_headers(server: MockKenarServer, client: Any) -> None:
    server.respond("finder_get_post", json=RPC, status=404, headers={"X-Request-Id": "r-9"})
    with pytest.raises(NotFoundException) as info:
        kenar_api_client.FinderApi(client).finder_get_post("tok-1")
    error = info.value
    assert _lines(error) == [
        "(404) Not Found",
        f"Request: GET {server.url}/v1/open-platform/finder/post/tok-1",
        "Code: 5 (NOT_FOUND)",
        "Message: post tok-1 not found",
    ]
    assert (error.method, error.url) == ("GET", f"{server.url}/v1/open-platform/finder/post/tok-1")
    # the official attributes are all still there
    assert error.status == 404 and error.reason == "Not Found"
    assert json.loads(error.body or "") == RPC
    assert error.headers["X-Request-Id"] == "r-9"
    assert "test-api-key" not in str(error) + repr(error)
    assert repr(error) == "NotFoundException(status=404, reason='Not Found', code=5, message='post tok-1 not found')"


def test_error_text_shows_an_excerpt_of_a_body_that_is_not_a_status(server: MockKenarServer, client: Any) -> None:
    page = "<html>" + "upstream failed " * 100 + "</html>"
    server.respond("events_send_event", body=page, status=502, headers={"Content-Type": "text/html"})
    with pytest.raises(ServiceException) as info:
        kenar_api_client.EventsApi(client).events_send_event(message="m")
    lines = _lines(info.value)
    assert lines[:2] == [
        "(502) Bad Gateway",
        f"Request: POST {server.url}/experimental/open-platform/events/send?message=m",
    ]
    assert lines[2].startswith("Body: <html>upstream failed") and lines[2].endswith(f"... ({len(page)} chars)")
    assert len(lines) == 3 and "Content-Type" not in str(info.value) and "Server" not in str(info.value)


def test_error_text_shows_retry_after(server: MockKenarServer, client: Any) -> None:
    server.respond(
        "assets_get_cities", json={"code": 8, "message": "slow down"}, status=429, headers={"Retry-After": "3"}
    )
    with pytest.raises(TooManyRequestsException) as info:
        kenar_api_client.AssetsApi(client).assets_get_cities()
    assert "Code: 8 (RESOURCE_EXHAUSTED)" in _lines(info.value)
    assert "Retry after: 3 s" in _lines(info.value)


def test_an_error_built_by_hand_still_reads_well() -> None:
    assert str(ApiException(status=418, reason="teapot")) == "(418) teapot"
    assert str(ApiException(status=0)) == "(0)"
    error = NotFoundException(status=404, reason="Not Found", body='{"code": 99, "message": "odd"}')
    assert _lines(error) == ["(404) Not Found", "Code: 99", "Message: odd"]


class _Printer:
    """The part of IPython's pretty printer that ``_repr_pretty_`` uses."""

    def __init__(self) -> None:
        self.out = ""

    def text(self, text: str) -> None:
        self.out += text


def test_ipython_shows_the_readable_text_of_an_error() -> None:
    error = NotFoundException(status=404, reason="Not Found", body='{"code": 5, "message": "gone"}')
    printer = _Printer()
    error._repr_pretty_(printer, False)
    assert printer.out == "NotFoundException: (404) Not Found\nCode: 5 (NOT_FOUND)\nMessage: gone"
