"""SPARQL Update limited to one graph: the account's.

For an account, the update's default graph *is* its graph, and ``GRAPH <its graph>`` names the
same triples. Refused (403) before anything runs: any other graph named anywhere (``GRAPH``,
``WITH``, ``USING``, ``INTO``), ``GRAPH ?var``, ``CLEAR``/``DROP`` of ``ALL`` or ``NAMED``,
``ADD``/``MOVE``/``COPY`` (they need two graphs), ``LOAD`` and ``SERVICE``. The update then runs
against an in-memory copy of the account's graph and the result is diffed with the graph: that
difference goes through the same gate as every other write. Patterns in ``WHERE`` see the
account's graph only.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from ._deps import (on_large_stack, sparql_guard_problem, sparql_prologue, sparql_resolve, sparql_tokens,
                    update_problem)
from .errors import BadBody, Forbidden

_FORBIDDEN_WORDS = {"LOAD": "LOAD (it fetches data from the web)",
                    "SERVICE": "SERVICE (it queries other servers)",
                    "ADD": "ADD (it needs two graphs; an account has one)",
                    "MOVE": "MOVE (it needs two graphs; an account has one)",
                    "COPY": "COPY (it needs two graphs; an account has one)"}


def _refuse(what: str, graph: str) -> Forbidden:
    return Forbidden(f"The update {what}; an account's update may use only its own graph <{graph}> "
                     "(as the default graph or by name). Nothing was changed.",
                     f"Die Änderung {what}; die Änderung eines Kontos darf nur den eigenen Graphen "
                     f"<{graph}> verwenden (als Standardgraph oder beim Namen). Es wurde nichts geändert.")


def check_graphs(text: str, graph: str, base_iri: str | None = None) -> None:
    """Refuse (403) an update that names a graph other than ``graph`` or reaches outside."""
    toks = sparql_tokens(text)
    prefixes, base = sparql_prologue(toks, base_iri)

    def iri_of(tok) -> str | None:
        if tok.kind == "iri":
            return sparql_resolve(tok.text, base)
        if tok.kind == "pname":
            prefix, _, local = tok.text.partition(":")
            if prefix in prefixes:
                return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
        return None

    def must_be_own(tok, keyword: str) -> None:
        if tok is None:
            return
        if tok.kind == "var":
            raise _refuse(f"uses {keyword} {tok.text}, which could reach any graph", graph)
        if tok.kind in ("iri", "pname"):
            target = iri_of(tok)
            if target != graph:
                raise _refuse(f"names the graph <{target or tok.text}>", graph)

    for i, tok in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if tok.kind != "word":
            continue
        word = tok.text.upper()
        if word in _FORBIDDEN_WORDS:
            raise _refuse(f"uses {_FORBIDDEN_WORDS[word]}", graph)
        if word in ("GRAPH", "WITH", "INTO"):
            if word == "INTO" and nxt is not None and nxt.is_word("GRAPH"):
                continue
            must_be_own(nxt, word)
        elif word == "USING":
            if nxt is not None and nxt.is_word("NAMED"):
                nxt = toks[i + 2] if i + 2 < len(toks) else None
            must_be_own(nxt, "USING")
        elif word in ("CLEAR", "DROP", "CREATE"):
            j = i + 1
            if j < len(toks) and toks[j].is_word("SILENT"):
                j += 1
            target = toks[j] if j < len(toks) else None
            if target is not None and target.is_word("ALL", "NAMED"):
                raise _refuse(f"uses {word} {target.text.upper()}, which reaches every graph", graph)


def run_on_graph(text: str, before: set[ox.Triple], graph: str, base_iri: str | None = None) -> set[ox.Triple]:
    """The account graph's triples after the update (run on an in-memory copy)."""
    # The engine's recursion: the guard's limits, and a large stack for what they admit.
    if (too_large := sparql_guard_problem(text, update=True)) is not None:
        raise BadBody(f"Malformed update: {too_large}", f"Fehlerhafte Änderung: {too_large}")
    if (unsafe := update_problem(text)) is not None:  # what the store could not dump or publish
        raise BadBody(f"Refused update: {unsafe}", f"Abgelehnte Änderung: {unsafe}")
    check_graphs(text, graph, base_iri)
    memory = ox.Store()
    named = ox.NamedNode(graph)
    # The same triples as the default graph and as the named graph: the update may use either.
    memory.extend([ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in before]
                  + [ox.Quad(t.subject, t.predicate, t.object, named) for t in before])
    try:
        on_large_stack(memory.update, text, base_iri=base_iri)
    except SyntaxError as exc:
        raise BadBody(f"Malformed update: {exc}", f"Fehlerhafte Änderung: {exc}") from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise BadBody(f"The update cannot be evaluated: {exc}",
                      f"Die Änderung lässt sich nicht ausführen: {exc}") from None
    default_after, named_after, other = set(), set(), set()
    for q in memory:
        t = ox.Triple(q.subject, q.predicate, q.object)
        if isinstance(q.graph_name, ox.DefaultGraph):
            default_after.add(t)
        elif q.graph_name == named:
            named_after.add(t)
        else:
            other.add(q.graph_name)
    if other:  # the static check should have caught it; never write elsewhere
        raise _refuse(f"writes into <{sorted(g.value for g in other)[0]}>", graph)
    removed = (before - default_after) | (before - named_after)
    added = (default_after - before) | (named_after - before)
    return (before - removed) | added
