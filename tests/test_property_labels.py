"""Every property the seed data uses is shown by a name in German and in English, not a prefixed IRI."""

from __future__ import annotations

import pytest

from tfatlas.linked_data.labels import labels_for, prefixed_name


@pytest.fixture(scope="module")
def data_properties(tmp_path_factory):
    from tfatlas.model.loading import model_sources
    from tfatlas.store.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path_factory.mktemp("labels") / "store", "https://w3id.org/tfatlas/")
    store.load(model_sources("https://w3id.org/tfatlas/"), replace=True)
    rows = store.query("SELECT DISTINCT ?p { GRAPH ?g { ?s ?p ?o } "
                       "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/tfatlas/graph/data/')) }")
    properties = sorted(row["p"].value for row in rows)
    yield store, properties
    store.close()


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_property_of_the_data_has_a_label(data_properties, lang):
    store, properties = data_properties
    assert len(properties) > 20, properties
    labels = labels_for(store, properties, lang)
    unnamed = [p for p in properties if str(labels.get(p) or prefixed_name(p)) == prefixed_name(p)]
    assert not unnamed, f"shown as prefixed names on /id/ pages ({lang}): {unnamed}"
