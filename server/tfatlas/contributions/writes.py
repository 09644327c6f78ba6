"""The write operation: delta, ownership, SHACL gate, one atomic commit with its history, notice.

Every interface (Graph Store Protocol, SPARQL Update, the edit page) comes here with an account
and a proposed change of one graph:

1. the change is computed as the graph's triples before and after (GSP PUT replaces the graph,
   POST merges into it, DELETE empties it; an update runs on an in-memory copy of it);
2. :mod:`.gate` validates the result against the shapes with the rest of the store (422);
3. :mod:`.ownership` refuses statements that are not the account's to make (403);
4. the atlas sets ``dct:modified`` of each changed resource and records a ``prov:Activity``
   (:mod:`.history`);
5. data and history go to the store in *one* SPARQL update, which the store applies in one
   transaction (Oxigraph: RocksDB; a remote server: one request): a request is applied whole or
   not at all, also when the process is killed midway;
6. the store's write hooks hear of it (:class:`WriteNotice`), so query workers, caches and the
   search index follow.

Writes are serialised by one lock (``lock``, shared with the other writers of the process),
so the graph read in step 1 is the graph the commit replaces.
"""

from __future__ import annotations

import hmac
import sys
import threading
from dataclasses import dataclass
from typing import Callable

import pyoxigraph as ox

from ._deps import Delta, validation
from .accounts import Account, Accounts, hash_token, operator
from .change import Change, blank_nodes, keep_blank_nodes, resources
from .errors import Forbidden, NotFound, Unauthorized
from .gate import Gate
from . import operator_update
from .history import activity, now, stamp_modified
from .load_source import Fetcher
from .ownership import Ownership, graph_refusal
from .rdf_input import parse_body
from .sparql_update import run_on_graph
from .terms import history_graph


@dataclass
class WriteNotice:
    """What a write hook hears after a commit: the graph and the triples it gained and lost.

    ``replaced`` means the store rewrote the graph (blank nodes were involved): apply it as
    "the graph is now ``after``" rather than as a delta. Otherwise ``removed`` has no blank nodes
    and the blank nodes of ``added`` are new ones (the store names them anew, so a copy may too).
    ``history`` are the quads added to the history graph.
    """

    graph: str
    added: list[ox.Triple]
    removed: list[ox.Triple]
    replaced: bool
    after: list[ox.Triple] | None
    history: list[ox.Quad]
    activity: str


@dataclass
class WriteResult:
    graph: str
    activity: str | None  # None when the request changed nothing
    added: int = 0
    removed: int = 0
    created: bool = False  # the graph was empty before and holds triples now
    report: validation.Report | None = None

    @property
    def warnings(self) -> list:
        return self.report.warnings if self.report is not None else []


def _sparql(term) -> str:
    return str(term)  # pyoxigraph writes terms in N-Triples syntax, which SPARQL reads


def _block(triples) -> str:
    return "\n".join(f"{_sparql(t.subject)} {_sparql(t.predicate)} {_sparql(t.object)} ." for t in triples)


def _in_graph(graph: str, triples) -> str:
    body = _block(triples)
    return f"GRAPH <{graph}> {{\n{body}\n}}" if graph else body


class Contributions:
    """Writes of accounts and of the operator into the store, through the one gate."""

    def __init__(self, store, accounts: Accounts, *, admin_sha256: str = "", context=None,
                 lock: threading.Lock | None = None, hooks: list[Callable[[WriteNotice], None]] | None = None,
                 limiter=None, fetcher: Fetcher | None = None, update_timeout: float = 60.0):
        self.store = store
        self.accounts = accounts
        self.base_iri = store.base_iri
        self.admin_sha256 = (admin_sha256 or "").strip().lower()
        self.gate = Gate(store, context)
        self.lock = lock or threading.Lock()
        self.hooks = list(hooks or [])
        self.limiter = limiter
        self.fetcher = fetcher or Fetcher((), 0)  # LOAD: nothing allowed unless configured
        self.update_timeout = float(update_timeout)

    # -- who -------------------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> Account:
        """The account of an ``Authorization: Bearer`` header (the admin token: the operator)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("This write needs a token: 'Authorization: Bearer <token>'.",
                               "Für Schreibzugriffe ist ein Token nötig: 'Authorization: Bearer <Token>'.")
        if self.admin_sha256 and hmac.compare_digest(hash_token(token), self.admin_sha256):
            return operator(self.base_iri)
        return self.accounts.authenticate(token)

    def target(self, account: Account, graph: str | None) -> str:
        """The graph a request addresses (None: the default graph, which for an account is its own)."""
        if graph is None:
            return account.graph if not account.admin else ""
        if not account.admin and graph != account.graph:
            raise graph_refusal(account, graph)
        return graph

    # -- reading ---------------------------------------------------------------------------------

    def read(self, graph: str) -> set[ox.Triple]:
        if graph:
            text = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        else:
            text = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
        return set(self.store.query(text, union_default=False))

    # -- the interfaces --------------------------------------------------------------------------

    def _body(self, graph: str, parts, base_iri: str | None) -> set[ox.Triple]:
        """The triples of a body given as [(bytes, content type)] (several for multipart/form-data)."""
        triples = set()
        for body, content_type in parts:
            quads, _fmt = parse_body(body, content_type, base_iri=base_iri or graph or self.base_iri,
                                     atlas_base=self.base_iri)
            for q in quads:
                if not isinstance(q.graph_name, ox.DefaultGraph) and q.graph_name.value != graph:
                    raise Forbidden(
                        f"The body has triples in the graph <{q.graph_name.value}>; a request to "
                        f"<{graph or 'the default graph'}> writes only that graph; nothing was changed.",
                        f"Der Inhalt enthält Tripel im Graphen <{q.graph_name.value}>; eine Anfrage an "
                        f"<{graph or 'den Standardgraphen'}> schreibt nur diesen Graphen; es wurde "
                        "nichts geändert.")
                triples.add(ox.Triple(q.subject, q.predicate, q.object))
        return triples

    def put(self, account: Account, graph: str | None, body: bytes, content_type: str | None, *,
            base_iri: str | None = None, interface: str = "gsp") -> WriteResult:
        """Replace the graph with the body (GSP PUT)."""
        graph = self.target(account, graph)
        new = self._body(graph, [(body, content_type)], base_iri)
        return self._write(account, graph, interface, lambda before: keep_blank_nodes(before, new))

    def post(self, account: Account, graph: str | None, body: bytes | list, content_type: str | None = None,
             *, base_iri: str | None = None, interface: str = "gsp") -> WriteResult:
        """Merge the body into the graph (GSP POST); ``body`` may be [(bytes, content type)]."""
        graph = self.target(account, graph)
        parts = body if isinstance(body, list) else [(body, content_type)]
        new = self._body(graph, parts, base_iri)
        return self._write(account, graph, interface, lambda before: before | new)

    def delete(self, account: Account, graph: str | None, *, interface: str = "gsp") -> WriteResult:
        """Empty the graph (GSP DELETE); 404 when it holds nothing."""
        graph = self.target(account, graph)

        def empty(before):
            if not before:
                raise NotFound(f"The graph <{graph or 'default'}> holds no triples; nothing was deleted.",
                               f"Der Graph <{graph or 'default'}> enthält keine Tripel; es wurde nichts "
                               "gelöscht.")
            return set()

        return self._write(account, graph, interface, empty)

    def update(self, account: Account, text: str, *, base_iri: str | None = None,
               interface: str = "sparql-update") -> WriteResult:
        """A SPARQL Update of an account, limited to its graph (see :mod:`.sparql_update`)."""
        if account.admin:
            raise Forbidden("The operator's updates go through operator_update (they may touch any graph).")
        graph = account.graph
        return self._write(account, graph, interface,
                           lambda before: run_on_graph(text, before, graph, base_iri))

    def operator_update(self, text: str, *, base_iri: str | None = None) -> str | None:
        """The operator's SPARQL Update, any graph, with its LOADs checked, a deadline and its
        history (see :mod:`.operator_update`); the activity's IRI (None for an empty update)."""
        return operator_update.apply(self, text, base_iri=base_iri, timeout=self.update_timeout,
                                     fetcher=self.fetcher)

    def submit(self, account: Account, graph: str, after: Callable[[set], set], *,
               interface: str) -> WriteResult:
        """Any other interface (the edit page): ``after`` maps the graph's triples to the new ones."""
        return self._write(account, self.target(account, graph), interface, after)

    def check(self, account: Account, graph: str | None, after: Callable[[set], set]):
        """What a write would meet, without writing: the validation report (violations and
        warnings, e.g. for an edit page's "what is missing"); Forbidden when it is not the
        account's to make. Nothing is stored, no history is recorded, no rate is counted."""
        graph = self.target(account, graph)
        with self.lock:
            before = self.read(graph)
            change = Change(graph, before, set(after(set(before))), "check", existed=bool(before))
            report = self.gate.validate(change)
            if report.conforms:
                Ownership(self.store, account, change, other_actors=self._other_actors()).check()
        return report

    # -- the write -------------------------------------------------------------------------------

    def _write(self, account: Account, graph: str, interface: str, compute) -> WriteResult:
        if self.limiter is not None:
            self.limiter.check(account)
        with self.lock:
            started = now()
            before = self.read(graph)
            change = Change(graph, before, set(compute(set(before))), interface, existed=bool(before))
            if change.empty:
                return WriteResult(graph=graph, activity=None, created=False)
            # The shapes first: a write that is both invalid and not the account's gets the report,
            # which says what to fix (either way nothing is stored).
            report = self.gate.check(change)
            Ownership(self.store, account, change, other_actors=self._other_actors()).check()
            stamp_modified(change, started, self.base_iri, self._other_types(change))
            if change.empty:  # only the client's dct:modified differed from the stored one
                return WriteResult(graph=graph, activity=None, created=False, report=report)
            ended = now()
            iri, history = activity(change, account, self.base_iri, started, ended)
            replaced = self._commit(change, history)
        result = WriteResult(graph=graph, activity=iri, added=len(change.added), removed=len(change.removed),
                             created=not change.existed and bool(change.after), report=report)
        self._notify(WriteNotice(graph=graph, added=sorted(change.added, key=str),
                                 removed=sorted(change.removed, key=str), replaced=replaced,
                                 after=sorted(change.after, key=str) if replaced else None,
                                 history=history, activity=iri))
        return result

    def _other_actors(self) -> set[str]:
        return self.accounts.actors() if self.accounts is not None else set()

    def _other_types(self, change: Change) -> dict:
        touched = sorted(resources(change), key=lambda n: n.value)
        if not touched:
            return {}
        found: dict = {}
        values = " ".join(f"<{n.value}>" for n in touched)
        for row in self.store.query("SELECT ?s ?t WHERE { VALUES ?s { " + values + " } ?s a ?t }"):
            if isinstance(row["t"], ox.NamedNode):
                found.setdefault(row["s"], set()).add(row["t"].value)
        return found

    def _commit(self, change: Change, history: list[ox.Quad]) -> bool:
        """Data and history in one update; True when the graph was rewritten whole."""
        graph = change.graph
        added, removed = change.added, change.removed
        # DELETE DATA cannot name blank nodes, and INSERT DATA makes new ones: a change that
        # involves blank nodes the graph already has rewrites the graph (actor graphs are small).
        rewrite = bool(blank_nodes(added | removed) & blank_nodes(change.before))
        history_by_graph = _in_graph(history_graph(self.base_iri),
                                     [ox.Triple(q.subject, q.predicate, q.object) for q in history])
        parts = []
        if rewrite:
            parts.append(f"DROP SILENT GRAPH <{graph}>" if graph else "DROP SILENT DEFAULT")
            inserted = change.after
        else:
            if removed:
                parts.append("DELETE DATA {\n" + _in_graph(graph, removed) + "\n}")
            inserted = added
        parts.append("INSERT DATA {\n" + (_in_graph(graph, inserted) + "\n" if inserted else "")
                     + history_by_graph + "\n}")
        # The exact change, for the store's followers (the query workers apply it to their copies).
        name = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        delta = Delta(removed=() if rewrite else tuple(ox.Quad(t.subject, t.predicate, t.object, name)
                                                       for t in removed),
                      added=tuple(ox.Quad(t.subject, t.predicate, t.object, name) for t in inserted)
                      + tuple(history),
                      cleared=(graph,) if rewrite else ())
        self.store.update(" ;\n".join(parts), graphs=[graph or "", history_graph(self.base_iri)], delta=delta)
        return rewrite

    def _notify(self, notice: WriteNotice) -> None:
        for hook in self.hooks:
            try:
                hook(notice)
            except Exception as exc:  # the write is committed; a hook must not undo the answer
                print(f"tfatlas: a write hook failed after {notice.activity}: {exc}", file=sys.stderr)
