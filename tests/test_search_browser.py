"""The finder's text search in Chromium: typed as a person would, read as a person would."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parent.parent / "var" / "screenshots"


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 1100})
    yield context.new_page()
    context.close()


def test_typing_ki_puts_the_learning_path_first_with_its_reasons(seeded_server, page):
    page.goto(seeded_server.url + "/")
    page.fill("#f-q", "KI")
    with page.expect_navigation():
        page.press("#f-q", "Enter")
    assert "q=KI" in page.url
    first = page.locator("li.offer").first
    assert first.locator("h3").inner_text() == "Lernpfad zu KI"
    assert first.locator("h3 mark").inner_text() == "KI"  # the matched word is marked
    reasons = first.locator("ul.why li").all_inner_texts()
    assert "Treffer im Titel" in reasons and "über die Herausforderung KI sicher einsetzen" in reasons
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "finder-search-ki.png"), full_page=False)


def test_an_english_reader_gets_english_reasons(browser, seeded_server):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 1100})
    try:
        page = context.new_page()
        page.goto(seeded_server.url + "/?q=Coaching+Ausbildung")
        first = page.locator("li.offer").first
        assert first.locator("h3 a").get_attribute("href").startswith("/id/offer/bakoev-ausbildung-agile-coach")
        assert "match in the title" in first.locator("ul.why li").all_inner_texts()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "finder-search-coaching-en.png"), full_page=False)
    finally:
        context.close()
