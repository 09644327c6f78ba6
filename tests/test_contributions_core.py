"""The core of actors' writes (issue 10), against a real embedded store with the seed data:
accounts, body parsing, ownership, the SHACL gate, history, SPARQL Update limited to one graph,
hand-over. No HTTP here (the interfaces have their own tests)."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import stat
import threading

import pyoxigraph as ox
import pytest

from tfatlas.contributions import Accounts, Contributions
from tfatlas.contributions.errors import (BadBody, Forbidden, NotFound, RateLimited, ShapesViolated,
                                          Unauthorized, UnsupportedMediaType)
from tfatlas.contributions.handover import candidates, handover
from tfatlas.contributions.ratelimit import RateLimiter
from tfatlas.contributions.rdf_input import parse_body
from tfatlas.contributions.terms import history_graph
from tfatlas.errors import InputError

from support.contributions import EXAMPLES as EXAMPLE_DIR, operators_write as _operators
from support.contributions import BASE, PREFIXES, copy_store, dataset, offer_ttl, seeded_template, triples_of

TTL = "text/turtle"
HISTORY = history_graph(BASE)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return seeded_template(tmp_path_factory)


@pytest.fixture
def store(template, tmp_path):
    s = copy_store(template, tmp_path / "store")
    yield s
    s.close()


@pytest.fixture
def atlas(store, tmp_path):
    accounts = Accounts(tmp_path / "store" / "accounts.json", BASE)
    notices = []
    service = Contributions(store, accounts, hooks=[notices.append])
    service.notices = notices
    return service


def account(atlas, actor):
    acc, token = atlas.accounts.add(actor, "written for the test")
    return atlas.authenticate(f"Bearer {token}")


# -- accounts ----------------------------------------------------------------------------------------

def test_account_token_is_shown_once_and_only_its_hash_is_kept(tmp_path):
    accounts = Accounts(tmp_path / "accounts.json", BASE)
    acc, token = accounts.add("bva", "Referat Z (für den Test)")
    assert acc.actor == BASE + "id/org/bva" and acc.graph == BASE + "graph/actor/bva"
    text = (tmp_path / "accounts.json").read_text()
    assert token not in text and token[4:] not in text
    assert stat.S_IMODE(os.stat(tmp_path / "accounts.json").st_mode) == 0o600
    assert accounts.authenticate(token).id == acc.id
    listed = accounts.list()
    assert [a["id"] for a in listed] == [acc.id] and "sha256" not in listed[0]
    # by IRI gives the same actor
    other, _ = accounts.add(BASE + "id/org/bva")
    assert other.graph == acc.graph and other.id != acc.id


def test_revoked_and_unknown_tokens_are_401(tmp_path):
    accounts = Accounts(tmp_path / "accounts.json", BASE)
    acc, token = accounts.add("zendis")
    with pytest.raises(Unauthorized):
        accounts.authenticate("tfa_not-a-token")
    assert accounts.revoke(acc.id) == [acc.id]
    with pytest.raises(Unauthorized, match="revoked"):
        accounts.authenticate(token)
    # another process (the CLI) revoking is seen by a running server's Accounts object
    acc2, token2 = accounts.add("zendis")
    server_side = Accounts(tmp_path / "accounts.json", BASE)
    assert server_side.authenticate(token2).id == acc2.id
    Accounts(tmp_path / "accounts.json", BASE).revoke("zendis")
    with pytest.raises(Unauthorized):
        server_side.authenticate(token2)


@pytest.mark.parametrize("bad", ["", "BVA", "../bva", "https://example.org/org/bva", "a/b"])
def test_actor_must_be_a_slug_or_an_atlas_actor_iri(tmp_path, bad):
    with pytest.raises(InputError):
        Accounts(tmp_path / "accounts.json", BASE).add(bad)


def test_admin_token_is_the_operator(store, tmp_path):
    import hashlib

    service = Contributions(store, Accounts(tmp_path / "a.json", BASE),
                            admin_sha256=hashlib.sha256(b"admin-secret").hexdigest())
    assert service.authenticate("Bearer admin-secret").admin
    with pytest.raises(Unauthorized):
        service.authenticate(None)
    with pytest.raises(Unauthorized):
        service.authenticate("Basic abc")


# -- parsing bodies ----------------------------------------------------------------------------------

def _counting_server():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.end_headers()
            self.wfile.write(b'{"@context": {"p": "http://example.org/p"}}')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


def test_each_format_parses():
    bodies = {
        "text/turtle": b'<http://e.org/a> <http://e.org/p> "x" .',
        "application/n-triples": b'<http://e.org/a> <http://e.org/p> "x" .\n',
        "application/ld+json": json.dumps({"@context": BASE + "ontology/context.jsonld",
                                           "id": "http://e.org/a", "label": {"de": "x"}}).encode(),
        "application/rdf+xml": b'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY ex "http://e.org/">]>'
                               b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://e.org/">'
                               b'<rdf:Description rdf:about="&ex;a"><ex:p>x</ex:p></rdf:Description></rdf:RDF>',
        "application/trig": b'<http://e.org/g> { <http://e.org/a> <http://e.org/p> "x" . }',
        "application/n-quads": b'<http://e.org/a> <http://e.org/p> "x" <http://e.org/g> .\n',
    }
    for media_type, body in bodies.items():
        quads, _ = parse_body(body, media_type + "; charset=utf-8", base_iri=BASE)
        assert len(quads) == 1 and quads[0].subject == ox.NamedNode("http://e.org/a"), media_type
    label = parse_body(bodies["application/ld+json"], "application/ld+json", base_iri=BASE)[0][0]
    assert label.predicate.value == "http://www.w3.org/2000/01/rdf-schema#label"


def test_malformed_bodies_name_line_and_column():
    with pytest.raises(BadBody, match=r"line 2, column \d+"):
        parse_body(b'<http://e.org/a> <http://e.org/p> "x" .\n<http://e.org/a> <http://e.org/p> "y', TTL, base_iri=BASE)
    with pytest.raises(BadBody, match=r"line 1, column \d+"):
        parse_body(b'{"@id": "http://e.org/a", ', "application/ld+json", base_iri=BASE)
    with pytest.raises(BadBody) as raised:
        parse_body(b'<http://e.org/a> <http://e.org/p> .', TTL, base_iri=BASE)
    assert "Zeile 1" in raised.value.in_language("de")


@pytest.mark.parametrize("content_type", [None, "", "text/html", "application/octet-stream",
                                          "text/turtle; charset=latin-1"])
def test_wrong_or_missing_content_type_is_415(content_type):
    with pytest.raises(UnsupportedMediaType):
        parse_body(b'<http://e.org/a> <http://e.org/p> "x" .', content_type, base_iri=BASE)


def test_remote_jsonld_context_is_never_fetched():
    server, hits = _counting_server()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/ctx.jsonld"
        for doc in ({"@context": url, "@id": "http://e.org/a", "p": "x"},
                    {"@context": [{"q": "http://e.org/q"}, url], "@id": "http://e.org/a"},
                    {"@context": {"@import": url}, "@id": "http://e.org/a"},
                    {"@id": "http://e.org/a", "http://e.org/p": {"@context": url, "@id": "http://e.org/b"}}):
            with pytest.raises(BadBody, match="not fetched|@import"):
                parse_body(json.dumps(doc).encode(), "application/ld+json", base_iri=BASE)
        assert hits == []
    finally:
        server.shutdown()


def test_rdfxml_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret")
    server, hits = _counting_server()
    try:
        for decl in (f'<!ENTITY x SYSTEM "file://{secret}">',
                     f'<!ENTITY x SYSTEM "http://127.0.0.1:{server.server_address[1]}/x">',
                     '<!ENTITY % p SYSTEM "http://127.0.0.1/p"> %p;',
                     '<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">'):
            body = (f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{decl}]>'
                    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://e.org/">'
                    '<rdf:Description rdf:about="http://e.org/a"><ex:p>&x;</ex:p></rdf:Description></rdf:RDF>').encode()
            with pytest.raises(BadBody) as raised:
                parse_body(body, "application/rdf+xml", base_iri=BASE)
            assert "the secret" not in raised.value.in_language("en")
        assert hits == []
    finally:
        server.shutdown()


# -- accepted writes, history, dct:modified ----------------------------------------------------------

def test_new_actor_puts_its_offer_and_history_records_it(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    body = (EXAMPLE_DIR / "offer" / "valid-offer.ttl").read_bytes()
    result = atlas.put(acc, acc.graph, body, TTL)
    assert result.activity and result.created and result.added > 10 and result.removed == 0
    stored = triples_of(store, acc.graph)
    offer = ox.NamedNode(BASE + "id/offer/beispiel-scrum-grundlagen")
    modified = [t.object.value for t in stored if t.subject == offer and t.predicate.value.endswith("/modified")]
    assert modified == [dt.datetime.now(dt.timezone.utc).date().isoformat()]  # set by the atlas
    rows = list(store.query(f"""
        PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX tfa: <https://w3id.org/tfatlas/ontology#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?added ?removed ?via ?actor ?when (COUNT(?st) AS ?statements) WHERE {{ GRAPH <{HISTORY}> {{
          <{result.activity}> a prov:Activity ; tfa:changedGraph <{acc.graph}> ; tfa:viaInterface ?via ;
            tfa:triplesAdded ?added ; tfa:triplesRemoved ?removed ; prov:endedAtTime ?when ;
            prov:wasAssociatedWith <{acc.iri(BASE)}>, ?actor ; prov:influenced <{offer.value}> ;
            tfa:addedStatement ?st . ?st rdf:subject ?s .
          <{acc.iri(BASE)}> prov:actedOnBehalfOf ?actor . FILTER(?actor != <{acc.iri(BASE)}>) }} }}
        GROUP BY ?added ?removed ?via ?actor ?when"""))
    assert len(rows) == 1
    row = rows[0]
    assert (int(row["added"].value), int(row["removed"].value), row["via"].value) == (result.added, 0, "gsp")
    assert row["actor"].value == acc.actor and int(row["statements"].value) == result.added
    history = str(list(store.query(f"SELECT * WHERE {{ GRAPH <{HISTORY}> {{ ?s ?p ?o }} }}")))
    assert "written for the test" not in history and "sha256" not in history  # no label, no hash
    assert atlas.notices and atlas.notices[-1].activity == result.activity


def test_warnings_come_back_with_an_accepted_write(atlas):
    acc = account(atlas, "beispiel-gmbh")
    body = (EXAMPLE_DIR / "offer" / "valid-with-warning-no-challenge-no-contact-no-english.ttl").read_bytes()
    result = atlas.put(acc, acc.graph, body, TTL)
    assert result.activity and {f.path for f in result.warnings} >= {"rdfs:label", "tfa:addressesChallenge"}


def test_same_body_twice_changes_nothing_the_second_time(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    body = offer_ttl("zweimal", acc.actor) + _actor(acc)
    assert atlas.put(acc, None, body.encode(), TTL).activity
    before = dataset(store)
    again = atlas.put(acc, acc.graph, body.encode(), TTL)  # the same contact point, a new blank node
    assert again.activity is None and dataset(store) == before
    merged = atlas.post(acc, acc.graph, body.encode(), TTL)  # POST merges: a second contact point
    assert merged.added == 3 and merged.removed == 0


def _actor(acc) -> str:
    return PREFIXES + f"""
<{acc.actor}> a tfa:TransformationActor , org:FormalOrganization ;
    rdfs:label "Beispiel GmbH (für den Test)"@de , "Example Ltd (for the test)"@en ;
    dct:source <https://example.org/test-quelle> .
<https://example.org/test-quelle> a foaf:Document ; dct:title "Testquelle (für den Test geschrieben)"@de .
"""


# -- refusals leave the store unchanged --------------------------------------------------------------

def refused(atlas, store, error, call, *args, match=None, **kwargs):
    before = dataset(store)
    with pytest.raises(error, match=match) as raised:
        call(*args, **kwargs)
    assert dataset(store) == before
    return raised.value


def test_another_actors_graph_is_refused(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    refused(atlas, store, Forbidden, atlas.put, acc, BASE + "graph/actor/bva", offer_ttl("x", acc.actor).encode(), TTL,
            match="writes only its actor's graph")
    refused(atlas, store, Forbidden, atlas.put, acc, BASE + "graph/data/next-verein", b"", TTL)


@pytest.mark.parametrize("subject, why", [
    ("orgs:zendis", "is another actor|described in"),           # another actor (seed)
    ("topic:scrum", "vocabularies"),                          # a concept
    ("tfa:Offer", "vocabularies"),                            # the ontology
    ("<https://w3id.org/tfatlas/shapes#OfferShape>", "vocabularies"),  # the shapes
    ("orgs:bva", "described in"),                             # itself, but from the seed: hand-over first
])
def test_statements_about_what_is_not_the_accounts_are_403(atlas, store, subject, why):
    acc = account(atlas, "bva")
    body = PREFIXES + f'{subject} rdfs:comment "geändert (für den Test)"@de .\n'
    error = refused(atlas, store, Forbidden, atlas.post, acc, acc.graph, body.encode(), TTL, match=why)
    assert error.status == 403


def test_other_accounts_actor_cannot_be_described(atlas, store):
    account(atlas, "zendis-neu")
    acc = account(atlas, "beispiel-gmbh")
    body = _actor(acc).replace(acc.actor, BASE + "id/org/zendis-neu")
    refused(atlas, store, Forbidden, atlas.put, acc, acc.graph, body.encode(), TTL, match="another actor")


def test_minting_a_concept_or_another_organisation_is_403(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    concept = PREFIXES + """<https://example.org/mein-begriff> a skos:Concept ;
        skos:prefLabel "Begriff (Test)"@de , "Concept (test)"@en ; skos:inScheme <https://w3id.org/tfatlas/id/scheme/topics> ."""
    refused(atlas, store, Forbidden, atlas.put, acc, acc.graph, concept.encode(), TTL, match="operator")
    other_org = _actor(acc) + PREFIXES + """orgs:fremd-gmbh a tfa:TransformationActor , org:FormalOrganization ;
        rdfs:label "Fremd GmbH (Test)"@de ; dct:source <https://example.org/test-quelle> .
        <https://example.org/test-quelle> a foaf:Document ; dct:title "Testquelle"@de ."""
    refused(atlas, store, Forbidden, atlas.put, acc, acc.graph, other_org.encode(), TTL, match="organisation other")


def test_an_offer_attributed_to_another_actor_is_403(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    body = _actor(acc) + offer_ttl("fremd", BASE + "id/org/zendis")
    refused(atlas, store, Forbidden, atlas.put, acc, acc.graph, body.encode(), TTL, match="neither your actor")


def test_claiming_a_seed_unit_of_another_actor_is_403(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    body = _actor(acc) + PREFIXES + f"<{acc.actor}> org:hasUnit unit:govlabde .\n" \
        + '<https://example.org/test-quelle> a foaf:Document ; dct:title "Testquelle"@de .'
    refused(atlas, store, Forbidden, atlas.put, acc, acc.graph, body.encode(), TTL, match="neither your actor")


def test_a_unit_of_ones_own_is_accepted_and_another_is_not(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    mine = _actor(acc) + PREFIXES + f"""unit:beispiel-referat a org:OrganizationalUnit ;
        rdfs:label "Referat Beispiel (Test)"@de ; org:unitOf <{acc.actor}> ; dct:source <https://example.org/test-quelle> .
        <https://example.org/test-quelle> a foaf:Document ; dct:title "Testquelle"@de .
    """ + offer_ttl("vom-referat", BASE + "id/unit/beispiel-referat", describe_source=False)
    assert atlas.put(acc, acc.graph, mine.encode(), TTL).activity
    theirs = mine.replace(f"org:unitOf <{acc.actor}>", "org:unitOf orgs:zendis")
    refused(atlas, store, Forbidden, atlas.put, acc, acc.graph, theirs.encode(), TTL)


def test_an_offer_without_iri_is_403_an_anonymous_person_is_not(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    body = PREFIXES + '[] a tfa:Offer ; rdfs:label "niemandes Angebot (Test)"@de .'
    refused(atlas, store, Forbidden, atlas.post, acc, acc.graph, body.encode(), TTL, match="without an IRI")
    # an anonymous resource of another kind is the account's own (a GSP client's "[] a foaf:Person")
    assert atlas.post(acc, acc.graph, (PREFIXES + '[] a foaf:Person ; foaf:name "Alice (Test)" .').encode(), TTL).activity


def test_trig_body_naming_another_graph_is_403(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    body = f'<{BASE}graph/actor/bva> {{ <https://example.org/x> <http://www.w3.org/2000/01/rdf-schema#label> "x" }}'
    refused(atlas, store, Forbidden, atlas.put, acc, acc.graph, body.encode(), "application/trig")


def test_malformed_body_is_400_and_changes_nothing(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    refused(atlas, store, BadBody, atlas.put, acc, acc.graph, b"<a> <b> ", TTL, match="line 1")


# -- the SHACL gate ----------------------------------------------------------------------------------



def test_a_violation_is_422_with_focus_node_and_path(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    body = (EXAMPLE_DIR / "offer" / "invalid-topic-from-wrong-scheme.ttl").read_bytes()
    error = refused(atlas, store, ShapesViolated, atlas.put, acc, acc.graph, body, TTL)
    assert error.status == 422
    focus = {str(f.focus) for f in error.report.violations}
    assert BASE + "id/offer/beispiel-scrum-grundlagen" in focus
    assert "tfa:hasTopic" in {f.path for f in error.report.violations}
    assert "sh:ValidationReport" in error.report.turtle() or "ValidationReport" in error.report.turtle()
    assert "nichts gespeichert" in error.in_language("de")


def test_a_change_that_breaks_a_related_node_is_refused(atlas, store):
    """Removing the unit an offer is provided by breaks the offer, which the change does not touch."""
    acc = account(atlas, "beispiel-gmbh")
    unit = PREFIXES + f"""unit:beispiel-referat a org:OrganizationalUnit ;
        rdfs:label "Referat Beispiel (Test)"@de ; org:unitOf <{acc.actor}> ; dct:source <https://example.org/test-quelle> ."""
    body = _actor(acc) + unit + offer_ttl("vom-referat", BASE + "id/unit/beispiel-referat")
    assert atlas.put(acc, acc.graph, body.encode(), TTL).activity
    error = refused(atlas, store, ShapesViolated, atlas.update, acc,
                    f"DELETE WHERE {{ <{BASE}id/unit/beispiel-referat> ?p ?o }}")
    assert BASE + "id/offer/vom-referat" in {str(f.focus) for f in error.report.violations}


# -- SPARQL Update on the account's graph ------------------------------------------------------------

def test_update_forms_on_the_own_graph(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    assert atlas.put(acc, acc.graph, (_actor(acc) + offer_ttl("upd", acc.actor)).encode(), TTL).activity
    offer = BASE + "id/offer/upd"
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    r = atlas.update(acc, f'INSERT DATA {{ <{offer}> <http://purl.org/dc/terms/description> "Neu (Test)"@de }}')
    assert r.added >= 1 and r.removed == 0
    r = atlas.update(acc, f'DELETE DATA {{ GRAPH <{acc.graph}> {{ <{offer}> <http://purl.org/dc/terms/description> "Neu (Test)"@de }} }}')
    assert r.removed >= 1
    r = atlas.update(acc, f'DELETE {{ ?o <{label}> ?l }} INSERT {{ ?o <{label}> "Umbenannt (Test)"@de }} '
                          f'WHERE {{ ?o <{label}> ?l FILTER(lang(?l) = "de" && ?o = <{offer}>) }}')
    assert (ox.Triple(ox.NamedNode(offer), ox.NamedNode(label), ox.Literal("Umbenannt (Test)", language="de"))
            in triples_of(store, acc.graph))
    # A contact point (an existing blank node) gains a statement: the graph is rewritten whole.
    r = atlas.update(acc, f'INSERT {{ ?cp <http://www.w3.org/2006/vcard/ns#fn> "Kontakt (Test)" }} '
                          f'WHERE {{ <{offer}> <http://www.w3.org/ns/dcat#contactPoint> ?cp }}')
    assert atlas.notices[-1].replaced
    cps = list(store.query(f"SELECT ?e ?fn WHERE {{ GRAPH <{acc.graph}> {{ <{offer}> <http://www.w3.org/ns/dcat#contactPoint> ?cp . "
                           f"?cp <http://www.w3.org/2006/vcard/ns#hasEmail> ?e ; <http://www.w3.org/2006/vcard/ns#fn> ?fn }} }}"))
    assert len(cps) == 1
    r = atlas.update(acc, f"CLEAR GRAPH <{acc.graph}>")
    assert r.removed > 10 and not triples_of(store, acc.graph)


@pytest.mark.parametrize("text", [
    'INSERT DATA { GRAPH <https://w3id.org/tfatlas/graph/actor/bva> { <https://example.org/x> <https://example.org/p> "x" } }',
    'WITH <https://w3id.org/tfatlas/graph/data/next-verein> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }',
    'DELETE { ?s ?p ?o } USING <https://w3id.org/tfatlas/graph/data/next-verein> WHERE { ?s ?p ?o }',
    'DELETE WHERE { GRAPH ?g { ?s ?p ?o } }',
    'CLEAR ALL', 'DROP NAMED', 'LOAD <https://example.org/data.ttl>',
    'COPY DEFAULT TO <https://w3id.org/tfatlas/graph/actor/bva>',
    'PREFIX g: <https://w3id.org/tfatlas/graph/> INSERT DATA { GRAPH g:meta { <https://example.org/x> <https://example.org/p> "x" } }',
    'INSERT { <https://example.org/x> <https://example.org/p> ?o } WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?o } }',
])
def test_updates_reaching_other_graphs_are_403(atlas, store, text):
    acc = account(atlas, "beispiel-gmbh")
    refused(atlas, store, Forbidden, atlas.update, acc, text)


def test_update_about_a_seed_resource_is_403_and_malformed_is_400(atlas, store):
    acc = account(atlas, "bva")
    refused(atlas, store, Forbidden, atlas.update, acc,
            f'INSERT DATA {{ <{BASE}id/org/zendis> <http://www.w3.org/2000/01/rdf-schema#comment> "x"@de }}')
    refused(atlas, store, BadBody, atlas.update, acc, "INSERT DATA { <a> ")


def test_delete_of_an_empty_graph_is_404(atlas, store):
    acc = account(atlas, "beispiel-gmbh")
    refused(atlas, store, NotFound, atlas.delete, acc, acc.graph)


# -- hand-over ----------------------------------------------------------------------------------------

def test_handover_moves_seed_statements_and_the_actor_can_then_edit_them(atlas, store):
    acc = account(atlas, "bva")
    union = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    resources = candidates(store, acc.actor)
    assert acc.actor in resources and any("/id/offer/" in r for r in resources)
    seen_before = {(t.subject, t.predicate, t.object) for t in store.query(f"CONSTRUCT WHERE {{ <{acc.actor}> ?p ?o }}")}
    activity, moved = handover(store, acc, resources)
    assert activity and moved > 0
    seen_after = {(t.subject, t.predicate, t.object) for t in store.query(f"CONSTRUCT WHERE {{ <{acc.actor}> ?p ?o }}")}
    assert seen_after == seen_before  # what everyone reads is unchanged
    assert not list(store.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ <{acc.actor}> ?p ?o }} "
                                f"FILTER(?g != <{acc.graph}>) }}", union_default=False))
    assert int(next(iter(store.query(union)))["n"].value) > 0
    r = atlas.update(acc, f'INSERT DATA {{ <{acc.actor}> <http://www.w3.org/2000/01/rdf-schema#label> "Bundesverwaltungsamt (BVA)"@en }}')
    assert r.activity


# -- rate limits ---------------------------------------------------------------------------------------

def test_rate_limit_is_429_with_retry_after(atlas, store):
    clock = [1000.0]
    atlas.limiter = RateLimiter(2, clock=lambda: clock[0])
    acc = account(atlas, "beispiel-gmbh")
    body = (_actor(acc) + '<https://example.org/test-quelle> a foaf:Document ; dct:title "Testquelle"@de .').encode()
    atlas.put(acc, acc.graph, body, TTL)
    atlas.put(acc, acc.graph, body, TTL)
    error = refused(atlas, store, RateLimited, atlas.put, acc, acc.graph, body, TTL)
    assert error.status == 429 and int(error.headers["Retry-After"]) >= 1
    clock[0] += 61
    atlas.put(acc, acc.graph, body, TTL)


# -- every shape example as a write -------------------------------------------------------------------



def _expectations(path):
    lines = [l[len("# expect:"):].strip() for l in path.read_text().splitlines() if l.startswith("# expect:")]
    violations = [l.split()[1:] for l in lines if l.startswith("sh:Violation")]
    return violations


@pytest.mark.parametrize("path", sorted(EXAMPLE_DIR.glob("*/*.ttl")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_shape_examples_as_writes(atlas, store, path):
    import hashlib

    atlas.admin_sha256 = hashlib.sha256(b"op").hexdigest()
    if _operators(path):
        writer, graph = atlas.authenticate("Bearer op"), BASE + "graph/user/examples"
    else:
        writer = account(atlas, "beispiel-gmbh")
        graph = writer.graph
    violations = _expectations(path)
    if not violations:
        result = atlas.put(writer, graph, path.read_bytes(), TTL)
        assert result.activity
        return
    error = refused(atlas, store, ShapesViolated, atlas.put, writer, graph, path.read_bytes(), TTL)
    paths = {f.path for f in error.report.violations}
    expected = " ".join(violations[0])  # e.g. "tfa:providedBy" or "vcard:hasEmail | vcard:hasURL"
    assert expected in paths, (paths, expected)
    assert all(f.focus is not None for f in error.report.violations)


def test_check_reports_without_writing(atlas, store):
    """For an edit page: the report of a proposed change (warnings: "what is missing"), nothing stored."""
    acc = account(atlas, "beispiel-gmbh")
    body = (EXAMPLE_DIR / "offer" / "valid-with-warning-no-challenge-no-contact-no-english.ttl").read_bytes()
    from tfatlas.contributions.rdf_input import parse_body as parse

    new = {ox.Triple(q.subject, q.predicate, q.object) for q in parse(body, TTL, base_iri=BASE)[0]}
    before = dataset(store)
    report = atlas.check(acc, acc.graph, lambda current: new)
    assert report.conforms and "tfa:addressesChallenge" in {f.path for f in report.warnings}
    assert dataset(store) == before
    with pytest.raises(Forbidden):
        atlas.check(acc, acc.graph, lambda current: {ox.Triple(ox.NamedNode(BASE + "id/org/zendis"),
                                                               ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
                                                               ox.Literal("x"))})
