"""A small reader for W3C test manifests (the mf:/qt: vocabulary of the SPARQL test suites).

The manifests use relative IRIs (``<>``, ``<data.ttl>``). They are read with the suite's
published base, ``http://www.w3.org/2009/sparql/docs/tests/data-sparql11/``, so test, file and
graph IRIs are the same on every machine: a file loaded as ``qt:graphData`` is named by that IRI,
and expected results that mention graph names (``<singleton.ttl>``) resolve to the same IRI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, BNode, Graph, Namespace, URIRef
from rdflib.collection import Collection

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
SUITE_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"


@dataclass(frozen=True)
class GraphFile:
    """A file of test data, and the graph IRI it is known by (its own IRI unless labelled)."""

    iri: str
    path: Path


@dataclass(frozen=True)
class W3CTest:
    iri: str
    name: str
    kind: str  # local name of the test type, e.g. "QueryEvaluationTest", "NegativeSyntaxTest11"
    manifest: Path
    query: GraphFile | None  # the query file and its IRI (the base for its relative IRIs)
    data: tuple[GraphFile, ...]
    graph_data: tuple[GraphFile, ...]
    result: GraphFile | None
    approval: str | None

    @property
    def id(self) -> str:
        """Short and stable: '<suite folder>/<local name>', e.g. 'aggregates/agg01'."""
        local = self.iri.rsplit("#", 1)[-1] if "#" in self.iri else self.iri.rsplit("/", 1)[-1]
        return f"{self.manifest.parent.name}/{local}"

    @property
    def is_syntax_test(self) -> bool:
        return "SyntaxTest" in self.kind

    @property
    def is_negative(self) -> bool:
        return self.kind.startswith("Negative")

    def query_text(self) -> str:
        assert self.query is not None
        return self.query.path.read_text(encoding="utf-8")


class Suite:
    """Maps between the files under a suite folder and their published IRIs."""

    def __init__(self, root: Path, base: str = SUITE_BASE):
        self.root = root.resolve()
        self.base = base

    def iri(self, path: Path) -> str:
        return self.base + path.resolve().relative_to(self.root).as_posix()

    def path(self, iri: str) -> Path | None:
        """The local file an IRI names, or None when it is not a file of the suite."""
        if not iri.startswith(self.base):
            return None
        path = self.root / iri[len(self.base):].split("#", 1)[0]
        return path if path.is_file() else None

    def read(self, manifest: Path) -> list[W3CTest]:
        """All tests of a manifest, following ``mf:include`` (in the order the manifests list them)."""
        return list(self._read(manifest.resolve(), set()))

    def _read(self, manifest: Path, seen: set[Path]):
        if manifest in seen:
            return
        seen.add(manifest)
        graph = Graph()
        graph.parse(manifest, format="turtle", publicID=self.iri(manifest))
        for node in graph.subjects(RDF.type, MF.Manifest):
            for include_list in graph.objects(node, MF.include):
                for included in Collection(graph, include_list):
                    path = self.path(str(included))
                    if path is None:
                        raise FileNotFoundError(f"{manifest}: included manifest {included} is missing")
                    yield from self._read(path, seen)
            for entries in graph.objects(node, MF.entries):
                for entry in Collection(graph, entries):
                    yield self._test(graph, entry, manifest)

    def _file(self, iri) -> GraphFile:
        path = self.path(str(iri))
        if path is None:
            raise FileNotFoundError(f"{iri} is not a file of the suite in {self.root}")
        return GraphFile(str(iri), path)

    def _graph_file(self, graph: Graph, node) -> GraphFile:
        # Update tests name a graph file with [ qt:graph <file> ; rdfs:label "graph IRI" ].
        if isinstance(node, BNode):
            file = self._file(graph.value(node, QT.graph))
            label = graph.value(node, RDFS.label)
            return GraphFile(str(label) if label is not None else file.iri, file.path)
        return self._file(node)

    def _test(self, graph: Graph, entry, manifest: Path) -> W3CTest:
        kind = graph.value(entry, RDF.type)
        action = graph.value(entry, MF.action)
        query = data = graph_data = None
        if isinstance(action, BNode):
            query_iri = graph.value(action, QT.query)
            query = self._file(query_iri) if query_iri is not None else None
            data = tuple(sorted((self._file(d) for d in graph.objects(action, QT.data)),
                                key=lambda f: f.iri))
            graph_data = tuple(sorted((self._graph_file(graph, g)
                                       for g in graph.objects(action, QT.graphData)),
                                      key=lambda f: f.iri))
        elif isinstance(action, URIRef):  # syntax tests: the action is the query file itself
            query = self._file(action)
        result = graph.value(entry, MF.result)
        approval = graph.value(entry, DAWGT.approval)
        return W3CTest(
            iri=str(entry),
            name=str(graph.value(entry, MF.name) or entry),
            kind=str(kind).rsplit("#", 1)[-1] if kind is not None else "",
            manifest=manifest,
            query=query,
            data=data or (),
            graph_data=graph_data or (),
            result=self._file(result) if isinstance(result, URIRef) else None,
            approval=str(approval).rsplit("#", 1)[-1] if approval is not None else None,
        )
