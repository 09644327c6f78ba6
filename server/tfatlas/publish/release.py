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
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from ..errors import InputError
from ..model.formats import used_prefix_lines
from ..store import AtlasStore
from . import dcat as catalog
from ..linking.records import contributor_id_of, read_mappings
from ..linking.sssom import sssom_tsv
from .data import ALL, CSV, JSONLD, NTRIPLES_GZ, SSSOM_TSV, SUBSETS, SUMS, TRIG, TURTLE, FileKind, PublishedData, ReleaseFile, prefixes, published_data
from .tables import tables_csv


# -- reading and canonicalising ---------------------------------------------------------------


# -- writing ----------------------------------------------------------------------------------
# Each writer streams sorted statements into a file: pyoxigraph serialises from an iterator, so
# no format's text of the whole graph is held in memory.

def turtle(triples: Iterable[ox.Triple], base_iri: str, path: Path) -> None:
    ox.serialize(triples, str(path), ox.RdfFormat.TURTLE, prefixes=prefixes(base_iri))
    _sort_header(path)


def trig(quads: Iterable[ox.Quad], base_iri: str, path: Path) -> None:
    ox.serialize(quads, str(path), ox.RdfFormat.TRIG, prefixes=prefixes(base_iri))
    _sort_header(path)


def _sort_header(path: Path) -> None:
    """The serializer keeps prefixes in a hash map; sorting its @prefix lines fixes their order.
    Only the prefixes the file uses are declared (found in one streamed pass over the body)."""
    with path.open("rb") as src:
        header = []
        line = src.readline()
        while line.startswith(b"@prefix "):
            header.append(line.rstrip(b"\n"))
            line = src.readline()
        body_start = src.tell() - len(line)
        used = used_prefix_lines(header, _chunks(src, line))
        kept = sorted(used)
        if kept == header:
            return
        src.seek(body_start)
        with path.with_suffix(path.suffix + ".sorted").open("wb") as out:
            if kept:
                out.write(b"\n".join(kept) + b"\n")
            shutil.copyfileobj(src, out, 1 << 20)
    os.replace(path.with_suffix(path.suffix + ".sorted"), path)


def _chunks(src, first: bytes):
    yield first
    while chunk := src.read(1 << 20):
        yield chunk


def ntriples_gz(ntriples: Path, path: Path) -> None:
    # filename="" and mtime=0: the gzip header holds nothing that differs between runs.
    with ntriples.open("rb") as src, path.open("wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        shutil.copyfileobj(src, gz, 1 << 20)


def jsonld(statements: Iterable, path: Path) -> None:
    """Expanded JSON-LD: no remote context to fetch, one line (re-indenting in Python costs more
    than everything else of a release together)."""
    ox.serialize(statements, str(path), ox.RdfFormat.JSON_LD)
    with path.open("ab") as out:
        out.write(b"\n")


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


def write_data_files(data: PublishedData, directory: Path) -> list[tuple[str, str, FileKind]]:
    """Write every data file of the release into ``directory``; (file name, dataset, kind) of each."""
    base = data.base_iri
    tfatlas = [("tfatlas.ttl", TURTLE), ("tfatlas.nt.gz", NTRIPLES_GZ), ("tfatlas.jsonld", JSONLD),
               ("tfatlas.trig", TRIG)]
    # zlib compresses without the GIL: the gzip file is written by a thread meanwhile (at 1M
    # statements about 3 s of CPU on the second core; the serialisers need the GIL to iterate)
    with ThreadPoolExecutor(1) as compressing:
        compressed = compressing.submit(ntriples_gz, data.ntriples(), directory / "tfatlas.nt.gz")
        turtle(data.triples(), base, directory / "tfatlas.ttl")
        jsonld(data.triples(), directory / "tfatlas.jsonld")
        trig(data.quads(), base, directory / "tfatlas.trig")
        files = [(name, ALL, kind) for name, kind in tfatlas]
        for name in SUBSETS:
            turtle(data.triples(name), base, directory / f"{name}.ttl")
            jsonld(data.triples(name), directory / f"{name}.jsonld")
            files += [(f"{name}.ttl", name, TURTLE), (f"{name}.jsonld", name, JSONLD)]
        compressed.result()  # raises what the thread raised
    actors, offers = tables_csv(data)
    (directory / "actors.csv").write_bytes(actors)
    (directory / "offers.csv").write_bytes(offers)
    files += [("actors.csv", "actors", CSV), ("offers.csv", "offers", CSV)]
    return files


#: The decided links with the registries, as an SSSOM mapping set (part of the actors dataset).
LINKS = "links.sssom.tsv"


def default_base_url() -> str:
    return "http://127.0.0.1:8080"


def publish(store: AtlasStore, out: str | os.PathLike, *, base_url: str | None = None,
            contributor_id: str | None = None, publisher: str | None = None) -> Release:
    """Write a complete release into ``out`` and return what was written.

    ``publisher``: the atlas organisation that publishes; without ``contributor_id`` its GovData
    contributor ID, where the links with GovData give one, is named in the catalogue.
    """
    base_url = (base_url or default_base_url()).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise InputError(f"--base-url must be an http(s) URL, got {base_url!r}")
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        previous = _listed(out / SUMS)
        with tempfile.TemporaryDirectory(dir=out, prefix=".publishing-") as tmp:
            tmp = Path(tmp)
            data = published_data(store, tmp / ".statements")
            if not contributor_id and publisher:
                contributor_id = contributor_id_of(store, publisher)
            files = [ReleaseFile(name, dataset, kind, (tmp / name).stat().st_size, _sha256(tmp / name))
                     for name, dataset, kind in write_data_files(data, tmp)]
            (tmp / LINKS).write_bytes(sssom_tsv(read_mappings(store), data.base_iri))
            files.append(ReleaseFile(LINKS, "actors", SSSOM_TSV, (tmp / LINKS).stat().st_size, _sha256(tmp / LINKS)))
            graph = canonical_triples(catalog.catalog_triples(data, files, base_url, contributor_id))
            void = canonical_triples(catalog.void_triples(data, files, base_url))
            data.forget_statistics()
            turtle(graph, data.base_iri, tmp / "catalog.ttl")
            jsonld(graph, tmp / "catalog.jsonld")
            (tmp / "catalog.rdf").write_bytes(rdfxml(graph, data.base_iri))
            turtle(void, data.base_iri, tmp / "void.ttl")
            shutil.rmtree(data.directory)
            names = sorted(p.name for p in tmp.iterdir())
            (tmp / SUMS).write_bytes("".join(f"{_sha256(tmp / n)}  {n}\n" for n in names).encode("ascii"))
            # SHA256SUMS last: a reader that sees it sees the files it lists.
            for name in names + [SUMS]:
                os.replace(tmp / name, out / name)
        for name in previous - set(names) - {SUMS}:
            (out / name).unlink(missing_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write the release to {out}: {exc.strerror or exc}") from None
    return Release(out, files, data, base_url)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
