"""The links in the release: an SSSOM TSV that sssom-py validates, and the link graphs in the dumps."""

from __future__ import annotations

import gzip

import pytest

from support.stores import make_linked_release

BASE = "https://w3id.org/tfatlas/"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    directory, _ = make_linked_release(tmp_path_factory.mktemp("links"))
    return directory


def test_the_sssom_export_validates_with_sssom_py(release):
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    path = release / "links.sssom.tsv"
    msdf = parse_sssom_table(path)
    validate(msdf, fail_on_error=True)  # raises on any error of the schema
    frame = msdf.df
    assert len(frame) >= 10
    bva = frame[frame["subject_id"] == "tfaid:org/bva"]
    assert list(bva["object_id"]) == ["govdata:bundesverwaltungsamt"]
    assert list(bva["predicate_id"]) == ["dcatde:contributorID"]
    assert set(frame["mapping_justification"]) <= {"semapv:LexicalMatching", "semapv:MappingReview",
                                                   "semapv:MappingChaining"}
    assert frame["confidence"].between(0, 1).all()


def test_a_broken_export_is_refused_by_sssom_py(release, tmp_path):
    """The validator can fail: without the required justification it refuses the set."""
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    text = (release / "links.sssom.tsv").read_text(encoding="utf-8")
    broken = tmp_path / "broken.sssom.tsv"
    broken.write_text(text.replace("semapv:LexicalMatching", "LexicalMatching"), encoding="utf-8")
    import jsonschema

    with pytest.raises(jsonschema.ValidationError, match="validation errors"):
        validate(parse_sssom_table(broken), fail_on_error=True)


def test_the_link_graph_is_in_the_dumps(release):
    trig = (release / "tfatlas.trig").read_text(encoding="utf-8")
    assert f"<{BASE}graph/links/govdata>" in trig
    nt = gzip.decompress((release / "tfatlas.nt.gz").read_bytes()).decode("utf-8")
    assert (f"<{BASE}id/org/bva> <http://dcat-ap.de/def/dcatde/contributorID> "
            f"<http://dcat-ap.de/def/contributors/bundesverwaltungsamt> .") in nt
    sums = (release / "SHA256SUMS").read_text()
    assert "links.sssom.tsv" in sums
