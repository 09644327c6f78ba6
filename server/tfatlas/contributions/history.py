"""The write history: one ``prov:Activity`` per accepted write, in ``<base>graph/history``.

For each write::

    <base>id/change/<time>-<random> a prov:Activity ;
        prov:startedAtTime, prov:endedAtTime "…"^^xsd:dateTime ;
        prov:wasAssociatedWith <account>, <actor> ;      # who (the account acts for the actor)
        tfa:changedGraph <graph> ;                        # which graph
        tfa:viaInterface "gsp" | "sparql-update" | … ;    # through which interface
        tfa:triplesAdded 3 ; tfa:triplesRemoved 1 ;       # how much
        prov:influenced <resource> ;                      # each resource it changed
        tfa:addedStatement [ a rdf:Statement ; rdf:subject … ; rdf:predicate … ; rdf:object … ] ;
        tfa:removedStatement [ … ] .
    <account> a prov:Agent ; prov:actedOnBehalfOf <actor> .

The changed triples are kept reified (RDF 1.1 ``rdf:Statement``) in the history graph rather
than as per-activity named graphs: the default graph everyone reads is the union of all graphs,
so a named graph of removed triples would put them back into what everyone reads. Reified, they
are queryable (``?st rdf:subject <offer>``) and change no answer about the resources themselves.
Account labels and token hashes never appear here.

Also here: ``dct:modified`` of each changed resource, set by the atlas to the day of the write.
"""

from __future__ import annotations

import datetime as _dt
import secrets

import pyoxigraph as ox

from .accounts import Account
from .change import Change, resources
from .terms import DCT, MODIFIED, PROV, RDF, RDF_TYPE, RDFS, XSD, for_base, history_graph

N = ox.NamedNode


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def activity_iri(base_iri: str, when: _dt.datetime) -> str:
    return f"{base_iri}id/change/{when.strftime('%Y%m%dT%H%M%S%fZ')}-{secrets.token_hex(3)}"


def stamp_modified(change: Change, when: _dt.datetime, base_iri: str, other_types=None) -> None:
    """Set ``dct:modified`` (the day of the write) on each changed resource of an atlas kind.

    ``other_types`` maps resources to the classes the other graphs give them. Resources the
    change removes entirely get no date (nothing would remain to carry it).
    """
    modified = N(MODIFIED)
    today = ox.Literal(when.date().isoformat(), datatype=N(XSD + "date"))
    types: dict = {}
    for t in change.after:
        if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            types.setdefault(t.subject, set()).add(t.object.value)
    subjects = {t.subject for t in change.after}
    for resource in resources(change):
        kinds = types.get(resource, set()) | set((other_types or {}).get(resource, ()))
        if resource not in subjects or not kinds & for_base(base_iri).STAMPED_CLASSES:
            continue
        change.after -= {t for t in change.after if t.subject == resource and t.predicate == modified}
        change.after.add(ox.Triple(resource, modified, today))


def activity(change: Change, account: Account, base_iri: str, started: _dt.datetime,
             ended: _dt.datetime, iri: str | None = None) -> tuple[str, list[ox.Quad]]:
    """The activity's IRI and its quads in the history graph."""
    own = for_base(base_iri)  # the atlas's terms on its base IRI
    graph = N(history_graph(base_iri))
    act = N(iri or activity_iri(base_iri, started))
    stamp = ox.NamedNode(XSD + "dateTime")
    quads: list[ox.Quad] = []

    def add(s, p, o):
        quads.append(ox.Quad(s, N(p), o, graph))

    add(act, RDF_TYPE, N(PROV + "Activity"))
    add(act, PROV + "startedAtTime", ox.Literal(started.isoformat(timespec="milliseconds"), datatype=stamp))
    add(act, PROV + "endedAtTime", ox.Literal(ended.isoformat(timespec="milliseconds"), datatype=stamp))
    agent = N(account.iri(base_iri))
    add(act, PROV + "wasAssociatedWith", agent)
    add(agent, RDF_TYPE, N(PROV + "Agent"))
    if account.actor:
        add(act, PROV + "wasAssociatedWith", N(account.actor))
        add(agent, PROV + "actedOnBehalfOf", N(account.actor))
    add(act, own.CHANGED_GRAPH, N(change.graph) if change.graph else N(base_iri + "graph/default"))
    add(act, own.VIA_INTERFACE, ox.Literal(change.interface))
    added, removed = change.added, change.removed
    add(act, own.TRIPLES_ADDED, ox.Literal(str(len(added)), datatype=N(XSD + "nonNegativeInteger")))
    add(act, own.TRIPLES_REMOVED, ox.Literal(str(len(removed)), datatype=N(XSD + "nonNegativeInteger")))
    for resource in sorted(resources(change), key=lambda n: n.value):
        add(act, PROV + "influenced", resource)
    for link, triples in ((own.ADDED_STATEMENT, added), (own.REMOVED_STATEMENT, removed)):
        for t in sorted(triples, key=str):
            statement = ox.BlankNode()
            add(act, link, statement)
            add(statement, RDF_TYPE, N(RDF + "Statement"))
            add(statement, RDF + "subject", t.subject)
            add(statement, RDF + "predicate", t.predicate)
            add(statement, RDF + "object", t.object)
    return act.value, quads


def operator_activity(account: Account, base_iri: str, started: _dt.datetime, ended: _dt.datetime, *,
                      text: str, graphs: list[str], anywhere: bool, used: list[str]) -> tuple[str, list[ox.Quad]]:
    """The activity of an operator's SPARQL Update (see :mod:`.operator_update`): who, when, the
    graphs it writes ("" the default graph), the documents it loaded (``prov:used``), and the
    request it carried out, an entity whose ``prov:value`` is the update's text."""
    own = for_base(base_iri)
    graph = N(history_graph(base_iri))
    act = N(activity_iri(base_iri, started))
    request = N(act.value + "/update")
    stamp = N(XSD + "dateTime")
    agent = N(account.iri(base_iri))
    quads = [ox.Quad(s, N(p), o, graph) for s, p, o in (
        (act, RDF_TYPE, N(PROV + "Activity")),
        (act, PROV + "startedAtTime", ox.Literal(started.isoformat(timespec="milliseconds"), datatype=stamp)),
        (act, PROV + "endedAtTime", ox.Literal(ended.isoformat(timespec="milliseconds"), datatype=stamp)),
        (act, PROV + "wasAssociatedWith", agent),
        (agent, RDF_TYPE, N(PROV + "Agent")),
        (act, own.VIA_INTERFACE, ox.Literal("sparql-update")),
        (act, PROV + "used", request),
        (request, RDF_TYPE, N(PROV + "Entity")),
        (request, DCT + "format", ox.Literal("application/sparql-update")),
        (request, PROV + "value", ox.Literal(text)),
    )]
    for written in graphs:
        quads.append(ox.Quad(act, N(own.CHANGED_GRAPH), N(written or base_iri + "graph/default"), graph))
    if anywhere:
        for lang, comment in ANY_GRAPH.items():
            quads.append(ox.Quad(act, N(RDFS + "comment"), ox.Literal(comment, language=lang), graph))
    for source in used:
        quads.append(ox.Quad(act, N(PROV + "used"), N(source), graph))
    return act.value, quads


ANY_GRAPH = {"de": "Die Änderung kann auch Graphen geschrieben haben, die ihr Text nicht nennt (GRAPH ?g, "
                   "ALL, NAMED).",
             "en": "The update may also have written graphs its text does not name (GRAPH ?g, ALL, NAMED)."}
