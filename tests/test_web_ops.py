"""/-/health and /-/version: what an operator's monitoring reads."""

from importlib.metadata import version

import pyoxigraph
import requests


def test_health_says_ok_when_the_store_answers(seeded_server):
    response = requests.get(seeded_server.url + "/-/health", timeout=10)
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_version_names_the_installed_atlas_and_engine(seeded_server):
    # Replaces a check that the answer merely had a key "tfatlas": these are the installed versions.
    answer = requests.get(seeded_server.url + "/-/version", timeout=10).json()
    assert answer == {"tfatlas": version("transformationsatlas"), "pyoxigraph": pyoxigraph.__version__}
