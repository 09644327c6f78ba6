"""Sending the entries of tests/fixtures/hostile-requests.yaml to a live server.

Normal entries go through http.client (one fresh connection each, so no entry can leave a
connection in a state the next one inherits); raw entries through a plain socket, as written.
"""

from __future__ import annotations

import http.client
import socket
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import yaml

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "hostile-requests.yaml"


def load_corpus() -> list[dict]:
    return yaml.safe_load(CORPUS.read_text(encoding="utf-8"))


def build(spec) -> str:
    """head + sep.join(items) + tail; {n} in the item is its number; an item may be a build."""
    if isinstance(spec, str):
        return spec
    item = build(spec["item"])
    times = int(spec["times"])
    items = [item.replace("{n}", str(n)) for n in range(times)] if "{n}" in item else [item] * times
    return spec.get("head", "") + spec.get("sep", "").join(items) + spec.get("tail", "")


@dataclass
class Answer:
    # An HTTP status; "closed" when the server closed the connection without an answer;
    # "held" when it neither answered nor closed within the entry's wait.
    status: int | str
    raw: bytes  # status line, headers and (the start of) the body

    @property
    def head(self) -> bytes:
        return self.raw.split(b"\r\n\r\n", 1)[0]


def _request_parts(entry: dict, token: str | None):
    method = entry.get("method", "GET")
    path = entry.get("path", "/")
    params = dict(entry.get("params") or {})
    headers = {k: str(v) for k, v in (entry.get("headers") or {}).items()}
    body: bytes | None = None
    if "body" in entry:
        body = entry["body"].encode("utf-8")
    if "body_hex" in entry:
        body = bytes.fromhex(entry["body_hex"])
    if "form" in entry:
        body = urllib.parse.urlencode(entry["form"]).encode("ascii")
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    if "build" in entry:
        spec = entry["build"]
        value = build(spec)
        into = spec["into"]
        if into == "body":
            body = value.encode("utf-8")
        elif into == "path":
            path = value
        elif into.startswith("params."):
            params[into.split(".", 1)[1]] = value
        elif into.startswith("headers."):
            headers[into.split(".", 1)[1]] = value
    if params:
        path += ("&" if "?" in path else "?") + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    if entry.get("auth") and token:
        headers["Authorization"] = f"Bearer {token}"
    return method, path, headers, body


def send(host: str, port: int, entry: dict, token: str | None = None, timeout: float = 60) -> Answer:
    if any(k in entry for k in ("raw", "raw_hex", "raw_build")):
        return send_raw(host, port, entry, timeout)
    method, path, headers, body = _request_parts(entry, token)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value.encode("utf-8") if not value.isascii() else value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        try:
            response = conn.getresponse()
        except (ConnectionError, http.client.RemoteDisconnected):
            return Answer("closed", b"")
        lines = [f"HTTP/1.1 {response.status} {response.reason}"]
        lines += [f"{name}: {value}" for name, value in response.getheaders()]
        content = response.read() if method != "HEAD" else b""
        return Answer(response.status, "\r\n".join(lines).encode("latin-1", "replace") + b"\r\n\r\n" + content)
    except (ConnectionResetError, BrokenPipeError):
        return Answer("closed", b"")  # the server refused the rest of an oversized request
    finally:
        conn.close()


def raw_bytes(entry: dict) -> bytes:
    if "raw_hex" in entry:
        return bytes.fromhex(entry["raw_hex"])
    text = build(entry["raw_build"]) if "raw_build" in entry else entry["raw"]
    return text.encode("latin-1")


def send_raw(host: str, port: int, entry: dict, timeout: float = 60) -> Answer:
    wait = float(entry.get("wait", 10))
    received = b""
    held = False  # the wait ended with the connection still open and no answer
    with socket.create_connection((host, port), timeout=timeout) as s:
        try:
            s.sendall(raw_bytes(entry))
        except (ConnectionResetError, BrokenPipeError):
            pass  # refused while sending: whatever it answered is read below
        deadline = time.monotonic() + wait
        drip = entry.get("drip")
        s.settimeout(1.0)
        while True:
            if time.monotonic() >= deadline:
                held = not received
                break
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                if drip:
                    try:
                        s.sendall(drip.encode("latin-1"))
                    except OSError:
                        break
                if received and b"\r\n\r\n" in received:
                    break  # an answer's head has arrived and nothing more is coming for now
                continue
            except (ConnectionResetError, OSError):
                break
            if not chunk:
                break
            received += chunk
    if held:
        return Answer("held", received)
    if not received.startswith(b"HTTP/"):
        return Answer("closed", received)
    return Answer(int(received.split(b" ", 2)[1]), received)
