"""codegen/operation_notes.toml and its loader codegen/notes.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, Set, Tuple

import pytest

from codegen import compat, notes
from codegen.notes import NotesError

CURRENT_SPEC_NAME = "kenar-openapi-2026-08-18.json"


def _current_spec(spec_path: Path) -> Path:
    """The current spec sits next to the baseline in ../shared/openapi (the spec_path fixture skips without it)."""
    path = spec_path.parent / CURRENT_SPEC_NAME
    assert path.exists(), f"{path} is missing next to {spec_path.name}"
    return path


@pytest.fixture(scope="module")
def docs(spec_path: Path) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    baseline = json.loads(spec_path.read_text(encoding="utf-8"))
    current = json.loads(_current_spec(spec_path).read_text(encoding="utf-8"))
    return baseline, current


@pytest.fixture(scope="module")
def union(docs: Tuple[Dict[str, Any], Dict[str, Any]]) -> Set[compat.Identity]:
    return set(compat.operations_of(docs[0])) | set(compat.operations_of(docs[1]))


@pytest.fixture(scope="module")
def loaded() -> Dict[compat.Identity, notes.OperationNote]:
    return notes.load_notes()


def test_every_operation_of_both_specs_has_a_note(loaded: Dict[Any, Any], union: Set[compat.Identity]) -> None:
    assert len(union) == 72
    assert notes.missing_notes(loaded, union) == []
    assert notes.stale_notes(loaded, union) == []
    assert len(loaded) == 72


def test_missing_and_stale_are_reported(loaded: Dict[Any, Any], union: Set[compat.Identity]) -> None:
    some = dict(list(loaded.items())[1:])
    assert notes.missing_notes(some, union) == [compat.identity_key(next(iter(loaded)))]
    last = sorted(union)[-1]
    assert notes.stale_notes(loaded, union - {last}) == [compat.identity_key(last)]
    extra = {("GET", "/nowhere"): notes.OperationNote(("GET", "/nowhere"), "s", "n")}
    assert notes.stale_notes(extra, union) == ["GET /nowhere"]


def test_summaries_fit_a_help_line_and_notes_are_short(loaded: Dict[Any, notes.OperationNote]) -> None:
    for note in loaded.values():
        assert 0 < len(note.summary) <= notes.SUMMARY_MAX and "\n" not in note.summary, note.key
        assert not note.summary.endswith("."), note.key
        sentences = re.findall(r"[.!?](?:\s|$)", note.note)
        assert 1 <= len(sentences) <= 3, (note.key, note.note)
        assert len(note.note) <= 420, note.key


def test_notes_mark_experimental_operations(loaded: Dict[Any, notes.OperationNote], docs: Any) -> None:
    current = compat.operations_of(docs[1])
    for identity, note in loaded.items():
        if identity[1].startswith("/experimental/") and identity in current:
            assert "experimental" in note.note.lower(), note.key


def test_removed_operations_say_what_to_use(
    loaded: Dict[Any, notes.OperationNote], docs: Tuple[Dict[str, Any], Dict[str, Any]]
) -> None:
    comparison = compat.compare(docs[0], docs[1], notes.replacements(loaded))
    assert len(comparison.removed) == 12
    for match in comparison.removed:
        note = loaded[match.identity]
        assert note.replacement is not None or note.no_replacement, match.key
        # the notes file and the derivation rules agree on every removed operation
        assert match.decided_by == "override (derivation agrees)", match.key
        if match.replacement is not None and match.replacement.baseline_method_name:
            assert match.replacement.baseline_method_name in note.note, match.key
    # entries for operations still in the current spec carry no replacement
    kept = {m.identity for m in comparison.operations if m.current is not None}
    assert all(n.replacement is None and not n.no_replacement for i, n in loaded.items() if i in kept)


def test_siblings_name_the_one_to_prefer(loaded: Dict[Any, notes.OperationNote]) -> None:
    def note(key: str) -> str:
        return loaded[compat.parse_identity(key)].note

    assert "finder_get_user2" in note("POST /v1/open-platform/users")
    assert "finder_get_user2" in note("GET /v1/open-platform/users")
    assert "addons_create_user_addon_v22" in note("POST /v2/open-platform/addons/user/{phone}")
    assert "chat_api_chat_bot_send_message" in note(
        "POST /experimental/open-platform/chat/bot/conversations/{conversation_id}/messages"
    )
    assert "post_edit_post_v2" in note("PUT /v1/open-platform/post/{post_token}")
    assert "post_get_upload_urls_v2" in note("GET /v1/open-platform/post/image-upload-url")


def test_notes_are_our_own_words(loaded: Dict[Any, notes.OperationNote], docs: Any) -> None:
    """No Persian text from the spec, and no run of eight words shared with any spec description."""
    prose = []
    for doc in docs:
        for item in doc["paths"].values():
            for op in item.values():
                if isinstance(op, dict):
                    prose.append(f"{op.get('summary', '')} {op.get('description', '')}")
    spec_runs = set()
    for text in prose:
        words = re.findall(r"[a-z0-9_]+", text.lower())
        spec_runs.update(tuple(words[i : i + 8]) for i in range(len(words) - 7))
    for note in loaded.values():
        text = f"{note.summary} {note.note}"
        assert not re.search(r"[\u0600-\u06ff]", text), note.key
        words = re.findall(r"[a-z0-9_]+", text.lower())
        shared = [w for w in (tuple(words[i : i + 8]) for i in range(len(words) - 7)) if w in spec_runs]
        assert not shared, (note.key, shared)


# ---------------------------------------------------------------------------- the loader refuses bad input


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "notes.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = '["GET /v1/x"]\nsummary = "Get x"\nnote = "Reads x."\n'


def test_loader_reads_a_minimal_file(tmp_path: Path) -> None:
    loaded = notes.load_notes(
        _write(tmp_path, GOOD + '\n["POST /v1/y"]\nsummary = "Y"\nnote = """Two\n  lines."""\nreplacement = ""\n')
    )
    assert list(loaded) == [("GET", "/v1/x"), ("POST", "/v1/y")]
    assert loaded[("POST", "/v1/y")].note == "Two lines."  # whitespace folded
    assert loaded[("POST", "/v1/y")].no_replacement
    assert notes.replacements(loaded) == {"POST /v1/y": None}
    assert loaded[("GET", "/v1/x")].key == "GET /v1/x"


@pytest.mark.parametrize(
    "text, message",
    [
        ('["GET /v1/x"\nsummary = "s"', "not valid TOML"),
        ('["/v1/x"]\nsummary = "s"\nnote = "n"\n', "not an operation identity"),
        ('["get /v1/x"]\nsummary = "s"\nnote = "n"\n', "write the key as 'GET /v1/x'"),
        ('["GET /v1/x"]\nsummary = "s"\n', "note must be a non-empty string"),
        ('["GET /v1/x"]\nsummary = ""\nnote = "n"\n', "summary must be a non-empty string"),
        ('["GET /v1/x"]\nsummary = 3\nnote = "n"\n', "summary must be a non-empty string"),
        ('["GET /v1/x"]\nsummary = "' + "x" * 71 + '"\nnote = "n"\n', "at most 70 characters"),
        ('["GET /v1/x"]\nsummary = """a\nb"""\nnote = "n"\n', "one line"),
        ('["GET /v1/x"]\nsummary = "s"\nnote = "n"\nsee_also = "x"\n', "unknown keys ['see_also']"),
        (
            '["GET /v1/x"]\nsummary = "s"\nnote = "n"\nreplacement = "nowhere"\n',
            "replacement: not an operation identity",
        ),
        ('["GET /v1/x"]\nsummary = "s"\nnote = "n"\nreplacement = 1\n', "replacement must be a string"),
        ('["GET /v1/x"]\nsummary = "s"\nnote = "n"\nreplacement = "GET /v1/x"\n', "cannot replace itself"),
        ('"GET /v1/x" = "just text"\n', "expected a table"),
    ],
)
def test_loader_refuses_bad_entries(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(NotesError) as caught:
        notes.load_notes(_write(tmp_path, text))
    assert message in str(caught.value)
    assert "notes.toml" in str(caught.value)


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        notes.load_notes(tmp_path / "absent.toml")


def test_method_names_in_notes_exist(loaded: Dict[Any, notes.OperationNote], docs: Any) -> None:
    known = {op.method_name for doc in docs for op in compat.operations_of(doc).values()}
    # parameter and field names (post_token, ...) may be mentioned too
    known |= {p.name for doc in docs for op in compat.operations_of(doc).values() for p in op.params}
    known |= {wire for doc in docs for shape in compat.shapes_of(doc).values() for wire, _ in shape.properties}
    pattern = re.compile(r"\b(?:addons|assets|chat_api|events|finder|payment|post|semantic)_[a-z0-9_]+\b")
    mentioned = {name for note in loaded.values() for name in pattern.findall(note.note)}
    assert len(mentioned) > 20
    assert sorted(mentioned - known) == []
