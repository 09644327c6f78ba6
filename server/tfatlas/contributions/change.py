"""A proposed change of one graph: its triples before and after, and what that adds and removes."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

Triple = ox.Triple


def iri_values(nodes) -> str:
    """IRIs for a SPARQL VALUES block."""
    return " ".join(f"<{n.value if isinstance(n, ox.NamedNode) else n}>" for n in nodes)


def batches(items: list, size: int = 300):
    """Slices of ``items``, so that each VALUES block stays small."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class Change:
    graph: str  # graph IRI; "" is the store's default graph (the operator only)
    before: set[Triple]
    after: set[Triple]
    interface: str  # "gsp", "sparql-update", "edit-page", "handover", ...
    existed: bool = True  # the graph had triples before

    @property
    def added(self) -> set[Triple]:
        return self.after - self.before

    @property
    def removed(self) -> set[Triple]:
        return self.before - self.after

    @property
    def empty(self) -> bool:
        return self.after == self.before


def blank_nodes(triples) -> set[ox.BlankNode]:
    return {t for triple in triples for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)}


def roots(triples: set[Triple], nodes) -> dict:
    """For each blank node, an IRI subject of ``triples`` that leads to it (None when none does)."""
    parents: dict = {}
    for t in triples:
        if isinstance(t.object, ox.BlankNode):
            parents.setdefault(t.object, []).append(t.subject)
    found: dict = {}
    for node in nodes:
        seen, todo, root = {node}, [node], None
        while todo and root is None:
            current = todo.pop()
            for parent in parents.get(current, ()):
                if isinstance(parent, ox.NamedNode):
                    root = parent
                    break
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        found[node] = root
    return found


def resources(change: Change) -> set[ox.NamedNode]:
    """The IRI resources a change touches: its subjects, blank nodes counted to their resource."""
    touched = change.added | change.removed
    subjects = {t.subject for t in touched}
    iris = {s for s in subjects if isinstance(s, ox.NamedNode)}
    bnodes = [s for s in subjects if isinstance(s, ox.BlankNode)]
    for graph in (change.after, change.before):
        for node, root in roots(graph, bnodes).items():
            if root is not None:
                iris.add(root)
    return iris


def _signature(triples: set[Triple], node) -> tuple:
    def term(t):
        return "_" if isinstance(t, ox.BlankNode) else str(t)

    out = sorted((str(t.predicate), term(t.object)) for t in triples if t.subject == node)
    into = sorted((term(t.subject), str(t.predicate)) for t in triples if t.object == node)
    return tuple(out), tuple(into)


def keep_blank_nodes(before: set[Triple], after: set[Triple]) -> set[Triple]:
    """``after`` with each of its blank nodes that has exactly one twin in ``before`` (the same
    statements, the same statements pointing to it) replaced by that twin.

    A PUT body's blank nodes are new nodes; without this, re-sending an unchanged contact point
    would remove and re-add it, and the history would show a change that is none.
    """
    new_nodes, old_nodes = blank_nodes(after), blank_nodes(before)
    if not new_nodes or not old_nodes:
        return after
    old_by_sig: dict = {}
    for node in old_nodes:
        old_by_sig.setdefault(_signature(before, node), []).append(node)
    new_by_sig: dict = {}
    for node in new_nodes:
        new_by_sig.setdefault(_signature(after, node), []).append(node)
    rename = {new[0]: old_by_sig[sig][0] for sig, new in new_by_sig.items()
              if len(new) == 1 and len(old_by_sig.get(sig, ())) == 1}
    if not rename:
        return after
    return {Triple(rename.get(t.subject, t.subject), t.predicate, rename.get(t.object, t.object)) for t in after}
