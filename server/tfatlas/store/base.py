"""The one interface every store of the atlas offers, whether embedded or remote.

Query results are pyoxigraph result objects (``QuerySolutions``, ``QueryBoolean``,
``QueryTriples``) for both implementations, so callers serialise them with the engine
(``results.serialize(...)``) instead of rebuilding them as Python objects.
"""

from __future__ import annotations

import abc
import datetime as _dt
import errno
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

from ..errors import StoreError, StoreFull
from ..model.formats import Format
from ..vocab import DCT, PROV, RDF_TYPE, VOID, XSD, meta_graph

#: Called while loading with (bytes read so far, statements read so far).
Progress = Callable[[int, int], None]



@dataclass(frozen=True)
class Source:
    """One file to load: its format, and the graph that receives its triples.

    Quads of a dataset file (TriG, N-Quads) keep their own graph; only their
    default-graph triples go to ``graph``.
    """

    path: Path
    format: Format
    graph: str
    origin: Path | None = None  # the file the provenance names, when ``path`` is a converted copy

    @property
    def provenance_path(self) -> Path:
        return self.origin or self.path


@dataclass
class LoadReport:
    graphs: dict[str, int] = field(default_factory=dict)  # graph IRI -> triples after the load
    seconds: float = 0.0
    added: int | None = None  # statements the load added to its graphs, where the store counts them

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


@dataclass
class Stats:
    graphs: dict[str, int]  # graph IRI ("" for the default graph) -> triples
    classes: dict[str, int]  # class IRI -> instances (in the union of all graphs)

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriteEvent:
    """A write that the store has committed, as its subscribers hear of it.

    ``generation`` counts the store object's committed writes (1 for the first); ``graphs`` names
    the graphs whose statements may have changed, or is None when that is not known (a SPARQL
    Update may touch any graph).
    """

    generation: int
    kind: str  # "load", "update" or "drop"
    graphs: frozenset[str] | None
    #: The exact change, when the writer knows it (an actor's write, a dropped graph): a follower
    #: (the query workers' copies) can apply it instead of copying the store again.
    delta: Delta | None = None
    #: The committed SPARQL Update text and its base IRI (kind "update").
    update: str | None = None
    base_iri: str | None = None


@dataclass(frozen=True)
class Delta:
    """Quads removed and added by one write, in that order, after emptying ``cleared`` graphs
    ("" the default graph). The blank nodes of ``added`` are new ones: the store named them
    anew, so a follower names them anew too (``removed`` has none)."""

    removed: tuple = ()  # of pyoxigraph.Quad
    added: tuple = ()
    cleared: tuple[str, ...] = ()


#: Called after each committed write, in the writing thread.
WriteListener = Callable[[WriteEvent], None]
_HOOK_LOCK = threading.Lock()


def source_name(source: Path) -> str:
    """A stable name for a loaded file: its path in the shipped model (``data/next-verein.ttl``),
    else its file name. Never an absolute path: the meta graph is public on /sparql, and this
    machine's directories are nobody's business (nor stable across machines)."""
    from ..model.files import model_root

    resolved = source.resolve()
    try:
        return resolved.relative_to(model_root().resolve()).as_posix()
    except ValueError:
        return resolved.name


def provenance_update(base_iri: str, graph: str, source: Path, triples: int) -> str:
    """SPARQL Update that records (and replaces) the provenance of one loaded graph: the file by
    its stable name (``dct:identifier``), and the pages its statements cite (``dct:source``, also
    ``prov:wasDerivedFrom``: the graph is derived from them)."""
    meta = meta_graph(base_iri)
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    name = source_name(source).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f"""
        DELETE WHERE {{ GRAPH <{meta}> {{ <{graph}> ?p ?o }} }} ;
        INSERT DATA {{ GRAPH <{meta}> {{
            <{graph}> <{RDF_TYPE}> <{PROV}Entity> ;
                <{DCT}identifier> "{name}" ;
                <{PROV}generatedAtTime> "{now}"^^<{XSD}dateTime> ;
                <{VOID}triples> {triples} .
        }} }} ;
        INSERT {{ GRAPH <{meta}> {{ <{graph}> <{DCT}source> ?page ; <{PROV}wasDerivedFrom> ?page }} }}
        WHERE {{ SELECT DISTINCT ?page WHERE {{ GRAPH <{graph}> {{ ?s <{DCT}source> ?page FILTER(isIRI(?page)) }} }} }}
    """


STATS_GRAPHS = """
SELECT ?g (COUNT(*) AS ?n) WHERE {
  { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o }
} GROUP BY ?g
"""
STATS_CLASSES = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n) ?c"


def is_storage_failure(exc: OSError) -> bool:
    """An OSError of the storage itself (RocksDB's IO errors), not of a LOAD or SERVICE call."""
    text = str(exc)
    return exc.errno == errno.ENOSPC or text.startswith(("IO error", "Corruption")) or "No space left" in text


def storage_error(exc: OSError, doing: tuple[str, str]) -> StoreError:
    """The error for a failed write: StoreFull (507) for a full disk, else StoreError (503).

    ``doing`` names what was not done, in English and German. The message names no path: the
    health check shows it to anyone.
    """
    english, german = doing
    if exc.errno == errno.ENOSPC or "No space left" in str(exc):
        return StoreFull(f"The server's disk is full: {english} was not done and nothing was changed. "
                         "Writes work again once the operator frees space; reads go on.\n"
                         f"Der Datenträger des Servers ist voll: {german} wurde nicht ausgeführt, nichts "
                         "wurde verändert. Sobald wieder Platz ist, gelingen Schreibzugriffe wieder; "
                         "Lesen geht weiter.")
    reason = str(exc).split(":", 2)[-1].strip() or type(exc).__name__
    return StoreError(f"The store could not write ({reason}): {english} was not done.\n"
                      f"Der Speicher konnte nicht schreiben ({reason}): {german} wurde nicht ausgeführt.")


class AtlasStore(abc.ABC):
    """Load files into named graphs, replace or drop graphs, query, update, dump, count.

    Every committed write (``load``, ``update``, ``drop_graph``) bumps ``write_generation`` and is
    announced to the subscribers (``subscribe``): the query workers' copies and any index follow
    the store through this one hook. A store that another process may write (a remote server)
    announces only the writes made through this object.
    """

    base_iri: str
    _write_generation: int = 0
    _listeners: tuple[WriteListener, ...] = ()

    @property
    def write_generation(self) -> int:
        return self._write_generation

    def subscribe(self, listener: WriteListener) -> Callable[[], None]:
        """Call ``listener`` after every committed write; returns the function that unsubscribes."""
        with _HOOK_LOCK:
            self._listeners = self._listeners + (listener,)

        def unsubscribe() -> None:
            with _HOOK_LOCK:
                self._listeners = tuple(lst for lst in self._listeners if lst is not listener)

        return unsubscribe

    def _committed(self, kind: str, graphs: Iterable[str] | None, *, delta: Delta | None = None,
                   update: str | None = None, base_iri: str | None = None) -> WriteEvent:
        """Implementations call this once a write is durable; it tells the subscribers."""
        with _HOOK_LOCK:
            self._write_generation += 1
            event = WriteEvent(self._write_generation, kind, None if graphs is None else frozenset(graphs),
                               delta, update, base_iri)
            listeners = self._listeners
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a subscriber's failure must not make a committed write look failed
                log.exception("a subscriber to the store's writes failed on %s", event)
        return event

    def content_marker(self, generation: int) -> str | None:
        """A name for the store's content after this object's write ``generation`` (0: as
        opened), equal across processes only for equal content; None when the store cannot tell
        (a remote store, which others may write)."""
        return None

    @abc.abstractmethod
    def load(self, sources: list[Source], *, replace: bool = False,
             progress: Progress | None = None) -> LoadReport:
        """Load all sources in one all-or-nothing step: on any error the store is unchanged."""

    @abc.abstractmethod
    def drop_graph(self, graph: str) -> None: ...

    @abc.abstractmethod
    def query(self, sparql: str, *, default_graphs: Iterable[str] | None = None,
              named_graphs: Iterable[str] | None = None, union_default: bool = True,
              base_iri: str | None = None):
        """Evaluate a SPARQL query.

        The default graph is ``default_graphs`` when given, else the union of all graphs,
        else (``union_default=False``) the store's own default graph.
        """

    @abc.abstractmethod
    def update(self, sparql: str, *, base_iri: str | None = None,
               graphs: Iterable[str] | None = None, delta: Delta | None = None,
               timeout: float | None = None) -> None:
        """Run a SPARQL Update in one transaction. ``graphs``: the graphs it changes, when the
        caller knows them (the subscribers hear them; None: any graph may have changed);
        ``delta``: its exact change, when the caller knows it (the subscribers hear it too);
        ``timeout``: seconds after which the update is stopped, unapplied (DeadlineExceeded),
        where the store can stop it (None: no deadline)."""

    @abc.abstractmethod
    def dump(self, out: BinaryIO, fmt: Format) -> None:
        """Write the whole dataset (all graphs) in a dataset format (N-Quads, TriG)."""

    @abc.abstractmethod
    def graphs(self) -> list[str]: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    def stats(self) -> Stats:
        graphs: dict[str, int] = {}
        for row in self.query(STATS_GRAPHS, union_default=False):
            graph = row["g"]
            graphs[graph.value if graph is not None else ""] = int(row["n"].value)
        if graphs.get("") == 0:
            del graphs[""]
        classes = {row["c"].value: int(row["n"].value) for row in self.query(STATS_CLASSES)
                   if hasattr(row["c"], "value")}
        return Stats(graphs=graphs, classes=classes)

    def fault(self) -> str | None:
        """Why writes fail now (a full disk, a storage error), or None when they do not."""
        return None

    def ping(self) -> bool:
        """True when the store answers a query."""
        try:
            return bool(self.query("ASK { }"))
        except Exception:  # any failure means: not answering
            return False

    def is_empty(self) -> bool:
        return not bool(self.query("ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
