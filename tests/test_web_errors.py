"""Errors become statuses in one place: a store that does not answer is a 503 on every route."""

from __future__ import annotations

import pytest

from support.servers import free_port
from tfatlas.config import load_config
from tfatlas.web.app import create_app

ROUTES = ["/", "/overview", "/id/org/bmi", "/graph/meta", "/ontology", "/ontology.ttl", "/shapes",
          "/-/health", "/-/metrics"]


@pytest.fixture(scope="module")
def unreachable():
    port = free_port()  # nothing listens there
    config = load_config(environ={"TFATLAS_STORE_URL": f"http://127.0.0.1:{port}", "TFATLAS_STORE_TIMEOUT": "2"})
    return create_app(config).test_client()


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/json"])
def test_a_store_that_does_not_answer_is_503_on_every_route(unreachable, path, accept):
    response = unreachable.get(path, headers={"Accept": accept})
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    if path != "/-/health":  # the health check answers in its own JSON shape
        assert "remote store" in response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "30"


def test_the_api_answers_a_store_error_in_json(unreachable):
    response = unreachable.get("/api/queries/gaps")
    assert response.status_code == 503 and response.is_json
    assert response.get_json()["error"] == "service unavailable"
    assert "remote store" in response.get_json()["message"]


def test_a_browser_gets_an_error_page_of_the_site(unreachable):
    response = unreachable.get("/", headers={"Accept": "text/html"})
    assert response.mimetype == "text/html" and "<html" in response.get_data(as_text=True)
