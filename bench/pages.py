"""Linked-data pages at scale: how long a page takes next to reading the resource's statements raw.

Loads generated atlas data (bench/generate.py) into an embedded store, then times, through the
Flask app, the HTML page and the Turtle of three resources (the most-used topic, with thousands of
incoming links and therefore many pages; an actor; an offer) and, as the reference in the same
run, the bare store query for the same statements (``SELECT ?p ?o`` out and ``?s ?p`` in).
Reported: medians in ms and the ratio page / reference.

    .venv/bin/python bench/pages.py --triples 100k
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def median_ms(action, repeat: int) -> float:
    action()  # warm caches once
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", default="100k", help="size of the generated data (10k, 100k, 1M)")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    from generate import generate, parse_size  # bench/generate.py

    from tfatlas.model import formats as rdfformats
    from tfatlas.config import load_config
    from tfatlas.model.loading import model_sources
    from tfatlas.store import Source
    from tfatlas.store.embedded import EmbeddedStore
    from tfatlas.web.app import create_app

    work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    data = work / "data.nt"
    generate(parse_size(args.triples), str(data))
    config = load_config(environ={"TFATLAS_STORE": str(work / "store")})
    store = EmbeddedStore(config.store, config.base_iri)
    ontology_only = [s for s in model_sources(config.base_iri) if "/graph/data/" not in s.graph]
    store.load(ontology_only + [Source(data, rdfformats.by_name("ntriples"), config.base_iri + "graph/data/bench")])
    client = create_app(config, store).test_client()
    tfa = config.base_iri + "ontology#"

    def first(sparql: str) -> str:
        return next(iter(store.query(sparql)))["x"].value

    resources = {
        "most-used topic": first("SELECT ?x (COUNT(*) AS ?n) WHERE { ?s ?p ?x . ?x a "
                                 "<http://www.w3.org/2004/02/skos/core#Concept> } GROUP BY ?x ORDER BY DESC(?n) LIMIT 1"),
        "actor": first(f"SELECT ?x WHERE {{ ?x a <{tfa}TransformationActor> }} ORDER BY ?x LIMIT 1"),
        "offer": first(f"SELECT ?x WHERE {{ ?x a <{tfa}Offer> }} ORDER BY ?x LIMIT 1"),
    }
    print(f"{args.triples} generated triples, {args.repeat} runs each, medians")
    print(f"{'resource':18} {'statements':>10} {'raw ms':>8} {'HTML ms':>8} {'ratio':>6} {'Turtle ms':>9} {'ratio':>6}")
    for name, iri in resources.items():
        path = "/" + iri[len(config.base_iri):]

        def raw():
            out = list(store.query(f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"))
            inc = list(store.query(f"SELECT ?s ?p WHERE {{ ?s ?p <{iri}> }}"))
            return len(out) + len(inc)

        count = raw()
        reference = median_ms(raw, args.repeat)
        page = median_ms(lambda: client.get(path, headers={"Accept": "text/html"}), args.repeat)
        turtle = median_ms(lambda: client.get(path, headers={"Accept": "text/turtle"}), args.repeat)
        print(f"{name:18} {count:>10} {reference:>8.1f} {page:>8.1f} {page / reference:>6.1f} "
              f"{turtle:>9.1f} {turtle / reference:>6.1f}")
    store.close()


if __name__ == "__main__":
    main()
