"""The public names of the official SDK 0.291.0 (../shared/reference/official-names.json) all work.

Checked by introspecting the real package: classes, modules, methods and
their variants, parameter names/order/kind/defaults/types, return types,
models, and the request-control keywords.  The package is generated from the
current Kenar spec (2026-08-18): beyond 0.291's names it has exactly the four
operations and the classes that spec added; a renamed class answers to both names.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import typing
from typing import Any, Dict, List, Optional

import pytest

import kenar_api_client
from kenar_api_client import models as models_package
from kenar_api_client._op_table import OPERATIONS
from kenar_api_client.api_response import ApiResponse
from kenar_api_client.models._base import KenarEnum, KenarModel
from kenar_api_client.rest import RESTResponseType

CONTROL_KEYWORDS = ["_request_timeout", "_request_auth", "_content_type", "_headers", "_host_index"]
VARIANTS = ("", "_with_http_info", "_without_preload_content")
#: the operations the 2026-08-18 spec added, by class, named as the official generator names them
NEW_METHODS = {
    "AssetsApi": {"assets_get_media_upload_urls"},
    "FinderApi": {"finder_get_pro_user_profile_image", "finder_get_user_businesses"},
    "PaymentApi": {"payment_pay_post_promotion"},
}
#: 0.291 operations gone from the 2026-08-18 spec -> the method to use instead (None: there is none)
REMOVED = {
    "addons_delete_post_addon": "addons_delete_post_addon2",
    "chat_api_chat_bot_send_message3": "chat_api_chat_bot_send_message",
    "chat_api_chat_bot_send_message4": "chat_api_chat_bot_send_message2",
    "chat_api_chat_bot_send_message5": "chat_api_chat_bot_send_message",
    "events_send_event": None,
    "finder_get_user": "finder_get_user2",
    "payment_commit_wallet_transaction": None,
    "payment_create_wallet_payment": None,
    "payment_retrieve_wallet_transaction": None,
    "post_submit_post": "post_submit_post_v2",
    "semantic_create_user_semantic": "semantic_create_user_semantic2",
    "semantic_delete_user_semantic": "semantic_delete_user_semantic2",
}


def _official_methods(official: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [dict(m, api=a["class"], api_module=a["module"]) for a in official["apis"] for m in a["methods"]]


def _type_for(type_name: str, optional: bool) -> Any:
    simple = {"str": str, "int": int, "bool": bool, "float": float, "object": Dict[str, Any]}
    if type_name in simple:
        base = simple[type_name]
    else:
        base = getattr(kenar_api_client, type_name)
    return Optional[base] if optional else base


def _return_type(type_name: str) -> Any:
    return object if type_name == "object" else getattr(kenar_api_client, type_name)


def test_reference_counts(official_names: Dict[str, Any]) -> None:
    assert len(official_names["apis"]) == 9
    assert len(_official_methods(official_names)) == 68
    assert len(official_names["models"]) == 198


def test_api_classes_and_modules(official_names: Dict[str, Any]) -> None:
    expected = {a["class"]: a["module"] for a in official_names["apis"]}
    assert expected.keys() == {
        "AddonsApi",
        "AssetsApi",
        "ChatAPIApi",
        "EventsApi",
        "FinderApi",
        "PaymentApi",
        "PaymentTicketApi",
        "PostApi",
        "SemanticApi",
    }
    import kenar_api_client.api as api_package

    generated = set(api_package.__all__)
    assert generated == set(expected), "API classes differ from the official ones"
    for cls_name, module_name in expected.items():
        module = importlib.import_module(module_name)
        cls = getattr(module, cls_name)
        assert cls.__module__ == module_name
        assert getattr(kenar_api_client, cls_name) is cls, f"kenar_api_client.{cls_name}"
        assert getattr(api_package, cls_name) is cls, f"kenar_api_client.api.{cls_name}"


def test_every_api_class_has_exactly_the_official_methods(official_names: Dict[str, Any]) -> None:
    problems = []
    for api in official_names["apis"]:
        cls = getattr(importlib.import_module(api["module"]), api["class"])
        methods = {m["method"] for m in api["methods"]} | NEW_METHODS.get(api["class"], set())
        expected = {name + suffix for name in methods for suffix in VARIANTS}
        public = {name for name, value in vars(cls).items() if not name.startswith("_") and callable(value)}
        if public != expected:
            problems.append(f"{api['class']}: missing {sorted(expected - public)}, extra {sorted(public - expected)}")
    assert not problems, "\n".join(problems)


def test_operation_table_has_official_http_method_and_path(official_names: Dict[str, Any]) -> None:
    official = _official_methods(official_names)
    assert {m["method"] for m in official} | set().union(*NEW_METHODS.values()) == set(OPERATIONS)
    problems = []
    for m in official:
        op = OPERATIONS[m["method"]]
        got = (op.api, op.method, op.path, op.returns)
        want = (m["api"], m["http_method"], m["path"], m["returns"])
        if got != want:
            problems.append(f"{m['method']}: {got} != {want}")
    assert not problems, "\n".join(problems)


def test_signatures_match_official(official_names: Dict[str, Any]) -> None:
    """Names, order, positional/keyword split, defaults and types of every method and its variants."""
    problems: List[str] = []
    for m in _official_methods(official_names):
        cls = getattr(importlib.import_module(m["api_module"]), m["api"])
        for suffix in VARIANTS:
            name = m["method"] + suffix
            func = getattr(cls, name)
            sig = inspect.signature(func)
            params = list(sig.parameters.values())
            assert params[0].name == "self"
            params = params[1:]
            names = [p.name for p in params]
            want_names = m["positional"] + m["keyword"] + CONTROL_KEYWORDS
            # the current spec's new optional parameters may follow 0.291's, before the control keywords
            appended = names[len(m["positional"]) + len(m["keyword"]) : -len(CONTROL_KEYWORDS)]
            if appended and all(sig.parameters[n].default is None for n in appended):
                names = [n for n in names if n not in appended]
            if names != want_names:
                problems.append(f"{name}: parameters {names} != {want_names}")
                continue
            hints = typing.get_type_hints(func)
            for p in params:
                if p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
                    problems.append(f"{name}({p.name}): kind {p.kind}")
            for p in params[: len(m["positional"])]:
                if p.default is not inspect.Parameter.empty:
                    problems.append(f"{name}({p.name}): required parameter has a default")
            for p in params[len(m["positional"]) : len(m["positional"]) + len(m["keyword"])]:
                if p.default is not None:
                    problems.append(f"{name}({p.name}): optional parameter default {p.default!r} is not None")
            for spec in m["params"]:
                want = _type_for(spec["type"], spec["optional"])
                if hints.get(spec["name"]) != want:
                    problems.append(f"{name}({spec['name']}): type {hints.get(spec['name'])} != {want}")
            # the optional flag agrees with the split
            optional = {s["name"] for s in m["params"] if s["optional"]}
            if optional != set(m["keyword"]):
                problems.append(f"{name}: reference inconsistent: {optional} vs {m['keyword']}")
            returns = _return_type(m["returns"])
            want_return = {
                "": returns,
                "_with_http_info": ApiResponse[returns],
                "_without_preload_content": RESTResponseType,
            }[suffix]
            if hints.get("return") != want_return:
                problems.append(f"{name}: returns {hints.get('return')} != {want_return}")
    assert not problems, "\n".join(problems)


def test_request_control_keywords_defaults() -> None:
    from kenar_api_client._op_types import UNSET

    sig = inspect.signature(kenar_api_client.EventsApi.events_send_event)
    defaults = {name: sig.parameters[name].default for name in CONTROL_KEYWORDS}
    # _request_timeout defaults to "not given" (the configured timeout), not to None (no timeout)
    assert defaults == {
        "_request_timeout": UNSET,
        "_request_auth": None,
        "_content_type": None,
        "_headers": None,
        "_host_index": 0,
    }


def test_official_keyword_call_style_is_accepted() -> None:
    """Calls written against the official SDK bind to our signatures (no request is sent here)."""
    for api_name, method, args, kwargs in [
        ("EventsApi", "events_send_event", (), {"message": "m", "target_type": "USER", "target_resource_id": "u"}),
        ("PaymentApi", "payment_list_transactions", (), {"page_size": 10, "page_token": "t"}),
        ("SemanticApi", "semantic_delete_user_semantic", ("0912",), {"divar_user_id": "u"}),
        ("SemanticApi", "semantic_delete_user_semantic2", ("u", "0912"), {}),
        ("FinderApi", "finder_get_post", (), {"token": "AbCd"}),
    ]:
        func = getattr(getattr(kenar_api_client, api_name), method)
        inspect.signature(func).bind(None, *args, **kwargs, _request_timeout=5, _headers={"X": "1"}, _host_index=0)


def test_models_classes_and_modules(official_names: Dict[str, Any]) -> None:
    expected = {m["class"]: m["module"] for m in official_names["models"]}
    generated = set(models_package.__all__) - {"KenarModel", "KenarEnum"}
    assert set(expected) <= generated, f"missing {sorted(set(expected) - generated)}"
    problems = []
    renamed = 0
    for cls_name, module_name in sorted(expected.items()):
        module = importlib.import_module(module_name)
        cls = getattr(module, cls_name, None)
        if cls is None:
            problems.append(f"{module_name} has no {cls_name}")
            continue
        if cls.__name__ != cls_name:  # renamed in the current spec: the 0.291 name is the new class itself
            renamed += 1
            if getattr(kenar_api_client, cls.__name__) is not cls or cls.__name__ in expected:
                problems.append(f"{cls_name} is {cls.__name__}, which is not exported as itself")
            cls_name = cls.__name__
        elif cls.__module__ != module_name:
            problems.append(f"{cls_name}.__module__ == {cls.__module__}")
        if not (issubclass(cls, KenarModel) or issubclass(cls, KenarEnum)):
            problems.append(f"{cls_name} is not on the shared base classes")
        if getattr(kenar_api_client, cls_name) is not cls or getattr(models_package, cls_name) is not cls:
            problems.append(f"{cls_name} is not exported as itself")
        for method in ("from_json",) + (
            () if issubclass(cls, KenarEnum) else ("to_json", "to_dict", "from_dict", "to_str")
        ):
            if not callable(getattr(cls, method, None)):
                problems.append(f"{cls_name}.{method} missing")
    assert not problems, "\n".join(problems)
    assert renamed == 9  # the schemas the 2026-08-18 spec renamed without changing their shape


def test_renamed_classes_are_one_class_under_both_names() -> None:
    from kenar_api_client.models.google_rpc_status import GoogleRpcStatus
    from kenar_api_client.models.googlerpc_status import GooglerpcStatus

    assert GooglerpcStatus is GoogleRpcStatus is kenar_api_client.GooglerpcStatus is kenar_api_client.GoogleRpcStatus
    status = GooglerpcStatus(code=5, message="not found")
    assert isinstance(status, GoogleRpcStatus) and isinstance(GoogleRpcStatus(code=1), GooglerpcStatus)
    old_enum = kenar_api_client.EventsRegisterEventSubscriptionRequestEventType
    assert old_enum is kenar_api_client.RegisterEventSubscriptionRequestEventType
    assert old_enum.NEW_MESSAGE_ON_POST.value == "NEW_MESSAGE_ON_POST"
    # a class the current spec dropped keeps its 0.291 shape
    request = kenar_api_client.PaymentCreateWalletPaymentRequest(amount_rials="1", description="d", redirect_url="u")
    assert request.to_dict() == {"amount_rials": "1", "description": "d", "redirect_url": "u"}


def test_fields_the_current_spec_dropped_or_newly_requires_are_optional() -> None:
    # dropped from the body in 2026-08-18 (phone, user_id): still settable, still sent
    body = kenar_api_client.AddonsCreateUserAddonV2Body(phone="09120000000", widgets=[])
    assert body.to_dict()["phone"] == "09120000000"
    assert kenar_api_client.ChatAPIChatBotSendMessageBody(user_id="u", text_message="hi").to_dict()["user_id"] == "u"
    # required by the 2026-08-18 spec only: optional here, so 0.291 code still builds the request
    fields = kenar_api_client.PostSubmitPostV2Request.model_fields
    assert "business_token" in fields and not fields["business_token"].is_required()


def test_removed_operations_are_deprecated_and_name_their_replacement() -> None:
    deprecated = {name: op for name, op in OPERATIONS.items() if op.deprecated}
    # the spec itself marks two (as 0.291's did): deprecated, still in the API
    assert set(deprecated) == set(REMOVED) | {"post_edit_post", "post_get_image_upload_url"}
    for name in ("post_edit_post", "post_get_image_upload_url"):
        assert (OPERATIONS[name].removed_in, OPERATIONS[name].replacement) == (None, None)
    for name, op in deprecated.items():
        if name not in REMOVED:
            continue
        assert (op.removed_in, op.replacement) == ("2026-08-18", REMOVED[name]), name
        assert op.replacement is None or not OPERATIONS[op.replacement].deprecated
        doc = " ".join((inspect.getdoc(getattr(getattr(kenar_api_client, op.api), name)) or "").split())
        assert "Deprecated: gone from the Kenar API spec of 2026-08-18" in doc, name
        assert (f"use {op.replacement} instead" in doc) if op.replacement else ("no replacement" in doc), name
    for name, op in OPERATIONS.items():
        assert op.summary and len(op.summary) <= 70, name


def test_parameter_model_types_live_in_official_modules(official_names: Dict[str, Any]) -> None:
    modules = {m["class"]: m["module"] for m in official_names["models"]}
    for m in _official_methods(official_names):
        for name in [p["type"] for p in m["params"]] + [m["returns"]]:
            if name not in ("str", "int", "bool", "float", "object"):
                assert getattr(kenar_api_client, name).__module__ == modules[name]


def test_exceptions_and_runtime_names() -> None:
    from kenar_api_client import api_client, api_response, configuration, exceptions, rest

    for name in [
        "OpenApiException",
        "ApiTypeError",
        "ApiValueError",
        "ApiKeyError",
        "ApiAttributeError",
        "ApiException",
        "BadRequestException",
        "UnauthorizedException",
        "ForbiddenException",
        "NotFoundException",
        "ConflictException",
        "UnprocessableEntityException",
        "ServiceException",
    ]:
        cls = getattr(exceptions, name)
        assert getattr(kenar_api_client, name) is cls
        assert issubclass(cls, exceptions.OpenApiException)
    for name in [
        "BadRequestException",
        "UnauthorizedException",
        "ForbiddenException",
        "NotFoundException",
        "ConflictException",
        "UnprocessableEntityException",
        "ServiceException",
    ]:
        assert issubclass(getattr(exceptions, name), exceptions.ApiException)
    assert issubclass(exceptions.ApiTypeError, TypeError)
    assert issubclass(exceptions.ApiValueError, ValueError)
    assert issubclass(exceptions.ApiKeyError, KeyError)
    assert issubclass(exceptions.ApiAttributeError, AttributeError)
    # the official examples import ApiException from rest
    assert rest.ApiException is exceptions.ApiException
    assert rest.RESTClientObject and rest.RESTResponse
    assert kenar_api_client.ApiClient is api_client.ApiClient
    assert kenar_api_client.Configuration is configuration.Configuration
    assert kenar_api_client.ApiResponse is api_response.ApiResponse
    assert list(inspect.signature(api_client.ApiClient).parameters) == [
        "configuration",
        "header_name",
        "header_value",
        "cookie",
    ]
    assert list(inspect.signature(exceptions.ApiException).parameters) == [
        "status",
        "reason",
        "http_resp",
        "body",
        "data",
    ]
    for method in [
        "close",
        "set_default_header",
        "get_default",
        "set_default",
        "param_serialize",
        "call_api",
        "response_deserialize",
        "sanitize_for_serialization",
        "deserialize",
        "__enter__",
        "__exit__",
    ]:
        assert callable(getattr(api_client.ApiClient, method)), method
    assert list(inspect.signature(api_client.ApiClient.deserialize).parameters) == [
        "self",
        "response_text",
        "response_type",
        "content_type",
    ]
    for attr in ["status", "reason", "data", "headers"]:
        assert attr in rest.RESTResponse.__slots__ or hasattr(rest.RESTResponse, attr), attr
    for method in ["read", "getheaders", "getheader"]:
        assert callable(getattr(rest.RESTResponse, method))
    assert set(api_response.ApiResponse.__slots__) >= {"status_code", "headers", "data", "raw_data"}


def test_package_all_is_sorted_complete_and_resolves() -> None:
    names = kenar_api_client.__all__
    assert names == sorted(names)
    assert len(names) == len(set(names))
    for name in names:
        assert getattr(kenar_api_client, name) is not None, name
    for sub in (models_package, importlib.import_module("kenar_api_client.api")):
        assert sub.__all__ == sorted(sub.__all__)
        for name in set(sub.__all__) - {"KenarModel", "KenarEnum"}:
            assert getattr(kenar_api_client, name) is getattr(sub, name)
    with pytest.raises(AttributeError):
        kenar_api_client.NoSuchName  # noqa: B018


def test_import_is_lazy() -> None:
    code = (
        "import sys, kenar_api_client\n"
        "loaded = [m for m in sys.modules if m.startswith(('kenar_api_client.models.', 'kenar_api_client.api.'))]\n"
        "assert not loaded, loaded\n"
        "kenar_api_client.EventsApi\n"
        "assert 'kenar_api_client.api.events_api' in sys.modules\n"
        "assert 'kenar_api_client.models.post_submit_post_request' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_version_and_api_spec_say_what_the_package_is(current_spec_path: Any, spec_path: Any) -> None:
    import hashlib

    spec = kenar_api_client.API_SPEC
    assert (spec.date, spec.file) == ("2026-08-18", "kenar-openapi-2026-08-18.json")
    assert spec.sha256 == hashlib.sha256(current_spec_path.read_bytes()).hexdigest()
    assert spec.baseline is not None and spec.baseline.file == "kenar-openapi.json"
    assert spec.baseline.sha256 == hashlib.sha256(spec_path.read_bytes()).hexdigest()
    # 1.<spec date>.<n>: never an official release number (those are 0.x)
    major, date, n = kenar_api_client.__version__.split(".")
    assert (major, date) == ("1", spec.date.replace("-", "")) and n.isdigit()
    assert "API_SPEC" in kenar_api_client.__all__


def test_api_spec_is_imported_lazily() -> None:
    code = (
        "import sys, kenar_api_client\n"
        "assert 'kenar_api_client._api_spec' not in sys.modules\n"
        "assert kenar_api_client.API_SPEC.date\n"
        "assert 'kenar_api_client._api_spec' in sys.modules\n"
        "assert 'kenar_api_client._op_table' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
