"""The atlas's /sparql against `oxigraph serve` on the same data: two query mixes over HTTP.

For each size (default 100k and 1M generated triples) the script starts the servers on the same
N-Triples file, checks that they give the same number of rows for every query, then measures
throughput at each concurrency in interleaved rounds (the order rotates each round) so that the
machine's state affects all alike. It prints requests per second (median, min-max), the ratio
atlas / oxigraph (the median of the ratios of phases of the same round, min-max) and CPU
milliseconds per request (the atlas's split into web process and query workers).

- atlas: `tfatlas load` into an embedded store on disk, then `tfatlas serve`, with the result
  cache off (TFATLAS_RESULT_CACHE_MB=0) and/or on (its default size): ``--cache``.
- before (``--before COMMIT``): the same, with ``server/`` of another commit (extracted with
  `git archive`), on a copy of the same store, as a third server in the same rounds.
- oxigraph: `oxigraph serve` with no --location, i.e. **in memory**, with --union-default-graph;
  the data goes into the same named graph as in the atlas (whose default graph is the union too),
  so both engines do the same work.

Mixes (``--mix``): ``domain`` repeats eight queries of this domain (a result cache answers all but
the first of each); ``varied`` sends the same eight templates with parameters drawn from the data
(bench/query_mix.py), every request different, every server the same sequence.

Clients are threads with one keep-alive `http.client` connection each (lighter than requests, so
the client takes less of the two cores from the servers); every request is a GET with the query
in the URL and `Accept: application/sparql-results+json` (N-Triples for the CONSTRUCT).
Loops are bounded by time and by count, and every server is stopped at the end.

    .venv/bin/python bench/endpoint.py                       # 100k and 1M, c=1 and 8, both mixes, cache off and on
    .venv/bin/python bench/endpoint.py --sizes 100k --seconds 5 --rounds 1 --cache off --mix varied
    .venv/bin/python bench/endpoint.py --sizes 100k --before main
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO / "tools"))

from query_mix import CONSTRUCTS, DOMAIN, VariedMix, read_vocabulary  # noqa: E402

GRAPH = "https://w3id.org/tfatlas/graph/user/bench"
#: The domain mix (soak.py and write.py use it too).
QUERIES = DOMAIN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    parsed = urllib.parse.urlsplit(url)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
            conn.request("GET", parsed.path or "/")
            status = conn.getresponse().status
            conn.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Target:
    name: str
    endpoint: str  # the SPARQL endpoint URL
    process: subprocess.Popen
    cursor: itertools.count = field(default_factory=itertools.count)  # next request of the varied mix


def atlas_env(store: Path, cache: str, code: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "TFATLAS_STORE": str(store)}
    env.pop("TFATLAS_STORE_URL", None)
    env.pop("TFATLAS_RESULT_CACHE_MB", None)
    if cache == "off":
        env["TFATLAS_RESULT_CACHE_MB"] = "0"
    if code is not None:  # another commit's server/ (PYTHONPATH comes before the editable install)
        env["PYTHONPATH"] = str(code)
    return env


def load_atlas_store(data: Path, store: Path) -> None:
    started = time.perf_counter()
    # --force skips SHACL validation: only query speed is measured, and oxigraph gets none either.
    subprocess.run([sys.executable, "-m", "tfatlas", "load", "--no-progress", "--force", "--graph", GRAPH, str(data)],
                   env=atlas_env(store, "on"), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    print(f"  atlas: loaded {data.name} in {time.perf_counter() - started:.1f} s", flush=True)


def start_atlas(name: str, env: dict[str, str], workdir: Path, threads: int | None) -> Target:
    port = free_port()
    log = workdir / f"{name}.log"
    args = [sys.executable, "-m", "tfatlas", "serve", "--port", str(port)]
    args += ["--threads", str(threads)] if threads else []
    process = subprocess.Popen(args, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/-/health", process, log)
    return Target(name, f"http://127.0.0.1:{port}/sparql", process)


def start_oxigraph(data: Path, workdir: Path) -> Target:
    binary = Path(sys.executable).parent / "oxigraph"
    port = free_port()
    log = workdir / "oxigraph.log"
    # No --location: Oxigraph keeps the data in memory.
    process = subprocess.Popen([str(binary), "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                               stdout=open(log, "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base + "/", process, log)
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    with open(data, "rb") as body:
        conn.request("POST", "/store?graph=" + urllib.parse.quote(GRAPH, safe=""), body=body,
                     headers={"Content-Type": "application/n-triples",
                              "Content-Length": str(data.stat().st_size)})
        response = conn.getresponse()
        response.read()
    conn.close()
    if response.status >= 300:
        stop(process)
        raise RuntimeError(f"oxigraph refused the data: HTTP {response.status}")
    print(f"  oxigraph: loaded {data.name} in memory in {time.perf_counter() - started:.1f} s", flush=True)
    return Target("oxigraph", base + "/query", process)


class Client:
    """One keep-alive connection; sends a query by GET, reads the whole answer."""

    def __init__(self, endpoint: str, timeout: float = 120):
        parsed = urllib.parse.urlsplit(endpoint)
        self.path = parsed.path
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)

    def query(self, name: str, text: str | None = None) -> tuple[int, bytes]:
        """Send query ``text`` (by default the domain mix's query ``name``); ``name`` picks the format."""
        accept = "application/n-triples" if name in CONSTRUCTS else "application/sparql-results+json"
        target = self.path + "?" + urllib.parse.urlencode({"query": QUERIES[name] if text is None else text})
        for attempt in (1, 2):
            try:
                self.conn.request("GET", target, headers={"Accept": accept})
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()  # the server closed a kept-alive connection: reconnect once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def count_results(name: str, body: bytes) -> int:
    if name in CONSTRUCTS:
        return sum(1 for line in body.splitlines() if line.strip())
    return len(json.loads(body)["results"]["bindings"])


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used) of a process, from /proc (Linux)."""
    return _proc_stat_path(f"/proc/{pid}/stat")


def _proc_stat_path(path: str) -> tuple[int, float] | None:
    try:
        raw = Path(path).read_text()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_role(root: int) -> dict[str, float]:
    """CPU seconds of a server's process tree: the atlas's query workers count as "engine",
    every other process of the tree (waitress, Flask) as "web"; oxigraph serve is one process.
    "loop" is the part of "web" spent by the atlas's main thread, waitress's HTTP loop (reading
    and parsing requests, writing what the request threads left unsent)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat is not None:
                parents[int(entry)] = stat[0]
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    roles = {"web": 0.0, "engine": 0.0, "loop": 0.0}
    for pid in tree:
        stat = _proc_stat(pid)
        if stat is None:
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        roles["engine" if b"worker_entry" in cmdline else "web"] += stat[1]
        if pid == root and b"tfatlas" in cmdline:
            main_thread = _proc_stat_path(f"/proc/{pid}/task/{pid}/stat")
            roles["loop"] = main_thread[1] if main_thread is not None else 0.0
    return roles


@dataclass
class Phase:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # role -> CPU seconds used in the phase

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_phase(target: Target, concurrency: int, seconds: float, max_requests: int,
              varied: VariedMix | None = None) -> Phase:
    """N client threads for ``seconds``: the domain mix (each thread from its own offset), or the
    next requests of the varied sequence (``target.cursor``, shared by the threads)."""
    phase = Phase(latencies={name: [] for name in QUERIES})
    names = list(QUERIES)
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    errors: list[str] = []

    def worker(offset: int) -> None:
        client = Client(target.endpoint)
        i = offset
        try:
            while time.perf_counter() < deadline:
                if varied is None:
                    name, text = names[i % len(names)], None
                    i += 1
                else:
                    name, text = varied.request(next(target.cursor))
                started = time.perf_counter()
                status, body = client.query(name, text)
                elapsed = time.perf_counter() - started
                with lock:
                    if phase.requests + phase.errors >= max_requests:
                        return
                    if status == 200:
                        phase.requests += 1
                        phase.latencies[name].append(elapsed)
                    else:
                        phase.errors += 1
                        if len(errors) < 3:
                            errors.append(f"{name}: HTTP {status}: {body[:200]!r}")
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(k * 3,)) for k in range(concurrency)]
    cpu_before = cpu_by_role(target.process.pid)
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.seconds = time.perf_counter() - started
    cpu_after = cpu_by_role(target.process.pid)
    phase.cpu = {role: cpu_after[role] - cpu_before.get(role, 0.0) for role in cpu_after}
    for message in errors:
        print(f"    {target.name} error: {message}", flush=True)
    return phase


def first_answers(target: Target, parallel: int = 8) -> float:
    """Seconds until ``parallel`` simultaneous first queries are all answered. Each of the atlas's
    query workers copies the store into memory on its first query (and after every write), so
    this is the wait after a start or a write; measuring starts only after it, in steady state."""
    failures: list[str] = []

    def one() -> None:
        client = Client(target.endpoint, timeout=1800)
        try:
            status, body = client.query("topic_tree")
            if status != 200:
                failures.append(f"HTTP {status}: {body[:300]!r}")
        finally:
            client.close()

    threads = [threading.Thread(target=one) for _ in range(parallel)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{target.name}: first queries failed: {failures[0]}")
    return time.perf_counter() - started


def _busy(target: Target) -> float:
    roles = cpu_by_role(target.process.pid)
    return roles["web"] + roles["engine"]


def wait_until_idle(target: Target, limit: float = 900) -> float:
    """Seconds until the server's process tree stops working on its own. The atlas's query
    workers answer from a checkpoint on disk at first and copy it into memory in the background;
    the measurement is of the steady state, after that copy."""
    started = time.perf_counter()
    quiet = 0
    before = _busy(target)
    while time.perf_counter() - started < limit:
        time.sleep(1)
        now = _busy(target)
        quiet = quiet + 1 if now - before < 0.05 else 0
        before = now
        if quiet >= 2:
            break
    return time.perf_counter() - started


def check_same_answers(targets: list[Target], requests: list[tuple[str, str | None]]) -> dict[str, int]:
    """Every server must answer every request alike (same row count), else the race is meaningless."""
    counts: dict[str, int] = {}
    clients = [Client(t.endpoint) for t in targets]
    try:
        for name, text in requests:
            answers = []
            for target, client in zip(targets, clients):
                for attempt in range(3):  # a loaded machine can make a server refuse one request
                    status, body = client.query(name, text)
                    if status == 200:
                        break
                    time.sleep(1)
                if status != 200:
                    raise RuntimeError(f"{name}: {target.name} HTTP {status} {body[:300]!r}")
                answers.append(count_results(name, body))
            if len(set(answers)) != 1:
                raise RuntimeError(f"{name}: results " + ", ".join(f"{t.name} {n}" for t, n in zip(targets, answers))
                                   + (f"\n{text}" if text else ""))
            counts[name] = counts.get(name, 0) + answers[0]
    finally:
        for client in clients:
            client.close()
    return counts


def ensure_data(size: str, data_dir: Path) -> Path:
    path = data_dir / f"{size}.nt"
    if not path.exists():
        from generate import PRESETS, generate

        data_dir.mkdir(parents=True, exist_ok=True)
        print(f"  generating {path} ...", flush=True)
        generate(PRESETS[size], str(path))
    return path


@dataclass
class Row:
    size: str
    mix: str
    cache: str
    concurrency: int
    phases: dict[str, list[Phase]]  # server name -> its phases, one per round

    def throughput(self, name: str) -> list[float]:
        return [p.throughput for p in self.phases[name]]

    def ratios(self, name: str) -> list[float]:
        """``name`` / oxigraph, phase by phase of the same round."""
        return [a / o for a, o in zip(self.throughput(name), self.throughput("oxigraph")) if o]

    def cpu_ms(self, name: str) -> dict[str, float]:
        answered = sum(p.requests for p in self.phases[name]) or 1
        return {role: sum(p.cpu.get(role, 0.0) for p in self.phases[name]) / answered * 1000
                for role in ("web", "engine", "loop")}


def _spread(values: list[float], digits: int = 1) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def measure(targets: list[Target], size: str, mix: str, cache: str, concurrency: int, args,
            varied: VariedMix | None) -> Row:
    row = Row(size, mix, cache, concurrency, {t.name: [] for t in targets})
    for round_ in range(args.rounds):
        shift = round_ % len(targets)
        for target in targets[shift:] + targets[:shift]:
            run_phase(target, concurrency, min(0.5, args.seconds), args.max_requests, varied)  # warm up
            phase = run_phase(target, concurrency, args.seconds, args.max_requests, varied)
            row.phases[target.name].append(phase)
            print(f"  {size} {mix} cache {cache} c={concurrency} round {round_ + 1} {target.name:8s} "
                  f"{phase.throughput:7.1f} req/s ({phase.requests} ok, {phase.errors} errors)", flush=True)
    for target in targets:
        cpu = row.cpu_ms(target.name)
        label = (f"web process {cpu['web']:.2f} ms (HTTP loop thread {cpu['loop']:.2f}) + query workers "
                 f"{cpu['engine']:.2f} ms"
                 if target.name != "oxigraph" else f"server process {cpu['web']:.2f} ms")
        print(f"  {size} {mix} cache {cache} c={concurrency} CPU per request, {target.name}: {label}", flush=True)
    if concurrency == 1 and mix == "domain":
        print(f"  {size} median latency per query at c=1 (ms), " + " / ".join(t.name for t in targets), flush=True)
        for name in QUERIES:
            medians = [[x for p in row.phases[t.name] for x in p.latencies[name]] for t in targets]
            if all(medians):
                print(f"    {name:24s} " + " / ".join(f"{statistics.median(m) * 1000:8.2f}" for m in medians), flush=True)
    return row


def bench_size(size: str, args) -> list[Row]:
    data = ensure_data(size, args.data_dir)
    varied = VariedMix(read_vocabulary(data)) if "varied" in args.mixes else None
    rows: list[Row] = []
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-endpoint-{size}-"))
    running: list[Target] = []
    try:
        store = workdir / "atlas-store"
        load_atlas_store(data, store)
        before_code = None
        if args.before:
            from seed_release_sums import old_code_tree

            before_code = old_code_tree(args.before, workdir / "before-code")
            shutil.copytree(store, workdir / "before-store")  # a server holds its store's lock
        oxigraph = start_oxigraph(data, workdir)
        running.append(oxigraph)
        for cache in args.caches:
            atlas = start_atlas("atlas", atlas_env(store, cache), workdir, args.atlas_threads)
            running.append(atlas)
            targets = [atlas]
            if before_code is not None:
                before = start_atlas("before", atlas_env(workdir / "before-store", cache, before_code), workdir,
                                     args.atlas_threads)
                running.append(before)
                targets.insert(0, before)
            targets.append(oxigraph)
            for target in targets:
                target.cursor = itertools.count()  # every server walks the varied sequence from its start
                if target is not oxigraph or cache == args.caches[0]:
                    print(f"  {target.name}: 8 parallel first queries after start answered in "
                          f"{first_answers(target):.1f} s; idle (background work done) after "
                          f"{wait_until_idle(target):.1f} s more", flush=True)
            checks: list[tuple[str, str | None]] = [(name, None) for name in QUERIES]
            checks += varied.check_requests() if varied is not None else []
            counts = check_same_answers(targets, checks)
            print("  same answers from all: " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
            for mix in args.mixes:
                for concurrency in args.concurrency:
                    rows.append(measure(targets, size, mix, cache, concurrency, args,
                                        varied if mix == "varied" else None))
            if varied is not None and max(next(t.cursor) for t in targets) > varied.distinct:
                print(f"  warning: more than {varied.distinct} varied requests: some repeated", flush=True)
            for target in targets:
                if target is not oxigraph:
                    stop(target.process)
                    running.remove(target)
    finally:
        for target in running:
            stop(target.process)
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def print_table(rows: list[Row], names: list[str]) -> None:
    """The issue's table rows: throughput of every server, ratios to oxigraph, CPU per request."""
    print("\nthroughput, req/s: median (min-max) of rounds; ratio: median (min-max) of the rounds' "
          "ratios to oxigraph serve; CPU ms per request: web process (of it the HTTP loop thread) + query workers")
    for row in rows:
        print(f"\n{row.size} {row.mix} mix, result cache {row.cache}, concurrency {row.concurrency}")
        for name in names:
            if name not in row.phases:
                continue
            cpu = row.cpu_ms(name)
            reference = row.cpu_ms("oxigraph")["web"]
            total = cpu['web'] + cpu['engine']
            # When the cores are the limit, the throughput ratio tends to this one (steadier on a busy machine).
            cpu_text = (f"CPU {cpu['web']:.2f} (loop {cpu['loop']:.2f}) + {cpu['engine']:.2f} = {total:.2f} ms, "
                        f"oxigraph's/{name}'s {reference / total if total else float('nan'):.2f}"
                        if name != "oxigraph" else f"CPU {cpu['web']:.2f} ms")
            ratio = "" if name == "oxigraph" else f"  {name}/oxigraph {_spread(row.ratios(name), 2)}"
            print(f"  {name:8s} {_spread(row.throughput(name)):>24s} req/s{ratio}  {cpu_text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1M", help="comma-separated presets of bench/generate.py")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated client thread counts")
    parser.add_argument("--mix", choices=("domain", "varied", "both"), default="both",
                        help="domain: eight queries repeated; varied: no two requests equal")
    parser.add_argument("--cache", choices=("off", "on", "both"), default="both",
                        help="the atlas's result cache: off is TFATLAS_RESULT_CACHE_MB=0, on its default")
    parser.add_argument("--before", metavar="COMMIT", default=None,
                        help="also run server/ of this commit as a third server in the same rounds")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one measured phase")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per row")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap on requests per phase")
    parser.add_argument("--atlas-threads", type=int, default=None, help="tfatlas serve --threads")
    parser.add_argument("--data-dir", type=Path, default=BENCH / "data")
    args = parser.parse_args(argv)
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.mixes = ["domain", "varied"] if args.mix == "both" else [args.mix]
    args.caches = ["off", "on"] if args.cache == "both" else [args.cache]
    rows: list[Row] = []
    for size in args.sizes.split(","):
        print(f"== {size} triples", flush=True)
        rows += bench_size(size, args)
    print_table(rows, ["before", "atlas", "oxigraph"])
    if args.before:
        print(f"\nbefore: server/ of {args.before}; atlas: this checkout")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
