"""Full validation of a store gives the results plain pySHACL gives (issue 14).

Compared as sets of (focus node, path, severity, source shape); a blank-node shape is named by the
node shape that holds it and its path, a path by its text, so the two runs' blank nodes need not
agree.
"""

from __future__ import annotations

import sys

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib.namespace import SH

from support.paths import REPO
from support.stores import BASE, build_store
from tfatlas.config import load_config
from tfatlas.model.loading import model_sources, sources_for
from tfatlas.store import open_store
from tfatlas.validation.shacl import _path_text, load_context, validate_store


def _term(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    return rdflib.Literal(term.value, lang=term.language,
                          datatype=None if term.language else rdflib.URIRef(term.datatype.value))


def _union_graph(store) -> rdflib.Graph:
    """Every statement of the store in one rdflib graph, blank nodes keeping their labels."""
    graph = rdflib.Graph()
    for q in store.oxigraph.quads_for_pattern(None, None, None, None):
        graph.add((_term(q.subject), _term(q.predicate), _term(q.object)))
    return graph


def _shape_name(shapes: rdflib.Graph, shape):
    if isinstance(shape, rdflib.BNode):
        holder = next(shapes.subjects(SH.property, shape), None)
        return (holder, _path_text(shapes, shapes.value(shape, SH.path)))
    return shape


def _results(results: rdflib.Graph, shapes: rdflib.Graph) -> set:
    return {(results.value(r, SH.focusNode), _path_text(results, results.value(r, SH.resultPath)),
             results.value(r, SH.resultSeverity), _shape_name(shapes, results.value(r, SH.sourceShape)))
            for r in results.subjects(rdflib.RDF.type, SH.ValidationResult)}


def _compare(store) -> set:
    context = load_context()
    atlas = _results(validate_store(store, context=context).results, context.shapes)
    _conforms, plain, _text = pyshacl.validate(_union_graph(store), shacl_graph=context.shapes,
                                               allow_warnings=True)
    assert atlas == _results(plain, context.shapes)
    return atlas


def test_seed_data(tmp_path):
    with build_store(tmp_path / "store") as store:
        _compare(store)


# Violations injected into generated data, written for this test: an offer without provider and
# label, a second German label, a page that is not an IRI, an actor typed twice oddly.
INJECTED = """
<https://w3id.org/tfatlas/id/offer/test-kaputt> a <https://w3id.org/tfatlas/ontology#Offer> ;
    <http://xmlns.com/foaf/0.1/page> "keine IRI" .
<https://w3id.org/tfatlas/id/org/test-doppelt> a <http://www.w3.org/ns/org#Organization>,
        <https://w3id.org/tfatlas/ontology#TransformationActor> ;
    <http://www.w3.org/2000/01/rdf-schema#label> "Eins"@de, "Zwei"@de ;
    <http://purl.org/dc/terms/modified> "gestern" .
"""


def test_generated_data_with_injected_violations(tmp_path):
    sys.path.insert(0, str(REPO / "bench"))
    from generate import generate

    data = tmp_path / "data.nt"
    generate(2_000, str(data), seed=5)
    extra = tmp_path / "injected.ttl"
    extra.write_text(INJECTED, encoding="utf-8")
    with open_store(load_config(cli={"store": str(tmp_path / "store")}, environ={})) as store:
        store.load(model_sources(BASE) + sources_for([data, extra], BASE), replace=True)
        found = _compare(store)
    focus = {f for f, *_ in found}
    assert rdflib.URIRef("https://w3id.org/tfatlas/id/offer/test-kaputt") in focus
    assert rdflib.URIRef("https://w3id.org/tfatlas/id/org/test-doppelt") in focus
