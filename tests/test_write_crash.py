"""Accepted writes survive a server killed with SIGKILL at random moments, and none is half there.

A writer sends gated writes (one offer each, through the Graph Store Protocol) in a loop while the
server is killed (the whole process group, SIGKILL) after a random delay, then restarted on the
same store, at least ten times. After each restart every acknowledged offer is present with all
its statements and its history activity (data and history are one transaction), and every offer
present, acknowledged or not (the one in flight may or may not have committed), is complete.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time

import pyoxigraph as ox
import requests

from support.contributions import BASE, cli_account, offer_ttl
from support.servers import Server

UNLIMITED = {"TFATLAS_WRITE_RATE_LIMIT": "0"}
ROUNDS = 10
OFFER = BASE + "id/offer/"


def _expected_statements(body: str, offer: str) -> int:
    triples = list(ox.parse(body.encode(), ox.RdfFormat.TURTLE))
    return sum(1 for t in triples if t.subject == ox.NamedNode(offer)) + 1  # + dct:modified set by the atlas


def _offers(server) -> dict[str, tuple[int, int, int]]:
    """offer IRI -> (its statements, its contact point's statements, history activities naming it)."""
    query = f"""SELECT ?o (COUNT(DISTINCT ?st) AS ?n) (COUNT(DISTINCT ?cst) AS ?c) (COUNT(DISTINCT ?act) AS ?a)
        WHERE {{ ?o a <https://w3id.org/tfatlas/ontology#Offer> FILTER(STRSTARTS(STR(?o), "{OFFER}kill-"))
          {{ ?o ?p ?v BIND(CONCAT(STR(?p), " ", IF(isBlank(?v), "_", STR(?v))) AS ?st) }}
          UNION {{ ?o <http://www.w3.org/ns/dcat#contactPoint> ?cp . ?cp ?cpp ?cpv BIND(CONCAT(STR(?cpp), STR(?cpv)) AS ?cst) }}
          UNION {{ GRAPH <{BASE}graph/history> {{ ?act <http://www.w3.org/ns/prov#influenced> ?o }} }}
        }} GROUP BY ?o"""
    rows = requests.post(server.url + "/sparql", data={"query": query},
                         headers={"Accept": "application/sparql-results+json"}, timeout=60).json()
    return {b["o"]["value"]: (int(b["n"]["value"]), int(b["c"]["value"]), int(b["a"]["value"]))
            for b in rows["results"]["bindings"]}


def test_acknowledged_writes_survive_sigkill_and_none_is_partial(tmp_path):
    store = tmp_path / "store"
    rng = random.Random(20261201)
    # The rate limit would stop the loop with 429 within a round (writes take ~25 ms): not what this tests.
    server = Server(store, env=UNLIMITED)
    token = cli_account(store, "kill-gmbh")[1]
    actor = BASE + "id/org/kill-gmbh"
    graph = BASE + "graph/actor/kill-gmbh"
    actor_ttl = f"""@prefix tfa: <https://w3id.org/tfatlas/ontology#> . @prefix org: <http://www.w3.org/ns/org#> .
<{actor}> a tfa:TransformationActor , org:FormalOrganization ;
    <http://www.w3.org/2000/01/rdf-schema#label> "Kill GmbH (für den Test)"@de ;
    <http://purl.org/dc/terms/source> <https://example.org/test-quelle> .
"""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"}
    acknowledged: dict[str, int] = {}
    sent = 0
    try:
        for round_ in range(ROUNDS):
            stop = threading.Event()

            def write_loop(url=server.url):
                nonlocal sent
                i = 0
                while not stop.is_set():
                    slug = f"kill-{round_}-{i}"
                    body = (actor_ttl if not acknowledged else "") + offer_ttl(slug, actor)
                    i += 1
                    sent += 1
                    try:
                        r = requests.post(f"{url}/rdf-graphs/service?graph={graph}", data=body.encode(),
                                          headers=headers, timeout=30)
                    except requests.RequestException:
                        return  # the server is gone: this write is not acknowledged
                    if r.status_code in (200, 201):
                        acknowledged[OFFER + slug] = _expected_statements(body, OFFER + slug)
                    elif r.status_code != 503:
                        raise AssertionError(f"{r.status_code}: {r.text}")

            writer = threading.Thread(target=write_loop, daemon=True)
            writer.start()
            time.sleep(rng.uniform(0.3, 2.5))
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=30)
            stop.set()
            writer.join(timeout=60)
            server.log.close()
            server = Server(store, env=UNLIMITED)  # restart on the same store
            present = _offers(server)
            for offer, statements in acknowledged.items():
                assert offer in present, f"round {round_}: acknowledged {offer} is lost"
            for offer, (n, contact, activities) in present.items():
                expected = acknowledged.get(offer) or _expected_statements(offer_ttl(offer[len(OFFER):], actor), offer)
                assert (n, contact, activities) == (expected, 2, 1), f"round {round_}: {offer} is partial"
        assert len(acknowledged) >= ROUNDS, f"only {len(acknowledged)} of {sent} writes were acknowledged"
    finally:
        server.stop()
