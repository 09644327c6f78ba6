"""The finder's text search before and after the text index, in the same run.

For each size (default 100k and 1M generated triples, made with bench/generate.py when missing):
load the file into an embedded store, build the text index (timed), then in alternating rounds
(ABAB) compute the finder's whole result (ranked offers, details, facet counts) for each query:

- before: the text matched by SPARQL FILTERs over every label (CONTAINS per umlaut spelling,
  unranked), as the finder did before the index;
- after:  the text ranked by the index (tfatlas.search), the page explained.

Nothing is cached between runs (the server keeps facet counts per store state; a first visit
pays what is measured here). Also the index's own search time (text step alone).

    .venv/bin/python bench/finder_search.py                         # 100k and 1M
    .venv/bin/python bench/finder_search.py --sizes 10k --rounds 2  # a smoke run
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO / "bench"))

from tfatlas import finder  # noqa: E402
from tfatlas.model.loading import sources_for  # noqa: E402
from tfatlas.search import SearchIndex  # noqa: E402
from tfatlas.store.embedded import EmbeddedStore  # noqa: E402

from finder import SIZES, data_file  # noqa: E402  (bench/finder.py: generated data by size)

BASE = "https://w3id.org/tfatlas/"
# Words of the generated data (its concept labels and description templates), as people type them.
QUERIES = ["KI", "Projektmanagement", "Agilitaet", "digitale Kompetenzen", "Projektmanagment",
           "Führungskräfte Schulung", "Kulturwandel"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_size(size: str, args) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"finder-search-{size}-"))
    try:
        store = EmbeddedStore(work / "store", BASE)
        started = time.perf_counter()
        report = store.load(sources_for([data_file(size)], BASE, graph=BASE + "graph/data/bench"))
        print(f"\n## {size}: {report.triples:,} triples loaded in {time.perf_counter() - started:.1f} s")
        index = SearchIndex(work / "search-index")
        started = time.perf_counter()
        offers = index.rebuild(store)
        print(f"index of {offers:,} offers built in {time.perf_counter() - started:.1f} s")
        schemes = finder.load_schemes(store)

        def before(q: str):
            return finder.find(store, finder.Search(filters={}, q=q), schemes)

        def after(q: str):
            return finder.find(store, finder.Search(filters={}, q=q), schemes, text_index=index)

        times: dict[tuple[str, str], list[float]] = {}
        for round_ in range(args.rounds):
            order = (("before", before), ("after", after))
            for name, action in (order if round_ % 2 == 0 else order[::-1]):
                for q in QUERIES:
                    for _ in range(args.runs):
                        started = time.perf_counter()
                        action(q)
                        times.setdefault((name, q), []).append((time.perf_counter() - started) * 1000)
        text_only = []
        for q in QUERIES:
            for _ in range(args.runs * args.rounds):
                started = time.perf_counter()
                index.search(q, limit=0)
                text_only.append((time.perf_counter() - started) * 1000)
        print(f"{'query':28}{'before p50':>11}{'p90':>8}{'after p50':>11}{'p90':>8}  matches before/after")
        for q in QUERIES:
            b, a = times[("before", q)], times[("after", q)]
            counts = f"{before(q).total}/{after(q).total}"
            print(f"{q:28}{percentile(b, .5):11.1f}{percentile(b, .9):8.1f}"
                  f"{percentile(a, .5):11.1f}{percentile(a, .9):8.1f}  {counts}")
        all_b = [t for (n, _), ts in times.items() if n == "before" for t in ts]
        all_a = [t for (n, _), ts in times.items() if n == "after" for t in ts]
        print(f"{'all queries (ms)':28}{percentile(all_b, .5):11.1f}{percentile(all_b, .9):8.1f}"
              f"{percentile(all_a, .5):11.1f}{percentile(all_a, .9):8.1f}")
        print(f"index search alone: p50 {percentile(text_only, .5):.1f} ms, p90 {percentile(text_only, .9):.1f} ms")
        store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1M", help="comma-separated: " + ", ".join(SIZES))
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (ABAB)")
    parser.add_argument("--runs", type=int, default=3, help="runs per query and round")
    args = parser.parse_args()
    print("Machine-dependent; compare before and after within one run only.")
    for size in args.sizes.split(","):
        run_size(size.strip(), args)


if __name__ == "__main__":
    main()
