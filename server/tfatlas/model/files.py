"""Where the knowledge model (ontology, shapes, seed data, queries) lives.

In a wheel the model directories are copied into ``tfatlas/_model/`` (see pyproject.toml);
in a source checkout they stand at the top of the repository.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # tfatlas/
_KINDS = ("ontology", "shapes", "data", "queries")


def model_root() -> Path:
    """The directory that holds ontology/, shapes/, data/ and queries/."""
    installed = _PACKAGE / "_model"
    if (installed / "ontology").is_dir():
        return installed
    return _PACKAGE.parent.parent


def model_dir(kind: str) -> Path:
    if kind not in _KINDS:
        raise ValueError(f"unknown model directory {kind!r}; expected one of {_KINDS}")
    return model_root() / kind


def rdf_files(directory: Path) -> list[Path]:
    """RDF files below a directory, sorted so loads are deterministic; examples are not data."""
    from .formats import is_rdf_file

    return sorted(
        p for p in directory.rglob("*") if p.is_file() and is_rdf_file(p) and "examples" not in p.parts
    )
