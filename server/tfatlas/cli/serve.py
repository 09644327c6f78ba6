"""`tfatlas serve`: the web app under gunicorn."""

from __future__ import annotations

import click

from ..loading import init_store
from ..store import open_store
from .context import Context, pass_context


@click.command()
@click.option("--host", default=None, help="Interface to listen on (env TFATLAS_HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (env TFATLAS_PORT, default 8080).")
@click.option("--threads", type=int, default=None, help="Request threads (env TFATLAS_THREADS, default 8).")
@pass_context
def serve(ctx: Context, host, port, threads):
    """Serve the atlas over HTTP; an empty store is initialised with the knowledge model first."""
    ctx.override(host=host, port=port, threads=threads)
    config = ctx.config
    # Initialise here, before the server starts, so the first request never waits for a load.
    with open_store(config) as store:
        report = init_store(store)
    if report is not None:
        click.echo(f"Initialised the store: {report.triples:,} triples in {len(report.graphs)} graphs.",
                   err=True)
    from ..web.server import run

    click.echo(f"Transformationsatlas on http://{config.host}:{config.port}/", err=True)
    run(config)


COMMANDS = (serve,)
