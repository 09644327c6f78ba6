"""The running server publishes the latest release: /catalog by content negotiation, files under /downloads/."""

from __future__ import annotations

import hashlib
import http.client
import json
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import requests

from tfatlas.config import load_config
from tfatlas.publish.release import SUMS, publish, verify
from tfatlas.web.app import create_app
from support.servers import Server
from support.stores import build_store

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """A release directory holding two releases; the one whose name sorts last is the latest."""
    root = tmp_path_factory.mktemp("releases")
    with build_store(root / "store") as store:
        publish(store, root / "published" / "2026-11-01", base_url="https://old.example.org")
        publish(store, root / "published" / "2026-12-01", base_url="https://atlas.example.org")
    return root / "published"


@pytest.fixture(scope="module")
def server(tmp_path_factory, releases):
    # One server for the module: these tests only read.
    # The store the releases came from: it holds data, so the server starts without `init`.
    running = Server(releases.parent / "store", env={"TFATLAS_RELEASE_DIR": str(releases)})
    yield running
    running.stop()


def _raw_get(url: str, path: str) -> tuple[int, str, bytes]:
    """GET with the path sent exactly as given (requests would resolve the dot segments)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, urlsplit(response.getheader("Location") or "").path, response.read()
    finally:
        conn.close()


def test_catalog_by_content_negotiation(server, releases):
    latest = releases / "2026-12-01"
    for accept, name, media in (("text/turtle", "catalog.ttl", "text/turtle"),
                                ("application/ld+json", "catalog.jsonld", "application/ld+json"),
                                ("application/rdf+xml", "catalog.rdf", "application/rdf+xml"),
                                ("text/turtle;q=0.9, application/rdf+xml", "catalog.rdf",
                                 "application/rdf+xml")):
        response = requests.get(server.url + "/catalog", headers={"Accept": accept}, timeout=30)
        assert response.status_code == 200, (accept, response.text)
        assert response.headers["Content-Type"].split(";")[0] == media
        assert "Accept" in response.headers["Vary"]
        assert response.content == (latest / name).read_bytes()  # the latest release, not the older
    graph = list(ox.parse(requests.get(server.url + "/catalog.jsonld", timeout=30).content, ox.RdfFormat.JSON_LD))
    assert any(t.object.value == "https://atlas.example.org/sparql" for t in graph)
    json.loads(requests.get(server.url + "/catalog", headers={"Accept": "application/ld+json"}, timeout=30).text)
    assert requests.get(server.url + "/catalog", headers={"Accept": "image/png"}, timeout=30).status_code == 406
    # */* (curl) gets the page, as everywhere on the site
    assert requests.get(server.url + "/catalog", headers={"Accept": "*/*"},
                        timeout=30).headers["Content-Type"].startswith("text/html")
    for ext, name in (("ttl", "catalog.ttl"), ("rdf", "catalog.rdf")):
        assert requests.get(f"{server.url}/catalog.{ext}", timeout=30).content == (latest / name).read_bytes()
    assert requests.get(server.url + "/catalog.xlsx", timeout=30).status_code == 404


def test_catalog_page_for_browsers(server):
    response = requests.get(server.url + "/catalog", headers={"Accept": BROWSER}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.text
    assert 'lang="de"' in page and "Angebote der Transformationsakteure" in page
    # links go to this server's files, whatever base URL the release was published for
    assert 'href="/downloads/offers.csv"' in page and 'href="/catalog.ttl"' in page
    english = requests.get(server.url + "/catalog", headers={"Accept": BROWSER, "Accept-Language": "en"},
                           timeout=30)
    assert "Offers of the transformation actors" in english.text
    # shared caches must not give one language's page to a reader of the other
    assert "accept-language" in english.headers["Vary"].lower()


def test_downloads_serve_every_listed_file(server, releases):
    latest = releases / "2026-12-01"
    expected_types = {".ttl": "text/turtle", ".jsonld": "application/ld+json", ".trig": "application/trig",
                      ".gz": "application/gzip", ".csv": "text/csv", ".rdf": "application/rdf+xml"}
    names = list(verify(latest)) + [SUMS]
    for name in names:
        response = requests.get(f"{server.url}/downloads/{name}", timeout=30)
        assert response.status_code == 200, name
        assert response.content == (latest / name).read_bytes(), name
        media = response.headers["Content-Type"].split(";")[0]
        suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        assert media == expected_types.get(suffix, "text/plain"), (name, media)
    body = requests.get(f"{server.url}/downloads/tfatlas.nt.gz", timeout=30).content
    assert body[:2] == b"\x1f\x8b"  # served as the file, not decompressed on the way
    sums = requests.get(f"{server.url}/downloads/{SUMS}", timeout=30).text
    digest, name = sums.splitlines()[0].split("  ")
    assert hashlib.sha256(requests.get(f"{server.url}/downloads/{name}", timeout=30).content).hexdigest() == digest


def test_unknown_files_path_traversal_and_void(server, releases):
    assert requests.get(server.url + "/downloads/nope.ttl", timeout=30).status_code == 404
    for path in ("/downloads/../pyproject.toml", "/downloads/%2e%2e/pyproject.toml",
                 "/downloads/..%2fpyproject.toml", "/downloads/../../../../etc/passwd",
                 "/downloads//etc/passwd", "/downloads/2026-11-01/catalog.ttl",
                 "/downloads/.publishing-x/catalog.ttl"):
        status, location, body = _raw_get(server.url, path)
        # 308: werkzeug merges double slashes first; the new path is still below /downloads/
        assert status in (400, 404) or (status == 308 and location.startswith("/downloads/")), (path, status)
        assert b"[project]" not in body and b"root:" not in body and b"dcat:Catalog" not in body
    void = requests.get(server.url + "/.well-known/void", timeout=30)
    assert void.status_code == 200 and void.headers["Content-Type"].startswith("text/turtle")
    assert void.content == (releases / "2026-12-01" / "void.ttl").read_bytes()
    response = requests.get(server.url + "/downloads/", timeout=30, allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"].endswith("/catalog")


def test_no_release_yet_is_a_clear_404(tmp_path):
    config = load_config(cli={"store": str(tmp_path / "store")},
                         environ={"TFATLAS_RELEASE_DIR": str(tmp_path / "nothing")})
    app = create_app(config)
    client = app.test_client()
    for path in ("/catalog", "/downloads/tfatlas.ttl"):
        response = client.get(path, headers={"Accept": "text/turtle"})
        assert response.status_code == 404
        assert "tfatlas publish" in response.get_data(as_text=True)
    app.extensions["tfatlas.store"].close()


@pytest.mark.browser
def test_catalog_page_in_a_browser_is_accessible(server, browser):
    """Debian's Chromium opens /catalog: German by default, English by the switch, no console
    error, every download link answers, and axe finds no serious or critical issue."""
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page(locale="de-DE")
    try:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server.url + "/catalog")
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.locator("h1").count() == 1
        links = page.locator("a[href^='/downloads/']").evaluate_all("els => els.map(e => e.href)")
        assert len(links) >= 14
        for link in set(links):
            assert requests.head(link, timeout=30).status_code == 200, link
        violations = Axe().run(page).response["violations"]
        serious = [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, serious
        page.locator("a[hreflang='en']").first.click()  # the language switch
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_text("Offers of the transformation actors").count() >= 1
        assert not errors, errors
    finally:
        page.close()


def test_a_relative_release_dir_is_relative_to_the_working_directory(tmp_path, releases, monkeypatch):
    # The default release_dir, var/release, is relative: files must come from the working directory.
    monkeypatch.chdir(releases)
    config = load_config(cli={"store": str(tmp_path / "store")}, environ={"TFATLAS_RELEASE_DIR": "."})
    app = create_app(config)
    client = app.test_client()
    latest = releases / "2026-12-01"
    for path, file in (("/catalog.ttl", "catalog.ttl"), ("/downloads/tfatlas.ttl", "tfatlas.ttl"),
                       ("/.well-known/void", "void.ttl")):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response.get_data() == (latest / file).read_bytes()
    app.extensions["tfatlas.store"].close()
