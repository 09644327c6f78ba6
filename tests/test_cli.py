"""The CLI as a user runs it: a real process, a real store on disk, exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support.servers import tfatlas_command

TURTLE = '@prefix ex: <http://example.org/> .\nex:a a ex:Thing ; ex:name "A" .\n'


def run(*args: str, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(tfatlas_command() + list(args), capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def test_help_documents_exit_codes():
    result = run("--help")
    assert result.returncode == 0
    assert "Exit codes" in result.stdout and "usage or input error" in result.stdout


def test_load_query_and_restart(tmp_path: Path):
    store = tmp_path / "store"
    data = tmp_path / "a.ttl"
    data.write_text(TURTLE)
    assert run("--store", str(store), "load", "--no-progress", str(data)).returncode == 0
    # a new process sees the data: it survived the restart
    result = run("--store", str(store), "query", "--format", "json",
                 "SELECT ?n WHERE { ?s <http://example.org/name> ?n }")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["results"]["bindings"]
    assert [r["n"]["value"] for r in rows] == ["A"]


def test_file_that_does_not_parse_leaves_store_unchanged(tmp_path: Path):
    store = tmp_path / "store"
    good, bad = tmp_path / "good.ttl", tmp_path / "bad.nt"
    good.write_text(TURTLE)
    bad.write_text('<http://a> <http://b> "ok" .\n<http://a> <http://b> .\n')
    assert run("--store", str(store), "load", "--no-progress", str(good)).returncode == 0
    before = run("--store", str(store), "dump").stdout
    result = run("--store", str(store), "load", "--no-progress", str(good), str(bad))
    assert result.returncode == 2
    assert f"{bad}:2:" in result.stderr and "Traceback" not in result.stderr
    assert run("--store", str(store), "dump").stdout == before


def test_unknown_format_and_missing_file(tmp_path: Path):
    store = tmp_path / "store"
    odd = tmp_path / "data.xyz"
    odd.write_text("x")
    result = run("--store", str(store), "load", str(odd))
    assert result.returncode == 2 and "--format" in result.stderr
    result = run("--store", str(store), "load", str(tmp_path / "missing.ttl"))
    assert result.returncode == 2 and "no such file" in result.stderr


def test_malformed_query_exits_1(tmp_path: Path):
    result = run("--store", str(tmp_path / "store"), "query", "SELEC * {}")
    assert result.returncode == 1 and "malformed query" in result.stderr


def test_store_path_not_writable(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run("--store", str(blocker / "store"), "stats")
    assert result.returncode == 2 and "cannot create or open the store" in result.stderr
    assert "Traceback" not in result.stderr


def test_graph_that_is_not_an_iri_is_a_usage_error_naming_the_option(tmp_path: Path):
    data = tmp_path / "a.ttl"
    data.write_text(TURTLE)
    result = run("--store", str(tmp_path / "store"), "load", "--no-progress", "--graph", "not an iri", str(data))
    assert result.returncode == 2 and "--graph" in result.stderr and "Traceback" not in result.stderr


def test_serve_on_an_address_it_cannot_listen_on_exits_2(tmp_path: Path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for args in (["--port", str(port)], ["--port", "99999"], ["--host", "no-such-host.invalid"]):
            result = run("--store", str(tmp_path / "store"), "serve", *args)
            assert result.returncode == 2, (args, result.stderr)
            assert "cannot listen on" in result.stderr and "Traceback" not in result.stderr


def test_init_loads_no_empty_graph_for_the_json_ld_context(tmp_path: Path):
    result = run("--store", str(tmp_path / "store"), "init", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "graph/ontology/context" not in result.stdout + result.stderr
    assert "graph/ontology/tfatlas" in result.stdout + result.stderr


def test_reader_that_stops_early_is_not_a_failure(tmp_path: Path):
    """`tfatlas query ... | head -1` exits 0: a closed pipe is the reader's choice, not a query failure."""
    store = tmp_path / "store"
    data = tmp_path / "many.nt"
    data.write_text("".join(f'<http://example.org/s{i}> <http://example.org/p> "{"x" * 200}" .\n'
                            for i in range(5000)))
    assert run("--store", str(store), "load", "--no-progress", "--force", str(data)).returncode == 0
    command = " ".join(tfatlas_command() + ["--store", str(store), "query", "--format", "csv",
                                            "'SELECT * WHERE { ?s ?p ?o }'"])
    result = subprocess.run(f"{command} | head -1; exit ${{PIPESTATUS[0]}}", shell=True,
                            executable="/bin/bash", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.strip().split(",")) == {"s", "p", "o"} and "Traceback" not in result.stderr


def test_version_is_the_installed_one(run_cli):
    from importlib.metadata import version

    code, out, _ = run_cli("--version")
    assert code == 0 and out.strip().endswith(version("transformationsatlas"))
