"""A person's walk through the linked-data pages in Debian's Chromium (Playwright), checked by axe.

Open an actor's page, follow the link to one of its offers, switch to English and see the offer's
English label; no console errors on the way, and axe finds no serious or critical issue on any
page. The actor and offer are taken from the seed graph (the first actor, in IRI order, with an
offer that has an English label); the server is the real `tfatlas serve` over the shipped model.
"""

from __future__ import annotations


import pyoxigraph as ox
import pytest

from tfatlas.model.loading import model_sources

pytestmark = pytest.mark.browser

BASE = "https://w3id.org/tfatlas/"
TFA = BASE + "ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"



def actor_with_offer() -> dict[str, str]:
    store = ox.Store()
    for source in model_sources(BASE):
        store.load(path=str(source.path), format=source.format.oxigraph, to_graph=ox.NamedNode(source.graph))
    rows = list(store.query(f"""
        SELECT ?actor ?actor_de ?offer ?offer_de ?offer_en WHERE {{
          ?offer a <{TFA}Offer> ; <{TFA}providedBy> ?actor ; <{RDFS_LABEL}> ?offer_de , ?offer_en .
          ?actor <{RDFS_LABEL}> ?actor_de .
          FILTER(lang(?offer_de) = "de" && lang(?offer_en) = "en" && lang(?actor_de) = "de")
          FILTER(?offer_de != ?offer_en)
        }} ORDER BY ?actor ?offer LIMIT 1""", use_default_graph_as_union=True))
    if not rows:
        pytest.fail("the seed graph has no actor with an offer labelled in German and English")
    return {key: rows[0][key].value for key in ("actor", "actor_de", "offer", "offer_de", "offer_en")}


def serious_issues(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_actor_to_offer_to_english(seeded_server, browser):
    walk = actor_with_offer()
    page = browser.new_page(locale="de-DE")  # a German reader: the atlas's default audience
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        page.goto(seeded_server.url + "/" + walk["actor"][len(BASE):])
        assert page.locator("h1").inner_text().strip() == walk["actor_de"]
        assert page.locator("html").get_attribute("lang") == "de"
        problems += [f"actor page: {issue}" for issue in serious_issues(page)]

        offers = page.locator('section[aria-labelledby="section-offers"]')
        offers.get_by_role("link", name=walk["offer_de"], exact=True).first.click()
        page.wait_for_url("**/" + walk["offer"][len(BASE):])
        assert page.locator("h1").inner_text().strip() == walk["offer_de"]
        problems += [f"offer page: {issue}" for issue in serious_issues(page)]

        page.get_by_role("link", name="English").click()
        page.wait_for_url("**lang=en")
        assert page.locator("h1").inner_text().strip() == walk["offer_en"]
        assert page.locator("html").get_attribute("lang") == "en"
        problems += [f"English offer page: {issue}" for issue in serious_issues(page)]

        # The choice of language is kept when following links.
        page.locator("main a[href^='/id/']").first.click()
        assert "lang=en" in page.url and page.locator("html").get_attribute("lang") == "en"
    finally:
        page.close()
    assert not problems, "\n".join(problems)


def test_ontology_documentation_is_accessible(seeded_server, browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        page.goto(seeded_server.url + "/ontology")
        assert page.locator("h2#classes").count() == 1
        issues = serious_issues(page)
    finally:
        page.close()
    assert not errors and not issues, "\n".join(errors + issues)
