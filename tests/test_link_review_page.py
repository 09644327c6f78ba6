"""The admin review page: the operator's token as password, the user name recorded as reviewer."""

from __future__ import annotations

import hashlib

import requests

from tfatlas.config import load_config
from tfatlas.linking.run import link
from tfatlas.model.loading import model_sources
from tfatlas.store.embedded import EmbeddedStore

BASE = "https://w3id.org/tfatlas/"
TOKEN = "review-token-written-for-this-test"


def _linked_store(root):
    store = EmbeddedStore(root, BASE)
    try:
        store.load(model_sources(BASE), replace=True)
        link(store, load_config(cli={"store": str(root), "link_cache_dir": ""}, environ={}), "govdata",
             ["organisation", "unit"])
    finally:
        store.close()
    return root


def test_review_page_needs_the_token_and_records_the_reviewer(tmp_path, start_server):
    server = start_server(env={"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest()},
                          store=_linked_store(tmp_path / "store"))
    page = server.url + "/admin/links"
    anonymous = requests.get(page, timeout=30)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert requests.get(page, auth=("Erika", "wrong"), timeout=30).status_code == 401

    listed = requests.get(page, auth=("Erika Musterfrau", TOKEN), timeout=30)
    assert listed.status_code == 200 and "Erika Musterfrau" in listed.text
    record = listed.text.split('name="record" value="', 1)[1].split('"', 1)[0]
    assert record.startswith(BASE + "id/mapping/govdata/")

    elsewhere = requests.post(page, auth=("Erika Musterfrau", TOKEN), timeout=30,
                              data={"record": record, "decision": "accept"},
                              headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    bad = requests.post(page, auth=("Erika Musterfrau", TOKEN), data={"record": record, "decision": "maybe"},
                        timeout=30)
    assert bad.status_code == 400

    decided = requests.post(page, auth=("Erika Musterfrau", TOKEN), allow_redirects=False, timeout=30,
                            data={"record": record, "decision": "reject", "note": "anderes Ressort"})
    assert decided.status_code == 303
    assert record not in requests.get(page, auth=("Erika Musterfrau", TOKEN), timeout=30).text
    answer = requests.get(server.url + "/sparql", timeout=30, headers={"Accept": "application/sparql-results+json"},
                          params={"query": f"SELECT ?who ?note ?status WHERE {{ <{record}> "
                                           f"<https://w3id.org/sssom/reviewer_label> ?who ; "
                                           f"<https://w3id.org/sssom/comment> ?note ; <{BASE}ontology#linkStatus> ?status }}"})
    row = answer.json()["results"]["bindings"][0]
    assert (row["who"]["value"], row["note"]["value"], row["status"]["value"]) == (
        "Erika Musterfrau", "anderes Ressort", "rejected")


def test_without_an_admin_token_reviewing_is_off(tmp_path, start_server):
    server = start_server(store=_linked_store(tmp_path / "store"))
    answer = requests.get(server.url + "/admin/links", auth=("Erika", TOKEN), timeout=30)
    assert answer.status_code == 403 and "TFATLAS_ADMIN_TOKEN_SHA256" in answer.text
