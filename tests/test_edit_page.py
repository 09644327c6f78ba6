"""The edit page's rules over the app and a real store on disk (issue 10, item 4): the session
cookie, CSRF on every form, only the account's own offers, choices only from the concept schemes
and the actor's units, statements the form does not show kept, history of the edit page."""

from __future__ import annotations

import os
import re
import stat

import pytest

from support.contributions import dataset
from tfatlas.contributions.setup import accounts_for
from tfatlas.web.app import create_app

BASE = "https://w3id.org/tfatlas/"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf(response) -> str:
    return CSRF.search(response.get_data(as_text=True)).group(1)


def sign_in(client, token: str, query: str = ""):
    page = client.get("/edit/" + query)
    return client.post("/edit/sign-in" + query, data={"csrf_token": csrf(page), "token": token})


@pytest.fixture
def accounts(app):
    return accounts_for(app.config["TFATLAS"])


def offer_data(client, **changes) -> dict:
    page = client.get("/edit/offers/new")
    text = page.get_data(as_text=True)
    data = {"csrf_token": csrf(page), "title_de": "Testangebot Kompass (für den Test geschrieben)",
            "title_en": "Test offer compass (written for the test)", "provider": BASE + "id/org/bva",
            "topics": re.findall(r'name="topics" value="([^"]+)"', text)[:1],
            "challenges": re.findall(r'name="challenges" value="([^"]+)"', text)[:1],
            "contact_email": "test@example.org", "page": "https://example.org/test-angebot",
            "source_url": "https://example.org/test-quelle", "source_title": "Testquelle (für den Test geschrieben)",
            "action": "save"}
    data.update(changes)
    return data


def saved_slug(client) -> str:
    return [s for s in re.findall(r'/edit/offers/([a-z0-9-]+)"', client.get("/edit/").get_data(as_text=True))
            if s != "new"][0]


def test_session_cookie_is_httponly_strict_and_only_for_the_edit_page(app, accounts):
    _account, token = accounts.add("bva")
    response = sign_in(app.test_client(), token)
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/edit" in cookie
    assert "Secure" not in cookie  # served over http here
    client = app.test_client()
    page = client.get("/edit/", base_url="https://atlas.example")
    secure = client.post("/edit/sign-in", base_url="https://atlas.example",
                         data={"csrf_token": csrf(page), "token": token})
    assert "Secure" in secure.headers["Set-Cookie"]


def test_the_secret_key_is_made_once_beside_the_accounts_file(app, make_store, tmp_path):
    path = tmp_path / "store" / "edit-secret.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = create_app(app.config["TFATLAS"], store=app.extensions["tfatlas.store"])
    assert again.secret_key == app.secret_key == path.read_text().strip()


def test_a_form_without_its_csrf_token_changes_nothing(app, accounts):
    _account, token = accounts.add("bva")
    client = app.test_client()
    assert client.post("/edit/sign-in", data={"token": token}).status_code == 400
    assert client.get("/edit/offers/new").status_code == 303  # still signed out
    sign_in(client, token)
    store = app.extensions["tfatlas.store"]
    before = dataset(store)
    data = offer_data(client)
    del data["csrf_token"]
    response = client.post("/edit/offers/new", data=data)
    assert response.status_code == 400
    assert "abgelaufen" in response.get_data(as_text=True)
    assert dataset(store) == before


def test_wrong_and_operator_tokens_are_refused_at_sign_in(app, accounts):
    client = app.test_client()
    response = sign_in(client, "tfa_unknown", "?lang=en")
    assert response.status_code == 401
    assert "belongs to no valid account" in response.get_data(as_text=True)
    _account, token = accounts.add("bva")
    accounts.revoke("bva")
    assert sign_in(client, token).status_code == 401


def test_a_revoked_account_is_signed_out_at_its_next_request(app, accounts):
    _account, token = accounts.add("bva")
    client = app.test_client()
    sign_in(client, token)
    assert client.get("/edit/offers/new").status_code == 200
    accounts.revoke("bva")
    response = client.get("/edit/offers/new")
    assert response.status_code == 303 and response.headers["Location"].endswith("/edit/")


def test_save_edit_and_withdraw_go_through_the_gate_with_history(app, accounts):
    _account, token = accounts.add("bva")
    client = app.test_client()
    sign_in(client, token)
    assert client.post("/edit/offers/new", data=offer_data(client)).status_code == 303
    slug = saved_slug(client)
    store = app.extensions["tfatlas.store"]
    offer = f"<{BASE}id/offer/{slug}>"
    graph = f"<{BASE}graph/actor/bva>"
    assert store.query(f"ASK {{ GRAPH {graph} {{ {offer} <http://purl.org/dc/terms/modified> ?d }} }}")
    via = {row["i"].value for row in store.query(
        "SELECT ?i WHERE { ?a <https://w3id.org/tfatlas/ontology#viaInterface> ?i }")}
    assert via == {"edit-page"}
    # A statement the form does not show (written through the GSP path's core) stays on edit.
    competency = f"<{BASE}id/competency/agile-methodenkompetenz>"
    store.update(f"INSERT DATA {{ GRAPH {graph} {{ {offer} <{BASE}ontology#developsCompetency> {competency} }} }}")
    edit = client.get(f"/edit/offers/{slug}")
    assert 'value="Testangebot Kompass (für den Test geschrieben)"' in edit.get_data(as_text=True)
    data = offer_data(client, title_de="Testangebot Kompass neu (für den Test geschrieben)")
    data["csrf_token"] = csrf(edit)
    assert client.post(f"/edit/offers/{slug}", data=data).status_code == 303
    assert store.query(f"ASK {{ GRAPH {graph} {{ {offer} <{BASE}ontology#developsCompetency> {competency} }} }}")
    assert store.query(f'ASK {{ {offer} <http://www.w3.org/2000/01/rdf-schema#label> '
                       f'"Testangebot Kompass neu (für den Test geschrieben)"@de }}')
    assert not store.query(f'ASK {{ {offer} <http://www.w3.org/2000/01/rdf-schema#label> '
                           f'"Testangebot Kompass (für den Test geschrieben)"@de }}')
    confirm = client.get(f"/edit/offers/{slug}/withdraw")
    assert client.post(f"/edit/offers/{slug}/withdraw", data={"csrf_token": csrf(confirm)}).status_code == 303
    assert not store.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}")  # offer, contact and cited page gone


def test_field_errors_in_the_readers_language_and_nothing_stored(app, accounts):
    _account, token = accounts.add("bva")
    client = app.test_client()
    sign_in(client, token, "?lang=en")
    store = app.extensions["tfatlas.store"]
    before = dataset(store)
    data = offer_data(client, start_date="2026-13-40", contact_email="kontakt-at-example.org",
                      topics=[BASE + "id/challenge/agile-arbeitsweisen-einfuehren"])
    response = client.post("/edit/offers/new?lang=en", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not a valid date" in text
    assert re.search(r'id="contact_email-error-1">.*contact point is unusable', text)
    assert re.search(r'id="topics-error-1">.*This choice does not exist', text)
    assert 'value="kontakt-at-example.org"' in text  # what was typed stays
    assert dataset(store) == before


def test_the_list_shows_what_is_missing(app, accounts):
    _account, token = accounts.add("bva")
    client = app.test_client()
    sign_in(client, token)
    response = client.post("/edit/offers/new", data=offer_data(client, challenges=[], contact_email=""))
    assert response.status_code == 303
    page = client.get("/edit/")
    assert page.headers["Cache-Control"] == "no-store"
    entry = page.get_data(as_text=True).split('class="entry"', 1)[1]
    assert "Was fehlt" in entry
    assert "keine Herausforderung angegeben" in entry and "kein Kontakt angegeben" in entry


def test_an_account_reaches_neither_another_actors_offer_nor_another_provider(app, accounts):
    _account, bva = accounts.add("bva")
    _account, zendis = accounts.add("zendis")
    one, other = app.test_client(), app.test_client()
    sign_in(one, bva)
    one.post("/edit/offers/new", data=offer_data(one))
    slug = saved_slug(one)
    sign_in(other, zendis)
    assert other.get(f"/edit/offers/{slug}").status_code == 404
    assert other.get(f"/edit/offers/{slug}/withdraw").status_code == 404
    store = app.extensions["tfatlas.store"]
    before = dataset(store)
    response = other.post("/edit/offers/new", data=offer_data(other, provider=BASE + "id/org/bva"))
    assert response.status_code == 422
    assert re.search(r'id="provider-error-1">.*Diese Auswahl gibt es nicht', response.get_data(as_text=True))
    assert dataset(store) == before


def test_the_pages_need_no_inline_script_or_style(app, accounts):
    """So they work under a strict Content-Security-Policy (no 'unsafe-inline')."""
    _account, token = accounts.add("bva")
    client = app.test_client()
    pages = [client.get("/edit/").get_data(as_text=True)]
    sign_in(client, token)
    client.post("/edit/offers/new", data=offer_data(client))
    slug = saved_slug(client)
    for path in ("/edit/", "/edit/offers/new", f"/edit/offers/{slug}", f"/edit/offers/{slug}/withdraw"):
        pages.append(client.get(path).get_data(as_text=True))
    pages.append(client.post("/edit/offers/new", data=offer_data(client, page="ftp://x.example", action="preview"))
                 .get_data(as_text=True))
    for html in pages:
        assert not re.search(r"<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=", html), html[:300]
