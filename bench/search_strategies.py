"""Which compound strategy serves the relevance set better: decompounding or character n-grams.

Builds one index per strategy from the same store and scores both on
tests/fixtures/search-relevance.yaml (hit@1, MRR, the misses), with the median search time.

    python bench/search_strategies.py --store var/store
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tfatlas.search import SearchIndex
from tfatlas.search.fields import STRATEGIES
from tfatlas.search.relevance import evaluate, load_cases
from tfatlas.store.embedded import EmbeddedStore

CASES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "search-relevance.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--base-iri", default="https://w3id.org/tfatlas/")
    parser.add_argument("--cases", default=str(CASES))
    args = parser.parse_args()
    store = EmbeddedStore(args.store, args.base_iri)
    cases = load_cases(args.cases, args.base_iri)
    with tempfile.TemporaryDirectory() as tmp:
        for strategy in STRATEGIES:
            index = SearchIndex(Path(tmp) / strategy, strategy)
            index.rebuild(store)
            report = evaluate(index, store, cases)
            times = []
            for case in cases:
                started = time.perf_counter()
                index.search(case.q, case.lang)
                times.append(time.perf_counter() - started)
            print(f"== {strategy}: {report.summary()}\n   median search {statistics.median(times) * 1000:.1f} ms")
    store.close()


if __name__ == "__main__":
    main()
