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

import gzip
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from ..errors import InputError
from ..store import AtlasStore
from . import dcat as catalog
from .data import ALL, CSV, JSONLD, NTRIPLES_GZ, SUBSETS, SUMS, TRIG, TURTLE, FileKind, PublishedData, ReleaseFile, prefixes, published_data
from .tables import actors_csv, offers_csv


# -- reading and canonicalising ---------------------------------------------------------------


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
