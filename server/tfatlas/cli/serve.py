"""`tfatlas serve`: the web app under waitress (tfatlas.web.server)."""

from __future__ import annotations

import socket

import click

import tfatlas

from ..errors import InputError
from .context import Session, pass_context


@click.command()
@click.option("--host", default=None, help="Interface to listen on (env TFATLAS_HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (env TFATLAS_PORT, default 8080).")
@click.option("--threads", type=int, default=None, help="Request threads (env TFATLAS_THREADS, default 8).")
@click.option("--query-workers", type=click.IntRange(min=0), default=None,
              help="Query slots, queries evaluated at once (env TFATLAS_QUERY_WORKERS, default 0: two per core).")
@click.option("--query-processes", type=click.IntRange(min=0), default=None,
              help="Worker processes the query slots share (env TFATLAS_QUERY_PROCESSES, default 0: "
                   "one for a copy over 1 GiB, else two).")
@pass_context
def serve(ctx: Session, host, port, threads, query_workers, query_processes):
    """Serve the atlas over HTTP; an empty store is initialised with the knowledge model first."""
    ctx.override(host=host, port=port, threads=threads, query_workers=query_workers,
                 query_processes=query_processes)
    config = ctx.config
    _check_address(config.host, config.port)
    # Initialise before the server starts, so the first request never waits for a load; the
    # server then serves this same store (waitress does not fork: one process opens it).
    store = tfatlas.open_store(config)
    try:
        report = tfatlas.init(store)
    except BaseException:
        store.close()
        raise
    if report is not None:
        click.echo(f"Initialised the store: {report.triples:,} triples in {len(report.graphs)} graphs.", err=True)
    from ..web.server import run

    click.echo(f"Transformationsatlas on http://{config.host}:{config.port}/", err=True)
    run(config, store=store)


def _check_address(host: str, port: int) -> None:
    # Try the address once before the store is initialised, so a bad one is a message (exit 2),
    # not a traceback from the server after a load.
    if not 0 < port < 65536:
        raise InputError(f"cannot listen on port {port}: a port is a number from 1 to 65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except (OSError, OverflowError) as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc}") from None


COMMANDS = (serve,)
