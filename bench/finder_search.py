"""The finder's text search, before and after, in the same run: this checkout's code against the
code of a named commit (default 541b71d), each in its own process over its own copy of one store.

For each size (default 100k and 1M generated triples, made with bench/generate.py when missing):
load the file into an embedded store, copy it, and start one process per code version; each
builds its text index (timed) and then, in alternating rounds (the order reversed every round),
computes the finder's whole result for a text query, as the finder page and /api/finder show it
(the first page of ranked offers with their details and explanations, the facet counts):

- ``sparql``: the commit's finder without a text index: the text matched by SPARQL FILTERs over
  every label (CONTAINS per umlaut spelling, unranked), the rest by SPARQL;
- ``index``: the commit's finder with its text index: the matching offers from the index, then
  their details, order and facet counts by SPARQL over all of them;
- ``now``: this checkout: everything but the page's details answered by the index.

Nothing is cached between runs (the server keeps results per store state; a first visit pays
what is measured here). The run fails unless ``now`` gives the same result as ``index`` for
every query (totals, the page's offers in order, their explanations, every facet count).

    .venv/bin/python bench/finder_search.py                          # 100k and 1M
    .venv/bin/python bench/finder_search.py --sizes 10k --rounds 2   # a smoke run
    .venv/bin/python bench/finder_search.py --sizes 1M --variants index,now
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tools"))

from tfatlas.model.loading import sources_for  # noqa: E402
from tfatlas.store.embedded import EmbeddedStore  # noqa: E402

from finder import SIZES, data_file  # noqa: E402  (bench/finder.py: generated data by size)
from seed_release_sums import old_code_tree  # noqa: E402

BASE = "https://w3id.org/tfatlas/"
# Words of the generated data (its concept labels and description templates), as people type them.
QUERIES = ["KI", "Projektmanagement", "Agilitaet", "digitale Kompetenzen", "Projektmanagment",
           "Führungskräfte Schulung", "Kulturwandel"]

# One process per code version: reads one JSON command per line, answers one JSON line.
CHILD = r"""
import json, sys, time
from pathlib import Path
from tfatlas import finder
from tfatlas.search import SearchIndex
from tfatlas.store.embedded import EmbeddedStore

store = EmbeddedStore(Path(sys.argv[1]), sys.argv[2])
index = SearchIndex(Path(sys.argv[3]))
started = time.perf_counter()
offers = index.rebuild(store)
schemes = finder.load_schemes(store)
print(json.dumps({"offers": offers, "build_s": time.perf_counter() - started}), flush=True)


def result(q, with_index):
    return finder.find(store, finder.Search(filters={}, q=q), schemes, text_index=index if with_index else None)


def signature(r):
    return {"total": r.total, "mode": r.text_mode,
            "offers": [[o.iri, o.label, o.rank, o.exact, o.why, o.title_marks, o.snippet, o.description, o.provider,
                        o.offer_types, o.delivery_modes, o.cost_models, o.audiences, o.topics, o.challenges, o.page,
                        o.email, o.contact_url] for o in r.offers],
            "facets": {name: [[v.iri, v.count] for v in values] for name, values in r.facets.items()}}


for line in sys.stdin:
    command = json.loads(line)
    if command["do"] == "text":  # the index's own search, the text step alone
        times = []
        for q in command["queries"]:
            for _ in range(command["runs"]):
                t = time.perf_counter()
                index.search(q, limit=0)
                times.append((time.perf_counter() - t) * 1000)
        print(json.dumps({"times": times}), flush=True)
        continue
    with_index = command["do"] != "sparql"
    answer = {"times": {}, "signatures": {}}
    for q in command["queries"]:
        times = []
        for _ in range(command["runs"]):
            t = time.perf_counter()
            r = result(q, with_index)
            times.append((time.perf_counter() - t) * 1000)
        answer["times"][q] = times
        answer["signatures"][q] = signature(r)
    print(json.dumps(answer), flush=True)
store.close()
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class Child:
    def __init__(self, code: Path, store: Path, index: Path):
        env = {**os.environ, "PYTHONPATH": str(code)}
        self.process = subprocess.Popen([sys.executable, "-c", CHILD, str(store), BASE, str(index)], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ready = self.read()

    def read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"a benchmark process ended (exit code {self.process.wait()})")
        return json.loads(line)

    def ask(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=120)


def run_size(size: str, args, old_code: Path) -> bool:
    work = Path(tempfile.mkdtemp(prefix=f"finder-search-{size}-"))
    try:
        store = EmbeddedStore(work / "store-now", BASE)
        started = time.perf_counter()
        report = store.load(sources_for([data_file(size)], BASE, graph=BASE + "graph/data/bench"))
        store.close()
        print(f"\n## {size}: {report.triples:,} triples loaded in {time.perf_counter() - started:.1f} s, "
              f"load average {os.getloadavg()[0]:.1f}")
        shutil.copytree(work / "store-now", work / "store-before", symlinks=True)
        wanted = args.variants.split(",")
        before = Child(old_code, work / "store-before", work / "index-before") if wanted != ["now"] else None
        now = Child(REPO / "server", work / "store-now", work / "index-now")
        children = [(name, child) for name, child in (("before", before), ("now", now)) if child is not None]
        for name, child in children:
            print(f"index of {child.ready['offers']:,} offers built in {child.ready['build_s']:.1f} s ({name})")
        variants = tuple(v for v in (("sparql", before, "sparql"), ("index", before, "index"), ("now", now, "index"))
                         if v[0] in wanted)
        times: dict[str, dict[str, list[float]]] = {name: {q: [] for q in QUERIES} for name, _, _ in variants}
        signatures: dict[str, dict] = {}
        for round_ in range(args.rounds):
            for name, child, do in (variants if round_ % 2 == 0 else variants[::-1]):
                runs = args.sparql_runs if do == "sparql" else args.runs
                answer = child.ask(do=do, queries=QUERIES, runs=runs)
                for q, ts in answer["times"].items():
                    times[name][q].extend(ts)
                signatures[name] = answer["signatures"]
        text = {name: child.ask(do="text", queries=QUERIES, runs=args.runs * args.rounds)["times"]
                for name, child in children}
        for _, child in children:
            child.close()

        print(f"{'query':26}" + "".join(f"{name + ' p50':>13}{'p90':>10}" for name, _, _ in variants)
              + "  matches " + "/".join(name for name, _, _ in variants))
        for q in QUERIES:
            cells = "".join(f"{percentile(times[n][q], .5):13.1f}{percentile(times[n][q], .9):10.1f}"
                            for n, _, _ in variants)
            print(f"{q:26}{cells}  " + "/".join(str(signatures[n][q]["total"]) for n, _, _ in variants))
        overall = "".join(f"{percentile(sum(times[n].values(), []), .5):13.1f}"
                          f"{percentile(sum(times[n].values(), []), .9):10.1f}" for n, _, _ in variants)
        print(f"{'all queries (ms)':26}{overall}")
        for name, ts in text.items():
            print(f"index search alone ({name}): p50 {percentile(ts, .5):.1f} ms, p90 {percentile(ts, .9):.1f} ms")
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
        if "index" not in signatures:
            print(f"results not compared (no {args.before} index path in this run)")
            return True
        different = [q for q in QUERIES if signatures["now"][q] != signatures["index"][q]]
        if different:
            print(f"RESULTS DIFFER from {args.before}'s index path for: {', '.join(different)}")
        else:
            print(f"results equal to {args.before}'s index path (totals, pages, explanations, facet counts)")
        return not different
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1M", help="comma-separated: " + ", ".join(SIZES))
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds")
    parser.add_argument("--runs", type=int, default=5, help="runs per query and round")
    parser.add_argument("--sparql-runs", type=int, default=1, help="runs per query and round without the index "
                        "(seconds each at 1M)")
    parser.add_argument("--before", default="541b71d", help="commit whose server/ is the 'before'")
    parser.add_argument("--variants", default="sparql,index,now",
                        help="which columns (comma-separated; without sparql a 1M run takes minutes, not an hour)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a stopped run removes its copies too
    print("Machine-dependent; compare before and after within one run only.")
    with tempfile.TemporaryDirectory(prefix="finder-search-code-") as tmp:
        old_code = old_code_tree(args.before, Path(tmp))
        equal = [run_size(size.strip(), args, old_code) for size in args.sizes.split(",")]
    sys.exit(0 if all(equal) else 1)


if __name__ == "__main__":
    main()
