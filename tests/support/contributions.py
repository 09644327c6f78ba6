"""Helpers for the contribution tests (not a test module): a seeded store copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox

from tfatlas.model.loading import init_store
from tfatlas.store.embedded import EmbeddedStore

from .paths import REPO

BASE = "https://w3id.org/tfatlas/"
EXAMPLES = REPO / "shapes" / "examples"

PREFIXES = """
@prefix tfa: <https://w3id.org/tfatlas/ontology#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix orgs: <https://w3id.org/tfatlas/id/org/> .
@prefix unit: <https://w3id.org/tfatlas/id/unit/> .
@prefix offer: <https://w3id.org/tfatlas/id/offer/> .
@prefix topic: <https://w3id.org/tfatlas/id/topic/> .
@prefix challenge: <https://w3id.org/tfatlas/id/challenge/> .
@prefix tg: <https://w3id.org/tfatlas/id/target-group/> .
@prefix otype: <https://w3id.org/tfatlas/id/offer-type/> .
@prefix mode: <https://w3id.org/tfatlas/id/delivery-mode/> .
@prefix cost: <https://w3id.org/tfatlas/id/cost-model/> .
"""


# Shape examples only the operator may write: kinds an account never writes, and examples about
# organisations that are not Beispiel GmbH's own (another ministry and a unit of it by a dated
# membership; a unit of no organisation).
OPERATOR_KINDS = ("concept", "concept-scheme", "network")
OPERATOR_EXAMPLES = ("unit/valid-unit-with-dated-membership.ttl", "unit/valid-with-warning-unit-of-nothing.ttl")


def operators_write(example: Path) -> bool:
    """Whether a shape example is sent with the operator's token (else with Beispiel GmbH's account)."""
    return example.parent.name in OPERATOR_KINDS or f"{example.parent.name}/{example.name}" in OPERATOR_EXAMPLES


def offer_ttl(slug: str, provider: str, *, label: str = "Testangebot (für den Test geschrieben)",
              source: str = "https://example.org/test-quelle", describe_source: bool = True) -> str:
    """An offer written for the tests: complete, citing a page written for the test."""
    text = PREFIXES + f"""
offer:{slug} a tfa:Offer ;
    rdfs:label "{label}"@de , "Test offer (written for the test)"@en ;
    tfa:providedBy <{provider}> ;
    tfa:hasTopic topic:scrum ;
    tfa:addressesChallenge challenge:agile-arbeitsweisen-einfuehren ;
    dct:audience tg:beschaeftigte ;
    dct:type otype:schulung ;
    tfa:deliveryMode mode:online ;
    tfa:costModel cost:kostenfrei ;
    foaf:page <https://example.org/test-angebot> ;
    dcat:contactPoint [ a vcard:Organization ; vcard:hasEmail <mailto:test@example.org> ] ;
    dct:source <{source}> .
"""
    if describe_source:
        text += f'<{source}> a foaf:Document ; dct:title "Testquelle (für den Test geschrieben)"@de .\n'
    return text


def seeded_template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("contrib-template") / "store"
    store = EmbeddedStore(root, BASE)
    try:
        init_store(store)
    finally:
        store.close()
    return root


def copy_store(template: Path, target: Path) -> EmbeddedStore:
    shutil.copytree(template, target)
    return EmbeddedStore(target, BASE)


def dataset(store) -> set:
    """Every quad of the store, for before/after comparisons (blank nodes as they are stored)."""
    return set(store.oxigraph.quads_for_pattern(None, None, None, None))


def triples_of(store, graph: str) -> set:
    return {ox.Triple(q.subject, q.predicate, q.object)
            for q in store.oxigraph.quads_for_pattern(None, None, None, ox.NamedNode(graph))}


def cli_account(store: Path, actor: str) -> tuple[str, str]:
    """`tfatlas account add` as the operator runs it (also while the server runs): (id, token)."""
    import subprocess

    from .servers import tfatlas_command

    done = subprocess.run(tfatlas_command() + ["--store", str(store), "account", "add", "--actor", actor,
                                               "--label", "written for the test"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    return lines[0].split()[1], lines[-1].strip()


ALL_QUADS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"


def server_state(url: str) -> list[str]:
    """Every quad the server holds (sorted TSV rows): the store before and after a request."""
    import requests

    response = requests.post(url + "/sparql", data={"query": ALL_QUADS},
                             headers={"Accept": "text/tab-separated-values"}, timeout=60)
    assert response.status_code == 200, response.text
    return sorted(response.text.splitlines()[1:])
