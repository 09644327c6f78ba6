"""The decided links as an SSSOM TSV mapping set (https://mapping-commons.github.io/sssom/).

Accepted and reviewed links are mappings; rejected ones are negative mappings
(``predicate_modifier: Not``); proposed ones wait for a person and are not part of the set.
Rows are sorted and carry no time of writing, so two releases of the same links are identical.
"""

from __future__ import annotations

from ..vocab import ADMS, CONTRIBUTORS, DCATDE, GND, OWL, ROR, SEMAPV, SKOS, WD
from .records import ACCEPTED, REJECTED, REVIEWED, TOOL, Mapping

COLUMNS = ("subject_id", "subject_label", "predicate_id", "predicate_modifier", "object_id", "object_label",
           "mapping_justification", "confidence", "mapping_tool", "mapping_tool_version", "mapping_date",
           "reviewer_label", "see_also", "comment")
LICENCE = "https://creativecommons.org/licenses/by/4.0/"


def curie_map(base_iri: str) -> dict[str, str]:
    return {"tfaid": base_iri + "id/", "wikidata": WD, "gnd": GND, "ror": ROR, "govdata": CONTRIBUTORS,
            "owl": OWL, "skos": SKOS, "adms": ADMS, "dcatde": DCATDE, "semapv": SEMAPV}


def _curie(iri: str, prefixes: dict[str, str]) -> str:
    best = max((p for p, ns in prefixes.items() if iri.startswith(ns) and len(iri) > len(ns)),
               key=lambda p: len(prefixes[p]), default=None)
    return f"{best}:{iri[len(prefixes[best]):]}" if best else iri


def _cell(text: str) -> str:
    return " ".join(str(text).replace("\t", " ").split())


def sssom_tsv(mappings: list[Mapping], base_iri: str) -> bytes:
    prefixes = curie_map(base_iri)
    lines = ["#curie_map:"] + [f"#  {p}: {ns}" for p, ns in sorted(prefixes.items())] + [
        f"#mapping_set_id: {base_iri}links.sssom.tsv",
        "#mapping_set_title: \"Transformationsatlas: links with registries\"",
        f"#license: {LICENCE}",
        f"#mapping_tool: {TOOL}",
        "\t".join(COLUMNS)]
    rows = []
    for m in mappings:
        if m.status not in (ACCEPTED, REVIEWED, REJECTED):
            continue
        rows.append("\t".join(_cell(v) for v in (
            _curie(m.subject, prefixes), m.subject_label, _curie(m.predicate, prefixes),
            "Not" if m.status == REJECTED else "", _curie(m.object, prefixes), m.object_label,
            _curie(m.justification, prefixes), f"{m.confidence:.3f}", TOOL, m.tool_version, m.date,
            m.reviewer, "|".join(m.see_also), m.note)))
    return ("\n".join(lines + sorted(rows)) + "\n").encode("utf-8")
