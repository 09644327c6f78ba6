"""What set semantics for the default graph would cost a query worker (issue 13, finding 11).

The atlas's default graph is the union of its named graphs, evaluated by pyoxigraph's
``use_default_graph_as_union``: a bag, in which a triple stated in two graphs counts twice. The
alternative measured here: the worker's in-memory copy also holds the deduplicated union as its
real default graph, and queries read that. Each variant is built in its own process (so resident
memory is that variant's alone) from the same N-Quads, split over ``--graphs`` named graphs with
``--overlap`` of the triples stated in two graphs, as the seed data does for shared vocabulary.

    .venv/bin/python bench/default_graph.py --triples 100k
    .venv/bin/python bench/default_graph.py --triples 1M --graphs 8 --overlap 0.02

Reports triples held, resident memory, copy time and the time of three queries in both variants.
A loaded machine moves the times; the memory and the triple counts do not.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import io, json, resource, sys, time
import pyoxigraph as ox
path, variant = sys.argv[1], sys.argv[2]
def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
base = rss_mb()
started = time.perf_counter()
store = ox.Store()
store.bulk_load(path=path, format=ox.RdfFormat.N_QUADS)
if variant == "set":
    # The union once, duplicates merged by the store: N-Triples of every named graph into the default graph.
    for graph in list(store.named_graphs()):
        out = io.BytesIO()
        store.dump(out, ox.RdfFormat.N_TRIPLES, from_graph=graph)
        store.bulk_load(out.getvalue(), ox.RdfFormat.N_TRIPLES)
copy_seconds = time.perf_counter() - started
kwargs = {} if variant == "set" else {"use_default_graph_as_union": True}
queries = {
    "count": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
    "types": "SELECT ?c (COUNT(?s) AS ?n) { ?s a ?c } GROUP BY ?c",
    "labels": "SELECT ?s ?l { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } LIMIT 1000",
}
times, answers = {}, {}
for name, text in queries.items():
    best = None
    for _ in range(3):
        t = time.perf_counter()
        rows = list(store.query(text, **kwargs))
        best = min(best or 1e9, time.perf_counter() - t)
    times[name] = best
    answers[name] = str(rows[0][0]) if rows else None
print(json.dumps({"variant": variant, "quads": len(store), "rss_mb": rss_mb() - base,
                  "copy_s": copy_seconds, "query_s": times, "answers": answers}))
"""


def make_quads(triples_file: Path, out: Path, graphs: int, overlap: float) -> int:
    """N-Quads: triple i in graph i mod graphs, and every 1/overlap-th also in the next graph."""
    import pyoxigraph as ox

    every = max(1, round(1 / overlap)) if overlap > 0 else 0
    names = [ox.NamedNode(f"https://w3id.org/tfatlas/graph/bench-{g}") for g in range(graphs)]

    def quads():
        for i, triple in enumerate(ox.parse(path=str(triples_file), format=ox.RdfFormat.N_TRIPLES)):
            yield ox.Quad(triple.subject, triple.predicate, triple.object, names[i % graphs])
            if every and i % every == 0:
                yield ox.Quad(triple.subject, triple.predicate, triple.object, names[(i + 1) % graphs])

    with open(out, "wb") as f:
        ox.serialize(quads(), f, ox.RdfFormat.N_QUADS)
    return sum(1 for _ in open(out, "rb"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", default="100k")
    parser.add_argument("--graphs", type=int, default=8)
    parser.add_argument("--overlap", type=float, default=0.013, help="share of triples stated twice "
                        "(the seed data: 31 of 2,396)")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from generate import generate, parse_size

    with tempfile.TemporaryDirectory(prefix="tfatlas-bench-dg-") as tmp:
        nt, nq = Path(tmp) / "data.nt", Path(tmp) / "data.nq"
        generate(parse_size(args.triples), nt)
        quads = make_quads(nt, nq, args.graphs, args.overlap)
        results = [json.loads(subprocess.run([sys.executable, "-c", CHILD, str(nq), variant], check=True,
                                             capture_output=True, text=True).stdout)
                   for variant in ("bag", "set")]
    bag, set_ = results
    print(f"{quads:,} quads in {args.graphs} graphs, {args.overlap:.1%} stated twice")
    print(f"{'':14s} {'bag (union flag)':>18s} {'set (default graph)':>20s} {'set/bag':>8s}")
    print(f"{'quads held':14s} {bag['quads']:>18,} {set_['quads']:>20,} {set_['quads'] / bag['quads']:>8.2f}")
    print(f"{'memory MB':14s} {bag['rss_mb']:>18.0f} {set_['rss_mb']:>20.0f} {set_['rss_mb'] / bag['rss_mb']:>8.2f}")
    print(f"{'copy s':14s} {bag['copy_s']:>18.2f} {set_['copy_s']:>20.2f} {set_['copy_s'] / bag['copy_s']:>8.2f}")
    for name in bag["query_s"]:
        b, s = bag["query_s"][name], set_["query_s"][name]
        print(f"{'query ' + name:14s} {b * 1000:>16.1f}ms {s * 1000:>18.1f}ms {s / b:>8.2f}")
    print("answers:", json.dumps({"bag": bag["answers"], "set": set_["answers"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
