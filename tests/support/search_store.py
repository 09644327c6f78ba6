"""A store initialised with the seed data by the real CLI, for the search tests (not a test module)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE = "https://w3id.org/tfatlas/"


def init_store(path: Path) -> Path:
    env = {**os.environ, "TFATLAS_STORE": str(path), "TFATLAS_BASE_IRI": BASE}
    env.pop("TFATLAS_STORE_URL", None)
    done = subprocess.run([sys.executable, "-m", "tfatlas", "init"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return path


def cli(store: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TFATLAS_BASE_IRI": BASE}
    env.pop("TFATLAS_STORE_URL", None)
    target = ["--store-url", url] if url else ["--store", str(store)]
    return subprocess.run([sys.executable, "-m", "tfatlas", *target, *args], env=env,
                          capture_output=True, text=True)
