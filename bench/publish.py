"""`tfatlas publish`, this checkout's code against main's code of a named commit, in one run.

Both publish the same on-disk store (generated data plus the shipped model), each in its own
process (peak memory is that process's maximum RSS, from wait4), in alternating order, several
rounds; the "before" is ``server/`` of ``--before`` (default 541b71d, main before issue 14's
second session; 5f3ebca is main before the streaming rewrite) extracted into a temporary directory. The two releases must be byte-identical
(same SHA256SUMS), or the run fails.

    .venv/bin/python bench/publish.py                          # 1M triples, 3 rounds
    .venv/bin/python bench/publish.py --triples 100k --rounds 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path
import tempfile

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tools"))
from generate import generate, parse_size  # noqa: E402
from load import BEFORE, Run, measure  # noqa: E402
from seed_release_sums import old_code_tree  # noqa: E402

BASE = "https://w3id.org/tfatlas/"
CHILD = """
import sys
from pathlib import Path
from tfatlas.config import load_config
from tfatlas.model.loading import model_sources, sources_for
from tfatlas.store import open_store
store = open_store(load_config(cli={"store": sys.argv[1]}, environ={}))
if sys.argv[2] == "load":
    store.load(model_sources(%(base)r) + sources_for([Path(sys.argv[3])], %(base)r), replace=True)
else:
    from tfatlas.publish.release import publish
    publish(store, sys.argv[3])
store.close()
""" % {"base": BASE}


def row(name: str, runs: list[Run]) -> str:
    seconds = [r.seconds for r in runs]
    cpu = [r.cpu for r in runs]
    peaks = [r.peak / 2**20 for r in runs]
    return (f"{name:<8} {statistics.median(seconds):7.1f} s ({min(seconds):.1f}-{max(seconds):.1f})  "
            f"CPU {statistics.median(cpu):7.1f} s ({min(cpu):.1f}-{max(cpu):.1f})  "
            f"peak RSS {statistics.median(peaks):6.0f} MiB ({min(peaks):.0f}-{max(peaks):.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--triples", default="1M")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default=BEFORE, help=f"commit whose server/ is the 'before' (default {BEFORE})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        tmp = Path(tmp)
        data = tmp / "data.nt"
        count = generate(parse_size(args.triples), str(data))
        old = old_code_tree(args.before, tmp / "before")
        env_after = {**os.environ, "PYTHONPATH": str(REPO / "server")}
        env_before = {**os.environ, "PYTHONPATH": str(old)}
        store = str(tmp / "store")
        measure([sys.executable, "-c", CHILD, store, "load", str(data)], env_after)
        runs: dict[str, list] = {"before": [], "after": []}
        for round_ in range(args.rounds):
            order = ("before", "after") if round_ % 2 == 0 else ("after", "before")
            for name in order:
                out = tmp / f"release-{name}"
                env = env_before if name == "before" else env_after
                runs[name].append(measure([sys.executable, "-c", CHILD, store, "publish", str(out)], env))
        same = (tmp / "release-before" / "SHA256SUMS").read_bytes() == (tmp / "release-after" / "SHA256SUMS").read_bytes()
        print(f"tfatlas publish, {count:,} generated triples + the model, {args.rounds} rounds, "
              f"load average {os.getloadavg()[0]:.1f}")
        print(row("before", runs["before"]) + f"   ({args.before})")
        print(row("after", runs["after"]) + "   (this checkout)")
        print("releases byte-identical (SHA256SUMS):", "yes" if same else "NO")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
