"""/api/openapi.json: a valid OpenAPI 3.1 description of every stored query, and no 5xx under fuzzing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
from openapi_spec_validator import validate

from tfatlas.sparql import openapi
from tfatlas.sparql import stored_queries as sq

FIXTURES = Path(__file__).parent / "fixtures"


def test_description_of_the_draft_query_validates_and_types_its_parameters():
    description = openapi.document(sq.discover(FIXTURES / "queries"))
    validate(description)
    operation = description["paths"]["/api/queries/offers-mini"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["challenge"]["schema"]["format"] == "iri"
    assert params["lang"]["schema"] == {"type": "string", "maxLength": 1000, "enum": ["de", "en"], "default": "de"}


def test_every_media_type_the_description_promises_is_served(seeded_server):
    # Replaces a comparison of two constants of openapi.py: what /api/openapi.json promises is
    # asked for from the API itself.
    description = requests.get(seeded_server.url + "/api/openapi.json", timeout=30).json()
    path, item = next((p, i) for p, i in description["paths"].items() if p.startswith("/api/queries/"))
    promised = list(item["get"]["responses"]["200"]["content"])
    assert "application/json" in promised and "text/csv" in promised
    for media_type in promised:
        answer = requests.get(seeded_server.url + path, headers={"Accept": media_type}, timeout=60)
        assert answer.status_code == 200, (media_type, answer.text[:300])
        assert answer.headers["Content-Type"].split(";")[0] == media_type


def test_served_description_validates_and_lists_every_stored_query(seeded_server):
    response = requests.get(seeded_server.url + "/api/openapi.json", timeout=30)
    assert response.status_code == 200
    description = response.json()
    validate(description)
    assert description["openapi"] == "3.1.0"
    listed = {path.rsplit("/", 1)[-1] for path in description["paths"] if path.startswith("/api/queries/")}
    assert listed == set(sq.discover())
    assert "/api/finder" in description["paths"]


def test_api_page_renders_the_description_without_a_cdn(seeded_server):
    response = requests.get(seeded_server.url + "/api/", timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    for name in sq.discover():
        assert f"/api/queries/{name}" in response.text
    assert "cdn" not in response.text.lower() and "unpkg" not in response.text.lower()


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(seeded_server):
    assert sq.discover(), "queries/ must hold stored queries to fuzz"
    command = [str(Path(sys.executable).parent / "schemathesis"), "run", seeded_server.url + "/api/openapi.json",
               "--url", seeded_server.url, "--checks", "not_a_server_error", "--max-examples", "20",
               "--workers", "1"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
