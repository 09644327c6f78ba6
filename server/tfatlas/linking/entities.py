"""What the atlas knows of the resources it reconciles: names, types and matching properties.

Read from the store once per write generation (a few hundred resources; one query each kind).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..i18n import pick
from ..vocab import ADMS, DCT, FOAF, ORG, OWL, RDFS, SKOS, CV, tfa
from .text import fold, name_variants


@dataclass(frozen=True)
class Kind:
    id: str
    name_de: str
    name_en: str
    classes: tuple[str, ...]  # relative to the vocabularies, resolved per base IRI

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_de


#: The types the service and the client know; an entity has the first kind whose class it has.
KINDS: tuple[Kind, ...] = (
    Kind("unit", "Organisationseinheit", "Organisational unit", (ORG + "OrganizationalUnit",)),
    Kind("organisation", "Organisation", "Organisation",
         (CV + "PublicOrganisation", ORG + "FormalOrganization", ORG + "Organization",
          ORG + "OrganizationalCollaboration")),
    Kind("offer", "Angebot", "Offer", ("tfa:Offer",)),
    Kind("initiative", "Initiative", "Initiative", ("tfa:Initiative", "tfa:Project")),
    Kind("concept", "Begriff", "Concept", (SKOS + "Concept",)),
)
KINDS_BY_ID = {k.id: k for k in KINDS}


@dataclass(frozen=True)
class Property:
    id: str
    name_de: str
    name_en: str
    path: str  # a SPARQL property path; "tfa:" resolved per base IRI
    entity: bool  # values are resources of the atlas (or elsewhere), not texts

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_de


PROPERTIES: tuple[Property, ...] = (
    Property("label", "Bezeichnung", "Name", f"<{RDFS}label>|<{SKOS}prefLabel>", False),
    Property("altLabel", "Kurzname oder andere Bezeichnung", "Short or other name", f"<{SKOS}altLabel>", False),
    Property("hiddenLabel", "Frühere oder andere Schreibweise", "Former name or other spelling",
             f"<{SKOS}hiddenLabel>", False),
    Property("description", "Beschreibung", "Description", f"<{DCT}description>|<{SKOS}definition>", False),
    Property("homepage", "Website", "Web site", f"<{FOAF}homepage>", True),
    Property("parent", "Übergeordnete Organisation", "Parent organisation",
             f"<{ORG}subOrganizationOf>|<{ORG}unitOf>", True),
    Property("provider", "Anbieter", "Provider", "tfa:providedBy", True),
    Property("topic", "Thema", "Topic", "tfa:hasTopic|tfa:worksOnTopic", True),
    Property("broader", "Oberbegriff", "Broader concept", f"<{SKOS}broader>", True),
    Property("identifier", "Kennung in einem Register", "Registry identifier",
             f"<{ADMS}identifier>/<{SKOS}notation>", False),
    Property("sameAs", "Dieselbe Stelle in einem Register", "The same body in a registry",
             f"<{OWL}sameAs>|<{SKOS}exactMatch>", True),
    Property("source", "Quelle", "Source", f"<{DCT}source>", True),
)
PROPERTIES_BY_ID = {p.id: p for p in PROPERTIES}
#: Properties that apply to each kind (for proposals and suggest).
PROPERTIES_OF_KIND = {
    "organisation": ("label", "altLabel", "hiddenLabel", "description", "homepage", "parent", "topic",
                     "identifier", "sameAs", "source"),
    "unit": ("label", "altLabel", "hiddenLabel", "description", "homepage", "parent", "topic",
             "identifier", "sameAs", "source"),
    "offer": ("label", "description", "provider", "topic", "source"),
    "initiative": ("label", "description", "topic", "source"),
    "concept": ("label", "altLabel", "description", "broader"),
}
NAME_PROPERTIES = ("label", "altLabel", "hiddenLabel")


@dataclass
class Entity:
    id: str
    kind: str
    labels: dict[str, str] = field(default_factory=dict)  # language tag -> label
    values: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)  # pid -> (value, is IRI)

    def name(self, lang: str = "de") -> str:
        return pick(self.labels, lang, self.id)

    def texts(self, pid: str) -> list[str]:
        return [v for v, _ in self.values.get(pid, ())]

    def names(self) -> list[str]:
        """Every name it goes by (labels, short names, former names) and their variants."""
        seen: dict[str, str] = {}
        for pid in NAME_PROPERTIES:
            for value in self.texts(pid):
                for variant in name_variants(value):
                    seen.setdefault(fold(variant), variant)
        return list(seen.values())

    def description(self, lang: str = "de") -> str:
        return self.texts("description")[0] if self.values.get("description") else ""


def _sparql_prefix(base_iri: str) -> str:
    return f"PREFIX tfa: <{tfa(base_iri)}>\n"


def read_entities(store) -> dict[str, Entity]:
    """Every organisation, unit, offer, initiative and concept of the atlas, by IRI."""
    base = store.base_iri
    prefix = _sparql_prefix(base)
    entities: dict[str, Entity] = {}
    for kind in KINDS:
        classes = " ".join(c if c.startswith("tfa:") else f"<{c}>" for c in kind.classes)
        for row in store.query(prefix + f"SELECT DISTINCT ?s WHERE {{ VALUES ?c {{ {classes} }} ?s a ?c "
                                        f"FILTER(isIRI(?s)) }}"):
            entities.setdefault(row["s"].value, Entity(row["s"].value, kind.id))
    descriptions: dict[str, dict[str, str]] = {}
    for prop in PROPERTIES:
        query = prefix + f"SELECT ?s ?o WHERE {{ ?s {prop.path} ?o }}"
        for row in store.query(query):
            entity = entities.get(row["s"].value)
            if entity is None:
                continue
            term = row["o"]
            is_iri = type(term).__name__ == "NamedNode"
            if prop.entity and not is_iri:
                continue
            if prop.id == "label":
                entity.labels.setdefault(getattr(term, "language", None) or "", term.value)
            if prop.id == "description":
                descriptions.setdefault(entity.id, {})[getattr(term, "language", None) or ""] = term.value
                continue
            entity.values.setdefault(prop.id, []).append((term.value, is_iri))
    for iri, texts in descriptions.items():
        # the German description first, so `description()` reads the reader's default language
        entities[iri].values["description"] = [(pick(texts, "de"), False)] + [
            (t, False) for tag, t in texts.items() if t != pick(texts, "de")]
    return entities


class EntityIndex:
    """The entities of a store, re-read when the store has changed (its write generation)."""

    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._entities: dict[str, Entity] = {}

    def entities(self) -> dict[str, Entity]:
        with self._lock:
            generation = self.store.write_generation
            if self._generation != generation or not self._entities:
                self._entities = read_entities(self.store)
                self._generation = generation
            return self._entities
