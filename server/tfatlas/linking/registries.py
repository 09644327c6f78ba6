"""The registries ``tfatlas link`` links against, each proposing candidates for atlas entities.

- ``anschriftenverzeichnis``: the federal directory (shipped snapshot or ``anschriftenverzeichnis_url``):
  its key as ``adms:identifier``; its Wikidata ID, where it has one, as a Wikidata candidate;
- ``govdata``: GovData's contributor list (shipped snapshot or ``govdata_contributors_url``):
  ``dcatde:contributorID``;
- ``wikidata``: candidates from a Reconciliation API 0.2 service (``wikidata_reconcile_url``) or
  by label from its SPARQL endpoint, and their GND, ROR, web site and parent by SPARQL;
- ``atlas``: another atlas's (or any) Reconciliation API 0.2 service (``atlas_reconcile_url``).
"""

from __future__ import annotations

import collections
import json
from dataclasses import dataclass
from importlib import resources
from typing import Iterable

import pyoxigraph as ox

from ..errors import InputError
from ..vocab import CONTRIBUTORS, GND, ROR, WD, WDT
from .entities import Entity
from .http import RegistryClient, RegistryError
from .records import CHAINED, CLOSE, CONTRIBUTOR_ID, IDENTIFIER, LEXICAL
from .scoring import name_score
from .text import fold, host, tokens

DIRECTORY_AGENCY = "Bundesverwaltungsamt: Anschriftenverzeichnis des Bundes"
HOMEPAGE_WEIGHT = 1.0
#: A word that many records share says little about which one is meant.
COMMON_WORD = 25


@dataclass
class Candidate:
    registry: str
    object: str
    label: str
    score: float  # 0 to 100
    predicate: str
    justification: str = LEXICAL
    notation: str = ""
    agency: str = ""
    see_also: tuple[str, ...] = ()
    always_review: bool = False  # a third party's match: a person looks at it first


def _shipped(name: str) -> bytes:
    return resources.files("tfatlas.linking").joinpath("registry_data", name).read_bytes()


def _record(iri: str, names: Iterable[str], short: Iterable[str] = (), homepage: str = "") -> Entity:
    names = [n for n in names if n]
    e = Entity(iri, "organisation", labels={"de": names[0] if names else iri})
    e.values["label"] = [(n, False) for n in names]
    e.values["altLabel"] = [(s, False) for s in short if s]
    if homepage:
        e.values["homepage"] = [(homepage, True)]
    return e


def agreement(atlas: Entity, record: Entity) -> float:
    """0 to 100: the best name score of any atlas name against the record's names; an equal web
    site host adds evidence (a different one takes none away: sites move)."""
    names = record.names()
    best = max((name_score(n, names, abbreviations=False) for n in atlas.names()), default=0.0)
    sites = {host(v) for v in atlas.texts("homepage")}
    if sites & {host(v) for v in record.texts("homepage")}:
        best = max(best, (2 * best + 100 * HOMEPAGE_WEIGHT) / (2 + HOMEPAGE_WEIGHT))
    return round(best, 2)


class LocalMatcher:
    """Candidates among a registry's records for atlas entities, scoring only records that share an
    uncommon word, a short name or a web site host with the entity (blocking)."""

    def __init__(self, records: list[Entity]):
        self.records = records
        self._by_word: dict[str, set[int]] = collections.defaultdict(set)
        self._by_host: dict[str, set[int]] = collections.defaultdict(set)
        for i, r in enumerate(records):
            for name in r.names():
                for word in set(tokens(name)) | {fold(name).replace(" ", "")}:
                    self._by_word[word].add(i)
            for site in r.texts("homepage"):
                self._by_host[host(site)].add(i)

    def candidates(self, atlas: Entity, least: float) -> list[tuple[Entity, float]]:
        pool: set[int] = set()
        for name in atlas.names():
            for word in set(tokens(name)) | {fold(name).replace(" ", "")}:
                hits = self._by_word.get(word, set())
                if len(hits) <= COMMON_WORD:
                    pool |= hits
        for site in atlas.texts("homepage"):
            pool |= self._by_host.get(host(site), set())
        scored = [(self.records[i], agreement(atlas, self.records[i])) for i in pool]
        return sorted([s for s in scored if s[1] >= least], key=lambda s: -s[1])


@dataclass
class Registry:
    name: str
    client: RegistryClient
    config: object
    base_iri: str

    def candidates(self, entities: list[Entity], least: float) -> dict[str, list[Candidate]]:
        raise NotImplementedError


class Directory(Registry):
    def _records(self) -> list[dict]:
        url = self.config.anschriftenverzeichnis_url
        raw = self.client.get_bytes(url) if url else _shipped("anschriftenverzeichnis.json")
        try:
            data = json.loads(raw)
        except ValueError:
            raise RegistryError("the Anschriftenverzeichnis is not JSON") from None
        return [r for r in data if isinstance(r, dict) and r.get("OrganisationId") and r.get("Organisation")]

    def key_iri(self, key) -> str:
        return f"{self.base_iri}id/identifier/anschriftenverzeichnis/{key}"

    def candidates(self, entities, least):
        raw = self._records()
        records = [_record(self.key_iri(r["OrganisationId"]), [r["Organisation"]],
                           [r.get("OrganisationKurz", ""), r.get("OrganisationDisplay", "")],
                           r.get("Internetadresse", "")) for r in raw]
        by_iri = {self.key_iri(r["OrganisationId"]): r for r in raw}
        matcher = LocalMatcher(records)
        out: dict[str, list[Candidate]] = {}
        for e in entities:
            found = []
            for record, value in matcher.candidates(e, least):
                r = by_iri[record.id]
                found.append(Candidate("anschriftenverzeichnis", record.id, r["Organisation"], value,
                                       IDENTIFIER, notation=str(r["OrganisationId"]), agency=DIRECTORY_AGENCY))
                if r.get("Wikidata ID"):
                    found.append(Candidate("wikidata", WD + r["Wikidata ID"], r["Organisation"], value, CLOSE,
                                           justification=CHAINED, always_review=True))
            out[e.id] = found
        return out


class GovData(Registry):
    def candidates(self, entities, least):
        url = self.config.govdata_contributors_url
        raw = self.client.get_bytes(url) if url else _shipped("dcat-ap-de-contributors.rdf")
        store = ox.Store()
        try:
            store.load(raw, format=ox.RdfFormat.RDF_XML, base_iri="http://dcat-ap.de/def/contributors")
        except SyntaxError as exc:
            raise RegistryError(f"the GovData contributor list does not parse: {exc}") from None
        rows = store.query(
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?c ?l WHERE { "
            "?c a skos:Concept ; skos:prefLabel ?l FILTER(STRSTARTS(STR(?c), '" + CONTRIBUTORS + "')) }")
        labels = {r["c"].value: r["l"].value for r in rows}
        matcher = LocalMatcher([_record(iri, [label]) for iri, label in sorted(labels.items())])
        return {e.id: [Candidate("govdata", r.id, labels[r.id], value, CONTRIBUTOR_ID,
                                 notation=r.id.rsplit("/", 1)[-1])
                       for r, value in matcher.candidates(e, least)] for e in entities}


def reconcile_candidates(client: RegistryClient, url: str, registry: str, entities: list[Entity],
                         types: list[str] | None, predicate: str) -> dict[str, list[Candidate]]:
    """Candidates from any Reconciliation API 0.2 service: one batch of queries per 50 entities."""
    out: dict[str, list[Candidate]] = {}
    for start in range(0, len(entities), 50):
        chunk = entities[start:start + 50]
        batch = {f"q{i}": dict({"query": e.name("de"), "limit": 5}, **({"type": types} if types else {}))
                 for i, e in enumerate(chunk)}
        answer = client.get_json(url, data={"queries": json.dumps(batch)})
        if not isinstance(answer, dict):
            raise RegistryError(f"{url} is not a reconciliation service (its answer is not a result batch)")
        for i, e in enumerate(chunk):
            result = (answer.get(f"q{i}") or {}).get("result")
            if not isinstance(result, list):
                raise RegistryError(f"{url} is not a reconciliation service (no result for query q{i})")
            out[e.id] = [Candidate(registry, c["id"], c.get("name", c["id"]), min(max(float(c.get("score", 0)), 0), 100),
                                   predicate) for c in result if isinstance(c, dict) and "id" in c]
    return out


class Atlas(Registry):
    def candidates(self, entities, least):
        url = self.config.atlas_reconcile_url
        if not url:
            raise InputError("the registry 'atlas' needs atlas_reconcile_url (TFATLAS_ATLAS_RECONCILE_URL)")
        kinds = sorted({e.kind for e in entities})
        found = reconcile_candidates(self.client, url, "atlas", entities, kinds, CLOSE)
        return {k: [c for c in v if c.score >= least] for k, v in found.items()}


class Wikidata(Registry):
    def sparql(self, query: str) -> list[dict]:
        from .sparql_client import select

        return select(self.client, self.config.wikidata_sparql_url, query)

    def _by_label(self, entities: list[Entity]) -> dict[str, set[str]]:
        """Items whose label, alias or short name is one of an entity's names (exact, de or en)."""
        wanted: dict[str, set[str]] = collections.defaultdict(set)
        for e in entities:
            for name in e.names():
                wanted[name].add(e.id)
        found: dict[str, set[str]] = collections.defaultdict(set)
        names = sorted(wanted)
        for start in range(0, len(names), 40):
            values = " ".join(f"{_lit(n)}@{lang}" for n in names[start:start + 40] for lang in ("de", "en"))
            rows = self.sparql(
                "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
                f"PREFIX wdt: <{WDT}> SELECT DISTINCT ?item ?name WHERE {{ VALUES ?name {{ {values} }} "
                "?item rdfs:label|skos:altLabel|wdt:P1813 ?name }")
            for row in rows:
                for entity in wanted.get(row["name"], ()):
                    found[entity].add(row["item"])
        return found

    def _details(self, items: set[str]) -> dict[str, dict]:
        details: dict[str, dict] = {i: collections.defaultdict(set) for i in items}
        ordered = sorted(items)
        for start in range(0, len(ordered), 40):
            values = " ".join(f"<{i}>" for i in ordered[start:start + 40])
            rows = self.sparql(
                "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
                f"PREFIX wdt: <{WDT}> SELECT ?item ?p ?v WHERE {{ VALUES ?item {{ {values} }} "
                "VALUES ?p { rdfs:label skos:altLabel wdt:P1813 wdt:P856 wdt:P227 wdt:P6782 wdt:P749 } "
                "?item ?p ?v FILTER(!isLiteral(?v) || lang(?v) IN ('de', 'en', '')) }")
            for row in rows:
                details[row["item"]][row["p"].rsplit("/", 1)[-1].rsplit("#", 1)[-1]].add(row["v"])
        return details

    def candidates(self, entities, least):
        url = self.config.wikidata_reconcile_url
        if url:
            proposed = reconcile_candidates(self.client, url, "wikidata", entities, None, CLOSE)
            items = {c.object for cs in proposed.values() for c in cs}
        else:
            by_label = self._by_label(entities)
            items = {i for found in by_label.values() for i in found}
            proposed = None
        details = self._details(items) if items else {}
        out: dict[str, list[Candidate]] = {}
        for e in entities:
            chosen = [c.object for c in proposed.get(e.id, [])] if proposed is not None else sorted(by_label.get(e.id, ()))
            found = []
            for item in chosen:
                d = details.get(item, {})
                names = sorted(d.get("label", ())) + sorted(d.get("altLabel", ()))
                record = _record(item, names, sorted(d.get("P1813", ())), next(iter(sorted(d.get("P856", ()))), ""))
                value = agreement(e, record)
                if value < least:
                    continue
                see_also = tuple(sorted(GND + g for g in d.get("P227", ()))) + tuple(
                    sorted(ROR + r for r in d.get("P6782", ())))
                label = next(iter(sorted(d.get("label", ()))), item)
                found.append(Candidate("wikidata", item, label, value, CLOSE, see_also=see_also))
            out[e.id] = sorted(found, key=lambda c: -c.score)
        return out


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


REGISTRIES = {"anschriftenverzeichnis": Directory, "govdata": GovData, "wikidata": Wikidata, "atlas": Atlas}


def registry(name: str, client: RegistryClient, config, base_iri: str) -> Registry:
    if name not in REGISTRIES:
        raise InputError(f"unknown registry {name!r}; known are {', '.join(REGISTRIES)} "
                         f"(unbekanntes Register)")
    return REGISTRIES[name](name, client, config, base_iri)
