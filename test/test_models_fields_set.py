"""The shared "fields given" sets of decoded models behave like pydantic's own,
on every supported pydantic (CI runs this file with the oldest allowed too)."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from kenar_api_client.models.chatapi_message import ChatapiMessage
from kenar_api_client.models.finder_search_post_v2_response import FinderSearchPostV2Response

BODY = json.dumps(
    {"posts": [{"token": f"t{i}", "title": "x", "price": {"mode": "m"}} for i in range(3)], "total_count": 3}
).encode()


def _answer() -> FinderSearchPostV2Response:
    return FinderSearchPostV2Response.model_validate_json(BODY)


def test_exclude_unset_dumps_work_at_every_level() -> None:
    answer = _answer()
    expected = json.loads(BODY)
    assert answer.model_dump(exclude_unset=True) == expected
    assert json.loads(answer.model_dump_json(exclude_unset=True)) == expected
    post = (answer.posts or [])[0]
    assert post.model_dump(exclude_unset=True) == {"token": "t0", "title": "x", "price": {"mode": "m"}}


def test_exclude_unset_after_a_change_shows_the_changed_field_only_on_that_model() -> None:
    answer = _answer()
    posts = answer.posts or []
    posts[1].description = "new"
    assert posts[1].model_dump(exclude_unset=True) == {
        "token": "t1",
        "title": "x",
        "price": {"mode": "m"},
        "description": "new",
    }
    assert "description" not in posts[0].model_dump(exclude_unset=True)
    assert "description" not in posts[2].model_fields_set


def test_the_shared_set_cannot_be_changed_in_place() -> None:
    a, b = (ChatapiMessage.model_validate_json(b'{"id": "%d"}' % i) for i in (1, 2))
    assert a.model_fields_set is b.model_fields_set
    for change in (
        lambda s: s.add("text"),
        lambda s: s.update({"text"}),
        lambda s: s.discard("id"),
        lambda s: s.clear(),
        lambda s: s.__ior__({"text"}),
    ):
        with pytest.raises(TypeError, match="read-only"):
            change(a.model_fields_set)
    assert a.model_fields_set == {"id"} and b.model_fields_set == {"id"}
    assert repr(a.model_fields_set) == "{'id'}"


def test_models_built_or_constructed_share_too_and_thaw_on_change() -> None:
    built = ChatapiMessage(id="1")
    constructed = ChatapiMessage.model_construct(id="2")
    assert built.model_fields_set == constructed.model_fields_set == {"id"}
    constructed.text = "t"
    assert constructed.model_fields_set == {"id", "text"} and built.model_fields_set == {"id"}
    assert constructed.model_dump(exclude_unset=True) == {"id": "2", "text": "t"}


def test_copies_pickles_and_equality() -> None:
    original = ChatapiMessage.model_validate_json(b'{"id": "1", "text": "x"}')
    for other in (copy.copy(original), copy.deepcopy(original), pickle.loads(pickle.dumps(original))):
        assert other == original and other.model_fields_set == {"id", "text"}
        other.type = "TEXT"  # type: ignore[assignment]
        assert other.model_dump(exclude_unset=True) == {"id": "1", "text": "x", "type": "TEXT"}
        assert original.model_fields_set == {"id", "text"}
    updated = original.model_copy(update={"text": "y"})
    assert updated.text == "y" and original.text == "x"
    assert ChatapiMessage.model_validate_json(b'{"id": "1", "text": "x"}') == ChatapiMessage(id="1", text="x")
