"""Every shape has conforming and violating examples (shapes/examples/<shape>/); each is run here.

An example states what it expects in comment lines:
    # expect: conforms                      no violation (warnings allowed)
    # expect: sh:Violation tfa:providedBy   a violation whose path is tfa:providedBy
    # expect: sh:Warning rdfs:label         a warning whose path is rdfs:label
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tfatlas import validation

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "shapes" / "examples"
EXPECT = re.compile(r"^# expect: (.+?)\s*$", re.MULTILINE)
SHAPES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
FILES = sorted(EXAMPLES.rglob("*.ttl"))


def expectations(path: Path) -> list[str]:
    found = EXPECT.findall(path.read_text(encoding="utf-8"))
    assert found, f"{path} states no '# expect:' line"
    return found


def test_every_shape_has_a_conforming_and_a_violating_example():
    assert len(SHAPES) >= 10
    for shape in SHAPES:
        names = [p.name for p in (EXAMPLES / shape).glob("*.ttl")]
        assert any(n.startswith("valid-") for n in names), f"{shape}: no valid-*.ttl example"
        assert any(n.startswith("invalid-") for n in names), f"{shape}: no invalid-*.ttl example"


def test_every_node_shape_with_a_target_has_an_example_directory():
    import rdflib
    from rdflib.namespace import RDF, SH

    shapes = rdflib.Graph().parse(REPO / "shapes" / "tfatlas-shapes.ttl")
    targeted = {s for s in shapes.subjects(RDF.type, SH.NodeShape)
                if (s, SH.targetClass, None) in shapes or (s, SH.targetObjectsOf, None) in shapes}
    # ActorShape -> actor, ChangeEventShape -> change-event, ...
    names = {re.sub(r"(?<!^)(?=[A-Z])", "-", str(s).rsplit("#", 1)[1].removesuffix("Shape")).lower()
             for s in targeted}
    assert names <= set(SHAPES), f"shapes without examples: {sorted(names - set(SHAPES))}"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(EXAMPLES)) for p in FILES])
def test_example(path: Path):
    report = validation.validate_files([path])
    found = {(f.severity, f.path) for f in report.findings}
    for expectation in expectations(path):
        if expectation == "conforms":
            assert report.conforms, report.text("en")
            continue
        severity, _, shape_path = expectation.partition(" ")
        wanted = (severity.removeprefix("sh:"), shape_path)
        assert wanted in found, f"expected {wanted}, got {sorted(found, key=str)}\n{report.text('en')}"
    if path.name.startswith("invalid-"):
        assert not report.conforms
        for finding in report.violations:
            # Every message is given in German and in English.
            assert finding.messages.get("de") and finding.messages.get("en"), finding
    else:
        assert path.name.startswith("valid-")
        assert report.conforms and not report.violations, report.text("en")


def test_examples_of_invalid_data_name_the_offending_value():
    report = validation.validate_files([EXAMPLES / "offer" / "invalid-provider-wrong-type.ttl"])
    (finding,) = report.violations
    assert str(finding.focus) == "https://w3id.org/tfatlas/id/offer/beispiel-scrum-grundlagen"
    assert str(finding.value) == "https://w3id.org/tfatlas/id/topic/scrum"
    assert finding.component == "Class"


def test_shipped_vocabularies_conform_as_data():
    """Concepts: exactly one German and one English preferred label, in a scheme."""
    vocabularies = sorted((REPO / "ontology" / "vocabularies").glob("*.ttl"))
    assert vocabularies
    report = validation.validate_files(vocabularies)
    assert report.conforms, report.text("en")
    assert report.checked >= 50
