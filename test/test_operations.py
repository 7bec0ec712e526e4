"""Every operation over real HTTP against the mock Kenar server.

For each of the 68 operations: call it with realistic arguments built from the
operation table and check what the server saw (method, raw path, query,
headers, JSON body) and the typed result.  Then EventsApi in depth (per the
official reference page), the request-control keywords, and the variants.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

import pytest
import urllib3
from pydantic import BaseModel

import kenar_api_client
from kenar_api_client import ApiClient, ApiResponse, EventsApi
from kenar_api_client._op_table import OPERATIONS
from kenar_api_client._op_types import BODY, PATH, QUERY, Operation
from kenar_api_client._shapes import (
    ANY,
    BOOL,
    DICT,
    ENUM,
    FLOAT,
    INT,
    LIST,
    MODEL,
    STR,
    Shape,
    first_meaningful_member,
    shape_of,
)
from kenar_api_client.exceptions import ApiValueError, NotFoundException
from kenar_api_client.testing import MockKenarServer, sample_value

API_KEY = "test-api-key"
TOKEN = "test-access-token"

# realistic values by field name; anything else gets "<name>-value"
STRINGS = {
    "amount_rials": "9007199254740993",  # int64 beyond float precision: must travel as a string
    "profit_rials": "9007199254740993",
    "service_cost": "150000",
    "phone": "09121234567",
    "redirect_url": "https://app.example/return?x=1",
    "description": "دوچرخه کوهستان، سالم",
    "title": "دوچرخه",
    "city": "tehran",
    "reference_id": "ref-0001",
    "ticket_uuid": "0b8f7d2c-7c55-4c2e-9a43-8d5e2a1c0f11",
    "text_message": "سلام! how are you?",
    "message": "hello & welcome",
    "update_mask": "title,description",
}
# every path parameter carries characters that must be percent-encoded
PATH_SUFFIX = "/1 ۱"
PATH_SUFFIX_ENCODED = "%2F1%20%DB%B1"
QUERY_STRING = "tehran city/1+2"
QUERY_STRING_ENCODED = "tehran%20city/1%2B2"
QUERY_INT = 20


def _value_for(annotation: Any, name: str, depth: int = 0) -> Tuple[Any, Any]:
    """(python value, the JSON it must become) for a field annotation."""
    return _value_for_shape(shape_of(annotation), name, depth)


def _value_for_shape(shape: Shape, name: str, depth: int) -> Tuple[Any, Any]:
    if shape.kind == LIST:
        assert shape.item is not None
        py, js = _value_for_shape(shape.item, name, depth + 1)
        return [py], [js]
    if shape.kind == DICT:
        if shape.item is not None and shape.item.kind != ANY:
            py, js = _value_for_shape(shape.item, name, depth + 1)
            return {"key": py}, {"key": js}
        return {"key": "value", "n": 1}, {"key": "value", "n": 1}
    if shape.kind == MODEL:
        return build_model(shape.cls, depth + 1)
    if shape.kind == ENUM:
        member = first_meaningful_member(shape.cls)
        return member, member.value
    if shape.kind == STR:
        value = STRINGS.get(name, f"{name}-value")
        return value, value
    scalars = {BOOL: (True, True), INT: (3, 3), FLOAT: (2.5, 2.5), ANY: ("any", "any")}
    if shape.kind in scalars:
        return scalars[shape.kind]
    raise AssertionError(f"no test value for {name}: {shape!r}")


def build_model(cls: Any, depth: int = 0) -> Tuple[Any, Dict[str, Any]]:
    """An instance with exactly its required fields set, and the JSON it must serialise to."""
    kwargs: Dict[str, Any] = {}
    wire: Dict[str, Any] = {}
    for field_name, info in cls.model_fields.items():
        if not info.is_required():
            continue
        py, js = _value_for(info.annotation, field_name, depth)
        kwargs[field_name] = py
        wire[info.alias or field_name] = js
    return cls(**kwargs), wire


def build_arguments(op: Operation) -> Tuple[List[Any], Dict[str, Any], Dict[str, Any]]:
    """(positional args, keyword args, expectations) for a call of ``op``."""
    args: List[Any] = []
    kwargs: Dict[str, Any] = {}
    path = op.path
    query: List[Tuple[str, str, str]] = []
    body: Any = None
    for param in op.params:
        if param.kind == PATH:
            value = param.name + PATH_SUFFIX
            path = path.replace("{" + param.name + "}", param.name + PATH_SUFFIX_ENCODED)
        elif param.kind == QUERY:
            if param.type == "int":
                value, raw, decoded = QUERY_INT, str(QUERY_INT), str(QUERY_INT)
            else:
                value, raw, decoded = QUERY_STRING, QUERY_STRING_ENCODED, QUERY_STRING
            query.append((param.name, raw, decoded))
        else:
            assert param.kind == BODY
            if param.type == "object":
                value = {"phone": "09121234567", "nested": {"list": [1, "two", None]}}
                body = value
            else:
                value, body = build_model(op.body_model())
        if param.required:
            args.append(value)
        else:
            kwargs[param.name] = value
    raw_query = "&".join(f"{name}={raw}" for name, raw, _ in query)
    expect = {
        "path": path,
        "raw_query": raw_query,
        "query": {name: decoded for name, _, decoded in query},
        "body": body,
    }
    return args, kwargs, expect


def answer_for(op: Operation) -> Any:
    model = op.response_model()
    if model is None:
        return {"ok": True, "id": "9223372036854775807", "items": [{"a": 1}]}
    return sample_value(model)


# the `server` and `client` fixtures come from conftest.py: a server that accepts exactly these
# credentials, and one attempt per call
pytestmark = [pytest.mark.mock_server(api_key=API_KEY, access_token=TOKEN), pytest.mark.no_retries]


def api_for(op: Operation, client: ApiClient) -> Any:
    return getattr(kenar_api_client, op.api)(client)


# ---------------------------------------------------------------------------- all 68 operations


def test_the_table_has_72_operations_12_of_them_removed_from_the_api() -> None:
    # 0.291's 68 (12 gone from the 2026-08-18 spec, kept deprecated) and the 4 that spec added
    assert len(OPERATIONS) == 72
    assert sum(op.removed_in is not None for op in OPERATIONS.values()) == 12
    assert all("APIKey" in op.auth for op in OPERATIONS.values())


def test_oauth_exactly_where_the_spec_security_names_it(
    spec_doc: Dict[str, Any], current_spec_doc: Dict[str, Any]
) -> None:
    """Each operation's credentials are those of the spec it is generated from: the current one
    (2026-08-18), or the 0.291 one for the operations the current spec dropped.  Matched by
    method and path, never by operationId (those moved)."""
    current = current_spec_doc
    by_identity = {(op.method, op.path): op for op in OPERATIONS.values()}
    seen = set()
    for doc in (current, spec_doc):
        for path, item in doc["paths"].items():
            for method, raw in item.items():
                identity = (method.upper(), path)
                if method == "parameters" or identity in seen:
                    continue
                op = by_identity[identity]
                schemes = {s for req in raw.get("security", doc.get("security", [])) for s in req}
                assert op.needs_oauth == ("OAuth" in schemes), op.name
                assert ("APIKey" in op.auth) == ("APIKey" in schemes), op.name
                assert (op.removed_in is None) == (doc is current), op.name
                seen.add(identity)
    assert len(seen) == 72


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_request_and_result(name: str, server: MockKenarServer, client: ApiClient) -> None:
    op = OPERATIONS[name]
    args, kwargs, expect = build_arguments(op)
    answer = answer_for(op)
    server.respond(name, json=answer, headers={"X-Request-Id": "req-" + name})

    result = getattr(api_for(op, client), name)(*args, **kwargs)

    assert len(server.requests) == 1
    req = server.requests[0]
    assert req.operation == name
    assert req.method == op.method
    assert req.path == expect["path"]
    assert req.raw_query == expect["raw_query"]
    assert req.query == expect["query"]
    for param in op.params:
        if param.kind == PATH:
            assert req.path_params[param.name] == param.name + PATH_SUFFIX
    headers = req.headers
    assert headers["Accept"] == "application/json"
    assert headers["X-API-Key"] == API_KEY
    if op.needs_oauth:
        assert headers["Authorization"] == "Bearer " + TOKEN
    else:
        assert "Authorization" not in headers, "a token is configured but this operation must not send it"
    if expect["body"] is not None:
        assert headers["Content-Type"] == "application/json"
        assert req.json == expect["body"]
        if op.body_model() is not None:
            assert b"null" not in req.body, "None fields must be left out of the body"
        assert headers["Content-Length"] == str(len(req.body))
    else:
        assert "Content-Type" not in headers
        assert req.body == b""
        if op.method == "POST":
            assert headers["Content-Length"] == "0"
        else:
            assert "Content-Length" not in headers
    assert kenar_api_client.__version__ in headers["User-Agent"]

    model = op.response_model()
    if model is None:
        assert type(result) is dict
        assert result == answer
    else:
        assert type(result) is model
        assert result.__class__.__name__ == op.returns
        assert json.loads(result.to_json()) == answer


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_variants(name: str, server: MockKenarServer, client: ApiClient) -> None:
    op = OPERATIONS[name]
    args, kwargs, _ = build_arguments(op)
    answer = answer_for(op)
    raw_answer = json.dumps(answer, ensure_ascii=False).encode("utf-8")
    api = api_for(op, client)
    server.respond(name, body=raw_answer, headers={"X-Request-Id": "info"})
    server.respond(name, body=raw_answer, headers={"X-Request-Id": "raw"})

    info = getattr(api, name + "_with_http_info")(*args, **kwargs)
    assert isinstance(info, ApiResponse)
    assert info.status_code == 200
    assert info.headers["X-Request-Id"] == "info"
    assert info.raw_data == raw_answer
    model = op.response_model()
    assert (
        (info.data == answer)
        if model is None
        else (type(info.data) is model and json.loads(info.data.to_json()) == answer)
    )

    raw = getattr(api, name + "_without_preload_content")(*args, **kwargs)
    assert isinstance(raw, urllib3.HTTPResponse)
    assert raw.status == 200
    assert raw.headers["X-Request-Id"] == "raw"
    assert raw.read() == raw_answer
    raw.release_conn()
    first, second = server.requests
    assert (first.method, first.path, first.raw_query, first.body) == (
        second.method,
        second.path,
        second.raw_query,
        second.body,
    )


# ---------------------------------------------------------------------------- int64 as strings


def test_int64_fields_stay_strings_both_ways(server: MockKenarServer, client: ApiClient) -> None:
    api = kenar_api_client.PaymentApi(client)
    server.respond("payment_get_balance", json={"balance_rials": "9223372036854775807"})
    balance = api.payment_get_balance()
    assert balance.balance_rials == "9223372036854775807"
    assert isinstance(balance.balance_rials, str)
    body = kenar_api_client.PaymentCreateWalletPaymentRequest(
        amount_rials="9223372036854775807", description="d", redirect_url="https://app.example/r"
    )
    api.payment_create_wallet_payment(body)
    assert server.last_request.json["amount_rials"] == "9223372036854775807"
    assert b'"amount_rials":"9223372036854775807"' in server.last_request.body


# ---------------------------------------------------------------------------- EventsApi in depth


def test_events_register_event_subscription_in_depth(server: MockKenarServer, client: ApiClient) -> None:
    api = EventsApi(client)
    request = kenar_api_client.EventsRegisterEventSubscriptionRequest(
        event_type=kenar_api_client.EventsRegisterEventSubscriptionRequestEventType.NEW_MESSAGE_ON_POST,
        event_resource_id="gZ3kLm9Q",
        metadata={"source": "test", "nested": {"n": 1}},
    )
    server.respond("events_register_event_subscription", json={})
    result = api.events_register_event_subscription(request)
    assert result == {}
    req = server.last_request
    assert (req.method, req.path, req.raw_query) == ("POST", "/v1/open-platform/events/subscriptions", "")
    assert req.json == {
        "event_type": "NEW_MESSAGE_ON_POST",
        "event_resource_id": "gZ3kLm9Q",
        "metadata": {"source": "test", "nested": {"n": 1}},
    }
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["Accept"] == "application/json"
    assert req.headers["X-API-Key"] == API_KEY
    assert req.headers["Authorization"] == "Bearer " + TOKEN

    # the reference page's own call: an empty request is an empty JSON object
    api.events_register_event_subscription(kenar_api_client.EventsRegisterEventSubscriptionRequest())
    assert server.last_request.json == {} and server.last_request.body == b"{}"
    # a dict of the model's fields is accepted too
    api.events_register_event_subscription({"event_type": "POST_UPDATE"})  # type: ignore[arg-type]
    assert server.last_request.json == {"event_type": "POST_UPDATE"}


def test_events_send_event_in_depth(server: MockKenarServer, client: ApiClient) -> None:
    api = EventsApi(client)
    server.respond("events_send_event", json={})
    # keyword order of the call does not matter: the query follows the method's parameter order
    result = api.events_send_event(target_resource_id="user/42 x", message="سلام & hello=1?", target_type="USER")
    assert result == {}
    req = server.last_request
    assert req.method == "POST"
    assert req.path == "/experimental/open-platform/events/send"
    assert req.raw_query == (
        "message=%D8%B3%D9%84%D8%A7%D9%85%20%26%20hello%3D1%3F&target_type=USER&target_resource_id=user/42%20x"
    )
    assert req.query == {"message": "سلام & hello=1?", "target_type": "USER", "target_resource_id": "user/42 x"}
    assert req.body == b""
    assert req.headers["Content-Length"] == "0"
    assert "Content-Type" not in req.headers
    assert req.headers["X-API-Key"] == API_KEY
    assert req.headers["Authorization"] == "Bearer " + TOKEN

    api.events_send_event(message="only this")
    assert server.last_request.raw_query == "message=only%20this"
    api.events_send_event(message=None, target_type="POST", target_resource_id=None)
    assert server.last_request.raw_query == "target_type=POST"
    api.events_send_event()
    assert server.last_request.raw_query == ""
    assert server.last_request.path == "/experimental/open-platform/events/send"


def test_events_api_uses_the_default_client_when_none_given(server: MockKenarServer) -> None:
    server.reset()
    previous = ApiClient._default
    try:
        ApiClient.set_default(ApiClient(server.configuration()))
        EventsApi().events_send_event(message="m")
        assert server.last_request.query == {"message": "m"}
    finally:
        ApiClient.set_default(previous)


# ---------------------------------------------------------------------------- request-control keywords


def test_request_auth_replaces_the_configured_credentials() -> None:
    with MockKenarServer(validate=False) as server:
        config = server.configuration(api_key="configured-key", access_token="configured-token")
        with ApiClient(config) as client:
            api = EventsApi(client)
            api.events_send_event(
                message="m",
                _request_auth={"in": "header", "type": "api_key", "key": "X-API-Key", "value": "per-call-key"},
            )
            headers = server.last_request.headers
            assert headers["X-API-Key"] == "per-call-key"
            assert "Authorization" not in headers
            api.events_send_event(
                message="m", _request_auth={"in": "header", "type": "oauth2", "key": "Authorization", "value": "tok2"}
            )
            headers = server.last_request.headers
            assert headers["Authorization"] == "Bearer tok2"
            assert "X-API-Key" not in headers
            # without _request_auth the configuration applies again
            api.events_send_event(message="m")
            assert server.last_request.headers["X-API-Key"] == "configured-key"
            assert server.last_request.headers["Authorization"] == "Bearer configured-token"


def test_headers_keyword_is_overridden_by_credentials_but_accept_wins(
    server: MockKenarServer, client: ApiClient
) -> None:
    api = EventsApi(client)
    api.events_send_event(
        message="m",
        _headers={
            "X-API-Key": "from-headers",
            "Authorization": "Bearer from-headers",
            "Accept": "application/json; charset=utf-8",
            "X-Trace-Id": "trace-1",
        },
    )
    headers = server.last_request.headers
    assert headers["X-API-Key"] == API_KEY
    assert headers["Authorization"] == "Bearer " + TOKEN
    assert headers["Accept"] == "application/json; charset=utf-8"
    assert headers["X-Trace-Id"] == "trace-1"


def test_content_type_keyword(server: MockKenarServer, client: ApiClient) -> None:
    api = EventsApi(client)
    api.events_register_event_subscription(
        kenar_api_client.EventsRegisterEventSubscriptionRequest(event_resource_id="x"),
        _content_type="application/json; charset=utf-8",
    )
    assert server.last_request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert server.last_request.json == {"event_resource_id": "x"}


def test_host_index_other_than_zero_is_refused_before_sending(server: MockKenarServer, client: ApiClient) -> None:
    api = EventsApi(client)
    api.events_send_event(message="m", _host_index=0)
    assert len(server.requests) == 1
    with pytest.raises(ApiValueError, match="_host_index"):
        api.events_send_event(message="m", _host_index=1)
    assert len(server.requests) == 1


def test_request_timeout_keyword_is_applied(server: MockKenarServer, client: ApiClient) -> None:
    from kenar_api_client.exceptions import ApiTimeoutError

    api = kenar_api_client.FinderApi(client)
    server.respond("finder_get_post", json={}, delay=1.0)
    with pytest.raises(ApiTimeoutError):
        api.finder_get_post("tok", _request_timeout=0.2)
    server.respond("finder_get_post", json={}, delay=0.2)
    assert api.finder_get_post("tok", _request_timeout=(2, 2)).to_dict() == {}


def test_without_preload_content_does_not_raise_for_errors(server: MockKenarServer, client: ApiClient) -> None:
    server.respond("finder_get_post", json={"code": 5, "message": "gone"}, status=404)
    raw = kenar_api_client.FinderApi(client).finder_get_post_without_preload_content("tok")
    assert raw.status == 404
    assert json.loads(raw.read()) == {"code": 5, "message": "gone"}
    raw.release_conn()
    server.respond("finder_get_post", json={"code": 5, "message": "gone"}, status=404)
    with pytest.raises(NotFoundException):
        kenar_api_client.FinderApi(client).finder_get_post_with_http_info("tok")


def test_api_response_is_typed_generic() -> None:
    info: ApiResponse[Optional[BaseModel]] = ApiResponse(201, None, {"A": "b"}, b"")
    assert (info.status_code, info.data, info.headers, info.raw_data) == (201, None, {"A": "b"}, b"")


# ---------------------------------------------------------------------------- ApiClient's own knobs


def test_default_headers_cookie_and_user_agent(server: MockKenarServer) -> None:
    server.reset()
    with ApiClient(server.configuration(), header_name="X-Client", header_value="tests", cookie="a=b") as client:
        client.set_default_header("X-Tenant", "t1")
        client.user_agent = "my-app/1.0"
        kenar_api_client.AssetsApi(client).assets_get_cities()
    headers = server.last_request.headers
    assert headers["X-Client"] == "tests"
    assert headers["X-Tenant"] == "t1"
    assert headers["Cookie"] == "a=b"
    assert headers["User-Agent"] == "my-app/1.0"
    assert headers["X-API-Key"] == API_KEY


def test_official_low_level_path(server: MockKenarServer, client: ApiClient) -> None:
    """param_serialize -> call_api -> response_deserialize, as the official generated methods use them."""
    server.respond("finder_get_post", json={"token": "a/b", "data": {"title": "t"}})
    method, url, headers, body, post_params = client.param_serialize(
        "GET",
        "/v1/open-platform/finder/post/{token}",
        path_params={"token": "a/b"},
        header_params={"Accept": "application/json"},
        auth_settings=["APIKey", "OAuth"],
    )
    assert (method, url, body, post_params) == ("GET", server.url + "/v1/open-platform/finder/post/a%2Fb", None, [])
    assert headers["X-API-Key"] == API_KEY and headers["Authorization"] == "Bearer " + TOKEN
    response = client.call_api(method, url, headers, body, post_params)
    result = client.response_deserialize(response, {"200": "FinderGetPostResponse"})
    assert result.status_code == 200
    assert isinstance(result.data, kenar_api_client.FinderGetPostResponse)
    assert result.data.token == "a/b"
    req = server.last_request
    assert (req.method, req.path, req.operation) == ("GET", "/v1/open-platform/finder/post/a%2Fb", "finder_get_post")

    method, url, headers, body, _ = client.param_serialize(
        "POST",
        "/experimental/open-platform/events/send",
        query_params=[("message", "a b/c+d"), ("target_type", None), ("target_resource_id", "u")],
        auth_settings=["APIKey", "OAuth"],
    )
    assert url == server.url + "/experimental/open-platform/events/send?message=a%20b/c%2Bd&target_resource_id=u"
    client.call_api(method, url, headers, body)
    assert server.last_request.operation == "events_send_event"
    assert server.last_request.headers["Content-Length"] == "0"

    body_model = kenar_api_client.EventsRegisterEventSubscriptionRequest(event_resource_id="r")
    method, url, headers, body, _ = client.param_serialize(
        "POST", "/v1/open-platform/events/subscriptions", body=body_model, auth_settings=["APIKey", "OAuth"]
    )
    assert body == {"event_resource_id": "r"}
    server.respond("events_register_event_subscription", json={"code": 3, "message": "no"}, status=400)
    response = client.call_api(method, url, headers, body)
    with pytest.raises(kenar_api_client.BadRequestException) as info:
        client.response_deserialize(response, {"200": "object"})
    assert info.value.message == "no"
    assert server.last_request.json == {"event_resource_id": "r"}
    assert server.last_request.headers["Content-Type"] == "application/json"


def test_paging_is_detected_from_the_spec() -> None:
    from kenar_api_client._op_types import Paging

    paged = {name: op.paging for name, op in OPERATIONS.items() if op.paging is not None}
    assert paged == {"payment_list_transactions": Paging("page_token", "transactions", "next_page_token")}


# ---------------------------------------------------------------------------- the current spec's surface


def test_the_four_new_operations_end_to_end(
    server: MockKenarServer, client: ApiClient, current_spec_doc: Dict[str, Any]
) -> None:
    """The operations the 2026-08-18 spec added, called as a user would, checked against that spec."""
    current = current_spec_doc
    by_id = {raw["operationId"]: (m.upper(), p, raw) for p, item in current["paths"].items() for m, raw in item.items()}
    finder, assets, payment = (
        kenar_api_client.FinderApi(client),
        kenar_api_client.AssetsApi(client),
        kenar_api_client.PaymentApi(client),
    )
    server.respond(
        "finder_get_user_businesses", json={"businesses": [{"business_token": "b1", "user_role": "ROLE_OWNER"}]}
    )
    businesses = finder.finder_get_user_businesses()
    assert type(businesses).__name__ == "FinderGetUserBusinessesResponse"
    assert businesses.businesses is not None and businesses.businesses[0].business_token == "b1"
    server.respond("finder_get_pro_user_profile_image", json={})
    assert type(finder.finder_get_pro_user_profile_image()).__name__ == "FinderGetProUserProfileImageResponse"
    server.respond("assets_get_media_upload_urls", json={})
    assert type(assets.assets_get_media_upload_urls()).__name__ == "AssetsGetMediaUploadURLsResponse"
    body = kenar_api_client.PaymentPayPostPromotionBody(
        id="pay-0001", operation=kenar_api_client.PaymentPromotionOperation.PROMOTION_OPERATION_RENEW, is_personal=True
    )
    server.respond("payment_pay_post_promotion", json={"order_id": "o1", "amount_rials": "9007199254740993"})
    paid = payment.payment_pay_post_promotion("post/1 ۱", body)
    assert (paid.order_id, paid.amount_rials) == ("o1", "9007199254740993")

    sent = {r.operation: r for r in server.requests}
    for name, operation_id in (
        ("finder_get_user_businesses", "Finder_GetUserBusinesses"),
        ("finder_get_pro_user_profile_image", "Finder_GetProUserProfileImage"),
        ("assets_get_media_upload_urls", "Assets_GetMediaUploadURLs"),
        ("payment_pay_post_promotion", "Payment_PayPostPromotion"),
    ):
        method, path, raw = by_id[operation_id]
        req = sent[name]
        assert req.method == method, name
        assert req.path == path.replace("{post_token}", "post%2F1%20%DB%B1"), name
        assert req.raw_query == ""
        schemes = {s for item in raw.get("security", current.get("security", [])) for s in item}
        assert ("Authorization" in req.headers) == ("OAuth" in schemes), name
        assert req.headers["X-API-Key"] == API_KEY
    assert (
        sent["payment_pay_post_promotion"].body
        == b'{"id":"pay-0001","is_personal":true,"operation":"PROMOTION_OPERATION_RENEW"}'
    )
    assert sent["payment_pay_post_promotion"].path_params == {"post_token": "post/1 ۱"}
    # the mock server checks the new operations like the others: a token is needed where the spec says
    config = server.configuration()
    config.access_token = None
    with ApiClient(config) as no_token:
        with pytest.raises(kenar_api_client.UnauthorizedException):
            kenar_api_client.FinderApi(no_token).finder_get_user_businesses()
    # ... and validates the body against the model (``id`` is required)
    refused = urllib3.request(
        "POST",
        server.url + "/experimental/open-platform/post/t/pay-promotion",
        body=b'{"operation": "PROMOTION_OPERATION_RENEW"}',
        headers={"X-API-Key": API_KEY, "Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"},
    )
    assert refused.status == 400 and b"id" in refused.data


DEPRECATED = sorted(name for name, op in OPERATIONS.items() if op.removed_in is not None)


@pytest.mark.parametrize("name", DEPRECATED)
def test_removed_operations_warn_and_still_send(name: str, server: MockKenarServer, client: ApiClient) -> None:
    import warnings

    op = OPERATIONS[name]
    args, kwargs, expect = build_arguments(op)
    api = api_for(op, client)
    for suffix in ("", "_with_http_info", "_without_preload_content"):
        server.reset()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = getattr(api, name + suffix)(*args, **kwargs)
        if suffix == "_without_preload_content":
            result.release_conn()
        assert [w.category for w in caught] == [DeprecationWarning], (name, suffix)
        message = str(caught[0].message)
        assert f"{op.api}.{name} ({op.method} {op.path}) is not in the Kenar API spec of 2026-08-18." in message
        if op.replacement:
            assert message.endswith(f"Use {op.api}.{op.replacement} instead.")
        else:
            assert message.endswith("It has no replacement.")
        assert caught[0].filename == __file__, "the warning points at the caller's line"
        assert [(r.operation, r.path) for r in server.requests] == [(name, expect["path"])]
