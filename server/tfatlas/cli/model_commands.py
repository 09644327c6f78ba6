"""Commands on the knowledge model: `tfatlas validate` and `tfatlas check-ontology`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import ValidationFailed
from ..model.files import model_dir

if TYPE_CHECKING:
    from ..validation import Report

FORMATS = ("text", "json", "turtle")
# validation (and with it pySHACL) is imported inside the commands: importing it here would
# cost every `tfatlas` call about a second of start-up.
LANGS = ("de", "en")


def quiet_rdflib() -> None:
    # rdflib logs a warning with a traceback for every ill-typed literal (e.g. "2024-13-45"^^xsd:date);
    # the validation report already names it, so the log would only bury the report.
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)


def write_report(report: "Report", fmt: str, lang: str, out=None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        out.write(report.json_text())
    elif fmt == "turtle":
        out.write(report.turtle())
    else:
        out.write(report.text(lang))
    out.flush()


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format: text for people, json or turtle (a sh:ValidationReport) for programs.")
@click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True,
              help="Language of the text report and its messages.")
@click.option("--rdf-format", "rdf_format", default=None,
              help="RDF format of all files (default: by extension).")
def validate(paths, fmt, lang, rdf_format):
    """Check RDF files against the atlas's SHACL shapes (default: the seed data in data/).

    The ontology and the concept schemes are the context: classes and schemes of referenced
    terms are looked up there. Exit 0 when there is no violation (warnings are shown),
    1 when there are violations, 2 when a file cannot be read or parsed.
    """
    import tfatlas

    quiet_rdflib()
    report = tfatlas.validate(list(paths) or [model_dir("data")], fmt=rdf_format)
    write_report(report, fmt, lang)
    if not report.conforms:
        raise ValidationFailed(report.summary(lang))


@click.command("check-ontology")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check_ontology(paths):
    """Run the OWL 2 reasoner HermiT (via owlready2) on the ontology, the vocabularies and the
    seed data (or on PATHS): report inconsistency and unsatisfiable classes.

    Exit 0 when consistent with no unsatisfiable class, 1 otherwise, 2 when Java or a file is missing.
    """
    import tfatlas

    report = tfatlas.check_ontology(list(paths) or None)
    click.echo(f"Checked {len(report.files)} files, {report.triples:,} triples, with HermiT.")
    if not report.consistent:
        click.echo("INCONSISTENT: the ontology and the data contradict each other"
                   " (e.g. an individual in two disjoint classes, or a wrong type through a"
                   " property's domain or range).")
        if report.explanation:
            click.echo(report.explanation)
        raise ValidationFailed("the ontology and the data are inconsistent")
    if report.unsatisfiable:
        click.echo("Unsatisfiable classes (they can have no members):")
        for iri in report.unsatisfiable:
            click.echo(f"  {iri}")
        raise ValidationFailed(f"{len(report.unsatisfiable)} unsatisfiable classes")
    click.echo("Consistent; no unsatisfiable classes.")


COMMANDS = (validate, check_ontology)
