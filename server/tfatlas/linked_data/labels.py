"""Human-readable labels of IRIs in the reader's language (German first, English on request).

One query fetches the labels of many IRIs at once (a ``VALUES`` block), so a page with a hundred
links costs one round trip to the store, not a hundred. The order of preference for a label is
:mod:`tfatlas.i18n`'s: the reader's language, then German, then a label without language tag,
then any other language. Properties and
classes get their labels from the ontology (``rdfs:label@de/@en``) like any other resource;
a few terms of standard vocabularies that the store does not hold have built-in labels, and
anything else falls back to its prefixed name (``dct:modified``), never to an empty string.

This module is core: it does not import Flask, and the finder reuses it.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import pyoxigraph as ox

from ..i18n import DEFAULT_LANGUAGE, normalise_language, rank
from ..vocab import DCT, FOAF, ORG, OWL, PROV, RDF, RDFS, SCHEMA, SKOS, STANDARD_PREFIXES, TIME

#: Prefixes for prefixed names; ``tfa`` is added per base IRI (``vocab.prefixes``).
PREFIXES = STANDARD_PREFIXES

#: Properties that carry a resource's name, most specific first.
LABEL_PROPERTIES = (SKOS + "prefLabel", RDFS + "label", DCT + "title", FOAF + "name",
                    SCHEMA + "name", "http://www.w3.org/2006/vcard/ns#fn", SKOS + "altLabel")
#: Properties that carry a resource's description, most specific first.
DESCRIPTION_PROPERTIES = (DCT + "description", SKOS + "definition", RDFS + "comment",
                          SCHEMA + "description")

# Terms of standard vocabularies that appear on every page but whose vocabularies are not in the
# store. Labels the store holds (from the ontology) win over these.
_BUILT_IN: dict[str, tuple[str, str]] = {
    RDF + "type": ("Typ", "type"),
    RDFS + "label": ("Bezeichnung", "label"),
    RDFS + "comment": ("Kommentar", "comment"),
    RDFS + "seeAlso": ("Siehe auch", "see also"),
    RDFS + "subClassOf": ("Unterklasse von", "subclass of"),
    RDFS + "subPropertyOf": ("Untereigenschaft von", "subproperty of"),
    RDFS + "domain": ("Definitionsbereich", "domain"),
    RDFS + "range": ("Wertebereich", "range"),
    RDFS + "isDefinedBy": ("Definiert in", "defined by"),
    OWL + "sameAs": ("Identisch mit", "same as"),
    OWL + "Class": ("Klasse", "class"),
    OWL + "ObjectProperty": ("Objekteigenschaft", "object property"),
    OWL + "DatatypeProperty": ("Dateneigenschaft", "datatype property"),
    OWL + "Ontology": ("Ontologie", "ontology"),
    OWL + "versionIRI": ("Versions-IRI", "version IRI"),
    OWL + "versionInfo": ("Version", "version"),
    SKOS + "prefLabel": ("Bevorzugte Bezeichnung", "preferred label"),
    SKOS + "altLabel": ("Alternative Bezeichnung", "alternative label"),
    SKOS + "definition": ("Definition", "definition"),
    SKOS + "broader": ("Oberbegriff", "broader concept"),
    SKOS + "narrower": ("Unterbegriff", "narrower concept"),
    SKOS + "inScheme": ("Teil von", "in scheme"),
    SKOS + "topConceptOf": ("Oberster Begriff von", "top concept of"),
    SKOS + "hasTopConcept": ("Oberster Begriff", "top concept"),
    SKOS + "closeMatch": ("Ähnlicher Begriff", "close match"),
    SKOS + "exactMatch": ("Gleicher Begriff", "exact match"),
    SKOS + "editorialNote": ("Redaktioneller Hinweis", "editorial note"),
    SKOS + "hiddenLabel": ("Frühere oder verborgene Bezeichnung", "former or hidden label"),
    SKOS + "Concept": ("Begriff", "concept"),
    SKOS + "ConceptScheme": ("Begriffssystem", "concept scheme"),
    DCT + "title": ("Titel", "title"),
    DCT + "description": ("Beschreibung", "description"),
    DCT + "source": ("Quelle", "source"),
    DCT + "modified": ("Geändert am", "modified"),
    DCT + "issued": ("Veröffentlicht am", "issued"),
    DCT + "created": ("Erstellt am", "created"),
    DCT + "publisher": ("Herausgeber", "publisher"),
    DCT + "creator": ("Urheber", "creator"),
    DCT + "license": ("Lizenz", "licence"),
    DCT + "audience": ("Zielgruppe", "audience"),
    DCT + "type": ("Art", "type"),
    FOAF + "homepage": ("Homepage", "homepage"),
    FOAF + "page": ("Webseite", "web page"),
    FOAF + "name": ("Name", "name"),
    FOAF + "Document": ("Dokument", "document"),
    FOAF + "Agent": ("Akteur", "agent"),
    ORG + "Organization": ("Organisation", "organization"),
    ORG + "FormalOrganization": ("Formale Organisation", "formal organization"),
    ORG + "OrganizationalUnit": ("Organisationseinheit", "organizational unit"),
    ORG + "OrganizationalCollaboration": ("Kooperation", "collaboration"),
    ORG + "ChangeEvent": ("Organisationsänderung", "change event"),
    ORG + "unitOf": ("Einheit von", "unit of"),
    ORG + "hasUnit": ("Hat Einheit", "has unit"),
    ORG + "subOrganizationOf": ("Teil der Organisation", "sub-organization of"),
    ORG + "hasSubOrganization": ("Hat Unterorganisation", "has sub-organization"),
    ORG + "hasMember": ("Mitglied", "member"),
    ORG + "originalOrganization": ("Ursprüngliche Organisation", "original organization"),
    ORG + "resultingOrganization": ("Resultierende Organisation", "resulting organization"),
    ORG + "changedBy": ("Geändert durch", "changed by"),
    ORG + "resultedFrom": ("Hervorgegangen aus", "resulted from"),
    ORG + "linkedTo": ("Verbunden mit", "linked to"),
    ORG + "member": ("Mitglied", "member"),
    ORG + "organization": ("Organisation", "organization"),
    ORG + "memberDuring": ("Mitglied im Zeitraum", "member during"),
    TIME + "hasBeginning": ("Beginn", "beginning"),
    TIME + "hasEnd": ("Ende", "end"),
    TIME + "inXSDDate": ("Datum", "date"),
    TIME + "inXSDgYear": ("Jahr", "year"),
    TIME + "inXSDgYearMonth": ("Monat", "month"),
    PROV + "wasAssociatedWith": ("Beteiligt", "associated with"),
    PROV + "wasDerivedFrom": ("Abgeleitet von", "derived from"),
    PROV + "generatedAtTime": ("Erzeugt am", "generated at"),
    PROV + "startedAtTime": ("Begonnen am", "started at"),
    PROV + "endedAtTime": ("Beendet am", "ended at"),
    PROV + "atTime": ("Zeitpunkt", "at time"),
    PROV + "Activity": ("Aktivität", "activity"),
    PROV + "Entity": ("Entität", "entity"),
    SCHEMA + "Service": ("Dienstleistung", "service"),
    SCHEMA + "Course": ("Kurs", "course"),
    SCHEMA + "startDate": ("Beginn", "start date"),
    SCHEMA + "location": ("Ort", "location"),
    "http://www.w3.org/ns/dcat#contactPoint": ("Kontakt", "contact point"),
    "http://www.w3.org/2006/vcard/ns#hasEmail": ("E-Mail", "email"),
    "http://www.w3.org/2006/vcard/ns#hasURL": ("Webadresse", "URL"),
    "http://www.w3.org/2006/vcard/ns#fn": ("Name", "name"),
    "http://data.europa.eu/m8g/PublicOrganisation": ("Öffentliche Organisation", "public organisation"),
    "http://data.europa.eu/m8g/PublicEvent": ("Öffentliche Veranstaltung", "public event"),
    "http://www.w3.org/ns/adms#identifier": ("Kennung", "identifier"),
    "http://purl.org/vocab/vann/preferredNamespacePrefix": ("Bevorzugtes Präfix", "preferred prefix"),
    "http://purl.org/vocab/vann/preferredNamespaceUri": ("Namensraum", "namespace"),
    # Licences the atlas and its sources use, for the footer of every page.
    "https://creativecommons.org/licenses/by/4.0/": (
        "Creative Commons Namensnennung 4.0 International (CC BY 4.0)",
        "Creative Commons Attribution 4.0 International (CC BY 4.0)"),
    "http://dcat-ap.de/def/licenses/cc-by/4.0": (
        "Creative Commons Namensnennung 4.0 International (CC BY 4.0)",
        "Creative Commons Attribution 4.0 International (CC BY 4.0)"),
    "http://dcat-ap.de/def/licenses/dl-by-de/2.0": (
        "Datenlizenz Deutschland – Namensnennung – Version 2.0",
        "Data licence Germany – attribution – version 2.0"),
    "http://dcat-ap.de/def/licenses/dl-zero-de/2.0": (
        "Datenlizenz Deutschland – Zero – Version 2.0", "Data licence Germany – zero – version 2.0"),
}



def prefixed_name(iri: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """``dct:modified`` for a known namespace, else the IRI's last segment, else the IRI."""
    for prefix, namespace in prefixes.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    tail = iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return tail or iri


def iri_term(iri: str) -> str:
    """The SPARQL form of an IRI; raises ValueError for a string that is not a valid IRI."""
    return str(ox.NamedNode(iri))



class Text(str):
    """A label or description that remembers its language tag (for ``lang`` attributes)."""

    language: str | None

    def __new__(cls, value: str, language: str | None = None):
        text = super().__new__(cls, value)
        text.language = language
        return text


def _best(store, iris: list[str], properties: Iterable[str], lang: str) -> dict[str, Text]:
    """For each IRI, the best literal of the given properties (property order, then language)."""
    properties = tuple(properties)
    order = {p: i for i, p in enumerate(properties)}
    best: dict[str, tuple[tuple[int, int, str], Text]] = {}
    # FILTER(?p IN ...), not a second VALUES block: with two VALUES Oxigraph scans every
    # statement of each label property (117 ms on 100k triples against 1 ms; bench/pages.py).
    props = ", ".join(iri_term(p) for p in properties)
    for start in range(0, len(iris), 400):
        chunk = iris[start:start + 400]
        values = " ".join(iri_term(i) for i in chunk)
        sparql = (f"SELECT ?s ?p ?l WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?l "
                  f"FILTER(?p IN ({props}) && isLiteral(?l)) }}")
        for row in store.query(sparql):
            literal = row["l"]
            key = (rank(literal.language, lang), order[row["p"].value], literal.value)
            subject = row["s"].value
            if subject not in best or key < best[subject][0]:
                best[subject] = (key, Text(literal.value, literal.language))
    return {iri: entry[1] for iri, entry in best.items()}


def labels_for(store, iris: Iterable[str], lang: str = DEFAULT_LANGUAGE,
               prefixes: Mapping[str, str] = PREFIXES) -> dict[str, Text]:
    """A label for every IRI given: from the store, else built in, else its prefixed name."""
    lang = normalise_language(lang)
    wanted = sorted({i for i in iris if _valid(i)})
    found = _best(store, wanted, LABEL_PROPERTIES, lang) if wanted else {}
    result: dict[str, Text] = {}
    for iri in iris:
        if iri in result:
            continue
        if iri in found:
            result[iri] = found[iri]
        elif iri in _BUILT_IN:
            de, en = _BUILT_IN[iri]
            result[iri] = Text(en if lang == "en" else de, lang)
        else:
            result[iri] = Text(prefixed_name(iri, prefixes), None)
    return result


def label_for(store, iri: str, lang: str = DEFAULT_LANGUAGE) -> Text:
    return labels_for(store, [iri], lang)[iri]


def descriptions_for(store, iris: Iterable[str], lang: str = DEFAULT_LANGUAGE) -> dict[str, Text]:
    """The description of each IRI that has one, in the reader's language or German."""
    wanted = sorted({i for i in iris if _valid(i)})
    return _best(store, wanted, DESCRIPTION_PROPERTIES, normalise_language(lang)) if wanted else {}


def has_label(store, iri: str) -> bool:
    """True when the store or the built-in table has a label for the IRI (a fallback name does not count)."""
    if iri in _BUILT_IN:
        return True
    return bool(_best(store, [iri], LABEL_PROPERTIES, DEFAULT_LANGUAGE)) if _valid(iri) else False


def _valid(iri: str) -> bool:
    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return True
