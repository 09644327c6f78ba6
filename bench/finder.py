"""The finder API's latency next to the engine's own time for the same query, in the same run.

For each size (default 100k and 1M generated triples, made with bench/generate.py when missing):

1. load the file into an embedded store on disk, and copy that store, so that
2. `tfatlas serve` answers over one copy while this process opens the other in-process;
3. in alternating rounds (ABAB), measure
   - A: GET /api/queries/<query>?<params> over HTTP (keep-alive, JSON answer), and
   - B: the same bound SPARQL text evaluated in-process by pyoxigraph, results consumed;
4. report medians and the difference (what the web layer adds: parameter checks, the scheme
   membership check, JSON conversion, HTTP and gunicorn).

It also measures, in-process, the three ways of binding a parameter (VALUES first in the WHERE
group, as the atlas does; a trailing VALUES clause; pyoxigraph's `substitutions`), so the choice in
tfatlas/stored_queries.py stays backed by figures, and the finder page `/` with the same filter.

    .venv/bin/python bench/finder.py                       # 100k and 1M
    .venv/bin/python bench/finder.py --sizes 100k --rounds 3 --seconds 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qsl

import pyoxigraph as ox
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO / "bench"))

from tfatlas.sparql import stored_queries as sq  # noqa: E402
from tfatlas.model.loading import sources_for  # noqa: E402
from tfatlas.store.embedded import EmbeddedStore  # noqa: E402

BASE = "https://w3id.org/tfatlas/"
SIZES = {"100k": 100_000, "1M": 1_000_000, "10k": 10_000}


def data_file(size: str) -> Path:
    path = REPO / "bench" / "data" / f"{size}.nt"
    if not path.exists():
        from generate import generate

        path.parent.mkdir(parents=True, exist_ok=True)
        generate(SIZES[size], str(path))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(action, seconds: float, max_runs: int) -> list[float]:
    """Milliseconds per run, for at least 3 runs and at most `seconds` or `max_runs`."""
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(times) < 3 or (time.perf_counter() < deadline and len(times) < max_runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def start_server(store: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "TFATLAS_STORE": str(store), "TFATLAS_BASE_IRI": BASE,
           "PYTHONPATH": str(REPO / "server")}
    env.pop("TFATLAS_STORE_URL", None)
    # The server's own output goes to a file: when it dies in a run, its last lines say why.
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "tfatlas", "serve", "--port", str(port)], env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/-/health", timeout=2).status_code == 200:
                return process, url
        except requests.RequestException:
            pass
        if process.poll() is not None:
            raise SystemExit(f"tfatlas serve exited with {process.returncode}")
        time.sleep(0.2)
    process.kill()
    raise SystemExit("tfatlas serve did not become healthy in 120 s")


def trailing_values(sparql: str, bindings) -> str:
    """The same bindings as one VALUES clause after the query (the grammar allows only one there)."""
    names = " ".join(f"?{n}" for n in bindings)
    row = " ".join(str(ts[0]) for ts in bindings.values())
    return sparql.rstrip() + f"\nVALUES ({names}) {{ ({row}) }}\n"


def measure_case(size: str, case: str, args, engine, url: str, session, variants: bool) -> None:
    name, _, query_string = case.partition("?")
    query = sq.discover()[name]
    params = dict(parse_qsl(query_string))
    bindings = sq.bind(query, {k: [v] for k, v in params.items()}, engine)
    text = sq.with_values(query.sparql, bindings)
    rows = len(list(engine.query(text)))
    print(f"\n### {size}, {name} with {params or 'no parameters'}: {rows} rows")
    api_url = f"{url}/api/queries/{name}"
    answer = session.get(api_url, params=params, timeout=600)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["rows"]) == rows, "the API and the engine disagree"

    def over_http():
        session.get(api_url, params=params, timeout=600).raise_for_status()

    def in_process():
        for _ in engine.query(text):
            pass

    def scheme_check():
        for param, terms in bindings.items():
            if query.params[param].scheme:
                sq.in_scheme(engine, terms[0], query.params[param].scheme)

    http_times, engine_times, check_times = [], [], []
    for round_ in range(args.rounds):
        order = ((over_http, http_times), (in_process, engine_times))
        for action, sink in (order if round_ % 2 == 0 else order[::-1]):
            sink.extend(timed(action, args.seconds, args.max_runs))
        check_times.extend(timed(scheme_check, args.seconds / 4, args.max_runs))
    http_ms, engine_ms = statistics.median(http_times), statistics.median(engine_times)
    print(f"{'':34}{'median ms':>10}{'runs':>7}")
    print(f"{'API over HTTP (JSON)':34}{http_ms:10.2f}{len(http_times):7}")
    print(f"{'engine in-process (same text)':34}{engine_ms:10.2f}{len(engine_times):7}")
    print(f"{'  scheme checks (engine)':34}{statistics.median(check_times):10.2f}{len(check_times):7}")
    print(f"{'web layer adds':34}{http_ms - engine_ms:10.2f}   (ratio {http_ms / engine_ms:.3f}; target: at most 1 ms)")
    if not variants:
        return
    # The three ways of binding, in-process on the same store.
    ways = {
        "VALUES first in WHERE (atlas)": lambda: engine.query(text),
        "trailing VALUES clause": lambda: engine.query(trailing_values(query.sparql, bindings)),
        "pyoxigraph substitutions": lambda: engine.oxigraph.query(
            query.sparql, use_default_graph_as_union=True,
            substitutions={ox.Variable(n): ts[0] for n, ts in bindings.items()}),
    }
    print("binding variants (in-process):")
    for way, make in ways.items():
        try:
            count = len(list(make()))
        except (RuntimeError, SyntaxError, OSError) as exc:
            print(f"  {way:32}  not usable: {exc}")
            continue
        times = timed(lambda: [None for _ in make()], args.seconds, args.max_runs)
        note = "" if count == rows else f"  <- {count} rows, not {rows}: different semantics"
        print(f"  {way:32}{statistics.median(times):10.2f} ms{note}")


def run_size(size: str, args) -> None:
    path = data_file(size)
    work = Path(tempfile.mkdtemp(prefix=f"finder-bench-{size}-"))
    try:
        started = time.perf_counter()
        store = EmbeddedStore(work / "a", BASE)
        report = store.load(sources_for([path], BASE, graph=BASE + "graph/data/bench"))
        store.close()
        shutil.copytree(work / "a", work / "b", ignore=shutil.ignore_patterns("lock"))
        print(f"\n## {size}: {report.triples:,} triples loaded in {time.perf_counter() - started:.1f} s")
        engine = EmbeddedStore(work / "b", BASE)
        server, url = start_server(work / "a", work / "server.log")
        session = requests.Session()
        try:
            for index, case in enumerate(args.case):
                measure_case(size, case, args, engine, url, session,
                             variants=index == 0 and size in args.variants.split(","))
            filters = dict(parse_qsl(args.case[0].partition("?")[2]))
            finder_times = timed(lambda: session.get(url + "/", params={
                k: v for k, v in filters.items() if k in ("challenge", "topic")}, timeout=600).raise_for_status(),
                args.seconds, args.max_runs)
            print(f"\nfinder page / with {filters}: median {statistics.median(finder_times):.2f} ms "
                  f"({len(finder_times)} runs; facets, ranking, details: about ten queries; facet counts "
                  "and text matches come from the finder's cache after the first run on a store state)")
        except requests.ConnectionError:
            lines = (work / "server.log").read_text(errors="replace").splitlines()
            print(f"the server stopped answering (exit code {server.poll()}); its last lines:")
            print("\n".join(line for line in lines[-15:] if "GET /" not in line))
            raise
        finally:
            session.close()  # gunicorn's graceful stop waits for open keep-alive connections
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            engine.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1M")
    parser.add_argument("--case", action="append", default=None,
                        help="query?name=value&... (repeatable); the first also gets the binding variants")
    parser.add_argument("--variants", default="100k", help="sizes that also get the binding variants "
                        "(the trailing VALUES clause is slow: 21 s at 100k)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per phase and round")
    parser.add_argument("--max-runs", type=int, default=200)
    args = parser.parse_args()
    if args.case is None:
        args.case = [
            f"who-helps?challenge={BASE}id/challenge/agiles-team-aufbauen&topic={BASE}id/topic/scrum",
            f"actors-by-topic?topic={BASE}id/topic/scrum",
        ]
    for size in args.sizes.split(","):
        run_size(size.strip(), args)


if __name__ == "__main__":
    main()
