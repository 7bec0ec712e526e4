"""The rules of generating from a current spec with a baseline's names (codegen/merge.py), on tiny
pairs of specs: what each rule decides, and what it refuses or warns about instead of guessing."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from codegen import merge, spec

REPO = Path(__file__).resolve().parent.parent
NO_NOTES = Path("/nonexistent/operation_notes.toml")  # no notes file: every operation lacks a note


def _op(operation_id: str, params: Any = (), body: Optional[str] = None, answer: str = "thingsThing") -> Dict[str, Any]:
    op: Dict[str, Any] = {
        "operationId": operation_id,
        "tags": ["Things"],
        "parameters": list(params),
        "responses": {
            "200": {
                "description": "ok",
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{answer}"}}},
            }
        },
    }
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        }
    return op


def _doc() -> Dict[str, Any]:
    return {
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "security": [{"APIKey": []}],
        "paths": {
            "/v1/things/{id}": {
                "get": _op(
                    "Things_GetThing", [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
                )
            },
            "/v1/things": {"post": _op("Things_MakeThing", body="thingsMakeRequest")},
            "/v1/old": {"delete": _op("Things_DropOld")},
        },
        "components": {
            "schemas": {
                "thingsThing": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "color": {"type": "string"}},
                },
                "thingsMakeRequest": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "phone": {"type": "string"}},
                    "required": ["name"],
                },
                "thingsKind": {"type": "string", "enum": ["SMALL", "LARGE"]},
            }
        },
    }


def _write(tmp_path: Path, name: str, doc: Dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _pair(tmp_path: Path, current: Dict[str, Any], baseline: Optional[Dict[str, Any]] = None) -> spec.Spec:
    base = _write(tmp_path, "things.json", baseline or _doc())
    cur = _write(tmp_path, "things-2027-03-04.json", current)
    return merge.load(cur, base, notes_path=NO_NOTES)


def test_identical_specs_change_nothing_but_list_the_missing_notes(tmp_path: Path) -> None:
    loaded = _pair(tmp_path, _doc())
    assert sorted(op.name for op in loaded.operations) == ["things_drop_old", "things_get_thing", "things_make_thing"]
    assert not any(op.deprecated or op.added_in for op in loaded.operations)
    assert loaded.date == "2027-03-04" and loaded.baseline is not None and loaded.baseline[0] == "things.json"
    # (the tiny spec lacks Kenar's idempotent-by-id paths and permission headings: warned too)
    missing = [w for w in loaded.warnings if "have no note" in w]
    assert len(missing) == 1 and missing[0].startswith("3 operations have no note")
    assert "DELETE /v1/old (things_drop_old)" in missing[0]


def test_the_rules_on_a_changed_pair(tmp_path: Path) -> None:
    current = _doc()
    paths = current["paths"]
    del paths["/v1/old"]  # removed
    # operationIds reassigned: the GET path now carries MakeThing's id and the other way round
    paths["/v1/things/{id}"]["get"]["operationId"] = "Things_MakeThing"
    paths["/v1/things"]["post"]["operationId"] = "Things_GetThing"
    # a new optional query parameter, and a new operation
    paths["/v1/things/{id}"]["get"]["parameters"].append({"name": "lang", "in": "query", "schema": {"type": "string"}})
    paths["/v1/colors"] = {"get": _op("Things_ListColors")}
    schemas = current["components"]["schemas"]
    schemas["thingsMakeRequest"]["properties"] = {"name": {"type": "string"}, "owner_id": {"type": "string"}}
    schemas["thingsMakeRequest"]["required"] = ["name", "owner_id"]  # phone dropped, owner_id newly required
    schemas["thingsKind"]["enum"] = ["SMALL", "HUGE"]  # LARGE dropped
    schemas["ThingKind2"] = schemas.pop("thingsKind")  # ... and renamed: incompatible, the old class is kept
    loaded = _pair(tmp_path, current)

    ops = {op.name: op for op in loaded.operations}
    assert set(ops) == {"things_drop_old", "things_get_thing", "things_make_thing", "things_list_colors"}
    # identity decides the name: the 0.291-era names keep their paths
    assert (ops["things_get_thing"].method, ops["things_get_thing"].path) == ("GET", "/v1/things/{id}")
    assert (ops["things_make_thing"].method, ops["things_make_thing"].path) == ("POST", "/v1/things")
    assert [(p.name, p.required) for p in ops["things_get_thing"].params] == [("id", True), ("lang", False)]
    old = ops["things_drop_old"]
    assert (old.deprecated, old.removed_in, old.replacement) == (True, "2027-03-04", None)
    assert ops["things_list_colors"].added_in == "2027-03-04"
    models = {m.cls: m for m in loaded.models}
    fields = {f.wire: f for f in models["ThingsMakeRequest"].fields}
    assert (fields["phone"].required, fields["phone"].legacy) == (False, True)
    assert (fields["owner_id"].required, fields["owner_id"].api_required) == (False, True)
    assert (fields["name"].required, fields["name"].api_required) == (True, False)
    assert models["ThingsKind"].legacy and models["ThingsKind"].enum_values == ["SMALL", "LARGE"]
    assert models["ThingKind2"].enum_values == ["SMALL", "HUGE"]


def test_a_compatible_rename_is_one_class_and_an_enum_keeps_dropped_values(tmp_path: Path) -> None:
    current = _doc()
    schemas = current["components"]["schemas"]
    schemas["thingsKind"]["enum"] = ["SMALL"]
    schemas["thingsItem"] = schemas.pop("thingsThing")
    text = json.dumps(current).replace("#/components/schemas/thingsThing", "#/components/schemas/thingsItem")
    loaded = _pair(tmp_path, json.loads(text))
    models = {m.cls: m for m in loaded.models}
    assert models["ThingsThing"].alias_of == ("ThingsItem", "things_item")
    assert models["ThingsKind"].enum_values == ["SMALL", "LARGE"] and models["ThingsKind"].legacy_values == ["LARGE"]
    assert {op.returns for op in loaded.operations} == {"ThingsItem"}


def test_a_new_operation_taking_a_kept_name_is_refused(tmp_path: Path) -> None:
    current = _doc()
    del current["paths"]["/v1/old"]
    current["paths"]["/v2/old"] = {"delete": _op("Things_DropOld")}  # another path under the removed one's name
    with pytest.raises(spec.SpecError, match="two operations map to method name 'things_drop_old'"):
        _pair(tmp_path, current)


def test_what_the_rules_cannot_decide_is_a_warning(tmp_path: Path) -> None:
    current = _doc()
    get = current["paths"]["/v1/things/{id}"]["get"]
    get["parameters"].append({"name": "lang", "in": "query", "required": True, "schema": {"type": "string"}})
    current["paths"]["/v1/things"]["post"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/thingsOther"
    }
    current["components"]["schemas"]["thingsOther"] = {"type": "object", "properties": {"x": {"type": "integer"}}}
    warnings = _pair(tmp_path, current).warnings
    assert any("requires the new parameter 'lang'; generated optional" in w for w in warnings)
    assert any("returned ThingsThing in the baseline, ThingsOther now" in w for w in warnings)


def test_the_current_date_comes_from_the_file_name_or_is_given(tmp_path: Path) -> None:
    base = _write(tmp_path, "things.json", _doc())
    undated = _write(tmp_path, "things-new.json", _doc())
    with pytest.raises(spec.SpecError, match="give --current-date"):
        merge.load(undated, base, notes_path=NO_NOTES)
    assert merge.load(undated, base, "2027-05-06", NO_NOTES).date == "2027-05-06"
    with pytest.raises(spec.SpecError, match="is not a date"):
        merge.load(undated, base, "May 6", NO_NOTES)
    result = subprocess.run(
        [sys.executable, "-m", "codegen", str(undated), "--baseline", str(base), "--out", str(tmp_path / "out")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "give --current-date" in result.stderr
    assert not (tmp_path / "out").exists()  # nothing written


def test_the_cli_prints_the_warnings(tmp_path: Path) -> None:
    base = _write(tmp_path, "things.json", _doc())
    current = copy.deepcopy(_doc())
    current["paths"]["/v1/colors"] = {"get": _op("Things_ListColors")}
    cur = _write(tmp_path, "things-2027-03-04.json", current)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "codegen",
            str(cur),
            "--baseline",
            str(base),
            "--notes",
            str(NO_NOTES),
            "--out",
            str(tmp_path / "o"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "warning: 4 operations have no note in operation_notes.toml" in result.stderr
    table = (tmp_path / "o/kenar_api_client/_op_table.py").read_text(encoding="utf-8")
    assert '"things_list_colors"' in table and 'removed_in="' not in table
    assert (tmp_path / "o/docs/api-changes.md").exists()
