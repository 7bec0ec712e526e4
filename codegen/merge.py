"""One SDK from two specs: the current API, with every public name of a baseline still working.

``python -m codegen CURRENT --baseline BASELINE`` reads both documents and builds one
:class:`~codegen.spec.Spec` for the templates.  The rules (issue 10):

* An operation is its HTTP method and path template, never its operationId.
* In both specs: generated from the current spec under the baseline's method name, API class,
  parameter names, order and required-ness; parameters only the current spec has are appended
  as optional ones (a newly required one is sent when given, the server decides otherwise).
* Only in the baseline: generated from the baseline, deprecated, ``removed_in`` the current
  spec's date, with the method to call instead where the notes or :mod:`codegen.compat` find one.
* Only in the current spec: a new method, named from its operationId as the official generator does.
* Schemas (see :meth:`codegen.compat.SchemaComparison.legacy_classes`): the current models; a
  baseline class renamed compatibly becomes an alias module re-exporting the new class (the same
  class object); one dropped or renamed incompatibly is generated as the baseline had it; fields
  and enum values the current spec dropped from a schema stay (optional); a field the current
  spec requires but the baseline did not is generated optional (0.291 code keeps building the
  request) and documented as required by the API.

What the rules cannot decide is a :class:`SpecError` or a warning in ``Spec.warnings``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from codegen import compat, naming, notes, spec
from codegen.spec import Api, Model, Operation, Param, Spec, SpecError

_DATE_IN_NAME = re.compile(r"-(\d{4})-?(\d{2})-?(\d{2})\.json$")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def date_of(path: Path, given: Optional[str] = None) -> str:
    """The spec's date, ``YYYY-MM-DD``: ``given``, else from a file name ending ``-YYYY-MM-DD.json``; "" if neither."""
    if given:
        if not _DATE.match(given):
            raise SpecError(f"--current-date {given!r} is not a date (YYYY-MM-DD)")
        return given
    match = _DATE_IN_NAME.search(path.name)
    return "-".join(match.groups()) if match else ""


def load(
    current: Path,
    baseline: Optional[Path] = None,
    current_date: Optional[str] = None,
    notes_path: Optional[Path] = None,
) -> Spec:
    """The spec the templates render: ``current`` alone, or merged with ``baseline``'s names."""
    date = date_of(current, current_date)
    known = notes.load_notes(notes_path) if notes_path is None or notes_path.exists() else {}
    if baseline is None:
        loaded = spec.load(current)
        loaded.date = date
    else:
        if not date:
            raise SpecError(
                f"{current.name}: the current spec's date is not in its file name (...-YYYY-MM-DD.json): "
                "give --current-date"
            )
        loaded = _merge(current, baseline, date, known)
    _apply_notes(loaded, known)
    return loaded


def _apply_notes(loaded: Spec, known: Mapping[compat.Identity, notes.OperationNote]) -> None:
    missing = []
    for op in loaded.operations:
        note = known.get((op.method, op.path))
        if note is None:
            missing.append(f"{op.method} {op.path} ({op.name})")
            continue
        op.summary, op.note = note.summary, note.note
    if missing:
        loaded.warnings.append(f"{len(missing)} operations have no note in operation_notes.toml: {', '.join(missing)}")


# ---------------------------------------------------------------------------- the merge


def _merge(current: Path, baseline: Path, date: str, known: Mapping[compat.Identity, notes.OperationNote]) -> Spec:
    cur_raw, base_raw = current.read_bytes(), baseline.read_bytes()
    cur_doc, base_doc = json.loads(cur_raw), json.loads(base_raw)
    from codegen.diff import usable_replacements

    given = usable_replacements(base_doc, cur_doc, notes.replacements(known))
    try:
        comparison = compat.compare(base_doc, cur_doc, given)
        legacy = comparison.schemas.legacy_classes()
    except compat.CompatError as exc:
        raise SpecError(f"{baseline.name} -> {current.name}: {exc}") from None
    cur_reader, base_reader = spec._Reader(cur_doc), spec._Reader(base_doc)
    models = _models(cur_reader.models(), {m.schema: m for m in base_reader.models()}, legacy)
    warnings = cur_reader.warnings
    operations = _operations(comparison, cur_reader.operations(), base_reader.operations(), date, legacy, warnings)
    warnings.extend(w for w in base_reader.warnings if w not in warnings and "idempotent" not in w)
    servers = cur_doc.get("servers") or [{"url": "https://open-api.divar.ir"}]
    merged = Spec(
        source_name=current.name,
        sha256=hashlib.sha256(cur_raw).hexdigest(),
        host=servers[0]["url"].rstrip("/"),
        models=models,
        apis=_apis(operations),
        scopes=sorted(set(cur_reader.scopes()) | set(base_reader.scopes())),
        warnings=warnings,
        date=date,
        baseline=(baseline.name, hashlib.sha256(base_raw).hexdigest(), date_of(baseline)),
    )
    from codegen.diff import render as render_changes

    merged.extra_files["docs/api-changes.md"] = render_changes(
        baseline.name, base_raw, current.name, cur_raw, notes.replacements(known)
    )
    return merged


def _apis(operations: List[Operation]) -> List[Api]:
    apis: Dict[str, Api] = {}
    for op in operations:
        api = apis.get(op.api)
        if api is None:
            api = apis[op.api] = Api(op.tag, op.api, naming.api_module(op.api), [])
        api.operations.append(op)
    for api in apis.values():
        api.operations.sort(key=lambda o: o.name)
    return [apis[name] for name in sorted(apis)]


def _models(current: List[Model], baseline: Dict[str, Model], legacy: List[compat.LegacyClass]) -> List[Model]:
    """The current models, adjusted to keep the baseline's, plus the baseline classes kept by name."""
    by_new = {item.new_schema: item for item in legacy if item.new_schema and item.action in ("same", "alias")}
    out: List[Model] = []
    for model in current:
        item = by_new.get(model.schema)
        old = baseline.get(item.schema) if item is not None else None
        if item is not None and old is not None:
            _keep_baseline_surface(model, old, item.dropped_fields if item.action == "same" else ())
        out.append(model)
    for item in legacy:
        if item.action == "alias":
            assert item.new_class_name is not None and item.new_module is not None
            out.append(
                Model(item.schema, item.class_name, item.module, [], alias_of=(item.new_class_name, item.new_module))
            )
        elif item.action == "keep_baseline":
            kept = baseline[item.schema]
            kept.legacy = True
            out.append(kept)
    classes = [m.cls for m in out]
    if len(set(classes)) != len(classes):
        raise SpecError("a baseline class and a current class map to one class name")
    return sorted(out, key=lambda m: m.schema)


def _keep_baseline_surface(model: Model, old: Model, dropped: Tuple[str, ...]) -> None:
    """What 0.291 code may do with the baseline class, the current class must allow."""
    if model.enum_values is not None:
        model.legacy_values = [v for v in old.enum_values or [] if v not in model.enum_values]
        model.enum_values = model.enum_values + model.legacy_values
        return
    old_fields = {f.wire: f for f in old.fields}
    for f in model.fields:
        before = old_fields.get(f.wire)
        if f.required and (before is None or not before.required):
            f.required, f.api_required = False, True
    names = {f.name for f in model.fields}
    for wire in dropped:
        kept = copy.deepcopy(old_fields[wire])
        if kept.name in names:
            raise SpecError(f"{model.schema}: the dropped field {wire!r} clashes with a current field's name")
        kept.required, kept.legacy = False, True
        model.fields.append(kept)
    model.fields.sort(key=lambda f: f.wire)


def _operations(
    comparison: compat.Comparison,
    current: List[Operation],
    baseline: List[Operation],
    date: str,
    legacy: List[compat.LegacyClass],
    warnings: List[str],
) -> List[Operation]:
    cur = {(op.method, op.path): op for op in current}
    base = {(op.method, op.path): op for op in baseline}
    same_class = _same_class(legacy)
    out: List[Operation] = []
    for match in comparison.operations:
        if match.status == "both":
            out.append(_kept(base[match.identity], cur[match.identity], same_class, warnings))
        elif match.status == "baseline_only":
            op = base[match.identity]
            op.deprecated, op.removed_in = True, date
            if match.replacement is not None:
                op.replacement = match.replacement.baseline_method_name or match.replacement.method_name
            out.append(op)
        else:
            op = cur[match.identity]
            op.added_in = date
            out.append(op)
    taken: Dict[str, Operation] = {}
    for op in out:
        other = taken.setdefault(op.name, op)
        if other is not op:
            raise SpecError(
                f"two operations map to method name {op.name!r}: {other.method} {other.path} (kept from the "
                f"baseline) and {op.method} {op.path}"
            )
    return out


def _same_class(legacy: List[compat.LegacyClass]) -> Dict[str, str]:
    """Baseline class name -> the current class it is (same schema, or an alias of it)."""
    return {
        item.class_name: item.new_class_name
        for item in legacy
        if item.action in ("same", "alias") and item.new_class_name is not None
    }


def _kept(old: Operation, new: Operation, same_class: Mapping[str, str], warnings: List[str]) -> Operation:
    """An operation in both specs: the current one, under the baseline's name and signature."""
    where = f"{old.method} {old.path} ({old.name})"
    op = copy.deepcopy(new)
    op.name, op.api, op.tag = old.name, old.api, old.tag
    params: List[Param] = []
    current = {(p.kind, p.wire): p for p in new.params}
    for before in old.params:
        now = current.pop((before.kind, before.wire), None)
        if before.kind == "body":
            now = next((p for p in new.params if p.kind == "body"), None)
            current = {k: v for k, v in current.items() if v is not now}
        params.append(_kept_param(before, now, same_class, where, warnings))
    for extra in current.values():  # the current spec's new parameters: appended, optional
        if extra.required:
            warnings.append(f"{where}: the current spec requires the new parameter {extra.name!r}; generated optional")
        params.append(_optional(extra))
    op.params = params
    if old.returns != new.returns and same_class.get(old.returns) != new.returns:
        warnings.append(
            f"{where}: returned {old.returns} in the baseline, {new.returns} now: the result is no {old.returns}"
        )
    if op.paging is not None and op.paging[0] not in {p.name for p in params}:
        op.paging = None
    return op


def _kept_param(
    before: Param, now: Optional[Param], same_class: Mapping[str, str], where: str, warnings: List[str]
) -> Param:
    """The baseline parameter (name, position, required-ness) with the current type, where they agree."""
    if now is None:
        warnings.append(f"{where}: parameter {before.name!r} is gone from the current spec; still sent as before")
        return before
    if before.kind == "body" and before.type != now.type and same_class.get(before.type) != now.type:
        warnings.append(
            f"{where}: the body was {before.type} and is {now.type} now, another shape: the baseline body is kept"
        )
        return before
    if before.kind != "body" and before.type != now.type:
        warnings.append(f"{where}: parameter {before.name!r} was {before.type}, is {now.type} now; kept {before.type}")
        return before
    kept = copy.deepcopy(now)
    kept.name = before.name
    kept.required = before.required
    kept.annotation = _annotation(now.type, before.required)
    if kept.kind == "body":
        kept.wire = before.name
    return kept


def _optional(param: Param) -> Param:
    out = copy.deepcopy(param)
    out.required = False
    out.annotation = _annotation(param.type, False)
    return out


def _annotation(type_: str, required: bool) -> str:
    plain = "Dict[str, Any]" if type_ == "object" else type_
    return plain if required else f"Optional[{plain}]"
