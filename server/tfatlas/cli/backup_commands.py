"""`tfatlas backup DIR` (also while serving) and `tfatlas restore DIR` (server stopped)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError, StoreLocked
from ..store.backup import backup as make_backup
from ..store.backup import restore as put_back
from .context import Session, pass_context


def _extra_files(ctx: Session) -> dict[str, Path]:
    # imported here: contributions/ brings pySHACL and rdflib, which other commands need not load
    from ..contributions.setup import accounts_path

    return {"accounts.json": accounts_path(ctx.config)}


def _embedded_only(ctx: Session, what: str) -> None:
    if ctx.config.remote:
        raise InputError(f"`tfatlas {what}` is for the embedded store; back up a remote SPARQL server "
                         "with its own tools")


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@pass_context
def backup(ctx: Session, directory: Path):
    """Copy the store (its data at one moment, the accounts file and what else lives in the store
    directory) into DIRECTORY, a new directory. Works while `tfatlas serve` runs."""
    _embedded_only(ctx, "backup")
    manifest = make_backup(ctx.read_store, directory, extra_files=_extra_files(ctx))
    click.echo(f"Backup of write generation {manifest['generation']} in {directory} "
               f"(data, {', '.join(manifest['files']) or 'no other files'}).", err=True)


@click.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@pass_context
def restore(ctx: Session, directory: Path):
    """Replace the store's data and accounts with a backup made by `tfatlas backup` (all or
    nothing). The server must be stopped."""
    _embedded_only(ctx, "restore")
    try:
        store = ctx.store
    except StoreLocked:
        raise StoreLocked(f"the store at {ctx.config.store} is in use by another process (a running "
                          "`tfatlas serve`?); stop it before restoring a backup, nothing was changed. / "
                          "Der Speicher wird von einem anderen Prozess benutzt (läuft `tfatlas serve`?); "
                          "vor dem Zurückspielen einer Sicherung beenden, es wurde nichts geändert.") from None
    manifest = put_back(store, directory, extra_files=_extra_files(ctx))
    click.echo(f"Restored write generation {manifest['generation']} of {manifest['made']} from {directory}.",
               err=True)


COMMANDS = (backup, restore)
