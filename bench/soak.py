"""Soak: the whole surface at concurrency 32 for 10 minutes; errors, p50/p99 and memory over time.

Starts ``tfatlas serve`` on a store of its own (the shipped knowledge model, plus a generated
file of ``--size`` triples when given), or uses ``--url`` (with ``--pid`` for its memory). Each
client is a thread with one keep-alive connection, sending a weighted mix of:

- SPARQL: bench/endpoint.py's domain queries when data was generated, else small queries over
  the model, by GET and by POST;
- pages: /id/... of resources found at the start, in German and English, HTML and Turtle;
- finder: / with facet values taken from its own form, and /overview;
- API: /api/queries/* with parameters, and /api/openapi.json;
- operations: /-/health, /ontology, a static file.

Every answer must be 200 (anything else is an error). The memory is the resident set of the
server's process tree (web process and query workers), sampled every 5 s; "growth after warm-up"
compares the last fifth of the run with the fifth after the first (target: within 5 %).

    .venv/bin/python bench/soak.py                     # 600 s, concurrency 32, the model only
    .venv/bin/python bench/soak.py --duration 30 --size 10k
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from endpoint import QUERIES, ensure_data, free_port, stop, wait_until_up  # noqa: E402

MODEL_QUERIES = {
    "offers_with_labels": "SELECT ?o ?l { ?o a <https://w3id.org/tfatlas/ontology#Offer> ; "
                          "<http://www.w3.org/2000/01/rdf-schema#label> ?l } LIMIT 50",
    "count_by_class": "SELECT ?c (COUNT(?s) AS ?n) { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n)",
    "concepts": "SELECT ?c ?l { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?l FILTER(lang(?l) = 'de') }",
    "ask": "ASK { ?s ?p ?o }",
}
BASE_IRI = "https://w3id.org/tfatlas/"  # the default base_iri: resources are served at /id/...
RESOURCES = ("SELECT DISTINCT ?s { ?s a ?c FILTER(STRSTARTS(STR(?s), 'https://w3id.org/tfatlas/id/')) } "
             "LIMIT 300")


def tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants."""
    children: dict[int, list[int]] = defaultdict(list)
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children[int(fields[1])].append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


class Mix:
    """The requests of the soak, found from the running server itself."""

    def __init__(self, base: str, queries: dict[str, str]):
        self.base = base
        self.queries = queries
        self.resources = [b["s"]["value"] for b in self._sparql(RESOURCES)["results"]["bindings"]]
        if not self.resources:
            raise RuntimeError("the server holds no /id/ resources to visit")
        finder = self._get("/")
        self.facets = re.findall(r'<select[^>]*name="([a-z]+)"[^>]*>(.*?)</select>', finder, re.S)
        self.facet_values = {name: re.findall(r'<option value="([^"]+)"', options) for name, options in self.facets}
        self.topics = self.facet_values.get("topic") or [""]

    def _get(self, path: str) -> str:
        parsed = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        conn.request("GET", path, headers={"Accept": "text/html"})
        body = conn.getresponse().read().decode("utf-8")
        conn.close()
        return body

    def _sparql(self, query: str) -> dict:
        parsed = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}),
                     headers={"Accept": "application/sparql-results+json"})
        body = conn.getresponse().read()
        conn.close()
        return json.loads(body)

    def pick(self, rng: random.Random) -> tuple[str, str, str, bytes | None, dict[str, str]]:
        """(class, method, path, body, headers) of one request."""
        roll = rng.random()
        if roll < 0.35:
            name = rng.choice(list(self.queries))
            accept = "application/n-triples" if name == "offer_cards" else "application/sparql-results+json"
            if rng.random() < 0.5:
                return ("sparql", "GET", "/sparql?" + urllib.parse.urlencode({"query": self.queries[name]}), None,
                        {"Accept": accept})
            return ("sparql", "POST", "/sparql", self.queries[name].encode(),
                    {"Accept": accept, "Content-Type": "application/sparql-query"})
        if roll < 0.60:
            path = "/" + rng.choice(self.resources)[len(BASE_IRI):]  # the server's own path for it
            if rng.random() < 0.25:
                return "pages", "GET", path, None, {"Accept": "text/turtle"}
            return "pages", "GET", path + rng.choice(["", "?lang=en"]), None, {"Accept": "text/html"}
        if roll < 0.80:
            if rng.random() < 0.15:
                return "finder", "GET", "/overview", None, {"Accept": "text/html"}
            params = {}
            for name, values in self.facet_values.items():
                if values and rng.random() < 0.4:
                    params[name] = rng.choice(values)
            if rng.random() < 0.2:
                params["q"] = rng.choice(["ki", "agil", "daten", "führung"])
            return "finder", "GET", "/?" + urllib.parse.urlencode(params), None, {"Accept": "text/html"}
        if roll < 0.92:
            choice = rng.random()
            if choice < 0.1:
                return "api", "GET", "/api/openapi.json", None, {"Accept": "application/json"}
            if choice < 0.5:
                topic = rng.choice(self.topics)
                return ("api", "GET", "/api/queries/actors-by-topic?" + urllib.parse.urlencode(
                    {"topic": topic} if topic else {}), None, {"Accept": "application/json"})
            return "api", "GET", "/api/queries/gaps?" + urllib.parse.urlencode(
                {"lang": rng.choice(["de", "en"])}), None, {"Accept": rng.choice(["application/json", "text/csv"])}
        return "ops", "GET", rng.choice(["/-/health", "/ontology", "/static/style.css"]), None, {}


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []

    def add(self, kind: str, seconds: float, status: int | str, what: str) -> None:
        with self.lock:
            if status == 200:
                self.latencies[kind].append(seconds)
            else:
                self.errors[kind] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{kind} {what[:120]} -> {status}")


def client(base: str, mix: Mix, results: Results, until: float, seed: int) -> None:
    rng = random.Random(seed)
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
    while time.monotonic() < until:
        kind, method, path, body, headers = mix.pick(rng)
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status: int | str = response.status
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
            conn.close()
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        results.add(kind, time.perf_counter() - started, status, f"{method} {path}")
    conn.close()


def start_server(workdir: Path, size: str | None, data_dir: Path) -> tuple[str, subprocess.Popen]:
    store = workdir / "store"
    env = {**os.environ, "TFATLAS_STORE": str(store)}
    env.pop("TFATLAS_STORE_URL", None)
    tfatlas = [sys.executable, "-m", "tfatlas"]
    subprocess.run(tfatlas + ["init"], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if size:
        data = ensure_data(size, data_dir)
        subprocess.run(tfatlas + ["load", "--no-progress", "--force", "--graph",
                                  "https://w3id.org/tfatlas/graph/user/bench", str(data)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    log = workdir / "server.log"
    process = subprocess.Popen(tfatlas + ["serve", "--port", str(port)], env=env,
                               stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/-/health", process, log)
    return f"http://127.0.0.1:{port}", process


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load (default 600)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--size", default=None, help="also load a generated file of this preset (e.g. 100k)")
    parser.add_argument("--url", default=None, help="soak a running atlas instead of starting one")
    parser.add_argument("--pid", type=int, default=None, help="its process id, for the memory (with --url)")
    parser.add_argument("--data-dir", type=Path, default=BENCH / "data")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    process = None
    try:
        if args.url:
            base, pid = args.url.rstrip("/"), args.pid
        else:
            base, process = start_server(workdir, args.size, args.data_dir)
            pid = process.pid
        queries = QUERIES if args.size else MODEL_QUERIES
        mix = Mix(base, queries)
        results = Results()
        rss: list[tuple[float, int]] = []
        started = time.monotonic()
        until = started + args.duration
        threads = [threading.Thread(target=client, args=(base, mix, results, until, seed), daemon=True)
                   for seed in range(args.concurrency)]
        for t in threads:
            t.start()
        while time.monotonic() < until:
            if pid:
                rss.append((time.monotonic() - started, tree_rss(pid)))
            time.sleep(min(5.0, max(0.0, until - time.monotonic())))
        for t in threads:
            t.join(timeout=180)
        if pid:
            rss.append((time.monotonic() - started, tree_rss(pid)))
        report(args, results, rss)
        return 0 if not sum(results.errors.values()) else 1
    finally:
        if process is not None:
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def report(args, results: Results, rss: list[tuple[float, int]]) -> None:
    total = sum(len(v) for v in results.latencies.values())
    errors = sum(results.errors.values())
    print(f"soak: {args.duration:g} s at concurrency {args.concurrency}"
          f"{', data ' + args.size if args.size else ', knowledge model only'}: "
          f"{total} answered ({total / args.duration:.1f}/s), {errors} errors")
    everything = [x for v in results.latencies.values() for x in v]
    for kind in sorted(set(results.latencies) | set(results.errors)):
        got = results.latencies.get(kind, [])
        print(f"  {kind:7s} {len(got):7d} ok {results.errors.get(kind, 0):5d} errors   "
              f"p50 {percentile(got, 0.5) * 1000:7.1f} ms   p99 {percentile(got, 0.99) * 1000:7.1f} ms")
    print(f"  {'all':7s} {total:7d} ok {errors:5d} errors   p50 {percentile(everything, 0.5) * 1000:7.1f} ms   "
          f"p99 {percentile(everything, 0.99) * 1000:7.1f} ms")
    for sample in results.samples:
        print(f"    error: {sample}")
    if len(rss) >= 5:
        step = max(1, len(rss) // 12)
        print("  memory (server and query workers, RSS): " +
              ", ".join(f"{t:.0f}s {b / 2**20:.0f} MB" for t, b in rss[::step]))
        fifth = max(1, len(rss) // 5)
        warm = statistics.mean(b for _, b in rss[fifth:2 * fifth])
        last = statistics.mean(b for _, b in rss[-fifth:])
        print(f"  growth after warm-up: {100 * (last - warm) / warm:+.1f} % "
              f"({warm / 2**20:.0f} MB -> {last / 2**20:.0f} MB; target within 5 %)")


if __name__ == "__main__":
    raise SystemExit(main())
