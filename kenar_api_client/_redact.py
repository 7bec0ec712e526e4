"""How secrets look when something prints them: one placeholder, one rule.

Every repr, log line and error message of the runtime that would show a
credential shows :data:`REDACTED` instead.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping

#: what a secret looks like in a repr, a log line or an error message
REDACTED = "***"

#: headers whose values are credentials (lower case)
SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie"})


def mask(value: Any) -> str:
    """``<unset>`` for a missing secret, :data:`REDACTED` for a present one."""
    return "<unset>" if value in (None, "") else REDACTED


def redact_headers(headers: Mapping[str, Any]) -> Dict[str, Any]:
    """A copy of ``headers`` with credential values replaced by :data:`REDACTED`."""
    return {k: (REDACTED if str(k).lower() in SECRET_HEADERS else v) for k, v in headers.items()}


__all__ = ["REDACTED", "SECRET_HEADERS", "mask", "redact_headers"]
