"""The streaming publish writes the same bytes as the publish code before it (issue 14).

The expected checksums of the seed release were written by the old code (commit 00904a9); see
tests/fixtures/seed-release/README.md for how they were made and how to remake them honestly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.paths import IN_CI, REPO
from support.stores import BASE, build_store
from tfatlas.config import load_config
from tfatlas.model.loading import model_sources, sources_for
from tfatlas.publish.release import SUMS, publish, verify
from tfatlas.store import open_store

FIXTURE = REPO / "tests" / "fixtures" / "seed-release"
BEFORE = "00904a9"  # main before the streaming rewrite, with the used-prefixes-only Turtle of issue 11


def test_the_seed_release_is_byte_identical_to_the_old_codes(tmp_path):
    with build_store(tmp_path / "store") as store:
        publish(store, tmp_path / "release")
    expected = (FIXTURE / SUMS).read_text(encoding="ascii")
    written = (tmp_path / "release" / SUMS).read_text(encoding="ascii")
    assert written.splitlines() == expected.splitlines(), (
        "the release differs from the old code's; if the seed data changed on purpose, remake the "
        "fixture as tests/fixtures/seed-release/README.md says")
    assert all(verify(tmp_path / "release").values())


def _old_code(tmp_path: Path) -> Path:
    sys.path.insert(0, str(REPO / "tools"))
    from seed_release_sums import old_code_tree

    known = subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", f"{BEFORE}^{{commit}}"],
                           capture_output=True)
    if known.returncode != 0:
        if IN_CI:
            pytest.fail(f"commit {BEFORE} is missing; CI needs the full history")
        pytest.skip(f"commit {BEFORE} (the old publish code) is not in this clone's history")
    return old_code_tree(BEFORE, tmp_path / "before")


def test_generated_data_publishes_the_same_bytes_as_with_the_old_code(tmp_path):
    sys.path.insert(0, str(REPO / "bench"))
    from generate import generate

    data = tmp_path / "data.nt"
    generate(3_000, str(data), seed=11)
    # Blank nodes of several shapes, so canonicalising only the statements with blank nodes is
    # checked against canonicalising everything (written for this test).
    data.write_text(data.read_text(encoding="utf-8") + "".join(
        f'<https://w3id.org/tfatlas/id/org/x{i}> <http://www.w3.org/ns/prov#qualifiedAssociation> _:a{i} .\n'
        f'_:a{i} <http://www.w3.org/ns/prov#hadRole> _:r{i % 3} .\n'
        f'_:r{i % 3} <http://www.w3.org/2000/01/rdf-schema#label> "Rolle {i % 3}"@de .\n'
        for i in range(12)) + '_:loose <http://purl.org/dc/terms/title> "frei"@de .\n', encoding="utf-8")
    store_path = tmp_path / "store"
    with open_store(load_config(cli={"store": str(store_path)}, environ={})) as store:
        store.load(model_sources(BASE) + sources_for([data], BASE), replace=True)
        publish(store, tmp_path / "after")
    code = ("import sys\nfrom tfatlas.config import load_config\nfrom tfatlas.store import open_store\n"
            "from tfatlas.publish.release import publish\n"
            "with open_store(load_config(cli={'store': sys.argv[1]}, environ={})) as s:\n"
            "    publish(s, sys.argv[2])\n")
    old = _old_code(tmp_path)
    done = subprocess.run([sys.executable, "-c", code, str(store_path), str(tmp_path / "before")],
                          env={**os.environ, "PYTHONPATH": str(old)}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    before = (tmp_path / "before" / SUMS).read_text(encoding="ascii")
    after = (tmp_path / "after" / SUMS).read_text(encoding="ascii")
    assert after.splitlines() == before.splitlines()
    assert "_:c14n" in (tmp_path / "after" / "tfatlas.ttl").read_text(encoding="utf-8")
