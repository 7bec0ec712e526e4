"""Following ``next_page_token`` for operations that page.

::

    from kenar_api_client.pagination import paginate

    api = PaymentApi(client)
    for transaction in paginate(api.payment_list_transactions, page_size=50):
        print(transaction.id)

:func:`paginate` yields the items of every page; :func:`pages` yields the
whole answers.  Both call the method given, with the arguments given, then
again with the page token of each answer, until an answer has no next token or
no items.  Which operations page and which field holds the items comes from
the operation table (``Operation.paging``), so an operation that a newer spec
adds pages the same way.

An operation that does not page is refused with
:class:`~kenar_api_client.exceptions.ApiTypeError` when ``paginate`` /
``pages`` is called, before anything is sent.  A server that hands out a page
token it already gave stops the iteration with :class:`RepeatedPageTokenError`
instead of looping forever.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterator, Optional, Set, Tuple

from kenar_api_client._op_types import Operation, Paging
from kenar_api_client.exceptions import ApiTypeError, OpenApiException

__all__ = ["RepeatedPageTokenError", "pages", "paginate"]

_WITH_HTTP_INFO = "_with_http_info"
_WITHOUT_PRELOAD = "_without_preload_content"


class RepeatedPageTokenError(OpenApiException, RuntimeError):
    """The server gave a ``next_page_token`` it had given before: following it would loop forever."""

    def __init__(self, operation: str, token: str, page_number: int) -> None:
        self.operation = operation
        self.token = token
        self.page_number = page_number
        shown = token if len(token) <= 40 else token[:40] + "..."
        super().__init__(
            f"{operation}: page {page_number} gave the next page token {shown!r} again; "
            "stopping instead of looping forever"
        )


def _operation_of(method: Any) -> Tuple[Operation, bool]:
    """The operation behind a bound API method, and whether it is the ``_with_http_info`` variant."""
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", None)
    if owner is None or not isinstance(name, str) or not callable(method):
        raise ApiTypeError(
            "paginate()/pages() take a bound API method, e.g. PaymentApi(client).payment_list_transactions, "
            f"got {method!r}"
        )
    if name.endswith(_WITHOUT_PRELOAD):
        raise ApiTypeError(
            f"{name}() returns the raw, unread response, which cannot be paged; "
            f"pass {name[: -len(_WITHOUT_PRELOAD)]} or its _with_http_info variant"
        )
    with_http_info = name.endswith(_WITH_HTTP_INFO)
    base = name[: -len(_WITH_HTTP_INFO)] if with_http_info else name
    from kenar_api_client._op_table import OPERATIONS

    op = OPERATIONS.get(base)
    classes = {cls.__name__ for cls in type(owner).__mro__}
    if op is None or op.api not in classes:
        raise ApiTypeError(f"{type(owner).__name__}.{name} is not an operation of this SDK, so it cannot be paged")
    if op.paging is None:
        raise ApiTypeError(f"{op.api}.{name} does not page (it takes no page token and returns no next page token)")
    return op, with_http_info


def _field(answer: Any, name: str) -> Any:
    if isinstance(answer, dict):
        return answer.get(name)
    return getattr(answer, name, None)


def _prepare(
    method: Callable[..., Any], args: Tuple[Any, ...], kwargs: Any
) -> Tuple[Operation, bool, inspect.BoundArguments]:
    op, with_http_info = _operation_of(method)
    try:
        bound = inspect.signature(method).bind(*args, **kwargs)
    except TypeError as error:
        raise ApiTypeError(f"{op.name}(): {error}") from None
    return op, with_http_info, bound


def _iterate(
    method: Callable[..., Any], op: Operation, with_http_info: bool, bound: inspect.BoundArguments
) -> Iterator[Any]:
    paging: Paging = op.paging  # type: ignore[assignment]  # checked by _operation_of
    seen: Set[str] = set()
    token: Optional[str] = bound.arguments.get(paging.token_param) or None
    if token:
        seen.add(token)
    page_number = 0
    while True:
        bound.arguments[paging.token_param] = token
        answer = method(*bound.args, **bound.kwargs)
        page_number += 1
        yield answer
        body = answer.data if with_http_info else answer
        items = _field(body, paging.items_field)
        next_token = _field(body, paging.next_token_field)
        if not items or not next_token:
            return
        if next_token in seen:
            raise RepeatedPageTokenError(op.name, str(next_token), page_number)
        seen.add(next_token)
        token = next_token


def pages(method: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Iterator[Any]:
    """Every answer of a paged operation, first page first.

    ``method`` is a bound API method (``api.payment_list_transactions`` or its
    ``_with_http_info`` variant, which yields ``ApiResponse`` objects);
    ``args``/``kwargs`` are passed to every call, the page token replaced by
    the one of the previous answer (a page token given starts from that page).
    Nothing is sent until the first answer is asked for.
    """
    op, with_http_info, bound = _prepare(method, args, kwargs)
    return _iterate(method, op, with_http_info, bound)


def paginate(method: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Iterator[Any]:
    """Every item of every page of a paged operation, in order (see :func:`pages`)."""
    op, with_http_info, bound = _prepare(method, args, kwargs)
    items_field = op.paging.items_field  # type: ignore[union-attr]  # checked by _prepare

    def items() -> Iterator[Any]:
        for answer in _iterate(method, op, with_http_info, bound):
            body = answer.data if with_http_info else answer
            yield from _field(body, items_field) or ()

    return items()
