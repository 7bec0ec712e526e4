"""Assertions shared by the fault suite (imported by the test modules of this folder)."""

from __future__ import annotations

from typing import Any, Type, TypeVar

from kenar_api_client.exceptions import OpenApiException

E = TypeVar("E", bound=BaseException)


def sdk_error(error: Any, cls: Type[E]) -> E:
    """``error`` is a ``cls`` and one of ours: no urllib3/json/pydantic exception reaches the caller raw."""
    assert isinstance(error, cls), f"expected {cls.__name__}, got {type(error).__name__}: {error}"
    assert isinstance(error, OpenApiException), f"{type(error).__name__} does not derive from OpenApiException"
    assert type(error).__module__.startswith("kenar_api_client."), type(error).__module__
    return error


# ---------------------------------------------------------------- raw loopback servers and proxies
#
# MockKenarServer answers like Kenar; the servers below misbehave at the byte
# level (trickle, compress, close after reading) and stand in for proxies.
# Standard library only.

import os  # noqa: E402
import select  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import struct  # noqa: E402
import threading  # noqa: E402
from typing import Callable, List, Optional, Tuple  # noqa: E402


def read_head(sock: socket.socket) -> bytes:
    """Read up to and including the blank line that ends a request's head (b"" if the peer closed)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    return data


def read_request(sock: socket.socket) -> Tuple[bytes, bytes]:
    """One whole request (head, body), reading the body by its Content-Length."""
    data = read_head(sock)
    if not data:
        return b"", b""
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head, body


def reset(sock: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class RawServer:
    """A loopback TCP server handing each connection to ``handler(sock, server)`` in a thread.

    ``requests`` collects what handlers record (heads of the requests they read).
    ``tls`` wraps every accepted connection in TLS first.
    """

    def __init__(
        self, handler: Callable[[socket.socket, RawServer], None], tls: Optional[ssl.SSLContext] = None
    ) -> None:
        self.handler = handler
        self.tls = tls
        self.requests: List[bytes] = []
        self.lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._connections: List[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def record(self, head: bytes) -> None:
        with self.lock:
            self.requests.append(head)

    def _accept(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.05)
            if not ready:
                continue
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
                self._connections.append(conn)
            self.handler(conn, self)
        except OSError:
            pass  # the client went away (a timeout it enforced, say)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1)
        self._listener.close()
        for conn in self._connections:
            try:
                conn.close()
            except OSError:
                pass

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until one side closes."""
    sockets = [a, b]
    while True:
        ready, _, _ = select.select(sockets, [], [], 5)
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            (b if sock is a else a).sendall(data)


def forward_proxy(behaviour: str) -> Callable[[socket.socket, RawServer], None]:
    """An HTTP forward proxy handler that reads each whole request, records it, then:

    ``"close"`` closes the connection (FIN), ``"reset"`` resets it (RST), ``"forward"`` relays
    the request to the origin named in the absolute URL and the answer back.
    """

    def handle(sock: socket.socket, server: RawServer) -> None:
        head, body = read_request(sock)
        if not head:
            return
        server.record(head)
        if behaviour == "reset":
            reset(sock)
            return
        if behaviour == "close":
            sock.close()
            return
        target = head.split(b" ", 2)[1].decode()
        hostport = target.split("/", 3)[2]
        host, _, port = hostport.partition(":")
        path = "/" + target.split("/", 3)[3]
        with socket.create_connection((host, int(port or 80))) as upstream:
            first, _, rest = head.partition(b"\r\n")
            method = first.split(b" ")[0]
            upstream.sendall(method + b" " + path.encode() + b" HTTP/1.1\r\n" + rest + b"\r\n\r\n" + body)
            _pipe(sock, upstream)

    return handle


def tunnel_proxy(refuse: Optional[int] = None) -> Callable[[socket.socket, RawServer], None]:
    """A CONNECT proxy handler: opens the tunnel and relays bytes (or answers ``refuse`` as the status)."""

    def handle(sock: socket.socket, server: RawServer) -> None:
        head = read_head(sock)
        if not head:
            return
        server.record(head)
        if refuse is not None:
            sock.sendall(b"HTTP/1.1 %d Refused\r\nContent-Length: 0\r\n\r\n" % refuse)
            return
        host, _, port = head.split(b" ", 2)[1].decode().partition(":")
        with socket.create_connection((host, int(port))) as upstream:
            sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pipe(sock, upstream)

    return handle


def peak_rss_growth_of(code: str, *args: str) -> Tuple[int, str]:
    """Run ``code`` in a fresh interpreter and measure its memory.

    ``code`` defines ``prepare()`` (imports, warm-up) and ``run()``, whose return
    value is printed.  Returns (bytes by which the peak RSS during ``run()``
    exceeded the RSS before it, the printed output).  The peak is reset with
    /proc/self/clear_refs where the kernel allows it; otherwise the growth is
    measured against the whole-life peak (ru_maxrss), which only understates it
    when ``prepare()`` used more than ``run()``.
    """
    import subprocess
    import sys

    runner = (
        code
        + """
import resource, sys

def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0

prepare()
before = _status("VmRSS")
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
except OSError:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
result = run()
print(max(0, _status("VmHWM") - before))
print(result)
"""
    )
    env = dict(os.environ)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = repo + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", runner, *args], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    growth, _, output = done.stdout.partition("\n")
    return int(growth), output.strip()
