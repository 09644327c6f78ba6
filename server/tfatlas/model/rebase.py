"""The shipped model onto another base IRI: an atlas served under its own domain names its own IRIs.

The model files are written with ``vocab.MODEL_BASE`` (``https://w3id.org/tfatlas/``). When an
operator sets ``TFATLAS_BASE_IRI`` to something else, every IRI under the model's base (and every
literal that spells one, such as ``vann:preferredNamespaceUri``) is moved onto the configured
base before loading, so that pages, the finder, the ontology and releases agree with the
configuration. The files are converted to N-Quads in a temporary directory; provenance still
names the shipped file.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox

from ..store import Source
from ..vocab import MODEL_BASE
from .formats import by_name


def rebase_term(term, old: str, new: str):
    if isinstance(term, ox.NamedNode) and term.value.startswith(old):
        return ox.NamedNode(new + term.value[len(old):])
    if isinstance(term, ox.Literal):
        value = new + term.value[len(old):] if term.value.startswith(old) else term.value
        if term.language:
            return ox.Literal(value, language=term.language)
        return ox.Literal(value, datatype=rebase_term(term.datatype, old, new))
    return term


def _rebase_quad(quad: ox.Quad, old: str, new: str) -> ox.Quad:
    graph = quad.graph_name
    return ox.Quad(rebase_term(quad.subject, old, new), rebase_term(quad.predicate, old, new),
                   rebase_term(quad.object, old, new),
                   rebase_term(graph, old, new) if isinstance(graph, ox.NamedNode) else graph)


@contextlib.contextmanager
def rebased(sources: list[Source], base_iri: str, model_base: str = MODEL_BASE) -> Iterator[list[Source]]:
    """The sources with their IRIs moved from ``model_base`` to ``base_iri`` (unchanged when equal)."""
    if base_iri == model_base:
        yield sources
        return
    nquads = by_name("nquads")
    with tempfile.TemporaryDirectory(prefix="tfatlas-rebased-") as tmp:
        converted = []
        for index, source in enumerate(sources):
            quads = ox.parse(path=str(source.path), format=source.format.oxigraph,
                             base_iri=source.path.resolve().as_uri())
            target = Path(tmp) / f"{index:04d}-{source.path.name}.nq"
            ox.serialize((_rebase_quad(q, model_base, base_iri) for q in quads), str(target), nquads.oxigraph)
            converted.append(Source(target, nquads, source.graph, origin=source.provenance_path))
        yield converted
