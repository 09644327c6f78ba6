"""`tfatlas link`: link the atlas's organisations and units with a registry; `tfatlas link review`."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from ..linking import run as linking
from ..linking.registries import REGISTRIES
from .context import Session, pass_context


def _types(value: str) -> list[str]:
    return [t.strip() for t in value.split(",") if t.strip()]


@click.group(invoke_without_command=True)
@click.option("--registry", type=click.Choice(sorted(REGISTRIES)),
              help="The registry to link with (anschriftenverzeichnis and govdata work offline from "
                   "the shipped snapshots; wikidata and atlas need their URL on TFATLAS_SERVICE_ALLOW).")
@click.option("--types", "types", default="organisation,unit", show_default=True,
              help="Comma-separated types of atlas resources to link.")
@click.option("--dry-run", is_flag=True, help="Show what would be linked; write nothing.")
@pass_context
@click.pass_context
def link(click_ctx: click.Context, ctx: Session, registry: str | None, types: str, dry_run: bool):
    """Propose links between the atlas's resources and a registry's entities, with provenance.

    Unambiguous candidates at or above link_accept become links; candidates from link_review up
    wait for `tfatlas link review`; rejected ones are never proposed again. Everything is written
    in one step at the end, so a registry that fails half-way changes nothing (exit 2).
    """
    if click_ctx.invoked_subcommand is not None:
        return
    if registry is None:
        raise click.UsageError("name the registry: --registry " + "|".join(sorted(REGISTRIES)))
    report = linking.link(ctx.store, ctx.config, registry, _types(types), dry_run=dry_run)
    table = Table("status", "atlas", "registry entity", "confidence",
                  title=f"{registry}: {report.entities} atlas resources" + (" (dry run)" if dry_run else ""))
    for m in report.mappings:
        table.add_row(m.status, m.subject_label or m.subject, f"{m.object_label} <{m.object}>"
                      + (f" ({', '.join(m.see_also)})" if m.see_also else ""), f"{m.confidence:.2f}")
    console = Console(stderr=True, width=160)
    console.print(table)
    console.print(f"{report.count('accepted')} accepted, {report.count('proposed')} for review, "
                  f"{report.kept} already linked, {report.skipped_rejected} rejected before (not proposed "
                  f"again); {report.requests} requests to the registry; "
                  + ("written." if report.written else "nothing written."))


@link.command("review")
@click.option("--registry", type=click.Choice(sorted(REGISTRIES)), help="Only this registry's links.")
@click.option("--accept", "accept", metavar="RECORD", multiple=True, help="Accept a record (IRI or its last part).")
@click.option("--reject", "reject", metavar="RECORD", multiple=True, help="Reject a record; it is never proposed again.")
@click.option("--reviewer", default="", help="Who decides (recorded with the link; required to decide).")
@click.option("--note", default="", help="Why (recorded with the link).")
@pass_context
def review(ctx: Session, registry: str | None, accept: tuple[str, ...], reject: tuple[str, ...],
           reviewer: str, note: str):
    """List the links waiting for review, or accept or reject some (recording the reviewer)."""
    console = Console(width=160)
    if accept or reject:
        for record, decision in [(r, True) for r in accept] + [(r, False) for r in reject]:
            m = linking.review(ctx.store, record, decision, reviewer, note)
            click.echo(f"{m.status}: {m.subject_label or m.subject} → {m.object_label} <{m.object}> "
                       f"by {m.reviewer}")
        return
    table = Table("record", "atlas", "registry entity", "confidence", "justification",
                  title="Links waiting for review / Links zur Prüfung")
    for m in linking.pending(ctx.store, registry):
        table.add_row(m.iri(ctx.store.base_iri).rsplit("/", 2)[-2] + "/" + m.iri(ctx.store.base_iri).rsplit("/", 1)[-1],
                      m.subject_label or m.subject, f"{m.object_label} <{m.object}>", f"{m.confidence:.2f}",
                      m.justification.rsplit("/", 1)[-1])
    console.print(table)


COMMANDS = (link,)
