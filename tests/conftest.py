"""Shared fixtures: a real store on disk and a real server on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"


def shared_path(*parts: str) -> Path:
    """A path in ../shared; skip with a reason when it is absent, except in CI where it must exist."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing; CI must have ../shared")
        pytest.skip(f"{path} is absent (the W3C and DCAT-AP material lives in ../shared)")
    return path


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
        # Graceful first (SIGTERM); a browser's idle keep-alive sockets can hold a gthread
        # worker's graceful exit, so then gunicorn's quick shutdown (SIGQUIT), then SIGKILL.
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGQUIT, 5), (signal.SIGKILL, 10)):
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


@pytest.fixture(scope="session")
def seeded_server(tmp_path_factory):
    """One server over a store initialised with the shipped knowledge model, shared by read-only tests."""
    server = Server(tmp_path_factory.mktemp("seeded") / "store")
    yield server
    server.stop()


@pytest.fixture
def start_server(tmp_path):
    """Factory for servers with their own store and settings; stopped after the test."""
    servers: list[Server] = []

    def start(env: dict[str, str] | None = None, store: Path | None = None, args=None) -> Server:
        server = Server(store or tmp_path / f"store{len(servers)}", env=env, args=args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling hosts this machine cannot reach.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium); the browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
