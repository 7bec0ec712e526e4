"""Reading a 2xx answer into the value a method returns, and saying clearly why not.

:func:`decode_answer` is the one decoder of answers: the generated methods
(through ``ApiClient.call_operation``) and the official low-level
``ApiClient.response_deserialize`` both use it.  A body that is not the JSON
expected raises :class:`~kenar_api_client.exceptions.ResponseDecodeError`
whose detail comes from :func:`describe_validation_error`, the one summary of
a pydantic ``ValidationError`` (the mock server and the webhook parser can
use it too).
"""

from __future__ import annotations

import json
from typing import Any, Optional

from pydantic import ValidationError

from kenar_api_client.exceptions import ResponseDecodeError

_MESSAGE_LIMIT = 120


def describe_validation_error(error: ValidationError, *, root: str = "(root)", limit: int = 3) -> str:
    """``where: what`` for the first ``limit`` problems, then how many more; never the input values."""
    errors = error.errors(include_url=False, include_input=False)
    if errors and errors[0]["type"] == "json_invalid":
        return f"invalid JSON ({errors[0]['msg']})"
    parts = []
    for item in errors[:limit]:
        where = ".".join(str(part) for part in item.get("loc", ())) or root
        message = str(item.get("msg"))
        if len(message) > _MESSAGE_LIMIT:
            message = message[:_MESSAGE_LIMIT] + "..."
        parts.append(f"{where}: {message}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def decode_answer(model: Any, status: int, content_type: Optional[str], data: bytes, headers: Any = None) -> Any:
    """The body of a 2xx answer as ``model`` (a model class), or as plain JSON when ``model`` is None.

    An empty body is None for a 204 (or when no model is expected); a body
    that is not JSON, not UTF-8 or does not fit the model is a
    :class:`ResponseDecodeError` carrying an excerpt of the body.
    """
    if content_type is not None and "json" not in content_type.lower():
        if not data and status == 204:
            return None
        raise ResponseDecodeError(
            status,
            f"expected a JSON answer, got Content-Type {content_type!r}",
            data,
            content_type=content_type,
            headers=headers,
        )
    if not data:
        if status == 204 or model is None:
            return None
        raise ResponseDecodeError(
            status, "the answer has an empty body", data, content_type=content_type, headers=headers
        )
    if model is None:
        try:
            return json.loads(data.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise ResponseDecodeError(
                status, f"the body is not UTF-8 ({error})", data, content_type=content_type, headers=headers
            ) from None
        except ValueError as error:
            raise ResponseDecodeError(
                status, f"invalid JSON ({error})", data, content_type=content_type, headers=headers
            ) from None
    try:
        return model.model_validate_json(data)
    except ValidationError as error:
        raise ResponseDecodeError(
            status,
            f"{model.__name__}: {describe_validation_error(error)}",
            data,
            content_type=content_type,
            headers=headers,
        ) from None


__all__ = ["decode_answer", "describe_validation_error"]
