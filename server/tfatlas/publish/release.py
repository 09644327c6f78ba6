"""The open-data release: canonical dumps, CSV tables, checksums, the DCAT-AP.de catalogue and VoID.

A release is a directory of plain files that any web server (or ``/downloads/`` of the atlas)
can serve and that GovData can harvest through ``catalog.rdf`` / ``catalog.ttl``.

Reproducibility is the design goal: two releases of the same data are byte-identical.
Therefore
- blank nodes are relabelled with RDFC-1.0 (W3C RDF Dataset Canonicalization) before writing,
- every file is written from a sorted list of statements (N-Triples lines in code-point order),
- the gzip header carries no file name and mtime 0,
- dates in the catalogue come from the data (``dct:modified``), never from the wall clock.

Splitting: the store's published graphs (all but the meta graph) are cut into four disjoint
subsets by what a statement is about (see :func:`subset_of`): ``actors`` (organisations, units,
the network, initiatives, events, sources), ``offers``, ``concepts`` (SKOS schemes and concepts)
and ``ontology`` (the ontology and the SHACL shapes). Each subset is a dataset of the catalogue
with its own files; the complete graph is a fifth dataset with the full dumps and
``dct:hasPart`` the four.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from .errors import InputError
from .rdfformats import by_name
from .store import AtlasStore, meta_graph

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
ORG = "http://www.w3.org/ns/org#"
FOAF = "http://xmlns.com/foaf/0.1/"
CV = "http://data.europa.eu/m8g/"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"

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


TURTLE = FileKind(".ttl", "text/turtle", "RDF_TURTLE", "Turtle")
NTRIPLES_GZ = FileKind(".nt.gz", "application/n-triples", "RDF_N_TRIPLES", "N-Triples (gzip)",
                       compress="application/gzip")
JSONLD = FileKind(".jsonld", "application/ld+json", "JSON_LD", "JSON-LD")
TRIG = FileKind(".trig", "application/trig", "RDF_TRIG", "TriG")
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


# -- reading and canonicalising ---------------------------------------------------------------

def published_data(store: AtlasStore) -> PublishedData:
    """Every statement of the store except the meta graph, with canonical blank-node labels."""
    raw = io.BytesIO()
    store.dump(raw, by_name("nquads"))
    raw.seek(0)
    meta = ox.NamedNode(meta_graph(store.base_iri))
    dataset = ox.Dataset(q for q in ox.parse(raw, ox.RdfFormat.N_QUADS) if q.graph_name != meta)
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


# -- writing ----------------------------------------------------------------------------------

def turtle(triples: Iterable[ox.Triple], base_iri: str) -> bytes:
    return _sorted_header(ox.serialize(list(triples), format=ox.RdfFormat.TURTLE,
                                       prefixes=prefixes(base_iri)))


def trig(quads: Iterable[ox.Quad], base_iri: str) -> bytes:
    return _sorted_header(ox.serialize(list(quads), format=ox.RdfFormat.TRIG, prefixes=prefixes(base_iri)))


def _sorted_header(text: bytes) -> bytes:
    """The serializer keeps prefixes in a hash map; sorting its @prefix lines fixes their order."""
    lines = text.split(b"\n")
    count = 0
    while count < len(lines) and lines[count].startswith(b"@prefix "):
        count += 1
    return b"\n".join(sorted(lines[:count]) + lines[count:])


def ntriples_gz(triples: Iterable[ox.Triple]) -> bytes:
    text = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)
    out = io.BytesIO()
    # filename="" and mtime=0: the gzip header holds nothing that differs between runs.
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(text)
    return out.getvalue()


def jsonld(statements: Iterable) -> bytes:
    """Expanded JSON-LD: no remote context to fetch, one line (re-indenting in Python costs more
    than everything else of a release together)."""
    return ox.serialize(list(statements), format=ox.RdfFormat.JSON_LD) + b"\n"


def rdfxml(triples: Iterable[ox.Triple], base_iri: str) -> bytes:
    return ox.serialize(list(triples), format=ox.RdfFormat.RDF_XML, prefixes=prefixes(base_iri))


def canonical_triples(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Canonical blank-node labels and sorted order for a generated graph (catalogue, VoID)."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted({q.triple for q in dataset}, key=str)


# -- CSV tables -------------------------------------------------------------------------------

class _Index:
    """subject -> predicate -> sorted objects, and labels by language, over the union graph."""

    def __init__(self, triples: list[ox.Triple]):
        self.by_subject: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)
        for t in triples:
            if isinstance(t.subject, ox.NamedNode):
                self.by_subject[t.subject.value][t.predicate.value].append(t.object)
                if t.predicate.value in (RDFS + "label", SKOS + "prefLabel") and isinstance(t.object, ox.Literal):
                    lang = t.object.language or ""
                    # min(): one stable label when a resource has several in a language
                    current = self.labels[t.subject.value].get(lang)
                    if current is None or t.object.value < current:
                        self.labels[t.subject.value][lang] = t.object.value

    def values(self, subject: str, *predicates: str) -> list[str]:
        found = {o.value for p in predicates for o in self.by_subject[subject].get(p, ())}
        return sorted(found)

    def iris(self, subject: str, *predicates: str) -> list[str]:
        found = {o.value for p in predicates for o in self.by_subject[subject].get(p, ())
                 if isinstance(o, ox.NamedNode)}
        return sorted(found)

    def text(self, subject: str, predicate: str, lang: str) -> str:
        found = sorted(o.value for o in self.by_subject[subject].get(predicate, ())
                       if isinstance(o, ox.Literal) and (o.language or "") == lang)
        return found[0] if found else ""

    def label(self, iri: str, lang: str = "de") -> str:
        labels = self.labels.get(iri, {})
        return labels.get(lang) or labels.get("de") or labels.get("") or ""

    def types(self, subject: str) -> list[str]:
        return self.iris(subject, RDF + "type")


def _join(values: Iterable[str]) -> str:
    return " | ".join(values)


#: Rows of actors.csv: resources of these classes (plus tfa:TransformationActor), stated, not
#: inferred, so that the table matches what the graph says.
ACTOR_CLASSES = (ORG + "Organization", ORG + "OrganizationalUnit", ORG + "FormalOrganization",
                 ORG + "OrganizationalCollaboration", CV + "PublicOrganisation")


def actors_csv(data: PublishedData) -> bytes:
    index = _Index(data.subsets["actors"] + data.subsets["concepts"])
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


def offers_csv(data: PublishedData) -> bytes:
    index = _Index(data.subsets["offers"] + data.subsets["actors"] + data.subsets["concepts"])
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


# -- the release ------------------------------------------------------------------------------

@dataclass
class Release:
    directory: Path
    files: list[ReleaseFile]
    data: PublishedData
    base_url: str


def data_files(data: PublishedData) -> list[tuple[str, str, FileKind, bytes]]:
    """(file name, dataset, kind, content) of every data file of the release."""
    base = data.base_iri
    files = [
        ("tfatlas.ttl", ALL, TURTLE, turtle(data.triples, base)),
        ("tfatlas.nt.gz", ALL, NTRIPLES_GZ, ntriples_gz(data.triples)),
        ("tfatlas.jsonld", ALL, JSONLD, jsonld(data.triples)),
        ("tfatlas.trig", ALL, TRIG, trig(data.quads, base)),
    ]
    for name in SUBSETS:
        files.append((f"{name}.ttl", name, TURTLE, turtle(data.subsets[name], base)))
        files.append((f"{name}.jsonld", name, JSONLD, jsonld(data.subsets[name])))
    files.append(("actors.csv", "actors", CSV, actors_csv(data)))
    files.append(("offers.csv", "offers", CSV, offers_csv(data)))
    return files


def default_base_url() -> str:
    return "http://127.0.0.1:8080"


def publish(store: AtlasStore, out: str | os.PathLike, *, base_url: str | None = None,
            contributor_id: str | None = None) -> Release:
    """Write a complete release into ``out`` and return what was written."""
    from . import catalog

    base_url = (base_url or default_base_url()).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise InputError(f"--base-url must be an http(s) URL, got {base_url!r}")
    out = Path(out)
    data = published_data(store)

    contents: dict[str, bytes] = {}
    files: list[ReleaseFile] = []
    for name, dataset, kind, content in data_files(data):
        contents[name] = content
        files.append(ReleaseFile(name, dataset, kind, len(content), hashlib.sha256(content).hexdigest()))

    graph = canonical_triples(catalog.catalog_triples(data, files, base_url, contributor_id))
    void = canonical_triples(catalog.void_triples(data, files, base_url))
    contents["catalog.ttl"] = turtle(graph, data.base_iri)
    contents["catalog.jsonld"] = jsonld(graph)
    contents["catalog.rdf"] = rdfxml(graph, data.base_iri)
    contents["void.ttl"] = turtle(void, data.base_iri)
    contents[SUMS] = "".join(f"{hashlib.sha256(contents[n]).hexdigest()}  {n}\n"
                             for n in sorted(contents)).encode("ascii")
    _write(out, contents)
    return Release(out, files, data, base_url)


def _write(out: Path, contents: dict[str, bytes]) -> None:
    """Replace the release in ``out`` file by file; stale files of the previous release go."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        previous = _listed(out / SUMS)
        with tempfile.TemporaryDirectory(dir=out, prefix=".publishing-") as tmp:
            for name, content in contents.items():
                (Path(tmp) / name).write_bytes(content)
            # SHA256SUMS last: a reader that sees it sees the files it lists.
            for name in sorted(contents, key=lambda n: n == SUMS):
                os.replace(Path(tmp) / name, out / name)
        for name in previous - set(contents):
            (out / name).unlink(missing_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write the release to {out}: {exc.strerror or exc}") from None


def _listed(sums: Path) -> set[str]:
    if not sums.is_file():
        return set()
    names = set()
    for line in sums.read_text(encoding="ascii", errors="replace").splitlines():
        parts = line.split("  ", 1)
        if len(parts) == 2 and "/" not in parts[1] and not parts[1].startswith("."):
            names.add(parts[1])
    return names


def verify(directory: str | os.PathLike) -> dict[str, bool]:
    """File name -> whether its SHA-256 matches SHA256SUMS."""
    directory = Path(directory)
    result = {}
    for line in (directory / SUMS).read_text(encoding="ascii").splitlines():
        digest, name = line.split("  ", 1)
        path = directory / name
        result[name] = path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest
    return result


def release_root(release_dir: str | os.PathLike) -> Path | None:
    """The directory of the latest release under ``release_dir``.

    That is ``release_dir`` itself when it holds a catalogue, else its subdirectory with a
    catalogue whose name sorts last (name releases by date, e.g. ``2026-11-26``).
    """
    root = Path(release_dir)
    if (root / "catalog.ttl").is_file():
        return root
    if not root.is_dir():
        return None
    candidates = sorted(p for p in root.iterdir() if p.is_dir() and (p / "catalog.ttl").is_file())
    return candidates[-1] if candidates else None
