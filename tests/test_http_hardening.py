"""The HTTP server under hostile clients: slow clients, long URLs and headers, prompt shutdown.

Issue 13 findings 1 (slow clients froze the server), 8 (URL length unlimited) and 10 (SIGTERM
waited 30 s for a half-sent request; Ctrl-C printed the query workers' tracebacks).
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from slow_clients import SlowClients  # noqa: E402  (bench/ is not a package)

pytestmark = pytest.mark.xdist_group("http-hardening")

ASK = {"query": "ASK { ?s ?p ?o }"}
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from support.servers import Server

    running = Server(tmp_path_factory.mktemp("http") / "store",
                     env={"TFATLAS_MAX_URL_BYTES": "4096", "TFATLAS_MAX_HEADER_BYTES": "8192"})
    yield running
    running.stop()


# -- finding 1: slow clients ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["headers", "body", "drip", "mixed"])
def test_64_slow_clients_do_not_hold_health_or_a_query(server, kind):
    # Acceptance: with 64 slow clients connected, /-/health and a simple query answer (the
    # bound here is generous, for a loaded machine; bench/slow_clients.py measures latency).
    with SlowClients("127.0.0.1", server.port, 64, kind) as slow:
        for _ in range(3):
            health = requests.get(server.url + "/-/health", timeout=5)
            assert health.status_code == 200
            answer = requests.get(server.url + "/sparql", params=ASK, headers=JSON, timeout=5)
            assert answer.status_code == 200 and answer.json()["boolean"] is True
        assert slow.still_open() == 64  # they were really held open while the probes got through


def test_slow_clients_are_answered_408_and_closed_after_the_client_timeout(start_server):
    server = start_server(env={"TFATLAS_CLIENT_TIMEOUT": "2"})
    with SlowClients("127.0.0.1", server.port, 9, "mixed", drip_every=0.5) as slow:
        deadline = time.monotonic() + 30
        while slow.still_open() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert slow.still_open() == 0
        answers = [_first_bytes(s) for _, s in slow.sockets if s.fileno() >= 0]
    assert answers and all(a.split(b"\r\n")[0].endswith(b" 408 Request Timeout") or a == b""
                           for a in answers), answers
    assert any(b"TFATLAS_CLIENT_TIMEOUT" in a for a in answers)


def _first_bytes(s: socket.socket) -> bytes:
    try:
        s.settimeout(5)
        return s.recv(300)
    except OSError:  # reset: a dripping client sent more after the answer
        return b""


# -- finding 8: URL and header length ------------------------------------------------------------

def test_url_over_the_limit_is_414_with_a_message(server):
    response = requests.get(server.url + "/sparql", params={"query": "ASK {} #" + "x" * 5000}, timeout=30)
    assert response.status_code == 414
    assert "TFATLAS_MAX_URL_BYTES" in response.text and "POST" in response.text
    assert "Die URL ist länger" in response.text
    within = requests.get(server.url + "/sparql", params={"query": "ASK {} #" + "x" * 3000},
                          headers=JSON, timeout=30)
    assert within.status_code == 200, within.text


def test_header_fields_over_the_limit_are_431_with_a_message(server):
    response = requests.get(server.url + "/-/health", headers={"X-Big": "a" * 9000}, timeout=30)
    assert response.status_code == 431
    assert "TFATLAS_MAX_HEADER_BYTES" in response.text and "Kopfzeilen" in response.text
    many = {f"X-Small-{i}": "b" * 50 for i in range(200)}  # 12 kB in small fields
    assert requests.get(server.url + "/-/health", headers=many, timeout=30).status_code == 431
    assert requests.get(server.url + "/-/health", headers={"X-Fine": "a" * 6000}, timeout=30).status_code == 200


def test_a_12_mb_url_is_refused_before_it_has_arrived(server):
    # Before: the server read all 12 MB (8.7 s, +120 MB that stayed). Now the answer comes
    # after the limit, while the client is still sending.
    answer = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(b"GET /sparql?query=" + b"x" * 65536)
        try:
            for _ in range(12 * 16 - 1):
                s.sendall(b"x" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused while sending: that is the point
        try:
            answer = s.recv(4096)
        except ConnectionResetError:
            pass
    assert answer.split(b"\r\n")[0].endswith(b" 414 URI Too Long"), answer[:200]
    assert requests.get(server.url + "/-/health", timeout=10).status_code == 200


# -- finding 10: shutdown ------------------------------------------------------------------------

def _half_sent(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
              b"Content-Length: 100\r\n\r\nASK {")
    return s


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    members.append(int(entry))
            except ProcessLookupError:
                pass
    return members


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return f"{pid} (gone)"


def test_sigterm_with_a_half_sent_request_stops_at_once_and_cleanly(start_server):
    server = start_server()
    requests.get(server.url + "/sparql", params=ASK, headers=JSON, timeout=30)  # workers busy once
    with _half_sent(server.port):
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=10)  # gunicorn waited 30 s for the half-sent request
    assert code == 0, server.output()[-3000:]
    assert "Traceback" not in server.output(), server.output()[-3000:]
    deadline = time.monotonic() + 10  # the query workers go with the server
    while _group_members(server.process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [_command(pid) for pid in _group_members(server.process.pid)] == []


def test_ctrl_c_stops_without_tracebacks(start_server):
    server = start_server()
    requests.get(server.url + "/sparql", params=ASK, headers=JSON, timeout=30)
    with _half_sent(server.port):
        os.killpg(server.process.pid, signal.SIGINT)  # a terminal sends it to the whole group
        code = server.process.wait(timeout=10)
    assert code == 0, server.output()[-3000:]
    time.sleep(1)  # the workers' output, if any, reaches the log
    output = server.output()
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output[-3000:]
