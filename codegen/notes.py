"""Our own words about each operation, read from ``codegen/operation_notes.toml``.

Each table is keyed by an operation's identity, ``"METHOD /path/template"``::

    ["GET /v1/open-platform/users"]
    summary = "Who the user behind the OAuth token is (phone, user id)"
    note = "One or two sentences: what it does, when to use it, which sibling to prefer."
    replacement = "GET /v1/..."   # optional, only for operations gone from the current spec;
                                   # "" says explicitly that there is none

The generator puts ``note`` in docstrings and docs pages and ``summary`` in one-line
listings (CLI help); :func:`missing_notes` lists the operations that lack a note.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from codegen.compat import CompatError, Identity, identity_key, parse_identity

NOTES_PATH = Path(__file__).resolve().parent / "operation_notes.toml"

#: the longest summary: it must fit a CLI help line
SUMMARY_MAX = 70
_KEYS = frozenset({"summary", "note", "replacement"})


class NotesError(ValueError):
    """The notes file is malformed; the message names the entry and what is wrong."""


@dataclass(frozen=True)
class OperationNote:
    identity: Identity
    summary: str  #: one line, at most :data:`SUMMARY_MAX` characters
    note: str  #: one or two sentences
    #: identity of the replacement of an operation gone from the current spec; None if not given
    replacement: Optional[Identity] = None
    #: True where the file says explicitly that there is no replacement (``replacement = ""``)
    no_replacement: bool = False

    @property
    def key(self) -> str:
        return identity_key(self.identity)


def load_notes(path: Optional[Union[str, Path]] = None) -> Dict[Identity, OperationNote]:
    """Read and check the notes file (default: ``codegen/operation_notes.toml``)."""
    source = Path(path) if path is not None else NOTES_PATH
    toml = _toml_reader()
    try:
        with source.open("rb") as handle:
            raw = toml.load(handle)
    except toml.TOMLDecodeError as exc:
        raise NotesError(f"{source.name}: not valid TOML: {exc}") from None
    return parse_notes(raw, source.name)


def _toml_reader() -> Any:
    """``tomllib`` (Python 3.11+) or its backport ``tomli``, which has the same API."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    else:  # pragma: no cover - Python 3.9 and 3.10
        try:
            import tomli
        except ImportError:
            raise ImportError(
                "reading codegen/operation_notes.toml on Python < 3.11 needs the tomli package "
                "(pip install tomli, or install the test or dev extra)"
            ) from None
        return tomli


def parse_notes(raw: Mapping[str, Any], where: str = "notes") -> Dict[Identity, OperationNote]:
    """Check the decoded TOML document and turn it into records."""
    notes: Dict[Identity, OperationNote] = {}
    for key, entry in raw.items():
        note = _parse_entry(key, entry, f"{where}: [{key!r}]")
        notes[note.identity] = note
    return dict(sorted(notes.items()))


def _parse_entry(key: str, entry: Any, label: str) -> OperationNote:
    try:
        identity = parse_identity(key)
    except CompatError as exc:
        raise NotesError(f"{label}: {exc}") from None
    if identity_key(identity) != key:
        raise NotesError(f"{label}: write the key as {identity_key(identity)!r}")
    if not isinstance(entry, Mapping):
        raise NotesError(f"{label}: expected a table with summary and note")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise NotesError(f"{label}: unknown keys {unknown}; allowed: {sorted(_KEYS)}")
    for field in ("summary", "note"):
        value = entry.get(field)
        if not isinstance(value, str) or not value.strip():
            raise NotesError(f"{label}: {field} must be a non-empty string")
    summary = entry["summary"].strip()
    if "\n" in summary or len(summary) > SUMMARY_MAX:
        raise NotesError(f"{label}: summary must be one line of at most {SUMMARY_MAX} characters")
    note = " ".join(entry["note"].split())
    if "replacement" not in entry:
        return OperationNote(identity, summary, note)
    replacement = _parse_replacement(entry["replacement"], identity, label)
    return OperationNote(identity, summary, note, replacement, replacement is None)


def _parse_replacement(value: Any, identity: Identity, label: str) -> Optional[Identity]:
    """The identity a ``replacement`` names, or None for ``""`` (explicitly none)."""
    if not isinstance(value, str):
        raise NotesError(f'{label}: replacement must be a string (an identity, or "" for none)')
    if not value.strip():
        return None
    try:
        replacement = parse_identity(value)
    except CompatError as exc:
        raise NotesError(f"{label}: replacement: {exc}") from None
    if replacement == identity:
        raise NotesError(f"{label}: an operation cannot replace itself")
    return replacement


def missing_notes(notes: Mapping[Identity, OperationNote], identities: Iterable[Identity]) -> List[str]:
    """Identity keys (sorted) of the operations that have no note."""
    return sorted(identity_key(i) for i in set(identities) if i not in notes)


def stale_notes(notes: Mapping[Identity, OperationNote], identities: Iterable[Identity]) -> List[str]:
    """Identity keys (sorted) of notes about operations in neither spec."""
    known = set(identities)
    return sorted(n.key for n in notes.values() if n.identity not in known)


def replacements(notes: Mapping[Identity, OperationNote]) -> Dict[str, Optional[str]]:
    """The explicit replacements, in the form :func:`codegen.compat.compare` takes."""
    out: Dict[str, Optional[str]] = {}
    for note in notes.values():
        if note.replacement is not None:
            out[note.key] = identity_key(note.replacement)
        elif note.no_replacement:
            out[note.key] = None
    return out
