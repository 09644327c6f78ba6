"""Commands that work on the store: init, load, query, dump, stats, config."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pyoxigraph as ox
from rich.console import Console
from rich.table import Column, Table

import tfatlas
from .. import search
from ..model import formats as rdfformats
from ..config import SETTINGS
from ..errors import InputError
from ..model.loading import check_sources, model_sources, sources_for
from ..sparql.stack import on_large_stack
from .context import Session, pass_context, reader_may_stop
from .progress import load_progress

RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV,
                  "tsv": ox.QueryResultsFormat.TSV, "xml": ox.QueryResultsFormat.XML}
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                 "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}


def _report(report, console: Console) -> None:
    table = Table("graph", "triples", title=f"Loaded in {report.seconds:.1f} s")
    for graph, count in report.graphs.items():
        table.add_row(graph, f"{count:,}")
    console.print(table)


@click.command()
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
@click.option("--force", is_flag=True, help="Store the seed data even if it violates the SHACL shapes.")
@pass_context
def init(ctx: Session, progress: bool, force: bool):
    """Create the store and load the ontology, the shapes and the seed data (when it is empty)."""
    console = Console(stderr=True)
    store = ctx.store
    if not store.is_empty():
        console.print("The store already holds data; nothing loaded.")
        return
    sources = model_sources(store.base_iri)
    total = sum(s.path.stat().st_size for s in sources)
    with load_progress("init", total, progress) as update:
        report = tfatlas.init(store, progress=update, force=force)
        if update is not None:
            update.finish(report.added)
    _report(report, console)
    _reindex(ctx, console)


def _reindex(ctx: Session, console: Console) -> None:
    """Rebuild the text index after a load. Only beside the embedded store: its lock says no server
    is running; a server over a remote store refreshes its own index (setting search_refresh)."""
    store = ctx.store
    if getattr(store, "root", None) is None:
        return
    index = search.SearchIndex(search.configured_directory(ctx.config, store))
    count = index.rebuild(store)
    console.print(f"Search index: {count} offers in {index.directory}")


def _graph_iri(value: str | None) -> str | None:
    # Checked here so that the message names --graph, not the first file loaded into it.
    if value is not None:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise click.BadParameter(f"{value!r} is not an absolute IRI ({exc})") from None
    return value


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--graph", callback=lambda _ctx, _param, value: _graph_iri(value),
              help="Named graph for the triples, an absolute IRI (default: one graph per file, "
              "<base>graph/user/<file stem>).")
@click.option("--replace", is_flag=True, help="Replace the target graphs instead of adding to them.")
@click.option("--format", "fmt", help="RDF format of all files: " +
              ", ".join(f.name for f in rdfformats.FORMATS) + " (default: by extension).")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
@click.option("--force", is_flag=True, help="Skip SHACL validation and store the data even with violations.")
@click.option("--index/--no-index", default=True, help="Rebuild the text index of the offers after the "
              "load (default); --no-index leaves it to `tfatlas serve`, which rebuilds a stale index "
              "at its start (for big bulk loads: at 1M triples the rebuild costs about as much CPU as the load).")
@pass_context
def load(ctx: Session, paths, graph, replace, fmt, progress, force, index):
    """Load RDF files (Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML; also .gz) into named graphs.

    All files of one call are loaded in one all-or-nothing step: if any file fails
    to parse, nothing is stored. Loading uses Oxigraph's bulk loader.

    The files are first validated against the SHACL shapes together with what the store
    already says about the nodes they touch; with violations nothing is stored (exit 1)
    unless --force, which also skips validation for big bulk loads.
    """
    sources = sources_for(list(paths), ctx.config.base_iri, graph=graph, fmt=fmt)
    total = sum(s.path.stat().st_size for s in sources if s.path.suffix != ".gz") or None
    if not force and ctx.config.validate_on_load:
        # Data with violations is refused before anything is written (SHACL, against the store).
        with Console(stderr=True).status(f"Validating {len(sources)} file(s) against the SHACL shapes "
                                         "(--force skips this for large bulk loads) ..."):
            checked = check_sources(sources, ctx.store, replace=replace)
        if checked is not None:
            Console(stderr=True).print(checked.summary("en"))
    with load_progress("load", total, progress) as update:
        report = ctx.store.load(sources, replace=replace, progress=update)
        if update is not None:
            update.finish(report.added)
    _report(report, Console(stderr=True))
    if index:
        _reindex(ctx, Console(stderr=True))
    elif getattr(ctx.store, "root", None) is not None:
        Console(stderr=True).print("Search index: not rebuilt (--no-index); `tfatlas serve` rebuilds it "
                                   "at its start. / Suchindex nicht neu aufgebaut; `tfatlas serve` baut "
                                   "ihn beim Start neu auf.")


@click.command()
@click.argument("query", required=False)
@click.option("--file", "query_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the query from a file.")
@click.option("--format", "fmt", type=click.Choice(["table", *RESULT_FORMATS, *GRAPH_FORMATS]),
              default="table", show_default=True, help="Output format.")
@pass_context
@reader_may_stop()
def query(ctx: Session, query, query_file, fmt):
    """Run a SPARQL query against the store (the default graph is the union of all graphs)."""
    if (query is None) == (query_file is None):
        raise click.UsageError("give a QUERY or --file, not both or neither")
    text = query_file.read_text(encoding="utf-8") if query_file else query
    # Results are lazy: evaluation happens while they are written, so both go on a large stack.
    on_large_stack(_print_result, ctx.read_store, text, fmt)


def _print_result(store, text: str, fmt: str) -> None:
    result = store.query(text)
    out = sys.stdout.buffer
    if isinstance(result, ox.QueryBoolean):
        if fmt in RESULT_FORMATS:
            out.write(result.serialize(format=RESULT_FORMATS[fmt]))
        else:
            click.echo("true" if bool(result) else "false")
        return
    if isinstance(result, ox.QueryTriples):
        if fmt in RESULT_FORMATS:
            raise InputError(f"--format {fmt} is for SELECT and ASK; a graph result needs one of: "
                             + ", ".join(GRAPH_FORMATS))
        result.serialize(out, format=GRAPH_FORMATS.get(fmt, ox.RdfFormat.TURTLE))
        return
    if fmt in GRAPH_FORMATS:
        raise InputError(f"--format {fmt} is for CONSTRUCT and DESCRIBE; a SELECT needs one of: "
                         "table, " + ", ".join(RESULT_FORMATS))
    if fmt != "table":
        result.serialize(out, format=RESULT_FORMATS[fmt])
        return
    variables = [v.value for v in result.variables]
    table = Table(*variables)
    rows = 0
    for solution in result:
        table.add_row(*[_cell(solution[v]) for v in variables])
        rows += 1
    console = Console()
    console.print(table)
    console.print(f"{rows} row{'s' if rows != 1 else ''}", style="dim")


def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["nquads", "trig"]), default="nquads",
              show_default=True, help="Dataset format (keeps the named graphs).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write "
              "(default: standard output).")
@pass_context
@reader_may_stop()
def dump(ctx: Session, fmt, out):
    """Write every graph of the store."""
    target = rdfformats.by_name(fmt)
    if out is None:
        ctx.read_store.dump(sys.stdout.buffer, target)
        return
    tmp = out.with_name(out.name + ".part")
    try:
        with open(tmp, "wb") as f:
            ctx.read_store.dump(f, target)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {out}: {exc.strerror}") from None


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option("--coverage", "show_coverage", is_flag=True,
              help="Offers per topic and ministry, and the details each offer lacks.")
@pass_context
def stats(ctx: Session, as_json, show_coverage):
    """Triples per graph and instances per class (or, with --coverage, the offers' coverage)."""
    if show_coverage:
        from ..finder.offer_coverage import offer_coverage

        _print_coverage(offer_coverage(ctx.read_store), as_json)
        return
    result = ctx.read_store.stats()
    if as_json:
        import json

        click.echo(json.dumps({"triples": result.triples, "graphs": result.graphs,
                               "classes": result.classes}, indent=2))
        return
    console = Console()
    graphs = Table("graph", "triples", title=f"{result.triples:,} triples")
    for graph, count in sorted(result.graphs.items()):
        graphs.add_row(graph or "(default graph)", f"{count:,}")
    console.print(graphs)
    classes = Table("class", "instances")
    for cls, count in result.classes.items():
        classes.add_row(cls, f"{count:,}")
    console.print(classes)


def _print_coverage(report: dict, as_json: bool) -> None:
    if as_json:
        import json

        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    console = Console()
    complete = Table("detail", "offers with it", title=f"{report['offers']} offers")
    for detail, count in report["complete"].items():
        complete.add_row(detail, f"{count} of {report['offers']}")
    console.print(complete)
    topics = Table("topic of the brief", "offers")
    for topic, count in report["perTopic"].items():
        topics.add_row(topic, str(count))
    console.print(topics)
    ministries = Table("ministry", "offers")
    for row in report["perMinistry"]:
        ministries.add_row(row["label"] or row["ministry"], str(row["offers"]))
    console.print(ministries)
    lacking = Table("offer", "missing")
    for row in report["missing"]:
        lacking.add_row(row["label"] or row["offer"], ", ".join(row["missing"]))
    console.print(lacking)


@click.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def show_config(ctx: Session, as_json):
    """Print the effective configuration and where each value comes from."""
    config = ctx.config
    rows = []
    for setting in SETTINGS:
        value = config[setting.name]
        if isinstance(value, tuple):
            value = ",".join(value)
        if setting.secret and value:
            value = "(set)"
        rows.append((setting.name, setting.env, value, config.origins[setting.name]))
    if as_json:
        import json

        click.echo(json.dumps({name: {"env": env, "value": value, "from": origin}
                               for name, env, value, origin in rows}, indent=2, default=str))
        return
    # Never cut a value (a truncated IRI or path is of no use): on a terminal long cells fold onto
    # further lines; into a pipe or file the table is as wide as its longest row.
    table = Table(Column("setting", no_wrap=True), Column("environment", no_wrap=True),
                  Column("value", overflow="fold", ratio=3), Column("from", overflow="fold", ratio=1))
    for name, env, value, origin in rows:
        table.add_row(name, env, str(value), origin)
    console = Console()
    if not console.is_terminal:
        console = Console(width=100_000)  # the table takes its natural width, no more
    console.print(table)


COMMANDS = (init, load, query, dump, stats, show_config)
