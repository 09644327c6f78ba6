"""Rough edges a new user met on the web (issue 11), checked over HTTP with the app's test client:
download ETags, Turtle prefixes, /catalog before the first release, bad finder filters."""

from __future__ import annotations

import time

import pytest

from tfatlas.config import load_config
from tfatlas.publish.release import SUMS, publish
from tfatlas.web.app import create_app


@pytest.fixture
def release_app(make_store, tmp_path):
    store = make_store(seeded=True)
    config = load_config(cli={"store": str(store.root), "release_dir": str(tmp_path / "releases")}, environ={})
    application = create_app(config, store=store)
    yield application, store, tmp_path / "releases"
    service = application.extensions.get("tfatlas.query_service")
    if service is not None:
        service.close()


def _etags(client, root) -> dict[str, str]:
    names = [line.split("  ", 1)[1] for line in (root / SUMS).read_text().splitlines()] + [SUMS]
    tags = {}
    for name in names:
        response = client.get("/downloads/" + name)
        assert response.status_code == 200, name
        tags[name] = response.headers["ETag"]
    return tags


def test_download_etags_follow_the_bytes_not_the_publish(release_app):
    app, store, releases = release_app
    client = app.test_client()
    first = releases / "2026-11-01"
    publish(store, first, base_url="https://atlas.example.org")
    before = _etags(client, first)
    time.sleep(1.1)  # a later mtime: werkzeug's ETag would change with it
    second = releases / "2026-12-01"  # sorts last: now the latest release
    publish(store, second, base_url="https://atlas.example.org")
    after = _etags(client, second)
    assert before.keys() == after.keys()
    for name in before:
        same_bytes = (first / name).read_bytes() == (second / name).read_bytes()
        assert (before[name] == after[name]) is same_bytes, name
    assert any((first / n).read_bytes() == (second / n).read_bytes() for n in before)
    # and the ETag works for a conditional GET
    name = next(iter(after))
    assert client.get("/downloads/" + name, headers={"If-None-Match": after[name]}).status_code == 304


def _declared_and_used(turtle: str) -> tuple[set[str], set[str]]:
    """Prefixes a Turtle document declares, and those its statements use (parsed, not guessed)."""
    import re

    import pyoxigraph as ox

    declared = dict(re.findall(r"^@prefix ([\w.-]*): <([^>]*)> \.$", turtle, re.M))
    used = set()
    for triple in ox.parse(turtle.encode(), ox.RdfFormat.TURTLE):
        terms = [triple.subject, triple.predicate, triple.object]
        if isinstance(triple.object, ox.Literal):
            terms.append(triple.object.datatype)
        for term in terms:
            if isinstance(term, ox.NamedNode):
                used |= {name for name, ns in declared.items() if term.value.startswith(ns)}
    return set(declared), used


def test_turtle_of_a_page_declares_only_the_prefixes_it_uses(client):
    response = client.get("/id/offer/bakoev-ausbildung-agile-coach", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    declared, used = _declared_and_used(response.get_data(as_text=True))
    assert "dct" in declared and "tfa" in declared  # it still abbreviates
    assert declared == used, f"declared but unused: {declared - used}"


def test_construct_answer_declares_only_the_prefixes_it_uses(client):
    query = ("PREFIX dct: <http://purl.org/dc/terms/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
             "PREFIX owl: <http://www.w3.org/2002/07/owl#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
             "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l } LIMIT 3")
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200, response.get_data(as_text=True)
    declared, used = _declared_and_used(response.get_data(as_text=True))
    assert declared == used == {"rdfs"}


def test_release_turtle_declares_only_the_prefixes_it_uses(release_app):
    app, store, releases = release_app
    publish(store, releases / "r", base_url="https://atlas.example.org")
    for path in (releases / "r").glob("*.ttl"):
        declared, used = _declared_and_used(path.read_text(encoding="utf-8"))
        assert declared == used, f"{path.name}: declared but unused: {declared - used}"


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("language, words", [("en", "not published yet"), ("de", "noch nicht veröffentlicht")])
def test_catalog_before_the_first_release_is_a_page_in_the_readers_language(client, language, words):
    response = client.get("/catalog", headers={"Accept": BROWSER, "Accept-Language": language})
    assert response.status_code == 404  # there is no catalogue yet: nothing for a crawler to index
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in page and words in page
    assert "tfatlas publish" in page and 'href="/sparql"' in page  # how it comes, where to go meanwhile
    rdf = client.get("/catalog", headers={"Accept": "text/turtle"})
    assert rdf.status_code == 404 and rdf.mimetype == "text/plain"


def test_offer_page_names_the_offers_contact_point(app, client):
    store = app.extensions["tfatlas.store"]
    rows = list(store.query("""SELECT ?o ?mail WHERE { ?o a <https://w3id.org/tfatlas/ontology#Offer> ;
        <http://www.w3.org/ns/dcat#contactPoint> ?c . ?c <http://www.w3.org/2006/vcard/ns#hasEmail> ?mail }
        ORDER BY ?o LIMIT 1"""))
    if not rows:
        pytest.fail("the seed data needs an offer with a contact point that has an e-mail address")
    path = rows[0]["o"].value[len("https://w3id.org/tfatlas"):]
    page = client.get(path, headers={"Accept": BROWSER, "Accept-Language": "de"}).get_data(as_text=True)
    contact = page.split('data-answer="contact">', 1)[1].split("</dd>", 1)[0]
    assert f'href="{rows[0]["mail"].value}"' in contact
