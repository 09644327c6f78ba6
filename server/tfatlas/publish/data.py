"""The published statements of a store: canonical, sorted, cut into subsets; and the release's file kinds."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

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
SSSOM_TSV = FileKind(".sssom.tsv", "text/tab-separated-values", "TSV", "SSSOM TSV")


#: Content types the web server sends for release files (gzip stays a gzip file: no
#: Content-Encoding, so what a client stores matches the checksum).
CONTENT_TYPES = {
    ".nt.gz": "application/gzip",
    ".ttl": "text/turtle; charset=utf-8",
    ".jsonld": "application/ld+json",
    ".trig": "application/trig",
    ".csv": "text/csv; charset=utf-8; header=present",
    ".tsv": "text/tab-separated-values; charset=utf-8",
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
    """The published statements of a store, canonical and sorted, in N-Triples/N-Quads files of a
    working directory (one line per statement: Python term objects for 1M statements would not
    fit in 1 GiB). Read them with :meth:`triples` and :meth:`quads`, which parse natively."""

    base_iri: str
    directory: Path
    counts: dict[str, int] = field(default_factory=dict)  # dataset -> triples (ALL: the union)
    quad_count: int = 0
    dates: dict[str, list[str]] = field(default_factory=dict)  # dataset -> sorted dct:modified days
    _scanned: dict = field(default_factory=dict, repr=False, compare=False)  # dataset -> _scan()

    @property
    def triple_count(self) -> int:
        return self.counts[ALL]

    def ntriples(self, dataset: str = ALL) -> Path:
        """The sorted N-Triples file of a dataset (ALL: the union of the published graphs)."""
        return self.directory / f"{dataset}.nt"

    def triples(self, dataset: str = ALL) -> Iterator[ox.Quad]:
        """The dataset's statements in sorted order (as quads in the default graph, which every
        reader of a triple's subject, predicate and object and every graph writer accepts)."""
        return ox.parse(path=str(self.ntriples(dataset)), format=ox.RdfFormat.N_TRIPLES)

    def quads(self) -> Iterator[ox.Quad]:
        return ox.parse(path=str(self.directory / "quads.nq"), format=ox.RdfFormat.N_QUADS)

    def statistics(self, dataset: str = ALL) -> "Statistics":
        """VoID's counts of a dataset, read from its N-Triples text (no terms are parsed: equal
        terms have equal text). The whole is the disjoint union of the subsets, so its counts
        come from theirs (one pass over the statements, not two)."""
        if dataset != ALL:
            return self._scan(dataset)[0]
        whole, subjects, objects = Statistics(), set(), set()
        for name in SUBSETS:
            stats, its_subjects, its_objects = self._scan(name)
            whole.triples += stats.triples
            whole.properties.update(stats.properties)
            whole.classes.update(stats.classes)
            subjects |= its_subjects
            objects |= its_objects
        whole.subjects, whole.objects = len(subjects), len(objects)
        whole.entities = sum(1 for s in subjects if s.startswith("<"))
        return whole

    def forget_statistics(self) -> None:
        """Drop the term sets kept for :meth:`statistics` (tens of MB at 1M statements)."""
        self._scanned.clear()

    def _scan(self, dataset: str) -> tuple["Statistics", set[str], set[str]]:
        if dataset in self._scanned:
            return self._scanned[dataset]
        stats = Statistics()
        subjects, objects = set(), set()
        rdf_type = f"<{RDF}type>"
        with self.ntriples(dataset).open(encoding="utf-8") as lines:
            for line in lines:
                subject, predicate, obj = line[:-3].split(" ", 2)  # line ends with " .\n"
                stats.triples += 1
                stats.properties[predicate[1:-1]] += 1
                subjects.add(subject)
                objects.add(obj)
                if predicate == rdf_type:  # triples are distinct: each (subject, class) once
                    value = obj[1:-1] if obj.startswith("<") else next(ox.parse(line, ox.RdfFormat.N_TRIPLES)).object.value
                    stats.classes[value] += 1
        stats.subjects, stats.objects = len(subjects), len(objects)
        stats.entities = sum(1 for s in subjects if s.startswith("<"))
        self._scanned[dataset] = stats, subjects, objects
        return self._scanned[dataset]

    def modified(self, dataset: str = ALL) -> str | None:
        """Latest ``dct:modified`` date of the dataset: the release's date, taken from the data."""
        dates = self.dates.get(dataset)
        return dates[-1] if dates else None

    def issued(self, dataset: str = ALL) -> str | None:
        """Earliest ``dct:modified`` date of the dataset (the dates of cited sources are not ours)."""
        dates = self.dates.get(dataset)
        return dates[0] if dates else None


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    lines = iter(lines)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        # batches taken by islice: no Python-level step per line
        while chunk := list(islice(lines, 10_000)):
            out.write(" .\n".join(chunk) + " .\n")


@dataclass
class Statistics:
    triples: int = 0
    subjects: int = 0
    objects: int = 0
    entities: int = 0  # distinct IRI subjects
    properties: Counter = field(default_factory=Counter)
    classes: Counter = field(default_factory=Counter)  # class -> typed subjects


def _day(t: ox.Triple) -> str | None:
    """The day of a ``dct:modified`` (``xsd:date``, or the day of an ``xsd:dateTime``)."""
    if (t.predicate.value == DCT + "modified" and isinstance(t.object, ox.Literal)
            and t.object.datatype.value in (XSD + "date", XSD + "dateTime") and len(t.object.value) >= 10):
        return t.object.value[:10]
    return None


def published_data(store: AtlasStore, workdir: str | os.PathLike) -> PublishedData:
    """Every statement of the store except the meta and history graphs, with canonical blank-node
    labels, sorted, written to files in ``workdir`` (see :class:`PublishedData`). The history (who
    changed what, when) is served live (/graph/actor/<slug>/history, /sparql); the data carries
    the dates of its changes in dct:modified.

    Only the statements with blank nodes become a pyoxigraph dataset to canonicalise (RDFC-1.0
    labels depend on those statements alone); the rest are sorted as N-Triples text."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    dump = workdir / "dump.nq"
    engine = getattr(store, "oxigraph", None)
    if isinstance(engine, ox.Store):
        # the embedded store's quads directly: decoding them is what a dump costs, and the N-Quads
        # text in between (written, then parsed again) is saved
        quads = iter(engine)
    else:
        with dump.open("wb") as out:
            store.dump(out, by_name("nquads"))
        quads = ox.parse(path=str(dump), format=ox.RdfFormat.N_QUADS)
    skipped = {ox.NamedNode(meta_graph(store.base_iri)), ox.NamedNode(history_graph(store.base_iri))}
    graph_names: dict = {}  # one string per graph name, not one per statement
    keys: list[tuple[str, str]] = []
    with_blank_nodes = ox.Dataset()
    for q in quads:
        if q.graph_name in skipped:
            continue
        if (isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
                or isinstance(q.graph_name, ox.BlankNode)):
            with_blank_nodes.add(q)
            continue
        graph = graph_names.get(q.graph_name) or graph_names.setdefault(q.graph_name, str(q.graph_name))
        keys.append((graph, str(q.triple)))
    dump.unlink(missing_ok=True)
    # RDFC-1.0 gives blank nodes labels that depend only on the data, not on load order.
    with_blank_nodes.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    keys.extend((str(q.graph_name), str(q.triple)) for q in with_blank_nodes)
    del with_blank_nodes
    keys.sort()  # the order of (graph name, triple) as text, as before
    _write_lines(workdir / "quads.nq", (t if g == "DEFAULT" else f"{t} {g}" for g, t in keys))
    triples = sorted({t for _, t in keys})
    data = PublishedData(store.base_iri, workdir, quad_count=len(keys))
    _write_lines(data.ntriples(ALL), triples)
    subsets, data.dates = split(data, keys, triples)
    del keys
    data.counts[ALL] = len(triples)
    for name, lines in subsets.items():
        _write_lines(data.ntriples(name), lines)
        data.counts[name] = len(lines)
    return data


def split(data: PublishedData, quad_keys: list[tuple[str, str]],
          triple_lines: list[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Cut the union graph into the disjoint subsets (every triple in exactly one); with the
    sorted ``dct:modified`` days of each subset and of the whole."""
    base_iri = data.base_iri
    model_graphs = tuple("<" + base_iri + g for g in ("graph/ontology/", "graph/shapes/"))
    in_model = {t for g, t in quad_keys if g.startswith(model_graphs)}
    types: dict[str, set[str]] = defaultdict(set)
    referrers: dict[str, list[tuple[str, str]]] = defaultdict(list)  # blank node -> (subject, triple)
    days: dict[str, str] = {}
    for t, line in zip(data.triples(), triple_lines):
        if t.predicate.value == RDF + "type" and isinstance(t.object, ox.NamedNode):
            types[_subject(line)].add(t.object.value)
        elif t.predicate.value == SKOS + "inScheme":
            types[_subject(line)].add(SKOS + "Concept")
        elif (day := _day(t)) is not None:
            days[line] = day
        if isinstance(t.object, ox.BlankNode):
            referrers[str(t.object)].append((_subject(line), line))

    def subject_subset(subject: str, seen=()) -> str | None:
        kinds = types.get(subject, set())
        tfa = base_iri + "ontology#"
        if tfa + "Offer" in kinds:
            return "offers"
        if kinds & {SKOS + "Concept", SKOS + "ConceptScheme"}:
            return "concepts"
        if subject.startswith("_:") and subject not in seen:
            # A blank node belongs with the resource that describes it (e.g. a qualified
            # association of an initiative); the first referrer in sorted order decides.
            for referrer, line in referrers.get(subject, ()):
                found = subject_subset(referrer, seen + (subject,))
                if found:
                    return found
                if line in in_model:
                    return "ontology"
        return None

    subsets: dict[str, list[str]] = {name: [] for name in SUBSETS}
    dates: dict[str, list[str]] = {name: [] for name in (ALL, *SUBSETS)}
    cache: dict = {}
    for line in triple_lines:
        subject = _subject(line)
        if subject not in cache:
            cache[subject] = subject_subset(subject)
        name = cache[subject]
        if name is None:
            name = "ontology" if line in in_model else "actors"
        subsets[name].append(line)
        if line in days:
            dates[name].append(days[line])
            dates[ALL].append(days[line])
    return subsets, {name: sorted(found) for name, found in dates.items()}


def _subject(line: str) -> str:
    """The subject of an N-Triples line: an IRI or a blank node, neither holds a space (triple
    terms are refused on the way in, see model/rdf_safety.py)."""
    return line[:line.index(" ")]
