"""How well /reconcile finds organisations named as other registries name them (relevance, not speed).

Reads bench/reconcile_names.tsv (name, expected IRI, what makes it hard, who writes it so), asks the
reconciliation service for each name with type organisation or unit, and reports hit@1, hit@3,
the mean reciprocal rank, how many were marked `match`, and every miss.

    .venv/bin/python bench/reconcile.py                         # in-process over the seed data
    .venv/bin/python bench/reconcile.py --url http://127.0.0.1:8080/reconcile   # a running atlas
    .venv/bin/python bench/reconcile.py --json                  # for programs (the test uses it)
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))
NAMES = Path(__file__).with_name("reconcile_names.tsv")
BASE = "https://w3id.org/tfatlas/"
TYPES = ["organisation", "unit"]


def read_names(path: Path = NAMES) -> list[dict]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def ranked_in_process(names: list[str]) -> list[list[str]]:
    from tfatlas.config import load_config
    from tfatlas.linking.reconcile import ReconcileService, Settings
    from tfatlas.model.loading import model_sources
    from tfatlas.store.embedded import EmbeddedStore

    config = load_config(environ={})
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp) / "store", BASE)
        try:
            store.load(model_sources(BASE), replace=True)
            service = ReconcileService(store, Settings(config.reconcile_match_score, config.reconcile_match_margin))
            return [[(s.entity.id, s.match) for s in service.rank(n, TYPES, [])[:5]] for n in names]
        finally:
            store.close()


def ranked_over_http(url: str, names: list[str]) -> list[list[str]]:
    import requests

    batch = {f"q{i}": {"query": n, "type": TYPES, "limit": 5} for i, n in enumerate(names)}
    answer = requests.post(url, data={"queries": json.dumps(batch)}, timeout=120)
    answer.raise_for_status()
    result = answer.json()
    return [[(c["id"], c.get("match", False)) for c in result[f"q{i}"]["result"]] for i in range(len(names))]


def evaluate(rows: list[dict], ranked: list[list[tuple[str, bool]]]) -> dict:
    hits1 = hits3 = matches = wrong_matches = 0
    reciprocal = 0.0
    misses = []
    for row, candidates in zip(rows, ranked):
        expected = BASE + "id/" + row["expected"]
        ids = [c for c, _ in candidates]
        if ids[:1] == [expected]:
            hits1 += 1
        else:
            misses.append({"name": row["name"], "expected": expected, "got": ids[:3], "form": row["form"]})
        hits3 += expected in ids[:3]
        reciprocal += 1 / (ids.index(expected) + 1) if expected in ids else 0
        if candidates and candidates[0][1]:
            matches += 1
            wrong_matches += candidates[0][0] != expected
    n = len(rows)
    return {"names": n, "hit@1": round(hits1 / n, 3), "hit@3": round(hits3 / n, 3),
            "mrr": round(reciprocal / n, 3), "matches": matches, "wrong_matches": wrong_matches,
            "misses": misses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running atlas's /reconcile (default: in-process over the seed data)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    rows = read_names()
    names = [r["name"] for r in rows]
    ranked = ranked_over_http(args.url, names) if args.url else ranked_in_process(names)
    figures = evaluate(rows, ranked)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    print(f"{figures['names']} names: hit@1 {figures['hit@1']}, hit@3 {figures['hit@3']}, MRR {figures['mrr']}, "
          f"{figures['matches']} marked match ({figures['wrong_matches']} of them wrong)")
    for miss in figures["misses"]:
        print(f"  miss ({miss['form']}): {miss['name']!r} -> {miss['got']} (expected {miss['expected']})")


if __name__ == "__main__":
    main()
