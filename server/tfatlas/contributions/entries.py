"""What an account owns, with what the shapes find missing: the edit page's list (no Flask).

An account's entries are the IRI resources its graph describes (ownership.py: after a hand-over
this includes its organisation and units). The gate validates them as they are, with the rest of
the store as context, as if the whole graph were being written now: the same findings a write
of any of them would meet. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ..i18n import pick
from ..vocab import RDF, RDFS, tfa
from .accounts import Account
from .change import Change

KINDS = {  # kind -> the classes that make it (first match wins), in the order of the list
    "organisation": ("http://www.w3.org/ns/org#FormalOrganization", "http://www.w3.org/ns/org#Organization",
                     "http://data.europa.eu/m8g/PublicOrganisation"),
    "unit": ("http://www.w3.org/ns/org#OrganizationalUnit",),
    "offer": ("Offer",),
    "other": (),
}


@dataclass
class Entry:
    iri: str
    kind: str
    label: str
    warnings: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def _kind(types: set[str], base_iri: str) -> str:
    for kind, classes in KINDS.items():
        if any((c if "://" in c else tfa(base_iri) + c) in types for c in classes):
            return kind
    return "other"


def entries(service, account: Account, lang: str) -> list[Entry]:
    """The account's entries, organisation first, each with the gate's findings in ``lang``."""
    graph = service.read(account.graph)
    by_subject: dict[ox.NamedNode, set[str]] = {}
    labels: dict[ox.NamedNode, dict[str, str]] = {}
    for t in graph:
        if not isinstance(t.subject, ox.NamedNode):
            continue
        if t.predicate.value == RDF + "type":
            by_subject.setdefault(t.subject, set()).add(t.object.value)
        elif t.predicate.value == RDFS + "label" and isinstance(t.object, ox.Literal):
            labels.setdefault(t.subject, {})[t.object.language or ""] = t.object.value
    found: dict[str, Entry] = {}
    for subject, types in by_subject.items():
        if "http://xmlns.com/foaf/0.1/Document" in types and len(types) == 1:
            continue  # a cited page belongs to the entry that cites it
        found[subject.value] = Entry(subject.value, _kind(types, service.base_iri),
                                     pick(labels.get(subject, {}), lang, subject.value))
    if graph and found:
        report = service.gate.validate(Change(account.graph, set(), graph, "review", existed=False))
        for finding in report.findings:
            entry = found.get(str(finding.focus))
            if entry is not None:
                target = entry.violations if finding.severity == "Violation" else entry.warnings
                message = finding.message(lang)
                if message not in target:
                    target.append(message)
    order = list(KINDS)
    return sorted(found.values(), key=lambda e: (order.index(e.kind), e.label.casefold()))


def offers_named(store, account: Account, lang: str) -> list[tuple[str, str]]:
    """Offers elsewhere (the seed data) that name the actor or a unit of it as provider: shown,
    not editable, until the operator hands them over."""
    rows = store.query(
        f"SELECT DISTINCT ?o ?l WHERE {{ GRAPH ?g {{ ?o <{tfa(store.base_iri)}providedBy> ?p }} "
        f"FILTER(?g != <{account.graph}>) {{ BIND(<{account.actor}> AS ?p) }} UNION "
        f"{{ ?p <http://www.w3.org/ns/org#unitOf>+ <{account.actor}> }} OPTIONAL {{ ?o <{RDFS}label> ?l }} }}")
    texts: dict[str, dict[str, str]] = {}
    for row in rows:
        entry = texts.setdefault(row["o"].value, {})
        if row["l"] is not None:
            entry[row["l"].language or ""] = row["l"].value
    return sorted(((iri, pick(t, lang, iri)) for iri, t in texts.items()), key=lambda x: x[1].casefold())
