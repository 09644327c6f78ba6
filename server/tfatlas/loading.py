"""Turning files and directories into load sources, and the initial load of the knowledge model."""

from __future__ import annotations

import re
from pathlib import Path

from . import rdfformats
from .errors import InputError
from .resources import model_dir, rdf_files
from .store import AtlasStore, LoadReport, Source


def graph_for(base_iri: str, kind: str, path: Path) -> str:
    """Readable, stable graph IRI for a model file: <base>graph/<kind>/<file stem>."""
    name = path.name
    for suffix in (".gz",) + tuple(ext for f in rdfformats.FORMATS for ext in f.extensions):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-").lower() or "unnamed"
    return f"{base_iri}graph/{kind}/{slug}"


def expand(paths: list[Path]) -> list[Path]:
    """Files named directly, and the RDF files below named directories."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = rdf_files(path)
            if not found:
                raise InputError(f"{path}: no RDF files in this directory")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or directory")
    return files


def sources_for(paths: list[Path], base_iri: str, *, graph: str | None = None,
                fmt: str | None = None, kind: str = "user") -> list[Source]:
    return [
        Source(path=p, format=rdfformats.for_path(p, fmt), graph=graph or graph_for(base_iri, kind, p))
        for p in expand(paths)
    ]


def model_sources(base_iri: str) -> list[Source]:
    """The knowledge model as shipped: the ontology, the shapes and the seed data, a graph per file."""
    sources: list[Source] = []
    for kind in ("ontology", "shapes", "data"):
        directory = model_dir(kind)
        if directory.is_dir():
            sources.extend(sources_for(rdf_files(directory), base_iri, kind=kind))
    return sources


def init_store(store: AtlasStore, progress=None) -> LoadReport | None:
    """Load the knowledge model into an empty store; a store with data is left alone."""
    if not store.is_empty():
        return None
    sources = model_sources(store.base_iri)
    if not sources:
        return LoadReport()
    return store.load(sources, replace=True, progress=progress)
