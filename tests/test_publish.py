"""`tfatlas publish`: the open-data release is complete, checksummed, faithful and reproducible."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from support.paths import IN_CI
from support.servers import tfatlas_command
from support.stores import BASE, EXTRA, build_store, store_counts
from tfatlas.config import load_config
from tfatlas.model.loading import model_sources, sources_for
from tfatlas.publish.release import SUMS, publish, verify
from tfatlas.vocab import meta_graph
from tfatlas.store import open_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with build_store(tmp_path_factory.mktemp("publish-store") / "store") as opened:
        yield opened


@pytest.fixture(scope="module")
def release(tmp_path_factory, store):
    out = tmp_path_factory.mktemp("publish") / "release"
    publish(store, out)
    return out, store_counts(store)


def test_every_checksum_matches_and_every_file_is_listed(release):
    directory, _ = release
    checked = verify(directory)
    assert checked and all(checked.values()), checked
    on_disk = {p.name for p in directory.iterdir() if p.is_file()} - {SUMS}
    assert set(checked) == on_disk
    assert {"tfatlas.ttl", "tfatlas.nt.gz", "tfatlas.jsonld", "tfatlas.trig", "actors.csv", "offers.csv",
            "catalog.ttl", "catalog.jsonld", "catalog.rdf", "void.ttl"} <= on_disk
    # the file is what `sha256sum -c SHA256SUMS` reads
    first = (directory / SUMS).read_text().splitlines()[0]
    digest, name = first.split("  ")
    assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == digest


def _parse(path: Path, fmt: ox.RdfFormat) -> list:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return list(ox.parse(raw, fmt))


@pytest.mark.parametrize("name, fmt", [("tfatlas.ttl", ox.RdfFormat.TURTLE),
                                        ("tfatlas.nt.gz", ox.RdfFormat.N_TRIPLES),
                                        ("tfatlas.jsonld", ox.RdfFormat.JSON_LD)])
def test_graph_dumps_parse_back_to_the_published_triples(release, name, fmt):
    directory, counts = release
    triples = _parse(directory / name, fmt)
    assert len(set(triples)) == len(triples) == counts["triples"]


def test_trig_keeps_the_named_graphs_but_not_the_meta_graph(release):
    directory, counts = release
    quads = _parse(directory / "tfatlas.trig", ox.RdfFormat.TRIG)
    assert len(quads) == counts["quads"]
    graphs = {q.graph_name.value for q in quads}
    assert graphs == counts["graphs"]
    assert meta_graph(BASE) not in graphs
    prov_generated = "http://www.w3.org/ns/prov#generatedAtTime"
    assert not any(q.predicate.value == prov_generated for q in quads)


def test_subsets_partition_the_graph(release):
    directory, counts = release
    full = {str(t) for t in _parse(directory / "tfatlas.nt.gz", ox.RdfFormat.N_TRIPLES)}
    parts = [{str(t) for t in _parse(directory / f"{name}.ttl", ox.RdfFormat.TURTLE)}
             for name in ("actors", "offers", "concepts", "ontology")]
    assert sum(len(p) for p in parts) == len(full)
    assert set().union(*parts) == full
    offers = parts[1]
    assert all("/id/offer/" in line.split(" ", 1)[0] or line.startswith("_:") for line in offers)
    # the initiative's qualified associations (blank nodes) travel with the initiative
    assert sum(1 for line in parts[0] if line.startswith("_:")) >= 4


def test_gzip_header_has_no_time_and_no_name(release):
    directory, _ = release
    header = (directory / "tfatlas.nt.gz").read_bytes()[:10]
    assert header[:2] == b"\x1f\x8b"
    assert header[4:8] == b"\0\0\0\0"  # mtime 0
    assert not header[3] & 0x08  # no FNAME field
    lines = gzip.decompress((directory / "tfatlas.nt.gz").read_bytes()).decode().splitlines()
    assert lines == sorted(lines)


def test_publishing_the_same_store_twice_is_byte_identical(tmp_path, store, release):
    first, _ = release
    publish(store, tmp_path / "again")
    _assert_same_files(first, tmp_path / "again")


def test_a_second_store_published_by_the_cli_is_byte_identical(tmp_path, release):
    """Another store loaded from the same files (other blank-node ids, other load times)."""
    first, _ = release
    with build_store(tmp_path / "store"):
        pass
    out = tmp_path / "cli-release"
    # no --out: the release_dir setting; no --base-url: http://127.0.0.1:8080, also publish()'s default
    run = subprocess.run(tfatlas_command() + ["--store", str(tmp_path / "store"), "publish"],
                         capture_output=True, text=True, timeout=120,
                         env={**_clean_env(), "TFATLAS_RELEASE_DIR": str(out)})
    assert run.returncode == 0, run.stderr
    _assert_same_files(first, out)
    bad = subprocess.run(tfatlas_command() + ["--store", str(tmp_path / "store"), "publish", "--out",
                                              str(out), "--base-url", "atlas.example.org"],
                         capture_output=True, text=True, timeout=120, env=_clean_env())
    assert bad.returncode == 2 and "--base-url" in bad.stderr and "Traceback" not in bad.stderr


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("TFATLAS_")}


def _assert_same_files(first: Path, second: Path) -> None:
    names = sorted(p.name for p in first.iterdir() if p.is_file())
    assert names == sorted(p.name for p in second.iterdir() if p.is_file())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_csv_tables_for_spreadsheets(release):
    directory, counts = release
    raw = (directory / "offers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheet programs then read UTF-8
    offers = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(offers) == counts["offers"] >= 2
    coaching = next(r for r in offers if r["iri"].endswith("/offer/test-agiles-coaching"))
    assert coaching["label_de"] == "Agiles Coaching für Referate"
    assert coaching["label_en"] == "Agile coaching for divisions"
    assert coaching["provider_label_de"] == "DigitalService GmbH des Bundes"
    assert '"Scrum"' in coaching["description_de"]
    assert coaching["topics"].split(" | ") == sorted(coaching["topics"].split(" | "))
    assert len(coaching["topics"].split(" | ")) == 2
    actors = list(csv.DictReader(io.StringIO((directory / "actors.csv").read_text("utf-8-sig"), newline="")))
    transformation_actors = [r for r in actors if "TransformationActor" in r["types"]]
    assert len(transformation_actors) == counts["actors"] > 0
    assert all(r["label_de"] for r in actors)


def test_stale_files_of_an_earlier_release_are_removed(tmp_path, store):
    out = tmp_path / "release"
    publish(store, out)
    (out / "old-dump.ttl").write_text("# from an older release\n")
    with open(out / SUMS, "a") as sums:
        sums.write(f"{'0' * 64}  old-dump.ttl\n")
    (out / "notes.txt").write_text("not ours\n")
    publish(store, out)
    assert not (out / "old-dump.ttl").exists()
    assert (out / "notes.txt").exists()  # never listed in SHA256SUMS: not ours to delete
    assert all(verify(out).values())


def test_a_remote_store_gives_the_same_release(tmp_path, release):
    """The same data in `oxigraph serve`, published through the remote store (SPARQL protocol and
    Graph Store Protocol), gives the same bytes as the embedded store."""
    from support.servers import OXIGRAPH, OxigraphServer

    if not OXIGRAPH.exists() and not IN_CI:  # CI installs the test extra: there it must run
        pytest.skip(f"{OXIGRAPH} is absent (the test extra installs the oxigraph server)")
    first, _ = release
    server = OxigraphServer(tmp_path / "oxigraph")
    try:
        extra = tmp_path / "extra" / "test-offers.ttl"
        extra.parent.mkdir()
        extra.write_text(EXTRA, encoding="utf-8")
        with open_store(load_config(cli={"store_url": server.url}, environ={})) as remote:
            remote.load(model_sources(BASE) + sources_for([extra], BASE), replace=True)
            publish(remote, tmp_path / "remote-release")
    finally:
        server.stop()
    _assert_same_files(first, tmp_path / "remote-release")


def test_publishing_an_empty_store_is_refused(tmp_path):
    """An empty release would look like a real one to a harvester: refuse it with a hint."""
    import subprocess

    from support.servers import tfatlas_command

    result = subprocess.run(tfatlas_command() + ["--store", str(tmp_path / "empty"), "publish",
                                                 "--out", str(tmp_path / "release")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "tfatlas init" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "release" / "SHA256SUMS").exists()
