"""What kenar prints: JSON on stdout, headers for --include, one error line on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any, Mapping, Optional

_GRPC_CODES = (
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
)


def write_json(value: Any, layout: str) -> None:
    """``value`` as JSON, indented (``pretty``) or on one line (``compact``), UTF-8 whatever the locale."""
    if layout == "pretty":
        text = json.dumps(value, ensure_ascii=False, indent=2)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    out = sys.stdout.buffer
    out.write(text.encode("utf-8") + b"\n")
    out.flush()


def write_headers(status: int, reason: Optional[str], headers: Mapping[str, Any]) -> None:
    """The status line and the headers of an answer, then a blank line (like ``curl -i``)."""
    if not reason:
        from http import HTTPStatus

        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    lines = [f"HTTP {status} {reason}".rstrip()]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    out = sys.stdout.buffer
    out.write(("\n".join(lines) + "\n\n").encode("utf-8"))
    out.flush()


def exit_code_for_status(status: int) -> int:
    """1 for a refusal (4xx), 3 for a server fault (5xx) or anything else outside 2xx."""
    return 1 if 400 <= status <= 499 else 3


def error_line(error: Any) -> str:
    """``HTTP 404 Not Found, gRPC NOT_FOUND (5): post not found`` for an ApiException."""
    status = error.status
    reason = error.reason
    if not reason and status:
        from http import HTTPStatus

        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    text = f"HTTP {status} {reason or ''}".rstrip()
    code = error.code
    if code is not None:
        name = _GRPC_CODES[code] if 0 <= code < len(_GRPC_CODES) else "code"
        text += f", gRPC {name} ({code})"
    message = error.message
    if message:
        text += ": " + " ".join(message.split())
    elif error.body:
        text += ": " + " ".join(str(error.body).split())[:200]
    attempts = getattr(error, "attempts", 1)
    if attempts and attempts > 1:
        text += f" (after {attempts} attempts)"
    return text
