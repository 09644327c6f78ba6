"""tfatlas stats --coverage on the seed data: the report lists what each offer lacks (issue 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

OFFER = "https://w3id.org/tfatlas/id/offer/"


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> list[str]:
    store = tmp_path_factory.mktemp("store")
    command = [sys.executable, "-m", "tfatlas", "--store", str(store)]
    subprocess.run(command + ["init", "--no-progress"], check=True, capture_output=True)
    return command


@pytest.fixture(scope="module")
def report(cli) -> dict:
    out = subprocess.run(cli + ["stats", "--coverage", "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_the_table_names_offers_by_title_with_what_they_lack(cli):
    out = subprocess.run(cli + ["stats", "--coverage"], check=True, capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200"}).stdout
    line = next(line for line in out.splitlines() if "KIPITZ" in line)
    assert "cost model" in line and "contact point" in line
    assert "Bundesministerium des Innern" in out


def lacking(report, offer: str) -> list[str]:
    return next((row["missing"] for row in report["missing"] if row["offer"] == offer), [])


def test_an_offer_without_cost_model_is_listed_as_lacking_it(report):
    assert "cost model" in lacking(report, OFFER + "kipitz")
    # The FIT-Store's page states its cost model, so it is not listed as lacking one.
    assert "cost model" not in lacking(report, OFFER + "fit-store")
    assert report["complete"]["cost model"] < report["offers"]
    # The Digitalcheck publishes a contact; KIPITZ's source gives none.
    assert "contact point" not in lacking(report, OFFER + "digitalcheck-unterstuetzung")
    assert "contact point" in lacking(report, OFFER + "kipitz")
    assert all(row["missing"] for row in report["missing"])  # complete offers are not listed
    # Every detail's count and the offers listed as lacking it add up to all offers.
    for detail, count in report["complete"].items():
        lacking_it = sum(detail in row["missing"] for row in report["missing"])
        assert count + lacking_it == report["offers"], detail
    # KIPITZ is on KI (through Generative KI as well); it is not listed as off the brief's topics.
    assert "topic of the brief" not in lacking(report, OFFER + "kipitz")


def test_offers_are_counted_per_brief_topic_and_ministry(report):
    assert set(report["perTopic"]) == {"new-work", "projektmanagement", "agilitaet", "digitalkompetenzen", "ki",
                                       "prozessmanagement"}
    assert report["perTopic"]["ki"] >= 1
    ministries = {row["ministry"]: row["offers"] for row in report["perMinistry"]}
    # Offers of the BVA, its units and the BAköV count for the BMI, whose portfolio they belong to.
    assert ministries["https://w3id.org/tfatlas/id/org/bmi"] > 5
    # The data lab's four offers count for the BMWE, whose unit it is; a body is no ministry.
    assert ministries["https://w3id.org/tfatlas/id/org/bmwe"] >= 4
    assert "https://w3id.org/tfatlas/id/org/bva" not in ministries


def test_the_offer_report_leaves_the_overviews_coverage_function_alone():
    # /overview calls finder.coverage(store, lang); a submodule of that name would replace it on import.
    import tfatlas.finder as finder
    from tfatlas.finder.offer_coverage import offer_coverage

    assert callable(finder.coverage) and finder.coverage is not offer_coverage
    assert finder.coverage.__module__ == "tfatlas.finder.search"
