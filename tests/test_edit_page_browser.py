"""The edit page in Chromium (issue 10, acceptance 4): an actor signs in, adds an offer, finds it
in the finder, edits it, meets a field error for an invalid value, withdraws it; axe on every
step's page; the same flow with JavaScript off."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from support.contributions import cli_account
from support.servers import Server

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parent.parent / "var" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("edit-page") / "store")
    yield s
    s.stop()


def axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    serious = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
               for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, page.url + "\n" + "\n".join(serious)


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"edit-{name}.png"), full_page=True)


def finder_titles(page, url: str, title: str) -> list[str]:
    page.goto(f"{url}/?q={quote_plus(title)}")
    return page.locator("#results li.offer h3").all_inner_texts()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_sign_in_add_find_edit_error_withdraw(browser, server, javascript):
    _account, token = cli_account(server.store, "bva")
    context = browser.new_context(locale="de-DE", viewport={"width": 1200, "height": 1000},
                                  java_script_enabled=javascript)
    page = context.new_page()
    check = axe_clean if javascript else (lambda page: None)  # axe runs as a script in the page
    word = "Prüfstand" + secrets.token_hex(3)  # one word no other offer has
    title = f"Sprechstunde {word} (für den Test geschrieben)"
    try:
        # Sign in.
        page.goto(server.url + "/edit/")
        assert page.locator("h2#signin-heading").inner_text() == "Anmelden"
        check(page)
        if javascript:
            shot(page, "signin")
        page.fill("#token", "tfa_not-a-token")
        page.click("button[type=submit]")
        assert "gehört zu keinem gültigen Konto" in page.locator("#token-error").inner_text()
        page.fill("#token", token)
        page.click("button[type=submit]")
        assert page.locator("h1").inner_text() == "Eigene Einträge bearbeiten"
        assert "Bundesverwaltungsamt" in page.locator(".edit-bar").inner_text()
        check(page)

        # Add an offer: preview first, then save.
        page.click("text=Neues Angebot anlegen")
        page.fill("#f-title_de", title)
        page.fill("#f-title_en", f"Office hours {word} (written for the test)")
        page.fill("#f-description_de", "Beschreibung, für den Test geschrieben.")
        page.select_option("#f-provider", label="Bundesverwaltungsamt")
        page.locator("#f-topics input[type=checkbox]").first.check()
        topic = page.locator("#f-topics label").first.inner_text()
        page.locator("#f-challenges input[type=checkbox]").first.check()
        page.fill("#f-contact_email", "test@example.org")
        page.fill("#f-page", "https://example.org/test-angebot")
        page.fill("#f-source_url", "https://example.org/test-quelle")
        page.fill("#f-source_title", "Testquelle (für den Test geschrieben)")
        check(page)
        page.click("button[value=preview]")
        card = page.locator("#preview li.offer")
        assert card.locator("h3").inner_text() == title
        assert topic in card.inner_text() and "Bundesverwaltungsamt" in card.inner_text()
        assert "test@example.org" in card.inner_text()
        check(page)
        if javascript:
            shot(page, "preview")
        page.click("button[value=save]")
        assert f"„{title}“ ist gespeichert" in page.locator(".notice").inner_text()
        entry = page.locator("li.entry", has_text=title)
        assert entry.count() == 1
        check(page)
        if javascript:
            shot(page, "list")

        # Find it in the finder.
        assert title in finder_titles(page, server.url, word)

        # Edit it: an invalid web page is refused next to its field, and what was typed stays.
        page.goto(server.url + "/edit/")
        page.locator("li.entry", has_text=title).get_by_role("link", name="Bearbeiten").click()
        assert page.input_value("#f-title_de") == title
        edited = title.replace("Sprechstunde", "Beratung")
        page.fill("#f-title_de", edited)
        page.fill("#f-page", "ftp://example.org/test-angebot")
        page.click("button[value=save]")
        field = page.locator(".field", has=page.locator("#f-page"))
        assert "http oder https" in field.locator(".field-error").inner_text()
        assert page.get_attribute("#f-page", "aria-invalid") == "true"
        assert page.input_value("#f-title_de") == edited
        assert page.input_value("#f-page") == "ftp://example.org/test-angebot"
        assert page.locator(".error-summary a[href='#f-page']").count() == 1
        check(page)
        if javascript:
            shot(page, "form-error")
        reader = context.new_page()
        assert title in finder_titles(reader, server.url, word)  # nothing was stored
        reader.close()
        page.fill("#f-page", "https://example.org/test-angebot")  # corrected on the error page itself
        page.click("button[value=save]")
        assert "ist gespeichert" in page.locator(".notice").inner_text()
        assert finder_titles(page, server.url, word) == [edited]

        # Withdraw it: gone from the finder.
        page.goto(server.url + "/edit/")
        page.locator("li.entry", has_text=edited).get_by_role("link", name="Zurückziehen").click()
        check(page)
        page.click("button.danger")
        assert "ist zurückgezogen" in page.locator(".notice").inner_text()
        assert page.locator("li.entry", has_text=edited).count() == 0
        assert finder_titles(page, server.url, word) == []

        # Sign out: the entries need signing in again.
        page.goto(server.url + "/edit/")
        page.click("text=Abmelden")
        assert page.locator("#token").count() == 1
    finally:
        context.close()


def test_english_reader_keeps_the_language_in_links(browser, server):
    _account, token = cli_account(server.store, "bva")
    context = browser.new_context(locale="de-DE", viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    try:
        page.goto(server.url + "/edit/?lang=en")
        page.fill("#token", token)
        page.click("button[type=submit]")
        assert page.locator("h1").inner_text() == "Edit your entries"
        assert page.url.endswith("/edit/?lang=en")
        page.click("text=Add a new offer")
        assert page.url.endswith("/edit/offers/new?lang=en")
        page.click("button[value=save]")  # nothing filled in
        assert "German label is missing" in page.locator(".field", has=page.locator("#f-title_de")).inner_text()
        assert "No provider" not in page.content()  # the provider list preselects the actor
        axe_clean(page)
    finally:
        context.close()
