"""Matching a request path against an operation's path template.

The rule is the runtime's own (:mod:`kenar_api_client._paths`), so what the
SDK sends and what the mock server reads back cannot disagree.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional, Tuple

from kenar_api_client import _paths

#: a compiled template: the raw (percent-encoded) path -> decoded parameters, or None
PathMatcher = Callable[[str], Optional[Dict[str, str]]]


def compile_template(template: str) -> Tuple[PathMatcher, int]:
    """A matcher for ``template`` (e.g. ``/v1/post/{token}``) and the length of its literal text.

    A parameter matches one path segment; its name need not be a Python name
    (``{report.id}``).  Matching is exact: the whole path, no trailing slash.
    Templates with more literal text are more specific (try them first).
    """
    parsed = _paths.compile_template(template)
    return parsed.match, parsed.specificity


__all__ = ["PathMatcher", "compile_template"]
