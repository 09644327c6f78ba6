"""The CSV tables of the release (actors.csv, offers.csv): one row per resource, labels in German."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Iterable

import pyoxigraph as ox

from ..i18n import pick
from ..vocab import CV, DCT, FOAF, ORG, OWL, RDF, RDFS, SKOS
from .data import PublishedData


_LABELS = (RDFS + "label", SKOS + "prefLabel")


class _Index:
    """subject -> predicate -> sorted objects, and labels by language, over the union graph.

    Only the predicates in ``keep`` are held (at 1M statements the index of every statement took
    over half a GiB); asking for another is an error, never an empty cell."""

    def __init__(self, triples: Iterable[ox.Triple], keep: Iterable[str]):
        self.keep = frozenset(keep)
        self.by_subject: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)
        self._picked: dict[tuple[str, str], str] = {}  # label(): a topic's label is asked per offer
        self.add(triples)

    def add(self, triples: Iterable[ox.Triple]) -> None:
        self._picked.clear()
        keep = self.keep
        for t in triples:
            if isinstance(t.subject, ox.NamedNode):
                predicate = t.predicate.value
                if predicate in keep:
                    self.by_subject[t.subject.value][predicate].append(t.object)
                if predicate in _LABELS and isinstance(t.object, ox.Literal):
                    lang = t.object.language or ""
                    # min(): one stable label when a resource has several in a language
                    current = self.labels[t.subject.value].get(lang)
                    if current is None or t.object.value < current:
                        self.labels[t.subject.value][lang] = t.object.value

    def _objects(self, subject: str, predicate: str):
        if predicate not in self.keep:
            raise KeyError(f"{predicate} is not in the tables' index (add it to _kept)")
        return self.by_subject[subject].get(predicate, ())

    def values(self, subject: str, *predicates: str) -> list[str]:
        found = {o.value for p in predicates for o in self._objects(subject, p)}
        return sorted(found)

    def iris(self, subject: str, *predicates: str) -> list[str]:
        found = {o.value for p in predicates for o in self._objects(subject, p)
                 if isinstance(o, ox.NamedNode)}
        return sorted(found)

    def text(self, subject: str, predicate: str, lang: str) -> str:
        found = sorted(o.value for o in self._objects(subject, predicate)
                       if isinstance(o, ox.Literal) and (o.language or "") == lang)
        return found[0] if found else ""

    def label(self, iri: str, lang: str = "de") -> str:
        key = (iri, lang)
        if key not in self._picked:
            self._picked[key] = pick(self.labels.get(iri, {}), lang)
        return self._picked[key]

    def types(self, subject: str) -> list[str]:
        return self.iris(subject, RDF + "type")


def _join(values: Iterable[str]) -> str:
    return " | ".join(values)


#: Rows of actors.csv: resources of these classes (plus tfa:TransformationActor), stated, not
#: inferred, so that the table matches what the graph says.
ACTOR_CLASSES = (ORG + "Organization", ORG + "OrganizationalUnit", ORG + "FormalOrganization",
                 ORG + "OrganizationalCollaboration", CV + "PublicOrganisation")


def _kept(data: PublishedData) -> set[str]:
    """Every predicate a column of either table reads."""
    tfa = data.base_iri + "ontology#"
    return {RDF + "type", DCT + "description", FOAF + "homepage", ORG + "unitOf", ORG + "subOrganizationOf",
            ORG + "hasMember", tfa + "worksOnTopic", tfa + "hasTopic", tfa + "hasCompetency", OWL + "sameAs",
            DCT + "source", DCT + "modified", tfa + "providedBy", tfa + "addressesChallenge", DCT + "audience",
            DCT + "type", tfa + "deliveryMode", tfa + "costModel", tfa + "developsCompetency", FOAF + "page"}


def tables_csv(data: PublishedData) -> tuple[bytes, bytes]:
    """actors.csv and offers.csv from one index: the offers' statements are added to the index
    of actors and concepts after actors.csv is written. Every subject's statements are in one
    subset (publish/data.py, split), so adding the offers changes no entry actors.csv read."""
    index = _Index((t for name in ("actors", "concepts") for t in data.triples(name)), _kept(data))
    actors = actors_csv(data, index)
    index.add(data.triples("offers"))
    return actors, offers_csv(data, index)


def actors_csv(data: PublishedData, index: _Index | None = None) -> bytes:
    if index is None:
        index = _Index((t for name in ("actors", "concepts") for t in data.triples(name)), _kept(data))
    tfa = data.base_iri + "ontology#"
    classes = {*ACTOR_CLASSES, tfa + "TransformationActor"}
    header = ["iri", "label_de", "label_en", "description_de", "types", "homepage", "part_of",
              "part_of_label_de", "members", "topics", "topics_de", "competencies_de", "same_as",
              "source", "modified"]
    rows = []
    for subject in sorted(index.by_subject):
        if not set(index.types(subject)) & classes:
            continue
        part_of = index.iris(subject, ORG + "unitOf", ORG + "subOrganizationOf")
        topics = index.iris(subject, tfa + "worksOnTopic", tfa + "hasTopic")
        rows.append([
            subject, index.label(subject, "de"), index.labels.get(subject, {}).get("en", ""),
            index.text(subject, DCT + "description", "de"),
            _join(index.types(subject)), _join(index.iris(subject, FOAF + "homepage")),
            _join(part_of), _join(index.label(p) for p in part_of),
            _join(index.iris(subject, ORG + "hasMember")),
            _join(topics), _join(index.label(t) for t in topics),
            _join(sorted(index.label(c) for c in index.iris(subject, tfa + "hasCompetency"))),
            _join(index.iris(subject, OWL + "sameAs")), _join(index.iris(subject, DCT + "source")),
            _join(index.values(subject, DCT + "modified")),
        ])
    return _csv(header, rows)


def offers_csv(data: PublishedData, index: _Index | None = None) -> bytes:
    if index is None:
        index = _Index((t for name in ("offers", "actors", "concepts") for t in data.triples(name)), _kept(data))
    tfa = data.base_iri + "ontology#"
    header = ["iri", "label_de", "label_en", "description_de", "provider", "provider_label_de",
              "topics", "topics_de", "challenges_de", "target_groups_de", "offer_types_de",
              "delivery_modes_de", "cost_models_de", "competencies_de", "page", "source", "modified"]

    def labels(subject: str, predicate: str) -> str:
        return _join(sorted(index.label(v) or v for v in index.iris(subject, predicate)))

    rows = []
    for subject in sorted(index.by_subject):
        if tfa + "Offer" not in index.types(subject):
            continue
        providers = index.iris(subject, tfa + "providedBy")
        topics = index.iris(subject, tfa + "hasTopic")
        rows.append([
            subject, index.label(subject, "de"), index.labels.get(subject, {}).get("en", ""),
            index.text(subject, DCT + "description", "de"),
            _join(providers), _join(index.label(p) for p in providers),
            _join(topics), _join(index.label(t) for t in topics),
            labels(subject, tfa + "addressesChallenge"), labels(subject, DCT + "audience"),
            labels(subject, DCT + "type"), labels(subject, tfa + "deliveryMode"),
            labels(subject, tfa + "costModel"), labels(subject, tfa + "developsCompetency"),
            _join(index.iris(subject, FOAF + "page")), _join(index.iris(subject, DCT + "source")),
            _join(index.values(subject, DCT + "modified")),
        ])
    return _csv(header, rows)


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    # RFC 4180 (CRLF); the UTF-8 byte order mark makes spreadsheet programs read umlauts right.
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
