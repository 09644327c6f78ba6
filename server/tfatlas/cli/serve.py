"""`tfatlas serve`: the web app under gunicorn."""

from __future__ import annotations

import os
import socket

import click

from ..errors import AtlasError, InputError
import tfatlas

from .context import Session, pass_context


@click.command()
@click.option("--host", default=None, help="Interface to listen on (env TFATLAS_HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (env TFATLAS_PORT, default 8080).")
@click.option("--threads", type=int, default=None, help="Request threads (env TFATLAS_THREADS, default 8).")
@pass_context
def serve(ctx: Session, host, port, threads):
    """Serve the atlas over HTTP; an empty store is initialised with the knowledge model first."""
    ctx.override(host=host, port=port, threads=threads)
    config = ctx.config
    _check_address(config.host, config.port)
    # Initialise here, before the server starts, so the first request never waits for a load.
    # In a child process: RocksDB's background threads do not survive gunicorn's fork, so a
    # server process that had opened the store would hang on its next flush or checkpoint.
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            with tfatlas.open_store(config) as store:
                report = tfatlas.init(store)
            if report is not None:
                click.echo(f"Initialised the store: {report.triples:,} triples in "
                           f"{len(report.graphs)} graphs.", err=True)
        except AtlasError as exc:
            click.echo(f"error: {exc}", err=True)
            code = exc.exit_code
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(os.waitstatus_to_exitcode(status) or 2)
    from ..web.server import run

    click.echo(f"Transformationsatlas on http://{config.host}:{config.port}/", err=True)
    run(config)


def _check_address(host: str, port: int) -> None:
    # gunicorn reports an address it cannot bind with a traceback (port out of range), exit 1
    # after five retries (in use) or even exit 0 (unknown host); try it once first, before init.
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
