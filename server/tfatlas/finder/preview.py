"""The finder's card for an offer that is not stored yet (the edit page's preview).

The card is filled by the same code as the finder's result list (``_details``), run over a small
in-memory store: the proposed statements plus the labels (and the provider's contact point) of
what they point to, so the preview shows what the finder will show after saving.
"""

from __future__ import annotations

import pyoxigraph as ox

from ..vocab import DCAT, RDFS, SKOS, VCARD
from .search import Offer, _details


class _Overlay:
    """Just enough of an AtlasStore for ``_details``: ``query`` and ``base_iri``."""

    def __init__(self, base_iri: str, triples):
        self.base_iri = base_iri
        self.oxigraph = ox.Store()
        self.oxigraph.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)

    def query(self, text: str, **_ignored):
        return self.oxigraph.query(text)


def card(store, iri: str, triples, lang: str) -> Offer:
    """The finder's card for the offer ``iri`` described by ``triples`` (not stored)."""
    triples = set(triples)
    pointed = sorted({t.object.value for t in triples if isinstance(t.object, ox.NamedNode)})
    context: set[ox.Triple] = set()
    if pointed:
        values = " ".join(f"<{i}>" for i in pointed)
        context = set(store.query(
            f"CONSTRUCT {{ ?s ?p ?o . ?s <{DCAT}contactPoint> ?c . ?c <{VCARD}hasEmail> ?e . "
            f"?c <{VCARD}hasURL> ?u }} WHERE {{ VALUES ?s {{ {values} }} "
            f"{{ ?s ?p ?o FILTER(?p IN (<{SKOS}prefLabel>, <{RDFS}label>)) }} UNION "
            f"{{ ?s <{DCAT}contactPoint> ?c OPTIONAL {{ ?c <{VCARD}hasEmail> ?e }} "
            f"OPTIONAL {{ ?c <{VCARD}hasURL> ?u }} }} }}"))
    offer = Offer(iri=iri, label="", rank=0)
    _details(_Overlay(store.base_iri, triples | context), [offer], lang)
    labels = {t.object.language: t.object.value for t in triples
              if t.subject.value == iri and t.predicate.value == RDFS + "label"}
    offer.label = labels.get(lang) or labels.get("de") or next(iter(labels.values()), "")
    return offer
