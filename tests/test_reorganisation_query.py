"""The reorganisation of 6 May 2025 in time: queries/units-on-date.rq through the stored-query API.

A real server over a store initialised with the shipped model (the session's ``seeded_server``)
answers "which unit belonged to which ministry on a given date". The expected rows are the facts the
cited sources give: the Abteilung Digitale Verwaltung was created in the BMI in June 2020 and went to
the BMDS with the organisational decree of 6 May 2025; GovLabDE (from November 2022), BMI Referat
DV I 3 and the BeKI were BMI units before it and are no BMI units after it.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ID = "https://w3id.org/tfatlas/id/"
BMI, BMDS = ID + "org/bmi", ID + "org/bmds"
DEPARTMENT = ID + "unit/abteilung-digitale-verwaltung"
FORMER_BMI_UNITS = {ID + "unit/govlabde", ID + "unit/bmi-referat-dv-i-3", ID + "unit/beki"}


def rows(server, **params) -> list[dict]:
    response = requests.get(f"{server.url}/api/queries/units-on-date", params=params,
                            headers={"Accept": "application/json"}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def pairs(found: list[dict]) -> set[tuple[str, str]]:
    return {(row["unit"], row["organisation"]) for row in found}


def test_on_1_january_2025_the_digital_administration_units_belong_to_the_bmi(seeded_server):
    found = pairs(rows(seeded_server, date="2025-01-01"))
    assert {(DEPARTMENT, BMI)} | {(unit, BMI) for unit in FORMER_BMI_UNITS} <= found
    assert not {pair for pair in found if pair[1] == BMDS}, "the BMDS did not exist yet"


def test_today_the_department_belongs_to_the_bmds_and_the_former_units_not_to_the_bmi(seeded_server):
    found = pairs(rows(seeded_server, date=dt.date.today().isoformat()))
    assert (DEPARTMENT, BMDS) in found
    assert (DEPARTMENT, BMI) not in found
    assert not {(unit, BMI) for unit in FORMER_BMI_UNITS} & found


def test_the_day_of_the_decree_already_counts_for_the_bmds(seeded_server):
    found = pairs(rows(seeded_server, date="2025-05-06"))
    assert (DEPARTMENT, BMDS) in found and (DEPARTMENT, BMI) not in found
    before = pairs(rows(seeded_server, date="2025-05-05"))
    assert (DEPARTMENT, BMI) in before and (DEPARTMENT, BMDS) not in before


def test_before_a_unit_was_created_it_belongs_nowhere(seeded_server):
    # The department was created in June 2020, GovLabDE started in November 2022.
    found = {unit for unit, _ in pairs(rows(seeded_server, date="2020-05-31"))}
    assert DEPARTMENT not in found and ID + "unit/govlabde" not in found
    assert DEPARTMENT in {unit for unit, _ in pairs(rows(seeded_server, date="2020-06-01"))}
    assert ID + "unit/govlabde" not in {u for u, _ in pairs(rows(seeded_server, date="2022-10-31"))}


def test_without_a_date_every_period_with_its_bounds(seeded_server):
    periods = {row["organisation"]: row for row in rows(seeded_server, unit=DEPARTMENT)}
    assert set(periods) == {BMI, BMDS}
    assert (periods[BMI]["from"], periods[BMI]["until"]) == ("2020-06-01", "2025-05-06")
    assert (periods[BMDS]["from"], periods[BMDS]["until"]) == ("2025-05-06", None)


def test_a_ministry_as_parameter_and_english_labels(seeded_server):
    found = rows(seeded_server, date="2025-01-01", organisation=BMI, lang="en")
    assert {row["organisation"] for row in found} == {BMI}
    department = next(row for row in found if row["unit"] == DEPARTMENT)
    assert department["unitLabel"] == "Digital Administration Department"
    assert department["organisationLabel"] == "Federal Ministry of the Interior"


@pytest.mark.parametrize("bad", ["2025-13-01", "gestern", "2025-01-01T00:00:00"])
def test_a_malformed_date_is_refused_with_a_message(seeded_server, bad):
    response = requests.get(f"{seeded_server.url}/api/queries/units-on-date", params={"date": bad}, timeout=60)
    assert response.status_code == 400
    assert "date" in response.text


# -- the unit shape accepts a dated membership instead of org:unitOf --------------------------------

def unit_findings(path: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-m", "tfatlas", "validate", "--format", "json", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    return [result["path"] for node in report["focusNodes"] if node["focusNode"].startswith(ID + "unit/")
            for result in node["results"]]


def test_a_unit_with_only_a_dated_membership_is_not_reported_as_belonging_nowhere():
    examples = Path(__file__).resolve().parent.parent / "shapes" / "examples" / "unit"
    assert unit_findings(examples / "valid-unit-with-dated-membership.ttl") == []
    assert unit_findings(examples / "valid-with-warning-unit-of-nothing.ttl") == ["org:unitOf | ^org:member"]
