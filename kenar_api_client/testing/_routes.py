"""Matching a request path against an operation's path template.

Kept behind :func:`compile_template` so the runtime's own path templating can
take its place in one edit.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, Optional, Tuple
from urllib.parse import unquote

#: a compiled template: the raw (percent-encoded) path -> decoded parameters, or None
PathMatcher = Callable[[str], Optional[Dict[str, str]]]


def compile_template(template: str) -> Tuple[PathMatcher, int]:
    """A matcher for ``template`` (e.g. ``/v1/post/{token}``) and the length of its literal text.

    A parameter matches one path segment; its name need not be a Python name
    (``{report.id}``).  Matching is exact: the whole path, no trailing slash.
    Templates with more literal text are more specific (try them first).
    """
    pattern = ""
    literal = 0
    names = []
    for index, part in enumerate(re.split(r"\{([^}]+)\}", template)):
        if index % 2:
            names.append(part)
            pattern += "([^/]+)"
        else:
            pattern += re.escape(part)
            literal += len(part)
    regex = re.compile(pattern + r"\Z")

    def match(path: str) -> Optional[Dict[str, str]]:
        found = regex.match(path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in zip(names, found.groups())}

    return match, literal


__all__ = ["PathMatcher", "compile_template"]
