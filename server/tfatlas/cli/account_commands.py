"""`tfatlas account add|list|revoke|handover`: actors' accounts (thin wiring of contributions/)."""

from __future__ import annotations

import json

import click

from .context import Session, pass_context

# contributions/ is imported by the commands that use it: it brings pySHACL and rdflib, which every
# other command (a bulk `tfatlas load --force`, `tfatlas query`) would pay for at start.


@click.group()
def account():
    """Accounts of transformation actors: each writes only its actor's graph."""


@account.command("add")
@click.option("--actor", required=True, help="The actor's slug (bva) or IRI (<base>id/org/bva).")
@click.option("--label", default="", help="A note for the operator (who holds the token); never published.")
@pass_context
def add(ctx: Session, actor: str, label: str):
    """Create an account and print its token once (only its SHA-256 is kept)."""
    from ..contributions.setup import accounts_for

    accounts = accounts_for(ctx.config)
    created, token = accounts.add(actor, label)
    click.echo(f"account {created.id} for {created.actor}")
    click.echo(f"writes the graph {created.graph}")
    click.echo("token (shown only now; send it as 'Authorization: Bearer <token>'):", err=True)
    click.echo(token)


@account.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON for programs.")
@pass_context
def list_accounts(ctx: Session, as_json: bool):
    """The accounts, with their state (never a token or a hash)."""
    from ..contributions.setup import accounts_for, accounts_path

    listed = accounts_for(ctx.config).list()
    if as_json:
        click.echo(json.dumps(listed, ensure_ascii=False, indent=2))
        return
    if not listed:
        click.echo(f"no accounts in {accounts_path(ctx.config)}")
    for a in listed:
        state = f"revoked {a['revoked']}" if a["revoked"] else "active"
        click.echo(f"{a['id']}  {state:<28} {a['actor']}  {a['label']}")


@account.command("revoke")
@click.argument("which")
@pass_context
def revoke(ctx: Session, which: str):
    """Revoke an account (its id), or every account of an actor (slug or IRI)."""
    from ..contributions.setup import accounts_for

    for revoked in accounts_for(ctx.config).revoke(which):
        click.echo(f"revoked {revoked}")


@account.command("handover")
@click.option("--actor", required=True, help="The actor's slug or IRI.")
@click.argument("resources", nargs=-1)
@pass_context
def handover_command(ctx: Session, actor: str, resources: tuple[str, ...]):
    """Move seed statements about RESOURCES (default: the actor, its units and what they provide)
    into the actor's graph, so that its account can edit them. Needs the store (server stopped,
    or a remote store)."""
    from ..contributions.accounts import Account, actor_of
    from ..contributions.handover import candidates, handover

    base = ctx.config.base_iri
    actor_iri, graph = actor_of(base, actor)
    store = ctx.store
    chosen = list(resources) or candidates(store, actor_iri)

    owner = Account(id="handover", actor=actor_iri, graph=graph)
    activity, moved = handover(store, owner, chosen)
    if not moved:
        click.echo("nothing to hand over (no statements about those resources outside the actor's graph)")
        return
    click.echo(f"moved {moved} statements about {len(chosen)} resources into {graph}")
    click.echo(f"recorded as {activity}")


COMMANDS = [account]
