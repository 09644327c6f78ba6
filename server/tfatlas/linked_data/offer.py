"""What an offer's page answers first: who provides it, how, for whom, at what cost, whom to ask.

Each answer is read from the offer's statements (and its provider's, for a contact); where the
data has none, the answer is empty and the page says so plainly ("Kosten: keine Angabe").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ..vocab import DCAT, DCT, FOAF, RDF, SCHEMA, VCARD, tfa
from . import labels as L


@dataclass
class Link:
    text: str
    iri: str


@dataclass
class Contact:
    name: str = ""
    emails: list[str] = field(default_factory=list)  # without "mailto:"
    urls: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    of_provider: bool = False  # the provider's contact point, the offer names none


@dataclass
class OfferSummary:
    providers: list[Link]
    formats: list[Link]  # offer types, then delivery modes
    dates: list[str]
    audiences: list[Link]
    costs: list[Link]
    contact: Contact | None
    provider_homepages: list[str]
    page: list[str]  # the offer's own web page(s)


def _objects(store, subject: str, predicate: str) -> list:
    rows = store.query(f"SELECT DISTINCT ?o WHERE {{ <{subject}> <{predicate}> ?o }} ORDER BY ?o")
    return [row["o"] for row in rows]


def _iris(store, subject: str, predicate: str) -> list[str]:
    return [term.value for term in _objects(store, subject, predicate) if isinstance(term, ox.NamedNode)]


def _contact(store, point: str) -> Contact:
    def texts(predicate: str) -> list[str]:
        return [term.value for term in _objects(store, point, VCARD + predicate)]

    return Contact(name=(texts("fn") or [""])[0],
                   emails=[e.removeprefix("mailto:") for e in texts("hasEmail")],
                   urls=texts("hasURL"), phones=[p.removeprefix("tel:") for p in texts("hasTelephone")])


def offer_summary(store, iri: str, base_iri: str, lang: str) -> OfferSummary | None:
    """The answers for an offer (a resource typed tfa:Offer), None for anything else."""
    ns = tfa(base_iri)
    if ns + "Offer" not in _iris(store, iri, RDF + "type"):
        return None
    providers = _iris(store, iri, ns + "providedBy")
    wanted = {
        "providers": providers,
        "formats": _iris(store, iri, DCT + "type") + _iris(store, iri, ns + "deliveryMode"),
        "audiences": _iris(store, iri, DCT + "audience"),
        "costs": _iris(store, iri, ns + "costModel"),
    }
    names = L.labels_for(store, {i for iris in wanted.values() for i in iris}, lang)
    linked = {key: [Link(str(names.get(i, i)), i) for i in iris] for key, iris in wanted.items()}

    dates = [term.value for predicate in (SCHEMA + "startDate", SCHEMA + "endDate", DCT + "temporal")
             for term in _objects(store, iri, predicate)]
    contact = None
    points = _iris(store, iri, DCAT + "contactPoint")
    if points:
        contact = _contact(store, points[0])
    else:
        for provider in providers:
            provider_points = _iris(store, provider, DCAT + "contactPoint")
            if provider_points:
                contact = _contact(store, provider_points[0])
                contact.of_provider = True
                break
    homepages = [h for p in providers for h in _iris(store, p, FOAF + "homepage")]
    return OfferSummary(dates=dates, contact=contact, provider_homepages=homepages,
                        page=_iris(store, iri, FOAF + "page"), **linked)
