"""/reconcile speaks the Reconciliation API 0.2: every answer validates against the official
schemas, and the spec's own examples are accepted or refused as the schemas say (issue 12, 1)."""

from __future__ import annotations

import json

import pytest
import requests

from support.paths import shared_path
from support.reconciliation_schemas import EXAMPLES, SECURITY_SCHEME, errors

BMI = "https://w3id.org/tfatlas/id/org/bmi"
BVA = "https://w3id.org/tfatlas/id/org/bva"

#: Example folders -> (schema, how an example becomes a document of that schema). Folders the
#: service consumes are also sent to it (SENT below).
def _manifest_with(field):
    return lambda doc: {"versions": ["0.2"], "name": "x", "identifierSpace": "http://x/",
                        "schemaSpace": "http://x/", field: doc}


WRAP = {
    "manifest": ("manifest", lambda d: d),
    "reconciliation-query-batch": ("reconciliation-query-batch", lambda d: d),
    "reconciliation-result-batch": ("reconciliation-result-batch", lambda d: d),
    "reconciliation-candidate": ("reconciliation-result-batch", lambda d: {"q0": {"result": [d]}}),
    "data-extension-query": ("data-extension-query", lambda d: d),
    "data-extension-response": ("data-extension-response", lambda d: d),
    "data-extension-property-proposal": ("data-extension-property-proposal", lambda d: d),
    "data-extension-metadata": ("manifest", _manifest_with("extend")),
    "preview-metadata": ("manifest", _manifest_with("preview")),
    "suggest-metadata": ("manifest", _manifest_with("suggest")),
    "security-scheme": (SECURITY_SCHEME, lambda d: d),
    "suggest-entities-response": ("suggest-entities-response", lambda d: d),
    "suggest-properties-response": ("suggest-properties-response", lambda d: d),
    "suggest-types-response": ("suggest-types-response", lambda d: d),
}
#: Folders with no schema: what the service answers is compared with the example's shape instead.
NO_SCHEMA = {"flyout-response", "preview-response"}
SENT = {"reconciliation-query-batch": "queries", "data-extension-query": "extend"}


def _examples():
    root = shared_path("reconciliation", "0.2", "examples")
    for path in sorted(root.glob("*/*/*.json")):
        yield pytest.param(path.parent.parent.name, path.parent.name, path,
                           id=f"{path.parent.parent.name}/{path.parent.name}/{path.name}")


def test_every_example_folder_is_known():
    folders = {p.name for p in shared_path("reconciliation", "0.2", "examples").iterdir() if p.is_dir()}
    assert folders == set(WRAP) | NO_SCHEMA, "a new example folder needs a schema mapping here"


@pytest.mark.parametrize("folder, verdict, path", [p for p in _examples() if p.values[0] not in NO_SCHEMA])
def test_the_schemas_judge_the_examples_as_the_spec_says(folder, verdict, path):
    """The validator that checks the service's answers is the spec's: it accepts the valid and
    refuses the invalid examples (so a test that uses it can fail)."""
    schema, wrap = WRAP[folder]
    found = errors(schema, wrap(json.loads(path.read_text(encoding="utf-8"))))
    assert (not found) if verdict == "valid" else found, found


@pytest.mark.parametrize("folder, verdict, path",
                         [p for p in _examples() if p.values[0] in SENT])
def test_the_service_accepts_and_refuses_the_examples_as_the_schema_says(seeded_server, folder, verdict, path):
    field = SENT[folder]
    response = requests.post(seeded_server.url + "/reconcile", data={field: path.read_text(encoding="utf-8")},
                             timeout=30)
    if verdict == "valid":
        assert response.status_code == 200, response.text
        answer_schema = "reconciliation-result-batch" if field == "queries" else "data-extension-response"
        assert not errors(answer_schema, response.json())
    else:
        assert response.status_code == 400, response.text
        assert response.json()["message"]


def _get(server, path, **params):
    response = requests.get(server.url + path, params=params, timeout=30,
                            headers={"Origin": "https://openrefine.example"})
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response


def test_the_manifest_validates_and_names_every_feature(seeded_server):
    manifest = _get(seeded_server, "/reconcile").json()
    assert not errors("manifest", manifest)
    assert {t["id"] for t in manifest["defaultTypes"]} == {"organisation", "unit", "offer", "initiative", "concept"}
    for key in ("preview", "suggest", "extend", "view"):
        assert key in manifest
    # the declared endpoints answer
    suggest = manifest["suggest"]["entity"]
    assert suggest["service_url"] == seeded_server.url + "/reconcile"
    assert _get(seeded_server, "/reconcile" + suggest["service_path"], prefix="Bundesverw").json()["result"]
    preview = manifest["preview"]["url"].replace("{{id}}", BMI)
    assert requests.get(preview, timeout=30).status_code == 200


def test_queries_by_get_and_post_give_the_same_validated_answer(seeded_server):
    batch = json.dumps({"q0": {"query": "BVA"}, "q1": {"query": "Bundesministerium des Innern und für Heimat",
                                                      "type": "organisation", "limit": 3}})
    by_get = _get(seeded_server, "/reconcile", queries=batch).json()
    by_post = requests.post(seeded_server.url + "/reconcile", data={"queries": batch}, timeout=30).json()
    assert by_get == by_post
    assert not errors("reconciliation-result-batch", by_get)
    assert by_get["q0"]["result"][0]["id"] == BVA and by_get["q0"]["result"][0]["match"] is True
    assert by_get["q1"]["result"][0]["id"] == BMI
    assert len(by_get["q1"]["result"]) <= 3
    scores = [c["score"] for c in by_get["q1"]["result"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)


def test_match_only_when_the_best_is_clearly_ahead(seeded_server):
    # "Datenlabor" names the data labs of several ministries: none may be a match
    batch = {"q": {"query": "Datenlabor", "type": "unit"}}
    result = _get(seeded_server, "/reconcile", queries=json.dumps(batch)).json()["q"]["result"]
    assert len(result) >= 2 and not any(c["match"] for c in result)


def test_the_wrong_type_halves_the_score_and_properties_decide(seeded_server):
    def top(query):
        return _get(seeded_server, "/reconcile", queries=json.dumps({"q": query})).json()["q"]["result"][0]

    as_org = top({"query": "Bundesverwaltungsamt", "type": "organisation"})
    assert as_org["id"] == BVA and as_org["score"] == 100 and as_org["match"]
    as_offer = _get(seeded_server, "/reconcile", queries=json.dumps(
        {"q": {"query": "Bundesverwaltungsamt", "type": "offer", "limit": 20}})).json()["q"]["result"]
    bva = next(c for c in as_offer if c["id"] == BVA)
    assert bva["score"] == 50 and not bva["match"]
    assert {"id": "type", "value": 0.0} in bva["features"]
    by_site = top({"properties": [{"pid": "homepage", "v": "https://www.bva.bund.de"}]})
    assert by_site["id"] == BVA
    by_parent = _get(seeded_server, "/reconcile", queries=json.dumps({"q": {
        "query": "Bundesakademie", "properties": [{"pid": "parent", "v": {"id": BMI}}]}})).json()["q"]["result"]
    assert by_parent[0]["id"].endswith("/org/bakoev")


def test_suggest_preview_flyout_and_extension_validate(seeded_server):
    entities = _get(seeded_server, "/reconcile/suggest/entity", prefix="Bundesverwaltungs").json()
    assert not errors("suggest-entities-response", entities)
    assert BVA in [e["id"] for e in entities["result"]]
    assert _get(seeded_server, "/reconcile/suggest/entity", prefix=BMI).json()["result"][0]["id"] == BMI
    types = _get(seeded_server, "/reconcile/suggest/type", prefix="Organ").json()
    assert not errors("suggest-types-response", types) and {t["id"] for t in types["result"]} >= {"organisation"}
    props = _get(seeded_server, "/reconcile/suggest/property", prefix="web").json()
    assert not errors("suggest-properties-response", props)
    assert [p["id"] for p in props["result"]] == ["homepage"]

    preview = _get(seeded_server, "/reconcile/preview", id=BVA)
    assert preview.headers["Content-Type"].startswith("text/html") and "Bundesverwaltungsamt" in preview.text
    example = json.loads((EXAMPLES / "flyout-response" / "valid" / "example.json").read_text())
    flyout = _get(seeded_server, "/reconcile/flyout", id=BVA).json()
    assert set(flyout) == set(example) and "Bundesverwaltungsamt" in flyout["html"]

    proposal = _get(seeded_server, "/reconcile/properties", type="organisation", limit=3).json()
    assert not errors("data-extension-property-proposal", proposal) and len(proposal["properties"]) == 3
    extension = _get(seeded_server, "/reconcile", extend=json.dumps(
        {"ids": ["https://w3id.org/tfatlas/id/org/bakoev"], "properties": [{"id": "parent"}, {"id": "homepage"}]})).json()
    assert not errors("data-extension-response", extension)
    assert extension["rows"]["https://w3id.org/tfatlas/id/org/bakoev"]["parent"] == [
        {"id": BMI, "name": "Bundesministerium des Innern"}]


def test_jsonp_and_bad_requests(seeded_server):
    jsonp = _get(seeded_server, "/reconcile", callback="cb")
    assert jsonp.headers["Content-Type"].startswith("application/javascript")
    assert jsonp.text.startswith("/**/cb(") and json.loads(jsonp.text[len("/**/cb("):-2])["versions"] == ["0.2"]
    for params in ({"queries": "{not json"}, {"queries": json.dumps({"q": {"limit": 1}})},
                   {"callback": "alert(1)"}, {"extend": json.dumps({"ids": "x"})}):
        response = requests.get(seeded_server.url + "/reconcile", params=params, timeout=30)
        assert response.status_code == 400 and response.json()["message"], params
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert requests.post(seeded_server.url + "/reconcile", timeout=30).status_code == 400
    assert requests.get(seeded_server.url + "/reconcile/preview", params={"id": "https://nowhere.example/x"},
                        timeout=30).status_code == 400
    assert requests.get(seeded_server.url + "/-/health", timeout=30).status_code == 200
