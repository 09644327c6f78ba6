"""The finder's text search on the page and as JSON: ranked, explained, filtered, and in step
with the store across writes and a SIGKILL."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import threading
import time

import jsonschema
import pytest
import requests
from openapi_spec_validator import validate

from tfatlas import finder, search
from tfatlas.search import SearchIndex
from tfatlas.store.embedded import EmbeddedStore

BASE = "https://w3id.org/tfatlas/"
OFFER = BASE + "id/offer/"
TFA = BASE + "ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
GRAPH = BASE + "graph/test-search-web"
TOKEN = "search-test-token"  # written for the test
ADMIN = {"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest()}
PROJECT_TEAMS = BASE + "id/target-group/beschaeftigte"


def titles(html: str) -> list[str]:
    return [re.sub("<[^>]+>", "", t) for t in re.findall(r'<h3><a href="[^"]*">(.*?)</a></h3>', html)]


def offer_items(html: str) -> list[str]:
    return re.findall(r'<li class="offer">(.*?)</li>\s*(?=<li class="offer">|</ol>)', html, re.S)


def test_ki_puts_the_learning_path_first_and_says_why(client):
    html = client.get("/?q=KI").get_data(as_text=True)
    assert titles(html)[0] == "Lernpfad zu KI"
    first = offer_items(html)[0]
    assert "Lernpfad zu <mark>KI</mark>" in first
    assert "<li>Treffer im Titel</li>" in first and "über die Herausforderung KI sicher einsetzen" in first


def test_explanations_in_english(client):
    html = client.get("/?q=AI+learning+path&lang=en").get_data(as_text=True)
    assert titles(html)[0] == "AI learning path"
    assert "via the challenge Use AI safely" in offer_items(html)[0]


def test_exact_match_only_for_a_whole_name_or_exact_filters(client):
    html = client.get("/?q=Organisationsberatung").get_data(as_text=True)
    items = dict(zip(titles(html), offer_items(html)))
    assert "passt genau" in items["Organisationsberatung des Bundesverwaltungsamts"]
    assert "passt genau" not in client.get("/").get_data(as_text=True)  # nothing chosen, nothing exact
    compounds = client.get("/?q=Legistik").get_data(as_text=True)
    # Two offers match Legistik (both are for Legistinnen und Legisten); neither is named exactly so.
    assert set(titles(compounds)) == {"Digitalcheck: Unterstützung für Legistinnen und Legisten",
                                      "Workshop-Konzept zur Nachnutzung: Visualisieren lernen und Digitaltauglichkeit stärken"}
    assert "passt genau" not in compounds


def test_filters_restrict_the_text_and_the_facets_count_within_it(client):
    body = client.get("/api/finder", query_string={"q": "Projektmanagement", "audience": PROJECT_TEAMS}).get_json()
    assert [o["iri"] for o in body["offers"]] == [OFFER + "bva-projektmanagement-schulung"]
    without = client.get("/api/finder", query_string={"q": "Projektmanagement"}).get_json()
    counts = {v["iri"]: v["count"] for v in without["facets"]["audience"]}
    assert counts[PROJECT_TEAMS] == 1 and without["total"] > 1
    assert without["textMode"] == "all"


def test_json_form_validates_against_the_openapi_description(client):
    description = client.get("/api/openapi.json").get_json()
    validate(description)
    schema = {**description["components"]["schemas"]["FinderResult"],
              "$defs": description["components"]["schemas"]}
    for params in ({"q": "KI", "lang": "en"}, {"q": "Legistik Barcamp"}, {"q": "xyzzy-nothing"}, {}):
        body = client.get("/api/finder", query_string=params).get_json()
        jsonschema.validate(body, schema)
    page = titles(client.get("/?q=Projektmanagement").get_data(as_text=True))
    api = client.get("/api/finder?q=Projektmanagement").get_json()
    assert [o["label"] for o in api["offers"]] == page


def test_json_form_names_a_bad_parameter(client):
    response = client.get("/api/finder?audience=https://example.org/bogus&q=KI")
    assert response.status_code == 400
    assert response.get_json()["parameter"] == "audience"


def test_any_word_fallback_is_said(client):
    html = client.get("/?q=Legistik+Barcamp").get_data(as_text=True)
    # The Digitalcheck and the visualisation workshop name Legistik; NExT-to-meet-you and NExTcamp are
    # barcamps; none has both.
    assert 'id="some-words"' in html and len(titles(html)) == 4


def _update(server, text: str) -> None:
    requests.post(server.url + "/sparql", data={"update": text}, timeout=60,
                  headers={"Authorization": f"Bearer {TOKEN}"}).raise_for_status()


def _insert(slug: str, title: str) -> str:
    # Written for the test: a made-up offer.
    return (f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <{OFFER}{slug}> a <{TFA}Offer> ; '
            f'<{RDFS}label> "{title}"@de . }} }}')


def _ranked(server, q: str) -> list[str]:
    body = requests.get(server.url + "/api/finder", params={"q": q}, timeout=60).json()
    return [o["iri"] for o in body["offers"]]


def test_a_sparql_update_is_found_by_the_next_search(start_server):
    server = start_server(env=ADMIN)
    assert _ranked(server, "Zebrafütterung") == []
    _update(server, _insert("test-web-zebra", "Zebrafütterung für Ministerien"))
    assert _ranked(server, "Zebrafuetterung") == [OFFER + "test-web-zebra"]
    _update(server, f"DROP GRAPH <{GRAPH}>")
    assert _ranked(server, "Zebrafütterung") == []


QUERIES = ["Zebrafütterung", "KI", "Projektmanagement", "Legistik", "Agilitaet"]


def test_after_a_sigkill_during_writes_the_results_equal_a_fresh_index(start_server, tmp_path):
    server = start_server(env=ADMIN)
    acknowledged: list[str] = []
    stop = threading.Event()

    def write() -> None:
        for i in range(10_000):
            if stop.is_set():
                return
            try:
                _update(server, _insert(f"test-kill-{i}", f"Zebrafütterung Nummer {i}"))
            except requests.RequestException:
                return
            acknowledged.append(OFFER + f"test-kill-{i}")

    writer = threading.Thread(target=write)
    writer.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(server.process.pid, signal.SIGKILL)  # the server and its query workers, mid-write
    stop.set()
    writer.join(timeout=60)
    server.process.wait(timeout=30)
    assert len(acknowledged) >= 5

    restarted = start_server(env=ADMIN, store=server.store)
    served = {q: _ranked(restarted, q) for q in QUERIES}
    assert set(acknowledged) <= set(_ranked(restarted, "Zebrafütterung Nummer"))
    restarted.stop()

    store = EmbeddedStore(server.store, BASE)
    try:
        fresh = SearchIndex(tmp_path / "fresh-index")
        fresh.rebuild(store)
        schemes = finder.load_schemes(store)
        for q in QUERIES:
            result = finder.find(store, finder.Search(filters={}, q=q), schemes, text_index=fresh)
            assert [o.iri for o in result.offers] == served[q], q
    finally:
        store.close()


def test_a_remote_store_is_indexed_at_start_and_refreshed_on_schedule(start_server, run_cli, tmp_path):
    from support.servers import OxigraphServer

    remote = OxigraphServer(tmp_path / "oxigraph")
    try:
        code, _, err = run_cli("--store-url", remote.url, "init", "--no-progress", env={"TFATLAS_BASE_IRI": BASE})
        assert code == 0, err
        server = start_server(env={**ADMIN, "TFATLAS_STORE_URL": remote.url,
                                   "TFATLAS_SEARCH_INDEX": str(tmp_path / "remote-index"),
                                   "TFATLAS_SEARCH_REFRESH": "1"})
        assert _ranked(server, "KI")[0] == OFFER + "bakoev-lernpfad-ki"
        assert (tmp_path / "remote-index" / "CURRENT").exists()
        # Another writer changes the remote store behind the atlas's back: found after a refresh.
        requests.post(remote.url + "/update", data={"update": _insert("test-remote-other", "Okapi-Beratung")},
                      timeout=30).raise_for_status()
        deadline = time.monotonic() + 30
        while _ranked(server, "Okapi") != [OFFER + "test-remote-other"] and time.monotonic() < deadline:
            time.sleep(0.3)
        assert _ranked(server, "Okapi") == [OFFER + "test-remote-other"]
        # A write through the atlas is found by the very next search.
        _update(server, _insert("test-remote-atlas", "Gnu-Werkstatt"))
        assert _ranked(server, "Gnu-Werkstatt") == [OFFER + "test-remote-atlas"]
    finally:
        remote.stop()


def test_an_actors_write_through_the_graph_store_protocol_is_found_at_once(start_server):
    from support.contributions import cli_account, offer_ttl

    server = start_server(env=ADMIN)
    _, token = cli_account(server.store, "bva")
    graph = BASE + "graph/actor/bva"
    body = offer_ttl("test-search-bva", BASE + "id/org/bva", label="Zebrafütterung im Amt (für den Test geschrieben)")
    url = f"{server.url}/rdf-graphs/service?graph={graph}"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"}
    assert requests.put(url, data=body.encode(), headers=headers, timeout=60).status_code in (200, 201, 204)
    assert _ranked(server, "Zebrafütterung") == [OFFER + "test-search-bva"]
    renamed = body.replace("Zebrafütterung im Amt", "Giraffenpflege im Amt")
    assert requests.put(url, data=renamed.encode(), headers=headers, timeout=60).status_code in (200, 201, 204)
    assert _ranked(server, "Zebrafütterung") == [] and _ranked(server, "Giraffenpflege") == [OFFER + "test-search-bva"]
    assert requests.delete(url, headers=headers, timeout=60).status_code in (200, 204)
    assert _ranked(server, "Giraffenpflege") == []


def test_the_api_page_documents_the_finders_parameters(client):
    html = client.get("/api/").get_data(as_text=True)
    section = html[html.index('id="op-finder"'):]
    section = section[:section.index("</section>")]
    for name in ("q", "lang", "challenge", "topic", "audience", "mode", "cost"):
        assert f"<code>{name}</code>" in section, name


IN_STEP = "opened without reading the offers"


def test_a_restart_reads_no_offer_unless_another_process_wrote(start_server, run_cli, tmp_path):
    server = start_server(env=ADMIN)
    _update(server, _insert("test-restart-zebra", "Zebrafütterung für Ministerien"))
    assert _ranked(server, "Zebrafütterung") == [OFFER + "test-restart-zebra"]  # reconciled, recorded
    server.stop()  # a clean stop: the store names its content, which the index recorded

    again = start_server(env=ADMIN, store=server.store)
    assert IN_STEP in again.output()
    assert _ranked(again, "Zebrafütterung") == [OFFER + "test-restart-zebra"]
    again.stop()

    # Another process writes while the server is stopped: the next start compares and rebuilds.
    loaded = tmp_path / "giraffe.ttl"
    # Written for the test: a made-up offer (loaded with --force: it is not complete for the shapes).
    loaded.write_text(f'<{OFFER}test-restart-giraffe> a <{TFA}Offer> ; <{RDFS}label> "Giraffenpflege"@de .\n')
    code, _, err = run_cli("--store", str(server.store), "load", "--force", "--no-index", "--no-progress",
                           str(loaded))
    assert code == 0, err
    third = start_server(env=ADMIN, store=server.store)
    assert IN_STEP not in third.output() and "rebuilding" in third.output()
    assert _ranked(third, "Giraffenpflege") == [OFFER + "test-restart-giraffe"]
