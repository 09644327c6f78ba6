"""What the index holds about each offer, read from any AtlasStore through SPARQL.

One document per offer: its titles and descriptions by language, and the labels (preferred and
alternative, so synonyms such as KI / Künstliche Intelligenz / AI) of the resources it links to:
topics, challenges, target groups, offer types, competencies and its provider (with the
organisation a providing unit belongs to). Each document has a digest of its content, so the
index can tell which offers changed without trusting anything but the store.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Iterable

import pyoxigraph as ox

# The only names this package takes from the rest of the atlas (repoint here after moves).
TFA = "https://w3id.org/tfatlas/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCT = "http://purl.org/dc/terms/"
ORG = "http://www.w3.org/ns/org#"
FOAF = "http://xmlns.com/foaf/0.1/"

#: Link kinds of a document: the offer's property, and the field it feeds.
LINKS = {
    "topic": TFA + "hasTopic",
    "challenge": TFA + "addressesChallenge",
    "audience": DCT + "audience",
    "type": DCT + "type",
    "competency": TFA + "developsCompetency",
    "provider": TFA + "providedBy",
}
_KIND_OF = {prop: kind for kind, prop in LINKS.items()}
_PREF = (SKOS + "prefLabel", RDFS + "label", FOAF + "name")
_ALT = (SKOS + "altLabel",)


@dataclass
class Link:
    kind: str  # a key of LINKS
    iri: str
    labels: dict[str, list[str]] = field(default_factory=dict)  # lang -> preferred labels
    alt: dict[str, list[str]] = field(default_factory=dict)  # lang -> alternative labels (synonyms)

    def label(self, lang: str) -> str:
        for chosen in (self.labels.get(lang), self.labels.get("de"), *self.labels.values()):
            if chosen:
                return chosen[0]
        return self.iri.rsplit("/", 1)[-1]


@dataclass
class OfferDoc:
    iri: str
    own_lang: str = "de"  # the language the offer was written in; others are translations
    titles: dict[str, list[str]] = field(default_factory=dict)
    descriptions: dict[str, list[str]] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "OfferDoc":
        data = json.loads(text)
        data["links"] = [Link(**link) for link in data["links"]]
        return cls(**data)

    @property
    def digest(self) -> int:
        """64 bits of a hash of the whole content (what the index would store for this offer)."""
        return int.from_bytes(hashlib.blake2b(self.to_json().encode(), digest_size=8).digest(), "big")

    def title(self, lang: str) -> str:
        for chosen in (self.titles.get(lang), self.titles.get(self.own_lang), *self.titles.values()):
            if chosen:
                return chosen[0]
        return self.iri.rsplit("/", 1)[-1]

    def description(self, lang: str) -> str:
        for chosen in (self.descriptions.get(lang), self.descriptions.get(self.own_lang),
                       *self.descriptions.values()):
            if chosen:
                return chosen[0]
        return ""


def _values(var: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{var} {{ {' '.join(str(ox.NamedNode(i)) for i in sorted(iris))} }}"


_PROPS = " ".join(f"<{p}>" for p in LINKS.values())
_LABEL_PROPS = " ".join(f"<{p}>" for p in _PREF + _ALT)

_OWN = f"""
SELECT ?offer ?p ?v ?srclang WHERE {{
  %s
  ?offer a <{TFA}Offer> .
  {{ ?offer ?p ?v . VALUES ?p {{ <{RDFS}label> <{DCT}description> }} }}
  UNION {{ ?offer <{DCT}language> ?v BIND(<{DCT}language> AS ?p) }}
  UNION {{ ?offer <{DCT}source>/<{DCT}title> ?t BIND(LANG(?t) AS ?srclang) }}
}}"""

# Labels of linked resources, and of the organisation a providing unit belongs to.
_LINKED = f"""
SELECT ?offer ?p ?x ?lp ?l WHERE {{
  %s
  ?offer a <{TFA}Offer> .
  {{ ?offer ?p ?x . VALUES ?p {{ {_PROPS} }} }}
  UNION {{ ?offer <{TFA}providedBy>/(<{ORG}unitOf>|<{ORG}subOrganizationOf>) ?x BIND(<{TFA}providedBy> AS ?p) }}
  ?x ?lp ?l . VALUES ?lp {{ {_LABEL_PROPS} }}
}}"""


def _lang(literal) -> str:
    return (literal.language or "de").split("-")[0] if isinstance(literal, ox.Literal) else "de"


def read_offers(store, iris: Iterable[str] | None = None) -> dict[str, OfferDoc]:
    """The documents of all offers, or of those among ``iris`` that are offers (by IRI)."""
    if iris is not None:
        iris = sorted(set(iris))
        if not iris:
            return {}
    restrict = _values("offer", iris) if iris is not None else ""
    docs: dict[str, OfferDoc] = {}
    source_langs: dict[str, set[str]] = {}
    declared: dict[str, str] = {}
    for row in store.query(_OWN % restrict):
        iri = row["offer"].value
        doc = docs.setdefault(iri, OfferDoc(iri))
        if row["srclang"] is not None:
            if row["srclang"].value:
                source_langs.setdefault(iri, set()).add(row["srclang"].value.split("-")[0])
            continue
        value, prop = row["v"], row["p"].value
        if prop == DCT + "language":
            code = value.value.rstrip("/").rsplit("/", 1)[-1].lower()[:2]  # an EU authority IRI or a code
            declared[iri] = {"ge": "de", "de": "de", "en": "en"}.get(code, code)
            continue
        target = doc.titles if prop == RDFS + "label" else doc.descriptions
        target.setdefault(_lang(value), []).append(value.value)
    links: dict[tuple[str, str, str], Link] = {}
    for row in store.query(_LINKED % restrict):
        iri = row["offer"].value
        if iri not in docs or not isinstance(row["x"], ox.NamedNode):
            continue
        kind = _KIND_OF[row["p"].value]
        link = links.get((iri, kind, row["x"].value))
        if link is None:
            link = links[(iri, kind, row["x"].value)] = Link(kind, row["x"].value)
            docs[iri].links.append(link)
        label = row["l"]
        if isinstance(label, ox.Literal):
            target = link.alt if row["lp"].value in _ALT else link.labels
            target.setdefault(_lang(label), []).append(label.value)
    for iri, doc in docs.items():
        doc.own_lang = _own_language(doc, declared.get(iri), source_langs.get(iri, set()))
        _canonical(doc)
    return docs


def _own_language(doc: OfferDoc, declared: str | None, source_langs: set[str]) -> str:
    """dct:language when stated; else the language of the cited page's title; else German."""
    if declared in ("de", "en"):
        return declared
    if len(source_langs) == 1 and next(iter(source_langs)) in doc.titles:
        return next(iter(source_langs))
    if "de" in doc.titles or not doc.titles:
        return "de"
    return sorted(doc.titles)[0]


def _canonical(doc: OfferDoc) -> None:
    """One order for everything, so equal content gives an equal digest whatever the store's order."""
    for mapping in (doc.titles, doc.descriptions):
        for key in mapping:
            mapping[key] = sorted(set(mapping[key]))
    for link in doc.links:
        for mapping in (link.labels, link.alt):
            for key in mapping:
                mapping[key] = sorted(set(mapping[key]))
    doc.links.sort(key=lambda link: (link.kind, link.iri))


_AFFECTED = f"""
SELECT DISTINCT ?offer WHERE {{
  %s
  {{ ?x a <{TFA}Offer> BIND(?x AS ?offer) }}
  UNION {{ ?offer ?p ?x . VALUES ?p {{ {_PROPS} }} ?offer a <{TFA}Offer> }}
  UNION {{ ?offer <{TFA}providedBy>/(<{ORG}unitOf>|<{ORG}subOrganizationOf>) ?x . ?offer a <{TFA}Offer> }}
}}"""


def affected_offers(store, changed: Iterable[str]) -> set[str]:
    """The offers whose document a change of these resources may alter (as the store is now)."""
    changed = {c for c in changed if c}
    if not changed:
        return set()
    return {row["offer"].value for row in store.query(_AFFECTED % _values("x", changed))}
