"""The published statements of a store: canonical, sorted, cut into subsets; and the release's file kinds."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..model.formats import by_name
from ..store import AtlasStore
from ..vocab import CV, DCT, FOAF, ORG, OWL, RDF, RDFS, SKOS, XSD, history_graph, meta_graph


SUBSETS = ("actors", "offers", "concepts", "ontology")


ALL = "atlas"


SUMS = "SHA256SUMS"


def prefixes(base_iri: str) -> dict[str, str]:
    """Prefixes of the Turtle and TriG files; they change the bytes, never the statements."""
    return {
        "tfa": base_iri + "ontology#",
        "adms": "http://www.w3.org/ns/adms#",
        "cv": CV,
        "dcat": "http://www.w3.org/ns/dcat#",
        "dcatde": "http://dcat-ap.de/def/dcatde/",
        "dct": DCT,
        "foaf": FOAF,
        "locn": "http://www.w3.org/ns/locn#",
        "org": ORG,
        "owl": OWL,
        "prov": "http://www.w3.org/ns/prov#",
        "rdf": RDF,
        "rdfs": RDFS,
        "schema": "https://schema.org/",
        "sh": "http://www.w3.org/ns/shacl#",
        "skos": SKOS,
        "spdx": "http://spdx.org/rdf/terms#",
        "time": "http://www.w3.org/2006/time#",
        "vcard": "http://www.w3.org/2006/vcard/ns#",
        "void": "http://rdfs.org/ns/void#",
        "xsd": XSD,
    }


@dataclass(frozen=True)
class FileKind:
    """How one kind of release file is described in the catalogue."""

    suffix: str
    media_type: str  # IANA media type
    file_type: str  # code of the EU file-type authority list
    label: str
    compress: str | None = None  # IANA media type of the compression, if any


TURTLE = FileKind(".ttl", by_name("turtle").media_type, "RDF_TURTLE", "Turtle")
NTRIPLES_GZ = FileKind(".nt.gz", by_name("ntriples").media_type, "RDF_N_TRIPLES", "N-Triples (gzip)",
                       compress="application/gzip")
JSONLD = FileKind(".jsonld", by_name("jsonld").media_type, "JSON_LD", "JSON-LD")
TRIG = FileKind(".trig", by_name("trig").media_type, "RDF_TRIG", "TriG")
CSV = FileKind(".csv", "text/csv", "CSV", "CSV")


#: Content types the web server sends for release files (gzip stays a gzip file: no
#: Content-Encoding, so what a client stores matches the checksum).
CONTENT_TYPES = {
    ".nt.gz": "application/gzip",
    ".ttl": "text/turtle; charset=utf-8",
    ".jsonld": "application/ld+json",
    ".trig": "application/trig",
    ".csv": "text/csv; charset=utf-8; header=present",
    ".rdf": "application/rdf+xml",
    SUMS: "text/plain; charset=utf-8",
}


def content_type(name: str) -> str:
    for suffix, media in CONTENT_TYPES.items():
        if name.endswith(suffix):
            return media
    return "application/octet-stream"


@dataclass(frozen=True)
class ReleaseFile:
    name: str
    dataset: str  # one of SUBSETS or ALL
    kind: FileKind
    size: int
    sha256: str


@dataclass
class PublishedData:
    """The published statements of a store, canonical and sorted."""

    base_iri: str
    quads: list[ox.Quad]
    triples: list[ox.Triple]  # the union of all published graphs, without duplicates
    subsets: dict[str, list[ox.Triple]] = field(default_factory=dict)
    _date_cache: dict = field(default_factory=dict, repr=False)

    def modified(self, dataset: str = ALL) -> str | None:
        """Latest ``dct:modified`` date of the dataset: the release's date, taken from the data."""
        dates = self._modified_dates(dataset)
        return dates[-1] if dates else None

    def issued(self, dataset: str = ALL) -> str | None:
        """Earliest ``dct:modified`` date of the dataset (the dates of cited sources are not ours)."""
        dates = self._modified_dates(dataset)
        return dates[0] if dates else None

    def _modified_dates(self, dataset: str) -> list[str]:
        """Sorted dates (``xsd:date``, or the day of an ``xsd:dateTime``); cached, since every
        distribution of a dataset asks."""
        if dataset not in self._date_cache:
            triples = self.triples if dataset == ALL else self.subsets[dataset]
            self._date_cache[dataset] = sorted(
                t.object.value[:10] for t in triples
                if t.predicate.value == DCT + "modified" and isinstance(t.object, ox.Literal)
                and t.object.datatype.value in (XSD + "date", XSD + "dateTime") and len(t.object.value) >= 10)
        return self._date_cache[dataset]


def published_data(store: AtlasStore) -> PublishedData:
    """Every statement of the store except the meta and history graphs, with canonical blank-node
    labels. The history (who changed what, when) is served live (/graph/actor/<slug>/history,
    /sparql); the data carries the dates of its changes in dct:modified."""
    raw = io.BytesIO()
    store.dump(raw, by_name("nquads"))
    raw.seek(0)
    skipped = {ox.NamedNode(meta_graph(store.base_iri)), ox.NamedNode(history_graph(store.base_iri))}
    dataset = ox.Dataset(q for q in ox.parse(raw, ox.RdfFormat.N_QUADS) if q.graph_name not in skipped)
    # RDFC-1.0 gives blank nodes labels that depend only on the data, not on load order.
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    quads = sorted(dataset, key=lambda q: (str(q.graph_name), str(q.triple)))
    triples = sorted({q.triple for q in quads}, key=str)
    data = PublishedData(store.base_iri, quads, triples)
    data.subsets = split(store.base_iri, quads, triples)
    return data


def split(base_iri: str, quads: list[ox.Quad], triples: list[ox.Triple]) -> dict[str, list[ox.Triple]]:
    """Cut the union graph into the disjoint subsets (every triple in exactly one)."""
    model_graphs = (base_iri + "graph/ontology/", base_iri + "graph/shapes/")
    in_model = {q.triple for q in quads
                if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.startswith(model_graphs)}
    types: dict[ox.NamedNode | ox.BlankNode, set[str]] = defaultdict(set)
    referrers: dict[ox.BlankNode, list] = defaultdict(list)
    for t in triples:
        if t.predicate.value == RDF + "type" and isinstance(t.object, ox.NamedNode):
            types[t.subject].add(t.object.value)
        elif t.predicate.value == SKOS + "inScheme":
            types[t.subject].add(SKOS + "Concept")
        if isinstance(t.object, ox.BlankNode):
            referrers[t.object].append(t)

    def subject_subset(subject, seen=()) -> str | None:
        kinds = types.get(subject, set())
        tfa = base_iri + "ontology#"
        if tfa + "Offer" in kinds:
            return "offers"
        if kinds & {SKOS + "Concept", SKOS + "ConceptScheme"}:
            return "concepts"
        if isinstance(subject, ox.BlankNode) and subject not in seen:
            # A blank node belongs with the resource that describes it (e.g. a qualified
            # association of an initiative); the first referrer in sorted order decides.
            for t in referrers.get(subject, ()):
                found = subject_subset(t.subject, seen + (subject,))
                if found:
                    return found
                if t in in_model:
                    return "ontology"
        return None

    subsets: dict[str, list[ox.Triple]] = {name: [] for name in SUBSETS}
    cache: dict = {}
    for t in triples:
        if t.subject not in cache:
            cache[t.subject] = subject_subset(t.subject)
        name = cache[t.subject]
        if name is None:
            name = "ontology" if t in in_model else "actors"
        subsets[name].append(t)
    return subsets
