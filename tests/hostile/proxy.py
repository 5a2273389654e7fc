"""A hostile reverse proxy: it listens on 127.0.0.1 in front of a correct upstream (usually the
bundled mock) and misbehaves the way real deployments do, so tests can check that the suite
still gives the right verdict through it.

Modes (any combination; checked in this order for each request):

- ``drop-kept-alive``: the first request of each client connection is answered; every later one
  on the same kept-alive connection is read, then the connection is closed without an answer
  (the Syncano platform's uWSGI router: "Remote end closed connection without response").
- ``throttle``: a seeded random share ``rate`` of requests is answered 429 (``Retry-After: 1``)
  and never reaches the upstream.
- ``endless-poll``: requests whose path contains ``/poll/`` get 200 and a chunked body that never
  ends (WebSocket handshakes on a poll path included); others are forwarded.
- ``endless``: the same for every request.
- ``slow``: every request is forwarded after ``delay`` seconds.

Everything else is forwarded faithfully, one thread per client connection (a parked long poll
holds one thread); an upstream ``101`` turns the connection into a raw two-way tunnel, which is
how WebSockets pass.

In-process::

    with HostileProxy(mock.url, ["throttle"], rate=0.3, seed=1) as proxy:
        ...  # talk to proxy.url; proxy.counters.throttled counts the 429s sent

Command line::

    python -m tests.hostile.proxy --upstream URL --mode NAME[,NAME] [--rate P] [--seed N]
        [--delay S] [--port N]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import random
import select
import signal
import socket
import socketserver
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import BinaryIO, Literal
from urllib.parse import urlsplit

HOST = "127.0.0.1"
MODES = ("drop-kept-alive", "throttle", "endless-poll", "endless", "slow")
DEFAULT_RATE = 0.03
DEFAULT_DELAY = 2.0
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Re-computed or already handled by the proxy, so never copied onto the upstream request.
NOT_FORWARDED = HOP_BY_HOP | {"content-length", "expect"}
MAX_LINE = 65536
COPY_SIZE = 65536
LISTEN_BACKLOG = 1024
STOP_GRACE = 5.0
THROTTLED = json.dumps({"detail": "Request was throttled. Expected available in 1 second."})
ENDLESS_PIECE = b" " * 16384  # whitespace: still a JSON body that has not ended yet
ENDLESS_INTERVAL = 0.005
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}

Action = Literal["drop", "throttle", "endless", "delay", "forward"]
COUNTER_OF = {"drop": "dropped", "throttle": "throttled", "endless": "endless", "delay": "delayed"}


class BadRequest(Exception):
    """The client sent something that is not an HTTP/1.x request."""


@dataclass
class Counters:
    """What the proxy did since it started (every field only grows)."""

    connections: int = 0  # client connections accepted
    requests: int = 0  # requests read from clients
    forwarded: int = 0  # requests answered by the upstream
    dropped: int = 0  # drop-kept-alive: read, then the connection closed unanswered
    throttled: int = 0  # 429s sent
    endless: int = 0  # endless bodies started
    delayed: int = 0  # slow: requests held back before forwarding
    tunnelled: int = 0  # upstream 101s turned into raw tunnels
    upstream_errors: int = 0  # 502s sent because the upstream could not be reached


@dataclass
class Request:
    """One request as read from a client, its body already de-framed."""

    method: str
    target: str
    version: str
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def connection_tokens(self) -> set[str]:
        return tokens(self.headers)

    @property
    def keep_alive(self) -> bool:
        return self.version == "HTTP/1.1" and "close" not in self.connection_tokens

    @property
    def chunked_ok(self) -> bool:
        """HTTP/1.0 clients cannot read a chunked body: they get a close-delimited one."""
        return self.version == "HTTP/1.1"


def tokens(headers: http.client.HTTPMessage) -> set[str]:
    """The lower-cased options of every Connection header."""
    values = headers.get_all("Connection") or []
    return {token.strip().lower() for value in values for token in value.split(",")} - {""}


def read_request(rfile: BinaryIO, client: socket.socket) -> Request | None:
    """The next request on a connection, or None when the client closed it."""
    line = rfile.readline(MAX_LINE + 1)
    if line in (b"\r\n", b"\n"):  # one stray empty line before a request is allowed
        line = rfile.readline(MAX_LINE + 1)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(line) > MAX_LINE or len(parts) != 3 or parts[2] not in ("HTTP/1.0", "HTTP/1.1"):
        raise BadRequest("bad request line")
    try:
        headers = http.client.parse_headers(rfile)
    except http.client.HTTPException as exc:
        raise BadRequest("bad header block") from exc
    if parts[2] == "HTTP/1.1" and headers.get("Expect", "").lower() == "100-continue":
        client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    method, target, version = parts
    return Request(method, target, version, headers, read_body(rfile, headers))


def read_body(rfile: BinaryIO, headers: http.client.HTTPMessage) -> bytes:
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        return read_chunked(rfile)
    length = headers.get("Content-Length", "0").strip()
    if not length.isdigit():
        raise BadRequest("bad Content-Length")
    body = rfile.read(int(length))
    if len(body) < int(length):
        raise BadRequest("truncated body")
    return body


def read_chunked(rfile: BinaryIO) -> bytes:
    pieces = []
    while size := chunk_size(rfile.readline(MAX_LINE + 1)):
        piece = rfile.read(size + 2)
        if len(piece) < size + 2:
            raise BadRequest("truncated chunk")
        pieces.append(piece[:size])
    while rfile.readline(MAX_LINE + 1) not in (b"\r\n", b"\n", b""):  # trailer fields
        pass
    return b"".join(pieces)


def chunk_size(line: bytes) -> int:
    try:
        size = int(line.split(b";", 1)[0], 16)
    except ValueError:
        raise BadRequest("bad chunk size") from None
    if size < 0:
        raise BadRequest("bad chunk size")
    return size


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def head(status: int, reason: str, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def simple_response(status: int, reason: str, detail: str, keep: bool) -> bytes:
    """A small JSON answer made by the proxy itself."""
    body = detail.encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if status == 429:
        headers.append(("Retry-After", "1"))
    if not keep:
        headers.append(("Connection", "close"))
    return head(status, reason, headers) + body


def pipe(source: BinaryIO, sink: socket.socket) -> None:
    """Copy raw bytes until the source ends, then pass the end on; on an error, shut the sink
    so the opposite direction ends too."""
    try:
        while data := source.read1(COPY_SIZE):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)


class HostileProxy:
    """A misbehaving reverse proxy on 127.0.0.1 in front of ``upstream`` (an http:// base URL).

    It listens from construction (``port`` 0 picks a free one, see ``url``), serves from
    ``start()`` and closes its listener and every connection on ``stop()``; ``counters`` says
    what it did."""

    def __init__(
        self,
        upstream: str,
        modes: Iterable[str] = (),
        *,
        rate: float = DEFAULT_RATE,
        seed: int | None = None,
        delay: float = DEFAULT_DELAY,
        port: int = 0,
    ) -> None:
        target = urlsplit(upstream)
        if target.scheme != "http" or not target.hostname or target.path not in ("", "/"):
            raise ValueError(f"the upstream must be an http:// base URL, not {upstream!r}")
        self.modes = frozenset(modes)
        if unknown := self.modes - set(MODES):
            raise ValueError(f"unknown modes {sorted(unknown)}; known: {', '.join(MODES)}")
        if not 0 <= rate <= 1 or delay < 0:
            raise ValueError("the rate must be within 0..1 and the delay not negative")
        self.upstream = (target.hostname, target.port or 80)
        self.upstream_netloc = target.netloc
        self.rate = rate
        self.delay = delay
        self.counters = Counters()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._drained = threading.Condition(self._lock)
        self._links: set[Link] = set()
        self._stopping = threading.Event()
        self._server = Server((HOST, port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="hostile-proxy", daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._links)

    def start(self) -> HostileProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every client and upstream connection, wait for them to end."""
        self._stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for link in self._links:
                link.abort()
            self._drained.wait_for(lambda: not self._links, STOP_GRACE)
        self._thread.join(STOP_GRACE)

    def __enter__(self) -> HostileProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def decide(self, request: Request, first: bool) -> Action:
        """What to do with a request, by the modes in their documented order; counted."""
        action = self._choose(request, first)
        self.count("requests")
        if action != "forward":
            self.count(COUNTER_OF[action])
        return action

    def _choose(self, request: Request, first: bool) -> Action:
        if "drop-kept-alive" in self.modes and not first:
            return "drop"
        if "throttle" in self.modes and self._draw():
            return "throttle"
        path = urlsplit(request.target).path
        if "endless" in self.modes or ("endless-poll" in self.modes and "/poll/" in path):
            return "endless"
        return "delay" if "slow" in self.modes else "forward"

    def count(self, name: str) -> None:
        with self._lock:
            setattr(self.counters, name, getattr(self.counters, name) + 1)

    def wait(self, seconds: float) -> bool:
        """Sleep unless stopped meanwhile; True when the proxy is stopping."""
        return self._stopping.wait(seconds)

    def serve_connection(self, client: socket.socket) -> None:
        """Serve one client connection to its end; never raises for a client or an upstream
        that goes away."""
        link = Link(self, client)
        self.count("connections")
        with self._lock:
            self._links.add(link)
            if self._stopping.is_set():
                link.abort()
        try:
            link.run()
        finally:
            link.close()
            with self._lock:
                self._links.discard(link)
                self._drained.notify_all()

    def _draw(self) -> bool:
        with self._lock:
            return self._random.random() < self.rate


class Server(socketserver.ThreadingTCPServer):
    """The listener: one daemon thread per client connection."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], proxy: HostileProxy) -> None:
        self.proxy = proxy
        super().__init__(address, Handler)


class Handler(socketserver.BaseRequestHandler):
    server: Server

    def handle(self) -> None:
        self.server.proxy.serve_connection(self.request)


class Link:
    """One client connection and the upstream connection opened for it (kept alive across the
    client's requests, so pass-through costs no extra connect)."""

    def __init__(self, proxy: HostileProxy, client: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.rfile = client.makefile("rb")
        self.upstream: http.client.HTTPConnection | None = None
        self._upstream_sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._aborted = False

    def run(self) -> None:
        first = True
        try:
            self.client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while request := read_request(self.rfile, self.client):
                if not self.answer(request, first):
                    return
                first = False
        except BadRequest as exc:
            detail = json.dumps({"detail": f"Bad request: {exc}."})
            with contextlib.suppress(OSError):
                self.client.sendall(simple_response(400, "Bad Request", detail, keep=False))
        except (OSError, http.client.HTTPException):
            pass  # a client or the upstream went away (or stop() shut them)

    def answer(self, request: Request, first: bool) -> bool:
        """Answer one request; True when the connection stays open for another."""
        action = self.proxy.decide(request, first)
        if action == "drop":
            return False
        if action == "throttle":
            self.client.sendall(
                simple_response(429, "Too Many Requests", THROTTLED, request.keep_alive)
            )
            return request.keep_alive
        if action == "endless":
            self.endless(request)
            return False
        if action == "delay" and self.proxy.wait(self.proxy.delay):
            return False
        return self.forward(request)

    def endless(self, request: Request) -> None:
        """200 and a body that never ends, until the client goes away or the proxy stops."""
        if request.chunked_ok:
            framing, piece = ("Transfer-Encoding", "chunked"), chunk(ENDLESS_PIECE)
        else:
            framing, piece = ("Connection", "close"), ENDLESS_PIECE
        self.client.sendall(head(200, "OK", [("Content-Type", "application/json"), framing]))
        while not self.proxy.wait(ENDLESS_INTERVAL):
            self.client.sendall(piece)

    def forward(self, request: Request) -> bool:
        try:
            response = self.exchange(request)
        except OSError:
            self.proxy.count("upstream_errors")
            self.close_upstream()
            detail = json.dumps({"detail": "The upstream could not be reached."})
            self.client.sendall(simple_response(502, "Bad Gateway", detail, request.keep_alive))
            return request.keep_alive
        self.proxy.count("forwarded")
        if response.status == 101:
            self.tunnel(response)
            return False
        return self.relay(request, response)

    def exchange(self, request: Request) -> http.client.HTTPResponse:
        """Send the request upstream and read the response head, on the kept-alive upstream
        connection unless the upstream has closed it meanwhile."""
        if not self.upstream_alive():
            self.connect()
        return self.send_upstream(request)

    def upstream_alive(self) -> bool:
        """Whether the upstream connection is open and idle: readable means it was closed
        (or sent something unasked), so a request sent on it would be lost."""
        sock = self.upstream.sock if self.upstream is not None else None
        if sock is None:
            return False
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return not poller.poll(0)

    def connect(self) -> None:
        self.close_upstream()
        self.upstream = http.client.HTTPConnection(*self.proxy.upstream)
        self.upstream.connect()
        with self._lock:
            self._upstream_sock = self.upstream.sock
            if self._aborted:
                self.shut(self._upstream_sock)

    def send_upstream(self, request: Request) -> http.client.HTTPResponse:
        assert self.upstream is not None
        try:
            self.upstream.putrequest(
                request.method, request.target, skip_host=True, skip_accept_encoding=True
            )
        except ValueError as exc:  # http.client refuses control characters in the line
            raise BadRequest("bad request line") from exc
        for name, value in self.upstream_headers(request):
            self.upstream.putheader(name, value)
        self.upstream.endheaders(request.body or None)
        return self.upstream.getresponse()

    def upstream_headers(self, request: Request) -> list[tuple[str, str]]:
        """The client's end-to-end headers (Host kept, so links the upstream builds point back
        at the proxy), a recomputed Content-Length, and the upgrade request if there is one."""
        named = request.connection_tokens
        headers = [
            (name, value)
            for name, value in request.headers.items()
            if name.lower() not in NOT_FORWARDED and name.lower() not in named
        ]
        if "upgrade" in named and "Upgrade" in request.headers:
            headers += [("Connection", "Upgrade"), ("Upgrade", request.headers["Upgrade"])]
        if "Host" not in request.headers:
            headers.append(("Host", self.proxy.upstream_netloc))
        framed = "Content-Length" in request.headers or "Transfer-Encoding" in request.headers
        if request.body or framed:
            headers.append(("Content-Length", str(len(request.body))))
        return headers

    def relay(self, request: Request, response: http.client.HTTPResponse) -> bool:
        """Stream the upstream response to the client with the framing the client can read;
        True when the connection stays open."""
        named = tokens(response.msg)
        headers = [
            (name, value)
            for name, value in response.getheaders()
            if name.lower() not in HOP_BY_HOP and name.lower() not in named
        ]
        bodiless = request.method == "HEAD" or response.status in (204, 304)
        keep = request.keep_alive
        chunked = False
        if not bodiless and "Content-Length" not in response.msg:
            chunked = response.chunked and request.chunked_ok
            if chunked:
                headers.append(("Transfer-Encoding", "chunked"))
            else:
                keep = False  # the body ends when the connection does
        if not keep:
            headers.append(("Connection", "close"))
        pending = head(response.status, response.reason, headers)
        while data := response.read1(COPY_SIZE):
            self.client.sendall(pending + (chunk(data) if chunked else data))
            pending = b""
        self.client.sendall(pending + (b"0\r\n\r\n" if chunked else b""))
        response.close()  # read to its end; the upstream connection is idle again
        return keep

    def tunnel(self, response: http.client.HTTPResponse) -> None:
        """Pass the 101 on as it came, then copy raw bytes both ways until both ends close."""
        assert self.upstream is not None and self.upstream.sock is not None
        upstream_sock = self.upstream.sock
        self.client.sendall(head(response.status, response.reason, response.getheaders()))
        self.proxy.count("tunnelled")
        assert response.fp is not None  # still open: a 101 has no body for http.client to read
        pump = threading.Thread(target=pipe, args=(self.rfile, upstream_sock), daemon=True)
        pump.start()
        pipe(response.fp, self.client)
        pump.join()

    def abort(self) -> None:
        """Unblock every read and write of this connection (from stop())."""
        with self._lock:
            self._aborted = True
            self.shut(self.client)
            if self._upstream_sock is not None:
                self.shut(self._upstream_sock)

    @staticmethod
    def shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def close_upstream(self) -> None:
        if self.upstream is not None:
            self.upstream.close()
            self.upstream = None

    def close(self) -> None:
        self.close_upstream()
        self.rfile.close()


def mode_list(text: str) -> list[str]:
    modes = [name.strip() for name in text.split(",") if name.strip()]
    if unknown := sorted(set(modes) - set(MODES)):
        raise argparse.ArgumentTypeError(
            f"unknown mode {', '.join(unknown)}; known: {', '.join(MODES)}"
        )
    return modes


def share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be within 0..1")
    return value


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog="python -m tests.hostile.proxy",
        description="A hostile reverse proxy on 127.0.0.1 in front of an upstream.",
    )
    found.add_argument("--upstream", required=True, help="the upstream's http:// base URL")
    found.add_argument(
        "--mode",
        type=mode_list,
        default=[],
        metavar="NAME[,NAME]",
        help=f"misbehaviours: {', '.join(MODES)} (default: pass-through)",
    )
    found.add_argument(
        "--rate",
        type=share,
        default=DEFAULT_RATE,
        metavar="P",
        help=f"throttle: share of requests answered 429 (default {DEFAULT_RATE})",
    )
    found.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="throttle: random seed, for repeatable runs",
    )
    found.add_argument(
        "--delay",
        type=float,
        default=DEFAULT_DELAY,
        metavar="S",
        help=f"slow: seconds added before forwarding (default {DEFAULT_DELAY:g})",
    )
    found.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM, then print the counters (JSON) on stderr."""
    options = parser().parse_args(argv)
    try:
        proxy = HostileProxy(
            options.upstream,
            options.mode,
            rate=options.rate,
            seed=options.seed,
            delay=options.delay,
            port=options.port,
        )
    except (ValueError, OSError) as exc:
        print(f"hostile-proxy: error: {exc}", file=sys.stderr)
        return 2
    # Blocked before the serving threads start: they inherit the mask, so only the sigwait
    # below receives these signals.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    proxy.start()
    modes = ",".join(options.mode) or "pass-through"
    print(
        f"hostile-proxy listening on {proxy.url} (modes {modes}; upstream {options.upstream})",
        flush=True,
    )
    signal.sigwait(STOP_SIGNALS)
    proxy.stop()
    print(json.dumps(asdict(proxy.counters)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
