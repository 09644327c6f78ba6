"""The embedded store under abuse: a load killed with SIGKILL midway, and a second process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from support.paths import REPO
from support.servers import tfatlas_command

sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402  (bench/ is not a package)

SMALL = '@prefix ex: <http://example.org/> .\nex:a a ex:Thing ; ex:name "A" .\n'
# rich draws its live bar only on a terminal; these make it draw into the pipe we read
LIVE_BAR = {"TTY_COMPATIBLE": "1", "FORCE_COLOR": "1", "COLUMNS": "200"}


def run(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(tfatlas_command() + list(args), capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    # Large enough that the bulk load runs for a few seconds on a shared 2-core machine.
    path = tmp_path_factory.mktemp("data") / "big.nt"
    generate(400_000, path)
    return path


def test_load_killed_midway_leaves_store_as_before(tmp_path, big_file):
    store = tmp_path / "store"
    small = tmp_path / "small.ttl"
    small.write_text(SMALL)
    graph = "http://example.org/graph/things"
    assert run("--store", str(store), "load", "--no-progress", "--graph", graph, str(small)).returncode == 0
    before = run("--store", str(store), "dump").stdout
    stats_before = run("--store", str(store), "stats", "--json").stdout
    assert '"A"' in before

    # --replace of the same graph: had any of it reached the store, "A" would be gone
    process = subprocess.Popen(
        # --force: the bulk path, no SHACL validation first, so the kill lands in the write
        tfatlas_command() + ["--store", str(store), "load", "--force", "--replace", "--graph", graph,
                             str(big_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **LIVE_BAR})
    loading = threading.Event()
    seen: list[bytes] = []

    def watch():
        for chunk in iter(lambda: process.stderr.read1(4096), b""):
            seen.append(chunk)
            counts = re.findall(rb"([\d,]+) statements", b"".join(seen[-4:]))
            if any(int(c.replace(b",", b"")) > 0 for c in counts):
                loading.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert loading.wait(timeout=120), b"".join(seen).decode(errors="replace")[-2000:]
    staged = sorted(p.name for p in store.glob("gen-*"))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    watcher.join(timeout=10)
    assert process.returncode == -signal.SIGKILL, "the load finished before it could be killed"
    assert len(staged) == 2, f"the load had not started writing its generation: {staged}"

    # a new process (a restart) sees exactly the data from before the load
    assert run("--store", str(store), "dump").stdout == before
    assert run("--store", str(store), "stats", "--json").stdout == stats_before
    # the half-written generation was cleared away when the store was opened again
    assert len(list(store.glob("gen-*"))) == 1

    # and the store still takes loads
    result = run("--store", str(store), "load", "--no-progress", "--replace", "--graph", graph, str(small))
    assert result.returncode == 0, result.stderr
    assert run("--store", str(store), "dump").stdout.count('"A"') == 1


HOLD = """
import sys
from tfatlas.store.embedded import EmbeddedStore
store = EmbeddedStore(sys.argv[1], "https://w3id.org/tfatlas/")
print("holding", flush=True)
sys.stdin.read()
"""


def test_second_process_gets_a_clear_message(tmp_path):
    store = tmp_path / "held"
    assert run("--store", str(store), "init", "--no-progress").returncode == 0
    # another process has the store open, as a running `tfatlas serve` does
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(store)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        small = tmp_path / "small.ttl"
        small.write_text(SMALL)
        for args in (["load", "--no-progress", str(small)], ["stats"], ["query", "ASK {}"]):
            result = run("--store", str(store), *args)
            assert result.returncode == 2, (args, result.stdout, result.stderr)
            assert "in use by another process" in result.stderr
            assert "Traceback" not in result.stderr and "IO error" not in result.stderr  # no RocksDB lock trace
    finally:
        # killed, not closed: a crashed holder must not leave the store locked
        holder.kill()
        holder.wait()
    result = run("--store", str(store), "stats", "--json")
    assert result.returncode == 0, result.stderr
    assert '"triples": 0' not in result.stdout
