"""Links as mapping records in the manner of SSSOM, and their RDF in the registry's named graph.

A record names subject (an atlas resource), predicate, object (the registry's entity or key), the
justification (a ``semapv:`` term), the confidence (0 to 1), the tool and its version, the date,
the reviewer and a note, and its status:

- ``proposed``: waits for a person (``tfatlas link review``, the admin review page);
- ``accepted``: unambiguous and above the accept threshold, so linked without a person;
- ``reviewed``: a person accepted it (an organisation is then ``owl:sameAs`` its registry entity);
- ``rejected``: a person rejected it; kept, so it is never proposed again (SSSOM: ``predicate_modifier Not``).

Only ``accepted`` and ``reviewed`` records assert their link; each record lives at an IRI derived
from subject, predicate and object, so a new run updates it instead of adding another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace

from ..version import __version__
from ..vocab import ADMS, DCATDE, OWL, RDF_TYPE, RDFS, SEMAPV, SKOS, SSSOM, XSD, links_graph, tfa

TOOL = "tfatlas link"
PROPOSED, ACCEPTED, REVIEWED, REJECTED = "proposed", "accepted", "reviewed", "rejected"
STATUSES = (PROPOSED, ACCEPTED, REVIEWED, REJECTED)
LEXICAL = SEMAPV + "LexicalMatching"
CHAINED = SEMAPV + "MappingChaining"
CURATED = SEMAPV + "ManualMappingCuration"
REVIEW = SEMAPV + "MappingReview"
SAME_AS, CLOSE, EXACT = OWL + "sameAs", SKOS + "closeMatch", SKOS + "exactMatch"
IDENTIFIER, CONTRIBUTOR_ID = ADMS + "identifier", DCATDE + "contributorID"


@dataclass(frozen=True)
class Mapping:
    registry: str
    subject: str
    predicate: str
    object: str
    object_label: str
    subject_label: str = ""
    justification: str = LEXICAL
    confidence: float = 0.0
    status: str = PROPOSED
    date: str = field(default_factory=lambda: dt.date.today().isoformat())
    tool_version: str = __version__
    reviewer: str = ""
    note: str = ""
    see_also: tuple[str, ...] = ()  # other identifiers of the object (a Wikidata item's GND, ROR IRIs)
    notation: str = ""  # for a registry key (adms:identifier): the key itself
    agency: str = ""  # for a registry key: who issues it

    @property
    def key(self) -> tuple[str, str]:
        return self.subject, self.object

    def iri(self, base_iri: str) -> str:
        digest = hashlib.sha1(f"{self.subject}|{self.object}".encode()).hexdigest()[:16]
        return f"{base_iri}id/mapping/{self.registry}/{digest}"

    @property
    def asserted(self) -> bool:
        return self.status in (ACCEPTED, REVIEWED)

    def reviewed(self, accept: bool, reviewer: str, note: str, is_concept: bool = False) -> "Mapping":
        """This record after a person's decision (the predicate becomes identity when accepted)."""
        predicate = self.predicate
        if accept and self.predicate in (CLOSE, EXACT, SAME_AS):
            predicate = EXACT if is_concept else SAME_AS
        return replace(self, predicate=predicate, status=REVIEWED if accept else REJECTED,
                       justification=REVIEW, reviewer=reviewer, note=note,
                       date=dt.date.today().isoformat())


def _lit(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r"))
    return f'"{escaped}"'


def _triples(m: Mapping, base_iri: str) -> list[str]:
    rec = f"<{m.iri(base_iri)}>"
    t = tfa(base_iri)
    out = [f"{rec} <{RDF_TYPE}> <{SSSOM}Mapping>",
           f"{rec} <{OWL}annotatedSource> <{m.subject}>",
           f"{rec} <{OWL}annotatedProperty> <{m.predicate}>",
           f"{rec} <{OWL}annotatedTarget> <{m.object}>",
           f"{rec} <{SSSOM}object_label> {_lit(m.object_label)}",
           f"{rec} <{SSSOM}mapping_justification> <{m.justification}>",
           f'{rec} <{SSSOM}confidence> "{m.confidence:.3f}"^^<{XSD}double>',
           f"{rec} <{SSSOM}mapping_tool> {_lit(TOOL)}",
           f"{rec} <{SSSOM}mapping_tool_version> {_lit(m.tool_version)}",
           f'{rec} <{SSSOM}mapping_date> "{m.date}"^^<{XSD}date>',
           f"{rec} <{t}linkStatus> {_lit(m.status)}"]
    if m.subject_label:
        out.append(f"{rec} <{SSSOM}subject_label> {_lit(m.subject_label)}")
    if m.reviewer:
        out.append(f"{rec} <{SSSOM}reviewer_label> {_lit(m.reviewer)}")
    if m.note:
        out.append(f"{rec} <{SSSOM}comment> {_lit(m.note)}")
    if m.status == REJECTED:
        out.append(f'{rec} <{SSSOM}predicate_modifier> "Not"')
    if m.notation:
        out.append(f"{rec} <{SKOS}notation> {_lit(m.notation)}")
    for other in m.see_also:
        out.append(f"{rec} <{RDFS}seeAlso> <{other}>")
    if m.asserted:
        out.append(f"<{m.subject}> <{m.predicate}> <{m.object}>")
        out.extend(f"<{m.subject}> <{m.predicate}> <{other}>" for other in m.see_also)
        if m.predicate == IDENTIFIER:
            out += [f"<{m.object}> <{RDF_TYPE}> <{ADMS}Identifier>",
                    f"<{m.object}> <{SKOS}notation> {_lit(m.notation)}",
                    f"<{m.object}> <{ADMS}schemaAgency> {_lit(m.agency)}"]
    return out


def write_update(mappings: list[Mapping], base_iri: str) -> str:
    """One SPARQL Update that replaces these records (and what they assert) in their graphs."""
    parts: list[str] = []
    for m in mappings:
        graph = links_graph(base_iri, m.registry)
        rec = m.iri(base_iri)
        parts.append(f"DELETE WHERE {{ GRAPH <{graph}> {{ <{rec}> ?p ?o }} }}")
        for target in (m.object, *m.see_also):
            parts.append(f"DELETE WHERE {{ GRAPH <{graph}> {{ <{m.subject}> ?p <{target}> }} }}")
        if m.predicate == IDENTIFIER:
            parts.append(f"DELETE WHERE {{ GRAPH <{graph}> {{ <{m.object}> ?p ?o }} }}")
        body = " .\n".join(_triples(m, base_iri))
        parts.append(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body} .\n}} }}")
    return " ;\n".join(parts)


_READ = """
SELECT ?rec ?g ?registry ?s ?p ?o ?olabel ?slabel ?just ?conf ?status ?date ?version ?reviewer ?note ?notation ?agency
       (GROUP_CONCAT(STR(?also); separator=" ") AS ?others) WHERE {{
  GRAPH ?g {{
    ?rec a <{sssom}Mapping> ; <{owl}annotatedSource> ?s ; <{owl}annotatedProperty> ?p ;
         <{owl}annotatedTarget> ?o ; <{tfa}linkStatus> ?status ;
         <{sssom}mapping_justification> ?just ; <{sssom}confidence> ?conf ; <{sssom}mapping_date> ?date .
    OPTIONAL {{ ?rec <{sssom}object_label> ?olabel }}
    OPTIONAL {{ ?rec <{sssom}subject_label> ?slabel }}
    OPTIONAL {{ ?rec <{sssom}mapping_tool_version> ?version }}
    OPTIONAL {{ ?rec <{sssom}reviewer_label> ?reviewer }}
    OPTIONAL {{ ?rec <{sssom}comment> ?note }}
    OPTIONAL {{ ?rec <{skos}notation> ?notation }}
    OPTIONAL {{ ?rec <{rdfs}seeAlso> ?also }}
    OPTIONAL {{ ?o <{adms}schemaAgency> ?agency }}
  }}
  FILTER(STRSTARTS(STR(?g), "{prefix}"))
  BIND(STRAFTER(STR(?g), "{prefix}") AS ?registry)
  {filter}
}} GROUP BY ?rec ?g ?registry ?s ?p ?o ?olabel ?slabel ?just ?conf ?status ?date ?version ?reviewer ?note ?notation ?agency
ORDER BY ?registry ?s ?o
"""


def read_mappings(store, registry: str | None = None, subject: str | None = None) -> list[Mapping]:
    base = store.base_iri
    filters = []
    if registry:
        filters.append(f"FILTER(?registry = {_lit(registry)})")
    if subject:
        filters.append(f"FILTER(?s = <{subject}>)")
    query = _READ.format(sssom=SSSOM, owl=OWL, tfa=tfa(base), skos=SKOS, rdfs=RDFS, adms=ADMS,
                         prefix=base + "graph/links/", filter="\n".join(filters))
    out = []
    for row in store.query(query, union_default=False):
        def v(name, default=""):
            term = row[name]
            return term.value if term is not None else default

        out.append(Mapping(
            registry=v("registry"), subject=v("s"), predicate=v("p"), object=v("o"),
            object_label=v("olabel"), subject_label=v("slabel"), justification=v("just"),
            confidence=float(v("conf", "0")), status=v("status"), date=v("date"),
            tool_version=v("version"), reviewer=v("reviewer"), note=v("note"),
            see_also=tuple(x for x in v("others").split(" ") if x), notation=v("notation"), agency=v("agency")))
    return out


def by_iri(store, iri: str) -> Mapping | None:
    """The record with this IRI (as the review page and the CLI name it)."""
    for m in read_mappings(store):
        if m.iri(store.base_iri) == iri or m.iri(store.base_iri).endswith("/" + iri):
            return m
    return None


def contributor_id_of(store, subject: str) -> str | None:
    """The GovData contributor ID that an accepted or reviewed link gives ``subject``."""
    for m in read_mappings(store, "govdata", subject):
        if m.asserted and m.predicate == CONTRIBUTOR_ID:
            return m.object
    return None
