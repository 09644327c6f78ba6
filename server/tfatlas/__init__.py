"""Transformationsatlas: the knowledge graph of the federal administration's transformation network.

The library API (the CLI is built on it)::

    import tfatlas
    config = tfatlas.load_config()
    with tfatlas.open_store(config) as store:
        tfatlas.init(store)                       # the shipped model, into an empty store
        tfatlas.load(store, [Path("offers.ttl")])  # validated first; all or nothing
        report = tfatlas.validate([Path("entry.ttl")], store=store)
        rows = tfatlas.query(store, "SELECT ...")
        tfatlas.publish(store, "var/release")

Imports happen when a function is called, so ``import tfatlas`` stays cheap (query workers and
``tfatlas --help`` start fast). Nothing here imports Flask; the web app is ``tfatlas.web``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .config import Config, load_config
from .errors import AtlasError, InputError, QueryError, StoreError, ValidationFailed
from .version import __version__

if TYPE_CHECKING:
    from .model.loading import LoadReport
    from .publish.release import Release
    from .store import AtlasStore
    from .validation import Report

__all__ = ["AtlasError", "Config", "InputError", "QueryError", "StoreError", "ValidationFailed",
           "__version__", "check_ontology", "init", "load", "load_config", "open_store", "publish", "query",
           "validate"]


def open_store(config: Config | None = None) -> "AtlasStore":
    """The store the configuration names: embedded (on disk) unless a remote store URL is set."""
    from .store import open_store as _open

    return _open(config or load_config())


def init(store: "AtlasStore", *, force: bool = False, progress=None) -> "LoadReport | None":
    """Load the shipped ontology, shapes and seed data into an empty store (validated unless ``force``)."""
    from .model.loading import init_store

    return init_store(store, progress, force=force)


def load(store: "AtlasStore", paths: Iterable[str | os.PathLike], *, graph: str | None = None,
         fmt: str | None = None, replace: bool = False, validate: bool = True,
         progress=None) -> "LoadReport":
    """Load RDF files (or directories) into named graphs, all or nothing; SHACL-checked first."""
    from .model.loading import check_sources, sources_for

    sources = sources_for([Path(p) for p in paths], store.base_iri, graph=graph, fmt=fmt)
    if validate:
        check_sources(sources, store, replace=replace)
    return store.load(sources, replace=replace, progress=progress)


def validate(paths: Iterable[str | os.PathLike], *, store: "AtlasStore | None" = None,
             fmt: str | None = None) -> "Report":
    """SHACL-validate RDF files (directories: the RDF files below), alone or as a new entry
    against a store."""
    from .model.loading import expand
    from .validation import validate_files

    return validate_files(expand([Path(p) for p in paths]), store=store, fmt=fmt)


def check_ontology(paths: Iterable[str | os.PathLike] | None = None):
    """OWL 2 DL reasoning (HermiT) over the ontology, vocabularies and seed data, or the given files."""
    from .model.loading import expand
    from .validation import reasoning

    files = expand([Path(p) for p in paths]) if paths else reasoning.default_inputs()
    return reasoning.check(files)


def query(store: "AtlasStore", sparql: str):
    """Evaluate a SPARQL query over the union of the store's graphs (pyoxigraph result objects)."""
    return store.query(sparql)


def publish(store: "AtlasStore", out: str | os.PathLike, *, base_url: str | None = None,
            contributor_id: str | None = None) -> "Release":
    """Write the open-data release (dumps, tables, DCAT-AP.de catalogue, checksums) into ``out``."""
    from .publish.release import publish as _publish

    return _publish(store, out, base_url=base_url, contributor_id=contributor_id)
