"""`tfatlas validate`, and the validation gate of `tfatlas load` / `init`, as a user runs them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from tfatlas import validation
from tfatlas.cli import main
from tfatlas.model.loading import check_sources, sources_for
from tfatlas.errors import ValidationFailed
from tfatlas.store.embedded import EmbeddedStore

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "shapes" / "examples"
INVALID = sorted(EXAMPLES.rglob("invalid-*.ttl"))
BASE = "https://w3id.org/tfatlas/"


def run(capsys, *args: str) -> tuple[int, str, str]:
    """The real entry point in this process (as `tfatlas ...`), returning (exit code, out, err)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_seed_data_conforms(capsys):
    code, out, _err = run(capsys, "validate")
    assert code == 0, out
    assert "Conforms" in out


@pytest.mark.parametrize("path", INVALID, ids=[str(p.relative_to(EXAMPLES)) for p in INVALID])
def test_violating_example_exits_1_and_names_focus_path_and_message(capsys, path):
    code, out, err = run(capsys, "validate", str(path))
    assert code == 1, out
    report = validation.validate_files([path])
    for finding in report.violations:
        assert f"<{finding.focus}>" in out or not isinstance(finding.focus, rdflib.URIRef)
        assert f"{finding.path}: {finding.message('en')}" in out
    assert "violations" in err


def test_german_report(capsys):
    code, out, _err = run(capsys, "validate", "--lang", "de", str(EXAMPLES / "offer" / "invalid-no-provider.ttl"))
    assert code == 1
    assert "Fehler" in out and "Es ist kein Anbieter angegeben" in out
    assert "Angebot" in out


def test_json_report(capsys):
    code, out, _err = run(capsys, "validate", "--format", "json",
                          str(EXAMPLES / "offer" / "invalid-provider-wrong-type.ttl"))
    assert code == 1
    data = json.loads(out)
    assert data["conforms"] is False and data["violations"] == 1
    (group,) = data["focusNodes"]
    assert group["focusNode"] == "https://w3id.org/tfatlas/id/offer/beispiel-scrum-grundlagen"
    (result,) = group["results"]
    assert result["path"] == "tfa:providedBy"
    assert result["message"]["de"] and result["message"]["en"]
    assert result["value"] == "<https://w3id.org/tfatlas/id/topic/scrum>"


def test_turtle_report_is_a_shacl_validation_report(capsys):
    code, out, _err = run(capsys, "validate", "--format", "turtle",
                          str(EXAMPLES / "offer" / "invalid-no-provider.ttl"))
    assert code == 1
    graph = rdflib.Graph().parse(data=out, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    (report,) = graph.subjects(rdflib.RDF.type, sh.ValidationReport)
    assert graph.value(report, sh.conforms).toPython() is False
    paths = {graph.value(r, sh.resultPath) for r in graph.objects(report, sh.result)
             if graph.value(r, sh.resultSeverity) == sh.Violation}
    assert paths == {rdflib.URIRef("https://w3id.org/tfatlas/ontology#providedBy")}


def test_warnings_are_shown_but_exit_0(capsys):
    path = EXAMPLES / "offer" / "valid-with-warning-no-challenge-no-contact-no-english.ttl"
    code, out, _err = run(capsys, "validate", str(path))
    assert code == 0
    assert out.count("Warning") == 3


def test_syntax_error_exits_2_with_file_line_column(capsys, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <https://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e \"unterminated .\n")
    code, _out, err = run(capsys, "validate", str(bad))
    assert code == 2
    assert re.search(rf"{re.escape(str(bad))}:3:\d+: ", err), err


def test_missing_file_exits_2(capsys, tmp_path):
    code, _out, err = run(capsys, "validate", str(tmp_path / "nothing.ttl"))
    assert code == 2 and "no such file" in err


def test_installed_command_exit_code():
    """The console script as a user calls it (one subprocess; the rest run in-process)."""
    done = subprocess.run([sys.executable, "-m", "tfatlas", "validate",
                           str(EXAMPLES / "offer" / "invalid-no-provider.ttl")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "tfa:providedBy" in done.stdout


# -- the gate of load and init ----------------------------------------------------------------

@pytest.fixture
def store(tmp_path):
    with EmbeddedStore(tmp_path / "store", BASE) as opened:
        yield opened


def graph_count(store) -> int:
    return len(store.graphs())


def test_load_refuses_violations_and_stores_nothing(capsys, tmp_path):
    store_dir = str(tmp_path / "store")
    bad = EXAMPLES / "initiative" / "invalid-no-actor.ttl"
    good = EXAMPLES / "offer" / "valid-offer.ttl"
    code, _out, err = run(capsys, "--store", store_dir, "load", "--no-progress", str(good), str(bad))
    assert code == 1
    assert "prov:wasAssociatedWith" in err and "Nothing was stored" in err
    with EmbeddedStore(store_dir, BASE) as opened:
        assert opened.is_empty()
    code, _out, _err = run(capsys, "--store", store_dir, "load", "--no-progress", "--force", str(bad))
    assert code == 0
    with EmbeddedStore(store_dir, BASE) as opened:
        assert f"{BASE}graph/user/invalid-no-actor" in opened.graphs()


def test_entry_is_checked_against_the_store_neighbourhood_only(store, tmp_path):
    """A provider and a concept already in the store count; unrelated bad data in the store does not."""
    # The provider lives in the store, not in the entry.
    actor = tmp_path / "actor.ttl"
    actor.write_text((EXAMPLES / "actor" / "valid-formal-organisation.ttl").read_text())
    unrelated = EXAMPLES / "initiative" / "invalid-no-actor.ttl"
    store.load(sources_for([actor, unrelated], BASE))
    ontology = sources_for([REPO / "ontology"], BASE, kind="ontology")
    store.load(ontology)

    entry = tmp_path / "entry.ttl"
    text = (EXAMPLES / "offer" / "valid-offer.ttl").read_text()
    # Keep only the offer itself: its provider and source page are described in the store.
    entry.write_text(text[:text.index("<https://example.org/quelle> a foaf:Document")]
                     + text[text.index("offer:beispiel-scrum-grundlagen a"):])
    alone = validation.validate_files([entry])
    assert not alone.conforms  # without the store, the provider has no type
    assert any(f.path == "tfa:providedBy" for f in alone.violations)

    workspace = validation.Workspace(validation.load_context())
    workspace.add_data(validation.parse_file(entry))
    added = validation.add_neighbourhood(workspace, store)
    assert 0 < added < 40  # what the entry touches, not the store
    report = workspace.run()
    assert report.conforms, report.text("en")
    assert check_sources(sources_for([entry], BASE), store) is not None

    wrong = tmp_path / "wrong.ttl"
    wrong.write_text(entry.read_text().replace("tfa:providedBy orgs:beispiel-gmbh",
                                               "tfa:providedBy <https://w3id.org/tfatlas/id/topic/scrum>"))
    with pytest.raises(ValidationFailed) as failure:
        check_sources(sources_for([wrong], BASE), store)
    assert "tfa:providedBy" in str(failure.value)


def test_model_files_are_context_not_data():
    sources = sources_for([REPO / "ontology", REPO / "shapes"], BASE)
    assert sources
    assert check_sources(sources) is None


def test_unknown_extension_names_validates_own_format_option(tmp_path):
    import subprocess

    from support.servers import tfatlas_command

    odd = tmp_path / "data.xyz"
    odd.write_text("x")
    result = subprocess.run(tfatlas_command() + ["validate", str(odd)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--rdf-format" in result.stderr and "Traceback" not in result.stderr
