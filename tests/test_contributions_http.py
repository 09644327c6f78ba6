"""Actors' writes over HTTP against the live server (issue 10): every interface refuses what is
not the account's (403) and leaves the store unchanged; the shape examples as writes; bad input;
history; rate limits; accounts made and revoked with the CLI while the server runs."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest
import requests

from support.contributions import (BASE, EXAMPLES, PREFIXES, cli_account, offer_ttl, server_state,
                                  operators_write as _operators)
from support.servers import Server, tfatlas_command

ADMIN = "operator-token-written-for-the-test"
GSP = "/rdf-graphs/service"
TTL = {"Content-Type": "text/turtle"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("contrib-http") / "store"
    s = Server(store, env={"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(ADMIN.encode()).hexdigest(),
                           "TFATLAS_MAX_BODY_BYTES": "200000"})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def bva(server):
    return cli_account(server.store, "bva")[1]


def auth(token: str, **more) -> dict:
    return {"Authorization": f"Bearer {token}", **more}


def gsp(server, method, graph, token, body=b"", content_type="text/turtle", **headers):
    url = f"{server.url}{GSP}?graph={graph}" if graph else f"{server.url}{GSP}?default"
    return requests.request(method, url, data=body, timeout=60,
                            headers=auth(token, **({"Content-Type": content_type} if content_type else {}), **headers))


def update(server, token, text, direct=False):
    if direct:
        return requests.post(f"{server.url}/sparql", data=text.encode(), timeout=60,
                             headers=auth(token, **{"Content-Type": "application/sparql-update"}))
    return requests.post(f"{server.url}/sparql", data={"update": text}, headers=auth(token), timeout=60)


# -- acceptance 2: nothing that is not the account's, through any interface ----------------------

STATEMENT = '<{s}> <http://www.w3.org/2000/01/rdf-schema#comment> "geändert (für den Test)"@de .'
TARGETS = {
    "another actor's resource": BASE + "id/org/zendis",
    "a concept": BASE + "id/topic/scrum",
    "the ontology": "https://w3id.org/tfatlas/ontology#Offer",
    "the shapes": "https://w3id.org/tfatlas/shapes#OfferShape",
}


def _attempts(server, token, own_graph):
    """(interface, request) pairs that each try to write something that is not the account's."""
    other_graph = BASE + "graph/actor/zendis"
    for what, subject in TARGETS.items():
        body = STATEMENT.format(s=subject)
        yield f"GSP PUT {what}", lambda b=body: gsp(server, "PUT", own_graph, token, b.encode())
        yield f"GSP POST {what}", lambda b=body: gsp(server, "POST", own_graph, token, b.encode())
        yield f"GSP POST ?default {what}", lambda b=body: gsp(server, "POST", None, token, b.encode())
        yield f"update form {what}", lambda b=body: update(server, token, f"INSERT DATA {{ {b} }}")
        yield f"update direct {what}", lambda b=body: update(server, token, f"INSERT DATA {{ GRAPH <{own_graph}> {{ {b} }} }}", True)
    body = STATEMENT.format(s="https://example.org/mein-ding")
    for method in ("PUT", "POST", "DELETE"):
        yield f"GSP {method} another actor's graph", lambda m=method: gsp(server, m, other_graph, token, body.encode())
    yield "GSP PUT a seed graph", lambda: gsp(server, "PUT", BASE + "graph/data/next-verein", token, body.encode())
    yield "update another graph", lambda: update(server, token, f"INSERT DATA {{ GRAPH <{other_graph}> {{ {body} }} }}")
    yield "update several graphs", lambda: update(
        server, token, f"INSERT DATA {{ GRAPH <{own_graph}> {{ {body} }} GRAPH <{other_graph}> {{ {body} }} }}")
    yield "update CLEAR ALL", lambda: update(server, token, "CLEAR ALL")
    yield "update WITH a seed graph", lambda: update(
        server, token, f"WITH <{BASE}graph/data/next-verein> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}")
    yield "update using-graph-uri", lambda: requests.post(
        f"{server.url}/sparql", params={"using-graph-uri": BASE + "graph/data/next-verein"},
        data="DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }".encode(), timeout=60,
        headers=auth(token, **{"Content-Type": "application/sparql-update"}))


def test_an_account_writes_nothing_that_is_not_its_own_through_any_interface(server, bva):
    own = BASE + "graph/actor/bva"
    before = server_state(server.url)
    tried = 0
    for name, attempt in _attempts(server, bva, own):
        response = attempt()
        assert response.status_code == 403, (name, response.status_code, response.text)
        assert "nichts geändert" in response.text or "nothing was changed" in response.text, name
        tried += 1
    assert tried >= 25
    assert server_state(server.url) == before
    # An update sees only the account's graph: deleting another actor's statements removes nothing.
    for subject in TARGETS.values():
        assert update(server, bva, f"DELETE WHERE {{ <{subject}> ?p ?o }}").status_code == 204
    assert server_state(server.url) == before
    assert requests.get(server.url + "/-/health").status_code == 200


# -- acceptance 3: the shape examples as writes -------------------------------------------------



def _expected_violation(path) -> str | None:
    for line in path.read_text().splitlines():
        if line.startswith("# expect: sh:Violation"):
            return line.split("sh:Violation", 1)[1].strip()
    return None


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*/*.ttl")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_shape_examples_sent_as_writes(server, path):
    if _operators(path):
        token, graph = ADMIN, BASE + "graph/user/examples"
        # the examples describe the same Beispiel GmbH: one graph at a time holds it
        gsp(server, "DELETE", BASE + "graph/actor/beispiel-gmbh", _beispiel(server), content_type=None)
    else:
        token, graph = _beispiel(server), BASE + "graph/actor/beispiel-gmbh"
    expected = _expected_violation(path)
    before = server_state(server.url)
    response = gsp(server, "PUT", graph, token, path.read_bytes(), Accept="application/json")
    try:
        if expected is None:
            assert response.status_code in (200, 201, 204), response.text
            return
        assert response.status_code == 422, response.text
        report = response.json()["report"]
        focus = {group["focusNode"] for group in report["focusNodes"] for r in group["results"]
                 if r["severity"] == "Violation" and r["path"] == expected}
        assert focus and all(f and f.startswith(("https://", "http://")) for f in focus), report
        assert server_state(server.url) == before
    finally:
        if _operators(path):
            gsp(server, "DELETE", graph, ADMIN, content_type=None)


_BEISPIEL: list[str] = []


def _beispiel(server) -> str:
    if not _BEISPIEL:
        _BEISPIEL.append(cli_account(server.store, "beispiel-gmbh")[1])
    return _BEISPIEL[0]


def test_a_refusal_carries_the_report_as_turtle_or_jsonld(server):
    token = _beispiel(server)
    body = (EXAMPLES / "offer" / "invalid-no-provider.ttl").read_bytes()
    graph = BASE + "graph/actor/beispiel-gmbh"
    turtle = gsp(server, "PUT", graph, token, body, Accept="text/turtle")
    assert turtle.status_code == 422 and turtle.headers["Content-Type"].startswith("text/turtle")
    assert "ValidationReport" in turtle.text and "beispiel-scrum-grundlagen" in turtle.text
    jsonld = gsp(server, "PUT", graph, token, body, Accept="application/ld+json")
    assert jsonld.status_code == 422 and "http://www.w3.org/ns/shacl#ValidationReport" in jsonld.text
    text_en = gsp(server, "PUT", graph, token, body, **{"Accept-Language": "en"})
    assert "No provider is given" in text_en.text and "tfa:providedBy" in text_en.text
    text_de = gsp(server, "PUT", graph, token, body, **{"Accept-Language": "de"})
    assert "nichts gespeichert" in text_de.text


# -- bad input ----------------------------------------------------------------------------------

def test_bad_input_is_a_clear_4xx_and_changes_nothing(server, bva):
    graph = BASE + "graph/actor/bva"
    before = server_state(server.url)
    cases = {
        "no content type": (gsp(server, "PUT", graph, bva, b"<a> <b> <c> .", content_type=None), 415),
        "html": (gsp(server, "PUT", graph, bva, b"<p>hi</p>", content_type="text/html"), 415),
        "malformed turtle": (gsp(server, "PUT", graph, bva, b'<http://e.org/a> <http://e.org/p> "x" .\n<a> <b>'), 400),
        "malformed json-ld": (gsp(server, "PUT", graph, bva, b'{"@id": ', content_type="application/ld+json"), 400),
        "malformed rdf/xml": (gsp(server, "PUT", graph, bva, b"<rdf:RDF", content_type="application/rdf+xml"), 400),
        "malformed n-triples": (gsp(server, "PUT", graph, bva, b"<a> <b> .\n", content_type="application/n-triples"), 400),
        "remote context": (gsp(server, "PUT", graph, bva, json.dumps({"@context": "https://example.org/ctx",
                                                                       "@id": "https://example.org/x"}).encode(),
                               content_type="application/ld+json"), 400),
        "external entity": (gsp(server, "PUT", graph, bva,
                                b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                                b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
                                content_type="application/rdf+xml"), 400),
        "unknown token": (gsp(server, "PUT", graph, "tfa_unknown", b"<a> <b> <c> ."), 401),
        "no token": (requests.put(f"{server.url}{GSP}?graph={graph}", data=b"x", headers=TTL), 401),
        "no graph named": (requests.put(f"{server.url}{GSP}", data=b"x", headers=auth(bva, **TTL)), 400),
        "graph and default": (requests.put(f"{server.url}{GSP}?graph={graph}&default", data=b"x",
                                           headers=auth(bva, **TTL)), 400),
        "too large": (gsp(server, "PUT", graph, bva, b"#" * 300000), 413),
        "too large, chunked": (requests.put(f"{server.url}{GSP}?graph={graph}", timeout=60,
                                            data=(b"#" * 1000 for _ in range(300)), headers=auth(bva, **TTL)), 413),
    }
    for name, (response, status) in cases.items():
        assert response.status_code == status, (name, response.status_code, response.text)
        assert response.text.strip(), name
    assert "line 2" in cases["malformed turtle"][0].text or "Zeile 2" in cases["malformed turtle"][0].text
    assert "root:" not in cases["external entity"][0].text
    assert server_state(server.url) == before
    assert requests.get(server.url + "/-/health").status_code == 200


# -- accepted writes, history, the CLI while serving --------------------------------------------

def test_a_new_actor_writes_sees_its_history_and_loses_access_when_revoked(server):
    account_id, token = cli_account(server.store, "probe-gmbh")
    actor = BASE + "id/org/probe-gmbh"
    graph = BASE + "graph/actor/probe-gmbh"
    body = PREFIXES + f"""<{actor}> a tfa:TransformationActor , org:FormalOrganization ;
        rdfs:label "Probe GmbH (für den Test)"@de ; dct:source <https://example.org/test-quelle> .
    """ + offer_ttl("probe-angebot", actor)
    created = gsp(server, "PUT", graph, token, body.encode())
    assert created.status_code == 201, created.text
    activity = created.json()["activity"]
    assert 'rel="http://www.w3.org/ns/prov#has_provenance"' in created.headers["Link"]
    changed = update(server, token, f'DELETE {{ ?o <http://www.w3.org/2000/01/rdf-schema#label> ?l }} '
                                    f'INSERT {{ ?o <http://www.w3.org/2000/01/rdf-schema#label> "Neu benannt (Test)"@de }} '
                                    f'WHERE {{ ?o <http://www.w3.org/2000/01/rdf-schema#label> ?l '
                                    f'FILTER(?o = <{BASE}id/offer/probe-angebot> && lang(?l) = "de") }}')
    assert changed.status_code in (200, 204), changed.text
    found = requests.get(f"{server.url}/sparql", params={"query": f'ASK {{ <{BASE}id/offer/probe-angebot> '
                                                                 f'<http://www.w3.org/2000/01/rdf-schema#label> "Neu benannt (Test)"@de }}'},
                         headers={"Accept": "application/sparql-results+json"})
    assert found.json()["boolean"] is True  # the next query sees the write
    page = requests.get(f"{server.url}/graph/actor/probe-gmbh/history", headers={"Accept": "text/html"})
    assert page.status_code == 200 and activity.rsplit("/", 1)[1] in page.text and "sparql-update" in page.text
    assert "Neu benannt (Test)" in page.text
    rdf = requests.get(f"{server.url}/graph/actor/probe-gmbh/history", headers={"Accept": "text/turtle"})
    assert rdf.status_code == 200 and "prov:Activity" in rdf.text and "tfa:triplesAdded" in rdf.text
    assert requests.get(f"{server.url}/graph/actor/niemand/history").status_code == 404
    # revoked with the CLI while the server runs: the next write is 401, nothing changes
    done = subprocess.run(tfatlas_command() + ["--store", str(server.store), "account", "revoke", account_id],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    before = server_state(server.url)
    refused = gsp(server, "PUT", graph, token, body.encode())
    assert refused.status_code == 401 and "widerrufen" in refused.text
    assert server_state(server.url) == before
    listed = subprocess.run(tfatlas_command() + ["--store", str(server.store), "account", "list", "--json"],
                            capture_output=True, text=True)
    entry = next(a for a in json.loads(listed.stdout) if a["id"] == account_id)
    assert entry["revoked"] and token not in listed.stdout


def test_rate_limit_gives_a_clear_429(tmp_path):
    store = tmp_path / "store"
    server = Server(store, env={"TFATLAS_WRITE_RATE_LIMIT": "2"})
    try:
        token = cli_account(store, "limit-gmbh")[1]
        graph = BASE + "graph/actor/limit-gmbh"
        body = b"<https://example.org/limit/x> <http://www.w3.org/2000/01/rdf-schema#label> \"x (Test)\" ."
        statuses = [gsp(server, "PUT", graph, token, body).status_code for _ in range(2)]
        assert statuses == [201, 204]
        before = server_state(server.url)
        limited = gsp(server, "POST", graph, token, body.replace(b"x (Test)", b"y (Test)"))
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert "2" in limited.text and server_state(server.url) == before
        other = cli_account(store, "other-gmbh")[1]  # per account: another one still writes
        assert gsp(server, "PUT", BASE + "graph/actor/other-gmbh", other,
                   body.replace(b"/limit/x", b"/limit/other")).status_code == 201
    finally:
        server.stop()


def test_the_atlas_authorises_writes_also_over_a_remote_store(tmp_path):
    """Oxigraph's server has no authentication: the atlas in front of it enforces accounts,
    ownership and the gate, and the data lands on the remote server."""
    from support.servers import OxigraphServer

    oxigraph = OxigraphServer(tmp_path / "oxigraph")
    accounts = tmp_path / "accounts.json"
    env = {"TFATLAS_STORE_URL": oxigraph.url, "TFATLAS_ACCOUNTS_FILE": str(accounts)}
    try:
        init = subprocess.run(tfatlas_command() + ["--store-url", oxigraph.url, "init", "--no-progress"],
                              capture_output=True, text=True, timeout=600)
        assert init.returncode == 0, init.stderr
        made = subprocess.run(tfatlas_command() + ["account", "add", "--actor", "fern-gmbh"], capture_output=True,
                              text=True, env={**__import__("os").environ, **env})
        assert made.returncode == 0, made.stderr
        token = made.stdout.splitlines()[-1].strip()
        server = Server(tmp_path / "unused-store", env=env)
        try:
            graph = BASE + "graph/actor/fern-gmbh"
            actor = BASE + "id/org/fern-gmbh"
            body = PREFIXES + f"""<{actor}> a tfa:TransformationActor , org:FormalOrganization ;
                rdfs:label "Fern GmbH (für den Test)"@de ; dct:source <https://example.org/test-quelle> .
            """ + offer_ttl("fern-angebot", actor)
            assert gsp(server, "PUT", graph, token, body.encode()).status_code == 201
            direct = requests.post(oxigraph.url + "/query", data={"query": f"ASK {{ GRAPH <{graph}> {{ "
                                   f"<{BASE}id/offer/fern-angebot> ?p ?o }} }}"},
                                   headers={"Accept": "application/sparql-results+json"})
            assert direct.json()["boolean"] is True
            before = server_state(server.url)
            assert gsp(server, "POST", graph, token, STATEMENT.format(s=BASE + "id/org/zendis").encode()).status_code == 403
            bad = (EXAMPLES / "offer" / "invalid-no-provider.ttl").read_bytes()
            assert gsp(server, "PUT", graph, token, bad).status_code == 422
            assert server_state(server.url) == before
        finally:
            server.stop()
    finally:
        oxigraph.stop()


def test_an_actor_graph_page_links_its_history(server):
    token = cli_account(server.store, "link-gmbh")[1]
    body = b"<https://example.org/link/x> <http://www.w3.org/2000/01/rdf-schema#label> \"x (Test)\" ."
    assert gsp(server, "PUT", BASE + "graph/actor/link-gmbh", token, body).status_code == 201
    page = requests.get(server.url + "/graph/actor/link-gmbh?lang=en", headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'href="/graph/actor/link-gmbh/history?lang=en"' in page.text
    assert requests.get(server.url + "/graph/actor/link-gmbh/history?lang=en").status_code == 200
    described = requests.get(server.url + "/sparql", headers={"Accept": "text/turtle"})
    assert "SPARQL11Update" in described.text  # accounts can update


def test_handover_with_the_cli_then_the_actor_edits_its_seed_entry(tmp_path):
    store = tmp_path / "store"
    cli = lambda *args: subprocess.run(tfatlas_command() + ["--store", str(store), *args],  # noqa: E731
                                       capture_output=True, text=True, timeout=600)
    assert cli("init", "--no-progress").returncode == 0
    token = cli_account(store, "bva")[1]
    label = BASE + "id/org/bva"
    server = Server(store)
    try:  # before the hand-over the seed entry is not the actor's
        refused = update(server, token, f'INSERT DATA {{ <{label}> <http://www.w3.org/2000/01/rdf-schema#label> "Federal Office of Administration"@en }}')
        assert refused.status_code == 403 and ("übergeben" in refused.text or "hand" in refused.text)
    finally:
        server.stop()
    done = cli("account", "handover", "--actor", "bva")
    assert done.returncode == 0 and "moved" in done.stdout, done.stderr
    server = Server(store)
    try:
        before = requests.get(f"{server.url}/id/org/bva", headers={"Accept": "application/n-triples"}).text
        accepted_ = update(server, token, f'INSERT DATA {{ <{label}> <http://www.w3.org/2000/01/rdf-schema#comment> "Geändert vom Akteur (Test)"@de }}')
        assert accepted_.status_code in (200, 204), accepted_.text
        after = requests.get(f"{server.url}/id/org/bva", headers={"Accept": "application/n-triples"}).text
        assert "Geändert vom Akteur (Test)" in after and len(after) > len(before)
        history = requests.get(f"{server.url}/graph/actor/bva/history.ttl").text
        assert '"handover"' in history and '"sparql-update"' in history
    finally:
        server.stop()
