"""The operator's SPARQL Update: trusted, but checked on the way in, bounded in time, and recorded.

As in Fuseki, the operator's update is trusted: it may touch any graph and is not validated
against the shapes (it may repair, migrate or replace whole graphs, where the gate's per-resource
view does not apply; :mod:`.gate` validates the actors' writes and the operator's Graph Store
Protocol writes). What it does get:

* its ``LOAD``s are fetched and checked by the atlas (:mod:`.load_source`);
* a deadline (``TFATLAS_UPDATE_TIMEOUT``): fetching, then the update in the store, which stops an
  update it cannot bound by its text (``store/bounded_update.py``); past it 504, nothing changed;
* an entry in the write history, committed in the same transaction as the update: a
  ``prov:Activity`` associated with the operator, with its times, ``tfa:viaInterface
  "sparql-update"``, each graph it writes as its text names them (``tfa:changedGraph``; an
  ``rdfs:comment`` says when a ``GRAPH ?var`` template, ``ALL`` or ``NAMED`` may write others),
  each document it loaded (``prov:used``), and the request (``prov:used``, a ``prov:Entity`` whose
  ``prov:value`` is the update's text, cut at ``MAX_TEXT`` characters).
"""

from __future__ import annotations

import time

import pyoxigraph as ox

from ._deps import DeadlineExceeded, sparql_prologue, sparql_tokens, too_late
from .accounts import operator
from .history import now, operator_activity
from .load_source import Fetcher, insert_data, token_iri, without_loads
from .terms import history_graph

#: Characters of an update's text kept in its history entry (a 10 MB INSERT DATA is not copied).
MAX_TEXT = 64 * 1024
_OPERATIONS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")


def written_graphs(text: str, base_iri: str | None = None, toks=None) -> tuple[list[str], bool]:
    """The graphs an update writes as its text names them ("" the default graph), and whether it
    may write others too (a ``GRAPH ?var`` template, ``ALL`` or ``NAMED``)."""
    toks = sparql_tokens(text) if toks is None else toks
    prefixes, base = sparql_prologue(toks, base_iri)
    found: list[str] = []
    anywhere = False

    def name(tok) -> str | None:
        return token_iri(tok, prefixes, base)

    def add(graph: str | None) -> None:
        nonlocal anywhere
        if graph is None:
            anywhere = True
        elif graph not in found:
            found.append(graph)

    with_graph = ""
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.depth == 0 and tok.text == ";":
            with_graph = ""
        elif tok.depth == 0 and tok.is_word("WITH") and i + 1 < len(toks):
            with_graph = name(toks[i + 1]) or ""
        elif tok.depth == 0 and tok.is_word("INSERT", "DELETE"):
            # INSERT/DELETE DATA's block, DELETE WHERE's pattern, a DELETE or INSERT template
            j = next((k for k in range(i + 1, len(toks)) if toks[k].kind == "open"), None)
            if j is not None:
                i = _template(toks, j, with_graph, name, add)
                continue
        elif tok.depth == 0 and tok.is_word("CLEAR", "DROP", "LOAD", "ADD", "MOVE", "COPY"):
            _graph_operation(toks, i, name, add)
        i += 1
    return found, anywhere


def _template(toks, opening: int, default: str, name, add) -> int:
    """Reads one template (or data block) from its ``{``; returns the index after its ``}``."""
    depth = toks[opening].depth
    k = opening + 1
    while k < len(toks) and not (toks[k].kind == "close" and toks[k].depth == depth):
        tok = toks[k]
        if tok.depth == depth + 1 and tok.is_word("GRAPH") and k + 1 < len(toks):
            add(name(toks[k + 1]) if toks[k + 1].kind != "var" else None)
            k += 2
            continue
        if tok.depth == depth + 1 and tok.kind not in ("open", "close") and tok.text != ".":
            add(default)  # a triple outside GRAPH: the WITH graph or the default graph
        k += 1
    return k + 1


def _graph_operation(toks, i: int, name, add) -> None:
    word = toks[i].text.upper()
    rest = [t for t in toks[i + 1:i + 8] if not t.is_word("SILENT", "GRAPH")]

    def target(tok) -> str | None:
        if tok is None or tok.is_word("ALL", "NAMED"):
            return None
        return "" if tok.is_word("DEFAULT") else name(tok)

    if word in ("CLEAR", "DROP"):
        add(target(rest[0] if rest else None))
    elif word == "LOAD":
        into = next((n for n, t in enumerate(rest) if t.is_word("INTO")), None)
        add(target(rest[into + 1]) if into is not None and into + 1 < len(rest) else "")
    else:  # ADD, MOVE, COPY: source TO target
        to = next((n for n, t in enumerate(rest) if t.is_word("TO")), None)
        if to is not None and to + 1 < len(rest):
            add(target(rest[to + 1]))
        if word == "MOVE" and rest:
            add(target(rest[0]))


def has_operations(toks) -> bool:
    return any(t.depth == 0 and t.is_word(*_OPERATIONS) for t in toks)


def _then(text: str, more: str) -> str:
    """``more`` as one more operation of the update ``text`` (appended: the positions a syntax
    error names stay those of the text sent)."""
    stripped = text.rstrip()
    if "#" in stripped[stripped.rfind("\n") + 1:]:  # a comment may end it: read the tokens
        toks = sparql_tokens(text)
        ends_in_semicolon = bool(toks) and toks[-1].text == ";"
    else:
        ends_in_semicolon = stripped.endswith(";")
    return text + ("\n" if ends_in_semicolon else "\n;\n") + more


def apply(contributions, text: str, *, base_iri: str | None, timeout: float, fetcher: Fetcher) -> str | None:
    """Run the operator's update with its history; the activity's IRI (None for an empty update).
    The caller has checked the token, the guard's limits, the literals and the allow-list."""
    store, atlas_base = contributions.store, contributions.base_iri
    started = now()
    deadline = time.monotonic() + timeout
    toks = sparql_tokens(text)
    if not has_operations(toks):
        with contributions.lock:
            store.update(text, base_iri=base_iri)
        return None
    # Fetched before the write lock is taken: a slow document holds up no other write.
    rewritten, loads = without_loads(text, fetcher, base_iri=base_iri, atlas_base=atlas_base, deadline=deadline)
    graphs, anywhere = written_graphs(text, base_iri, toks)
    kept = text if len(text) <= MAX_TEXT else (
        text[:MAX_TEXT] + f"\n# … ({len(text):,} characters in all; the history keeps the first {MAX_TEXT:,})")
    with contributions.lock:
        iri, quads = operator_activity(operator(atlas_base), atlas_base, started, now(), text=kept,
                                       graphs=graphs, anywhere=anywhere, used=[op.source for op in loads])
        history = insert_data([ox.Triple(q.subject, q.predicate, q.object) for q in quads],
                              history_graph(atlas_base))
        left = deadline - time.monotonic()
        try:
            store.update(_then(rewritten, history), base_iri=base_iri, timeout=max(left, 0.001))
        except DeadlineExceeded:  # named with the configured deadline, not what was left of it
            raise too_late(timeout) from None
    return iri
