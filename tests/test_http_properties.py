"""Property-based (Hypothesis): no Accept header and no request parameters give a 5xx, on any route.

Against one live server; each example is a real HTTP request. In CI the examples are derandomised
(the same every run); locally Hypothesis explores anew each run.
"""

from __future__ import annotations

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.paths import IN_CI

pytestmark = pytest.mark.xdist_group("http-properties")

ROUTES = ["/", "/overview", "/sparql", "/id/offer/opendesk", "/id/topic/agilitaet", "/graph/",
          "/api/", "/api/queries/who-helps", "/api/queries/gaps", "/api/queries/changed-since",
          "/api/queries/offers-of-actor", "/api/queries/actors-by-topic", "/api/openapi.json",
          "/catalog", "/ontology", "/shapes", "/context.jsonld", "/.well-known/void",
          "/downloads/", "/-/health", "/-/version", "/-/metrics", "/static/style.css"]
PARAMS = ["query", "update", "format", "_format", "lang", "q", "topic", "challenge", "audience",
          "cost", "mode", "scheme", "since", "actor", "default-graph-uri", "named-graph-uri"]
TYPES = ["text/html", "application/xhtml+xml", "application/json", "application/ld+json",
         "text/turtle", "application/n-triples", "application/rdf+xml", "application/trig",
         "application/n-quads", "application/sparql-results+json", "application/sparql-results+xml",
         "text/csv", "text/tab-separated-values", "application/xml", "text/plain", "*/*", "text/*",
         "application/*", "image/png"]
SPARQL_WORDS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "*", "{", "}", "(", ")", "?s", "?p",
                "?o", "<http://example.org/x>", "\"x\"@de", "1", ".", ";", "FILTER", "OPTIONAL", "UNION",
                "GRAPH", "SERVICE", "LIMIT", "ORDER BY", "GROUP BY", "COUNT(*)", "AS", "BIND", "VALUES",
                "PREFIX", "ex:", "a", "|", "/", "^", "+"]

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)  # encodable as UTF-8
token = st.text("abcdefghijklmnopqrstuvwxyz0123456789+-.*", min_size=1, max_size=12)
media_range = st.one_of(st.sampled_from(TYPES), st.builds("{}/{}".format, token, token), text)
parameter = st.one_of(
    st.builds("q={}".format, st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str),
                                       st.integers(-5, 5).map(str), token)),
    st.builds("{}={}".format, token, token), text)
accept = st.lists(st.tuples(media_range, st.lists(parameter, max_size=3)), max_size=6).map(
    lambda ranges: ", ".join(";".join([r, *ps]) for r, ps in ranges).replace("\r", " ").replace("\n", " "))
sparql_ish = st.lists(st.sampled_from(SPARQL_WORDS), max_size=25).map(" ".join)
value = st.one_of(text, sparql_ish, st.sampled_from(["de", "en", "json", "ttl", "html", "csv", "2026-01-01",
                                                     "https://w3id.org/tfatlas/id/topic/agilitaet"]))
params = st.dictionaries(st.one_of(st.sampled_from(PARAMS), token), st.one_of(value, st.lists(value, max_size=3)),
                         max_size=5)

SETTINGS = settings(max_examples=120, deadline=None, derandomize=IN_CI, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from support.servers import Server

    running = Server(tmp_path_factory.mktemp("properties") / "store", env={"TFATLAS_QUERY_TIMEOUT": "10"})
    yield running
    running.stop()


def _no_server_error(response: requests.Response) -> None:
    assert response.status_code < 500, f"{response.request.method} {response.url} -> " \
                                       f"{response.status_code}: {response.text[:500]}"


@SETTINGS
@given(route=st.sampled_from(ROUTES), accept=accept, fmt=st.one_of(st.none(), value))
def test_content_negotiation_never_gives_a_server_error(server, route, accept, fmt):
    query = {"query": "ASK {}"} if route == "/sparql" else {}
    if fmt is not None:
        query["format" if route in ("/sparql",) else "_format"] = fmt
    response = requests.get(server.url + route, params=query, timeout=60,
                            headers={"Accept": accept.encode("utf-8").decode("latin-1").strip()})
    _no_server_error(response)


@SETTINGS
@given(route=st.sampled_from(ROUTES), query=params)
def test_request_parameters_never_give_a_server_error(server, route, query):
    _no_server_error(requests.get(server.url + route, params=query, timeout=60))


@SETTINGS
@given(form=params, content_type=st.sampled_from(["application/x-www-form-urlencoded",
                                                   "application/sparql-query", "application/sparql-update"]))
def test_posts_to_the_endpoint_never_give_a_server_error(server, form, content_type):
    if content_type == "application/x-www-form-urlencoded":
        response = requests.post(server.url + "/sparql", data=form, timeout=60)
    else:
        body = " ".join(str(v) for v in form.values()).encode("utf-8")
        response = requests.post(server.url + "/sparql", data=body, timeout=60,
                                 headers={"Content-Type": content_type})
    _no_server_error(response)


def test_the_server_is_still_correct_afterwards(server):
    response = requests.get(server.url + "/sparql", timeout=60, headers={"Accept": "application/sparql-results+json"},
                            params={"query": "ASK { <https://w3id.org/tfatlas/id/offer/opendesk> ?p ?o }"})
    assert response.status_code == 200 and response.json()["boolean"] is True
    assert "Traceback" not in server.output()
