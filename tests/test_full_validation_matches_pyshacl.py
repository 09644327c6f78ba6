"""Full validation of a store gives the results plain pySHACL gives (issue 14).

The atlas evaluates the shapes that translate to SPARQL with Oxigraph (validation/sparql_shapes.py)
and leaves the rest to pySHACL; plain pySHACL here validates one rdflib graph holding every
statement of the store. Results are compared whole: focus node, path, severity, source shape,
constraint component, value and messages. A blank-node shape is named by the node shape that holds
it and its path, a path by its text, so the two runs' blank nodes need not agree; blank nodes of
the data keep their labels in both.
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
from tfatlas.model.files import model_dir
from tfatlas.model.loading import model_sources, sources_for
from tfatlas.store import open_store
from tfatlas.validation import sparql_shapes
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
    for q in getattr(store, "oxigraph", store).quads_for_pattern(None, None, None, None):
        graph.add((_term(q.subject), _term(q.predicate), _term(q.object)))
    return graph


def _shape_name(shapes: rdflib.Graph, shape):
    if isinstance(shape, rdflib.BNode):
        holder = next(shapes.subjects(SH.property, shape), None)
        return (holder, _path_text(shapes, shapes.value(shape, SH.path)))
    return shape


def _results(results: rdflib.Graph, shapes: rdflib.Graph) -> set:
    return {(results.value(r, SH.focusNode), _path_text(results, results.value(r, SH.resultPath)),
             results.value(r, SH.resultSeverity), _shape_name(shapes, results.value(r, SH.sourceShape)),
             results.value(r, SH.sourceConstraintComponent), results.value(r, SH.value),
             frozenset((str(m), getattr(m, "language", None)) for m in results.objects(r, SH.resultMessage)))
            for r in results.subjects(rdflib.RDF.type, SH.ValidationResult)}


def _plain(store, shapes: rdflib.Graph) -> set:
    _conforms, plain, _text = pyshacl.validate(_union_graph(store), shacl_graph=shapes, allow_warnings=True)
    return _results(plain, shapes)


def _compare(store, context=None) -> set:
    context = context or load_context()
    atlas = _results(validate_store(store, context=context).results, context.shapes)
    plain = _plain(store, context.shapes)
    assert atlas - plain == set(), "the atlas reports more than pySHACL"
    assert plain - atlas == set(), "the atlas misses results pySHACL gives"
    return atlas


def _store(tmp_path, files):
    store = open_store(load_config(cli={"store": str(tmp_path / "store")}, environ={}))
    store.load(model_sources(BASE) + sources_for(files, BASE), replace=True)
    return store


def test_every_shipped_target_shape_is_translated():
    """If a shape changes so that it no longer translates, full validation silently slows down
    (pySHACL takes it over): this names the shape."""
    context = load_context()
    untranslated = []
    store = ox.Store()
    from pyshacl.graph_abstraction import DataGraph

    evaluator = sparql_shapes.Evaluator(store, context.shapes_graph(), DataGraph.from_oxigraph_store(store), None)
    for target in context.target_shapes():
        try:
            focus = evaluator.targets(target.shape)
            if focus is not None:
                evaluator.results(target.shape, focus)
        except sparql_shapes.Untranslatable as exc:
            untranslated.append((str(target.shape.node), str(exc)))
    assert untranslated == []


def test_seed_data(tmp_path):
    with build_store(tmp_path / "store") as store:
        _compare(store)


EXAMPLES = sorted((model_dir("shapes") / "examples").rglob("*.ttl"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_shape_examples(example):
    """Each example of shapes/examples/ alone with the ontology and vocabularies (examples share
    IRIs, so together they would hide each other's gaps)."""
    context = load_context()
    store = ox.Store()
    for quads in context.quads.values():
        store.extend(quads)
    store.extend(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode("urn:example"))
                 for q in ox.parse(path=str(example), format=ox.RdfFormat.TURTLE))
    atlas = _results(validate_store(store, context=context).results, context.shapes)
    assert atlas == _plain(store, context.shapes)
    violations = [r for r in atlas if r[2] == SH.Violation]
    assert bool(violations) == example.name.startswith("invalid-")


def test_the_examples_are_found():
    assert len(EXAMPLES) > 40


# Violations injected into generated data, written for this test: one or more of every constraint
# kind of the shipped shapes, nested ones (contact points, dates through sh:or) included.
INJECTED = """
@prefix tfa: <https://w3id.org/tfatlas/ontology#> .
@prefix id: <https://w3id.org/tfatlas/id/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix cv: <http://data.europa.eu/m8g/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

id:offer\\/test-kaputt a tfa:Offer ;
    foaf:page "keine IRI" , <ftp://example.org/x> ;
    tfa:providedBy id:topic\\/ki ;
    tfa:hasTopic id:challenge\\/agile-arbeitsweisen-einfuehren ;
    dct:modified "2024-13-45"^^xsd:date , "2024-01-01"^^xsd:date ;
    rdfs:label "ohne Sprache" ;
    dcat:contactPoint [ a vcard:Organization ; vcard:hasEmail <mailto:kaputt> ; vcard:hasURL "http://x.org" ] ,
                      [ a vcard:Organization ] ;
    dct:source "https://example.org/keine-iri" .
id:org\\/test-doppelt a cv:PublicOrganisation ;
    rdfs:label "Eins"@de , "Zwei"@de-AT ;
    owl:sameAs "Q1" ;
    foaf:homepage <https://> ;
    org:subOrganizationOf id:offer\\/test-kaputt ;
    dct:source <https://example.org/quelle> ;
    dct:modified "gestern" .
<https://example.org/quelle> a foaf:Document ; dct:issued "irgendwann" , "2020"^^xsd:gYear .
id:network\\/test-netz a org:OrganizationalCollaboration ;
    rdfs:label "Netz"@de , "Net"@en ;
    prov:startedAtTime "2020-02-30"^^xsd:date ;
    org:hasMember "niemand" ;
    dct:source <https://example.org/quelle> .
id:event\\/test-fest a cv:PublicEvent ;
    rdfs:label "Fest"@de , "Party"@en ;
    tfa:participantCount -3 , "viele"^^xsd:integer ;
    tfa:startDate "2024-01-01"^^xsd:date , "2024-01-02"^^xsd:date ;
    dct:source <https://example.org/quelle> .
id:change\\/test-neu a org:ChangeEvent ;
    rdfs:label "Neu"@de ; prov:atTime "bald" ; dct:source <https://example.org/quelle> .
id:unit\\/test-einheit a org:OrganizationalUnit ;
    rdfs:label "Einheit"@de ; org:unitOf id:topic\\/ki ; dct:source <mailto:a@b.de> .
id:topic\\/test-thema a skos:Concept ;
    skos:prefLabel "Thema"@de , "Auch Thema"@de , "topic"@EN , "Topic"@en , "ohne" ;
    skos:inScheme id:scheme\\/topics ;
    skos:broader id:challenge\\/agile-arbeitsweisen-einfuehren ;
    skos:closeMatch "kein IRI" .
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    sys.path.insert(0, str(REPO / "bench"))
    from generate import generate

    tmp = tmp_path_factory.mktemp("generated")
    data = tmp / "data.nt"
    generate(10_000, str(data), seed=5)
    extra = tmp / "injected.ttl"
    extra.write_text(INJECTED, encoding="utf-8")
    return tmp, [data, extra]


def test_generated_data_with_injected_violations(generated):
    tmp, files = generated
    with _store(tmp, files) as store:
        found = _compare(store)
    focus = {f for f, *_ in found}
    for node in ("offer/test-kaputt", "org/test-doppelt", "network/test-netz", "event/test-fest",
                 "change/test-neu", "unit/test-einheit", "topic/test-thema"):
        assert rdflib.URIRef("https://w3id.org/tfatlas/id/" + node) in focus
    kinds = {str(c).rsplit("#", 1)[-1].removesuffix("ConstraintComponent") for _f, _p, _s, _sh, c, _v, _m in found}
    assert {"MinCount", "MaxCount", "Class", "Datatype", "NodeKind", "Pattern", "Node", "UniqueLang",
            "QualifiedMinCount", "QualifiedMaxCount", "MinInclusive", "SPARQL"} <= kinds


class _WrongClass(sparql_shapes.Evaluator):
    """A translation with a bug written for this test: sh:class without rdfs:subClassOf*."""

    def _ClassConstraintComponent(self, shape, component, focus, depth):
        out = []
        for cls in component.class_rules:
            out.extend(self.filtered(shape, component, focus, lambda v, cls=cls: (
                f"isLiteral({v}) || NOT EXISTS {{ {v} a <{cls}> }}")))
        return out


def test_a_wrong_translation_shows_up(generated, monkeypatch):
    """The comparison has teeth: a translation that forgets subclasses differs from pySHACL."""
    tmp, files = generated
    monkeypatch.setattr(sparql_shapes, "Evaluator", _WrongClass)
    with _store(tmp / "wrong", files) as store:
        with pytest.raises(AssertionError, match="the atlas reports more than pySHACL"):
            _compare(store)


# Shapes written for this test that the translation leaves to pySHACL (sh:xone, sh:closed).
EXTRA_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix tfa: <https://w3id.org/tfatlas/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <https://example.org/test-shapes#> .
ex:OfferXone a sh:NodeShape ; sh:targetClass tfa:Offer ;
    sh:xone ( [ sh:path rdfs:label ; sh:minCount 1 ] [ sh:path tfa:providedBy ; sh:minCount 1 ] ) .
"""


def test_shapes_left_to_pyshacl_give_its_results(generated):
    tmp, files = generated
    context = load_context()
    shapes = rdflib.Graph()
    for triple in context.shapes:
        shapes.add(triple)
    shapes.parse(data=EXTRA_SHAPES, format="turtle")
    from tfatlas.validation.shacl import ValidationContext

    extended = ValidationContext(shapes=shapes, quads=context.quads, files=context.files)
    with _store(tmp / "extra", files) as store:
        found = _compare(store, extended)
    assert any(str(c).endswith("XoneConstraintComponent") for _f, _p, _s, _sh, c, _v, _m in found)


def _findings(report) -> list:
    """Findings without blank-node labels (each run parses the file afresh)."""
    def named(term):
        return "_:b" if isinstance(term, rdflib.BNode) else term
    return sorted(((named(f.focus), f.path, f.severity, f.component, named(f.value),
                    tuple(sorted(f.messages.items()))) for f in report.findings), key=str)


def test_files_validated_as_sparql_match_pyshacl(generated, monkeypatch):
    """`tfatlas validate FILE` and `tfatlas load` check a large file with the translation (the
    whole workspace, then the results about the file's nodes): the same findings as pySHACL on
    the same workspace."""
    from tfatlas.validation import shacl

    _tmp, files = generated
    translated = shacl.validate_files(files)
    assert translated.checked >= shacl.TRANSLATE_FROM  # the translation did run
    monkeypatch.setattr(shacl, "TRANSLATE_FROM", float("inf"))
    plain = shacl.validate_files(files)
    assert _findings(translated) == _findings(plain)
    assert not translated.conforms and translated.violations


def test_load_of_a_large_file_refuses_its_violations(generated, tmp_path):
    """`tfatlas load` (validation on) of generated data with injected violations: exit 1, the
    violations named, nothing stored; the same data without them loads."""
    import subprocess

    from support.servers import tfatlas_command

    _tmp, (data, extra) = generated
    cli = tfatlas_command() + ["--store", str(tmp_path / "store")]

    def typed() -> int:
        done = subprocess.run(cli + ["query", "--format", "csv", "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t }"],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return int(done.stdout.split()[-1])

    assert subprocess.run(cli + ["init", "--no-progress"], capture_output=True, text=True).returncode == 0
    initial = typed()
    refused = subprocess.run(cli + ["load", "--no-progress", str(data), str(extra)], capture_output=True, text=True)
    assert refused.returncode == 1, refused.stderr
    assert "test-kaputt" in refused.stderr and "tfa:providedBy" in refused.stderr
    assert "Nothing was stored" in refused.stderr
    assert typed() == initial
    loaded = subprocess.run(cli + ["load", "--no-progress", str(data)], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert typed() > initial > 0
