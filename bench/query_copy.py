"""Ways to make the query workers' in-memory copy of a store, timed side by side (CPU and wall).

Each way runs in a fresh process (and its helpers), one after another, in interleaved rounds; the
figures are medians with min-max. CPU is user+system of that process and its helpers (wait4).

    .venv/bin/python bench/query_copy.py --store var/store-1M --rounds 3
    .venv/bin/python bench/query_copy.py --store var/store-10M --rounds 2 --ways pipe,warm-bulk

``--store`` is a store made by ``tfatlas load`` (not served meanwhile: a checkpoint of it is taken
first). The ways:

- ``pipe``: what the zygote did before the warm-start file (zygote._dump_into_memory): a helper
  dumps the checkpoint as N-Quads into a pipe, this process bulk-loads from it;
- ``pipe-1m``: the same with the pipe's buffer raised to 1 MiB (F_SETPIPE_SZ; 64 KiB by default);
- ``pipe-load``: the same with ``Store.load`` instead of ``bulk_load``;
- ``pipe-tee``: the same through ``tee`` (coreutils), which also writes the dump into a file (a
  warm-start file written while the copy is made);
- ``zygote-cold``: what the zygote does now without a matching warm-start file
  (zygote._dump_into: ``Store.load`` from the pipe, the dump helper writing the file as well,
  then fsyncing it; the file is removed after);
- ``dump-null``: only the dump of the checkpoint (read from RocksDB, decoded, written as N-Quads)
  into /dev/null; ``dump-nt-null``: the largest graph alone as N-Triples;
- ``memory-dump-null``: the in-memory copy dumped as N-Quads into /dev/null (writing without
  RocksDB; the time of loading it first is not counted);
- ``fork-dump``: the other way to write a warm-start file: a child forked from the process that
  holds the copy dumps it into a file; reported: how much of the copy became the child's own
  (private) memory (dumping walks it all, as reads that scan do);
- ``warm-bulk``, ``warm-load``: the warm-start file (N-Quads) bulk-loaded / loaded by path;
- ``warm-2threads``: the warm-start file's two halves bulk-loaded from two threads into one store.

``--serve`` instead measures `tfatlas serve` of this checkout as bench/scale.py does (from start
until /-/metrics shows every query worker in memory; peak RSS and PSS of the process tree), in
alternating rounds without the warm-start file (removed first: the start dumps the store and
writes the file) and with it (left from the round before).

    .venv/bin/python bench/query_copy.py --store var/store-1M --serve --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(HERE))

WAYS = ["pipe", "pipe-1m", "pipe-load", "pipe-tee", "zygote-cold", "dump-null", "dump-nt-null", "memory-dump-null", "fork-dump", "warm-bulk",
        "warm-load", "warm-2threads"]
F_SETPIPE_SZ = 1031


def _dump_helper(checkpoint: str) -> subprocess.Popen:
    from tfatlas.sparql.zygote import _DUMP

    return subprocess.Popen([sys.executable, "-c", _DUMP, checkpoint], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, bufsize=1 << 20)


def _from_pipe(checkpoint: str, pipe_size: int | None, bulk: bool, tee: str | None = None):
    import fcntl

    import pyoxigraph as ox

    memory = ox.Store()
    dumper = _dump_helper(checkpoint)
    source, teeing = dumper.stdout, None
    if tee:
        teeing = subprocess.Popen(["tee", tee], stdin=dumper.stdout, stdout=subprocess.PIPE, bufsize=1 << 20)
        dumper.stdout.close()
        source = teeing.stdout
    if pipe_size:
        fcntl.fcntl(source.fileno(), F_SETPIPE_SZ, pipe_size)
    if bulk:
        memory.bulk_load(source, ox.RdfFormat.N_QUADS)
    else:
        memory.load(source, ox.RdfFormat.N_QUADS)
    source.close()
    assert dumper.wait() == 0 and (teeing is None or teeing.wait() == 0)
    if tee:
        os.unlink(tee)
    return memory


def _two_threads(warm: str):
    import pyoxigraph as ox

    data = Path(warm).read_bytes()
    middle = data.index(b"\n", len(data) // 2) + 1
    halves = [data[:middle], data[middle:]]
    del data
    memory = ox.Store()
    errors = []

    def load(part: bytes) -> None:
        try:
            memory.bulk_load(part, ox.RdfFormat.N_QUADS)
        except Exception as exc:  # reported, and the run counts as failed
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(h,)) for h in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return memory


def one(way: str, checkpoint: str, warm: str, graph: str) -> dict:
    """Run one way in this process; what it reports besides the times wait4 measures."""
    import pyoxigraph as ox

    report: dict = {}
    started = time.perf_counter()
    if way == "pipe":
        memory = _from_pipe(checkpoint, None, True)
    elif way == "pipe-1m":
        memory = _from_pipe(checkpoint, 1 << 20, True)
    elif way == "pipe-load":
        memory = _from_pipe(checkpoint, None, False)
    elif way == "zygote-cold":
        from tfatlas.sparql import zygote

        memory = zygote._dump_into(ox.Store(), checkpoint, warm + ".new")
        report["copy_wall"] = time.perf_counter() - started
        for helper in zygote._finishing:
            helper.wait()
        os.unlink(warm + ".new")
    elif way == "pipe-tee":
        memory = _from_pipe(checkpoint, None, True, tee=warm + ".tee")
    elif way == "dump-null":
        with open(os.devnull, "wb") as out:
            ox.Store.read_only(checkpoint).dump(out, ox.RdfFormat.N_QUADS)
        return report
    elif way == "dump-nt-null":
        with open(os.devnull, "wb") as out:
            ox.Store.read_only(checkpoint).dump(out, ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
        return report
    elif way == "memory-dump-null":
        memory = ox.Store()
        memory.bulk_load(path=warm, format=ox.RdfFormat.N_QUADS)
        started, cpu = time.perf_counter(), time.process_time()
        with open(os.devnull, "wb") as out:
            memory.dump(out, ox.RdfFormat.N_QUADS)
        report["dump_wall"], report["dump_cpu"] = time.perf_counter() - started, time.process_time() - cpu
    elif way == "fork-dump":
        from tfatlas.sparql.zygote import private_bytes

        memory = ox.Store()
        memory.load(path=warm, format=ox.RdfFormat.N_QUADS)
        report["parent_private_mb"] = private_bytes(os.getpid()) / 1e6
        read, write = os.pipe()
        child = os.fork()
        if child == 0:
            memory.dump(warm + ".fork", ox.RdfFormat.N_QUADS)
            os.write(write, str(private_bytes(os.getpid())).encode())
            os._exit(0)
        os.close(write)
        report["child_private_mb"] = int(os.read(read, 64)) / 1e6
        os.waitpid(child, 0)
        os.unlink(warm + ".fork")
    elif way == "warm-bulk":
        memory = ox.Store()
        memory.bulk_load(path=warm, format=ox.RdfFormat.N_QUADS)
    elif way == "warm-load":
        memory = ox.Store()
        memory.load(path=warm, format=ox.RdfFormat.N_QUADS)
    elif way == "warm-2threads":
        memory = _two_threads(warm)
    else:
        raise SystemExit(f"unknown way {way!r}; one of {', '.join(WAYS)}")
    report["quads"] = len(memory)
    return report


def measure(way: str, checkpoint: str, warm: str, graph: str) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--one", way, "--checkpoint", checkpoint,
                                "--warm", warm, "--graph", graph], stdout=subprocess.PIPE)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status:
        raise SystemExit(f"{way} failed (status {status})")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "max_rss_mb": usage.ru_maxrss / 1024,
            **json.loads(out or b"{}")}


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def serve(args) -> None:
    """`tfatlas serve` from start until every worker answers from memory, without and with the file."""
    from scale import describe, serve_once
    from tfatlas.sparql.warm_start import DIRECTORY

    args.warm_timeout, args.concurrency, args.seconds = 900, 2, 5
    print(f"load average at start: {open('/proc/loadavg').read().strip()}", flush=True)
    runs: dict[str, list[dict]] = {"without the file": [], "with the file": []}
    with tempfile.TemporaryDirectory(prefix="bench-copy-logs-") as logs:
        for round_ in range(args.rounds):
            for name in runs:
                if name == "without the file":
                    shutil.rmtree(args.store / DIRECTORY, ignore_errors=True)
                result = serve_once(REPO / "server", args.store, Path(logs) / f"{round_}.log", args)
                files = sorted(p.name for p in (args.store / DIRECTORY).glob("*"))
                print(f"  round {round_ + 1} {name}: {result}; files after: {files}", flush=True)
                runs[name].append(result)
    print(f"load average at end: {open('/proc/loadavg').read().strip()}")
    for name, results in runs.items():
        print(f"| {args.store.name}: `tfatlas serve` until every worker is in memory, {name} | {describe(results)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, help="a store made by `tfatlas load`")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ways", default=",".join(WAYS))
    parser.add_argument("--graph", default="https://w3id.org/tfatlas/graph/user/bench")
    parser.add_argument("--serve", action="store_true", help="time `tfatlas serve` cold and warm")
    parser.add_argument("--query-workers", type=int, default=0)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", help=argparse.SUPPRESS)
    parser.add_argument("--warm", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.checkpoint, args.warm, args.graph)))
        return
    if args.store is None:
        parser.error("--store is required")
    if args.serve:
        return serve(args)
    from tfatlas.store.embedded import EmbeddedStore

    ways = args.ways.split(",")
    print(f"load average at start: {open('/proc/loadavg').read().strip()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-copy-", dir=args.store) as tmp:
        checkpoint, warm = os.path.join(tmp, "checkpoint"), os.path.join(tmp, "warm.nq")
        store = EmbeddedStore(args.store, "https://w3id.org/tfatlas/")
        try:
            store.checkpoint(checkpoint)
        finally:
            store.close()
        import pyoxigraph as ox

        ox.Store.read_only(checkpoint).dump(warm, ox.RdfFormat.N_QUADS)
        print(f"warm-start file: {os.path.getsize(warm) / 1e6:.0f} MB", flush=True)
        results: dict[str, list[dict]] = {way: [] for way in ways}
        for round_ in range(args.rounds):
            for way in (ways if round_ % 2 == 0 else ways[::-1]):
                result = measure(way, checkpoint, warm, args.graph)
                print(f"  round {round_ + 1} {way}: {json.dumps(result)}", flush=True)
                results[way].append(result)
        shutil.rmtree(checkpoint, ignore_errors=True)
    print(f"load average at end: {open('/proc/loadavg').read().strip()}")
    print("| way | wall s | CPU s | max RSS MB | notes |\n|---|---|---|---|---|")
    for way, runs in results.items():
        notes = {k: v for k, v in runs[-1].items() if k not in ("wall", "cpu", "max_rss_mb")}
        if "dump_cpu" in notes:
            notes = {"dump wall": spread([r["dump_wall"] for r in runs]),
                     "dump CPU": spread([r["dump_cpu"] for r in runs])}
        print(f"| {way} | {spread([r['wall'] for r in runs])} | {spread([r['cpu'] for r in runs])} | "
              f"{spread([r['max_rss_mb'] for r in runs])} | {notes} |")


if __name__ == "__main__":
    main()
