"""OWL 2 DL reasoning over the ontology and the seed graph: HermiT through owlready2.

owlready2 reads RDF/XML and N-Triples only, so every input (Turtle, TriG, ...) is first
converted with rdflib into one N-Triples file. HermiT runs in Java; its answer is whether
the whole is consistent and which named classes are unsatisfiable (equivalent to owl:Nothing).
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import rdflib

from ..errors import InputError
from ..model.files import model_dir, rdf_files


@dataclass
class ReasonerReport:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    triples: int = 0
    explanation: str = ""

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable


def default_inputs() -> list[Path]:
    """The ontology with its vocabularies, and the seed data."""
    files: list[Path] = []
    for kind in ("ontology", "data"):
        directory = model_dir(kind)
        if directory.is_dir():
            files.extend(rdf_files(directory))
    return files


def merged_graph(files: list[Path]) -> rdflib.Graph:
    """All triples of the files in one graph (named graphs of TriG/N-Quads are merged)."""
    from .shacl import parse_file  # Oxigraph: fast, and file:line:column on syntax errors

    merged = rdflib.Graph()
    for path in files:
        for quad in parse_file(path):
            merged.add((_rdf(quad.subject), _rdf(quad.predicate), _rdf(quad.object)))
    return merged


def _rdf(term):
    from .shacl import _rdf as convert

    return convert(term)


def check(files: list[Path] | None = None, *, java_memory_mb: int = 1000) -> ReasonerReport:
    """Run HermiT on the files (default: ontology, vocabularies and seed data)."""
    import owlready2

    files = default_inputs() if files is None else files
    graph = merged_graph(files)
    with tempfile.TemporaryDirectory(prefix="tfatlas-owl-") as tmp:
        path = Path(tmp) / "merged.nt"
        graph.serialize(path, format="nt", encoding="utf-8")
        # A world of its own, so repeated checks in one process never see each other's axioms.
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load()
        owlready2.JAVA_MEMORY = java_memory_mb
        report = ReasonerReport(consistent=True, files=files, triples=len(graph))
        try:
            with onto:
                # xsd:date is not in the OWL 2 datatype map; HermiT would refuse it rather than reason.
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0,
                                               ignore_unsupported_datatypes=True)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            report.consistent = False
            report.explanation = str(exc).strip()
            return report
        except subprocess.CalledProcessError as exc:
            output = exc.output.decode("utf-8", "replace") if isinstance(exc.output, bytes) else str(exc.output)
            raise InputError("HermiT could not process the ontology:\n" + output.strip()[-2000:]) from None
        except FileNotFoundError:
            raise InputError("HermiT needs Java: install a Java runtime (e.g. default-jre-headless)") from None
        nothing = owlready2.Nothing
        report.unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if c is not nothing)
        return report
