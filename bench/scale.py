"""Memory and start-up at scale: `tfatlas serve` of this checkout against `--before`, in one run.

For each size (default 1M and 10M generated triples) one on-disk store is loaded once
(`tfatlas load --force`) and served in turn by this checkout's code and by ``server/`` of
``--before`` (default 541b71d: one in-memory copy per query worker), extracted with `git archive`
as bench/publish.py does; the order alternates between rounds, and only one server runs at a time.
For every run it measures, from the moment `tfatlas serve` is started:

- seconds until every query worker answers from memory (/-/metrics `tfatlas_query_workers`);
- peak RSS and peak PSS of the whole process tree (server, zygote, workers), sampled twice a
  second from /proc/PID/smaps_rollup. RSS counts pages shared copy-on-write once per process;
  PSS divides each shared page among the processes sharing it, so its sum is what the tree
  really holds. Both are printed; the target (under 8 GB at 10M) is met only if both are;
- throughput of bench/endpoint.py's 8-query mix once warm (c=4, result cache off), and the RSS
  and PSS after it (reads dirty some shared pages).

    .venv/bin/python bench/scale.py                                   # 1M and 10M, 2 rounds
    .venv/bin/python bench/scale.py --sizes 1M --rounds 3
    .venv/bin/python bench/scale.py --skip-before-10M                 # cite the old 10M figure
    .venv/bin/python bench/scale.py --sizes 1M --before 1de0cc0 --query-workers 4 --query-processes 1,2
    .venv/bin/python bench/scale.py --sizes 10M --skip-before-10M --store 10M=/tmp/s10M   # a store loaded before

``--query-processes`` (TFATLAS_QUERY_PROCESSES, a comma-separated list) runs this checkout once
per value in each round: the query slots (``--query-workers``) spread over that many processes.

The old code at 10M needs about 15 GB: check `free -g` first, or pass --skip-before-10M.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tools"))
from endpoint import GRAPH, Target, ensure_data, free_port, run_phase, stop, wait_until_up  # noqa: E402
from seed_release_sums import old_code_tree  # noqa: E402

#: Measured with the old code (541b71d) at 10M in issue 14, for --skip-before-10M.
BEFORE_10M = "361 s; RSS 13.8 GB (peak 14.7 GB); PSS not measured"


def tree(root: int) -> list[int]:
    pids, todo = [root], [root]
    while todo:
        pid = todo.pop()
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            pids.extend(children)
            todo.extend(children)
    return pids


def memory(root: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes of the process tree under ``root``."""
    rss = pss = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:
            pass
    return rss, pss


class Sampler(threading.Thread):
    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.peak_rss, self.peak_pss, self.done = root, 0, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            rss, pss = memory(self.root)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self.done.wait(0.5)


def workers(base: str) -> dict[str, float]:
    try:
        text = urllib.request.urlopen(base + "/-/metrics", timeout=60).read().decode()
    except OSError:
        return {}
    lines = [l for l in text.splitlines() if l.startswith("tfatlas_query_workers{")]
    return {l.split('data="')[1].split('"')[0]: float(l.rsplit(" ", 1)[1]) for l in lines}


def serve_once(code: Path, store: Path, log: Path, args, settings: dict[str, str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code), "TFATLAS_STORE": str(store), "TFATLAS_RESULT_CACHE_MB": "0",
           "TFATLAS_QUERY_WORKERS": str(args.query_workers), **settings}  # old code ignores new settings
    env.pop("TFATLAS_STORE_URL", None)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "tfatlas", "serve", "--port", str(port)], env=env,
                               stdout=open(log, "w"), stderr=subprocess.STDOUT)
    sampler = Sampler(process.pid)
    sampler.start()
    result = {"ready": None}
    try:
        wait_until_up(base + "/-/health", process, log, timeout=args.warm_timeout)
        while time.perf_counter() - started < args.warm_timeout:
            counts = workers(base)
            if counts.get("memory", 0) > 0 and not counts.get("disk") and not counts.get("starting"):
                result["ready"] = time.perf_counter() - started
                break
            time.sleep(0.5)
        phase = run_phase(Target("atlas", base + "/sparql", process), args.concurrency, args.seconds, 10 ** 6)
        result["throughput"], result["errors"] = phase.throughput, phase.errors
        result["rss_after"], result["pss_after"] = memory(process.pid)
    finally:
        sampler.done.set()
        sampler.join()
        stop(process)
    result["peak_rss"], result["peak_pss"] = sampler.peak_rss, sampler.peak_pss
    return result


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    if not values:
        return "n/a"
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def gb(values: list[int]) -> str:
    return spread([v / 1e9 for v in values], "{:.2f}") + " GB"


def describe(runs: list[dict]) -> str:
    ready = [r["ready"] for r in runs if r["ready"] is not None]
    missed = len(runs) - len(ready)
    return (f"{spread(ready)} s{f' ({missed} runs never all in memory)' if missed else ''}; "
            f"peak RSS {gb([r['peak_rss'] for r in runs])}, peak PSS {gb([r['peak_pss'] for r in runs])}; "
            f"after the mix RSS {gb([r['rss_after'] for r in runs])}, PSS {gb([r['pss_after'] for r in runs])}; "
            f"mix {spread([r['throughput'] for r in runs])} req/s"
            f"{' (' + str(sum(r['errors'] for r in runs)) + ' errors)' if any(r['errors'] for r in runs) else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1M,10M")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--before", default="541b71d", help="commit whose server/ is the 'before'")
    parser.add_argument("--skip-before-10M", action="store_true",
                        help=f"do not run the old code at 10M (about 15 GB); cite: {BEFORE_10M}")
    parser.add_argument("--seconds", type=float, default=20, help="length of the warm query mix")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--query-workers", type=int, default=0,
                        help="TFATLAS_QUERY_WORKERS, query slots (0: two per core, as the old code)")
    parser.add_argument("--query-processes", default="0",
                        help="TFATLAS_QUERY_PROCESSES of this checkout, comma-separated: one run each")
    parser.add_argument("--warm-timeout", type=float, default=900)
    parser.add_argument("--data-dir", type=Path, default=HERE / "data")
    parser.add_argument("--store", action="append", default=[], metavar="SIZE=DIRECTORY",
                        help="serve this store for SIZE instead of loading one (made by `tfatlas load --force` "
                             "of bench/data/SIZE.nt into the graph of bench/endpoint.py; kept afterwards)")
    args = parser.parse_args()
    given = dict(item.split("=", 1) for item in args.store)
    print(f"load average at start: {open('/proc/loadavg').read().strip()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        tmp = Path(tmp)
        processes = args.query_processes.split(",")
        afters = {("after" if len(processes) == 1 else f"after, processes {n}"): n for n in processes}
        codes = {"before": old_code_tree(args.before, tmp / "before"), **{name: REPO / "server" for name in afters}}
        settings = {"before": {}, **{name: {"TFATLAS_QUERY_PROCESSES": n} for name, n in afters.items()}}
        for size in args.sizes.split(","):
            if size in given:
                store = Path(given[size])
                print(f"## {size}: the store at {store}, loaded before", flush=True)
            else:
                data = ensure_data(size, args.data_dir)
                store = tmp / f"store-{size}"
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "tfatlas", "load", "--no-progress", "--force", "--graph",
                                GRAPH, str(data)], env={**os.environ, "TFATLAS_STORE": str(store),
                                                        "PYTHONPATH": str(REPO / "server")},
                               check=True, stdout=subprocess.DEVNULL)
                print(f"## {size}: loaded in {time.perf_counter() - started:.0f} s", flush=True)
            names = ["before", *afters]
            if size == "10M" and args.skip_before_10M:
                names = list(afters)
            runs: dict[str, list[dict]] = {name: [] for name in names}
            for round_ in range(args.rounds):
                for name in (names if round_ % 2 == 0 else names[::-1]):
                    log = tmp / f"{size}-{name.replace(' ', '_').replace(',', '')}-{round_}.log"
                    result = serve_once(codes[name], store, log, args, settings[name])
                    print(f"  {name} round {round_ + 1}: {result}", flush=True)
                    runs[name].append(result)
            before = describe(runs["before"]) if "before" in runs else f"{BEFORE_10M} (issue 14, not re-run)"
            for name in afters:
                rows.append(f"| {size}: from `tfatlas serve` start until every query worker answers from memory; "
                            f"whole tree, {args.query_workers or 'default'} query slots | before ({args.before}): "
                            f"{before} | {name}: {describe(runs[name])} |")
    print(f"\nload average at end: {open('/proc/loadavg').read().strip()}")
    print("| work | before | after |\n|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
