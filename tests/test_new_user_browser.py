"""What a new user meets in Chromium (issue 11, "rough edges"): the API page, one language across
the site, a bad filter beside good ones, /sparql inside the site, the offer page's answers.

Screenshots go to ``$TFATLAS_SCREENSHOTS`` (default: the test's tmp_path) to be looked at.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest

from tfatlas.sparql.stored_queries import Catalogue

pytestmark = pytest.mark.browser

BASE = "https://w3id.org/tfatlas/"


def _shot(page, tmp_path: Path, name: str, full_page: bool = True) -> Path:
    folder = Path(os.environ.get("TFATLAS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def english(browser):
    context = browser.new_context(locale="en-GB")  # sends Accept-Language: en-GB
    yield context.new_page()
    context.close()


def test_api_page_shows_every_parameter_of_every_stored_query(seeded_server, english):
    english.goto(seeded_server.url + "/api/")
    queries = Catalogue().all()
    assert queries, "the shipped model has stored queries"
    for name, query in queries.items():
        section = english.locator(f"section.op:has(h2#op-{name})")
        assert section.count() == 1, f"no section for the stored query {name}"
        assert query.text("title", "en") in section.inner_text()
        shown = section.locator("table.params tbody td:first-child code").all_inner_texts()
        assert shown == list(query.params), f"{name}: parameters shown {shown}, declared {list(query.params)}"
        for param in query.params:  # and the form to try it has a field for each
            assert section.locator(f"form.try [name='{param}']").count() == 1


def _tab_names(page) -> set[str]:
    return {name.strip() for name in page.locator(".yasgui .tabsList .tab a > span").all_inner_texts()}


def test_sparql_page_has_the_site_header_and_tabs_titled_in_the_readers_language(seeded_server, english,
                                                                                   tmp_path):
    english.goto(seeded_server.url + "/sparql")
    english.wait_for_selector(".yasgui .tabsList")
    titles = {q.text("title", "en") for q in Catalogue().all().values()}
    assert titles and all(titles)
    tab_names = _tab_names(english)
    assert titles <= tab_names, tab_names
    assert not any("title:" in name for name in tab_names)  # no raw query headers
    _shot(english, tmp_path, "sparql-en")
    header = english.locator("header.site")
    back = header.get_by_role("link", name="Find offers")
    assert back.get_attribute("href") == "/"
    with english.expect_navigation():
        header.get_by_role("link", name="Deutsch").click()
    assert english.locator("html").get_attribute("lang") == "de"
    english.wait_for_selector(".yasgui .tabsList")
    german = {q.text("title", "de") for q in Catalogue().all().values()}
    names = _tab_names(english)
    assert german <= names, names
    with english.expect_navigation():
        english.locator("header.site").get_by_role("link", name="Angebote finden").click()
    assert english.url.rstrip("/").endswith("?lang=de") or "lang=de" in english.url
    assert english.locator("html").get_attribute("lang") == "de"


def test_a_bad_filter_keeps_the_valid_ones_and_says_so_in_the_readers_language(seeded_server, english, tmp_path):
    topic = quote(BASE + "id/topic/agilitaet", safe="")
    bogus = quote(BASE + "id/target-group/bogus", safe="")
    english.goto(seeded_server.url + f"/?topic={topic}")
    expected = english.locator("li.offer h3").all_inner_texts()
    english.goto(seeded_server.url + "/")
    everything = english.locator("#result-count").inner_text()
    response = english.goto(seeded_server.url + f"/?topic={topic}&audience={bogus}")
    assert response.status == 400
    assert english.locator("li.offer h3").all_inner_texts() == expected  # filtered by the topic
    assert english.locator("#result-count").inner_text() != everything
    assert english.locator("#f-topic option:checked").get_attribute("value") == BASE + "id/topic/agilitaet"
    error = english.locator("#f-audience-error")
    assert "not a value of" in error.inner_text() and "Target group" in error.inner_text()
    assert english.locator("#f-audience").get_attribute("aria-describedby") == "f-audience-error"
    _shot(english, tmp_path, "finder-bad-filter-en")


def _seed_offers() -> tuple[dict, dict]:
    """(an offer with a cost model and that model's English label, an offer without one), from the seed."""
    import pyoxigraph as ox

    from tfatlas.model.loading import model_sources

    store = ox.Store()
    for source in model_sources(BASE):
        store.load(path=str(source.path), format=source.format.oxigraph, to_graph=ox.NamedNode(source.graph))
    tfa = BASE + "ontology#"
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    pref = "http://www.w3.org/2004/02/skos/core#prefLabel"
    with_cost = list(store.query(f"""SELECT ?o ?l WHERE {{ ?o a <{tfa}Offer> ; <{tfa}costModel> ?c .
        ?c <{pref}>|<{label}> ?l FILTER(lang(?l) = "en") }} ORDER BY ?o LIMIT 1""", use_default_graph_as_union=True))
    without = list(store.query(f"""SELECT ?o WHERE {{ ?o a <{tfa}Offer> FILTER NOT EXISTS {{ ?o <{tfa}costModel> ?c }} }}
        ORDER BY ?o LIMIT 1""", use_default_graph_as_union=True))
    if not with_cost or not without:
        pytest.fail("the seed data needs an offer with a cost model and one without")
    return ({"path": with_cost[0]["o"].value[len(BASE) - 1:], "cost": with_cost[0]["l"].value},
            {"path": without[0]["o"].value[len(BASE) - 1:]})


def test_offer_page_answers_who_how_for_whom_cost_and_contact(seeded_server, english, browser, tmp_path):
    costed, uncosted = _seed_offers()
    english.goto(seeded_server.url + costed["path"])
    summary = english.locator("#offer-summary")
    assert summary.locator("dd[data-answer=cost]").inner_text().strip() == costed["cost"]
    for answer in ("provider", "format", "audience"):
        assert summary.locator(f"dd[data-answer={answer}] a").count() >= 1, answer
    contact = summary.locator("dd[data-answer=contact] a")  # a contact point, or at least a web page to ask
    assert contact.count() >= 1 and contact.first.get_attribute("href").startswith(("mailto:", "http"))
    _shot(english, tmp_path, "offer-with-cost-en")

    english.goto(seeded_server.url + uncosted["path"])
    assert english.locator("#offer-summary dd[data-answer=cost]").inner_text().strip() == "not stated"
    german = browser.new_context(locale="de-DE").new_page()
    try:
        german.goto(seeded_server.url + uncosted["path"])
        row = german.locator("#offer-summary dt", has_text="Kosten")
        assert row.count() == 1
        assert german.locator("#offer-summary dd[data-answer=cost]").inner_text().strip() == "keine Angabe"
        _shot(german, tmp_path, "offer-without-cost-de")
    finally:
        german.context.close()


@pytest.mark.parametrize("locale, start", [("en-GB", "/"), ("de-DE", "/?lang=en")],
                         ids=["english-browser", "german-browser-chose-english"])
def test_the_reader_stays_in_one_language_across_finder_offer_ontology_and_sparql(
        seeded_server, browser, tmp_path, locale, start):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    seen = []
    try:
        def check(name: str) -> None:
            page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == "en", f"{name} at {page.url}"
            header = page.locator("header.site")
            assert header.get_by_role("link", name="Deutsch").count() == 1, name  # the switch is there
            assert header.get_by_role("link", name="Find offers").count() == 1, name
            seen.append(_shot(page, tmp_path, f"{locale}-{name}", full_page=False))  # the top, as read first

        page.goto(seeded_server.url + start)
        check("finder")
        with page.expect_navigation():
            page.locator("li.offer h3 a").first.click()
        assert "/id/offer/" in page.url
        check("offer")
        with page.expect_navigation():
            page.locator("header.site").get_by_role("link", name="Ontology").click()
        check("ontology")
        with page.expect_navigation():
            page.locator("header.site").get_by_role("link", name="SPARQL endpoint").click()
        check("sparql")
        with page.expect_navigation():
            page.locator("header.site").get_by_role("link", name="Find offers").click()
        check("finder-again")
    finally:
        context.close()
    assert len(seen) == 5


def test_the_sparql_page_works_without_javascript(seeded_server, browser):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(seeded_server.url + "/sparql")
        assert page.locator("header.site").get_by_role("link", name="Find offers").is_visible()
        form = page.locator("form.plain")
        assert form.is_visible()  # the editor needs JavaScript; the plain form does not
        page.fill("#plain-query", "SELECT ?s WHERE { ?s a <https://w3id.org/tfatlas/ontology#Offer> } LIMIT 1")
        # Chromium saves a SPARQL results document as a file rather than showing it: the answer
        # is the response, whatever the browser then does with it.
        with page.expect_response(lambda r: "/sparql?query=" in r.url) as answer:
            form.get_by_role("button", name="Send query").click()
        response = answer.value
        assert response.status == 200
        assert response.headers["content-type"].startswith("application/sparql-results")
        import requests  # the same request again, to read the answer the browser saved

        again = requests.get(response.url, headers={"Accept": response.request.headers.get("accept", "*/*")}, timeout=30)
        assert "/id/offer/" in again.text
    finally:
        context.close()
