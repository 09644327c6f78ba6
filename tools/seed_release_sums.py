"""Print the SHA256SUMS of the seed release (the test store of tests/support/stores.py, published).

    .venv/bin/python tools/seed_release_sums.py                 # with the code of this checkout
    .venv/bin/python tools/seed_release_sums.py --code 5f3ebca  # server/ of that commit, this
                                                                # checkout's model and seed data

``--code`` is how tests/fixtures/seed-release/SHA256SUMS was made: the publish code from before
the streaming rewrite, run on the current seed data, so the fixture comes from the old code and
not from the code under test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODEL_DIRS = ("ontology", "shapes", "data", "queries")


def old_code_tree(commit: str, into: Path) -> Path:
    """server/ of ``commit`` under ``into``, beside links to this checkout's model directories
    (tfatlas finds its model next to server/)."""
    into.mkdir(parents=True, exist_ok=True)
    archive = into / "code.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), commit, "server"],
                   check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    for name in MODEL_DIRS:
        os.symlink(REPO / name, into / name)
    return into / "server"


def sums(out: Path) -> str:
    sys.path.insert(0, str(REPO / "tests"))
    from support.stores import build_store
    from tfatlas.publish.release import publish

    with build_store(out / "store") as store:
        publish(store, out / "release")
    return (out / "release" / "SHA256SUMS").read_text(encoding="ascii")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", help="commit whose server/ publishes (default: this checkout)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seed-release-") as tmp:
        tmp = Path(tmp)
        if args.code:
            server = old_code_tree(args.code, tmp)
            env = {**os.environ, "PYTHONPATH": str(server)}
            done = subprocess.run([sys.executable, __file__], env=env, capture_output=True, text=True)
            sys.stderr.write(done.stderr)
            if done.returncode:
                sys.exit(done.returncode)
            sys.stdout.write(done.stdout)
        else:
            sys.stdout.write(sums(tmp))


if __name__ == "__main__":
    main()
