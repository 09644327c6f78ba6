"""A remote SPARQL 1.1 server as the atlas's store (SPARQL 1.1 Protocol and Graph Store Protocol).

Works with any server that speaks the two protocols (Oxigraph server, Apache Jena Fuseki, ...);
what differs between servers is a dialect (``dialects.py``), configured or detected from the
server's ``Server`` header. Oxigraph's (Fuseki shares it for what the atlas uses):

- The union default graph is asked for with the ``union-default-graph`` URL parameter
  (``oxigraph serve``). Other servers ignore it: configure the union default graph on the server
  instead (Fuseki: ``tdb2:unionDefaultGraph true``).
- A dataset file (TriG, N-Quads) is POSTed as N-Quads to the Graph Store endpoint itself (no
  ``?graph=``), and ``dump`` GETs that endpoint; both are the "dataset" extension of the Graph
  Store Protocol that Oxigraph and Fuseki implement.

Virtuoso 7.2 has neither; its dialect sends dataset files graph by graph and dumps graph by
graph (see ``dialects.Virtuoso`` for the rest).

Loads cannot be all-or-nothing over HTTP in general. What this store does: every file of a load
is parsed locally first (with the same parser as the embedded store, relative IRIs resolved
against the file's location) and converted to N-Triples or N-Quads in a temporary file, so a
file that does not parse fails before anything is sent and the store is unchanged. Then each
file goes in one request, which the server applies as a whole. If the server fails midway (it
stops answering, the disk is full), the files sent before stay loaded; the error names the file.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Iterable
from urllib.parse import quote

import pyoxigraph as ox
import requests

from ..errors import InputError, QueryError, StoreError
from ..model.rdf_safety import check_file, quad_problem, update_problem
from ..sparql.guard import problem as guard_problem
from ..sparql.results import has_dataset_clause
from ..model.formats import FORMATS, Format
from ..vocab import meta_graph
from .base import AtlasStore, LoadReport, Progress, Source, provenance_update
from .dialects import DIALECTS, GRACE, XML_RESULTS, Dialect, RemoteAnswerError, Virtuoso, detect
from .embedded import _CountingReader, _open_source, syntax_message

RESULTS_JSON = "application/sparql-results+json"
_MEDIA = {f.oxigraph: f.media_type for f in FORMATS}  # the one table of RDF formats


class RemoteStore(AtlasStore):
    def __init__(self, query_url: str, update_url: str, gsp_url: str, base_iri: str,
                 timeout: float = 30.0, dialect: str = "auto"):
        if dialect != "auto" and dialect not in DIALECTS:
            raise StoreError(f"unknown remote store dialect {dialect!r}; known: auto, {', '.join(DIALECTS)}")
        if not (query_url and update_url and gsp_url):
            raise StoreError("a remote store needs a query, an update and a graph store URL "
                             "(set TFATLAS_STORE_URL, or the three TFATLAS_STORE_*_URL settings)")
        self.query_url, self.update_url, self.gsp_url = query_url, update_url, gsp_url
        self.base_iri = base_iri
        self.timeout = timeout
        self._http = requests.Session()
        self._dialect_name = dialect
        self._dialect: Dialect | None = None

    @property
    def dialect(self) -> Dialect:
        """The server's dialect: configured, or detected from its first answer (one ``ASK {}``)."""
        if self._dialect is None:
            name = self._dialect_name
            if name == "auto":
                probe = self._request("POST", self.query_url, what="query", data={"query": "ASK {}"},
                                      headers={"Accept": RESULTS_JSON})
                name = detect(probe.headers.get("Server", "")).name
            dialect = DIALECTS[name]()
            if isinstance(dialect, Virtuoso):
                found = self._request("POST", self.query_url, what="query",
                                      data={"query": Virtuoso.FIND_SYSTEM_GRAPHS},
                                      headers={"Accept": XML_RESULTS})
                graphs = ox.parse_query_results(found.content, ox.QueryResultsFormat.XML)
                dialect = Virtuoso(system_graphs=[row["g"].value for row in graphs])
            self._dialect = dialect
        return self._dialect

    # -- HTTP ----------------------------------------------------------------------------

    def _request(self, method: str, url: str, *, what: str, stream: bool = False,
                 ok_statuses: tuple[int, ...] = (), wait: float | None = None,
                 **kwargs) -> requests.Response:
        """One request; a server that does not answer or answers an error becomes StoreError.

        ``wait`` is how long the server may take to answer, when longer than ``timeout``.
        """
        wait = max(wait or 0, self.timeout)
        try:
            response = self._http.request(method, url, timeout=(self.timeout, wait), stream=stream,
                                          **kwargs)
        except requests.Timeout:
            raise StoreError(f"the remote store at {url} did not answer within {wait:g} s "
                             f"({what})") from None
        except requests.ConnectionError as exc:
            raise StoreError(f"the remote store at {url} does not answer ({what}): "
                             f"{_root_cause(exc)}") from None
        except requests.RequestException as exc:
            raise StoreError(f"request to the remote store at {url} failed ({what}): {exc}") from None
        if response.status_code >= 400 and response.status_code not in ok_statuses:
            message = _server_message(response)
            if response.status_code == 400 and what in ("query", "update"):
                # The server refused the SPARQL itself: the caller's mistake, like a local parse error.
                raise QueryError(f"malformed {what} (the remote store at {url} says: {message})")
            raise StoreError(f"the remote store at {url} answered {response.status_code} "
                             f"{response.reason} ({what}): {message}")
        if self._dialect is not None:
            try:
                self._dialect.check(response)
            except RemoteAnswerError as exc:
                response.close()
                raise StoreError(f"the remote store at {url} did not answer completely ({what}): "
                                 f"{exc}") from None
        return response

    def _gsp(self, graph: str | None) -> str:
        if graph is None:
            return self.gsp_url
        return f"{self.gsp_url}{'&' if '?' in self.gsp_url else '?'}graph={quote(graph, safe='')}"

    # -- AtlasStore ----------------------------------------------------------------------

    def query(self, sparql: str, *, default_graphs: Iterable[str] | None = None,
              named_graphs: Iterable[str] | None = None, union_default: bool = True,
              base_iri: str | None = None):
        if (too_large := guard_problem(sparql)) is not None:  # it could take the server down
            raise QueryError(f"malformed query: {too_large}")
        dialect = self.dialect
        if default_graphs is not None:
            default_graphs = list(default_graphs)
            if "" in default_graphs:
                raise QueryError("a remote store cannot name its own default graph in default_graphs "
                                 "(the SPARQL protocol has no IRI for it)")
        text, form, params = dialect.query(
            _with_base(sparql, base_iri), default_graphs=default_graphs,
            named_graphs=None if named_graphs is None else list(named_graphs),
            union_default=union_default, has_from=has_dataset_clause(sparql), graphs=self.graphs)
        deadline = dialect.deadline(self.timeout)  # the server ends the query itself at the timeout
        response = self._request("POST", self.query_url, what="query", params=params,
                                 data=[("query", text), *form, *deadline.items()],
                                 headers={"Accept": dialect.accept(sparql)},
                                 wait=self.timeout + GRACE if deadline else None)
        return _parse_results(response, self.query_url, dialect)

    def update(self, sparql: str, *, base_iri: str | None = None,
               graphs: Iterable[str] | None = None, delta=None, timeout: float | None = None) -> None:
        # ``timeout`` is not passed on: a remote server's own limits stop its updates, and a
        # request given up here could still commit there.
        self._send_update(sparql, base_iri)
        self._committed("update", graphs)

    def _send_update(self, sparql: str, base_iri: str | None = None) -> None:
        if (too_large := guard_problem(sparql, update=True)) is not None:
            raise QueryError(f"malformed update: {too_large}")
        if (unsafe := update_problem(sparql)) is not None:
            raise InputError(unsafe)
        text = self.dialect.update(_with_base(sparql, base_iri), self.graphs)
        self._request("POST", self.update_url, what="update", data={"update": text})

    def load(self, sources: list[Source], *, replace: bool = False,
             progress: Progress | None = None) -> LoadReport:
        started = time.perf_counter()
        report = LoadReport()
        with tempfile.TemporaryDirectory(prefix="tfatlas-load-") as tmp:
            # 1. Parse everything before sending anything: a syntax error leaves the store as it was.
            staged: list[tuple[Source, Path, ox.RdfFormat, set[str]]] = []
            offset = (0, 0)
            for i, source in enumerate(sources):
                path = Path(tmp) / f"{i:04d}"
                fmt, graphs, offset = _normalise(source, path, progress, offset)
                staged.append((source, path, fmt, graphs))

            # 2. Send: one request per file, each applied by the server as a whole.
            targets: list[str] = []
            for _, _, _, graphs in staged:
                targets += [g for g in sorted(graphs) if g not in targets]
            replaced: set[str] = set()
            if replace:
                # Graphs that arrive from dataset files cannot be PUT one by one; drop them first.
                from_datasets = [g for s, _, fmt, graphs in staged if fmt == ox.RdfFormat.N_QUADS
                                 for g in graphs]
                if from_datasets:
                    self._send_update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in dict.fromkeys(from_datasets)))
                    replaced.update(from_datasets)
            for source, path, fmt, graphs in staged:
                if fmt == ox.RdfFormat.N_QUADS and self.dialect.dataset_post:
                    sends = [("POST", self._gsp(None), path, fmt)]
                elif fmt == ox.RdfFormat.N_QUADS:  # a server without dataset POST: graph by graph
                    sends = [("POST", self._gsp(g), part, ox.RdfFormat.N_TRIPLES)
                             for g, part in _split_by_graph(path).items()]
                else:
                    # PUT replaces the graph in one step on the server; later files add to it.
                    method = "PUT" if replace and source.graph not in replaced else "POST"
                    replaced.add(source.graph)
                    sends = [(method, self._gsp(source.graph), path, fmt)]
                for method, url, part, media in sends:
                    with open(part, "rb") as body:
                        # the server answers only when it has stored the whole file: allow it time
                        # in proportion (a second per MB on top of the timeout)
                        self._request(method, url, what=f"loading {source.path}", data=body,
                                      headers={"Content-Type": _MEDIA[media]},
                                      wait=self.timeout + part.stat().st_size / 1e6)

            # 3. Count and record provenance, as the embedded store does.
            for graph in targets:
                rows = list(self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                                       union_default=False))
                report.graphs[graph] = int(rows[0]["n"].value) if rows else 0
            if sources:
                self._send_update(" ;\n".join(
                    provenance_update(self.base_iri, s.graph, s.provenance_path, report.graphs.get(s.graph, 0))
                    for s in {s.graph: s for s in sources}.values()))
        report.seconds = time.perf_counter() - started
        self._committed("load", [*report.graphs, meta_graph(self.base_iri)])
        return report

    def drop_graph(self, graph: str) -> None:
        # 404: the graph is not there, which is what was asked for.
        self._request("DELETE", self._gsp(graph), what=f"dropping {graph}", ok_statuses=(404,))
        self._committed("drop", [graph])

    def dump(self, out: BinaryIO, fmt: Format) -> None:
        if not fmt.has_datasets:
            raise InputError(f"dump needs a dataset format (nquads or trig), not {fmt.name}")
        if not self.dialect.dataset_get:
            self._dump_graph_by_graph(out, fmt)
            return
        response = self._request("GET", self.gsp_url, what="dump", stream=True,
                                 headers={"Accept": fmt.media_type})
        with response:
            media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if media != fmt.media_type:
                raise StoreError(f"the remote store at {self.gsp_url} answered the dump with "
                                 f"{media or 'no type'}, not {fmt.media_type}")
            try:
                for chunk in response.iter_content(chunk_size=1 << 16):
                    out.write(chunk)
            except requests.RequestException as exc:
                raise StoreError(f"the dump from {self.gsp_url} broke off: {exc}") from None

    def _dump_graph_by_graph(self, out: BinaryIO, fmt: Format) -> None:
        """One Graph Store GET per graph, each checked against the graph's count (a server may cut
        a GET at a row limit without saying so)."""
        counts = self.stats().graphs
        own = self.dialect.own_default_graph

        def quads():
            for graph, expected in counts.items():
                iri = graph or own
                response = self._request("GET", self._gsp(iri), what=f"dump of {iri}",
                                         headers={"Accept": "application/n-triples"})
                name = ox.NamedNode(graph) if graph else ox.DefaultGraph()
                got = 0
                for triple in ox.parse(response.content, ox.RdfFormat.N_TRIPLES):
                    got += 1
                    yield ox.Quad(triple.subject, triple.predicate, triple.object, name)
                if got != expected:
                    raise StoreError(f"the remote store at {self.gsp_url} sent {got} of the {expected} "
                                     f"triples of {iri} (a row limit of the server? Virtuoso: "
                                     f"ResultSetMaxRows)")

        ox.serialize(quads(), out, fmt.oxigraph)

    def graphs(self) -> list[str]:
        response = self._request("POST", self.query_url, what="query",
                                 data={"query": self.dialect.graphs_query()},
                                 headers={"Accept": self.dialect.results_accept})
        return sorted(row["g"].value for row in _parse_results(response, self.query_url, self.dialect))

    def close(self) -> None:
        self._http.close()


def _normalise(source: Source, out: Path, progress: Progress | None,
               offset: tuple[int, int]) -> tuple[ox.RdfFormat, set[str], tuple[int, int]]:
    """Parse one file and write it as N-Triples (a triple format) or N-Quads (a dataset format).

    Returns the format written, the graphs it fills, and the progress offset after it.
    """
    dataset = source.format.has_datasets
    target = ox.NamedNode(source.graph)
    graphs: set[str] = {source.graph}
    check_file(source.path, source.format.oxigraph)  # entity bombs, nesting that would crash the parser
    with _open_source(source.path) as raw:
        reader = _CountingReader(raw, None, offset)
        count = [offset[1]]

        def quads():
            parsed = ox.parse(reader, source.format.oxigraph, base_iri=source.path.resolve().as_uri())
            for item in parsed:
                if (bad := quad_problem(item)) is not None:
                    raise InputError(f"{source.path}: {bad}")
                if dataset:
                    graph = item.graph_name
                    if isinstance(graph, ox.DefaultGraph):
                        graph = target
                    graphs.add(graph.value)
                    yield ox.Quad(item.subject, item.predicate, item.object, graph)
                else:
                    yield item.triple if isinstance(item, ox.Quad) else item
                count[0] += 1
                if progress is not None and count[0] % 10_000 == 0:
                    progress(reader.bytes, count[0])

        fmt = ox.RdfFormat.N_QUADS if dataset else ox.RdfFormat.N_TRIPLES
        try:
            with open(out, "wb") as f:
                ox.serialize(quads(), f, fmt)
        except SyntaxError as exc:
            raise InputError(syntax_message(source.path, exc)) from None
        except ValueError as exc:
            raise InputError(f"{source.path}: {exc}") from None
    if progress is not None:
        progress(reader.bytes, count[0])
    return fmt, graphs, (reader.bytes, count[0])


def _parse_results(response: requests.Response, url: str, dialect: Dialect):
    """A query answer as pyoxigraph's result objects."""
    media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    try:
        if media == RESULTS_JSON or media == "application/json":
            return ox.parse_query_results(dialect.results_body(response.content), ox.QueryResultsFormat.JSON)
        if media == XML_RESULTS:
            return ox.parse_query_results(dialect.results_body(response.content), ox.QueryResultsFormat.XML)
        if media in ("application/n-triples", "text/plain"):
            return _as_query_triples(response.content)
    except SyntaxError as exc:
        raise StoreError(f"the remote store at {url} sent results that do not parse: {exc}") from None
    raise StoreError(f"the remote store at {url} answered with {media or 'no type'}, "
                     f"expected {RESULTS_JSON}, {XML_RESULTS} or application/n-triples")


def _split_by_graph(nquads: Path) -> dict[str, Path]:
    """An N-Quads file as one N-Triples file per graph, next to it."""
    parts: dict[str, Path] = {}
    files = {}
    try:
        with open(nquads, "rb") as f:
            for quad in ox.parse(f, ox.RdfFormat.N_QUADS):
                graph = quad.graph_name.value
                if graph not in files:
                    parts[graph] = nquads.with_name(f"{nquads.name}-{len(parts):04d}.nt")
                    files[graph] = open(parts[graph], "wb")
                ox.serialize([quad.triple], files[graph], ox.RdfFormat.N_TRIPLES)
    finally:
        for file in files.values():
            file.close()
    return parts


def _as_query_triples(data: bytes) -> ox.QueryTriples:
    """A graph result as pyoxigraph's own QueryTriples, so callers serialise it like a local one.

    pyoxigraph has no public constructor for QueryTriples; an in-memory store answering a
    CONSTRUCT over the parsed triples gives one (a graph result is a set, so nothing is lost).
    """
    memory = ox.Store()
    memory.bulk_load(data, ox.RdfFormat.N_TRIPLES)
    return memory.query("CONSTRUCT WHERE { ?s ?p ?o }")


def _with_base(sparql: str, base_iri: str | None) -> str:
    # The protocol has no base parameter; a BASE prologue means the same to every server.
    return f"BASE <{base_iri}>\n{sparql}" if base_iri else sparql


def _server_message(response: requests.Response) -> str:
    text = response.text.strip() if response.content else ""
    text = " ".join(text.split())
    return (text[:300] + "…") if len(text) > 300 else (text or "(no message)")


def _root_cause(exc: BaseException) -> str:
    """The innermost cause of a connection error ('Connection refused'), not urllib3's wrapping."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    text = str(exc)
    if "]" in text and "Errno" in text:
        text = text.split("]", 1)[1].strip()
    return text or type(exc).__name__


__all__ = ["RemoteStore"]
