"""The release's DCAT-AP.de 3.0 catalogue and its VoID description, as pyoxigraph triples.

Catalogue resources have hash IRIs under ``<base>catalog`` (``<base>catalog#offers``, ...), so
they all dereference to the catalogue document that ``/catalog`` serves.

Vocabularies (the controlled ones GovData checks):
- licence: ``http://dcat-ap.de/def/licenses/cc-by/4.0`` on every distribution and the service,
- file types: the EU file-type authority list, media types: IANA IRIs,
- theme: EU data-theme ``GOVE`` (government and public sector), languages ``DEU`` and ``ENG``,
- ``dcatde:politicalGeocodingLevelURI``: ``federal``.
``dcatde:contributorID`` (GovData's key of a data provider) is written only when given, because
GovData assigns it; ``tfatlas publish --contributor-id`` passes it.
"""

from __future__ import annotations

import pyoxigraph as ox

from ..vocab import RDF
from .data import ALL, SUBSETS, PublishedData, ReleaseFile, Statistics
from ..vocab import DCAT, DCATDE, DCT, EU, FOAF, IANA, SPDX, VCARD, VOID, XSD


LICENCE = "http://dcat-ap.de/def/licenses/cc-by/4.0"
GEOCODING_FEDERAL = "http://dcat-ap.de/def/politicalGeocoding/Level/federal"
THEME = EU + "data-theme/GOVE"
LANGUAGES = (EU + "language/DEU", EU + "language/ENG")
FREQUENCY = EU + "frequency/IRREG"
ACCESS_PUBLIC = EU + "access-right/PUBLIC"

PUBLISHER_NAME = {"de": "Transformationsatlas der Bundesverwaltung",
                  "en": "Transformation atlas of the German federal administration"}

TEXTS = {
    "catalog": ({"de": "Transformationsatlas: offene Daten",
                 "en": "Transformationsatlas: open data"},
                {"de": "Offene Daten des Transformationsatlas: wer in der Bundesverwaltung wem wie bei "
                       "welcher Herausforderung der Verwaltungstransformation helfen kann.",
                 "en": "Open data of the Transformationsatlas: who in the German federal administration "
                       "can help whom, how, with which challenge of administrative transformation."}),
    ALL: ({"de": "Transformationsatlas: vollständiger Wissensgraph",
           "en": "Transformationsatlas: complete knowledge graph"},
          {"de": "Alle veröffentlichten Aussagen des Wissensgraphen: Akteure, Angebote, Begriffssysteme, "
                 "Ontologie und SHACL-Formen; als TriG mit den benannten Graphen.",
           "en": "Every published statement of the knowledge graph: actors, offers, concept schemes, "
                 "ontology and SHACL shapes; as TriG with the named graphs."}),
    "actors": ({"de": "Transformationsakteure, Netzwerk, Initiativen und Veranstaltungen",
                "en": "Transformation actors, network, initiatives and events"},
               {"de": "Organisationen, Organisationseinheiten und das Netzwerk der Transformationsakteure "
                      "der Bundesverwaltung, ihre Initiativen, Veranstaltungen und Quellen.",
                "en": "Organisations, organisational units and the network of the federal "
                      "administration's transformation actors, their initiatives, events and sources."}),
    "offers": ({"de": "Angebote der Transformationsakteure", "en": "Offers of the transformation actors"},
               {"de": "Angebote (Beratung, Schulung, Formate) mit Anbieter, Thema, Herausforderung, "
                      "Zielgruppe, Durchführungsform und Kostenmodell.",
                "en": "Offers (consulting, training, formats) with provider, topic, challenge, target "
                      "group, delivery mode and cost model."}),
    "concepts": ({"de": "Begriffssysteme der Verwaltungstransformation",
                  "en": "Concept schemes of administrative transformation"},
                 {"de": "SKOS-Begriffssysteme: Themen, Herausforderungen, Zielgruppen, Angebotsarten, "
                        "Durchführungsformen, Kostenmodelle und Kompetenzen.",
                  "en": "SKOS concept schemes: topics, challenges, target groups, offer types, delivery "
                        "modes, cost models and competencies."}),
    "ontology": ({"de": "Transformationsontologie und SHACL-Formen",
                  "en": "Transformation ontology and SHACL shapes"},
                 {"de": "Die OWL-Ontologie des Transformationsatlas und die SHACL-Formen, die jede Angabe "
                        "vor dem Speichern erfüllen muss.",
                  "en": "The OWL ontology of the Transformationsatlas and the SHACL shapes every piece of "
                        "data must pass before it is stored."}),
    "sparql": ({"de": "SPARQL-Endpunkt des Transformationsatlas",
                "en": "SPARQL endpoint of the Transformationsatlas"},
               {"de": "SPARQL-1.1-Abfragen über den gesamten Wissensgraphen (Protokoll, Föderation per SERVICE).",
                "en": "SPARQL 1.1 queries over the whole knowledge graph (protocol, federation by SERVICE)."}),
}
KEYWORDS = {"de": ("Verwaltungstransformation", "Bundesverwaltung", "Transformationsakteure", "Linked Data"),
            "en": ("administrative transformation", "federal administration", "linked data")}


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _text(value: str, lang: str) -> ox.Literal:
    return ox.Literal(value, language=lang)


def _typed(value, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))


class _Graph:
    def __init__(self):
        self.triples: list[ox.Triple] = []

    def add(self, subject, predicate: str, obj) -> None:
        subject = _iri(subject) if isinstance(subject, str) else subject
        obj = _iri(obj) if isinstance(obj, str) else obj
        self.triples.append(ox.Triple(subject, _iri(predicate), obj))

    def texts(self, subject, predicate: str, by_lang: dict[str, str]) -> None:
        for lang, value in by_lang.items():
            self.add(subject, predicate, _text(value, lang))


def catalog_iri(base_iri: str) -> str:
    return base_iri + "catalog"


def dataset_iri(base_iri: str, name: str) -> str:
    return f"{catalog_iri(base_iri)}#{name}"


def distribution_iri(base_iri: str, file_name: str) -> str:
    return f"{catalog_iri(base_iri)}#file-{file_name}"


def download_url(base_url: str, file_name: str) -> str:
    return f"{base_url}/downloads/{file_name}"


def _dates(g: _Graph, subject: str, data: PublishedData, dataset: str) -> None:
    issued, modified = data.issued(dataset), data.modified(dataset)
    if issued:
        g.add(subject, DCT + "issued", _typed(issued, "date"))
    if modified:
        g.add(subject, DCT + "modified", _typed(modified, "date"))


def _agents(g: _Graph, base_iri: str, base_url: str) -> tuple[str, str]:
    publisher = catalog_iri(base_iri) + "#publisher"
    g.add(publisher, RDF + "type", FOAF + "Agent")
    g.texts(publisher, FOAF + "name", PUBLISHER_NAME)
    g.add(publisher, FOAF + "homepage", base_url + "/")
    contact = catalog_iri(base_iri) + "#contact"
    g.add(contact, RDF + "type", VCARD + "Kind")
    g.add(contact, RDF + "type", VCARD + "Organization")
    g.add(contact, VCARD + "fn", ox.Literal("Transformationsatlas"))
    g.add(contact, VCARD + "hasURL", base_url + "/")
    return publisher, contact


def catalog_triples(data: PublishedData, files: list[ReleaseFile], base_url: str,
                    contributor_id: str | None = None) -> list[ox.Triple]:
    base = data.base_iri
    g = _Graph()
    publisher, contact = _agents(g, base, base_url)
    catalog = catalog_iri(base)
    title, description = TEXTS["catalog"]
    g.add(catalog, RDF + "type", DCAT + "Catalog")
    g.texts(catalog, DCT + "title", title)
    g.texts(catalog, DCT + "description", description)
    g.add(catalog, DCT + "publisher", publisher)
    g.add(catalog, FOAF + "homepage", base_url + "/")
    g.add(catalog, DCT + "license", LICENCE)
    g.add(catalog, DCAT + "themeTaxonomy", EU + "data-theme")
    for language in LANGUAGES:
        g.add(catalog, DCT + "language", language)
    _dates(g, catalog, data, ALL)

    for name in (ALL, *SUBSETS):
        dataset = dataset_iri(base, name)
        g.add(catalog, DCAT + "dataset", dataset)
        title, description = TEXTS[name]
        g.add(dataset, RDF + "type", DCAT + "Dataset")
        g.texts(dataset, DCT + "title", title)
        g.texts(dataset, DCT + "description", description)
        g.add(dataset, DCT + "identifier", ox.Literal(dataset))
        g.add(dataset, DCT + "publisher", publisher)
        g.add(dataset, DCAT + "contactPoint", contact)
        g.add(dataset, DCAT + "theme", THEME)
        for language in LANGUAGES:
            g.add(dataset, DCT + "language", language)
        for lang, words in KEYWORDS.items():
            for word in words:
                g.add(dataset, DCAT + "keyword", _text(word, lang))
        g.add(dataset, DCAT + "landingPage", base_url + "/catalog")
        g.add(dataset, DCT + "accessRights", ACCESS_PUBLIC)
        g.add(dataset, DCT + "accrualPeriodicity", FREQUENCY)
        g.add(dataset, DCATDE + "politicalGeocodingLevelURI", GEOCODING_FEDERAL)
        if contributor_id:
            g.add(dataset, DCATDE + "contributorID", contributor_id)
        _dates(g, dataset, data, name)
        if name == ALL:
            for part in SUBSETS:
                g.add(dataset, DCT + "hasPart", dataset_iri(base, part))
        else:
            g.add(dataset, DCT + "isPartOf", dataset_iri(base, ALL))

    for release_file in files:
        _distribution(g, data, release_file, base_url)

    service = dataset_iri(base, "sparql")
    title, description = TEXTS["sparql"]
    g.add(catalog, DCAT + "service", service)
    g.add(service, RDF + "type", DCAT + "DataService")
    g.texts(service, DCT + "title", title)
    g.texts(service, DCT + "description", description)
    g.add(service, DCAT + "endpointURL", base_url + "/sparql")
    # GET /sparql without a query answers with the SPARQL service description.
    g.add(service, DCAT + "endpointDescription", base_url + "/sparql")
    g.add(service, DCT + "conformsTo", "https://www.w3.org/TR/sparql11-protocol/")
    g.add(service, DCT + "publisher", publisher)
    g.add(service, DCAT + "contactPoint", contact)
    g.add(service, DCT + "license", LICENCE)
    g.add(service, DCT + "accessRights", ACCESS_PUBLIC)
    for name in (ALL, *SUBSETS):
        g.add(service, DCAT + "servesDataset", dataset_iri(base, name))
    return g.triples


def _distribution(g: _Graph, data: PublishedData, release_file: ReleaseFile, base_url: str) -> None:
    base = data.base_iri
    dist = distribution_iri(base, release_file.name)
    kind = release_file.kind
    title = TEXTS[release_file.dataset][0]
    g.add(dataset_iri(base, release_file.dataset), DCAT + "distribution", dist)
    g.add(dist, RDF + "type", DCAT + "Distribution")
    g.texts(dist, DCT + "title", {lang: f"{text} ({kind.label})" for lang, text in title.items()})
    g.add(dist, DCAT + "accessURL", base_url + "/catalog")
    g.add(dist, DCAT + "downloadURL", download_url(base_url, release_file.name))
    g.add(dist, DCAT + "mediaType", IANA + kind.media_type)
    if kind.compress:
        g.add(dist, DCAT + "compressFormat", IANA + kind.compress)
    g.add(dist, DCT + "format", EU + "file-type/" + kind.file_type)
    g.add(dist, DCAT + "byteSize", _typed(release_file.size, "nonNegativeInteger"))
    checksum = ox.BlankNode()
    g.add(dist, SPDX + "checksum", checksum)
    g.add(checksum, RDF + "type", SPDX + "Checksum")
    g.add(checksum, SPDX + "algorithm", SPDX + "checksumAlgorithm_sha256")
    g.add(checksum, SPDX + "checksumValue", _typed(release_file.sha256, "hexBinary"))
    g.add(dist, DCT + "license", LICENCE)
    g.add(dist, DCATDE + "licenseAttributionByText", _text(f"Transformationsatlas ({base}), CC BY 4.0", "de"))
    _dates(g, dist, data, release_file.dataset)


def void_triples(data: PublishedData, files: list[ReleaseFile], base_url: str) -> list[ox.Triple]:
    """VoID statistics of the complete graph and its subsets, with dumps and the endpoint."""
    base = data.base_iri
    g = _Graph()
    for name in (ALL, *SUBSETS):
        dataset = dataset_iri(base, name)
        g.add(dataset, RDF + "type", VOID + "Dataset")
        g.texts(dataset, DCT + "title", TEXTS[name][0])
        g.add(dataset, DCT + "license", LICENCE)
        g.add(dataset, VOID + "sparqlEndpoint", base_url + "/sparql")
        g.add(dataset, VOID + "uriSpace", ox.Literal(base + "id/"))
        for release_file in files:
            if release_file.dataset == name and release_file.kind.file_type not in ("CSV", "TSV"):
                g.add(dataset, VOID + "dataDump", download_url(base_url, release_file.name))
        _statistics(g, dataset, data.statistics(name))
        if name == ALL:
            g.add(dataset, VOID + "vocabulary", base + "ontology#")
            for part in SUBSETS:
                g.add(dataset, VOID + "subset", dataset_iri(base, part))
    return g.triples


def _statistics(g: _Graph, dataset: str, stats: Statistics) -> None:
    classes, properties = stats.classes, stats.properties
    g.add(dataset, VOID + "triples", _typed(stats.triples, "integer"))
    g.add(dataset, VOID + "distinctSubjects", _typed(stats.subjects, "integer"))
    g.add(dataset, VOID + "distinctObjects", _typed(stats.objects, "integer"))
    g.add(dataset, VOID + "properties", _typed(len(properties), "integer"))
    g.add(dataset, VOID + "classes", _typed(len(classes), "integer"))
    g.add(dataset, VOID + "entities", _typed(stats.entities, "integer"))
    for cls, count in sorted(classes.items()):
        partition = ox.BlankNode()
        g.add(dataset, VOID + "classPartition", partition)
        g.add(partition, VOID + "class", cls)
        g.add(partition, VOID + "entities", _typed(count, "integer"))
    for prop, count in sorted(properties.items()):
        partition = ox.BlankNode()
        g.add(dataset, VOID + "propertyPartition", partition)
        g.add(partition, VOID + "property", prop)
        g.add(partition, VOID + "triples", _typed(count, "integer"))


def read_catalogue(path) -> dict:
    """What the HTML page of /catalog shows, read from a written ``catalog.ttl``."""
    graph = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                       for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))

    def values(subject, predicate: str) -> list:
        return [q.object for q in graph.quads_for_subject(subject) if q.predicate.value == predicate]

    def first(subject, predicate: str, lang: str | None = None) -> str:
        found = sorted(o.value for o in values(subject, predicate)
                       if lang is None or getattr(o, "language", None) == lang)
        return found[0] if found else ""

    catalogs = [q.subject for q in graph.quads_for_object(_iri(DCAT + "Catalog"))
                if q.predicate.value == RDF + "type"]
    if not catalogs:
        return {"datasets": []}
    catalog = catalogs[0]
    datasets = []
    for dataset in sorted(values(catalog, DCAT + "dataset"), key=lambda n: n.value):
        distributions = []
        for dist in values(dataset, DCAT + "distribution"):
            checksum = next(iter(values(dist, SPDX + "checksum")), None)
            distributions.append({
                "url": first(dist, DCAT + "downloadURL"),
                "name": first(dist, DCAT + "downloadURL").rsplit("/", 1)[-1],
                "media_type": first(dist, DCAT + "mediaType").removeprefix(IANA),
                "bytes": int(first(dist, DCAT + "byteSize") or 0),
                "sha256": first(checksum, SPDX + "checksumValue") if checksum else "",
            })
        datasets.append({
            "iri": dataset.value,
            "title": {lang: first(dataset, DCT + "title", lang) for lang in ("de", "en")},
            "description": {lang: first(dataset, DCT + "description", lang) for lang in ("de", "en")},
            "modified": first(dataset, DCT + "modified"),
            "distributions": sorted(distributions, key=lambda d: d["name"]),
        })
    services = values(catalog, DCAT + "service")
    return {
        "iri": catalog.value,
        "title": {lang: first(catalog, DCT + "title", lang) for lang in ("de", "en")},
        "description": {lang: first(catalog, DCT + "description", lang) for lang in ("de", "en")},
        "modified": first(catalog, DCT + "modified"),
        "licence": first(catalog, DCT + "license"),
        "endpoint": first(services[0], DCAT + "endpointURL") if services else "",
        "datasets": datasets,
    }

