"""Handing seed resources over to an actor (an operator's action).

A resource described in a seed graph (a file in data/) is nobody's to edit: ownership refuses
every statement about it. The operator hands it over: all its statements, with the blank nodes
they lead to (one level, as contact points are), move from the graphs that hold them into the
actor's graph in one update, recorded in the history as a ``prov:Activity`` (interface
``handover``) that names the source graphs. The union everyone reads is the same before and
after; from then on the actor maintains the resource. Sources (``foaf:Document``) stay where
they are: several actors cite the same page, and citing needs no description of one's own.

What :func:`candidates` proposes for an actor: the actor, its units (``org:unitOf`` chains),
and the offers, initiatives and events its organisation or units provide, run or organise alone.
"""

from __future__ import annotations

import pyoxigraph as ox

from .accounts import Account, operator
from .change import Change
from .history import activity, now
from .terms import ORG, PROV, for_base, history_graph
from ._deps import meta_graph


def candidates(store, actor: str) -> list[str]:
    """IRIs the operator would hand over to ``actor``: the actor, its units and what they provide."""
    TFA = for_base(store.base_iri).TFA
    rows = store.query(f"""
        SELECT DISTINCT ?r WHERE {{
          {{ BIND(<{actor}> AS ?r) }}
          UNION {{ ?r (<{ORG}unitOf>|^<{ORG}hasUnit>)+ <{actor}> }}
          UNION {{ ?r <{TFA}providedBy>|<{TFA}organisedBy> ?who .
                   ?who (<{ORG}unitOf>|^<{ORG}hasUnit>)* <{actor}> }}
          UNION {{ ?r <{PROV}wasAssociatedWith> ?who .
                   ?who (<{ORG}unitOf>|^<{ORG}hasUnit>)* <{actor}>
                   FILTER NOT EXISTS {{ ?r <{PROV}wasAssociatedWith> ?other .
                     FILTER NOT EXISTS {{ ?other (<{ORG}unitOf>|^<{ORG}hasUnit>)* <{actor}> }} }} }}
          FILTER EXISTS {{ ?r ?p ?o }}
        }} ORDER BY ?r""")
    return [row["r"].value for row in rows if isinstance(row["r"], ox.NamedNode)]


def handover(store, account: Account, resources: list[str], *, by: Account | None = None) -> tuple[str | None, int]:
    """Move every statement about ``resources`` into the account's graph; (activity IRI, triples)."""
    graph = account.graph
    base = store.base_iri
    skipped = ", ".join(f"<{g}>" for g in (graph, history_graph(base), meta_graph(base)))
    values = " ".join(f"<{r}>" for r in resources)
    pattern = (f"VALUES ?s {{ {values} }} GRAPH ?src {{ ?s ?p ?o OPTIONAL {{ ?o ?bp ?bo FILTER(isBlank(?o)) }} }} "
               f"FILTER(?src NOT IN ({skipped}))")
    moved = set()
    sources = set()
    for row in store.query(f"SELECT ?src ?s ?p ?o ?bp ?bo WHERE {{ {pattern} }}", union_default=False):
        sources.add(row["src"].value)
        moved.add(ox.Triple(row["s"], row["p"], row["o"]))
        if row["bp"] is not None:
            moved.add(ox.Triple(row["o"], row["bp"], row["bo"]))
    if not moved:
        return None, 0
    started = now()
    change = Change(graph, set(), moved, "handover")
    iri, history = activity(change, by or operator(base), base, started, now())
    extra = [ox.Quad(ox.NamedNode(iri), ox.NamedNode(PROV + "used"), ox.NamedNode(src), ox.NamedNode(history_graph(base)))
             for src in sorted(sources)]
    history_text = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in history + extra)
    # One operation moves the statements (variables keep blank nodes the same nodes) and records it.
    store.update(
        f"DELETE {{ GRAPH ?src {{ ?s ?p ?o . ?o ?bp ?bo }} }} "
        f"INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o . ?o ?bp ?bo }} }} WHERE {{ {pattern} }} ;\n"
        f"INSERT DATA {{ GRAPH <{history_graph(base)}> {{\n{history_text}\n}} }}",
        graphs=[graph, history_graph(base), *sorted(sources)])
    return iri, len(moved)
