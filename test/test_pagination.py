"""kenar_api_client.pagination against the mock server: pages are served by respond_with."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

import kenar_api_client
from kenar_api_client._op_table import OPERATIONS
from kenar_api_client._op_types import Paging
from kenar_api_client.api_client import ApiClient
from kenar_api_client.api_response import ApiResponse
from kenar_api_client.exceptions import ApiTypeError, NotFoundException
from kenar_api_client.pagination import RepeatedPageTokenError, pages, paginate
from kenar_api_client.testing import MockKenarServer, RecordedRequest


def transaction(number: int) -> Dict[str, Any]:
    return {"id": f"t{number}", "cost_rials": str(1000 * number)}


def serve_pages(server: MockKenarServer, book: Dict[Optional[str], Dict[str, Any]]) -> None:
    """Answer each page token (None for the first page) from ``book``."""

    def answer(request: RecordedRequest) -> Any:
        return book[request.query.get("page_token")]

    server.respond_with("payment_list_transactions", answer)


def tokens_sent(server: MockKenarServer) -> List[Optional[str]]:
    return [r.query.get("page_token") for r in server.requests_for("payment_list_transactions")]


@pytest.fixture
def payments(client: ApiClient) -> Any:
    return kenar_api_client.PaymentApi(client)


def test_the_generator_marks_the_paged_operation() -> None:
    assert OPERATIONS["payment_list_transactions"].paging == Paging("page_token", "transactions", "next_page_token")


def test_several_pages_until_the_next_token_is_empty(server: MockKenarServer, payments: Any) -> None:
    serve_pages(
        server,
        {
            None: {"transactions": [transaction(1), transaction(2)], "next_page_token": "p2"},
            "p2": {"transactions": [transaction(3), transaction(4)], "next_page_token": "p3"},
            "p3": {"transactions": [transaction(5)], "next_page_token": ""},
        },
    )
    items = list(paginate(payments.payment_list_transactions, page_size=2))
    assert [t.id for t in items] == ["t1", "t2", "t3", "t4", "t5"]
    assert tokens_sent(server) == [None, "p2", "p3"]
    assert [r.query.get("page_size") for r in server.requests] == ["2", "2", "2"]


def test_a_missing_next_token_ends_too(server: MockKenarServer, payments: Any) -> None:
    serve_pages(server, {None: {"transactions": [transaction(1)]}})
    assert [t.id for t in paginate(payments.payment_list_transactions)] == ["t1"]
    assert len(server.requests) == 1


def test_an_empty_page_ends_even_with_a_next_token(server: MockKenarServer, payments: Any) -> None:
    serve_pages(
        server,
        {
            None: {"transactions": [transaction(1)], "next_page_token": "p2"},
            "p2": {"transactions": [], "next_page_token": "p3"},
            "p3": {"transactions": [transaction(9)], "next_page_token": ""},
        },
    )
    assert [t.id for t in paginate(payments.payment_list_transactions)] == ["t1"]
    assert tokens_sent(server) == [None, "p2"]


def test_a_first_page_without_items(server: MockKenarServer, payments: Any) -> None:
    serve_pages(server, {None: {"next_page_token": "p2"}})
    assert list(paginate(payments.payment_list_transactions)) == []
    assert len(list(pages(payments.payment_list_transactions))) == 1


def test_a_repeated_token_stops_with_a_clear_error(server: MockKenarServer, payments: Any) -> None:
    serve_pages(
        server,
        {
            None: {"transactions": [transaction(1)], "next_page_token": "p2"},
            "p2": {"transactions": [transaction(2)], "next_page_token": "p3"},
            "p3": {"transactions": [transaction(3)], "next_page_token": "p2"},
        },
    )
    seen: List[str] = []
    with pytest.raises(RepeatedPageTokenError, match="page 3 gave the next page token 'p2' again") as caught:
        for item in paginate(payments.payment_list_transactions):
            seen.append(item.id)
    assert seen == ["t1", "t2", "t3"]  # every item served was yielded before the error
    assert caught.value.token == "p2" and caught.value.page_number == 3
    assert caught.value.operation == "payment_list_transactions"
    assert tokens_sent(server) == [None, "p2", "p3"]


def test_a_token_that_points_back_at_the_starting_page(server: MockKenarServer, payments: Any) -> None:
    serve_pages(server, {"start": {"transactions": [transaction(1)], "next_page_token": "start"}})
    with pytest.raises(RepeatedPageTokenError):
        list(paginate(payments.payment_list_transactions, page_token="start"))
    assert tokens_sent(server) == ["start"]


def test_starting_from_a_given_token_positionally(server: MockKenarServer, payments: Any) -> None:
    serve_pages(
        server,
        {
            "p2": {"transactions": [transaction(3)], "next_page_token": "p3"},
            "p3": {"transactions": [transaction(4)], "next_page_token": ""},
        },
    )
    assert [t.id for t in paginate(payments.payment_list_transactions, 10, "p2")] == ["t3", "t4"]
    assert tokens_sent(server) == ["p2", "p3"]
    assert {r.query["page_size"] for r in server.requests} == {"10"}


def test_pages_yields_whole_answers_and_http_info_variants(server: MockKenarServer, payments: Any) -> None:
    serve_pages(
        server,
        {
            None: {"transactions": [transaction(1)], "next_page_token": "p2"},
            "p2": {"transactions": [transaction(2)], "next_page_token": ""},
        },
    )
    answers = list(pages(payments.payment_list_transactions))
    assert [type(a).__name__ for a in answers] == ["PaymentListTransactionsResponse"] * 2
    assert answers[0].next_page_token == "p2"
    infos = list(pages(payments.payment_list_transactions_with_http_info))
    assert all(isinstance(a, ApiResponse) and a.status_code == 200 for a in infos)
    assert [t.id for t in paginate(payments.payment_list_transactions_with_http_info)] == ["t1", "t2"]


def test_nothing_is_sent_until_the_first_item_is_asked_for(server: MockKenarServer, payments: Any) -> None:
    iterator = paginate(payments.payment_list_transactions)
    assert server.requests == []
    serve_pages(server, {None: {"transactions": [transaction(1)], "next_page_token": ""}})
    assert next(iterator).id == "t1"


def test_errors_of_a_page_propagate(server: MockKenarServer, payments: Any) -> None:
    server.respond("payment_list_transactions", json={"transactions": [transaction(1)], "next_page_token": "p2"})
    server.respond("payment_list_transactions", status=404)
    iterator = paginate(payments.payment_list_transactions)
    assert next(iterator).id == "t1"
    with pytest.raises(NotFoundException):
        next(iterator)


def test_a_subclass_of_the_api_class_pages(server: MockKenarServer, client: ApiClient) -> None:
    class MyPayments(kenar_api_client.PaymentApi):
        pass

    serve_pages(server, {None: {"transactions": [transaction(1)], "next_page_token": ""}})
    assert [t.id for t in paginate(MyPayments(client).payment_list_transactions)] == ["t1"]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda c: kenar_api_client.PaymentApi(c).payment_get_balance, "does not page"),
        (lambda c: kenar_api_client.PaymentApi(c).payment_get_balance_with_http_info, "does not page"),
        (lambda c: kenar_api_client.FinderApi(c).finder_search_post_v2, "does not page"),
        (lambda c: kenar_api_client.PaymentApi(c).payment_list_transactions_without_preload_content, "raw"),
        (lambda c: kenar_api_client.PaymentApi.payment_list_transactions, "bound API method"),
        (lambda c: lambda page_token=None: None, "bound API method"),
        (lambda c: c.close, "not an operation"),
        (lambda c: "payment_list_transactions", "bound API method"),
    ],
)
def test_what_does_not_page_is_refused_before_sending(
    make: Any, message: str, server: MockKenarServer, client: ApiClient
) -> None:
    method = make(client)
    with pytest.raises(ApiTypeError, match=message):
        paginate(method)
    with pytest.raises(ApiTypeError, match=message):
        pages(method)
    assert server.requests == []


def test_bad_arguments_are_refused_before_sending(server: MockKenarServer, payments: Any) -> None:
    with pytest.raises(ApiTypeError, match="payment_list_transactions"):
        paginate(payments.payment_list_transactions, page_count=3)
    with pytest.raises(ApiTypeError):
        pages(payments.payment_list_transactions, 1, "t", "extra", "args", "too", "many", "really", "now")
    assert server.requests == []


def test_the_table_decides_what_pages(monkeypatch: pytest.MonkeyPatch, server: MockKenarServer, payments: Any) -> None:
    op = OPERATIONS["payment_list_transactions"]
    monkeypatch.setitem(OPERATIONS, "payment_list_transactions", op.replace(paging=None))
    with pytest.raises(ApiTypeError, match="does not page"):
        paginate(payments.payment_list_transactions)
    # a table entry that pages another list field is followed the same way
    monkeypatch.setitem(
        OPERATIONS, "payment_list_transactions", op.replace(paging=Paging("page_token", "entries", "next"))
    )
    serve_pages(
        server,
        {
            None: {"entries": [1, 2], "next": "b", "transactions": []},
            "b": {"entries": [3], "next": ""},
        },
    )
    assert list(paginate(payments.payment_list_transactions)) == [1, 2, 3]
