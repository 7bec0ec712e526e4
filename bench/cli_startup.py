"""Start-up time of the ``kenar`` command line, next to an empty interpreter in the same run.

    python bench/cli_startup.py            # 30 rounds
    python bench/cli_startup.py -n 10      # fewer

Each round starts every case once, in a rotating order, as a fresh process.  For each case it
prints the median wall-clock time and the median CPU time (user + system of the child, which a
busy machine disturbs less) and the difference from ``python -c pass``: what kenar itself adds.

Two sets of cases: an installed copy of the package with its bytecode compiled, as ``pip
install`` leaves it (the figure users see; the console script is the one pip writes), and the
work tree as it is, where without ``__pycache__`` (``PYTHONDONTWRITEBYTECODE`` is common in
containers and CI) every start also compiles the package's source.  The target is ``kenar
--help`` under 150 ms wall-clock.  It also lists which heavy modules ``kenar --help`` imports
(it should be none).  This prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

from run import installed_copy

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: what pip writes as the ``kenar`` console script (the entry point ``kenar_api_client.cli:main``)
_CONSOLE_SCRIPT = """\
import re
import sys
from kenar_api_client.cli import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
"""

#: modules ``kenar --help`` should not load: the SDK's heavy dependencies, and the slow standard ones
_HEAVY = ("pydantic", "pydantic_core", "urllib3", "dataclasses", "inspect")


class Case:
    """One command to time: its argv, where it runs, and with which extra ``PYTHONPATH``."""

    def __init__(self, name: str, argv: List[str], cwd: str = REPO, path: Optional[str] = None) -> None:
        self.name = name
        self.argv = argv
        self.cwd = cwd
        self.env = dict(os.environ)
        if path is not None:
            self.env["PYTHONPATH"] = path + (os.pathsep + self.env["PYTHONPATH"] if self.env.get("PYTHONPATH") else "")


def _cases(installed: str) -> List[Case]:
    python = sys.executable
    script = os.path.join(installed, "kenar")
    with open(script, "w", encoding="utf-8") as out:
        out.write(_CONSOLE_SCRIPT)
    cases = [
        Case("python -c pass", [python, "-c", "pass"], installed, installed),
        Case("installed: kenar --help (console script)", [python, script, "--help"], installed, installed),
        Case(
            "installed: kenar finder get-post --help",
            [python, script, "finder", "get-post", "--help"],
            installed,
            installed,
        ),
        Case(
            "installed: python -m kenar_api_client.cli --help",
            [python, "-m", "kenar_api_client.cli", "--help"],
            installed,
            installed,
        ),
        Case("work tree: python -m kenar_api_client.cli --help", [python, "-m", "kenar_api_client.cli", "--help"]),
    ]
    console = shutil.which("kenar", path=os.path.dirname(python)) or shutil.which("kenar")
    if console:
        cases.append(Case("work tree: kenar --help (console script)", [console, "--help"]))
    return cases


def _run_once(case: Case) -> Tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        case.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=case.cwd, env=case.env
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _heavy_imports(argv: Sequence[str], installed: str) -> List[str]:
    code = (
        "import sys, io, contextlib\n"
        "from kenar_api_client.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main({list(argv)!r})\n"
        f"print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {_HEAVY!r})))\n"
    )
    case = Case("", [sys.executable, "-c", code], installed, installed)
    done = subprocess.run(case.argv, capture_output=True, text=True, check=True, cwd=case.cwd, env=case.env)
    return done.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--rounds", type=int, default=30)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kenar-cli-bench-") as tmp:
        installed = installed_copy(tmp)
        cases = _cases(installed)
        for case in cases:  # warm the page cache
            _run_once(case)
        wall: Dict[str, List[float]] = {case.name: [] for case in cases}
        cpu: Dict[str, List[float]] = {case.name: [] for case in cases}
        for round_ in range(options.rounds):
            shift = round_ % len(cases)
            for case in cases[shift:] + cases[:shift]:
                w, c = _run_once(case)
                wall[case.name].append(w)
                cpu[case.name].append(c)
        heavy = {" ".join(argv): _heavy_imports(argv, installed) for argv in (["--help"], ["finder", "--help"])}
    base_wall = statistics.median(wall[cases[0].name])
    base_cpu = statistics.median(cpu[cases[0].name])
    bytecode = os.path.isdir(os.path.join(REPO, "kenar_api_client", "__pycache__"))
    print(
        f"Python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs, "
        f"{options.rounds} rounds, medians (ms); the work tree {'has' if bytecode else 'has no'} bytecode on disk"
    )
    print(f"{'case':58} {'wall':>7} {'+ vs pass':>9} {'cpu':>7} {'+ vs pass':>9}")
    for case in cases:
        w = statistics.median(wall[case.name])
        c = statistics.median(cpu[case.name])
        print(f"{case.name:58} {w * 1e3:7.1f} {(w - base_wall) * 1e3:9.1f} {c * 1e3:7.1f} {(c - base_cpu) * 1e3:9.1f}")
    for argv, modules in heavy.items():
        print(f"heavy modules imported by `kenar {argv}`: " + (" ".join(modules) if modules else "none"))


if __name__ == "__main__":
    main()
