"""Property tests: whatever arrives, the webhook parsers answer with a typed
object or one of the two documented errors, never anything else."""

import copy
import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kenar_api_client import webhooks
from kenar_api_client.webhooks import (
    Event,
    WebhookAuthenticationError,
    WebhookPayloadError,
    parse_dynamic_action,
    parse_event,
    parse_session_init,
)

KEY = "k3nar-ident1fication-key-5f9a"
DATA = json.loads((Path(__file__).parent / "webhooks_data" / "events.json").read_text(encoding="utf-8"))
DOCUMENTED = (WebhookAuthenticationError, WebhookPayloadError)
PARSERS: List[Callable[..., Any]] = [parse_event, parse_session_init, parse_dynamic_action]
EVENT_NAMES = sorted(webhooks.EVENT_TYPES) + ["SOMETHING_NEW", ""]
MAX_LEVELS = 64  # objects or arrays, the body included: docs/guides/webhooks.md

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# JSON-like values: scalars of every awkward kind, nested lists and objects
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(
        ["", "0", "-1", "1e400", "NaN", "TEXT", "PUBLISH", "2024-10-28T08:00:00Z", "1730102400250000", "/start X y"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=25,
)


def realistic_bodies() -> List[Dict[str, Any]]:
    bodies = [{"type": "NEW_MESSAGE", "new_message": message} for message in DATA["chat_messages"].values()]
    bodies += [
        DATA[name]
        for name in (
            "new_chatbot_message",
            "user_access_revocation",
            "post_update_publish",
            "post_update_retire",
            "payment_transaction",
        )
    ]
    return bodies + [DATA["session_init"], DATA["dynamic_action"]]


REALISTIC = realistic_bodies()


def paths(value: Any, prefix: Optional[List[Any]] = None) -> List[List[Any]]:
    """Every path to a value inside ``value`` (the root excluded)."""
    prefix = prefix or []
    found: List[List[Any]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.append(prefix + [key])
        found.extend(paths(child, prefix + [key]))
    return found


def replace_at(document: Any, path: List[Any], new: Any) -> Any:
    document = copy.deepcopy(document)
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return document


def check(parser: Callable[..., Any], body: Any, authorization: Any = KEY, key: Any = KEY) -> Any:
    """Call ``parser``; only a result or a documented error may come out."""
    try:
        result = parser(body, authorization, key)
    except DOCUMENTED as exc:
        assert str(exc)  # every refusal explains itself
        assert isinstance(exc.http_status, int)
        return exc
    if parser is parse_event:
        assert isinstance(result, Event)
        assert isinstance(result.type, str) and result.type
        assert isinstance(result.raw, dict)
        result.to_json()  # whatever was accepted can be written back
    return result


@SETTINGS
@given(body=st.binary(max_size=300))
def test_arbitrary_bytes(body: bytes) -> None:
    for parser in PARSERS:
        check(parser, body)


@SETTINGS
@given(body=st.text(max_size=200))
def test_arbitrary_text(body: str) -> None:
    for parser in PARSERS:
        check(parser, body)


@SETTINGS
@given(value=json_values)
def test_arbitrary_json(value: Any) -> None:
    body = json.dumps(value)
    for parser in PARSERS:
        result = check(parser, body)
        if not isinstance(value, dict):
            assert isinstance(result, WebhookPayloadError)


@SETTINGS
@given(event_type=st.sampled_from(EVENT_NAMES), payload=st.dictionaries(st.text(max_size=25), json_values, max_size=5))
def test_envelopes_with_junk_payloads(event_type: str, payload: Dict[str, Any]) -> None:
    payload["type"] = event_type
    result = check(parse_event, json.dumps(payload))
    if isinstance(result, Event):
        assert result.raw == payload
        assert type(result) is webhooks.EVENT_TYPES.get(event_type, Event)


@SETTINGS
@given(data=st.data())
def test_realistic_bodies_with_one_value_replaced(data: st.DataObject) -> None:
    body = data.draw(st.sampled_from(REALISTIC))
    path = data.draw(st.sampled_from(paths(body)))
    mutated = replace_at(body, path, data.draw(json_values))
    raw = json.dumps(mutated, ensure_ascii=data.draw(st.booleans()))
    for parser in PARSERS:
        check(parser, raw)


@SETTINGS
@given(data=st.data())
def test_realistic_bodies_with_a_key_removed_or_added(data: st.DataObject) -> None:
    body = copy.deepcopy(data.draw(st.sampled_from(REALISTIC)))
    containers = [p for p in paths(body) if isinstance(_get(body, p), dict)] + [[]]
    path = data.draw(st.sampled_from(containers))
    target = _get(body, path)
    if target and data.draw(st.booleans()):
        del target[data.draw(st.sampled_from(sorted(target)))]
    else:
        target[data.draw(st.text(max_size=15))] = data.draw(json_values)
    for parser in PARSERS:
        check(parser, json.dumps(body))


def _get(document: Any, path: List[Any]) -> Any:
    for key in path:
        document = document[key]
    return document


@SETTINGS
@given(
    sent_at=st.one_of(
        st.integers(),
        st.floats(),
        st.text(max_size=40),
        st.from_regex(
            r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,12})?(Z|[+-][0-9]{2}:[0-9]{2})?\Z"
        ),
        json_values,
    )
)
def test_any_sent_at(sent_at: Any) -> None:
    body = {"type": "NEW_MESSAGE", "new_message": dict(DATA["chat_messages"]["TEXT"], sent_at=sent_at)}
    try:
        raw = json.dumps(body)  # NaN and infinities become JSON-invalid tokens
    except ValueError:
        return
    result = check(parse_event, raw)
    if isinstance(result, Event):
        sent = result.new_message.sent_at
        assert sent is None or sent.tzinfo is not None


@SETTINGS
@given(
    authorization=st.one_of(st.none(), st.text(max_size=40), st.binary(max_size=40), st.just(KEY)),
    key=st.one_of(st.text(max_size=40), st.binary(max_size=40), st.just(KEY)),
)
def test_any_authorization_and_key(authorization: Any, key: Any) -> None:
    assert isinstance(webhooks.verify(authorization, key), bool)
    body = json.dumps(DATA["user_access_revocation"])
    result = check(parse_event, body, authorization, key)
    if webhooks.verify(authorization, key):
        assert isinstance(result, Event)
    else:
        assert isinstance(result, WebhookAuthenticationError)


@SETTINGS
@given(key=st.text(min_size=1, max_size=40), other=st.text(max_size=40))
def test_only_the_key_itself_verifies(key: str, other: str) -> None:
    assume(key.strip(" \t\r\n"))
    assert webhooks.verify(key.strip(" \t\r\n"), key)
    if other.strip(" \t\r\n") != key.strip(" \t\r\n"):
        latin1_alias = False
        try:
            latin1_alias = other.strip(" \t\r\n").encode("latin-1") == key.strip(" \t\r\n").encode("utf-8")
        except UnicodeEncodeError:
            pass
        assert webhooks.verify(other, key) is latin1_alias


def nested_body(depth: int, opener: str, inside_an_event: bool) -> Tuple[str, int]:
    """``depth`` arrays or objects around a number, alone or as an event's ``new_message``.

    Returns the body and its nesting in levels: each object or array is a
    level (the body itself the first); the number inside adds none.
    """
    closer = "]" if opener == "[" else "}"
    junk = opener * depth + "0" + closer * depth
    if inside_an_event:
        return '{"type": "NEW_MESSAGE", "new_message": ' + junk + "}", depth + 1
    return junk, depth


def refused_for_nesting(result: Any) -> bool:
    return isinstance(result, WebhookPayloadError) and "nested" in str(result)


@SETTINGS
@given(depth=st.integers(min_value=1, max_value=3000), opener=st.sampled_from(["[", '{"k":']), where=st.booleans())
def test_deep_nesting(depth: int, opener: str, where: bool) -> None:
    body, levels = nested_body(depth, opener, where)
    top_level_array = opener == "[" and not where
    for parser in PARSERS:
        result = check(parser, body)
        if levels > MAX_LEVELS:
            assert isinstance(result, WebhookPayloadError)
            if not top_level_array:  # an array body is refused as "not an object" (or too deep) first
                assert refused_for_nesting(result), result
        else:
            assert not refused_for_nesting(result), result


@pytest.mark.parametrize("opener", ["[", '{"k":'])
@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
def test_nesting_limit_is_64_objects_or_arrays(opener: str, parser: Callable[..., Any]) -> None:
    # the deepest accepted: the event object and 63 containers inside it, a number in the last
    deepest, levels = nested_body(MAX_LEVELS - 1, opener, inside_an_event=True)
    assert levels == MAX_LEVELS
    assert not refused_for_nesting(check(parser, deepest))
    # one container more is refused, whatever it holds
    too_deep, levels = nested_body(MAX_LEVELS, opener, inside_an_event=True)
    assert levels == MAX_LEVELS + 1
    result = check(parser, too_deep)
    assert refused_for_nesting(result) and "64 levels" in str(result), result
    close, empty = ("]", "[]") if opener == "[" else ("}", "{}")
    empty_innermost = '{"type": "NEW_MESSAGE", "new_message": ' + opener * 63 + empty + close * 63 + "}"
    assert refused_for_nesting(check(parser, empty_innermost))  # 65 containers, even with nothing inside


@SETTINGS
@given(ip=st.one_of(st.ip_addresses(), st.text(max_size=45)))
def test_is_divar_address_never_raises(ip: Any) -> None:
    answer = webhooks.is_divar_address(ip if isinstance(ip, str) else str(ip))
    assert isinstance(answer, bool)
    if not isinstance(ip, str):
        assert webhooks.is_divar_address(ip) is answer
