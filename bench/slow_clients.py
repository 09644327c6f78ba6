"""Many slow clients against a running atlas: does it still answer everyone else?

Opens N connections that each hold the server in the middle of a request, the way a slowloris
attack or a stalled mobile client does, then probes ``/-/health`` and a small query on fresh
connections and reports how many probes were answered and how fast.

Kinds of slow client (``--kind``, default ``mixed``: all of them, round robin):

- ``headers``: ``GET / HTTP/1.1`` and one header line, then nothing;
- ``body``: a POST to /sparql with ``Content-Length: 100`` and 5 bytes of body, then nothing;
- ``drip``: a GET whose header lines arrive one every few seconds, never ending.

    .venv/bin/python bench/slow_clients.py --url http://127.0.0.1:8080 --clients 64 --hold 20

Used by tests/test_http_hardening.py too (``SlowClients``), so the test and the benchmark are
the same scenario. The probes count latency only; no figure here is a claim about speed.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import threading
import time
import urllib.parse

KINDS = ("headers", "body", "drip")

_OPENINGS = {
    "headers": b"GET / HTTP/1.1\r\nHost: x\r\n",
    "body": (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
             b"Content-Length: 100\r\n\r\nASK {"),
    "drip": b"GET /-/health HTTP/1.1\r\nHost: x\r\n",
}


class SlowClients:
    """``count`` connections held open mid-request; a context manager that closes them all."""

    def __init__(self, host: str, port: int, count: int, kind: str = "mixed", drip_every: float = 3.0):
        self.host, self.port = host, port
        self.kinds = [KINDS[i % len(KINDS)] if kind == "mixed" else kind for i in range(count)]
        self.drip_every = drip_every
        self.sockets: list[tuple[str, socket.socket]] = []
        self.closed_by_server = 0
        self._stop = threading.Event()
        self._dripper: threading.Thread | None = None

    def __enter__(self) -> "SlowClients":
        for kind in self.kinds:
            s = socket.create_connection((self.host, self.port), timeout=10)
            s.sendall(_OPENINGS[kind])
            self.sockets.append((kind, s))
        if "drip" in self.kinds:
            self._dripper = threading.Thread(target=self._drip, daemon=True)
            self._dripper.start()
        return self

    def _drip(self) -> None:
        n = 0
        while not self._stop.wait(self.drip_every):
            n += 1
            for kind, s in self.sockets:
                if kind == "drip" and s.fileno() >= 0:
                    try:
                        s.sendall(f"X-Drip-{n}: {n}\r\n".encode())
                    except OSError:
                        s.close()  # the server gave up on this one
                        self.closed_by_server += 1

    def still_open(self) -> int:
        """Connections the server has not closed yet (a closed one reads EOF or an answer)."""
        count = 0
        for _, s in self.sockets:
            if s.fileno() < 0:
                continue
            s.setblocking(False)
            try:
                s.recv(1, socket.MSG_PEEK)  # EOF or an answer: the server is done with it
            except BlockingIOError:
                count += 1
            except OSError:
                pass
            finally:
                if s.fileno() >= 0:
                    s.setblocking(True)
        return count

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._dripper is not None:
            self._dripper.join(timeout=10)
        for _, s in self.sockets:
            s.close()


def probe(base: str, path: str, timeout: float) -> float | None:
    """Seconds until ``path`` answered 200 on a fresh connection; None when it did not."""
    parsed = urllib.parse.urlsplit(base)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/sparql-results+json"})
        response = conn.getresponse()
        response.read()
        return time.perf_counter() - started if response.status == 200 else None
    except OSError:
        return None
    finally:
        conn.close()


PROBES = ("/-/health", "/sparql?query=" + urllib.parse.quote("ASK {}"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="base URL of a running atlas")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--kind", choices=KINDS + ("mixed",), default="mixed")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds to hold the connections")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds a probe may take")
    args = parser.parse_args(argv)
    parsed = urllib.parse.urlsplit(args.url)
    latencies: dict[str, list[float]] = {p: [] for p in PROBES}
    failed = {p: 0 for p in PROBES}
    with SlowClients(parsed.hostname, parsed.port, args.clients, args.kind) as slow:
        started = time.perf_counter()
        while time.perf_counter() - started < args.hold:
            for path in PROBES:
                seconds = probe(args.url, path, args.timeout)
                if seconds is None:
                    failed[path] += 1
                else:
                    latencies[path].append(seconds)
            time.sleep(0.5)
        still = slow.still_open()
    print(f"{args.clients} slow clients ({args.kind}) held for {args.hold:g} s; "
          f"{still} still open at the end")
    for path in PROBES:
        got = latencies[path]
        if got:
            print(f"  {path}: {len(got)} answered, {failed[path]} failed; "
                  f"median {statistics.median(got) * 1000:.0f} ms, max {max(got) * 1000:.0f} ms")
        else:
            print(f"  {path}: none answered, {failed[path]} failed")
    return 0 if all(failed[p] == 0 for p in PROBES) else 1


if __name__ == "__main__":
    raise SystemExit(main())
