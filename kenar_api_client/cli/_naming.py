"""Command names from the operation table: ``FinderApi.finder_get_post`` is ``kenar finder get-post``."""

from __future__ import annotations

from typing import Dict, List, Optional

from kenar_api_client._op_table import OPERATIONS
from kenar_api_client._op_types import BODY, Operation, Param


def _words(name: str) -> List[str]:
    """``ChatAPI`` -> ``["Chat", "API"]``; ``PaymentTicket`` -> ``["Payment", "Ticket"]``."""
    words: List[str] = []
    start = 0
    for i in range(1, len(name)):
        prev, cur = name[i - 1], name[i]
        nxt = name[i + 1] if i + 1 < len(name) else ""
        if cur.isupper() and (prev.islower() or prev.isdigit() or (prev.isupper() and nxt.islower())):
            words.append(name[start:i])
            start = i
    words.append(name[start:])
    return [w for w in words if w]


def api_command(api_class: str) -> str:
    """The command of an API class: the class name without ``Api``, kebab-cased."""
    base = api_class[:-3] if api_class.endswith("Api") and len(api_class) > 3 else api_class
    return "-".join(word.lower() for word in _words(base))


def op_command(op: Operation) -> str:
    """The command of an operation: its method name without the API's prefix, kebab-cased."""
    prefix = api_command(op.api).replace("-", "_") + "_"
    name = op.name[len(prefix) :] if op.name.startswith(prefix) and len(op.name) > len(prefix) else op.name
    return name.replace("_", "-")


def body_param(op: Operation) -> Optional[Param]:
    """The parameter that travels as the JSON body, if any."""
    return next((param for param in op.params if param.kind == BODY), None)


def needs_user_token(op: Operation) -> bool:
    """Whether the operation sends a user's OAuth access token."""
    return "OAuth" in op.auth


def option_name(python_name: str) -> str:
    """``page_size`` -> ``--page-size``."""
    return "--" + python_name.replace("_", "-")


def operations_by_api() -> Dict[str, List[Operation]]:
    """API class name -> its operations, both in name order."""
    grouped: Dict[str, List[Operation]] = {}
    for name in sorted(OPERATIONS):
        op = OPERATIONS[name]
        grouped.setdefault(op.api, []).append(op)
    return dict(sorted(grouped.items()))


def title(op: Operation) -> str:
    """A readable one-line note: the operation's summary, or one made from its operationId."""
    summary: Optional[str] = getattr(op, "summary", None)
    if summary:
        return summary.strip().splitlines()[0]
    ident = op.operation_id.split("_", 1)[-1]  # "Finder_GetPost" -> "GetPost"
    words = _words(ident)
    text = " ".join(w if (w.isupper() and len(w) > 1) else w.lower() for w in words)
    return text[:1].upper() + text[1:]


def deprecation(op: Operation) -> Optional[str]:
    """``None``, or a sentence saying the operation is deprecated (and what replaces it)."""
    if not getattr(op, "deprecated", False):
        return None
    replacement: Optional[str] = getattr(op, "replacement", None)
    if replacement:
        # "finder_get_post" or "FinderApi.finder_get_post"
        target = OPERATIONS.get(replacement.rsplit(".", 1)[-1])
        if target is not None:
            return f"deprecated: use `kenar {api_command(target.api)} {op_command(target)}` instead"
        return f"deprecated: use {replacement} instead"
    return "deprecated"
