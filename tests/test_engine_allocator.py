"""`tfatlas serve` gives its query workers jemalloc or mimalloc (TFATLAS_ENGINE_ALLOCATOR)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from support.paths import IN_CI
from support.servers import Server
from tfatlas.sparql.allocator import find


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rfind(")") + 2:].split()[1]), []).append(int(entry))
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        found += children.get(pid, [])
        frontier += children.get(pid, [])
    return found


def _maps(pid: int, library: str) -> bool:
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.fixture
def library():
    path = find("auto")
    if path is None:
        if IN_CI:
            pytest.fail("CI must have jemalloc (.ci/run installs libjemalloc2)")
        pytest.skip("neither jemalloc nor mimalloc is installed (Debian: libjemalloc2)")
    return path


@pytest.mark.parametrize("setting", ["auto", "system"])
def test_query_workers_get_the_allocator(tmp_path, library, setting):
    server = Server(tmp_path / "store", env={"TFATLAS_ENGINE_ALLOCATOR": setting})
    try:
        answer = requests.get(server.url + "/sparql", params={"query": "ASK {}"}, timeout=60)
        assert answer.status_code == 200 and answer.json()["boolean"] is True
        workers = _descendants(server.process.pid)
        assert workers, "the server started no query workers"
        mapped = [pid for pid in workers if _maps(pid, library)]
        assert mapped == (workers if setting == "auto" else [])
        assert not _maps(server.process.pid, library)  # the server process keeps its own allocator
    finally:
        server.stop()


def test_a_missing_library_is_refused_with_the_setting_named(run_cli, tmp_path):
    code, _, err = run_cli("--store", str(tmp_path / "s"), "config",
                           env={"TFATLAS_ENGINE_ALLOCATOR": str(tmp_path / "nothing.so")})
    assert code == 2
    assert "TFATLAS_ENGINE_ALLOCATOR" in err and "shared library" in err
