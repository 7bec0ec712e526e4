"""Decoded models share their frozen 'fields given' sets, and thaw them the moment they change."""

from __future__ import annotations

import copy
import pickle

from kenar_api_client.models.chatapi_message import ChatapiMessage
from kenar_api_client.models.finder_search_post_v2_response import FinderSearchPostV2Response

BODY = (
    b'{"posts": [' + b",".join(b'{"token": "t%d", "title": "x", "price": {"mode": "x"}}' % i for i in range(50)) + b"]}"
)


def test_models_of_one_shape_share_one_frozen_set() -> None:
    answer = FinderSearchPostV2Response.model_validate_json(BODY)
    posts = answer.posts or []
    assert len(posts) == 50
    assert len({id(p.model_fields_set) for p in posts}) == 1
    assert isinstance(posts[0].model_fields_set, set)  # pydantic-core reads it as a set
    assert posts[0].model_fields_set == {"token", "title", "price"}


def test_assignment_thaws_only_the_changed_model() -> None:
    a = ChatapiMessage.model_validate_json(b'{"id": "1", "text": "x"}')
    b = ChatapiMessage.model_validate_json(b'{"id": "2", "text": "y"}')
    a.sent_at = "2024-01-01T00:00:00Z"  # type: ignore[assignment]
    a.unknown_field = 5
    assert a.model_fields_set == {"id", "text", "sent_at", "unknown_field"}
    assert b.model_fields_set == {"id", "text"}
    assert a.sent_at is not None and a.sent_at.year == 2024


def test_copies_and_pickles_stay_changeable() -> None:
    original = ChatapiMessage.model_validate_json(b'{"id": "1", "text": "x"}')
    updated = original.model_copy(update={"type": "TEXT"})
    assert updated.model_fields_set == {"id", "text", "type"}
    assert original.model_fields_set == {"id", "text"}
    deep = copy.deepcopy(original)
    deep.id = "9"
    assert original.id == "1" and deep.model_fields_set == {"id", "text"}
    restored = pickle.loads(pickle.dumps(original))
    restored.text = "changed"
    assert restored.to_dict() == {"id": "1", "text": "changed"}
    assert original.text == "x"
