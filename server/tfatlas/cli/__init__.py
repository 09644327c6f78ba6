"""The `tfatlas` command: thin wiring of the core and the web app.

Exit codes: 0 success, 1 validation or query failure, 2 usage or input error.
"""

from __future__ import annotations

import sys

import click

from ..errors import AtlasError
from .context import Session, pass_context  # noqa: F401  (re-exported for command modules)

EPILOG = """\b
Exit codes:
  0  success
  1  validation or query failure
  2  usage or input error (bad file, unknown format, store not reachable)

Settings come from defaults, then the TOML file (--config), then TFATLAS_*
environment variables, then these options; `tfatlas config` shows the result.
"""


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"],
                                              "max_content_width": 100})
@click.option("--config", "config_file", type=click.Path(dir_okay=False), envvar="TFATLAS_CONFIG",
              help="TOML configuration file (env TFATLAS_CONFIG).")
@click.option("--store", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (env TFATLAS_STORE).")
@click.option("--store-url", default=None,
              help="Base URL of a remote SPARQL 1.1 server to use instead (env TFATLAS_STORE_URL).")
@click.option("--base-iri", default=None, help="IRI base of the atlas (env TFATLAS_BASE_IRI).")
@click.version_option(package_name="transformationsatlas", prog_name="tfatlas")
@click.pass_context
def cli(ctx: click.Context, config_file, store, store_url, base_iri):
    """Transformationsatlas: who can help whom, how, with which challenge of
    administrative transformation. A linked-data knowledge graph with a SPARQL endpoint."""
    ctx.obj = Session(config_file=config_file,
                      overrides={"store": store, "store_url": store_url, "base_iri": base_iri})
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    # One module per group of commands; each exposes COMMANDS.
    from . import account_commands, model_commands, publish_commands, serve, store_commands

    for module in (store_commands, serve, publish_commands, model_commands, account_commands):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="tfatlas", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(2)
    except AtlasError as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:  # writing the output failed (a full disk, a closed terminal)
        click.secho(f"Error: {exc.strerror or exc}", fg="red", err=True)
        sys.exit(2)
    sys.exit(0)
