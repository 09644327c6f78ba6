"""The endpoint's SPARQL 1.1 Service Description, with VoID statistics of its dataset."""

from __future__ import annotations

import pyoxigraph as ox

from ..vocab import RDF_TYPE as _RDF_TYPE, RDFS, SD, VOID, XSD
from . import conneg
from .default_graph import NOTE as DEFAULT_GRAPH_NOTE

RDF_TYPE = ox.NamedNode(_RDF_TYPE)
_INTEGER = ox.NamedNode(XSD + "integer")


def service_description(endpoint: str, service, *, updates: bool | None = None) -> list[ox.Triple]:
    """sd:Service with the supported languages, formats and VoID statistics of the dataset.

    ``updates``: whether the endpoint takes SPARQL Update (default: when an admin token is set)."""
    node = ox.NamedNode(endpoint)
    sd = lambda term: ox.NamedNode(SD + term)  # noqa: E731
    void = lambda term: ox.NamedNode(VOID + term)  # noqa: E731
    triples = [ox.Triple(node, RDF_TYPE, sd("Service")), ox.Triple(node, sd("endpoint"), node),
               ox.Triple(node, sd("supportedLanguage"), sd("SPARQL11Query")),
               ox.Triple(node, sd("feature"), sd("UnionDefaultGraph"))]
    if service.admin_hash if updates is None else updates:
        triples.append(ox.Triple(node, sd("supportedLanguage"), sd("SPARQL11Update")))
    if service.allow:
        triples.append(ox.Triple(node, sd("feature"), sd("BasicFederatedQuery")))
    formats = {c.engine_format.iri for kind in ("solutions", "graph") for c in conneg.OFFERS[kind]}
    triples += [ox.Triple(node, sd("resultFormat"), ox.NamedNode(iri)) for iri in sorted(formats)]

    stats = service.stats()
    dataset, default = ox.BlankNode(), ox.BlankNode()
    triples += [ox.Triple(node, sd("defaultDataset"), dataset),
                ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
                ox.Triple(dataset, RDF_TYPE, void("Dataset")),
                ox.Triple(dataset, sd("defaultGraph"), default),
                ox.Triple(dataset, void("sparqlEndpoint"), node),
                ox.Triple(default, RDF_TYPE, sd("Graph")),
                # the union is a bag, not the graph SPARQL's default graph would be (default_graph.py)
                *(ox.Triple(default, ox.NamedNode(RDFS + "comment"), ox.Literal(text, language=lang))
                  for lang, text in DEFAULT_GRAPH_NOTE.items()),
                ox.Triple(default, void("triples"), ox.Literal(str(stats.triples), datatype=_INTEGER)),
                ox.Triple(default, void("classes"), ox.Literal(str(len(stats.classes)), datatype=_INTEGER))]
    for cls, count in stats.classes.items():
        partition = ox.BlankNode()
        triples += [ox.Triple(default, void("classPartition"), partition),
                    ox.Triple(partition, void("class"), ox.NamedNode(cls)),
                    ox.Triple(partition, void("entities"), ox.Literal(str(count), datatype=_INTEGER))]
    for graph, count in sorted(stats.graphs.items()):
        if not graph:
            continue
        named, description = ox.BlankNode(), ox.BlankNode()
        triples += [ox.Triple(dataset, sd("namedGraph"), named),
                    ox.Triple(named, sd("name"), ox.NamedNode(graph)),
                    ox.Triple(named, sd("graph"), description),
                    ox.Triple(description, RDF_TYPE, sd("Graph")),
                    ox.Triple(description, void("triples"), ox.Literal(str(count), datatype=_INTEGER))]
    return triples
