"""``python -m codegen diff OLD NEW``: the Markdown drift report, and docs/api-changes.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from codegen import __main__ as codegen_main
from codegen import diff

REPO = Path(__file__).resolve().parent.parent
CURRENT_SPEC_NAME = "kenar-openapi-2026-08-18.json"


def _current_spec(spec_path: Path) -> Path:
    """The current spec sits next to the baseline in ../shared/openapi (the spec_path fixture skips without it)."""
    path = spec_path.parent / CURRENT_SPEC_NAME
    assert path.exists(), f"{path} is missing next to {spec_path.name}"
    return path


API_CHANGES = REPO / "docs" / "api-changes.md"


def _run(*args: str) -> subprocess.CompletedProcess:
    """The real command line, in a child process (used once: the committed report)."""
    return subprocess.run([sys.executable, "-m", "codegen", "diff", *args], cwd=REPO, capture_output=True, timeout=120)


class Outcome:
    def __init__(self, returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _main(capfdbinary: pytest.CaptureFixture[bytes], *args: str) -> Outcome:
    """``python -m codegen diff ARGS`` in this process, through the same dispatch as the CLI."""
    try:
        code = codegen_main.main(["diff", *args])
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capfdbinary.readouterr()
    return Outcome(code, out, err)


@pytest.fixture(scope="module")
def report(spec_path: Path) -> str:
    result = _run(str(spec_path), str(_current_spec(spec_path)))
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode("utf-8")


def _section(text: str, title: str) -> str:
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def _first_column(section: str) -> List[str]:
    return [line.split(" | ")[0].strip("| `") for line in section.splitlines() if line.startswith("| `")]


def test_committed_report_is_what_the_generator_prints(report: str) -> None:
    assert API_CHANGES.read_bytes() == report.encode("utf-8"), (
        "docs/api-changes.md is stale: run python -m codegen diff ../shared/openapi/kenar-openapi.json "
        "../shared/openapi/kenar-openapi-2026-08-18.json > docs/api-changes.md"
    )


def test_report_is_deterministic(spec_path: Path, report: str) -> None:
    again = diff.render(
        spec_path.name,
        spec_path.read_bytes(),
        CURRENT_SPEC_NAME,
        _current_spec(spec_path).read_bytes(),
        diff.notes.replacements(diff.notes.load_notes()),
    )
    assert again == report


def test_report_lists_the_added_and_removed_operations(report: str) -> None:
    assert _first_column(_section(report, "Operations added")) == [
        "GET /v1/open-platform/assets/media-upload-urls",
        "GET /v1/open-platform/pro-user/profile-image",
        "GET /v1/open-platform/user/businesses",
        "POST /experimental/open-platform/post/{post_token}/pay-promotion",
    ]
    removed = _section(report, "Operations removed")
    assert len(_first_column(removed)) == 12
    assert "`POST /experimental/open-platform/events/send` | `Events_SendEvent` | `events_send_event` | none" in removed
    # the replacement is named both as 0.291 users know it and as the current spec names it
    assert "`GET /v1/open-platform/users` (old spec: `finder_get_user2`; new spec: `finder_get_user`)" in removed
    assert len(_first_column(_section(report, "operationIds reassigned"))) == 6


def test_report_lists_the_renamed_schemas(report: str) -> None:
    renamed = _section(report, "Schemas renamed")
    pairs = re.findall(r"^\| `(\w+)` \(`\w+`\) \| `(\w+)` \(`\w+`\)", renamed, re.M)
    assert ("googlerpcStatus", "googleRpcStatus") in pairs
    assert ("open_platformpostPostState", "postPostState") in pairs
    assert ("eventsRegisterEventSubscriptionRequestEventType", "RegisterEventSubscriptionRequestEventType") in pairs
    assert len(pairs) == 9
    assert len(_first_column(_section(report, "Schemas dropped"))) == 71
    assert len(_first_column(_section(report, "Schemas added"))) == 12


def test_report_marks_breaking_changes(report: str) -> None:
    changed = _section(report, "Operations changed")
    assert "| request body field business_token | added | string, required | **yes** |" in changed
    assert "| request body field conversation_id | added | string | no |" in changed
    enums = _section(report, "Enum values added and removed")
    assert "| `OAuthScopeScope` |" in enums and "`CREATE_WALLET_PAYMENT` | **yes** |" in enums
    assert "| `postCustomizedButtonType` | `ONLINE_CALL` | — | no |" in enums
    assert "A change is **breaking**" in _section(report, "How to read this")


# ---------------------------------------------------------------------------- synthetic specs, CLI


def _write(path: Path, doc: Dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _doc(paths: Dict[str, Any], schemas: Dict[str, Any]) -> Dict[str, Any]:
    return {"openapi": "3.0.0", "paths": paths, "components": {"schemas": schemas}}


def _op(op_id: str) -> Dict[str, Any]:
    return {"operationId": op_id, "tags": ["T"], "responses": {"200": {"description": "ok"}}}


def test_synthetic_pair_through_the_cli(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    old = _write(
        tmp_path / "old.json",
        _doc(
            {"/v1/a": {"get": _op("T_GetA")}, "/v1/b": {"post": _op("T_MakeB")}},
            {"oldState": {"type": "string", "enum": ["ON", "OFF"]}},
        ),
    )
    new = _write(
        tmp_path / "new.json",
        _doc(
            {"/v1/a": {"get": _op("T_GetA")}, "/v1/c": {"get": _op("T_GetC")}},
            {"newState": {"type": "string", "enum": ["ON", "OFF", "IDLE"]}},
        ),
    )
    out = tmp_path / "report.md"
    result = _main(capfdbinary, str(old), str(new), "--notes", str(tmp_path / "no-notes.toml"), "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b""
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Kenar API changes: `old.json` → `new.json`\n")
    assert _first_column(_section(text, "Operations added")) == ["GET /v1/c"]
    assert _first_column(_section(text, "Operations removed")) == ["POST /v1/b"]
    assert "None." in _section(text, "operationIds reassigned")
    assert "`oldState` (`OldState`) | `newState` (`NewState`) | enum | similar shape (0.67) | yes" in text
    assert "| `newState` | `IDLE` | — | no |" in _section(text, "Enum values added and removed")


def test_notes_replacements_for_another_pair_are_ignored(
    tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    # the repository's notes speak of the real specs; on this pair none applies
    old = _write(tmp_path / "old.json", _doc({"/v1/users": {"post": _op("T_Get")}}, {}))
    new = _write(tmp_path / "new.json", _doc({"/v1/other": {"get": _op("U_List")}}, {}))
    result = _main(capfdbinary, str(old), str(new))
    assert result.returncode == 0, result.stderr.decode()
    assert "| `POST /v1/users` | `T_Get` | `t_get` | none | no rule matched | **yes** |" in result.stdout.decode()


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "No such file"),
        ("{not json", "Expecting property name"),
        (json.dumps(_doc({"/v1/x": {"get": {"responses": {}}}}, {})), "GET /v1/x has no operationId"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes], content: Any, message: str
) -> None:
    good = _write(tmp_path / "good.json", _doc({}, {}))
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    result = _main(capfdbinary, str(bad), str(good))
    assert result.returncode == 2
    assert result.stdout == b""
    assert message in result.stderr.decode()


def test_bad_notes_file_exits_2(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    good = _write(tmp_path / "good.json", _doc({}, {}))
    notes = tmp_path / "notes.toml"
    notes.write_text('["GET /x"]\nsummary = "s"\n', encoding="utf-8")
    result = _main(capfdbinary, str(good), str(good), "--notes", str(notes))
    assert result.returncode == 2
    assert "note must be a non-empty string" in result.stderr.decode()


def test_usage_error_for_missing_arguments(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    result = _main(capfdbinary)
    assert result.returncode == 2
    assert b"usage: python -m codegen diff" in result.stderr
