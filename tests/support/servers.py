"""Real servers for the tests: `tfatlas serve` and `oxigraph serve`, each in its own process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tfatlas_command() -> list[str]:
    return [sys.executable, "-m", "tfatlas"]


class Server:
    """`tfatlas serve` in its own process, as a user would start it."""

    def __init__(self, store: Path, env: dict[str, str] | None = None, args: list[str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.store = store
        full_env = {**os.environ, "TFATLAS_STORE": str(store), **(env or {})}
        full_env.pop("TFATLAS_STORE_URL", None) if "TFATLAS_STORE_URL" not in (env or {}) else None
        self.log = open(store.parent / f"server-{self.port}.log", "w+")
        self.process = subprocess.Popen(
            tfatlas_command() + ["serve", "--port", str(self.port), *(args or [])],
            env=full_env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: query workers are stopped with it
        self._wait()

    def _wait(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(self.url + "/-/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not become healthy in {timeout} s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        # SIGTERM: the server stops its query workers and exits at once (tfatlas.web.server);
        # if it does not within 10 s, the whole process group gets SIGKILL.
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.process.pid, sig) if sig == signal.SIGKILL else self.process.send_signal(sig)
                self.process.wait(timeout=wait)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                continue
        try:  # nothing of the server's process group may outlive the test
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.log.close()


OXIGRAPH = Path(sys.executable).parent / "oxigraph"


class OxigraphServer:
    """`oxigraph serve` on a free port over a directory, as a deployment would run it."""

    def __init__(self, location: Path):
        self.location = location
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(location.parent / f"oxigraph-{self.port}.log", "w+")
        self.process = subprocess.Popen(
            [str(OXIGRAPH), "serve", "--location", str(location), "--bind", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"oxigraph serve exited: {self.log.read()}")
            try:
                requests.get(self.url + "/query", params={"query": "ASK {}"}, timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("oxigraph serve did not answer within 30 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def send_body(handler, media_type: str, body: bytes, status: int = 200) -> None:
    """Answer a request of an ``http.server`` handler with ``body`` (the test peers' one reply)."""
    handler.send_response(status)
    handler.send_header("Content-Type", media_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
