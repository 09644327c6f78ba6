"""The atlas as users install it: a wheel, not the source checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support.paths import REPO
from tfatlas.model.loading import graph_for

MODEL_KINDS = ("ontology", "shapes", "data", "queries")
BASE = "https://w3id.org/tfatlas/"


def _model_files(kind: str) -> list[str]:
    """Files of a model directory as the wheel must carry them (relative, '/'-separated)."""
    root = REPO / kind
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                             "--wheel-dir", str(out), str(REPO)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    wheels = list(out.glob("transformationsatlas-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_carries_the_model_and_the_entry_point(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    for kind in MODEL_KINDS:
        files = _model_files(kind)
        missing = [f for f in files if f"tfatlas/_model/{kind}/{f}" not in names]
        assert not missing, f"the wheel lacks {kind}/ files: {missing}"
    for kind in ("ontology", "shapes", "data"):
        assert any(n.startswith(f"tfatlas/_model/{kind}/") and n.endswith(".ttl") for n in names), kind
    assert "tfatlas/cli/__init__.py" in names and "tfatlas/store/remote.py" in names
    assert "[console_scripts]" in scripts and "tfatlas = tfatlas.cli:main" in scripts
    # nothing of the checkout that is not the product
    assert not any(n.startswith(("tests/", "bench/", ".venv/", "var/")) for n in names)


@pytest.mark.slow
def test_installed_wheel_initialises_a_store_from_another_directory(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # A user's shell: no settings of ours, no path into the checkout.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TFATLAS_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                             "--disable-pip-version-check", str(wheel)],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import tfatlas.model.files as r; print(r.model_root())"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, timeout=60)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv), "the model must come from the installed package"

    store = tmp_path / "x"
    tfatlas = str(venv / "bin" / "tfatlas")
    init = subprocess.run([tfatlas, "--store", str(store), "init", "--no-progress"],
                          capture_output=True, text=True, cwd=elsewhere, env=env, timeout=120)
    assert init.returncode == 0, init.stderr
    stats = subprocess.run([tfatlas, "--store", str(store), "stats", "--json"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, timeout=120)
    assert stats.returncode == 0, stats.stderr
    graphs = json.loads(stats.stdout)["graphs"]
    # every Turtle file of the model the wheel carries became a graph of its own
    with zipfile.ZipFile(wheel) as archive:
        shipped = [Path(n) for n in archive.namelist() if n.startswith("tfatlas/_model/")
                   and n.endswith(".ttl") and "/examples/" not in n]
    expected = {graph_for(BASE, p.parts[2], p) for p in shipped if p.parts[2] != "queries"}
    assert expected and expected <= set(graphs), expected - set(graphs)
    assert all(graphs[g] > 0 for g in expected)
