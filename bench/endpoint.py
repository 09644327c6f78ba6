"""The atlas's /sparql against `oxigraph serve` on the same data: the domain query mix over HTTP.

For each size (default 100k and 1M generated triples) the script starts both servers on the same
N-Triples file, checks that both give the same number of rows for every query, then measures
throughput at each concurrency, interleaving the two servers (ABAB, order swapped each round) so
that the machine's state affects both alike. It prints requests per second for each and the ratio
atlas / oxigraph (the median of the ratios of back-to-back phases); the target is >= 0.9 at
concurrency 8.

- atlas: `tfatlas load` into an embedded store on disk, then `tfatlas serve` (its own settings,
  no result cache unless the atlas has one switched on by default; say so when reading figures).
- oxigraph: `oxigraph serve` with no --location, i.e. **in memory**, with --union-default-graph;
  the data goes into the same named graph as in the atlas (whose default graph is the union too),
  so both engines do the same work.

Clients are threads with one keep-alive `http.client` connection each (lighter than requests, so
the client takes less of the two cores from the servers); every request is a GET with the query
in the URL and `Accept: application/sparql-results+json` (N-Triples for the CONSTRUCT).
Loops are bounded by time and by count, and every server is stopped at the end.

    .venv/bin/python bench/endpoint.py                       # 100k and 1M, concurrency 1 and 8
    .venv/bin/python bench/endpoint.py --sizes 100k --seconds 5 --rounds 1
"""

from __future__ import annotations

import argparse
import http.client
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

GRAPH = "https://w3id.org/tfatlas/graph/user/bench"
PREFIXES = """PREFIX tfa: <https://w3id.org/tfatlas/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX vcard: <http://www.w3.org/2006/vcard/ns#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX org: <http://www.w3.org/ns/org#>
"""
TOPIC = "https://w3id.org/tfatlas/id/topic/"
CHALLENGE = "https://w3id.org/tfatlas/id/challenge/"

#: The domain query mix: what the finder, the pages and federating registries ask.
QUERIES: dict[str, str] = {
    # A Bedarfsträger's first question: offers on a topic, with provider and German labels.
    "offers_by_topic": PREFIXES + f"""
SELECT ?offer ?label ?provider ?providerLabel WHERE {{
  ?offer a tfa:Offer ; tfa:hasTopic <{TOPIC}kanban> ; rdfs:label ?label ; tfa:providedBy ?provider .
  ?provider rdfs:label ?providerLabel .
  FILTER(lang(?label) = "de" && lang(?providerLabel) = "de")
}} ORDER BY ?label LIMIT 100""",
    # The finder's full join: challenge -> offer -> provider, topic, target group, delivery mode.
    "five_way_join": PREFIXES + f"""
SELECT ?offer ?offerLabel ?providerLabel ?topicLabel ?audienceLabel ?modeLabel WHERE {{
  ?offer tfa:addressesChallenge <{CHALLENGE}ki-sicher-einsetzen> ;
         rdfs:label ?offerLabel ; tfa:providedBy ?provider ; tfa:hasTopic ?topic ;
         dct:audience ?audience ; tfa:deliveryMode ?mode .
  ?provider rdfs:label ?providerLabel .
  ?topic skos:prefLabel ?topicLabel .
  ?audience skos:prefLabel ?audienceLabel .
  ?mode skos:prefLabel ?modeLabel .
  FILTER(lang(?offerLabel) = "de" && lang(?providerLabel) = "de" && lang(?topicLabel) = "de"
         && lang(?audienceLabel) = "de" && lang(?modeLabel) = "de")
}} LIMIT 200""",
    # Network coordination: coverage of topics (gaps and overlaps).
    "offers_per_topic": PREFIXES + """
SELECT ?topic ?label (COUNT(DISTINCT ?offer) AS ?offers) (COUNT(DISTINCT ?provider) AS ?providers) WHERE {
  ?offer a tfa:Offer ; tfa:hasTopic ?topic ; tfa:providedBy ?provider .
  ?topic skos:prefLabel ?label . FILTER(lang(?label) = "en")
} GROUP BY ?topic ?label ORDER BY DESC(?offers)""",
    # A broad topic includes its narrower ones: skos:broader* path.
    "topic_tree": PREFIXES + f"""
SELECT ?topic (COUNT(?offer) AS ?n) WHERE {{
  ?topic skos:broader* <{TOPIC}agilitaet> .
  ?offer tfa:hasTopic ?topic .
}} GROUP BY ?topic""",
    # Actor listing with what may be missing: OPTIONAL contact point and homepage.
    "actors_optional_contact": PREFIXES + """
SELECT ?actor ?label ?email ?homepage WHERE {
  ?actor a tfa:TransformationActor ; rdfs:label ?label .
  OPTIONAL { ?actor dcat:contactPoint/vcard:hasEmail ?email }
  OPTIONAL { ?actor foaf:homepage ?homepage }
  FILTER(lang(?label) = "de")
} ORDER BY ?label LIMIT 300""",
    # Free-text search over offer labels and descriptions.
    "text_search": PREFIXES + """
SELECT DISTINCT ?offer ?label WHERE {
  ?offer a tfa:Offer ; rdfs:label ?label ; dct:description ?description .
  FILTER(regex(?label, "werkstatt", "i") && regex(?description, "verwaltung", "i"))
} LIMIT 100""",
    # Newest free offers that can be taken online.
    "recent_free_online": PREFIXES + """
SELECT ?offer ?label ?modified WHERE {
  ?offer tfa:costModel <https://w3id.org/tfatlas/id/cost-model/kostenfrei> ;
         tfa:deliveryMode <https://w3id.org/tfatlas/id/delivery-mode/online> ;
         dct:modified ?modified ; rdfs:label ?label .
  FILTER(lang(?label) = "de")
} ORDER BY DESC(?modified) LIMIT 20""",
    # A linked-data card of the offers of one kind: a graph result.
    "offer_cards": PREFIXES + f"""
CONSTRUCT {{ ?offer rdfs:label ?label ; tfa:providedBy ?provider ; dct:modified ?modified . }}
WHERE {{
  ?offer tfa:hasTopic <{TOPIC}generative-ki> ; rdfs:label ?label ; tfa:providedBy ?provider ;
         dct:modified ?modified .
}} LIMIT 300""",
}
CONSTRUCTS = {"offer_cards"}


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


def start_atlas(data: Path, workdir: Path, threads: int | None) -> Target:
    store = workdir / "atlas-store"
    env = {**os.environ, "TFATLAS_STORE": str(store)}
    env.pop("TFATLAS_STORE_URL", None)
    tfatlas = [sys.executable, "-m", "tfatlas"]
    started = time.perf_counter()
    # --force skips SHACL validation: only query speed is measured, and oxigraph gets none either.
    subprocess.run(tfatlas + ["load", "--no-progress", "--force", "--graph", GRAPH, str(data)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    print(f"  atlas: loaded {data.name} in {time.perf_counter() - started:.1f} s", flush=True)
    port = free_port()
    log = workdir / "atlas.log"
    args = tfatlas + ["serve", "--port", str(port)] + (["--threads", str(threads)] if threads else [])
    process = subprocess.Popen(args, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/-/health", process, log)
    return Target("atlas", f"http://127.0.0.1:{port}/sparql", process)


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

    def query(self, name: str) -> tuple[int, bytes]:
        accept = "application/n-triples" if name in CONSTRUCTS else "application/sparql-results+json"
        target = self.path + "?" + urllib.parse.urlencode({"query": QUERIES[name]})
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
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_role(root: int) -> dict[str, float]:
    """CPU seconds of a server's process tree: the atlas's query workers count as "engine",
    every other process of the tree (gunicorn, Flask) as "web"; oxigraph serve is one process."""
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
    roles = {"web": 0.0, "engine": 0.0}
    for pid in tree:
        stat = _proc_stat(pid)
        if stat is None:
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        roles["engine" if b"worker_entry" in cmdline else "web"] += stat[1]
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


def run_phase(target: Target, concurrency: int, seconds: float, max_requests: int) -> Phase:
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
                name = names[i % len(names)]
                i += 1
                started = time.perf_counter()
                status, body = client.query(name)
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


def wait_until_idle(target: Target, limit: float = 900) -> float:
    """Seconds until the server's process tree stops working on its own. The atlas's query
    workers answer from a checkpoint on disk at first and copy it into memory in the background;
    the measurement is of the steady state, after that copy."""
    started = time.perf_counter()
    quiet = 0
    before = sum(cpu_by_role(target.process.pid).values())
    while time.perf_counter() - started < limit:
        time.sleep(1)
        now = sum(cpu_by_role(target.process.pid).values())
        quiet = quiet + 1 if now - before < 0.05 else 0
        before = now
        if quiet >= 2:
            break
    return time.perf_counter() - started


def check_same_answers(atlas: Target, oxigraph: Target) -> dict[str, int]:
    """Both servers must answer every query alike (same row count), else the race is meaningless."""
    counts = {}
    a, o = Client(atlas.endpoint), Client(oxigraph.endpoint)
    try:
        for name in QUERIES:
            for attempt in range(3):  # a loaded machine can make a server refuse one request
                (sa, ba), (so, bo) = a.query(name), o.query(name)
                if sa == so == 200:
                    break
                time.sleep(1)
            if sa != 200 or so != 200:
                raise RuntimeError(f"{name}: atlas HTTP {sa} {ba[:300]!r}, oxigraph HTTP {so} {bo[:300]!r}")
            ca, co = count_results(name, ba), count_results(name, bo)
            if ca != co:
                raise RuntimeError(f"{name}: atlas gives {ca} results, oxigraph {co}")
            counts[name] = ca
    finally:
        a.close()
        o.close()
    return counts


def ensure_data(size: str, data_dir: Path) -> Path:
    path = data_dir / f"{size}.nt"
    if not path.exists():
        from generate import PRESETS, generate

        data_dir.mkdir(parents=True, exist_ok=True)
        print(f"  generating {path} ...", flush=True)
        generate(PRESETS[size], str(path))
    return path


def bench_size(size: str, args) -> list[tuple]:
    data = ensure_data(size, args.data_dir)
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-endpoint-{size}-"))
    targets: list[Target] = []
    try:
        atlas = start_atlas(data, workdir, args.atlas_threads)
        targets.append(atlas)
        oxigraph = start_oxigraph(data, workdir)
        targets.append(oxigraph)
        for target in (atlas, oxigraph):
            print(f"  {target.name}: 8 parallel first queries after start answered in "
                  f"{first_answers(target):.1f} s; idle (background work done) after "
                  f"{wait_until_idle(target):.1f} s more", flush=True)
        counts = check_same_answers(atlas, oxigraph)
        print("  same answers from both: " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
        for concurrency in args.concurrency:
            results: dict[str, list[Phase]] = {"atlas": [], "oxigraph": []}
            for round_ in range(args.rounds):
                order = (atlas, oxigraph) if round_ % 2 == 0 else (oxigraph, atlas)
                for target in order:
                    run_phase(target, concurrency, min(0.5, args.seconds), args.max_requests)  # warm up
                    phase = run_phase(target, concurrency, args.seconds, args.max_requests)
                    results[target.name].append(phase)
                    print(f"  {size} c={concurrency} round {round_ + 1} {target.name:8s} "
                          f"{phase.throughput:7.1f} req/s ({phase.requests} ok, {phase.errors} errors)",
                          flush=True)
            a = statistics.median(p.throughput for p in results["atlas"])
            o = statistics.median(p.throughput for p in results["oxigraph"])
            # On a shared machine the load drifts; the ratio of two phases run back to back is
            # steadier than the ratio of medians, so report the median of the per-round ratios.
            ratios = [pa.throughput / po.throughput for pa, po in zip(results["atlas"], results["oxigraph"])
                      if po.throughput]
            rows.append((size, concurrency, a, o, statistics.median(ratios) if ratios else float("nan"),
                         min(ratios, default=float("nan")), max(ratios, default=float("nan"))))
            # CPU per answered request: where the atlas spends its cycles beyond the engine. Unlike
            # wall-clock throughput it hardly depends on what else runs on the machine, and when
            # the cores are the limit the throughput ratio tends to the inverse CPU ratio.
            cpu_per_request = {}
            for name, phases in results.items():
                answered = sum(p.requests for p in phases) or 1
                per_role = {role: sum(p.cpu.get(role, 0.0) for p in phases) / answered * 1000
                            for role in ("web", "engine")}
                cpu_per_request[name] = sum(per_role.values())
                label = ("web (gunicorn, Flask) {web:.2f} ms + query workers {engine:.2f} ms"
                         if name == "atlas" else "server process {web:.2f} ms").format(**per_role)
                print(f"  {size} c={concurrency} CPU per request, {name}: {label}", flush=True)
            rows[-1] += (cpu_per_request["oxigraph"] / cpu_per_request["atlas"]
                         if cpu_per_request["atlas"] else float("nan"),)
            if concurrency == 1:
                print(f"  {size} median latency per query at c=1 (ms): atlas / oxigraph = ratio", flush=True)
                for name in QUERIES:
                    la = [x for p in results["atlas"] for x in p.latencies[name]]
                    lo = [x for p in results["oxigraph"] for x in p.latencies[name]]
                    if la and lo:
                        ma, mo = statistics.median(la) * 1000, statistics.median(lo) * 1000
                        print(f"    {name:24s} {ma:8.2f} / {mo:8.2f} = {ma / mo:5.2f}", flush=True)
    finally:
        for target in targets:
            stop(target.process)
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1M", help="comma-separated presets of bench/generate.py")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated client thread counts")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one measured phase")
    parser.add_argument("--rounds", type=int, default=5, help="ABAB rounds per concurrency")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap on requests per phase")
    parser.add_argument("--atlas-threads", type=int, default=None, help="tfatlas serve --threads")
    parser.add_argument("--data-dir", type=Path, default=BENCH / "data")
    args = parser.parse_args(argv)
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    rows = []
    for size in args.sizes.split(","):
        print(f"== {size} triples", flush=True)
        rows += bench_size(size, args)
    print("\nsize   conc   atlas req/s   oxigraph req/s   atlas/oxigraph (median of rounds, min-max)"
          "   CPU/request oxigraph/atlas")
    for size, concurrency, a, o, ratio, low, high, cpu_ratio in rows:
        print(f"{size:6s} {concurrency:4d}   {a:11.1f}   {o:14.1f}   {ratio:14.2f}  ({low:.2f}-{high:.2f})"
              f"        {cpu_ratio:20.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
