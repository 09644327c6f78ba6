"""The stored-query API: every query in queries/ on the seed graph, and the binding's safety.

Part one runs each shipped query through a real server (seeded_server) and checks the rows the
seed graph must give. Part two drives the API in-process over a fixture graph and a draft query
written for these tests, where the store can be inspected before and after hostile requests.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import requests

from tfatlas.sparql import stored_queries as sq
from tfatlas.config import load_config
from tfatlas.model.loading import sources_for
from tfatlas.model.files import model_dir
from tfatlas.store.embedded import EmbeddedStore
from tfatlas.web.app import create_app

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://w3id.org/tfatlas/"
HOSTILE = ['"', "'", "}", ">", "<", '" } ; DROP ALL ; {', "'} DROP ALL {'", "x> } ; CLEAR ALL ; { <y",
           "\\", '""" . ?s ?p ?o . """', "#", "%00"]
QUERIES = sq.discover()

# What each shipped query must answer on the seed graph: parameters, and a (column, value) that
# must occur in the rows (or, with "min_rows", how many rows at least).
EXPECTED: dict[str, dict] = {
    "who-helps": {
        "params": {"challenge": BASE + "id/challenge/agile-arbeitsweisen-einfuehren"},
        "contains": [("offerLabel", "Ausbildung zum Agile Coach"), ("provider", BASE + "id/org/bakoev")],
    },
    "actors-by-topic": {
        "params": {"topic": BASE + "id/topic/agilitaet"},
        "contains": [("actor", BASE + "id/org/bakoev"), ("topicLabel", "Agilität")],
    },
    "offers-of-actor": {
        "params": {"actor": BASE + "id/org/bakoev", "lang": "en"},
        "contains": [("offer", BASE + "id/offer/bakoev-ausbildung-agile-coach")],
    },
    "topic-overlaps": {
        "contains": [("topic", BASE + "id/topic/agilitaet")],
    },
    "changed-since": {
        "params": {"since": "2026-01-01"},
        "contains": [("resource", BASE + "id/offer/bakoev-ausbildung-agile-coach")],
    },
    "gaps": {
        # Since issue 15 every challenge has an offer; hybrid project management still has none.
        "params": {"scheme": BASE + "id/scheme/topics"},
        "contains": [("concept", BASE + "id/topic/hybrides-projektmanagement")],
    },
    # Federation: the registry is not on the seed server's allow-list, so the answer is a 403 that
    # says which setting to change (its rows are tested against a local Wikidata stand-in in
    # tests/test_federation_queries.py).
    "ministries-in-wikidata": {"federated": True},
    "units-on-date": {
        "params": {"date": "2025-01-01"},
        "contains": [("unit", BASE + "id/unit/govlabde"), ("organisation", BASE + "id/org/bmi")],
    },
}


# -- part one: the shipped queries on the seed graph ----------------------------------------------

def test_every_shipped_query_has_an_expectation():
    missing = sorted(set(QUERIES) - set(EXPECTED))
    assert not missing, f"add the seed graph's expected rows for {missing} to EXPECTED"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_shipped_query_answers_json_rows(seeded_server, name):
    expected = EXPECTED.get(name, {})
    response = requests.get(f"{seeded_server.url}/api/queries/{name}", params=expected.get("params"), timeout=30)
    if expected.get("federated"):
        assert response.status_code == 403 and "TFATLAS_SERVICE_ALLOW" in response.text, response.text
        return
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["query"] == name and isinstance(body["columns"], list) and isinstance(body["rows"], list)
    for row in body["rows"]:
        assert set(row) == set(body["columns"])
    assert len(body["rows"]) >= expected.get("min_rows", 1)
    for column, value in expected.get("contains", []):
        assert value in [row[column] for row in body["rows"]], f"{column}={value!r} missing in {name}"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_shipped_query_refuses_or_neutralises_hostile_values(seeded_server, name):
    url = f"{seeded_server.url}/api/queries/{name}"
    before = requests.get(url, timeout=30).json()
    for param in QUERIES[name].params.values():
        for value in HOSTILE:
            response = requests.get(url, params={param.name: value}, timeout=30)
            ok = 403 if EXPECTED.get(name, {}).get("federated") else 200
            assert response.status_code in (ok, 400), (param.name, value, response.text)
            if response.status_code == 400:
                assert response.json()["parameter"] == param.name
            else:
                assert param.type == "string"
    assert requests.get(url, timeout=30).json() == before


_FORMATS = [
    ("text/csv", "text/csv"),
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/tab-separated-values", "text/tab-separated-values"),
]
# CSV and TSV are defined for SELECT results only: other forms are not asked for them.
_NEGOTIATED = [(name, accept, media_type) for name in sorted(QUERIES) for accept, media_type in _FORMATS
               if QUERIES[name].form == "SELECT" or not media_type.startswith("text/")]


@pytest.mark.parametrize("name,accept,media_type", _NEGOTIATED)
def test_shipped_query_negotiates_result_formats(seeded_server, name, accept, media_type):
    response = requests.get(f"{seeded_server.url}/api/queries/{name}", headers={"Accept": accept}, timeout=30)
    if EXPECTED.get(name, {}).get("federated"):
        # this server has no registry on its allow-list: the refusal is the same in every format
        assert response.status_code == 403, response.text
        return
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert "Accept" in response.headers["Vary"]


# -- part two: binding, in-process over a fixture graph ------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = EmbeddedStore(tmp_path_factory.mktemp("api") / "store", BASE)
    store.load(sources_for([model_dir("ontology") / "vocabularies", FIXTURES / "finder-mini.ttl"], BASE))
    yield store
    store.close()


@pytest.fixture(scope="module")
def client(store):
    app = create_app(load_config(environ={}), store=store)
    app.extensions["tfatlas.queries"] = sq.Catalogue(FIXTURES / "queries")
    return app.test_client()


DRAFT = "/api/queries/offers-mini"
CHALLENGE = BASE + "id/challenge/agiles-team-aufbauen"


def test_draft_query_answers_json_by_default(client):
    body = client.get(DRAFT).get_json()
    assert body["columns"] == ["offer", "label", "provider"]
    assert {row["label"] for row in body["rows"]} == {
        "Scrum-Grundlagen für Teams", "Beratung zur agilen Transformation",
        "KI-Werkstatt: Große Sprachmodelle im Büroalltag"}
    assert body["parameters"] == {"lang": "de"}  # the declared default is bound


def test_an_iri_parameter_restricts_the_rows(client):
    body = client.get(DRAFT, query_string={"challenge": CHALLENGE}).get_json()
    assert {row["offer"] for row in body["rows"]} == {BASE + "id/offer/mini-scrum-training"}


def test_a_parameter_used_in_a_filter_is_bound_there(client):
    english = client.get(DRAFT, query_string={"lang": "en"}).get_json()
    assert "Scrum basics for teams" in {row["label"] for row in english["rows"]}


@pytest.mark.parametrize("args,param", [
    ({"challenge": "agiles-team-aufbauen"}, "challenge"),
    ({"challenge": "ftp://example.org/x"}, "challenge"),
    ({"challenge": BASE + "id/topic/scrum"}, "challenge"),  # a concept, but of another scheme
    ({"challenge": 'https://x.example/"> } ; DROP ALL ; {'}, "challenge"),
    ({"lang": "fr"}, "lang"),
    ({"nonsense": "1"}, "nonsense"),
])
def test_a_bad_parameter_is_a_400_that_names_it(client, args, param):
    response = client.get(DRAFT, query_string=args)
    assert response.status_code == 400
    assert response.get_json()["parameter"] == param and param in response.get_json()["message"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_is_bound_as_a_plain_literal_and_changes_nothing(client, store, value):
    before = store.stats().triples
    response = client.get(DRAFT, query_string={"text": value})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.get_json()["parameters"]["text"] == value
    assert store.stats().triples == before


def test_values_block_is_written_by_the_engine():
    query = sq.parse_query_file(FIXTURES / "queries" / "offers-mini.rq")
    text = sq.with_values(query.sparql, sq.bind(query, {"text": ['a" } DROP ALL { "']}))
    assert 'VALUES ?text { "a\\" } DROP ALL { \\"" }' in text
    # the comment and the string before the WHERE group do not count as its opening brace
    assert text.index("VALUES") > text.index("SELECT")


@pytest.mark.parametrize("raw,kind,expected", [
    ("2024-04-25", "date", '"2024-04-25"^^<http://www.w3.org/2001/XMLSchema#date>'),
    ("2024-04-25T10:00:00", "dateTime", '"2024-04-25T10:00:00"^^<http://www.w3.org/2001/XMLSchema#dateTime>'),
    ("+42", "integer", '"42"^^<http://www.w3.org/2001/XMLSchema#integer>'),
    ("TRUE", "boolean", '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'),
])
def test_typed_values_are_parsed(raw, kind, expected):
    assert str(sq.parse_value(sq.Param("p", kind), raw)) == expected


@pytest.mark.parametrize("raw,kind", [("2024-13-01", "date"), ("1e3", "integer"), ("yes", "boolean"),
                                      ("٣", "integer"), ("tomorrow", "dateTime")])
def test_malformed_typed_values_are_refused(raw, kind):
    with pytest.raises(sq.ParameterError):
        sq.parse_value(sq.Param("p", kind), raw)


@pytest.mark.parametrize("accept,expected", [
    (None, "application/json"),
    ("*/*", "application/json"),
    ("text/html,application/xhtml+xml,*/*;q=0.8", "application/json"),
    ("text/csv", "text/csv"),
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml;q=0.9, text/tab-separated-values", "text/tab-separated-values"),
])
def test_content_negotiation(client, accept, expected):
    response = client.get(DRAFT, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == expected
    if expected == "text/csv":
        assert next(csv.reader(io.StringIO(response.get_data(as_text=True)))) == ["offer", "label", "provider"]
    if expected == "application/sparql-results+json":
        assert json.loads(response.data)["head"]["vars"] == ["offer", "label", "provider"]


def test_format_parameter_and_406(client):
    assert client.get(DRAFT, query_string={"_format": "csv"}).headers["Content-Type"].startswith("text/csv")
    response = client.get(DRAFT, headers={"Accept": "image/png"})
    assert response.status_code == 406 and "text/csv" in response.get_json()["message"]


def test_unknown_query_is_404_listing_the_known_ones(client):
    response = client.get("/api/queries/nope")
    assert response.status_code == 404 and "offers-mini" in response.get_json()["message"]


def test_a_broken_header_is_reported_with_its_file(tmp_path):
    (tmp_path / "broken.rq").write_text("#+ params: [unclosed\nSELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(sq.QueryDefinitionError, match="broken.rq"):
        sq.discover(tmp_path)
    (tmp_path / "broken.rq").write_text("#+ params:\n#+   x: {type: colour}\nSELECT * WHERE { ?s ?p ?x }\n")
    with pytest.raises(sq.QueryDefinitionError, match="colour"):
        sq.discover(tmp_path)
