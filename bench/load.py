"""`tfatlas load --force`, before and after, against pyoxigraph's own bulk loader, in one run.

Three loaders put the same generated N-Triples file into a fresh on-disk store, each in its own
process: `tfatlas load` of ``--before`` (that commit's ``server/``, extracted with `git archive`
as bench/publish.py does), `tfatlas load` of this checkout, and ``pyoxigraph.Store.bulk_load``.
The order rotates from round to round. Per run: wall seconds, CPU seconds (user + system of the
child, from wait4's rusage) and peak memory (its maximum RSS, also from wait4).

    .venv/bin/python bench/load.py                       # 1M triples, 3 rounds, before 541b71d
    .venv/bin/python bench/load.py --triples 100k --rounds 2 --before ''   # without a before

`tfatlas load` runs as a user runs it, with its progress bar drawn (into a file) and `--force`,
the bulk path that skips SHACL validation; "after" also with `--no-index` (the reference builds no
text index; at 1M generated triples, 25k offers, rebuilding it costs about as much CPU as the load), and
"after, with the index" without it. Its time includes what the reference does not do: the CLI's
start, the staged generation (a RocksDB checkpoint), the triple count per graph and the
provenance record (the graph's file and the pages it cites, in the meta graph).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tools"))
from generate import PRESETS, generate, parse_size  # noqa: E402

GRAPH = "https://w3id.org/tfatlas/graph/user/bench"
REFERENCE = """
import sys, pyoxigraph as ox
store = ox.Store(sys.argv[1])
store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(sys.argv[3]))
store.flush()
"""
BEFORE = "541b71d"
REF = "pyoxigraph bulk_load"


@dataclass(frozen=True)
class Run:
    seconds: float  # wall
    cpu: float  # user + system seconds of the child (and of children it waited for)
    peak: int  # maximum RSS, bytes


def measure(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall and CPU seconds and peak RSS of one child process; fails loudly when it fails."""
    # stderr (the progress bar) goes to a file: a pipe nobody reads would fill and block the child
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=env)
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would mix all children of the run)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        error = log.read().decode(errors="replace")
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{error[-3000:]}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)  # KiB on Linux


def tfatlas_runner(server: Path, *options: str):
    """A runner of `tfatlas load --force` with the package under ``server`` first on the path."""
    env = {**os.environ, "TTY_COMPATIBLE": "1", "FORCE_COLOR": "1", "COLUMNS": "120",
           "PYTHONPATH": str(server)}
    env.pop("TFATLAS_STORE_URL", None)

    def run(data: Path, store: Path) -> Run:
        return measure([sys.executable, "-m", "tfatlas", "--store", str(store), "load", "--force",
                        *options, "--graph", GRAPH, str(data)], env)
    return run


def run_pyoxigraph(data: Path, store: Path) -> Run:
    return measure([sys.executable, "-c", REFERENCE, str(store), str(data), GRAPH])


def count_triples(store: Path) -> int:
    """Triples in the loaded graph (tfatlas also records provenance in its meta graph)."""
    import pyoxigraph as ox

    active = store / "ACTIVE"
    db = ox.Store.read_only(str(store / active.read_text().strip() if active.exists() else store))
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
    return int(next(iter(db.query(query)))["n"].value)


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """'median (min-max)'."""
    return (fmt.format(statistics.median(values)) + " (" + fmt.format(min(values)) + "-"
            + fmt.format(max(values)) + ")")


def report(results: dict[str, list[Run]]) -> None:
    print()
    print(f"{'':22s} {'wall s median (min-max)':>26s} {'CPU s median (min-max)':>26s} {'peak MiB':>9s}")
    for name, runs in results.items():
        print(f"{name:22s} {spread([r.seconds for r in runs]):>26s} {spread([r.cpu for r in runs]):>26s} "
              f"{max(r.peak for r in runs) / 2**20:9.0f}")
    ref = results[REF]
    print()
    for name, runs in results.items():
        if name == REF:
            continue
        for label, key in (("wall", lambda r: r.seconds), ("CPU", lambda r: r.cpu)):
            median = statistics.median(map(key, runs)) / statistics.median(map(key, ref))
            # the runs of one round ran close together: on a shared machine the fairer pairs
            pairs = ", ".join(f"{key(a) / key(b):.2f}" for a, b in zip(runs, ref))
            print(f"{name} / {REF}, {label:4s}: {median:.2f} (medians; target <= 1.2); per round {pairs}")
        print(f"{name} peak memory: {max(r.peak for r in runs) / 2**20:.0f} MiB (target < 1024)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=parse_size, default=PRESETS["1M"], help="size (default 1M)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, order rotating (default 3)")
    parser.add_argument("--data", type=Path, help="N-Triples file to load (default: generated "
                        "into bench/data/)")
    parser.add_argument("--before", default=BEFORE, help=f"commit whose server/ is the 'before' "
                        f"(default {BEFORE}; '' for none)")
    parser.add_argument("--with-index", action=argparse.BooleanOptionalAction, default=True,
                        help="also run this checkout's load with the text index rebuilt (its default; "
                        "'after' is --no-index, as the reference builds no index; before "
                        "--no-index existed, load always rebuilt it)")
    args = parser.parse_args(argv)

    data = args.data
    if data is None:
        name = next((k for k, v in PRESETS.items() if v == args.triples), str(args.triples))
        data = HERE / "data" / f"{name}.nt"
        if not data.exists():
            print(f"generating {data} ...", file=sys.stderr)
            generate(args.triples, data)
    size_mb = data.stat().st_size / 1e6
    print(f"data: {data} ({size_mb:,.0f} MB), {args.rounds} rounds, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")

    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="tfatlas-bench-", dir=HERE / "data") as tmp:
        runners = {}
        if args.before:
            from seed_release_sums import old_code_tree

            runners[f"before ({args.before})"] = tfatlas_runner(old_code_tree(args.before, Path(tmp) / "before"))
        runners["after (this checkout)"] = tfatlas_runner(REPO / "server", "--no-index")
        if args.with_index:
            runners["after, with the index"] = tfatlas_runner(REPO / "server")
        runners[REF] = run_pyoxigraph
        results: dict[str, list[Run]] = {name: [] for name in runners}
        names = list(runners)
        for round_ in range(args.rounds):
            order = names[round_ % len(names):] + names[:round_ % len(names)]
            for name in order:
                store = Path(tmp) / f"store-{round_}"
                run = runners[name](data, store)
                results[name].append(run)
                counts[name] = count_triples(store)
                shutil.rmtree(store)
                print(f"  round {round_ + 1}: {name:22s} {run.seconds:7.2f} s wall {run.cpu:7.2f} s CPU "
                      f"{run.peak / 2**20:7.0f} MiB", flush=True)
    report(results)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if len(set(counts.values())) != 1:
        print(f"WARNING: the stores differ: {counts}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
