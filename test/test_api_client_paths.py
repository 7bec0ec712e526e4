"""kenar_api_client._paths: one rule for filling path templates in and reading them back."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import pytest

from kenar_api_client._op_table import OPERATIONS
from kenar_api_client._paths import PathTemplate, compile_template, encode_query, expand, match, query_item
from kenar_api_client.exceptions import ApiValueError

HOSTILE = [
    "../admin",
    "a/b",
    "?x=1",
    "#f",
    "%2e%2e",
    "%2F",
    ".",
    "..",
    "a\r\nX-Injected: 1",
    "a\x00b",
    "تهران",
    "a b+c;d",
    "a\\b",
    "{token}",
]


def test_expand_encodes_each_value_as_one_segment() -> None:
    assert expand("/v1/post/{token}", {"token": "a/b"}) == "/v1/post/a%2Fb"
    assert expand("/v1/post/{token}", {"token": ".."}) == "/v1/post/%2E%2E"
    assert expand("/v1/post/{token}", {"token": "."}) == "/v1/post/%2E"
    assert expand("/v1/{a}/x/{b.c}", {"a": "1", "b.c": "تهران"}) == "/v1/1/x/%D8%AA%D9%87%D8%B1%D8%A7%D9%86"
    assert expand("/v1/assets/city", {}) == "/v1/assets/city"


def test_expand_keeps_the_configured_safe_characters() -> None:
    assert expand("/v1/{a}", {"a": "x:y"}) == "/v1/x%3Ay"
    assert expand("/v1/{a}", {"a": "x:y"}, safe=":") == "/v1/x:y"


@pytest.mark.parametrize("values", [{}, {"other": "x"}])
def test_expand_refuses_a_missing_value(values: Dict[str, str]) -> None:
    with pytest.raises(ApiValueError, match="needs a value for 'token'"):
        expand("/v1/post/{token}", values)


def test_expand_refuses_an_empty_value() -> None:
    with pytest.raises(ApiValueError, match="'token' must not be empty"):
        expand("/v1/post/{token}", {"token": ""})


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_match_reads_back_exactly_what_expand_wrote(value: str) -> None:
    template = "/v2/conversations/{conversation_id}/messages"
    path = expand(template, {"conversation_id": value})
    assert path.count("/") == template.count("/")  # the value never adds a segment
    assert match(template, path) == {"conversation_id": value}


def test_match_rejects_paths_of_other_shapes() -> None:
    template = "/v1/post/{token}"
    assert match(template, "/v1/post/abc") == {"token": "abc"}
    assert match(template, "/v1/post/") is None
    assert match(template, "/v1/post/a/b") is None
    assert match(template, "/v1/post/abc/") is None
    assert match(template, "/v1/posts/abc") is None
    assert match(template, "/x/v1/post/abc") is None
    assert match("/v1/assets/city", "/v1/assets/city") == {}
    assert match("/v1/assets/city", "/v1/assets/cityx") is None


def test_template_names_and_specificity() -> None:
    template = compile_template("/v1/{a}/x/{b.c}")
    assert isinstance(template, PathTemplate)
    assert template.names == ("a", "b.c")
    assert template.specificity == len("/v1/") + len("/x/")
    assert compile_template("/v1/{a}/x/{b.c}") is template  # parsed once


def _route(path: str, method: str) -> List[Tuple[str, Dict[str, str]]]:
    """Every operation of ``method`` whose template fits ``path``, most specific first."""
    found: List[Tuple[int, str, Dict[str, str]]] = []
    for name, op in OPERATIONS.items():
        if op.method != method:
            continue
        values: Optional[Dict[str, str]] = match(op.path, path)
        if values is not None:
            found.append((compile_template(op.path).specificity, name, values))
    found.sort(key=lambda item: -item[0])
    return [(name, values) for _, name, values in found]


def test_every_operation_routes_back_to_itself() -> None:
    """What the mock server needs: a filled-in path of any operation matches that operation first."""
    for name, op in OPERATIONS.items():
        template = compile_template(op.path)
        values = {key: f"v-{i}/../?#" for i, key in enumerate(template.names)}
        path = template.expand(values)
        routes = _route(path, op.method)
        assert routes, name
        best_name, best_values = routes[0]
        assert OPERATIONS[best_name].path == op.path, (name, best_name)
        assert best_values == values


def test_query_items() -> None:
    assert query_item("message", "a b/c+d") == "message=a%20b/c%2Bd"
    assert query_item("filter.city", True) == "filter.city=true"
    assert encode_query([("a", 1), ("b", None), ("c", False), ("d", "ک&=")]) == "a=1&c=false&d=%DA%A9%26%3D"
