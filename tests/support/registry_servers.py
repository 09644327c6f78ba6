"""Local registry stand-ins: `oxigraph serve` with the real Wikidata excerpt, and a proxy that
forwards the first N requests to it and then fails (a registry that fails half-way)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from .paths import shared_path
from .servers import OxigraphServer


def wikidata_standin(root: Path, extra_ntriples: str = "") -> OxigraphServer:
    """`oxigraph serve` holding ../shared/registries/wikidata/federal-organisations.nt (and, for a
    test, triples it writes itself)."""
    root.mkdir(parents=True, exist_ok=True)
    server = OxigraphServer(root / "wikidata-db")
    excerpt = shared_path("registries", "wikidata", "federal-organisations.nt").read_bytes()
    for body in (excerpt, extra_ntriples.encode("utf-8")):
        if body:
            answer = requests.post(server.url + "/store?default", data=body,
                                   headers={"Content-Type": "application/n-triples"}, timeout=60)
            assert answer.status_code in (200, 201, 204), answer.text
    return server


class FailingProxy:
    """Forwards the first ``ok`` requests to ``target`` and answers 500 to every later one."""

    def __init__(self, target: str, ok: int):
        self.target, self.ok, self.seen = target, ok, 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                proxy.seen += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.seen > proxy.ok:
                    self.send_response(500)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"stand-in failure after the allowed requests")
                    return
                answer = requests.request(self.command, proxy.target + self.path, data=body, timeout=60,
                                          headers={k: v for k, v in self.headers.items()
                                                   if k.lower() in ("content-type", "accept")})
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "application/octet-stream"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _forward

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
