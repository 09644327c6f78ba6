"""Full SHACL validation and `tfatlas load` with validation: before, after and plain pySHACL, in one run.

For each size (default 100k and 1M generated triples, see generate.py), in alternating order over
``--rounds`` rounds, each run in its own process (wall seconds; peak memory is that process's
maximum RSS, from wait4):

* full validation of a store: an on-disk Oxigraph store holding the ontology, the vocabularies
  and the data, validated in place (``validation.validate_store``) by this checkout ("after") and by
  ``server/`` of ``--before`` (default 541b71d, extracted with ``git archive``);
* full validation of the file as ``tfatlas validate FILE`` does (``validation.validate_files``),
  before and after;
* plain pySHACL: the file and the ontology and vocabularies parsed by rdflib into one graph,
  ``pyshacl.validate`` with ``allow_warnings``.

Every run prints its number of results; a size whose runs disagree fails the run. Then, at the
largest size, ``tfatlas load`` of the file into a fresh store with validation on (the default),
before and after, and with ``--force`` (no validation) for comparison.

    .venv/bin/python bench/validate.py                          # 100k and 1M, 3 rounds
    .venv/bin/python bench/validate.py --sizes 10k --rounds 1   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tools"))
from generate import PRESETS, generate  # noqa: E402
from seed_release_sums import old_code_tree  # noqa: E402

# A child prints one JSON line: {"results": n}. Logging of rdflib's ill-typed literals is muted.
STORE = """
import json, logging, sys
logging.getLogger("rdflib.term").setLevel(logging.ERROR)
import pyoxigraph as ox
from tfatlas import validation
store = ox.Store(sys.argv[1])
report = validation.validate_store(store)
print(json.dumps({"results": len(report.findings)}))
"""
FILE = """
import json, logging, sys
logging.getLogger("rdflib.term").setLevel(logging.ERROR)
from pathlib import Path
from tfatlas import validation
report = validation.validate_files([Path(sys.argv[1])])
print(json.dumps({"results": len(report.findings)}))
"""
PLAIN = """
import json, logging, sys
logging.getLogger("rdflib.term").setLevel(logging.ERROR)
import pyshacl, rdflib
data_file, shapes_file, *onto = sys.argv[1:]
graph = rdflib.Graph().parse(data_file, format="nt")
for f in onto:
    graph.parse(f)
_c, results, _t = pyshacl.validate(graph, shacl_graph=rdflib.Graph().parse(shapes_file), allow_warnings=True)
sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
print(json.dumps({"results": len(set(results.subjects(rdflib.RDF.type, sh.ValidationResult)))}))
"""
# The store the store rows validate: the ontology, the vocabularies and the data, bulk-loaded.
BUILD = """
import sys
import pyoxigraph as ox
store = ox.Store(sys.argv[1])
for path in sys.argv[2:]:
    fmt = ox.RdfFormat.N_TRIPLES if path.endswith(".nt") else ox.RdfFormat.TURTLE
    store.bulk_load(path=path, format=fmt, to_graph=ox.NamedNode("urn:bench:" + path.rsplit("/", 1)[-1]))
store.flush()
"""


def human(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def data_file(size: int) -> Path:
    path = HERE / "data" / f"{human(size)}.nt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        generate(size, str(path))
    return path


def model_files() -> tuple[list[str], str]:
    ontology = sorted(str(p) for p in (REPO / "ontology").rglob("*.ttl"))
    return ontology, str(REPO / "shapes" / "tfatlas-shapes.ttl")


def run(command: list[str], env: dict, timeout: float) -> dict:
    """Wall seconds, peak RSS (MiB) and the child's JSON line (or its error / timeout)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                return {"timeout_s": timeout}
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, error = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    result = {"s": seconds, "rss_mib": usage.ru_maxrss / 1024}
    if code != 0:
        result["error"] = error.strip()[-800:]
    else:
        lines = [line for line in text.splitlines() if line.startswith("{")]
        if lines:
            result.update(json.loads(lines[-1]))
    return result


def summary(name: str, runs: list[dict]) -> str:
    good = [r for r in runs if "s" in r and "error" not in r]
    if not good:
        return f"  {name:<22} " + "; ".join(r.get("error", "")[:200] or f"timeout {r['timeout_s']:.0f} s" for r in runs)
    seconds = [r["s"] for r in good]
    peaks = [r["rss_mib"] for r in good]
    results = sorted({r["results"] for r in good if "results" in r})
    failed = len(runs) - len(good)
    return (f"  {name:<22} {statistics.median(seconds):8.1f} s ({min(seconds):.1f}-{max(seconds):.1f})  "
            f"peak RSS {statistics.median(peaks):6.0f} MiB ({min(peaks):.0f}-{max(peaks):.0f})"
            + (f"  results {','.join(map(str, results))}" if results else "")
            + (f"  ({failed} failed or timed out)" if failed else ""))


def ratio(a: list[dict], b: list[dict]) -> str:
    sa = [r["s"] for r in a if "s" in r and "error" not in r]
    sb = [r["s"] for r in b if "s" in r and "error" not in r]
    return f"{statistics.median(sa) / statistics.median(sb):.2f}x" if sa and sb else "n/a"


def rounds(variants: dict, count: int) -> dict:
    """Each variant once per round, the order rotated every round."""
    names = list(variants)
    runs: dict = {name: [] for name in names}
    for round_ in range(count):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            runs[name].append(variants[name]())
            print(f"    round {round_ + 1} {name}: {json.dumps(runs[name][-1])}", flush=True)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100k,1M", help="comma-separated presets (10k, 100k, 1M)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default="541b71d", help="commit whose server/ is the 'before'")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    parser.add_argument("--skip-load", action="store_true", help="leave out tfatlas load with validation")
    args = parser.parse_args()

    ontology, shapes = model_files()
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        tmp = Path(tmp)
        old = old_code_tree(args.before, tmp / "before")
        env = {"after": {**os.environ, "PYTHONPATH": str(REPO / "server")},
               "before": {**os.environ, "PYTHONPATH": str(old)}}
        for value in env.values():
            value.pop("TFATLAS_STORE_URL", None)
        py = sys.executable
        report = []
        sizes = args.sizes.split(",")
        for name in sizes:
            path = data_file(PRESETS[name])
            store = tmp / f"store-{name}"
            subprocess.run([py, "-c", BUILD, str(store), *ontology, str(path)], check=True)
            print(f"{name}: full validation, {args.rounds} rounds", flush=True)
            variants = {
                f"store {side}": (lambda side=side: run([py, "-c", STORE, str(store)], env[side], args.timeout))
                for side in ("before", "after")}
            variants.update({
                f"file {side}": (lambda side=side: run([py, "-c", FILE, str(path)], env[side], args.timeout))
                for side in ("before", "after")})
            variants["plain pySHACL"] = lambda: run([py, "-c", PLAIN, str(path), shapes, *ontology],
                                                    env["after"], args.timeout)
            runs = rounds(variants, args.rounds)
            shutil.rmtree(store)
            def counts(*variants):
                return {r.get("results") for v in variants for r in runs[v] if "results" in r}
            # the file rows report the data only, the store rows the context (concepts) as well
            same = (len(counts("store before", "store after", "plain pySHACL")) == 1
                    and len(counts("file before", "file after")) == 1)
            failed = failed or not same
            lines = [f"{name} full validation (load average {os.getloadavg()[0]:.1f})"]
            lines += [summary(variant, rs) for variant, rs in runs.items()]
            lines.append(f"  after/plain: store {ratio(runs['store after'], runs['plain pySHACL'])}, "
                         f"file {ratio(runs['file after'], runs['plain pySHACL'])}; after/before: store "
                         f"{ratio(runs['store after'], runs['store before'])}, file "
                         f"{ratio(runs['file after'], runs['file before'])}; same number of results: "
                         + ("yes" if same else "NO"))
            report.extend(lines)
            print("\n".join(lines), flush=True)
        if not args.skip_load:
            name = sizes[-1]
            path = data_file(PRESETS[name])
            print(f"{name}: tfatlas load, {args.rounds} rounds", flush=True)

            def load(side: str, *flags: str) -> dict:
                target = tmp / "load-store"
                shutil.rmtree(target, ignore_errors=True)
                command = [py, "-m", "tfatlas", "--store", str(target)]
                made = run(command + ["init"], env[side], args.timeout)
                if "error" in made:
                    return made
                return run(command + ["load", "--no-progress", *flags, str(path)], env[side], args.timeout)
            runs = rounds({"validated before": lambda: load("before"), "validated after": lambda: load("after"),
                           "--force after": lambda: load("after", "--force")}, args.rounds)
            lines = [f"{name} tfatlas load into a fresh store (load average {os.getloadavg()[0]:.1f})"]
            lines += [summary(variant, rs) for variant, rs in runs.items()]
            report.extend(lines)
            print("\n".join(lines), flush=True)
        print("\n" + "\n".join(report))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
