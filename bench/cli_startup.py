"""Start-up time of the ``kenar`` command line, next to an empty interpreter in the same run.

    python bench/cli_startup.py            # 30 rounds
    python bench/cli_startup.py -n 10      # fewer

Each round starts every case once, in a rotating order, as a fresh process.  For each case it
prints the median wall-clock time and the median CPU time (user + system of the child, which a
busy machine disturbs less) and the difference from ``python -c pass``: what kenar itself adds.
The target is ``kenar --help`` under 150 ms wall-clock.  It also lists which heavy packages
``kenar --help`` imports (it should be none).  This prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Sequence, Tuple

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _cases() -> List[Tuple[str, List[str]]]:
    python = sys.executable
    cases = [
        ("python -c pass", [python, "-c", "pass"]),
        ("python -m kenar_api_client.cli --help", [python, "-m", "kenar_api_client.cli", "--help"]),
        (
            "python -m kenar_api_client.cli finder get-post --help",
            [python, "-m", "kenar_api_client.cli", "finder", "get-post", "--help"],
        ),
    ]
    script = shutil.which("kenar", path=os.path.dirname(python)) or shutil.which("kenar")
    if script:
        cases.append(("kenar --help (console script)", [script, "--help"]))
    return cases


def _run_once(argv: Sequence[str]) -> Tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=REPO)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _heavy_imports() -> List[str]:
    code = (
        "import sys, io, contextlib\n"
        "from kenar_api_client.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core', 'urllib3'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return done.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--rounds", type=int, default=30)
    options = parser.parse_args()
    cases = _cases()
    for _, argv in cases:  # warm the bytecode caches and the page cache
        _run_once(argv)
    wall: Dict[str, List[float]] = {name: [] for name, _ in cases}
    cpu: Dict[str, List[float]] = {name: [] for name, _ in cases}
    for round_ in range(options.rounds):
        shift = round_ % len(cases)
        for name, argv in cases[shift:] + cases[:shift]:
            w, c = _run_once(argv)
            wall[name].append(w)
            cpu[name].append(c)
    base_wall = statistics.median(wall[cases[0][0]])
    base_cpu = statistics.median(cpu[cases[0][0]])
    print(
        f"Python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs, "
        f"{options.rounds} rounds, medians (ms)"
    )
    print(f"{'case':58} {'wall':>7} {'+ vs pass':>9} {'cpu':>7} {'+ vs pass':>9}")
    for name, _ in cases:
        w = statistics.median(wall[name])
        c = statistics.median(cpu[name])
        print(f"{name:58} {w * 1e3:7.1f} {(w - base_wall) * 1e3:9.1f} {c * 1e3:7.1f} {(c - base_cpu) * 1e3:9.1f}")
    heavy = _heavy_imports()
    print("heavy modules imported by `kenar --help`: " + (" ".join(heavy) if heavy else "none"))


if __name__ == "__main__":
    main()
