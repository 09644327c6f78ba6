"""A gated write of one offer over HTTP: latency (p50, p90) at 100k and 1M generated triples,
and how long a join query takes to be back at its speed from before the write.

For each size (default 100k and 1M, made with bench/generate.py when missing):

1. load the generated file and the shipped model (ontology, shapes, seed data) into an embedded
   store, create an account for a test actor with `tfatlas account add`;
2. `tfatlas serve` over it; wait until every query worker holds its copy in memory;
3. measure a join query (endpoint.py's five-way join) as the baseline (median);
4. send writes, each one new offer (POST to the actor's graph through the Graph Store Protocol:
   parse, ownership, SHACL gate with the related nodes, history, one transaction), one at a time,
   and report p50 and p90 of the round trip;
5. after one more write, run the join in a loop and report the time until a run is within 2x
   of the baseline again (the readers' recovery; see issue 10, "Readers stay fast").

    .venv/bin/python bench/write.py                      # 100k and 1M
    .venv/bin/python bench/write.py --sizes 10k --writes 10 --recovery-timeout 30   # smoke run

Figures from a machine shared with other work say little; say so next to them.
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
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO / "bench"))

from endpoint import QUERIES  # noqa: E402
from finder import SIZES, data_file, start_server  # noqa: E402
from tfatlas.model.loading import model_sources, sources_for  # noqa: E402
from tfatlas.store.embedded import EmbeddedStore  # noqa: E402

BASE = "https://w3id.org/tfatlas/"
ACTOR = "bench-gmbh"
OFFER = """@prefix tfa: <https://w3id.org/tfatlas/ontology#> .
@prefix dct: <http://purl.org/dc/terms/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> . @prefix org: <http://www.w3.org/ns/org#> .
@prefix id: <https://w3id.org/tfatlas/id/> .
{actor}
<https://w3id.org/tfatlas/id/offer/bench-{n}> a tfa:Offer ;
    rdfs:label "Benchmark-Angebot {n}"@de , "Benchmark offer {n}"@en ;
    tfa:providedBy <https://w3id.org/tfatlas/id/org/bench-gmbh> ;
    tfa:hasTopic <https://w3id.org/tfatlas/id/topic/scrum> ;
    tfa:addressesChallenge <https://w3id.org/tfatlas/id/challenge/agile-arbeitsweisen-einfuehren> ;
    dct:audience <https://w3id.org/tfatlas/id/target-group/beschaeftigte> ;
    dct:type <https://w3id.org/tfatlas/id/offer-type/schulung> ;
    tfa:deliveryMode <https://w3id.org/tfatlas/id/delivery-mode/online> ;
    tfa:costModel <https://w3id.org/tfatlas/id/cost-model/kostenfrei> ;
    foaf:page <https://example.org/bench/angebot-{n}> ;
    dcat:contactPoint [ a vcard:Organization ; vcard:hasEmail <mailto:bench@example.org> ] ;
    dct:source <https://example.org/bench/quelle> .
"""
ACTOR_TTL = """<https://w3id.org/tfatlas/id/org/bench-gmbh> a tfa:TransformationActor , org:FormalOrganization ;
    rdfs:label "Benchmark GmbH (erfunden)"@de ; dct:source <https://example.org/bench/quelle> .
<https://example.org/bench/quelle> a foaf:Document ; dct:title "Benchmark-Quelle (erfunden)"@de .
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def build_store(size: str, root: Path) -> Path:
    store_dir = root / f"store-{size}"
    store = EmbeddedStore(store_dir, BASE)
    try:
        store.load(model_sources(BASE) + sources_for([data_file(size)], BASE), replace=True)
    finally:
        store.close()
    return store_dir


def token_for(store_dir: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "tfatlas", "--store", str(store_dir), "account", "add",
                           "--actor", ACTOR, "--label", "bench"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO / "server")})
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return done.stdout.splitlines()[-1].strip()


def wait_for_memory(url: str, timeout: float) -> None:
    """Until /-/metrics says every query worker answers from memory."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        metrics = requests.get(url + "/-/metrics", timeout=30).text
        lines = [l for l in metrics.splitlines() if l.startswith("tfatlas_query_workers{")]
        counts = {l.split('data="')[1].split('"')[0]: float(l.rsplit(" ", 1)[1]) for l in lines}
        if counts.get("memory", 0) > 0 and not counts.get("disk") and not counts.get("starting"):
            return
        time.sleep(1)
    print("  (workers did not all reach memory in time; figures include answers from disk)")


def join_ms(session, url: str) -> float:
    started = time.perf_counter()
    r = session.get(url + "/sparql", params={"query": QUERIES["five_way_join"]},
                    headers={"Accept": "application/sparql-results+json"}, timeout=600)
    r.raise_for_status()
    return (time.perf_counter() - started) * 1000


def measure(size: str, args, root: Path) -> None:
    print(f"\n## {size}", flush=True)
    store_dir = build_store(size, root)
    token = token_for(store_dir)
    process, url = start_server(store_dir, root / f"server-{size}.log")
    try:
        wait_for_memory(url, args.warmup_timeout)
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"}
        graph = f"{BASE}graph/actor/{ACTOR}"
        baseline = statistics.median(join_ms(session, url) for _ in range(args.join_runs))
        times = []
        for n in range(args.writes + 1):
            body = OFFER.format(n=n, actor=ACTOR_TTL if n == 0 else "")
            started = time.perf_counter()
            r = session.post(f"{url}/rdf-graphs/service", params={"graph": graph}, data=body.encode(),
                             headers=headers, timeout=600)
            elapsed = (time.perf_counter() - started) * 1000
            if r.status_code not in (200, 201):
                raise SystemExit(f"write {n}: {r.status_code} {r.text}")
            if n:  # the first write also creates the actor: not counted
                times.append(elapsed)
            wait_for_memory(url, args.warmup_timeout) if args.settle else None
        print(f"  gated write of one offer over HTTP: p50 {percentile(times, 0.5):.1f} ms, "
              f"p90 {percentile(times, 0.9):.1f} ms ({len(times)} writes)")
        # readers after one more write
        session.post(f"{url}/rdf-graphs/service", params={"graph": graph}, headers=headers, timeout=600,
                     data=OFFER.format(n=args.writes + 1, actor="").encode()).raise_for_status()
        written = time.perf_counter()
        recovered = None
        while time.perf_counter() - written < args.recovery_timeout:
            if join_ms(session, url) <= 2 * baseline:
                recovered = time.perf_counter() - written
                break
        print(f"  join before the write: median {baseline:.1f} ms; back within 2x after "
              + (f"{recovered:.2f} s" if recovered is not None else f"more than {args.recovery_timeout:g} s"))
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1M", help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--join-runs", type=int, default=5)
    parser.add_argument("--recovery-timeout", type=float, default=180.0)
    parser.add_argument("--warmup-timeout", type=float, default=900.0)
    parser.add_argument("--settle", action="store_true",
                        help="wait for the workers' copies after each write (writes measured alone)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tfatlas-bench-write-"))
    try:
        for size in args.sizes.split(","):
            measure(size.strip(), args, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
