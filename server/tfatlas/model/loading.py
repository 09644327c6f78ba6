"""Turning files and directories into load sources, and the initial load of the knowledge model."""

from __future__ import annotations

import re
from pathlib import Path

from . import formats as rdfformats
from ..errors import InputError, ValidationFailed
from .files import model_dir, rdf_files
from .rebase import rebased
from ..store import AtlasStore, LoadReport, Source


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
            # The JSON-LD context (ontology/context.jsonld) holds no triples: it is served as is,
            # not loaded as an empty graph.
            files = [f for f in rdf_files(directory) if f.name != "context.jsonld"]
            sources.extend(sources_for(files, base_iri, kind=kind))
    return sources


def check_sources(sources: list[Source], store: AtlasStore | None = None, *, replace: bool = False):
    """SHACL-validate the instance data among the sources; raise ValidationFailed on violations.

    Files of the shipped ontology, vocabularies and shapes are the validation context, not data.
    Against a store, only the nodes the files touch are checked (validation.add_neighbourhood).
    Returns the report, or None when there was no instance data.
    """
    from ..validation import shacl as validation

    data = [s for s in sources if not validation.is_context_file(s.path)]
    if not data:
        return None
    formats = {s.format.name for s in data}
    report = validation.validate_files(
        [s.path for s in data], store=store, fmt=formats.pop() if len(formats) == 1 else None,
        exclude_graphs=[s.graph for s in data] if replace else ())
    if not report.conforms:
        raise ValidationFailed(report.text("en", warnings=False) + "Nothing was stored "
                               "(use --force to store data with violations).")
    return report


def init_store(store: AtlasStore, progress=None, *, force: bool = False) -> LoadReport | None:
    """Load the knowledge model into an empty store; a store with data is left alone.

    The seed data is validated first (unless ``force``): with violations nothing is stored.
    """
    if not store.is_empty():
        return None
    sources = model_sources(store.base_iri)
    if not sources:
        return LoadReport()
    if not force:
        check_sources(sources)  # the files as shipped: the shapes are written for them
    with rebased(sources, store.base_iri) as loadable:
        return store.load(loadable, replace=True, progress=progress)
