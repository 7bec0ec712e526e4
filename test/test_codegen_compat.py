"""codegen/compat.py: operations matched by (method, path), schemas matched by shape.

Against the two real specs (baseline 2025-12-02 = official 0.291, current 2026-08-18) and
against small synthetic specs built here, each made to exercise one rule.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from codegen import compat
from codegen.compat import CompatError

CURRENT_SPEC_NAME = "kenar-openapi-2026-08-18.json"


def _current_spec(spec_path: Path) -> Path:
    """The current spec sits next to the baseline in ../shared/openapi (the spec_path fixture skips without it)."""
    path = spec_path.parent / CURRENT_SPEC_NAME
    assert path.exists(), f"{path} is missing next to {spec_path.name}"
    return path


# ---------------------------------------------------------------------------- the real specs


@pytest.fixture(scope="module")
def baseline(spec_path: Path) -> Dict[str, Any]:
    return json.loads(spec_path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def current(spec_path: Path) -> Dict[str, Any]:
    return json.loads(_current_spec(spec_path).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def real(baseline: Dict[str, Any], current: Dict[str, Any]) -> compat.Comparison:
    return compat.compare(baseline, current)


def test_counts_of_the_real_pair(real: compat.Comparison) -> None:
    assert len(real.operations) == 72
    assert len(real.kept) == 56
    assert len([m for m in real.operations if m.baseline]) == 68
    assert len([m for m in real.operations if m.current]) == 60


def test_the_four_added_operations(real: compat.Comparison) -> None:
    assert {(m.key, m.current_name) for m in real.added} == {
        ("GET /v1/open-platform/user/businesses", "finder_get_user_businesses"),
        ("GET /v1/open-platform/pro-user/profile-image", "finder_get_pro_user_profile_image"),
        ("GET /v1/open-platform/assets/media-upload-urls", "assets_get_media_upload_urls"),
        ("POST /experimental/open-platform/post/{post_token}/pay-promotion", "payment_pay_post_promotion"),
    }
    promotion = real.match(("POST", "/experimental/open-platform/post/{post_token}/pay-promotion"))
    assert promotion is not None and promotion.current is not None
    assert promotion.current.body_schema == "PaymentPayPostPromotionBody"
    assert promotion.current.experimental
    assert promotion.current.oauth_scopes == ("PAY_USER_POST_PROMOTION",)
    assert promotion.current.permissions == ("PAY_POST_PROMOTION",)


def test_the_twelve_removed_operations_and_their_replacements(real: compat.Comparison) -> None:
    got = {
        m.key: (m.baseline_name, compat.identity_key(m.replacement.identity) if m.replacement else None)
        for m in real.removed
    }
    assert got == {
        "POST /experimental/open-platform/chat/bot/conversations/{conversation_id}/messages": (
            "chat_api_chat_bot_send_message5",
            "POST /v1/open-platform/chat/bot/conversations/{conversation_id}/messages",
        ),
        "POST /experimental/open-platform/chat/bot/users/{user_id}/messages": (
            "chat_api_chat_bot_send_message4",
            "POST /v1/open-platform/chat/bot/users/{user_id}/messages",
        ),
        "POST /experimental/open-platform/chatbot-conversations/{conversation_id}/messages": (
            "chat_api_chat_bot_send_message3",
            "POST /v1/open-platform/chat/bot/conversations/{conversation_id}/messages",
        ),
        "POST /experimental/open-platform/events/send": ("events_send_event", None),
        "POST /experimental/open-platform/posts/new": (
            "post_submit_post",
            "POST /experimental/open-platform/posts/new-v2",
        ),
        "POST /experimental/open-platform/wallet/payments/create": ("payment_create_wallet_payment", None),
        "POST /experimental/open-platform/wallet/payments/commit": ("payment_commit_wallet_transaction", None),
        "GET /experimental/open-platform/wallet/payments/{token}": ("payment_retrieve_wallet_transaction", None),
        "DELETE /v1/open-platform/add-ons/post/{token}": (
            "addons_delete_post_addon",
            "DELETE /v1/open-platform/addons/post/{token}",
        ),
        "POST /v1/open-platform/users": ("finder_get_user", "GET /v1/open-platform/users"),
        "POST /v1/open-platform/semantic/user/{phone}": (
            "semantic_create_user_semantic",
            "POST /v1/open-platform/semantic/users/{divar_user_id}",
        ),
        "DELETE /v1/open-platform/semantic/user/{phone}": (
            "semantic_delete_user_semantic",
            "DELETE /v1/open-platform/semantic/users/{divar_user_id}",
        ),
    }
    finder = real.match(("POST", "/v1/open-platform/users"))
    assert finder is not None and finder.replacement is not None
    # the replacement carries both names: the one 0.291 users know and the current spec's
    assert finder.replacement.baseline_method_name == "finder_get_user2"
    assert finder.replacement.method_name == "finder_get_user"
    assert finder.replacement.rule == "same name, same path"
    events = real.match(("POST", "/experimental/open-platform/events/send"))
    assert events is not None and events.decided_by == "no rule matched" and events.candidates == ()


def test_the_six_reassigned_operation_ids(real: compat.Comparison) -> None:
    got = {(m.key, m.baseline_name, m.current_name) for m in real.reassigned}
    assert got == {
        ("GET /v1/open-platform/users", "finder_get_user2", "finder_get_user"),
        ("POST /v2/open-platform/addons/user/{phone}", "addons_create_user_addon_v2", "addons_create_user_addon_v22"),
        (
            "POST /v2/open-platform/addons/users/{divar_user_id}",
            "addons_create_user_addon_v22",
            "addons_create_user_addon_v2",
        ),
        (
            "POST /v1/open-platform/semantic/users/{divar_user_id}",
            "semantic_create_user_semantic2",
            "semantic_create_user_semantic",
        ),
        (
            "DELETE /v1/open-platform/semantic/users/{divar_user_id}",
            "semantic_delete_user_semantic2",
            "semantic_delete_user_semantic",
        ),
        ("DELETE /v1/open-platform/addons/post/{token}", "addons_delete_post_addon2", "addons_delete_post_addon"),
    }
    # following the current names would move these six 0.291 names to another endpoint
    clashes = real.name_clashes()
    assert clashes["finder_get_user"] == (("POST", "/v1/open-platform/users"), ("GET", "/v1/open-platform/users"))
    assert set(clashes) == {
        "finder_get_user",
        "addons_create_user_addon_v2",
        "addons_create_user_addon_v22",
        "semantic_create_user_semantic",
        "semantic_delete_user_semantic",
        "addons_delete_post_addon",
    }


def test_baseline_names_are_the_official_ones(real: compat.Comparison, official_names: Dict[str, Any]) -> None:
    methods = [m for api in official_names["apis"] for m in api["methods"]]
    assert len(methods) == 68
    for method in methods:
        match = real.by_baseline_name(method["method"])
        assert match is not None, method["method"]
        assert match.identity == (method["http_method"], method["path"]), method["method"]


def test_baseline_model_classes_are_the_official_ones(baseline: Dict[str, Any], official_names: Dict[str, Any]) -> None:
    classes = {s.class_name for s in compat.shapes_of(baseline).values() if s.is_model}
    assert classes == {m["class"] for m in official_names["models"]}
    modules = {s.module for s in compat.shapes_of(baseline).values() if s.is_model}
    assert modules == {m["module"].rsplit(".", 1)[1] for m in official_names["models"]}


def test_renamed_schemas_found_by_shape(real: compat.Comparison) -> None:
    renamed = {(c.old_name, c.new_name) for c in real.schemas.renamed}
    assert renamed == {
        ("googlerpcStatus", "googleRpcStatus"),
        ("open_platformpostPostState", "postPostState"),
        ("eventsRegisterEventSubscriptionRequestEventType", "RegisterEventSubscriptionRequestEventType"),
        ("paymentTransactionState", "TransactionState"),
        ("finderGetUserPostsResponsePost", "GetUserPostsResponsePost"),
        ("addonsGroupInfoRowGroupInfoItem", "GroupInfoRowGroupInfoItem"),
        ("addonsEvaluationRowSection", "EvaluationRowSection"),
        ("open_platformpostHTTPMethod", "open_platformPostHTTPMethod"),
        # found only once the enum it references is matched: the loop propagates
        ("GetUploadURLsV2ResponseUploadFormat", "postGetUploadURLsV2ResponseUploadFormat"),
    }
    assert all(c.compatible and c.status == "renamed" and c.similarity == 1.0 for c in real.schemas.renamed)
    http = real.schemas.by_old("open_platformpostHTTPMethod")
    assert http is not None and http.alternatives == ("assetsHTTPMethod",)  # the equal-shaped loser is listed
    status = real.schemas.by_old("googlerpcStatus")
    assert status is not None and status.new is not None and status.new.class_name == "GoogleRpcStatus"


def test_dropped_added_and_changed_schemas(real: compat.Comparison, baseline: Dict[str, Any]) -> None:
    s = real.schemas
    gone_by_name = set(baseline["components"]["schemas"]) - {c.new_name for c in s.changes if c.new_name}
    assert len(s.renamed) + len(s.dropped) == 80 == len(gone_by_name)
    assert len(s.renamed) + len(s.added) == 21
    assert len(s.dropped) == 71 and len(s.added) == 12
    assert {c.old_name for c in s.dropped} >= {"paymentWalletTransaction", "eventsEventButton", "finderGetUserRequest"}
    assert {c.new_name for c in s.added} >= {"PaymentPayPostPromotionBody", "assetsHTTPMethod", "baseBusinessType"}
    changed = {c.old_name: c for c in s.with_status("changed")}
    assert set(changed) == {
        "AddonsCreateUserAddonV2Body",
        "ChatAPIChatBotSendMessageBody",
        "DivarIconsIconName",
        "OAuthScopeScope",
        "postCustomizedButtonType",
        "postSubmitPostV2Request",
        "postSubmitUserPostRequest",
    }
    scope = changed["OAuthScopeScope"]
    assert scope.enum_removed == ("CREATE_WALLET_PAYMENT",) and not scope.compatible
    assert set(scope.enum_added) == {"USER_BUSINESSES_READ", "PRO_USER_PROFILE_IMAGE_READ", "PAY_USER_POST_PROMOTION"}
    assert changed["postCustomizedButtonType"].enum_added == ("ONLINE_CALL",)
    assert changed["postCustomizedButtonType"].compatible
    submit = changed["postSubmitPostV2Request"]
    assert [(f.name, f.change, f.required) for f in submit.fields] == [("business_token", "added", True)]
    assert not submit.compatible  # a new required field: old calls would not validate
    body = changed["ChatAPIChatBotSendMessageBody"]
    assert {(f.name, f.change) for f in body.fields} == {("conversation_id", "added"), ("user_id", "removed")}
    # a schema whose only difference is a renamed reference is unchanged
    evaluation = s.by_old("addonsEvaluationRow")
    assert evaluation is not None and evaluation.status == "unchanged"


def test_operation_changes_on_the_real_pair(real: compat.Comparison) -> None:
    submit = real.match(("POST", "/experimental/open-platform/posts/new-v2"))
    assert submit is not None
    assert [(c.subject, c.change, c.breaking) for c in submit.changes] == [
        ("request body field business_token", "added", True)
    ]
    users = real.match(("GET", "/v1/open-platform/users"))
    assert users is not None
    kinds = {(c.subject, c.change, c.breaking, c.level) for c in users.changes}
    assert ("operationId", "reassigned", True, "name") in kinds
    assert ("API-key permission USER_RETRIEVE", "added", True, "wire") in kinds
    unchanged = real.match(("GET", "/v1/open-platform/assets/city"))
    assert unchanged is not None and unchanged.changes == () and not unchanged.operation_id_changed


def test_usage_follows_references(real: compat.Comparison) -> None:
    assert real.current_usage["googleRpcStatus"] == frozenset({"response"})
    assert real.current_usage["PaymentPayPostPromotionBody"] == frozenset({"request"})
    assert real.current_usage["paymentPromotionOperation"] == frozenset({"request"})  # nested in the body
    assert "eventsEventButton" not in real.baseline_usage  # defined, never used


# ---------------------------------------------------------------------------- synthetic specs


def _spec(schemas: Dict[str, Any], paths: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return {"openapi": "3.0.0", "paths": paths or {}, "components": {"schemas": schemas}}


def _obj(props: Dict[str, Any], required: Optional[List[str]] = None) -> Dict[str, Any]:
    out: Dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


def _ref(name: str) -> Dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


S = {"type": "string"}
I = {"type": "integer", "format": "int32"}  # noqa: E741
B = {"type": "boolean"}


def _op(op_id: str, tag: str, **extra: Any) -> Dict[str, Any]:
    return {"operationId": op_id, "tags": [tag], "responses": {"200": {"description": "ok"}}, **extra}


def test_renamed_and_grown_schema_is_matched_and_compatible() -> None:
    old = _spec({"shopItem": _obj({"id": S, "title": S, "price": I, "visible": B})})
    new = _spec({"catalogItem": _obj({"id": S, "title": S, "price": I, "visible": B, "color": S})})
    result = compat.compare_schemas(old, new)
    (change,) = result.renamed
    assert (change.old_name, change.new_name, change.status) == ("shopItem", "catalogItem", "renamed_changed")
    assert change.match == "similar shape" and change.similarity == 0.8
    assert change.compatible
    assert [(f.name, f.change) for f in change.fields] == [("color", "added")]
    assert result.mapping == {"shopItem": "catalogItem"}


def test_renamed_schema_that_lost_a_field_or_retyped_one_is_incompatible() -> None:
    old = _spec({"shopItem": _obj({"id": S, "title": S, "price": I, "visible": B, "note": S})})
    new = _spec({"catalogItem": _obj({"id": S, "title": S, "price": S, "visible": B, "note": S})})
    (change,) = compat.compare_schemas(old, new).renamed
    assert not change.compatible
    assert [(f.name, f.change, f.old_type, f.new_type) for f in change.fields] == [
        ("price", "retyped", "integer", "string")
    ]
    new2 = _spec({"catalogItem": _obj({"id": S, "title": S, "price": I, "visible": B})})
    (change2,) = compat.compare_schemas(old, new2).renamed
    assert not change2.compatible and [(f.name, f.change) for f in change2.fields] == [("note", "removed")]


def test_a_field_made_required_is_incompatible() -> None:
    old = _spec({"item": _obj({"id": S, "title": S})})
    new = _spec({"item": _obj({"id": S, "title": S}, required=["title"])})
    change = compat.compare_schemas(old, new).by_old("item")
    assert change is not None and change.status == "changed" and not change.compatible
    assert [(f.name, f.change) for f in change.fields] == [("title", "now_required")]


def test_too_different_schemas_are_not_taken_for_a_rename() -> None:
    old = _spec({"shopItem": _obj({"id": S, "title": S, "price": I, "visible": B})})
    new = _spec({"catalogItem": _obj({"id": S, "owner": S, "rank": I, "hidden": B, "extra": S})})
    result = compat.compare_schemas(old, new)
    assert result.renamed == []
    assert [c.old_name for c in result.dropped] == ["shopItem"]
    assert [c.new_name for c in result.added] == ["catalogItem"]


def test_similar_shape_with_unrelated_names_and_no_shared_use_is_not_matched() -> None:
    # 3 of 4 fields alike (0.75 > threshold) but names share nothing and nothing links them
    old = _spec({"aaaa": _obj({"id": S, "title": S, "price": I, "x": B})})
    new = _spec({"zzzzzz": _obj({"id": S, "title": S, "price": I, "y": B})})
    assert compat.compare_schemas(old, new).renamed == []


def test_a_one_field_shape_alone_proves_nothing() -> None:
    old = _spec({"walletCommitRequest": _obj({"token": S})})
    new = _spec({"uploadAnswer": _obj({"token": S})})
    assert compat.compare_schemas(old, new).renamed == []
    # but the same tiny shape under a close name is a rename
    new2 = _spec({"WalletCommitRequest2": _obj({"token": S})})
    assert [(c.old_name, c.new_name) for c in compat.compare_schemas(old, new2).renamed] == [
        ("walletCommitRequest", "WalletCommitRequest2")
    ]


def test_enum_rename_superset_is_compatible_subset_is_not() -> None:
    old = _spec({"oldState": {"type": "string", "enum": ["A", "B", "C"]}})
    grown = _spec({"newState": {"type": "string", "enum": ["A", "B", "C", "D"]}})
    (change,) = compat.compare_schemas(old, grown).renamed
    assert change.compatible and change.enum_added == ("D",) and change.enum_removed == ()
    shrunk = _spec({"newState": {"type": "string", "enum": ["A", "B"]}})
    (change2,) = compat.compare_schemas(old, shrunk).renamed
    assert not change2.compatible and change2.enum_removed == ("C",)


def test_a_true_tie_is_left_unmatched_and_listed() -> None:
    old = _spec({"colorX": {"type": "string", "enum": ["RED", "GREEN"]}})
    new = _spec(
        {
            "colorA": {"type": "string", "enum": ["RED", "GREEN"]},
            "colorB": {"type": "string", "enum": ["RED", "GREEN"]},
        }
    )
    result = compat.compare_schemas(old, new)
    assert result.renamed == []
    (dropped,) = result.dropped
    assert dropped.alternatives == ("colorA", "colorB")


def test_two_old_schemas_tied_for_one_new_schema_are_both_left_unmatched() -> None:
    old = _spec(
        {
            "colorA": {"type": "string", "enum": ["RED", "GREEN"]},
            "colorB": {"type": "string", "enum": ["RED", "GREEN"]},
        }
    )
    new = _spec({"colorX": {"type": "string", "enum": ["RED", "GREEN"]}})
    result = compat.compare_schemas(old, new)
    assert result.renamed == []
    assert [(c.old_name, c.alternatives) for c in result.dropped] == [("colorA", ("colorX",)), ("colorB", ("colorX",))]
    assert [c.new_name for c in result.added] == ["colorX"]


def test_a_shared_use_site_breaks_a_tie_and_renames_propagate() -> None:
    # the parent keeps its name; its field now points at the renamed child
    old = _spec(
        {
            "parent": _obj({"kind": _ref("oldKind"), "n": I}),
            "oldKind": {"type": "string", "enum": ["X", "Y"]},
        }
    )
    new = _spec(
        {
            "parent": _obj({"kind": _ref("kindA"), "n": I}),
            "kindA": {"type": "string", "enum": ["X", "Y"]},
            "kindB": {"type": "string", "enum": ["X", "Y"]},
        }
    )
    result = compat.compare_schemas(old, new)
    (renamed,) = result.renamed
    assert (renamed.old_name, renamed.new_name) == ("oldKind", "kindA")
    assert any("parent kind" in e for e in renamed.evidence)
    parent = result.by_old("parent")
    assert parent is not None and parent.status == "unchanged"


def test_nested_renames_resolve_in_rounds() -> None:
    old = _spec(
        {
            "legacyMethod": {"type": "string", "enum": ["GET", "PUT"]},
            "legacyFormat": _obj({"url": S, "method": _ref("legacyMethod")}),
        }
    )
    new = _spec(
        {
            "newMethod": {"type": "string", "enum": ["GET", "PUT"]},
            "newFormat": _obj({"url": S, "method": _ref("newMethod")}),
        }
    )
    result = compat.compare_schemas(old, new)
    assert result.mapping == {"legacyFormat": "newFormat", "legacyMethod": "newMethod"}
    assert all(c.status == "renamed" for c in result.renamed)


def test_type_descriptors() -> None:
    schemas = {"model": _obj({"a": S}), "alias": {"type": "integer"}, "free": {"type": "object"}}
    cases = [
        ({"type": "string", "format": "date-time"}, "datetime"),
        ({"type": "string", "format": "int64"}, "string"),
        ({"type": "array", "items": _ref("model")}, "array[ref:model]"),
        ({"type": "object", "additionalProperties": S}, "map[string]"),
        (_ref("alias"), "integer"),
        (_ref("free"), "object"),
        ({"allOf": [_ref("model")]}, "ref:model"),
        ({}, "object"),
    ]
    for node, expected in cases:
        assert compat.type_descriptor(node, schemas) == expected
    with pytest.raises(CompatError, match="dangling reference"):
        compat.type_descriptor(_ref("missing"), schemas)


# ---------------------------------------------------------------------------- operations, synthetic


def test_replacement_rules_one_by_one() -> None:
    old = _spec(
        {},
        {
            "/experimental/things/{id}": {"post": _op("Things_Send3", "Things")},
            "/v1/add-ons/{id}": {"delete": _op("Things_Remove", "Things")},
            "/v1/users": {"post": _op("Users_Get", "Users")},
            "/v1/old-place/{phone}": {"post": _op("Users_Mark", "Users")},
            "/v1/gone": {"get": _op("Gone_Get", "Gone")},
        },
    )
    new = _spec(
        {},
        {
            "/v1/things/{id}": {"post": _op("Things_Send", "Things")},
            "/v1/addons/{id}": {"delete": _op("Things_Remove", "Things")},
            "/v1/users": {"get": _op("Users_Get", "Users")},
            "/v1/new-place/{user_id}": {"post": _op("Users_Mark", "Users")},
        },
    )
    result = compat.compare(old, new)
    got = {
        m.key: (compat.identity_key(m.replacement.identity) if m.replacement else None, m.decided_by)
        for m in result.removed
    }
    assert got == {
        "POST /experimental/things/{id}": ("POST /v1/things/{id}", "same path elsewhere"),
        "DELETE /v1/add-ons/{id}": ("DELETE /v1/addons/{id}", "same path elsewhere"),
        "POST /v1/users": ("GET /v1/users", "same name, same path"),
        "POST /v1/old-place/{phone}": ("POST /v1/new-place/{user_id}", "same name, same method"),
        "GET /v1/gone": (None, "no rule matched"),
    }


def test_several_equal_candidates_are_listed_never_chosen() -> None:
    old = _spec({}, {"/exp/send/{id}": {"post": _op("Chat_Send5", "Chat")}})
    new = _spec(
        {},
        {
            "/v1/a/{other}": {"post": _op("Chat_Send", "Chat")},
            "/v1/b/{another}": {"post": _op("Chat_Send2", "Chat")},
        },
    )
    (removed,) = compat.compare(old, new).removed
    assert removed.replacement is None and removed.decided_by == "ambiguous"
    assert removed.candidates == (("POST", "/v1/a/{other}"), ("POST", "/v1/b/{another}"))
    # an explicit override settles it, and says derivation found nothing definite
    (settled,) = compat.compare(old, new, {"POST /exp/send/{id}": "POST /v1/b/{another}"}).removed
    assert settled.replacement is not None and settled.replacement.identity == ("POST", "/v1/b/{another}")
    assert settled.decided_by == "override (derived: none)" and settled.candidates == ()


def test_overrides_win_and_are_checked() -> None:
    old = _spec({}, {"/v1/users": {"post": _op("Users_Get", "Users")}, "/v1/keep": {"get": _op("K_Get", "K")}})
    new = _spec({}, {"/v1/users": {"get": _op("Users_Get", "Users")}, "/v1/keep": {"get": _op("K_Get", "K")}})
    (none,) = compat.compare(old, new, {"POST /v1/users": None}).removed
    assert none.replacement is None and none.decided_by == "override (derived: GET /v1/users)"
    (agree,) = compat.compare(old, new, {"post  /v1/users ": "GET /v1/users"}).removed
    assert agree.replacement is not None and agree.decided_by == "override (derivation agrees)"
    with pytest.raises(CompatError, match="not an operation of the current spec"):
        compat.compare(old, new, {"POST /v1/users": "GET /v1/nowhere"})
    with pytest.raises(CompatError, match="not an operation only in the baseline"):
        compat.compare(old, new, {"GET /v1/keep": "GET /v1/users"})
    with pytest.raises(CompatError, match="not an operation identity"):
        compat.compare(old, new, {"/v1/users": "GET /v1/users"})


@pytest.mark.parametrize("text", ["", "GET", "/v1/users", "FETCH /v1/users", "GET v1/users", "GET /v1/a b"])
def test_parse_identity_refuses_malformed_text(text: str) -> None:
    with pytest.raises(CompatError, match="not an operation identity"):
        compat.parse_identity(text)


def test_parse_identity_normalises() -> None:
    assert compat.parse_identity("  delete /v1/x/{id} ") == ("DELETE", "/v1/x/{id}")
    assert compat.identity_key(("DELETE", "/v1/x/{id}")) == "DELETE /v1/x/{id}"


def test_operation_without_operation_id_is_refused() -> None:
    doc = _spec({}, {"/v1/x": {"get": {"responses": {}}}})
    with pytest.raises(CompatError, match="GET /v1/x has no operationId"):
        compat.operations_of(doc)


def test_operation_change_rules() -> None:
    schemas_old = {
        "answer": _obj({"keep": S, "gone": S, "count": I}),
        "body": _obj({"a": S}),
    }
    schemas_new = {
        "answer": _obj({"keep": S, "count": S, "extra": B}),
        "body": _obj({"a": S, "must": S}, required=["must"]),
    }

    def op(params: List[Dict[str, Any]], scopes: List[str], **extra: Any) -> Dict[str, Any]:
        return _op(
            "Things_Do",
            "Things",
            parameters=params,
            requestBody={"content": {"application/json": {"schema": _ref("body")}}, "required": True},
            responses={"200": {"content": {"application/json": {"schema": _ref("answer")}}}},
            security=[{"APIKey": [], "OAuth": scopes}],
            **extra,
        )

    old_params = [
        {"name": "id", "in": "path", "required": True, "schema": S},
        {"name": "page", "in": "query", "schema": I},
        {"name": "old", "in": "query", "schema": S},
    ]
    new_params = [
        {"name": "id", "in": "path", "required": True, "schema": S},
        {"name": "page", "in": "query", "schema": I, "required": True},
        {"name": "filter", "in": "query", "schema": S},
        {"name": "must", "in": "query", "schema": S, "required": True},
    ]
    old = _spec(schemas_old, {"/v1/things/{id}": {"post": op(old_params, ["READ"])}})
    new = _spec(schemas_new, {"/v1/things/{id}": {"post": op(new_params, ["READ", "WRITE"], deprecated=True)}})
    (match,) = compat.compare(old, new).kept
    got = {(c.subject, c.change): c.breaking for c in match.changes}
    assert got == {
        ("query parameter filter", "added"): False,
        ("query parameter must", "added"): True,
        ("query parameter old", "removed"): True,
        ("query parameter page", "now_required"): True,
        ("request body field must", "added"): True,
        ("response field count", "retyped"): True,
        ("response field extra", "added"): False,
        ("response field gone", "removed"): True,
        ("OAuth scope WRITE", "added"): True,
        ("operation", "deprecated"): False,
    }


def test_compare_does_not_mutate_its_inputs(baseline: Dict[str, Any], current: Dict[str, Any]) -> None:
    before = copy.deepcopy(baseline), copy.deepcopy(current)
    compat.compare(baseline, current)
    assert (baseline, current) == before


def test_permissions_are_read_from_the_description() -> None:
    text = "intro\n\n#### دسترسی‌ها:\n\n##### مجوزهای API Key مورد نیاز:\n\n- `A_ONE`\n- `B_TWO`\n\n##### OAuth\n\n- `SCOPE`"
    assert compat.api_key_permissions(text) == ("A_ONE", "B_TWO")
    assert compat.api_key_permissions("no section `X`") == ()


def test_a_renamed_response_schema_is_a_name_change_only() -> None:
    def doc(name: str) -> Dict[str, Any]:
        answer = {"200": {"content": {"application/json": {"schema": _ref(name)}}}}
        return _spec(
            {name: _obj({"id": S, "title": S, "size": I})},
            {"/v1/items/{id}": {"get": _op("Items_Get", "Items", responses=answer)}},
        )

    (match,) = compat.compare(doc("itemsItem"), doc("Item")).kept
    assert [(c.subject, c.change, c.breaking, c.level) for c in match.changes] == [
        ("response schema", "renamed", True, "name")
    ]


def test_legacy_class_plan_for_the_real_pair(real: compat.Comparison, official_names: Dict[str, Any]) -> None:
    plan = {c.class_name: c for c in real.schemas.legacy_classes()}
    assert set(plan) == {m["class"] for m in official_names["models"]}  # every 0.291 class is covered
    status = plan["GooglerpcStatus"]
    assert (status.action, status.new_class_name, status.new_module) == (
        "alias",
        "GoogleRpcStatus",
        "google_rpc_status",
    )
    assert plan["PaymentWalletTransaction"].action == "keep_baseline"
    body = plan["AddonsCreateUserAddonV2Body"]
    assert body.action == "same" and body.dropped_fields == ("phone",)
    counts = {a: sum(1 for c in plan.values() if c.action == a) for a in ("same", "alias", "keep_baseline")}
    assert counts == {"same": 125, "alias": 9, "keep_baseline": 64}  # 198 classes in 0.291


def test_legacy_class_plan_refuses_a_name_clash() -> None:
    # the baseline's "Foo_Bar" (class FooBar) is dropped, and the current spec has an unrelated "fooBar"
    old = _spec({"Foo_Bar": _obj({"a": S, "b": I})})
    new = _spec({"fooBar": _obj({"x": B, "y": B, "z": B})})
    comparison = compat.compare_schemas(old, new)
    assert [c.old_name for c in comparison.dropped] == ["Foo_Bar"]
    with pytest.raises(CompatError, match="clashes with current schema 'fooBar'"):
        comparison.legacy_classes()
