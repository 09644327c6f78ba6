"""Security headers on every HTML page, and a CSP that YASGUI and the finder work under (issue 13
finding 5): checked on the headers, then in Chromium, where a violation would show."""

from __future__ import annotations

import subprocess

import pytest
import requests

from support.servers import Server, tfatlas_command

pytestmark = pytest.mark.xdist_group("security-headers")

OFFER = "/id/offer/bakoev-ausbildung-agile-coach"
PAGES = ["/", "/overview", OFFER, "/api/", "/sparql", "/catalog", "/ontology", "/shapes",
         "/edit/", "/id/no-such-thing"]  # the last one: an HTML error page
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # A published release, so that /catalog is a page and not the "nothing published" message.
    root = tmp_path_factory.mktemp("security")
    store, release = root / "store", root / "release"
    for args in (["init"], ["publish", "--out", str(release), "--base-url", "http://127.0.0.1"]):
        done = subprocess.run(tfatlas_command() + ["--store", str(store), *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    running = Server(store, env={"TFATLAS_RELEASE_DIR": str(release)})
    yield running
    running.stop()


def _directives(policy: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", PAGES)
def test_every_html_page_has_the_security_headers(server, path):
    response = requests.get(server.url + path, headers=HTML, timeout=30)
    assert response.headers["Content-Type"].startswith("text/html"), (path, response.status_code)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"  # no inline script, no eval, no third party
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'" and policy["connect-src"] == "'self'"
    # Inline styles only where YASGUI needs them.
    assert ("'unsafe-inline'" in policy["style-src"]) == (path == "/sparql")


@pytest.mark.parametrize("path,accept", [("/sparql?query=ASK%7B%7D", "application/sparql-results+json"),
                                         ("/-/health", "*/*"), (OFFER, "text/turtle"),
                                         ("/static/style.css", "*/*")])
def test_other_answers_are_not_sniffed(server, path, accept):
    response = requests.get(server.url + path, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers  # a policy is for documents


# -- in Chromium ---------------------------------------------------------------------------------

VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.add_init_script(VIOLATIONS)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()


def _no_violation(page) -> None:
    violations = page.evaluate("window.__violations")
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert violations == [] and csp_errors == [], (violations, csp_errors)


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_no_csp_violation_on_any_page(server, page, path):
    page.goto(server.url + path, wait_until="networkidle")
    _no_violation(page)


@pytest.mark.browser
def test_yasgui_runs_a_query_under_the_policy(server, page):
    page.goto(server.url + "/sparql", wait_until="networkidle")
    assert page.locator(".yasqe").count() >= 1  # the editor started from its static script
    page.locator(".yasqe_queryButton").first.click()
    page.wait_for_selector(".yasr table tbody tr", timeout=30000)
    assert page.locator(".yasr table tbody tr").count() >= 1
    _no_violation(page)


@pytest.mark.browser
def test_the_finder_works_under_the_policy(server, page):
    page.goto(server.url + "/", wait_until="networkidle")
    values = [v for v in page.locator("#f-topic option").evaluate_all("os => os.map(o => o.value)") if v]
    assert values, "the finder offers no topic"
    with page.expect_navigation():  # finder.js submits on change: the script ran
        page.select_option("#f-topic", value=values[0])
    assert "topic=" in page.url
    assert page.locator("li.offer").count() >= 1
    _no_violation(page)


def test_a_reconciliation_preview_may_be_framed_by_any_client(server):
    # OpenRefine shows the preview in an iframe on its own origin; every other page refuses framing.
    response = requests.get(server.url + "/reconcile/preview",
                            params={"id": "https://w3id.org/tfatlas/id/org/bva"}, headers=HTML, timeout=30)
    assert response.status_code == 200, response.text
    assert "X-Frame-Options" not in response.headers
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "*"
    assert policy["script-src"] == "'self'" and "'unsafe-inline'" in policy["style-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
