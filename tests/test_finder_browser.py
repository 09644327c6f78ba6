"""The finder in Chromium (Playwright): search, open the offer, empty results, no JavaScript, axe."""

from __future__ import annotations

import re

import pytest


pytestmark = pytest.mark.browser

OFFER_LABEL = "Ausbildung zum Agile Coach"
OFFER_LABEL_EN = "Agile Coach training"  # the English title (issue 15)
OFFER_PATH = "/id/offer/bakoev-ausbildung-agile-coach"



@pytest.fixture
def page(browser):
    context = browser.new_context(locale="de-DE")  # a German reader: the finder follows Accept-Language
    yield context.new_page()
    context.close()


def _choose(page, select: str, label_start: str) -> None:
    """Pick the option whose text starts with a label (the text ends with its count)."""
    options = page.locator(f"{select} option").all_inner_texts()
    match = next(o for o in options if o.strip().startswith(label_start))
    page.select_option(select, label=match)


def test_help_with_a_challenge_in_agility_finds_the_offer_and_opens_its_page(seeded_server, page):
    page.goto(seeded_server.url + "/")
    with page.expect_navigation():  # finder.js submits on change
        _choose(page, "#f-topic", "Agilität")
    with page.expect_navigation():
        _choose(page, "#f-challenge", "Agile Arbeitsweisen einführen")
    assert "topic=" in page.url and "challenge=" in page.url  # the search is in the URL
    link = page.get_by_role("link", name=OFFER_LABEL)
    assert link.get_attribute("href") == OFFER_PATH
    offer = page.locator("li.offer", has=link)
    assert "Bundesakademie" in offer.inner_text()
    link.click()
    page.wait_for_load_state()
    assert page.url.endswith(OFFER_PATH)
    assert OFFER_LABEL in page.locator("h1").inner_text()


def test_a_combination_without_match_explains_which_filter_to_relax(seeded_server, page):
    page.goto(seeded_server.url + "/")
    with page.expect_navigation():
        _choose(page, "#f-topic", "Agilität")
    empty = next(o for o in page.locator("#f-cost option").all_inner_texts() if o.strip().endswith("(0)"))
    with page.expect_navigation():
        page.select_option("#f-cost", label=empty)
    explanation = page.locator("#empty-result")
    assert explanation.is_visible()
    relax = explanation.locator("ul.relax a")
    assert relax.count() == 2
    with page.expect_navigation():
        relax.filter(has_text=re.compile(empty.strip().rsplit(" (", 1)[0])).click()
    assert page.locator("li.offer").count() > 0


def test_the_finder_works_without_javascript(seeded_server, browser):
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    page = context.new_page()
    try:
        page.goto(seeded_server.url + "/?lang=en")
        page.fill("#f-q", "agilitaet coach")
        page.get_by_role("button", name="Show offers").click()
        page.wait_for_load_state()
        assert "q=agilitaet+coach" in page.url and "lang=en" in page.url
        assert page.locator("li.offer").count() >= 1
        assert page.get_by_role("link", name=OFFER_LABEL_EN).get_attribute("href") == OFFER_PATH + "?lang=en"
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/?topic=https%3A%2F%2Fw3id.org%2Ftfatlas%2Fid%2Ftopic%2Fagilitaet&lang=en",
                                  "/?q=nichts+dergleichen+xyz", "/overview", "/api/"])
def test_axe_finds_no_serious_or_critical_issue(seeded_server, page, path):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(seeded_server.url + path)
    violations = Axe().run(page).response["violations"]
    serious = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
               for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, "\n".join(serious)
