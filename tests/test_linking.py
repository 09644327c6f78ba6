"""`tfatlas link` against the shipped registry snapshots and real local stand-ins (issue 12, 3 and 4)."""

from __future__ import annotations

import io
import json

import pytest

from support.paths import REPO
from support.registry_servers import FailingProxy, wikidata_standin
from tfatlas.config import load_config
from tfatlas.linking import run as linking
from tfatlas.linking.http import RegistryError
from tfatlas.linking.records import ACCEPTED, PROPOSED, REJECTED, REVIEWED, SAME_AS, read_mappings
from tfatlas.model.formats import by_name
from tfatlas.store.embedded import EmbeddedStore
from tfatlas.model.loading import model_sources

BASE = "https://w3id.org/tfatlas/"
ORG = BASE + "id/org/"
WD = "http://www.wikidata.org/entity/"
ADMS_ID = "http://www.w3.org/ns/adms#identifier"
DATA = REPO / "server" / "tfatlas" / "linking" / "registry_data"
# Written for this test, not Wikidata's: a second item with the Gesundheitsministerium's label, so
# that the atlas's BMG has two equally good candidates.
AMBIGUOUS = f'<{WD}Q999999001> <http://www.w3.org/2000/01/rdf-schema#label> "Bundesministerium für Gesundheit"@de .\n'


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    server = wikidata_standin(tmp_path_factory.mktemp("wikidata"), AMBIGUOUS)
    yield server
    server.stop()


@pytest.fixture
def store(tmp_path):
    s = EmbeddedStore(tmp_path / "store", BASE)
    s.load(model_sources(BASE), replace=True)
    yield s
    s.close()


def config(tmp_path, **settings):
    values = {"store": str(tmp_path / "store"), "link_cache_dir": str(tmp_path / "cache"), "link_retries": 2,
              "link_timeout": 10}
    values.update(settings)
    return load_config(cli=values, environ={})


def wd_config(tmp_path, url, **settings):
    return config(tmp_path, service_allow=url, wikidata_sparql_url=url + "/query", **settings)


def labels(store, iri):
    rows = store.query(f"SELECT ?l WHERE {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label>|"
                       f"<http://www.w3.org/2004/02/skos/core#hiddenLabel> ?l }}")
    return {r["l"].value for r in rows}


def federal_bodies(store):
    rows = store.query("SELECT DISTINCT ?s WHERE { ?s a <http://data.europa.eu/m8g/PublicOrganisation> }")
    return {r["s"].value for r in rows}


def test_the_directory_gives_every_federal_body_it_holds_its_key(store, tmp_path):
    directory = json.loads((DATA / "anschriftenverzeichnis.json").read_text(encoding="utf-8"))
    keys_by_name = {r["Organisation"]: str(r["OrganisationId"]) for r in directory[1:] if "Organisation" in r and r.get("OrganisationId")}
    expected = {}
    for body in federal_bodies(store):  # the oracle: the directory holds the body under one of its names
        for name in labels(store, body):
            if name in keys_by_name:
                expected[body] = keys_by_name[name]
    assert len(expected) >= 16  # the ministries at least

    report = linking.link(store, config(tmp_path), "anschriftenverzeichnis", ["organisation", "unit"])
    assert report.written
    got = {r["s"].value: r["n"].value for r in store.query(
        f"SELECT ?s ?n WHERE {{ GRAPH <{BASE}graph/links/anschriftenverzeichnis> {{ ?s <{ADMS_ID}> ?id . "
        f"?id <http://www.w3.org/2004/02/skos/core#notation> ?n }} }}")}
    for body, key in expected.items():
        assert got.get(body) == key, body
    # the directory's Wikidata IDs are candidates only: a third party's match waits for a person
    chained = [m for m in read_mappings(store, "wikidata")]
    assert chained and all(m.status == PROPOSED and m.justification.endswith("MappingChaining") for m in chained)
    assert any(m.subject == ORG + "bmi" and m.object == WD + "Q502698" for m in chained)


def test_govdata_gives_ministries_and_agencies_their_contributor_id(store, tmp_path):
    import pyoxigraph as ox

    scheme = ox.Store()
    scheme.load((DATA / "dcat-ap-de-contributors.rdf").read_bytes(), format=ox.RdfFormat.RDF_XML,
                base_iri="http://dcat-ap.de/def/contributors")
    ids_by_name = {r["l"].value: r["c"].value for r in scheme.query(
        "SELECT ?c ?l WHERE { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }")}
    expected = {b: ids_by_name[n] for b in federal_bodies(store) for n in labels(store, b) if n in ids_by_name}
    assert {ORG + "bva", ORG + "aa", ORG + "bmf"} <= set(expected)

    linking.link(store, config(tmp_path), "govdata", ["organisation", "unit"])
    got = {r["s"].value: r["o"].value for r in store.query(
        "SELECT ?s ?o WHERE { ?s <http://dcat-ap.de/def/dcatde/contributorID> ?o }")}
    for body, contributor in expected.items():
        assert got.get(body) == contributor, body


def test_wikidata_standin_proposes_the_ministries_with_their_gnd_and_ror(store, tmp_path, standin):
    report = linking.link(store, wd_config(tmp_path, standin.url), "wikidata", ["organisation", "unit"])
    assert report.requests > 0 and report.written
    links = {m.subject: m for m in read_mappings(store, "wikidata") if m.status in (ACCEPTED, PROPOSED)}
    bmas = links[ORG + "bmas"]
    assert bmas.object == WD + "Q491578" and bmas.status == ACCEPTED
    assert set(bmas.see_also) == {"https://d-nb.info/gnd/10123447-8", "https://ror.org/036e5c451"}
    # every ministry of the excerpt that the atlas names alike, with the IDs the excerpt gives it
    excerpt = (REPO.parent / "shared" / "registries" / "wikidata" / "federal-organisations.nt").read_text()
    for slug, item, gnd, ror in (("bmftr", "Q492234", "5309538-8", "04pz7b180"),
                                 ("bmleh", "Q699656", "10123103-9", "04jw21793"),
                                 ("bmz", "Q684357", "2129514-1", "00e0ttj68")):
        assert f"<{WD}{item}> <http://www.wikidata.org/prop/direct/P227> \"{gnd}\"" in excerpt
        m = links[ORG + slug]
        assert m.object == WD + item and {"https://d-nb.info/gnd/" + gnd, "https://ror.org/" + ror} <= set(m.see_also)
    # an accepted link that no person reviewed is a close match, never identity
    assert not bool(store.query(f"ASK {{ ?s <{SAME_AS}> ?o }}"))


def test_ambiguous_candidates_wait_and_a_rejected_one_is_never_proposed_again(store, tmp_path, standin):
    settings = wd_config(tmp_path, standin.url)
    linking.link(store, settings, "wikidata", ["organisation"])
    bmg = [m for m in read_mappings(store, "wikidata") if m.subject == ORG + "bmg"]
    assert {m.object for m in bmg} == {WD + "Q491566", WD + "Q999999001"}
    assert {m.status for m in bmg} == {PROPOSED}  # two equally good: a person decides
    assert not bool(store.query(f"ASK {{ <{ORG}bmg> ?p <{WD}Q491566> }}"))  # nothing asserted yet

    wrong = next(m for m in bmg if m.object.endswith("Q999999001"))
    linking.review(store, wrong.iri(BASE), accept=False, reviewer="Test Reviewer", note="not a ministry")
    linking.link(store, settings, "wikidata", ["organisation"])
    after = {m.object: m for m in read_mappings(store, "wikidata") if m.subject == ORG + "bmg"}
    assert after[WD + "Q999999001"].status == REJECTED and after[WD + "Q999999001"].reviewer == "Test Reviewer"
    # with the rival gone the right item is unambiguous now, and the rejected one stays rejected
    assert after[WD + "Q491566"].status == ACCEPTED

    right = linking.review(store, after[WD + "Q491566"].iri(BASE), accept=True, reviewer="Test Reviewer")
    assert right.status == REVIEWED and right.predicate == SAME_AS and right.justification.endswith("MappingReview")
    assert bool(store.query(f"ASK {{ <{ORG}bmg> <{SAME_AS}> <{WD}Q491566> }}"))


def _dump(store) -> bytes:
    out = io.BytesIO()
    store.dump(out, by_name("nquads"))
    return out.getvalue()


def test_a_registry_that_fails_half_way_changes_nothing(store, tmp_path, standin):
    proxy = FailingProxy(standin.url, ok=1)  # the label look-up answers, the details fail
    try:
        before = _dump(store)
        with pytest.raises(RegistryError, match="did not answer after 2 attempts"):
            linking.link(store, wd_config(tmp_path, proxy.url, link_cache_dir=""), "wikidata", ["organisation"])
        assert proxy.seen == 3  # one answered, then two attempts at the next
        assert _dump(store) == before
    finally:
        proxy.stop()


def test_only_allowed_registries_are_called(store, tmp_path, standin):
    proxy = FailingProxy(standin.url, ok=100)
    try:
        settings = config(tmp_path, wikidata_sparql_url=proxy.url + "/query", service_allow="https://other.example/")
        with pytest.raises(RegistryError, match="not on the allow-list"):
            linking.link(store, settings, "wikidata", ["organisation"])
        assert proxy.seen == 0
    finally:
        proxy.stop()


def test_answers_are_cached_and_a_dry_run_writes_nothing(store, tmp_path, standin):
    settings = wd_config(tmp_path, standin.url)
    before = _dump(store)
    first = linking.link(store, settings, "wikidata", ["organisation"], dry_run=True)
    assert first.requests > 0 and first.mappings and not first.written
    assert _dump(store) == before
    again = linking.link(store, settings, "wikidata", ["organisation"], dry_run=True)
    assert again.requests == 0 and [m.object for m in again.mappings] == [m.object for m in first.mappings]


def test_the_cli_links_lists_and_records_the_reviewer(tmp_path, run_cli):
    root = tmp_path / "cli-store"
    s = EmbeddedStore(root, BASE)
    s.load(model_sources(BASE), replace=True)
    s.close()
    env = {"TFATLAS_LINK_CACHE_DIR": str(tmp_path / "cache")}
    code, _, err = run_cli("--store", str(root), "link", "--registry", "govdata", env=env)
    assert code == 0, err
    assert "accepted" in err and "written." in err
    code, out, err = run_cli("--store", str(root), "link", "review", "--registry", "govdata", env=env)
    assert code == 0, err
    record = next(line.split("│")[1].strip() for line in out.splitlines() if "govdata/" in line)
    code, out, err = run_cli("--store", str(root), "link", "review", "--reject", record, env=env)
    assert code == 2 and "--reviewer" in err
    code, out, err = run_cli("--store", str(root), "link", "review", "--reject", record,
                             "--reviewer", "Erika Musterfrau", "--note", "anderes Ressort", env=env)
    assert code == 0 and "rejected" in out and "Erika Musterfrau" in out, err
    code, _, err = run_cli("--store", str(root), "link", "review", "--accept", "govdata/nosuchrecord",
                           "--reviewer", "X", env=env)
    assert code == 2 and "no link record" in err
    code, _, err = run_cli("--store", str(root), "link", "--registry", "nosuch", env=env)
    assert code == 2
    code, _, err = run_cli("--store", str(root), "link", "--registry", "govdata", "--types", "person", env=env)
    assert code == 2 and "unknown type" in err


def test_a_resource_page_shows_its_links_with_their_status(store, tmp_path, standin):
    from tfatlas.web.app import create_app

    settings = wd_config(tmp_path, standin.url, release_dir=str(tmp_path / "release"))
    linking.link(store, settings, "wikidata", ["organisation"])
    linking.link(store, settings, "anschriftenverzeichnis", ["organisation"])
    app = create_app(settings, store=store)
    try:
        client = app.test_client()
        page = client.get("/id/org/bmas", headers={"Accept": "text/html"}).get_data(as_text=True)
        assert "Auch in" in page
        assert 'href="https://www.wikidata.org/wiki/Q491578"' in page and "automatisch verknüpft" in page
        assert "GND" in page and "10123447-8" in page and "ROR" in page and "036e5c451" in page
        assert "Anschriftenverzeichnis des Bundes" in page
        english = client.get("/id/org/bmas?lang=en", headers={"Accept": "text/html"}).get_data(as_text=True)
        assert "Also in" in english and "linked automatically" in english
        # a page without links says nothing of them
        assert "Auch in" not in client.get("/id/topic/ki", headers={"Accept": "text/html"}).get_data(as_text=True)
    finally:
        service = app.extensions.get("tfatlas.query_service")
        if service is not None:
            service.close()


def test_any_reconciliation_service_by_url_here_another_atlas(store, tmp_path, seeded_server):
    # a batch of all organisations scores every entity of the other atlas; on a machine shared by
    # many test processes that can take longer than the default timeout meant for remote registries
    settings = config(tmp_path, service_allow=seeded_server.url, atlas_reconcile_url=seeded_server.url + "/reconcile",
                      link_timeout=120)
    report = linking.link(store, settings, "atlas", ["organisation"])
    assert report.requests >= 1
    found = {m.subject: m for m in read_mappings(store, "atlas")}
    # the other atlas holds the same bodies: each is proposed its namesake, the clear ones accepted
    assert found[ORG + "bva"].object == ORG + "bva" and found[ORG + "bva"].status == ACCEPTED
    assert found[ORG + "bmi"].object == ORG + "bmi"


def test_a_url_that_is_no_reconciliation_service_changes_nothing(store, tmp_path, seeded_server):
    settings = config(tmp_path, service_allow=seeded_server.url, atlas_reconcile_url=seeded_server.url + "/-/health")
    before = _dump(store)
    with pytest.raises(RegistryError, match="refused the request: HTTP 405"):
        linking.link(store, settings, "atlas", ["organisation"])
    assert _dump(store) == before
