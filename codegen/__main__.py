"""Generate the SDK from a Kenar spec, keeping a baseline spec's public names working.

    python -m codegen CURRENT_SPEC --baseline BASELINE_SPEC [--current-date YYYY-MM-DD] [--out DIR] [--check]
    python -m codegen diff OLD_SPEC NEW_SPEC [--out FILE]

Without ``--baseline`` the SDK follows CURRENT_SPEC alone (a spec variant, or the first release).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

from codegen import merge, render, spec

REPO = Path(__file__).resolve().parent.parent


def _compare(expected: Dict[str, str], repo: Path) -> List[str]:
    """The generated files that are missing from ``repo`` or differ there."""
    problems = []
    for rel, content in sorted(expected.items()):
        path = repo / rel
        if not path.exists():
            problems.append(f"missing: {rel}")
        elif path.read_text(encoding="utf-8") != content:
            problems.append(f"differs: {rel}")
    return problems


def diff_against(loaded: spec.Spec, repo: Path) -> List[str]:
    """List what differs between ``repo`` and what would be generated from ``loaded``."""
    expected = render.files(loaded)
    problems = _compare(expected, repo)
    for folder in render.generated_dirs():
        for existing in sorted((repo / folder).glob("*.py")):
            rel = existing.relative_to(repo).as_posix()
            if rel not in expected and not existing.name.startswith("_"):
                problems.append(f"not generated: {rel}")
    for existing in sorted((repo / "docs").glob("*.md")):
        rel = existing.relative_to(repo).as_posix()
        if rel not in expected and rel != "docs/api-changes.md":  # written by `codegen diff`
            problems.append(f"not generated: {rel}")
    readme = repo / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        if render.splice_readme(text, loaded) != text:
            problems.append("differs: README.md (generated tables)")
    with tempfile.TemporaryDirectory() as tmp:  # the generator itself must also write cleanly
        render.write_all(loaded, Path(tmp))
    return problems


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "diff":  # python -m codegen diff OLD_SPEC NEW_SPEC: the drift report
        from codegen import diff

        return diff.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path, help="path of the current Kenar OpenAPI JSON document")
    parser.add_argument("--baseline", type=Path, help="the spec whose public names must keep working (0.291's)")
    parser.add_argument(
        "--current-date", help="the current spec's date, when its file name does not end -YYYY-MM-DD.json"
    )
    parser.add_argument("--notes", type=Path, help="operation notes (default: codegen/operation_notes.toml)")
    parser.add_argument("--out", type=Path, default=REPO, help="root to write into (default: this repo)")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; fail if --out differs from what would be generated"
    )
    args = parser.parse_args(argv)
    try:
        loaded = merge.load(args.spec, args.baseline, args.current_date, args.notes)
    except (OSError, ValueError, ImportError, spec.SpecError) as exc:  # json and notes errors are ValueErrors
        print(f"python -m codegen: {exc}", file=sys.stderr)
        return 2
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.check:
        problems = diff_against(loaded, args.out)
        for line in problems:
            print(line)
        print("generated code is up to date" if not problems else f"{len(problems)} generated files are stale")
        return 1 if problems else 0
    written = render.write_all(loaded, args.out)
    print(f"wrote {len(written)} files for {len(loaded.operations)} operations and {len(loaded.models)} models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
