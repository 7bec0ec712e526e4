"""RESTClientObject.request, called directly, encodes bodies with the SDK's one body encoder."""

from __future__ import annotations

import json

import pytest

from kenar_api_client.exceptions import ApiValueError
from kenar_api_client.rest import RESTClientObject
from kenar_api_client.testing import MockKenarServer


def test_a_dict_body_goes_out_as_json_and_a_form_as_urlencoded(server: MockKenarServer) -> None:
    rest = RESTClientObject(server.configuration())
    url = server.url + "/v1/open-platform/events/subscriptions"
    rest.request(
        "POST", url, headers={"Content-Type": "application/json"}, body={"event_type": "POST_UPDATE", "n": "۱"}
    )
    sent = server.requests[-1]
    assert json.loads(sent.body) == {"event_type": "POST_UPDATE", "n": "۱"}
    assert sent.body == '{"event_type": "POST_UPDATE", "n": "۱"}'.encode()  # UTF-8, not \\u escapes

    rest.request("POST", server.url + "/oauth2/token", post_params=[("grant_type", "x y"), ("code", "a&b")])
    sent = server.oauth.requests[-1]  # the OAuth endpoints record their own requests
    assert sent.body == b"grant_type=x+y&code=a%26b"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_a_body_that_is_not_json_is_refused_before_sending(server: MockKenarServer) -> None:
    rest = RESTClientObject(server.configuration())
    before = len(server.requests)
    with pytest.raises(ApiValueError, match="cannot be sent as JSON"):
        rest.request("POST", server.url + "/v1/open-platform/events/subscriptions", body={"x": float("nan")})
    assert len(server.requests) == before
