"""Naming rules: how spec names become Python names.

They reproduce the names of the official generated SDK (OpenAPI Generator's
python client), so code written for it finds the same classes, modules,
methods and fields here.
"""

from __future__ import annotations

import keyword
import re

_FIRST = re.compile(r"([A-Z]+)([A-Z][a-z][a-z]+)")
_SECOND = re.compile(r"([a-z\d])([A-Z])")
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_NON_WORD = re.compile(r"\W")

# Names a generated field may not take: Python keywords and names that clash
# with what the generated modules import or with pydantic's BaseModel.
_RESERVED_FIELDS = frozenset(
    set(keyword.kwlist)
    | {
        "property",
        "schema",
        "base64",
        "json",
        "date",
        "float",
        "self",
        "print",
        "exec",
        "all_params",
        "resource_path",
        "path_params",
        "query_params",
        "header_params",
        "form_params",
        "local_var_files",
        "body_params",
        "auth_settings",
    }
)


def underscore(word: str) -> str:
    """``ChatAPIChatBotSendMessageBody`` -> ``chat_api_chat_bot_send_message_body``."""
    word = _FIRST.sub(r"\1_\2", word)
    word = _SECOND.sub(r"\1_\2", word)
    return word.replace("-", "_").replace(" ", "_").lower()


def camelize(name: str) -> str:
    """``open_platformpostServicesFields`` -> ``OpenPlatformpostServicesFields``."""
    parts = [part for part in _NON_ALNUM.split(name) if part]
    result = "".join(part[0].upper() + part[1:] for part in parts)
    if result and result[0].isdigit():
        result = "Model" + result
    return result


def model_class(schema_name: str) -> str:
    return camelize(schema_name)


def model_module(class_name: str) -> str:
    return underscore(class_name)


def api_class(tag: str) -> str:
    return camelize(tag) + "Api"


def api_module(class_name: str) -> str:
    return underscore(class_name)


def method_name(operation_id: str) -> str:
    """``Finder_GetUserIDByPhone`` -> ``finder_get_user_idby_phone``."""
    name = underscore(_NON_WORD.sub("_", operation_id))
    if keyword.iskeyword(name):
        name = "call_" + name
    return name


def param_name(name: str) -> str:
    name = _NON_WORD.sub("_", name)
    if keyword.iskeyword(name):
        name = "var_" + name
    return name


def field_name(prop: str) -> str:
    """The Python name of a property; ``@type`` -> ``type``, ``schema`` -> ``var_schema``."""
    name = _NON_WORD.sub("", prop.replace("-", "_"))
    if re.fullmatch(r"[A-Z_]*", name):
        name = name.lower()
    name = underscore(name)
    if name in _RESERVED_FIELDS or (name and name[0].isdigit()):
        name = "var_" + name
    return name


def enum_member(value: str) -> str:
    name = _NON_ALNUM.sub("_", str(value)).strip("_").upper() or "EMPTY"
    if name[0].isdigit():
        name = "NUMBER_" + name
    if keyword.iskeyword(name):
        name += "_"
    return name


def summary_from_operation_id(operation_id: str) -> str:
    """``Events_RegisterEventSubscription`` -> ``Register event subscription``."""
    action = operation_id.split("_", 1)[-1]
    words = underscore(action).split("_")
    text = " ".join(word for word in words if word)
    return text[:1].upper() + text[1:]
