"""tfatlas stats --coverage on the seed data: the report lists what each offer lacks (issue 15)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

OFFER = "https://w3id.org/tfatlas/id/offer/"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    store = tmp_path_factory.mktemp("store")
    cli = [sys.executable, "-m", "tfatlas", "--store", str(store)]
    subprocess.run(cli + ["init", "--no-progress"], check=True, capture_output=True)
    out = subprocess.run(cli + ["stats", "--coverage", "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_an_offer_without_cost_model_is_listed_as_lacking_it(report):
    assert "cost model" in report["missing"][OFFER + "kipitz"]
    # The FIT-Store's page states its cost model, so it is not listed as lacking one.
    assert "cost model" not in report["missing"].get(OFFER + "fit-store", [])
    assert report["complete"]["cost model"] < report["offers"]


def test_offers_are_counted_per_brief_topic_and_ministry(report):
    assert set(report["perTopic"]) == {"new-work", "projektmanagement", "agilitaet", "digitalkompetenzen", "ki",
                                       "prozessmanagement"}
    assert report["perTopic"]["ki"] >= 1
    # Offers of the BVA and the BAköV count for the BMI, whose portfolio they belong to.
    assert report["perMinistry"]["https://w3id.org/tfatlas/id/org/bmi"] > 1
