"""The atlas's app under two HTTP servers: gunicorn gthread (before issue 13) and waitress (now).

For each candidate the same store (a copy per candidate) is served with the result cache off
(TFATLAS_RESULT_CACHE_MB=0), so every request reaches the engine path. Then:

1. throughput on /sparql with bench/endpoint.py's domain query mix, the candidates and
   ``oxigraph serve`` in memory interleaved (order rotated each round), as ratios to oxigraph;
2. slow clients (bench/slow_clients.py): N connections held mid-request, while fresh
   connections probe ``/-/health`` and ``ASK {}``; answered probes and their latency.

    .venv/bin/python bench/server_choice.py --size 10k --seconds 5 --rounds 2
    .venv/bin/python bench/server_choice.py --size 100k --seconds 10 --rounds 5 --slow 64

gunicorn is no longer a dependency of the atlas: ``pip install gunicorn==27.0.1`` to run the
gthread candidate (it is skipped, with a message, when gunicorn is not installed).
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

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from endpoint import (GRAPH, Target, ensure_data, first_answers, free_port, run_phase,  # noqa: E402
                      start_oxigraph, stop, wait_until_idle, wait_until_up)
from slow_clients import PROBES, SlowClients, probe  # noqa: E402

CANDIDATES = ("gthread", "waitress")


def serve(kind: str, port: int) -> None:
    """Run the app under ``kind`` in this process (the --serve mode of this script)."""
    from tfatlas.config import load_config
    from tfatlas.web.app import create_app

    config = load_config().replace(port=port)

    def make_app():
        app = create_app(config)
        app.extensions["tfatlas.query_service"].warm_up()
        return app

    if kind == "waitress":
        from tfatlas.web.server import serve as run

        app = make_app()
        run(app, config, on_stop=app.extensions["tfatlas.query_service"].close)
        return
    from gunicorn.app.base import BaseApplication

    class Gthread(BaseApplication):  # the settings of tfatlas/web/server.py before issue 13
        def load_config(self):
            for key, value in {"bind": f"127.0.0.1:{port}", "workers": 1, "worker_class": "gthread",
                               "threads": config.threads, "timeout": 0, "limit_request_line": 0,
                               "control_socket_disable": True}.items():
                self.cfg.set(key, value)

        def load(self):  # in the worker, after gunicorn's fork (RocksDB does not survive a fork)
            return make_app()

    Gthread().run()


def start(kind: str, store: Path, workdir: Path) -> Target:
    port = free_port()
    env = {**os.environ, "TFATLAS_STORE": str(store), "TFATLAS_RESULT_CACHE_MB": "0"}
    env.pop("TFATLAS_STORE_URL", None)
    log = workdir / f"{kind}.log"
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port)], env=env,
                               stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/-/health", process, log)
    return Target(kind, f"http://127.0.0.1:{port}/sparql", process)


def slow_client_probe(target: Target, clients: int, hold: float) -> str:
    base = target.endpoint.rsplit("/sparql", 1)[0]
    port = int(base.rsplit(":", 1)[1])
    answered, failed = [], 0
    with SlowClients("127.0.0.1", port, clients, "mixed"):
        started = time.perf_counter()
        while time.perf_counter() - started < hold:
            for path in PROBES:
                seconds = probe(base, path, 5.0)
                if seconds is None:
                    failed += 1
                else:
                    answered.append(seconds)
    if not answered:
        return f"{clients} slow clients: 0 probes answered, {failed} failed (5 s timeout each)"
    return (f"{clients} slow clients: {len(answered)} probes answered, {failed} failed; "
            f"median {statistics.median(answered) * 1000:.0f} ms, max {max(answered) * 1000:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", choices=CANDIDATES, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--size", default="10k", help="a preset of bench/generate.py")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one measured phase")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slow", type=int, default=64, help="slow clients in the second part")
    parser.add_argument("--hold", type=float, default=10.0, help="seconds the slow clients are held")
    parser.add_argument("--data-dir", type=Path, default=BENCH / "data")
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0
    candidates = list(CANDIDATES)
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        print("gunicorn is not installed: the gthread candidate is skipped", flush=True)
        candidates.remove("gthread")
    data = ensure_data(args.size, args.data_dir)
    workdir = Path(tempfile.mkdtemp(prefix="bench-server-choice-"))
    targets: list[Target] = []
    try:
        store = workdir / "store"
        subprocess.run([sys.executable, "-m", "tfatlas", "--store", str(store), "load", "--no-progress",
                        "--force", "--graph", GRAPH, str(data)], check=True, stdout=subprocess.DEVNULL)
        for kind in candidates:
            shutil.copytree(store, workdir / f"store-{kind}")
            targets.append(start(kind, workdir / f"store-{kind}", workdir))
        targets.append(start_oxigraph(data, workdir))
        for target in targets:
            first_answers(target)
            wait_until_idle(target)
        results: dict[str, list[float]] = {t.name: [] for t in targets}
        for round_ in range(args.rounds):
            order = targets[round_ % len(targets):] + targets[:round_ % len(targets)]
            for target in order:
                run_phase(target, args.concurrency, 0.5, 100_000)  # warm up
                phase = run_phase(target, args.concurrency, args.seconds, 100_000)
                results[target.name].append(phase.throughput)
                print(f"  round {round_ + 1} {target.name:9s} {phase.throughput:7.1f} req/s "
                      f"({phase.requests} ok, {phase.errors} errors)", flush=True)
        reference = statistics.median(results["oxigraph"])
        print(f"\n{args.size}, concurrency {args.concurrency}, result cache off "
              f"(median of {args.rounds} rounds; oxigraph serve in memory {reference:.1f} req/s)")
        for kind in candidates:
            ratios = [a / o for a, o in zip(results[kind], results["oxigraph"]) if o]
            print(f"  {kind:9s} {statistics.median(results[kind]):7.1f} req/s, "
                  f"{statistics.median(ratios):.2f}x oxigraph (rounds {min(ratios):.2f}-{max(ratios):.2f})")
        print()
        for target in targets:
            if target.name in candidates:
                print(f"  {target.name:9s} {slow_client_probe(target, args.slow, args.hold)}", flush=True)
    finally:
        for target in targets:
            stop(target.process)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
