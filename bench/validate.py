"""Benchmark: SHACL validation of the atlas, targeted and full, next to plain pySHACL in the same run.

For each size (default 100k and 1M generated triples, see generate.py):

1. An embedded store (on disk) with the ontology, the vocabularies and the generated data.
2. Targeted: one new offer (about 20 triples) that points to an actor, concepts and a source page
   in the store is validated against the store (validation.validate_entry): only the entry and the
   bounded neighbourhood fetched by CONSTRUCT are checked. Reference: plain pySHACL on the same
   entry alone with the ontology as ont_graph (which cannot see the provider in the store).
3. Full: the generated file validated as `tfatlas validate FILE` does (Oxigraph parse, pySHACL over
   an in-memory Oxigraph store), the on-disk store validated in place (validation.validate_store),
   and plain pySHACL (rdflib parse + pySHACL with ont_graph) in a subprocess with a timeout.

    .venv/bin/python bench/validate.py                      # 100k and 1M
    .venv/bin/python bench/validate.py --sizes 10k --plain-timeout 120
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "server"))

from generate import PRESETS, generate  # noqa: E402

from tfatlas import validation  # noqa: E402
from tfatlas.model.loading import sources_for  # noqa: E402
from tfatlas.model.files import model_dir  # noqa: E402
from tfatlas.store.embedded import EmbeddedStore  # noqa: E402

BASE = "https://w3id.org/tfatlas/"
ENTRY = """
@prefix tfa: <https://w3id.org/tfatlas/ontology#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix schema: <https://schema.org/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix id: <https://w3id.org/tfatlas/id/> .

<https://w3id.org/tfatlas/id/offer/bench-neues-angebot-{n}> a tfa:Offer , schema:Course ;
    rdfs:label "Neues Angebot {n}"@de , "New offer {n}"@en ;
    dct:description "Ein neues Angebot für den Benchmark."@de ;
    tfa:providedBy <{provider}> ;
    tfa:hasTopic <https://w3id.org/tfatlas/id/topic/scrum> , <https://w3id.org/tfatlas/id/topic/ki> ;
    tfa:addressesChallenge <https://w3id.org/tfatlas/id/challenge/agile-arbeitsweisen-einfuehren> ;
    dct:audience <https://w3id.org/tfatlas/id/target-group/beschaeftigte> ;
    dct:type <https://w3id.org/tfatlas/id/offer-type/schulung> ;
    tfa:deliveryMode <https://w3id.org/tfatlas/id/delivery-mode/online> ;
    tfa:costModel <https://w3id.org/tfatlas/id/cost-model/kostenfrei> ;
    tfa:developsCompetency <https://w3id.org/tfatlas/id/competency/agile-methodenkompetenz> ;
    foaf:page <https://example.org/angebote/{n}> ;
    dcat:contactPoint [ a vcard:Organization ; vcard:hasEmail <mailto:kurse@example.org> ] ;
    dct:source <{page}> ;
    dct:modified "2026-11-26"^^xsd:date .
"""

PLAIN = r"""
import json, logging, sys, time
logging.getLogger("rdflib.term").setLevel(logging.ERROR)
import pyshacl, rdflib
from pathlib import Path
data_file, shapes_file, *onto = sys.argv[1:]
t = time.perf_counter()
data = rdflib.Graph().parse(data_file, format="nt")
ont = rdflib.Graph()
for f in onto:
    ont.parse(f)
shapes = rdflib.Graph().parse(shapes_file)
parsed = time.perf_counter() - t
t = time.perf_counter()
conforms, results, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ont, allow_warnings=True)
validated = time.perf_counter() - t
results_count = len(set(results.subjects(rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/shacl#ValidationResult"))))
print(json.dumps({"parse_s": parsed, "validate_s": validated, "results": results_count, "conforms": conforms}))
"""


def human(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def data_file(size: int) -> Path:
    path = HERE / "data" / f"{human(size)}.nt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        generate(size, str(path))
    return path


def one(store, sparql: str) -> str:
    return next(iter(store.query(sparql)))[0].value


def targeted(store, context, runs: int) -> dict:
    provider = one(store, "SELECT ?o WHERE { ?o a <https://w3id.org/tfatlas/ontology#TransformationActor> } LIMIT 1")
    page = one(store, "SELECT ?p WHERE { ?p a <http://xmlns.com/foaf/0.1/Document> } LIMIT 1")
    times, checked = [], None
    for n in range(runs):
        text = ENTRY.format(n=n, provider=provider, page=page)
        started = time.perf_counter()
        report = validation.validate_entry(text, store=store, context=context)
        times.append(time.perf_counter() - started)
        assert report.conforms, report.text("en")
        checked = report.checked
    # The same entry with a wrong provider (a concept) must be refused.
    wrong = ENTRY.format(n="x", provider="https://w3id.org/tfatlas/id/topic/ki", page=page)
    refused = not validation.validate_entry(wrong, store=store, context=context).conforms

    # Neighbourhood size: what the store contributes for one entry.
    workspace = validation.Workspace(context)
    import pyoxigraph as ox
    workspace.add_data(ox.parse(ENTRY.format(n=0, provider=provider, page=page).encode(), ox.RdfFormat.TURTLE))
    neighbourhood = validation.add_neighbourhood(workspace, store)

    # Reference: plain pySHACL on the entry alone (ontology and vocabularies as ont_graph).
    import pyshacl
    import rdflib

    ont = rdflib.Graph()
    for path in validation.context_files()[0]:
        ont.parse(path, format="json-ld" if path.suffix == ".jsonld" else "turtle")
    plain = []
    for n in range(runs):
        graph = rdflib.Graph().parse(data=ENTRY.format(n=n, provider=provider, page=page), format="turtle")
        started = time.perf_counter()
        pyshacl.validate(graph, shacl_graph=context.shapes, ont_graph=ont, allow_warnings=True)
        plain.append(time.perf_counter() - started)
    return {"median_ms": statistics.median(times) * 1000, "p90_ms": sorted(times)[int(0.9 * len(times)) - 1] * 1000,
            "checked_entries": checked, "neighbourhood_triples": neighbourhood, "wrong_provider_refused": refused,
            "plain_entry_alone_median_ms": statistics.median(plain) * 1000}


MINE = r"""
import json, logging, sys, time
logging.getLogger("rdflib.term").setLevel(logging.ERROR)
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from tfatlas import validation
context = validation.load_context()
context.shapes_graph()
t = time.perf_counter()
report = validation.validate_files([Path(sys.argv[1])], context=context)
print(json.dumps({"validate_s": time.perf_counter() - t, "violations": len(report.violations),
                  "warnings": len(report.warnings), "checked": report.checked}))
"""


def mine_full(path: Path, timeout: float) -> dict:
    """`tfatlas validate FILE` (Oxigraph parse, pySHACL on an in-memory Oxigraph store), capped."""
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", MINE, str(path), str(REPO / "server")],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout_s": timeout, "wall_s": time.perf_counter() - started}
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-500:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    return result


def plain_full(path: Path, timeout: float) -> dict:
    onto, shapes = validation.context_files()
    onto = [p for p in onto if p.suffix == ".ttl"]
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", PLAIN, str(path), str(shapes[0]), *map(str, onto)],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout_s": timeout, "wall_s": time.perf_counter() - started}
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-500:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100k,1M", help="comma-separated presets (10k, 100k, 1M)")
    parser.add_argument("--runs", type=int, default=20, help="targeted validations per size")
    parser.add_argument("--plain-timeout", type=float, default=1800, help="seconds for plain pySHACL per size")
    parser.add_argument("--full-timeout", type=float, default=3600, help="seconds for the atlas's full validation")
    parser.add_argument("--skip-full", action="store_true", help="only the targeted validation")
    parser.add_argument("--skip-store-full", action="store_true", help="skip validating the store in place")
    args = parser.parse_args()
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)

    context = validation.load_context()
    context.shapes_graph()
    summary = {}
    for name in args.sizes.split(","):
        size = PRESETS[name]
        path = data_file(size)
        row: dict = {}
        with tempfile.TemporaryDirectory(prefix="tfatlas-bench-") as tmp:
            store = EmbeddedStore(Path(tmp) / "store", BASE)
            started = time.perf_counter()
            store.load(sources_for([model_dir("ontology")], BASE, kind="ontology")
                       + sources_for([path], BASE, kind="data"))
            row["store_triples"] = store.stats().triples
            row["store_load_s"] = time.perf_counter() - started
            row["targeted"] = targeted(store, context, args.runs)
            print(name, "targeted", json.dumps(row["targeted"]), flush=True)
            if not args.skip_full and not args.skip_store_full:
                started = time.perf_counter()
                report = validation.validate_store(store, context=context)
                row["full_store_in_place_s"] = time.perf_counter() - started
                row["full_store_results"] = {"violations": len(report.violations), "warnings": len(report.warnings)}
                print(name, "full store in place", f"{row['full_store_in_place_s']:.1f} s", flush=True)
            store.close()
        if not args.skip_full:
            row["full_file"] = mine_full(path, args.full_timeout)
            print(name, "full file (tfatlas validate)", json.dumps(row["full_file"]), flush=True)
            row["plain_pyshacl"] = plain_full(path, args.plain_timeout)
            print(name, "plain pySHACL", json.dumps(row["plain_pyshacl"]), flush=True)
            mine, plain = row["full_file"], row["plain_pyshacl"]
            if all("wall_s" in r and "timeout_s" not in r and "error" not in r for r in (mine, plain)):
                row["ratio_plain_over_full_file"] = plain["wall_s"] / mine["wall_s"]
        summary[name] = row
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
