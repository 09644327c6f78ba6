"""What the index holds about each offer, read from any AtlasStore through SPARQL.

One document per offer: its titles and descriptions by language, the labels (preferred and
alternative, so synonyms such as KI / Künstliche Intelligenz / AI) of the resources it links to:
topics, challenges, target groups, offer types, competencies and its provider (with the
organisation a providing unit belongs to), and the concepts it names for each of the finder's
facets (what the finder filters and counts by). Each document has a digest of its content, so
the index can tell which offers changed without trusting anything but the store.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox

from ..vocab import DCT, FOAF, ORG, RDFS, SKOS, tfa

#: The atlas's ontology namespace in the queries below; it follows the store's base IRI.
TFA = "@TFA@"

#: Link kinds of a document: the offer's property, and the field it feeds.
LINKS = {
    "topic": TFA + "hasTopic",
    "challenge": TFA + "addressesChallenge",
    "audience": DCT + "audience",
    "type": DCT + "type",
    "competency": TFA + "developsCompetency",
    "provider": TFA + "providedBy",
}

#: The finder's facets (tfatlas.finder.FACETS): the offer's property naming a concept of each.
FACETS = {
    "challenge": TFA + "addressesChallenge",
    "topic": TFA + "hasTopic",
    "audience": DCT + "audience",
    "mode": TFA + "deliveryMode",
    "cost": TFA + "costModel",
}


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _run(store, template: str, *args):
    return store.query((template % args).replace(TFA, tfa(store.base_iri)))
_PREF = (SKOS + "prefLabel", RDFS + "label", FOAF + "name")
_ALT = (SKOS + "altLabel",)


@dataclass
class Link:
    kind: str  # a key of LINKS
    iri: str
    labels: dict[str, list[str]] = field(default_factory=dict)  # lang -> preferred labels
    alt: dict[str, list[str]] = field(default_factory=dict)  # lang -> alternative labels (synonyms)

    def to_json(self) -> str:
        """Its part of an offer's JSON (computed once: a link is shared and never changed)."""
        text = self.__dict__.get("_json")
        if text is None:
            text = self.__dict__["_json"] = _dumps(
                {"alt": self.alt, "iri": self.iri, "kind": self.kind, "labels": self.labels})
        return text

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
    concepts: dict[str, list[str]] = field(default_factory=dict)  # facet -> the IRIs the offer names

    def to_json(self) -> str:
        """The document as the index stores it (equal content, equal text: the digest's input):
        ``json.dumps`` of its fields with sorted keys, assembled from parts so that each shared
        link is serialised once. Computed once: a document is not changed after it is read."""
        text = self.__dict__.get("_json")
        if text is None:
            text = self.__dict__["_json"] = (
                f'{{"concepts":{_dumps(self.concepts)},"descriptions":{_dumps(self.descriptions)},'
                f'"iri":{_dumps(self.iri)},"links":[{",".join(link.to_json() for link in self.links)}],'
                f'"own_lang":{_dumps(self.own_lang)},"titles":{_dumps(self.titles)}}}')
        return text

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


# Simple patterns, each read once and joined here: one query joining labels to offers was
# measured 200 times slower (566 s against 2.6 s for 2,471 offers at 100k triples). Each property
# is scanned on its own and joined with the offers in Python: at 1M triples even the join of one
# property with the offers took twice the time of the scan (0.7 s against 0.4 s for 50k rows).
_OFFERS = f"SELECT ?o WHERE {{ %s ?o a <{TFA}Offer> }}"
_PARENTS = f"SELECT ?o ?v WHERE {{ %s ?o <{ORG}unitOf>|<{ORG}subOrganizationOf> ?v }}"
_VALUES = "SELECT ?o ?v WHERE { %s ?o <%s> ?v }"


def _pairs(store, query: str, *args) -> list[tuple[str, object]]:
    results = _run(store, query, *args)
    if [v.value for v in results.variables] != ["o", "v"]:  # a remote server may order them otherwise
        results = ((row["o"], row["v"]) for row in results)
    return [(o.value, v) for o, v in results if isinstance(o, ox.NamedNode)]


def _scan(store, prop: str, subjects: set[str] | None, restrict: bool) -> list[tuple[str, object]]:
    """(subject, value) of every statement with ``prop`` whose subject is in ``subjects`` (all
    subjects when None); ``restrict``: ask the store for just those (few of them), else scan."""
    query = _values("o", subjects) if restrict and subjects is not None else ""
    pairs = _pairs(store, _VALUES, query, prop)
    return pairs if subjects is None else [(s, v) for s, v in pairs if s in subjects]


def _lang(literal) -> str:
    return (literal.language or "de").split("-")[0] if isinstance(literal, ox.Literal) else "de"


def _sorted_values(mapping: dict[str, list[str]]) -> dict[str, list[str]]:
    return {key: sorted(set(values)) for key, values in mapping.items()}


_PAUSED = {"count": 0, "enabled": False}
_PAUSED_LOCK = threading.Lock()


@contextlib.contextmanager
def gc_paused():
    """No cyclic garbage collection meanwhile: reading and indexing every offer makes millions of
    objects, none in a cycle, and the collector's passes over them took a quarter of the time
    (11.5 against 15-18.7 CPU s for the documents of 25k offers). Process-wide; nests, also
    across threads."""
    with _PAUSED_LOCK:
        if _PAUSED["count"] == 0:
            _PAUSED["enabled"] = gc.isenabled()
            gc.disable()
        _PAUSED["count"] += 1
    try:
        yield
    finally:
        with _PAUSED_LOCK:
            _PAUSED["count"] -= 1
            if _PAUSED["count"] == 0 and _PAUSED["enabled"]:
                gc.enable()


def read_offers(store, iris: Iterable[str] | None = None) -> dict[str, OfferDoc]:
    """The documents of all offers, or of those among ``iris`` that are offers (by IRI)."""
    if iris is not None:
        iris = sorted(set(iris))
        if not iris:
            return {}
        return _read_offers(store, iris)
    with gc_paused():
        return _read_offers(store, None)


def _read_offers(store, iris: list[str] | None) -> dict[str, OfferDoc]:
    few = iris is not None  # a write's offers: each property is asked for them, not scanned
    only = _values("o", iris) if few else ""
    docs = {row[0].value: OfferDoc(row[0].value) for row in _run(store, _OFFERS, only)
            if isinstance(row[0], ox.NamedNode)}
    offers = set(docs)
    # rdfs:label names the offers and many linked resources: scanned once for both
    all_labels = None if few else _scan(store, RDFS + "label", None, False)
    titles = _scan(store, RDFS + "label", offers, True) if few else [p for p in all_labels if p[0] in offers]
    for target, pairs in (("titles", titles), ("descriptions", _scan(store, DCT + "description", offers, few))):
        for iri, value in pairs:
            if isinstance(value, ox.Literal):
                getattr(docs[iri], target).setdefault(_lang(value), []).append(value.value)
    declared = {}
    for iri, value in _scan(store, DCT + "language", offers, few):
        code = value.value.rstrip("/").rsplit("/", 1)[-1].lower()[:3]  # an EU authority IRI or a code
        declared[iri] = {"deu": "de", "ger": "de", "de": "de", "eng": "en", "en": "en"}.get(code, code)
    cited: dict[str, list[str]] = {}  # page -> the offers citing it
    for iri, page in _scan(store, DCT + "source", offers, few):
        if isinstance(page, ox.NamedNode):
            cited.setdefault(page.value, []).append(iri)
    source_langs: dict[str, set[str]] = {}
    for page, title in _scan(store, DCT + "title", set(cited), few):
        if isinstance(title, ox.Literal) and title.language:
            for iri in cited[page]:
                source_langs.setdefault(iri, set()).add(title.language.split("-")[0])
    named: dict[str, list[tuple[str, str]]] = {}  # property -> [(offer, IRI)], each read once
    for prop in dict.fromkeys([*LINKS.values(), *FACETS.values()]):
        named[prop] = [(iri, value.value) for iri, value in _scan(store, prop, offers, few)
                       if isinstance(value, ox.NamedNode)]
    linked: dict[str, list[tuple[str, str]]] = {}  # offer -> [(kind, resource)]
    for kind, prop in LINKS.items():
        for iri, value in named[prop]:
            linked.setdefault(iri, []).append((kind, value))
    for facet, prop in FACETS.items():
        for iri, value in named[prop]:
            docs[iri].concepts.setdefault(facet, []).append(value)
    providers = {x for pairs in linked.values() for kind, x in pairs if kind == "provider"}
    parents: dict[str, set[str]] = {}
    if providers:
        for unit, parent in _pairs(store, _PARENTS, _values("o", providers) if few else ""):
            if unit in providers and isinstance(parent, ox.NamedNode):
                parents.setdefault(unit, set()).add(parent.value)
    for iri, pairs in linked.items():
        for kind, x in list(pairs):
            if kind == "provider":
                pairs.extend(("provider", p) for p in sorted(parents.get(x, ())))
    resources = {x for pairs in linked.values() for _, x in pairs}
    labels: dict[str, tuple[dict, dict]] = {}
    if resources:
        for prop in _PREF + _ALT:
            if prop == RDFS + "label" and not few:
                pairs = [p for p in all_labels if p[0] in resources]
            else:
                pairs = _scan(store, prop, resources, few)
            for x, value in pairs:
                if isinstance(value, ox.Literal):
                    pref, alt = labels.setdefault(x, ({}, {}))
                    (alt if prop in _ALT else pref).setdefault(_lang(value), []).append(value.value)
    # One Link object per (kind, resource), shared by the offers that name it (read-only).
    shared: dict[tuple[str, str], Link] = {}
    for iri, pairs in linked.items():
        links = docs[iri].links
        for pair in dict.fromkeys(pairs):
            link = shared.get(pair)
            if link is None:
                pref, alt = labels.get(pair[1], ({}, {}))
                link = shared[pair] = Link(pair[0], pair[1], _sorted_values(pref), _sorted_values(alt))
            links.append(link)
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
    """One order for everything, so equal content gives an equal digest whatever the store's
    order (the links' labels are sorted when their shared object is made)."""
    for mapping in (doc.titles, doc.descriptions, doc.concepts):
        for key in mapping:
            mapping[key] = sorted(set(mapping[key]))
    doc.links.sort(key=lambda link: (link.kind, link.iri))


_LINKING = f"SELECT DISTINCT ?o WHERE {{ %s ?o <%s> ?x . ?o a <{TFA}Offer> }}"
_THROUGH_UNIT = (f"SELECT DISTINCT ?o WHERE {{ %s ?u <{ORG}unitOf>|<{ORG}subOrganizationOf> ?x . "
                 f"?o <{TFA}providedBy> ?u . ?o a <{TFA}Offer> }}")


def affected_offers(store, changed: Iterable[str]) -> set[str]:
    """The offers whose document a change of these resources may alter (as the store is now)."""
    changed = {c for c in changed if c}
    if not changed:
        return set()
    only = _values("x", changed)
    found = {row["o"].value for row in _run(store, _OFFERS, _values("o", changed))}
    for prop in LINKS.values():
        found |= {row["o"].value for row in _run(store, _LINKING, only, prop)}
    found |= {row["o"].value for row in _run(store, _THROUGH_UNIT, only)}
    return found
