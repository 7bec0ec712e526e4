"""Side-by-side figures for kenar_api_client: import cost, per-call CPU, large decodes, memory.

    python bench/run.py            # the full run (about a minute on 2 cores)
    python bench/run.py --quick    # a smoke run with few repetitions (seconds)

The calls go to a loopback HTTP/1.1 keep-alive server that this script starts in a
separate process (``--serve``), so the server's work never counts against the client.
CPU figures are ``time.process_time`` of the client process.  The cases being compared
run in short rounds taken back to back (in alternating order); a figure is the median
over the rounds, and a ratio is the median of the per-round ratios, which keeps the
comparison fair when other work on the machine changes its speed during the run.
Memory is measured with tracemalloc in fresh interpreters.  This prints figures; it
asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import gc
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

SMALL_PATH = "/v1/open-platform/events/subscriptions"
LARGE_PATH = "/v2/open-platform/finder/post"
API_KEY = "bench-api-key-0123456789"
ACCESS_TOKEN = "bench-access-token-abcdefghijklmnopqrstuvwxyz"

# the figures the performance issue asks for
TARGET_IMPORT_MS = 60.0
TARGET_LARGE_VS_FLOOR = 1.10
TARGET_LARGE_VS_JSON = 2.8
TARGET_SMALL_VS_RAW = 1.12
TARGET_HELD_MB = 3.5


# --------------------------------------------------------------------------- the payload
_TITLES = [
    "آپارتمان ۸۵ متری نوساز در سعادت‌آباد",
    "پژو ۲۰۶ تیپ ۲ مدل ۱۳۹۸ بدون رنگ",
    "گوشی سامسونگ گلکسی A54 در حد نو",
    "مبل راحتی هفت نفره با میز جلو مبلی",
    "استخدام حسابدار خانم با سابقه",
    "دوچرخه کوهستان سایز ۲۶ دنده‌ای",
    "کیف چرم دست‌دوز زنانه",
    "دریل شارژی بوش با دو باتری",
    "اجاره ویلا دو خوابه در رامسر",
    "خدمات لوله‌کشی و تعمیرات ساختمان",
]
_CATEGORIES = [
    "apartment-sell",
    "light",
    "mobile-phones",
    "furniture-and-home-decore",
    "jobs",
    "bicycle",
    "bags",
    "tools",
    "villa-rent",
    "repair-services",
]
_CITIES = ["tehran", "mashhad", "isfahan", "karaj", "shiraz", "tabriz", "ahvaz", "qom"]
_ROOMS = ["بدون اتاق", "یک", "دو", "سه", "چهار"]
_TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _token(n: int) -> str:
    """An 8-character post token, unique per ``n`` and stable across runs."""
    x = (n * 2654435761 + 12345) % (62**8)
    chars = []
    for _ in range(8):
        x, r = divmod(x, 62)
        chars.append(_TOKEN_ALPHABET[r])
    return "".join(chars)


def make_post(i: int) -> Dict[str, Any]:
    """One ``finderSearchPostItem`` with every field of the schema set (int64 as strings)."""
    k = i % len(_TITLES)
    when = datetime.datetime(2025, 3, 1, 8, 0, 0) + datetime.timedelta(minutes=37 * i, microseconds=913 * i)
    return {
        "category": _CATEGORIES[k],
        "city": _CITIES[i % len(_CITIES)],
        "community_fields": {},
        "electronic_devices_fields": {},
        "home_kitchen_fields": {},
        "jobs_fields": {},
        "last_modified_at": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "leisure_hobbies_fields": {},
        "personal_goods_fields": {},
        "price": {"mode": "FIXED", "value": str(1_500_000 * (i + 7))},
        "real_estate_fields": {
            "credit": {"mode": "FIXED", "value": str(50_000_000 * (i % 40 + 1))},
            "daily_rent": str(2_500_000 + 10_000 * i),
            "floor": i % 12,
            "has_elevator": i % 2 == 0,
            "has_parking": i % 3 == 0,
            "rent": {"mode": "NEGOTIABLE", "value": str(9_000_000 + 100_000 * (i % 50))},
            "rooms": _ROOMS[i % len(_ROOMS)],
            "size": 45 + i % 180,
            "year": 1380 + i % 24,
        },
        "services_fields": {},
        "title": _TITLES[k] + " " + str(i),
        "token": _token(i),
        "tools_materials_equipment_fields": {},
        "vehicles_fields": {
            "custom_post_subtitle": "کارکرد " + str(i * 311 % 200000) + " کیلومتر",
            "installment_sale": "NOT_AVAILABLE" if i % 4 else "AVAILABLE",
            "usage": str(i * 311 % 200000),
        },
    }


def make_search_payload(n: int = 1000) -> bytes:
    """The body of a ``finder_search_post_v2`` answer with ``n`` posts (UTF-8, like the real API)."""
    return json.dumps({"posts": [make_post(i) for i in range(n)]}, ensure_ascii=False).encode("utf-8")


SMALL_ANSWER = b"{}"


# --------------------------------------------------------------------------- the server process
def _handle(conn: socket.socket, routes: Dict[bytes, bytes]) -> None:
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, _, rest = buf.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            path = lines[0].split(b" ")[1].split(b"?", 1)[0]
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(rest) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                rest += chunk
            buf = rest[length:]
            body = routes.get(path)
            status = b"200 OK"
            if body is None:
                status, body = b"404 Not Found", b'{"code": 5, "message": "not found", "details": []}'
            conn.sendall(
                b"HTTP/1.1 "
                + status
                + b"\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\nConnection: keep-alive\r\n\r\n"
                + body
            )
    except OSError:
        return
    finally:
        conn.close()


def serve() -> None:
    """Answer forever on 127.0.0.1; print the port; exit when stdin closes (the parent is gone)."""
    routes = {SMALL_PATH.encode(): SMALL_ANSWER, LARGE_PATH.encode(): make_search_payload()}
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    sys.stdout.write(f"{listener.getsockname()[1]}\n")
    sys.stdout.flush()

    def wait_for_parent() -> None:
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=wait_for_parent, daemon=True).start()
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_handle, args=(conn, routes), daemon=True).start()


class ServerProcess:
    def __enter__(self) -> ServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.host = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------------------- helpers
def _child_env(root: str) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PYTHONTRACEMALLOC", None)
    return env


def _run_child(code: str, root: str = REPO) -> Tuple[float, str]:
    """Run ``python -c code`` in a fresh interpreter that finds the package under ``root``; (wall s, stdout)."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], env=_child_env(root), cwd=root, capture_output=True, text=True, check=True
    ).stdout
    return time.perf_counter() - start, out


def installed_copy(into: str) -> str:
    """A copy of the package with its bytecode compiled, as ``pip install`` leaves it.

    The work tree may have no ``__pycache__`` (``PYTHONDONTWRITEBYTECODE`` is common in
    containers and CI); timing it would time the compiler, not the import.
    """
    target = os.path.join(into, "kenar_api_client")
    shutil.copytree(os.path.join(REPO, "kenar_api_client"), target, ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(target, quiet=1)
    return into


def cpu_per_call(fn: Callable[[], Any], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls


class Rounds:
    """CPU seconds per call of several cases, measured in short rounds taken back to back.

    This machine is shared, so the speed of a whole run drifts; the cases of one round run
    within a fraction of a second of each other and see the same conditions.  A ratio is
    therefore the median of the per-round ratios, not the ratio of two distant medians.
    """

    def __init__(
        self, cases: Sequence[Tuple[str, Callable[[], Any]]], calls: int, rounds: int, collect_each: bool = False
    ) -> None:
        for _, fn in cases:  # warm up: connections open, models built, caches filled
            for _ in range(max(3, calls)):
                fn()
        self.samples: Dict[str, List[float]] = {name: [] for name, _ in cases}
        for r in range(rounds):
            order = list(cases) if r % 2 == 0 else list(reversed(cases))
            gc.collect()
            for name, fn in order:
                if collect_each:
                    gc.collect()
                self.samples[name].append(cpu_per_call(fn, calls))

    def median(self, name: str) -> float:
        return statistics.median(self.samples[name])

    def ratio(self, name: str, base: str) -> float:
        return statistics.median(a / b for a, b in zip(self.samples[name], self.samples[base]))

    @property
    def rounds(self) -> int:
        return len(next(iter(self.samples.values())))


def held_bytes(make: Callable[[], Any]) -> int:
    """Bytes still allocated (tracemalloc) by what ``make`` returns, after a full collection."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        obj = make()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del obj
    return held


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


# --------------------------------------------------------------------------- 1. import
_IMPORT_TIME_CODE = """
import time
t = time.perf_counter()
import kenar_api_client
print(time.perf_counter() - t)
"""

_IMPORT_MEMORY_CODE = """
import sys, tracemalloc
def rss():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
before_mods = len(sys.modules)
rss0 = rss()
tracemalloc.start()
import kenar_api_client
{extra}
current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(current, peak, rss() - rss0, len(sys.modules) - before_mods)
"""

_FIRST_USE = """
from kenar_api_client import ApiClient, FinderApi, FinderSearchPostV2Response
FinderSearchPostV2Response.model_validate_json(b'{"posts": []}')
"""


def bench_import(runs: int) -> Dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="kenar-bench-") as tmp:
        root = installed_copy(tmp)
        in_process: List[float] = []
        wall_bare: List[float] = []
        wall_import: List[float] = []
        for _ in range(runs):
            wall, out = _run_child("pass", root)
            wall_bare.append(wall)
            wall, out = _run_child(_IMPORT_TIME_CODE, root)
            wall_import.append(wall)
            in_process.append(float(out))
        _, out = _run_child(_IMPORT_MEMORY_CODE.format(extra=""), root)
        current, peak, rss, mods = (int(x) for x in out.split())
        _, out = _run_child(_IMPORT_MEMORY_CODE.format(extra=_FIRST_USE), root)
        use_current, use_peak, use_rss, use_mods = (int(x) for x in out.split())
        first_use: List[float] = []
        for _ in range(max(3, runs // 3)):
            code = "import time\nt = time.perf_counter()\n" + _FIRST_USE + "print(time.perf_counter() - t)"
            first_use.append(float(_run_child(code, root)[1]))
    # the work tree as it is: without bytecode on disk each start compiles the package source
    source_tree = statistics.median(float(_run_child(_IMPORT_TIME_CODE)[1]) for _ in range(max(3, runs // 3)))
    return {
        "in_process_ms": statistics.median(in_process) * 1000,
        "wall_bare_ms": statistics.median(wall_bare) * 1000,
        "wall_import_ms": statistics.median(wall_import) * 1000,
        # the two interpreters of a pair start back to back: their difference is steadier than two medians
        "wall_delta_ms": statistics.median(b - a for a, b in zip(wall_bare, wall_import)) * 1000,
        "source_tree_ms": source_tree * 1000,
        "has_bytecode": os.path.isdir(os.path.join(REPO, "kenar_api_client", "__pycache__")),
        "traced_current_mb": current / 1e6,
        "traced_peak_mb": peak / 1e6,
        "rss_delta_mb": rss / 1e6,
        "modules": mods,
        "first_use_ms": statistics.median(first_use) * 1000,
        "first_use_traced_mb": use_current / 1e6,
        "first_use_rss_mb": use_rss / 1e6,
        "first_use_modules": use_mods,
    }


# --------------------------------------------------------------------------- 2 and 3. calls
def bench_calls(host: str, quick: bool) -> Dict[str, Any]:
    import urllib3

    import kenar_api_client as kenar
    from kenar_api_client._op_table import OPERATIONS
    from kenar_api_client.models import (
        EventsRegisterEventSubscriptionRequest,
        FinderSearchPostsV2Request,
        FinderSearchPostV2Response,
    )

    config = kenar.Configuration(host=host, api_key={"APIKey": API_KEY}, access_token=ACCESS_TOKEN)
    client = kenar.ApiClient(config)
    events = kenar.EventsApi(client)
    finder = kenar.FinderApi(client)

    small_fields = {
        "event_type": "NEW_MESSAGE_ON_POST",
        "event_resource_id": "gZ4Yk3Fq",
        "metadata": {"source": "bench", "tags": ["chat", "post"]},
    }
    small_request = EventsRegisterEventSubscriptionRequest.model_validate(small_fields)
    search_fields = {"category": "apartment-sell", "city": "tehran", "districts": ["vanak", "tajrish"]}
    search_request = FinderSearchPostsV2Request.model_validate(search_fields)

    # raw urllib3 sends exactly the headers the SDK sends (Accept, User-Agent, Content-Type, both credentials)
    small_headers = dict(
        client.build_request(OPERATIONS["events_register_event_subscription"], (small_request,)).headers
    )
    large_headers = dict(client.build_request(OPERATIONS["finder_search_post_v2"], (search_request,)).headers)

    pool = urllib3.PoolManager(retries=False)
    timeout = urllib3.Timeout(connect=10.0, read=30.0)
    small_url = host + SMALL_PATH
    large_url = host + LARGE_PATH

    def sdk_small() -> Any:
        return events.events_register_event_subscription(small_request)

    def raw_small() -> Any:
        body = json.dumps(small_fields, ensure_ascii=False).encode("utf-8")
        resp = pool.request("POST", small_url, body=body, headers=small_headers, timeout=timeout)
        return json.loads(resp.data)

    def sdk_large() -> Any:
        return finder.finder_search_post_v2(search_request)

    def raw_large(decode: Callable[[bytes], Any]) -> Callable[[], Any]:
        def call() -> Any:
            body = json.dumps(search_fields, ensure_ascii=False).encode("utf-8")
            resp = pool.request("POST", large_url, body=body, headers=large_headers, timeout=timeout)
            return decode(resp.data)

        return call

    raw_large_json = raw_large(json.loads)
    raw_large_floor = raw_large(FinderSearchPostV2Response.model_validate_json)
    raw_large_walk = raw_large(lambda data: FinderSearchPostV2Response.model_validate(json.loads(data)))

    # every client gets the same answer
    sdk_answer = sdk_large()
    assert len(sdk_answer.posts) == 1000 and sdk_answer.posts[0].title == _TITLES[0] + " 0"
    assert sdk_answer == raw_large_floor() == raw_large_walk()
    expected = make_post(1)
    stamp = datetime.datetime.fromisoformat(expected.pop("last_modified_at").replace("Z", "+00:00"))
    decoded = sdk_answer.posts[1]
    assert decoded.last_modified_at == stamp
    assert decoded.model_dump(mode="json", exclude={"last_modified_at"}) == expected
    assert sdk_small() == raw_small() == json.loads(SMALL_ANSWER)

    small_calls, small_rounds = (100, 8) if quick else (100, 100)
    large_calls, large_rounds = (1, 4) if quick else (2, 40)
    small = Rounds([("sdk", sdk_small), ("raw", raw_small)], small_calls, small_rounds)
    large = Rounds(
        [("sdk", sdk_large), ("floor", raw_large_floor), ("json", raw_large_json), ("walk", raw_large_walk)],
        large_calls,
        large_rounds,
        collect_each=True,
    )
    client.close()
    pool.clear()
    return {"small": small, "large": large, "small_calls": small_calls, "large_calls": large_calls}


# --------------------------------------------------------------------------- 4. memory held
def _model_breakdown(root: Any) -> Dict[str, int]:
    """Bytes (sys.getsizeof) of the parts of a decoded model tree, by kind."""
    from pydantic import BaseModel

    parts: Dict[str, int] = {}
    seen = set()

    def add(kind: str, obj: Any) -> None:
        if id(obj) not in seen:
            seen.add(id(obj))
            parts[kind] = parts.get(kind, 0) + sys.getsizeof(obj)

    def walk(obj: Any) -> None:
        if isinstance(obj, BaseModel):
            add("model instances", obj)
            add("instance __dict__", obj.__dict__)
            add("__pydantic_fields_set__ sets", obj.__pydantic_fields_set__)
            if obj.__pydantic_extra__ is not None:
                add("__pydantic_extra__ dicts", obj.__pydantic_extra__)
            for value in obj.__dict__.values():
                walk(value)
        elif isinstance(obj, list):
            add("lists, free-form dicts", obj)
            for value in obj:
                walk(value)
        elif isinstance(obj, dict):
            add("lists, free-form dicts", obj)
            for value in obj.values():
                walk(value)
        elif obj is not None and not isinstance(obj, bool):
            add("str, int, datetime values", obj)

    walk(root)
    return parts


def held_in_child(kind: str) -> None:
    """Print the bytes held by one decoded answer, measured in this fresh interpreter.

    Run fresh because pydantic-core keeps a process-wide cache of short strings: a second
    decode of the same answer would find its strings already made and look smaller.
    """
    from kenar_api_client.models import FinderSearchPostV2Response

    payload = make_search_payload()
    FinderSearchPostV2Response.model_validate_json(b'{"posts": []}')  # build the validators first
    FinderSearchPostV2Response.model_validate({"posts": []})
    decoders: Dict[str, Callable[[], Any]] = {
        "model": lambda: FinderSearchPostV2Response.model_validate_json(payload),
        "dicts": lambda: json.loads(payload),
        "walk": lambda: FinderSearchPostV2Response.model_validate(json.loads(payload)),
    }
    result = {"held": held_bytes(decoders[kind])}
    if kind == "model":
        result["parts"] = _model_breakdown(decoders[kind]())  # type: ignore[assignment]
    print(json.dumps(result))


def bench_memory() -> Dict[str, Any]:
    out = {}
    for kind in ("model", "dicts", "walk"):
        _, text = _run_child(
            f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})\n"
            f"import run; run.held_in_child({kind!r})"
        )
        out[kind] = json.loads(text)
    return out


# --------------------------------------------------------------------------- report
def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(imp: Dict[str, float], calls: Dict[str, Any], mem: Dict[str, Any], import_runs: int) -> str:
    small: Rounds = calls["small"]
    large: Rounds = calls["large"]
    held_mb = mem["model"]["held"] / 1e6
    wall_delta = imp["wall_delta_ms"]
    import_ms = max(imp["in_process_ms"], wall_delta)
    out = [
        f"kenar_api_client benchmark: Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, pydantic {_version('pydantic')}, urllib3 {_version('urllib3')}",
        "",
        f"Import of an installed copy with compiled bytecode (median of {import_runs} fresh interpreters)",
        _table(
            [
                ("measure", "value"),
                ("import kenar_api_client, timed inside the interpreter", f"{imp['in_process_ms']:.1f} ms"),
                (
                    "  the same from this work tree"
                    + ("" if imp["has_bytecode"] else ", compiling its source (no .pyc)"),
                    f"{imp['source_tree_ms']:.1f} ms",
                ),
                ("wall time of python -c pass", f"{imp['wall_bare_ms']:.1f} ms"),
                ("wall time of python -c 'import kenar_api_client'", f"{imp['wall_import_ms']:.1f} ms"),
                ("  difference (median of the pairs)", f"{wall_delta:.1f} ms"),
                ("modules the import adds to sys.modules", f"{imp['modules']}"),
                (
                    "tracemalloc after the import: current / peak",
                    f"{imp['traced_current_mb']:.2f} / {imp['traced_peak_mb']:.2f} MB",
                ),
                ("RSS growth during the import", f"{imp['rss_delta_mb']:.2f} MB"),
                ("first use (ApiClient, FinderApi, a response model): time", f"{imp['first_use_ms']:.0f} ms"),
                (
                    "first use: traced / RSS growth / modules",
                    f"{imp['first_use_traced_mb']:.1f} MB / {imp['first_use_rss_mb']:.1f} MB / {imp['first_use_modules']}",
                ),
            ]
        ),
        "",
        f"Small call: events_register_event_subscription, client CPU per call "
        f"(median of {small.rounds} rounds of {calls['small_calls']} calls)",
        _table(
            [
                ("client", "CPU/call", "vs raw"),
                ("SDK", f"{small.median('sdk') * 1e6:.1f} us", f"{small.ratio('sdk', 'raw'):.3f}x"),
                ("raw urllib3 + json.dumps / json.loads", f"{small.median('raw') * 1e6:.1f} us", "1.000x"),
            ]
        ),
        "",
        f"Large response: finder_search_post_v2, 1000 posts, {len(make_search_payload()) / 1e3:.0f} kB of JSON, "
        f"client CPU per call (median of {large.rounds} rounds of {calls['large_calls']} calls)",
        _table(
            [
                ("client", "CPU/call", "SDK / this"),
                ("SDK", f"{large.median('sdk') * 1e3:.2f} ms", "1.000x"),
                (
                    "floor: raw urllib3 + FinderSearchPostV2Response.model_validate_json",
                    f"{large.median('floor') * 1e3:.2f} ms",
                    f"{large.ratio('sdk', 'floor'):.3f}x",
                ),
                (
                    "raw urllib3 + json.loads",
                    f"{large.median('json') * 1e3:.2f} ms",
                    f"{large.ratio('sdk', 'json'):.2f}x",
                ),
                (
                    "for reference: raw urllib3 + json.loads + model_validate(dicts)",
                    f"{large.median('walk') * 1e3:.2f} ms",
                    f"{large.ratio('sdk', 'walk'):.2f}x",
                ),
            ]
        ),
        "",
        "Memory held by the decoded 1000-post answer (tracemalloc in a fresh interpreter, after gc)",
        _table(
            [
                ("decoded as", "held"),
                ("FinderSearchPostV2Response from bytes (what the SDK returns)", f"{held_mb:.2f} MB"),
                ("plain dicts from json.loads", f"{mem['dicts']['held'] / 1e6:.2f} MB"),
                ("for reference: json.loads + model_validate(dicts)", f"{mem['walk']['held'] / 1e6:.2f} MB"),
            ]
        ),
        "  where it goes (sys.getsizeof): "
        + ", ".join(
            f"{kind} {size / 1e6:.2f} MB"
            for kind, size in sorted(mem["model"]["parts"].items(), key=lambda item: -item[1])
        ),
        "",
        "Targets (from the performance issue)",
        _table(
            [
                ("figure", "measured", "target", "verdict"),
                (
                    "import (timed inside, or the wall difference if larger)",
                    f"{import_ms:.1f} ms",
                    f"<= {TARGET_IMPORT_MS:.0f} ms",
                    _verdict(import_ms, TARGET_IMPORT_MS),
                ),
                (
                    "large response: SDK / floor",
                    f"{large.ratio('sdk', 'floor'):.3f}x",
                    f"<= {TARGET_LARGE_VS_FLOOR:.2f}x",
                    _verdict(large.ratio("sdk", "floor"), TARGET_LARGE_VS_FLOOR),
                ),
                (
                    "large response: SDK / raw json.loads",
                    f"{large.ratio('sdk', 'json'):.2f}x",
                    f"<= {TARGET_LARGE_VS_JSON:.2f}x",
                    _verdict(large.ratio("sdk", "json"), TARGET_LARGE_VS_JSON),
                ),
                (
                    "small call CPU: SDK / raw",
                    f"{small.ratio('sdk', 'raw'):.3f}x",
                    f"<= {TARGET_SMALL_VS_RAW:.2f}x",
                    _verdict(small.ratio("sdk", "raw"), TARGET_SMALL_VS_RAW),
                ),
                (
                    "memory held by the 1000-post answer",
                    f"{held_mb:.2f} MB",
                    f"<= {TARGET_HELD_MB:.1f} MB",
                    _verdict(held_mb, TARGET_HELD_MB),
                ),
            ]
        ),
    ]
    return "\n".join(out)


def _version(dist: str) -> str:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return "?"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run, not figures to quote")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve()
        return 0
    started = time.perf_counter()
    import_runs = 5 if args.quick else 21
    imp = bench_import(import_runs)
    mem = bench_memory()
    with ServerProcess() as server:
        calls = bench_calls(server.host, args.quick)
    print(report(imp, calls, mem, import_runs))
    note = "; --quick: rough figures, not to quote" if args.quick else ""
    print(f"\n(the run took {time.perf_counter() - started:.0f} s{note})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
