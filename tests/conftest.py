"""Shared fixtures: real stores on disk, the app over them, a CLI runner and real servers.

Helpers that tests import live in ``tests/support/`` (no test module imports another).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.paths import IN_CI
from support.servers import Server, tfatlas_command
from support.virtuoso import start_virtuoso
from tfatlas.config import load_config
from tfatlas.model.loading import model_sources, sources_for
from tfatlas.store.embedded import EmbeddedStore


@pytest.fixture
def make_store(tmp_path):
    """Factory for embedded stores on disk, closed after the test (the shipped model without its SHACL gate)."""
    opened: list[EmbeddedStore] = []

    def make(name: str = "store", *, seeded: bool = False, files: list[Path] = (),
             base_iri: str = "https://w3id.org/tfatlas/"):
        """A store under tmp_path; ``seeded``: the shipped model; ``files``: these, loaded as they are."""
        store = EmbeddedStore(tmp_path / name, base_iri)
        opened.append(store)
        if seeded:
            store.load(model_sources(base_iri), replace=True)
        if files:
            store.load(sources_for(list(files), base_iri))
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def app(make_store, tmp_path):
    """The Flask app over a seeded embedded store (no release published)."""
    from tfatlas.web.app import create_app

    store = make_store(seeded=True)
    config = load_config(cli={"store": str(store.root), "release_dir": str(tmp_path / "release")}, environ={})
    application = create_app(config, store=store)
    application.config["TESTING"] = True
    yield application
    service = application.extensions.get("tfatlas.query_service")
    if service is not None:
        service.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def run_cli():
    """`tfatlas ...` as a user runs it, in its own process: (exit code, stdout, stderr)."""

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
        import os

        done = subprocess.run(tfatlas_command() + list(args), capture_output=True, text=True, input=input,
                              env={**os.environ, **(env or {})})
        return done.returncode, done.stdout, done.stderr

    return run


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


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    """One Virtuoso 7.2 for the session (it takes seconds to start); tests empty it as they need."""
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.remove()
