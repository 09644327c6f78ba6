"""An atlas under another base IRI: initialised, served and published under its own names.

Runs what an operator runs (`tfatlas init`, `tfatlas publish`, `tfatlas serve`) with
TFATLAS_BASE_IRI=https://atlas.example.org/; nothing of the shipped model's base may be left.
"""

from __future__ import annotations

import re

import pytest
import requests

BASE = "https://atlas.example.org/"
MODEL_BASE = "https://w3id.org/tfatlas/"


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    """(store, release directory) initialised and published under BASE."""
    import subprocess

    from support.servers import tfatlas_command

    root = tmp_path_factory.mktemp("other-base")
    store, release = root / "store", root / "release"
    for args in (["init", "--no-progress"], ["publish", "--out", str(release)]):
        done = subprocess.run(tfatlas_command() + ["--store", str(store), "--base-iri", BASE, *args],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    return store, release


@pytest.fixture(scope="module")
def server(atlas):
    from support.servers import Server

    store, release = atlas
    running = Server(store, env={"TFATLAS_BASE_IRI": BASE, "TFATLAS_RELEASE_DIR": str(release)})
    yield running
    running.stop()


def test_the_finder_lists_the_offers(server):
    page = requests.get(server.url + "/", headers={"Accept-Language": "de"}, timeout=60).text
    offers = re.findall(r'<h3><a href="(/id/offer/[^"]+)"', page)
    assert len(offers) >= 10, page[:2000]


def test_id_pages_dereference_under_the_new_base(server):
    page = requests.get(server.url + "/", timeout=60).text
    offer = re.search(r'<h3><a href="(/id/offer/[^"?]+)"', page).group(1)
    turtle = requests.get(server.url + offer, headers={"Accept": "text/turtle"}, timeout=60)
    assert turtle.status_code == 200
    assert f"<{BASE}{offer[1:]}>" in turtle.text or f"{BASE}id/offer/" in turtle.text
    assert f"{BASE}ontology#Offer" in turtle.text or "tfa:Offer" in turtle.text
    assert MODEL_BASE not in turtle.text
    html = requests.get(server.url + offer, headers={"Accept": "text/html"}, timeout=60)
    assert html.status_code == 200 and "<h1" in html.text


def test_the_ontology_is_documented_at_its_namespace(server):
    html = requests.get(server.url + "/ontology", headers={"Accept": "text/html"}, timeout=60)
    assert html.status_code == 200 and 'id="Offer"' in html.text
    turtle = requests.get(server.url + "/ontology.ttl", timeout=60).text
    assert f"<{BASE}ontology>" in turtle and MODEL_BASE not in turtle


def test_the_release_names_the_new_base(atlas, server):
    _, release = atlas
    catalog = (release / "catalog.ttl").read_text(encoding="utf-8")
    assert f"<{BASE}catalog>" in catalog or f"{BASE}catalog" in catalog
    assert MODEL_BASE not in catalog
    assert f"{BASE}ontology#" in (release / "void.ttl").read_text(encoding="utf-8")
    served = requests.get(server.url + "/catalog", headers={"Accept": "text/turtle"}, timeout=60)
    assert served.status_code == 200 and f"{BASE}catalog" in served.text


def test_stored_queries_answer_under_the_new_base(server):
    """The .rq files spell the model's base; served under another base they must still match."""
    rows = requests.get(server.url + "/api/queries/who-helps", timeout=60).json()["rows"]
    assert rows and all(MODEL_BASE not in str(value) for row in rows for value in row.values())
    actors = requests.get(server.url + "/api/queries/actors-by-topic",
                          params={"topic": BASE + "id/topic/agilitaet"}, timeout=60)
    assert actors.status_code == 200 and actors.json()["rows"], actors.text[:500]
    spec = requests.get(server.url + "/api/openapi.json", timeout=60).text
    assert MODEL_BASE not in spec and f"{BASE}id/scheme/topics" in spec
