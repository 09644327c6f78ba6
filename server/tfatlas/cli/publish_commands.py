"""`tfatlas publish`: write the open-data release (dumps, CSV, DCAT-AP.de catalogue, VoID)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

import tfatlas

from ..errors import InputError
from .context import Session, pass_context


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Directory of the release (created; files of an earlier release are replaced; "
                   "default: the release_dir setting, TFATLAS_RELEASE_DIR, that `tfatlas serve` "
                   "publishes).")
@click.option("--base-url", default=None,
              help="Public root URL of the atlas server; the catalogue links downloads as "
                   "BASE_URL/downloads/<file> and the SPARQL endpoint as BASE_URL/sparql "
                   "(default: http://<host>:<port> of `tfatlas serve`, 127.0.0.1 for a wildcard host).")
@click.option("--contributor-id", default=None,
              help="GovData contributor IRI (dcatde:contributorID), assigned by GovData; omitted "
                   "when not given.")
@click.option("--publisher", default=None,
              help="IRI of the atlas organisation that publishes (default: the publisher setting); "
                   "its GovData contributor ID from `tfatlas link --registry govdata` is named "
                   "unless --contributor-id is given.")
@pass_context
def publish(ctx: Session, out: Path, base_url: str | None, contributor_id: str | None, publisher: str | None):
    """Write an open-data release: canonical dumps (Turtle, N-Triples.gz, JSON-LD, TriG), CSV
    tables of actors and offers, SHA256SUMS, a DCAT-AP.de 3.0 catalogue and a VoID description.

    Two releases of the same data are byte-identical. The store's meta graph is not published.
    """
    out = out or Path(ctx.config.release_dir)
    if ctx.read_store.is_empty():
        raise InputError("the store is empty, so there is nothing to publish; "
                         "run `tfatlas init` (or `tfatlas load`) first")
    if base_url is None:
        host = ctx.config.host if ctx.config.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        base_url = f"http://{'[' + host + ']' if ':' in host else host}:{ctx.config.port}"
    release = tfatlas.publish(ctx.read_store, out, base_url=base_url, contributor_id=contributor_id,
                              publisher=publisher or ctx.config.publisher or None)
    table = Table("file", "dataset", "bytes", title=f"Release in {release.directory}")
    for f in release.files:
        table.add_row(f.name, f.dataset, f"{f.size:,}")
    console = Console(stderr=True)
    console.print(table)
    console.print(f"{release.data.triple_count:,} triples ({release.data.quad_count:,} quads); "
                  f"catalogue: {release.directory / 'catalog.ttl'}")


COMMANDS = (publish,)
