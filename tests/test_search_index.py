"""The search index beside the store: built, kept in step with writes, never served stale."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tfatlas import search
from tfatlas.search import SearchIndex
from tfatlas.store.embedded import EmbeddedStore

from support.search_store import BASE, init_store

OFFER = BASE + "id/offer/"
TOPIC = BASE + "id/topic/"
TFA = "https://w3id.org/tfatlas/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
GRAPH = BASE + "graph/test-search"


@pytest.fixture(scope="module")
def seed_copy(tmp_path_factory):
    """One initialised store, copied for each test that writes (init runs the whole loader)."""
    return init_store(tmp_path_factory.mktemp("seed") / "store")


@pytest.fixture
def store(seed_copy, tmp_path):
    subprocess.run(["cp", "-a", str(seed_copy), str(tmp_path / "store")], check=True)
    opened = EmbeddedStore(tmp_path / "store", BASE)
    yield opened
    opened.close()


def ranked(index: SearchIndex, text: str, lang: str = "de") -> list[str]:
    return index.search(text, lang, limit=0).ranked


def insert_offer(store, slug: str, title: str, topic: str = "ki") -> str:
    # Written for the test: a made-up offer, in a graph of its own.
    iri = OFFER + slug
    store.update(f"""INSERT DATA {{ GRAPH <{GRAPH}> {{
        <{iri}> a <{TFA}Offer> ; <{RDFS}label> "{title}"@de ; <{TFA}hasTopic> <{TOPIC}{topic}> . }} }}""")
    return iri


def test_open_builds_the_index_beside_the_embedded_store(store):
    index = search.open(store)
    assert index.directory == Path(store.root) / "search-index"
    current = (index.directory / "CURRENT").read_text().strip()
    state = json.loads((index.directory / current / "state.json").read_text())
    assert state["strategy"] == "decompound" and state["offers"] == len(index.digests()) > 20
    assert ranked(index, "Legistik")[0] == OFFER + "digitalcheck-unterstuetzung"


def test_reopening_an_index_in_step_with_the_store_does_not_rebuild(store):
    search.open(store)
    again = SearchIndex(Path(store.root) / "search-index")
    assert again.open(store) is False and again.rebuilds == 0


def test_a_write_the_index_missed_is_found_at_open_and_rebuilt(store):
    search.open(store)
    insert_offer(store, "test-missed", "Zebrafütterung für Ministerien")
    again = SearchIndex(Path(store.root) / "search-index")
    assert again.open(store) is True
    assert ranked(again, "Zebrafuetterung") == [OFFER + "test-missed"]


def test_update_follows_inserts_changes_and_deletes(store):
    index = search.open(store)
    iri = insert_offer(store, "test-new", "Zebrafütterung für Ministerien")
    assert search.update(store, {iri}) == 1
    assert ranked(index, "Zebrafütterung") == [iri]
    store.update(f"""DELETE {{ GRAPH ?g {{ <{iri}> <{RDFS}label> ?l }} }}
        INSERT {{ GRAPH <{GRAPH}> {{ <{iri}> <{RDFS}label> "Giraffenpflege"@de }} }}
        WHERE {{ GRAPH ?g {{ <{iri}> <{RDFS}label> ?l }} }}""")
    search.update(store, {iri})
    assert ranked(index, "Zebrafütterung") == [] and ranked(index, "Giraffenpflege") == [iri]
    store.update(f"DROP GRAPH <{GRAPH}>")
    search.update(store, {iri})
    assert ranked(index, "Giraffenpflege") == []
    assert index.digests() == {i: d.digest for i, d in search.source.read_offers(store).items()}


def test_a_new_synonym_on_a_concept_reaches_every_offer_on_it(store):
    index = search.open(store)
    assert ranked(index, "Maschinenlernen") == []
    # Written for the test: an altLabel the vocabulary does not have.
    store.update(f"""INSERT DATA {{ GRAPH <{GRAPH}> {{
        <{TOPIC}ki> <{SKOS}altLabel> "Maschinenlernen"@de }} }}""")
    assert search.update(store, {TOPIC + "ki"}) >= 1
    found = index.search("Maschinenlernen", "de")
    on_topic = {row["o"].value for row in store.query(f"SELECT ?o WHERE {{ ?o <{TFA}hasTopic> <{TOPIC}ki> ; a <{TFA}Offer> }}")}
    assert set(found.ranked) == on_topic and OFFER + "bakoev-lernpfad-ki" in on_topic
    topic = next(m for m in found.hits[0].matches if m.field == "topic")
    assert topic.describe("de") == "über das Thema Künstliche Intelligenz (Maschinenlernen)"
    fresh = SearchIndex(Path(store.root) / "fresh")
    fresh.rebuild(store)
    assert fresh.search("Maschinenlernen").ranked == found.ranked


def test_an_index_of_another_format_or_strategy_is_rebuilt_not_read(store):
    index = search.open(store)
    state_file = index.directory / (index.directory / "CURRENT").read_text().strip() / "state.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({**state, "format": -1}))
    again = SearchIndex(index.directory)
    assert again.open(store) is True
    assert again.state()["format"] != -1 and ranked(again, "KI")[0] == OFFER + "bakoev-lernpfad-ki"
    assert len(list(index.directory.glob("idx-*"))) == 1  # the old one removed


def test_a_leftover_of_an_interrupted_rebuild_is_removed_and_never_read(store):
    index = search.open(store)
    leftover = index.directory / "idx-999999"
    leftover.mkdir()
    (leftover / "junk").write_text("half a rebuild")
    again = SearchIndex(index.directory)
    assert again.open(store) is False
    assert not leftover.exists()


CRASH_AFTER_STORE_WRITE = """
import os, signal, sys
from tfatlas import search
from tfatlas.store.embedded import EmbeddedStore
store = EmbeddedStore(sys.argv[1], {base!r})
search.open(store)
store.update('''INSERT DATA {{ GRAPH <{graph}> {{ <{offer}test-crash> a <{tfa}Offer> ;
    <{rdfs}label> "Zebrafütterung für Ministerien"@de . }} }}''')
os.kill(os.getpid(), signal.SIGKILL)  # between the store's commit and the index's
"""

CRASH_DURING_UPDATES = """
import sys
from tfatlas import search
from tfatlas.store.embedded import EmbeddedStore
store = EmbeddedStore(sys.argv[1], {base!r})
search.open(store)
print("ready", flush=True)
for i in range(100000):
    iri = "{offer}test-loop-%d" % i
    store.update('''INSERT DATA {{ GRAPH <{graph}> {{ <%s> a <{tfa}Offer> ;
        <{rdfs}label> "Zebrafütterung Nummer %d"@de . }} }}''' % (iri, i))
    search.update(store, {{iri}})
"""


def _script(template: str) -> str:
    return textwrap.dedent(template.format(base=BASE, graph=GRAPH, offer=OFFER, tfa=TFA, rdfs=RDFS))


def _fresh_equals(store, index: SearchIndex, tmp_path: Path, queries) -> None:
    fresh = SearchIndex(tmp_path / "fresh-index")
    fresh.rebuild(store)
    for text in queries:
        assert ranked(index, text) == ranked(fresh, text), text


def test_sigkill_between_a_store_write_and_the_index_update(store, tmp_path):
    root = store.root
    store.close()
    done = subprocess.run([sys.executable, "-c", _script(CRASH_AFTER_STORE_WRITE), str(root)])
    assert done.returncode == -signal.SIGKILL
    reopened = EmbeddedStore(root, BASE)
    try:
        index = SearchIndex(Path(root) / "search-index")
        assert index.open(reopened) is True
        assert ranked(index, "Zebrafütterung") == [OFFER + "test-crash"]
        _fresh_equals(reopened, index, tmp_path, ["Zebrafütterung", "KI", "Projektmanagement"])
    finally:
        reopened.close()


def test_sigkill_during_index_updates(store, tmp_path):
    root = store.root
    store.close()
    child = subprocess.Popen([sys.executable, "-c", _script(CRASH_DURING_UPDATES), str(root)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    time.sleep(1.5)  # some writes and index commits done, one probably under way
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    reopened = EmbeddedStore(root, BASE)
    try:
        written = {row["o"].value for row in reopened.query(
            f"SELECT ?o WHERE {{ GRAPH <{GRAPH}> {{ ?o a <{TFA}Offer> }} }}")}
        assert written, "the child wrote nothing before it was killed"
        index = SearchIndex(Path(root) / "search-index")
        index.open(reopened)
        assert set(ranked(index, "Zebrafütterung")) == written
        _fresh_equals(reopened, index, tmp_path, ["Zebrafütterung Nummer 3", "KI", "Legistik"])
    finally:
        reopened.close()


def test_explanations_name_the_fields_in_the_readers_language(store):
    index = search.open(store)
    de = index.search("KI", "de").hits[0]
    assert de.iri == OFFER + "bakoev-lernpfad-ki"
    said = [m.describe("de") for m in de.matches]
    # The concept the query names exactly comes first (KI is an altLabel of Künstliche Intelligenz).
    assert said[0] == "über das Thema Künstliche Intelligenz (KI)" and de.exact
    assert "Treffer im Titel" in said and "über das Thema Generative KI" in said
    assert ("KI", True) in de.title and any(marked for _, marked in de.snippet)
    en = index.search("AI learning path", "en").hits[0]
    assert en.iri == OFFER + "bakoev-lernpfad-ki"
    told = [m.describe("en") for m in en.matches]
    assert "match in the title (in the translation)" in told and "via the challenge Use AI safely" in told
    assert ("AI", True) in en.title  # the English title, its matched words marked


def test_exact_only_for_a_whole_name(store):
    index = search.open(store)
    exact = index.search("Organisationsberatung").hits[0]
    assert exact.iri == OFFER + "bva-organisationsberatung" and exact.exact
    assert index.search("Organisationsberatung Bundesverwaltungsamt").hits[0].exact is False
    assert index.search("Legistik").hits[0].exact is False


def test_typo_and_compound_matches_say_what_was_read(store):
    index = search.open(store)
    typo = index.search("Projektmanagment").hits[0]
    assert "ähnlich geschrieben: Projektmanagment → Projektmanagement" in typo.matches[0].describe("de")
    compound = index.search("Agilcoach").hits[0]
    assert compound.iri == OFFER + "bakoev-ausbildung-agile-coach"
    assert any(w.kind == "compound" for m in compound.matches for w in m.words)


def test_restrict_and_the_any_word_fallback(store):
    index = search.open(store)
    only = {OFFER + "bva-projektkompass", OFFER + "digitalcheck-unterstuetzung"}
    assert index.search("Projektmanagement", restrict=only).ranked == [OFFER + "bva-projektkompass"]
    both = index.search("Legistik Barcamp")
    assert both.mode == "any"
    # Two offers name Legistik (the Digitalcheck and the visualisation workshop for legislative
    # drafters), two are barcamps (NExT-to-meet-you and NExTcamp); none has both.
    assert set(both.ranked) == {OFFER + "digitalcheck-unterstuetzung", OFFER + "digitalservice-workshop-visualisieren",
                                OFFER + "next-to-meet-you", OFFER + "nextcamp"}


def test_a_remote_store_needs_a_directory():
    class Remote:
        base_iri = BASE

    with pytest.raises(ValueError, match="search_index"):
        search.open(Remote())


def test_the_write_path_announces_its_write_and_nothing_is_reconciled(store):
    index = search.attach(store)
    try:
        iri = insert_offer(store, "test-announced", "Zebrafütterung für Ministerien")
        assert index.stale(store)  # the hook heard of a write; what changed is not yet known
        search.update(store, {iri})  # what the write path does after each accepted write
        assert not index.stale(store) and ranked(index, "Zebrafütterung") == [iri]
        # An update nobody announces is reconciled before the next search, never served stale.
        store.update(f"DROP GRAPH <{GRAPH}>")
        assert index.stale(store)
        assert search.current(store).search("Zebrafütterung").ranked == []
        assert not index.stale(store)
    finally:
        search.detach(store)


def test_tfatlas_load_rebuilds_the_index(seed_copy, tmp_path):
    from support.search_store import cli

    root = tmp_path / "store"
    subprocess.run(["cp", "-a", str(seed_copy), str(root)], check=True)
    offer = tmp_path / "zebra.ttl"
    # Written for the test: a made-up offer (loaded with --force: it is not complete for the shapes).
    offer.write_text(f'<{OFFER}test-loaded> a <{TFA}Offer> ; <{RDFS}label> "Zebrafütterung"@de .\n')
    done = cli(root, "load", "--force", "--no-progress", str(offer))
    assert done.returncode == 0, done.stderr
    assert "Search index:" in done.stderr
    store = EmbeddedStore(root, BASE)
    try:
        index = SearchIndex(root / "search-index")
        assert index.open(store) is False  # already in step: load rebuilt it
        assert ranked(index, "Zebrafütterung") == [OFFER + "test-loaded"]
    finally:
        store.close()


def test_tfatlas_load_no_index_leaves_a_stale_index_that_the_next_open_rebuilds(seed_copy, tmp_path):
    from support.search_store import cli

    root = tmp_path / "store"
    subprocess.run(["cp", "-a", str(seed_copy), str(root)], check=True)
    offer = tmp_path / "zebra.ttl"
    # Written for the test: a made-up offer (loaded with --force: it is not complete for the shapes).
    offer.write_text(f'<{OFFER}test-unindexed> a <{TFA}Offer> ; <{RDFS}label> "Zebrafütterung"@de .\n')
    done = cli(root, "load", "--force", "--no-index", "--no-progress", str(offer))
    assert done.returncode == 0, done.stderr
    assert "not rebuilt" in done.stderr
    store = EmbeddedStore(root, BASE)
    try:
        index = SearchIndex(root / "search-index")
        assert index.open(store) is True  # as `tfatlas serve` opens it: stale, so rebuilt
        assert ranked(index, "Zebrafütterung") == [OFFER + "test-unindexed"]
    finally:
        store.close()


def test_a_queued_update_is_indexed_before_the_next_search(store):
    index = search.attach(store)
    try:
        iri = insert_offer(store, "test-queued", "Zebrafütterung für Ministerien")
        assert search.update(store, {iri}, wait=False) == 0  # the write's answer does not wait
        assert ranked(index, "Zebrafütterung") == [iri]  # the search does
        assert not index.stale(store)
    finally:
        search.detach(store)


def test_the_title_order_follows_a_renamed_offer(store):
    index = search.open(store)
    iri = OFFER + "bakoev-lernpfad-ki"
    # Written for the test: a new title that sorts last.
    store.update(f"""DELETE {{ GRAPH ?g {{ <{iri}> <{RDFS}label> ?l }} }}
        INSERT {{ GRAPH <{GRAPH}> {{ <{iri}> <{RDFS}label> "Zzz-Lernpfad (für den Test geschrieben)"@de }} }}
        WHERE {{ GRAPH ?g {{ <{iri}> <{RDFS}label> ?l FILTER(LANGMATCHES(LANG(?l), "de")) }} }}""")
    search.update(store, {iri})
    docs = search.source.read_offers(store)
    expected = sorted(docs, key=lambda o: (search.fields.sort_title(docs[o], "de"), o))
    order = index.order("de")
    assert sorted(docs, key=order.__getitem__) == expected
    assert expected[-1] == iri



UPDATE_AND_CLOSE = """
import sys
from tfatlas.store.embedded import EmbeddedStore
store = EmbeddedStore(sys.argv[1], {base!r})
store.update('''INSERT DATA {{ GRAPH <{graph}> {{ <{offer}test-other> a <{tfa}Offer> ;
    <{rdfs}label> "Zebrafütterung für Ministerien"@de . }} }}''')
store.close()
"""


def _next_start(store, between=None, text: str = "Zebrafütterung") -> tuple[bool, int, list[str]]:
    """Close the store, run ``between`` (another process's turn), open store and index again as
    the next start does: (rebuilt, digest comparisons, offers found for ``text``)."""
    root = store.root
    store.close()
    if between is not None:
        between(root)
    reopened = EmbeddedStore(root, BASE)
    try:
        index = SearchIndex(Path(root) / "search-index")
        rebuilt = index.open(reopened)
        return rebuilt, index.checks, ranked(index, text)
    finally:
        reopened.close()


def test_an_index_in_step_opens_without_reading_an_offer(store):
    search.open(store)
    rebuilt, checks, found = _next_start(store, text="Legistik")
    assert (rebuilt, checks) == (False, 0) and found[0] == OFFER + "digitalcheck-unterstuetzung"


def test_an_update_by_another_process_between_two_opens_is_found(store):
    def other_process(root) -> None:
        assert subprocess.run([sys.executable, "-c", _script(UPDATE_AND_CLOSE), str(root)]).returncode == 0

    search.open(store)
    assert _next_start(store, other_process) == (True, 1, [OFFER + "test-other"])


def test_writes_followed_in_one_session_leave_an_index_that_the_next_open_trusts(store):
    search.attach(store)
    try:
        iri = insert_offer(store, "test-followed", "Zebrafütterung für Ministerien")
        search.update(store, {iri})
    finally:
        search.detach(store)
    assert _next_start(store) == (False, 0, [iri])


def test_a_write_the_index_did_not_follow_is_never_trusted_after_a_clean_close(store):
    search.open(store)  # not attached: the write below is not followed
    iri = insert_offer(store, "test-unfollowed", "Zebrafütterung für Ministerien")
    assert _next_start(store) == (True, 1, [iri])


def test_reading_every_offer_leaves_the_garbage_collector_as_it_was(store):
    import gc

    from tfatlas.errors import StoreError

    class Down:  # a store that fails midway, as a remote one may
        base_iri = BASE

        def query(self, text):
            raise StoreError("the store does not answer (written for the test)")

    assert gc.isenabled()
    assert search.source.read_offers(store) and gc.isenabled()
    with pytest.raises(StoreError):
        search.source.read_offers(Down())
    assert gc.isenabled()
