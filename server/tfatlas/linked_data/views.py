"""What a linked-data page shows about one resource, and what an RDF client gets for it.

Everything here is read from the store with SPARQL (``AtlasStore.query``), so the pages work the
same over the embedded Oxigraph store and over a remote SPARQL server. The web layer only maps
request paths to IRIs and renders these views; it never queries the store itself.

A view holds:
- the resource's label, description and types in the reader's language;
- its outgoing and incoming statements, grouped by property, each property with its label from
  the ontology, paged (``page_size`` statements per direction and page) because a concept used by
  thousands of offers must not produce a page of megabytes;
- the provenance of what is shown: ``dct:source`` and ``dct:modified`` of the resource, and the
  named graphs its statements come from with when and from what they were loaded;
- for actors their units, networks, initiatives, offers and topics; for concepts their broader
  and narrower concepts and the offers that use them.

The RDF description of a resource (``concise_description``) is its symmetric concise bounded description:
its outgoing statements with the blank nodes they lead to, and the statements that point to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pyoxigraph as ox

from . import labels as L
from ..linking.display import registry_links
from ..i18n import DEFAULT_LANGUAGE, normalise_language, pick
from ..model.formats import without_unused_prefixes
from ..vocab import (CV, DCT, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD, meta_graph, prefixes, tfa)
from .labels import Text, iri_term
from ..vocab import SH

FOAF_AGENT = FOAF + "Agent"
CV_PUBLIC_ORGANISATION = CV + "PublicOrganisation"
DEFAULT_PAGE_SIZE = 100
#: Up to this many statements a page is cut from all of them, sorted in Python: Oxigraph's ORDER BY
#: looks up every compared term on disk (985 incoming links: 428 ms against 15 ms; bench/pages.py).
SORT_IN_PYTHON_UP_TO = 20000
SECTION_LIMIT = 100


@dataclass
class Value:
    """An object or subject of a statement: an IRI (with its label), a literal or a blank node."""

    kind: str  # "iri", "literal", "bnode"
    text: str  # the label of an IRI, the lexical form of a literal
    iri: str | None = None
    language: str | None = None
    datatype: str | None = None
    datatype_label: str | None = None
    nested: list["PropertyValues"] = field(default_factory=list)  # statements of a blank node


@dataclass
class PropertyValues:
    property: str
    label: Text
    values: list[Value]


@dataclass
class GraphOrigin:
    iri: str
    label: Text
    loaded: str | None
    derived_from: str | None


@dataclass
class Provenance:
    sources: list[Value]
    modified: list[str]
    graphs: list[GraphOrigin]


@dataclass
class Section:
    key: str  # units, networks, initiatives, offers, topics, broader, narrower, offers_using
    values: list[Value]
    more: bool = False  # there are more than SECTION_LIMIT; all are among the incoming links


@dataclass
class ResourceView:
    iri: str
    lang: str
    label: Text
    description: Text | None
    types: list[Value]
    outgoing: list[PropertyValues]
    incoming: list[PropertyValues]
    outgoing_total: int
    incoming_total: int
    page: int
    pages: int
    page_size: int
    provenance: Provenance
    sections: list[Section]
    links: list = field(default_factory=list)  # linking.display.RegistryLink: "also in"


class PageOutOfRange(LookupError):
    def __init__(self, page: int, pages: int):
        super().__init__(f"page {page} does not exist; this resource has {pages} page(s)")
        self.page, self.pages = page, pages


def _count(store, sparql: str) -> int:
    for row in store.query(sparql):
        return int(row["n"].value)
    return 0


def exists(store, iri: str) -> bool:
    """True when the IRI occurs as subject or object of a statement, or names a graph."""
    try:
        term = iri_term(iri)
    except ValueError:
        return False
    return bool(store.query(
        f"ASK {{ {{ {term} ?p ?o }} UNION {{ ?s ?p {term} }} UNION {{ GRAPH {term} {{ ?s ?p ?o }} }} }}"))


def is_graph(store, iri: str) -> bool:
    try:
        term = iri_term(iri)
    except ValueError:
        return False
    return bool(store.query(f"ASK {{ GRAPH {term} {{ ?s ?p ?o }} }}"))


class _Labeller:
    """Collects IRIs while a view is built and labels them all with one query at the end."""

    def __init__(self, store, lang: str, base_iri: str):
        self.store, self.lang, self.prefixes = store, lang, prefixes(base_iri)
        self.own = base_iri
        self.values: list[Value] = []
        self.groups: list[PropertyValues] = []

    def value(self, term) -> Value:
        if isinstance(term, ox.NamedNode):
            value = Value("iri", term.value, iri=term.value)
            self.values.append(value)
        elif isinstance(term, ox.Literal):
            datatype = term.datatype.value if term.datatype else None
            if term.language or datatype in (None, XSD + "string", RDF + "langString"):
                datatype = None
            value = Value("literal", term.value, language=term.language, datatype=datatype)
            if datatype:
                value.datatype_label = L.prefixed_name(datatype, self.prefixes)
        else:
            value = Value("bnode", "")
        return value

    def group(self, groups: dict[str, PropertyValues], prop: str) -> PropertyValues:
        if prop not in groups:
            groups[prop] = PropertyValues(prop, Text(prop), [])
            self.groups.append(groups[prop])
        return groups[prop]

    def _unnamed_external(self, iri: str, text: str) -> bool:
        return (text.language is None and text == L.prefixed_name(iri, self.prefixes) and ":" not in text
                and not (self.own and iri.startswith(self.own)))

    def finish(self) -> None:
        iris = [v.iri for v in self.values] + [g.property for g in self.groups]
        found = L.labels_for(self.store, iris, self.lang, self.prefixes)
        for v in self.values:
            v.text = found[v.iri]
            v.language = found[v.iri].language
            if self._unnamed_external(v.iri, v.text):
                # A web page without a title: its address says more than its last path segment.
                v.text = Text(v.iri)
        for g in self.groups:
            g.label = found[g.property]


def _sorted(values: list[Value]) -> list[Value]:
    return sorted(values, key=lambda v: (v.text.casefold(), v.iri or ""))


def _section_queries(iri_t: str, base_iri: str) -> dict[str, str]:
    ns = tfa(base_iri)
    return {
        "units": f"{{ {iri_t} <{ORG}hasUnit> ?x }} UNION {{ ?x <{ORG}unitOf> {iri_t} }} "
                 f"UNION {{ ?x <{ORG}subOrganizationOf> {iri_t} }}",
        "parent": f"{{ {iri_t} <{ORG}unitOf> ?x }} UNION {{ ?x <{ORG}hasUnit> {iri_t} }} "
                  f"UNION {{ {iri_t} <{ORG}subOrganizationOf> ?x }}",
        "networks": f"?x <{ORG}hasMember> {iri_t}",
        "initiatives": f"{{ ?x <{PROV}wasAssociatedWith> {iri_t} }} "
                       f"UNION {{ ?x <{PROV}qualifiedAssociation>/<{PROV}agent> {iri_t} }}",
        "offers": f"?x <{ns}providedBy> {iri_t}",
        "topics": f"{{ {iri_t} <{ns}worksOnTopic> ?x }} "
                  f"UNION {{ ?o <{ns}providedBy> {iri_t} ; <{ns}hasTopic> ?x }} "
                  f"UNION {{ ?i <{PROV}wasAssociatedWith> {iri_t} ; <{ns}hasTopic> ?x }}",
    }


def _concept_queries(iri_t: str) -> dict[str, str]:
    return {
        "broader": f"{{ {iri_t} <{SKOS}broader> ?x }} UNION {{ ?x <{SKOS}narrower> {iri_t} }}",
        "narrower": f"{{ {iri_t} <{SKOS}narrower> ?x }} UNION {{ ?x <{SKOS}broader> {iri_t} }}",
    }


def _is_actor(types: set[str], base_iri: str) -> bool:
    actor_types = {tfa(base_iri) + "TransformationActor", ORG + "Organization",
                   ORG + "FormalOrganization", ORG + "OrganizationalUnit", FOAF_AGENT,
                   CV_PUBLIC_ORGANISATION, ORG + "OrganizationalCollaboration"}
    return bool(types & actor_types)


def view(store, iri: str, base_iri: str, lang: str = DEFAULT_LANGUAGE, page: int = 1,
         page_size: int = DEFAULT_PAGE_SIZE) -> ResourceView:
    """The page of a resource; raises PageOutOfRange for a page after the last one."""
    lang = normalise_language(lang)
    names = prefixes(base_iri)
    term = iri_term(iri)
    labeller = _Labeller(store, lang, base_iri)

    # DISTINCT everywhere: the union of the named graphs repeats a statement that several
    # sources make (each states dct:modified, some the same label).
    out_total = _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?p ?o WHERE {{ "
                              f"{term} ?p ?o FILTER(?p != <{RDF}type>) }} }}")
    in_total = _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {term} }} }}")
    pages = max(1, math.ceil(max(out_total, in_total) / page_size))
    if page < 1 or page > pages:
        raise PageOutOfRange(page, pages)
    offset = (page - 1) * page_size

    types = [labeller.value(row["t"]) for row in store.query(
        f"SELECT DISTINCT ?t WHERE {{ {term} a ?t FILTER(isIRI(?t)) }} ORDER BY ?t")]
    type_iris = {t.iri for t in types}

    # Statements of blank-node objects, shown nested under the statement that leads to them.
    nested: dict[str, dict[str, PropertyValues]] = {}
    for row in store.query(f"SELECT DISTINCT ?b ?p ?o WHERE {{ {term} ?x ?b FILTER(isBlank(?b)) ?b ?p ?o }} "
                           f"ORDER BY ?b ?p ?o LIMIT 1000"):
        groups = nested.setdefault(row["b"].value, {})
        labeller.group(groups, row["p"].value).values.append(labeller.value(row["o"]))

    outgoing: dict[str, PropertyValues] = {}
    for row in _page_of(store, f"SELECT DISTINCT ?p ?x WHERE {{ {term} ?p ?x FILTER(?p != <{RDF}type>) }}",
                        out_total, page_size, offset):
        value = labeller.value(row["x"])
        if value.kind == "bnode":
            value.nested = list(nested.get(row["x"].value, {}).values())
        labeller.group(outgoing, row["p"].value).values.append(value)

    incoming: dict[str, PropertyValues] = {}
    for row in _page_of(store, f"SELECT DISTINCT ?p ?x WHERE {{ ?x ?p {term} }}", in_total, page_size, offset):
        labeller.group(incoming, row["p"].value).values.append(labeller.value(row["x"]))

    sections: list[Section] = []
    queries: dict[str, str] = {}
    if _is_actor(type_iris, base_iri):
        queries.update(_section_queries(term, base_iri))
    if SKOS + "Concept" in type_iris:
        queries.update(_concept_queries(term))
    found: dict[str, list[str]] = {}
    if queries:
        # One query for all sections: each a branch of a UNION that names its section.
        union = " UNION ".join(f'{{ BIND("{key}" AS ?key) {pattern} }}' for key, pattern in queries.items())
        for row in store.query(f"SELECT DISTINCT ?key ?x WHERE {{ {union} FILTER(isIRI(?x)) }}"):
            found.setdefault(row["key"].value, []).append(row["x"].value)
    if SKOS + "Concept" in type_iris:
        # A concept can be used by thousands of offers; checking each one's type costs a disk
        # look-up, so only as many as are shown (plus one to know there are more).
        found["offers_using"] = [row["x"].value for row in store.query(
            f"SELECT DISTINCT ?x WHERE {{ ?x ?p {term} . ?x a <{tfa(base_iri)}Offer> }} LIMIT {SECTION_LIMIT + 1}")]
        queries["offers_using"] = ""
    for key in queries:
        if found.get(key):
            shown = sorted(found[key])[:SECTION_LIMIT]
            sections.append(Section(key, [labeller.value(ox.NamedNode(x)) for x in shown],
                                    len(found[key]) > SECTION_LIMIT))

    provenance = _provenance(store, term, base_iri, labeller)
    labeller.finish()
    for group in list(outgoing.values()) + list(incoming.values()):
        group.values = _sorted(group.values) if all(v.kind == "iri" for v in group.values) else group.values
    for section in sections:
        section.values = _sorted(section.values)
    found = L.labels_for(store, [iri], lang, names)
    description = L.descriptions_for(store, [iri], lang).get(iri)
    return ResourceView(
        iri=iri, lang=lang, label=found[iri], description=description, types=types,
        outgoing=sorted(outgoing.values(), key=lambda g: g.label.casefold()),
        incoming=sorted(incoming.values(), key=lambda g: g.label.casefold()),
        outgoing_total=out_total, incoming_total=in_total, page=page, pages=pages,
        page_size=page_size, provenance=provenance, sections=sections,
        links=registry_links(store, iri, lang))


def _page_of(store, select: str, total: int, page_size: int, offset: int) -> list:
    """One page of the rows of ``select`` (variables ?p ?x), ordered by property, then value."""
    if total <= SORT_IN_PYTHON_UP_TO:
        rows = sorted(store.query(select), key=lambda row: (row["p"].value, str(row["x"])))
        return rows[offset:offset + page_size]
    return list(store.query(f"{select} ORDER BY ?p ?x LIMIT {page_size} OFFSET {offset}"))


def _provenance(store, term: str, base_iri: str, labeller: _Labeller) -> Provenance:
    sources = [labeller.value(row["s"]) for row in store.query(
        f"SELECT DISTINCT ?s WHERE {{ {term} <{DCT}source> ?s }} ORDER BY ?s")]
    modified = [row["m"].value for row in store.query(
        f"SELECT DISTINCT ?m WHERE {{ {term} <{DCT}modified> ?m }} ORDER BY DESC(?m)")]
    meta = iri_term(meta_graph(base_iri))
    graphs = []
    for row in store.query(
            f"SELECT ?g (SAMPLE(?t) AS ?time) (SAMPLE(?f) AS ?from) WHERE {{ "
            f"GRAPH ?g {{ {term} ?p ?o }} "
            f"OPTIONAL {{ GRAPH {meta} {{ ?g <{PROV}generatedAtTime> ?t }} }} "
            f"OPTIONAL {{ GRAPH {meta} {{ ?g <{PROV}wasDerivedFrom> ?f }} }} "
            f"}} GROUP BY ?g ORDER BY ?g", union_default=False):
        name = row["g"].value
        time, source = row["time"], row["from"]
        graphs.append(GraphOrigin(name, Text(name), time.value if time is not None else None,
                                  _public_source(source.value) if source is not None else None))
    return Provenance(sources=sources, modified=modified, graphs=graphs)


def _public_source(iri: str) -> str:
    # Loads record the absolute path of the file they read; a page shows only the file name so
    # that the server's directory layout is not published.
    if iri.startswith("file:"):
        return iri.rstrip("/").rsplit("/", 1)[-1]
    return iri


# -- RDF for machines -----------------------------------------------------------------------


def concise_description(store, iri: str) -> list[ox.Triple]:
    """The symmetric concise bounded description of a resource (see the module docstring)."""
    term = iri_term(iri)
    result = store.query(
        f"CONSTRUCT {{ {term} ?p ?o . ?o ?bp ?bo . ?s ?q {term} }} WHERE {{ "
        f"{{ {term} ?p ?o OPTIONAL {{ FILTER(isBlank(?o)) ?o ?bp ?bo }} }} UNION {{ ?s ?q {term} }} }}")
    return list(result)


def graph_triples(store, graph: str) -> list[ox.Triple]:
    term = iri_term(graph)
    return list(store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {term} {{ ?s ?p ?o }} }}",
                            union_default=False))


def graphs_with_prefix(store, prefix: str) -> list[str]:
    # store.graphs() reads the graph index; a SPARQL "GRAPH ?g" would scan every quad.
    return [g for g in store.graphs() if g.startswith(prefix)]


def triples_of_graphs(store, graphs: list[str]) -> list[ox.Triple]:
    triples: list[ox.Triple] = []
    for graph in graphs:
        triples.extend(graph_triples(store, graph))
    return triples


#: Larger documents stay expanded: PyLD compaction is pure Python (about 1 ms per statement).
COMPACT_UP_TO = 2000


def serialize(triples: list[ox.Triple], fmt: ox.RdfFormat, base_iri: str,
              context: dict | None = None) -> bytes:
    """The triples in a format; JSON-LD is compacted with ``context`` (the atlas's) when given."""
    names = prefixes(base_iri) if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML,
                                                  ox.RdfFormat.JSON_LD) else None
    triples = sorted(set(triples), key=str)  # stable output: the same data gives the same bytes
    body = ox.serialize(triples, format=fmt, prefixes=names)
    if fmt == ox.RdfFormat.TURTLE:
        body = without_unused_prefixes(body)
    if fmt == ox.RdfFormat.JSON_LD and context is not None and len(triples) <= COMPACT_UP_TO:
        return compact_jsonld(triples, context) or body
    return body


def _no_remote_documents(url, options=None):
    # The context is given inline; fetching anything from the network on a request is refused.
    raise OSError(f"not loading {url}: remote JSON-LD documents are not fetched")


def compact_jsonld(triples: list[ox.Triple], context: dict) -> bytes | None:
    """JSON-LD compacted with the context (embedded, so that no client has to fetch it).

    The keys developers expect (``label``, ``providedBy``, ``type``) instead of full IRIs. PyLD's
    own fromRdf turns rdf:type into ``@type``, which Oxigraph's JSON-LD writer does not. None when
    the compaction fails; the caller then keeps the expanded document, which is the same data.
    """
    import json

    from pyld import jsonld

    nquads = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    options = {"documentLoader": _no_remote_documents}
    try:
        expanded = jsonld.from_rdf(nquads, {"format": "application/n-quads", **options})
        compacted = jsonld.compact(expanded, context, options)
    except Exception:  # PyLD raises its own error types; the expanded form is always correct
        return None
    return json.dumps(compacted, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


# -- graphs -----------------------------------------------------------------------------------


@dataclass
class GraphView:
    iri: str
    lang: str
    triples: int
    loaded: str | None
    derived_from: str | None
    subjects: list[Value]
    page: int
    pages: int
    subjects_total: int


def graph_view(store, graph: str, base_iri: str, lang: str, page: int = 1,
               page_size: int = DEFAULT_PAGE_SIZE) -> GraphView:
    lang = normalise_language(lang)
    term = iri_term(graph)
    meta = iri_term(meta_graph(base_iri))
    triples = _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {term} {{ ?s ?p ?o }} }}")
    total = _count(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH {term} {{ ?s ?p ?o "
                          f"FILTER(isIRI(?s)) }} }}")
    pages = max(1, math.ceil(total / page_size))
    if page < 1 or page > pages:
        raise PageOutOfRange(page, pages)
    labeller = _Labeller(store, lang, base_iri)
    subjects = [labeller.value(row["s"]) for row in store.query(
        f"SELECT DISTINCT ?s WHERE {{ GRAPH {term} {{ ?s ?p ?o FILTER(isIRI(?s)) }} }} ORDER BY ?s "
        f"LIMIT {page_size} OFFSET {(page - 1) * page_size}", union_default=False)]
    loaded = derived = None
    for row in store.query(f"SELECT ?t ?f WHERE {{ GRAPH {meta} {{ {term} <{PROV}generatedAtTime> ?t "
                           f"OPTIONAL {{ {term} <{PROV}wasDerivedFrom> ?f }} }} }}", union_default=False):
        loaded = row["t"].value
        derived = _public_source(row["f"].value) if row["f"] is not None else None
    labeller.finish()
    return GraphView(graph, lang, triples, loaded, derived, subjects, page, pages, total)


# -- the ontology -----------------------------------------------------------------------------


@dataclass
class Term:
    iri: str
    name: str  # the fragment, used as the anchor on the documentation page
    label: dict[str, str]
    comment: dict[str, str]
    kinds: list[Value]
    parents: list[Value]
    domain: list[Value]
    range: list[Value]


@dataclass
class OntologyView:
    iri: str
    lang: str
    graph: str
    label: Text
    description: Text | None
    version_iri: str | None
    version_info: str | None
    metadata: list[PropertyValues]
    classes: list[Term]
    object_properties: list[Term]
    datatype_properties: list[Term]
    other_properties: list[Term]
    reused: list[Value]  # terms of other vocabularies the ontology declares (for OWL DL), linked out


def ontology_graph(store, iri: str) -> str | None:
    """The named graph that declares the ontology, if the store holds it."""
    for row in store.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ {iri_term(iri)} a <{OWL}Ontology> }} }} "
                           f"ORDER BY ?g LIMIT 1", union_default=False):
        return row["g"].value
    return None


def ontology_version_iri(store, iri: str) -> str | None:
    for row in store.query(f"SELECT ?v WHERE {{ {iri_term(iri)} <{OWL}versionIRI> ?v }} LIMIT 1"):
        return row["v"].value
    return None


def _by_language(rows, lang_key: str = "l") -> dict[str, str]:
    texts: dict[str, str] = {}
    for row in rows:
        literal = row[lang_key]
        tag = (literal.language or "").split("-")[0] or "de"
        texts.setdefault(tag, literal.value)
    return texts


def ontology_view(store, iri: str, base_iri: str, lang: str) -> OntologyView | None:
    lang = normalise_language(lang)
    graph = ontology_graph(store, iri)
    if graph is None:
        return None
    g = iri_term(graph)
    names = prefixes(base_iri)
    labeller = _Labeller(store, lang, base_iri)
    meta: dict[str, PropertyValues] = {}
    for row in store.query(f"SELECT ?p ?o WHERE {{ GRAPH {g} {{ {iri_term(iri)} ?p ?o }} }} ORDER BY ?p ?o",
                           union_default=False):
        if row["p"].value in (RDF + "type",):
            continue
        labeller.group(meta, row["p"].value).values.append(labeller.value(row["o"]))

    kinds: dict[str, list[str]] = {}
    for row in store.query(f"SELECT ?s ?t WHERE {{ GRAPH {g} {{ ?s a ?t FILTER(isIRI(?s)) "
                           f"FILTER(?t IN (<{OWL}Class>, <{RDFS}Class>, <{OWL}ObjectProperty>, "
                           f"<{OWL}DatatypeProperty>, <{OWL}AnnotationProperty>, <{RDF}Property>, "
                           f"<{OWL}FunctionalProperty>, <{OWL}TransitiveProperty>, "
                           f"<{OWL}SymmetricProperty>, <{OWL}InverseFunctionalProperty>)) }} }}",
                           union_default=False):
        kinds.setdefault(row["s"].value, []).append(row["t"].value)

    def texts(subject: str, props: tuple[str, ...]) -> dict[str, str]:
        values = " ".join(iri_term(p) for p in props)
        return _by_language(store.query(
            f"SELECT ?l WHERE {{ GRAPH {g} {{ VALUES ?p {{ {values} }} {iri_term(subject)} ?p ?l "
            f"FILTER(isLiteral(?l)) }} }}", union_default=False))

    def related(subject: str, prop: str) -> list[Value]:
        return [labeller.value(row["o"]) for row in store.query(
            f"SELECT DISTINCT ?o WHERE {{ GRAPH {g} {{ {iri_term(subject)} <{prop}> ?o FILTER(isIRI(?o)) }} }} "
            f"ORDER BY ?o", union_default=False)]

    classes, objects, datatypes, others = [], [], [], []
    own = tfa(base_iri)
    reused = [labeller.value(ox.NamedNode(s)) for s in sorted(kinds) if not s.startswith(own)]
    for subject in sorted(s for s in kinds if s.startswith(own)):
        types = kinds[subject]
        name = subject.rsplit("#", 1)[-1] if "#" in subject else subject.rstrip("/").rsplit("/", 1)[-1]
        is_class = any(t in (OWL + "Class", RDFS + "Class") for t in types)
        term = Term(
            iri=subject, name=name,
            label=texts(subject, (RDFS + "label", SKOS + "prefLabel")),
            comment=texts(subject, (RDFS + "comment", SKOS + "definition", DCT + "description")),
            kinds=[labeller.value(ox.NamedNode(t)) for t in sorted(types)],
            parents=related(subject, RDFS + ("subClassOf" if is_class else "subPropertyOf")),
            domain=[] if is_class else related(subject, RDFS + "domain"),
            range=[] if is_class else related(subject, RDFS + "range"))
        if is_class:
            classes.append(term)
        elif OWL + "ObjectProperty" in types:
            objects.append(term)
        elif OWL + "DatatypeProperty" in types:
            datatypes.append(term)
        else:
            others.append(term)
    labeller.finish()
    found = L.labels_for(store, [iri], lang, names)
    version = ontology_version_iri(store, iri)
    info = [v.text for pv in meta.values() if pv.property == OWL + "versionInfo" for v in pv.values]

    def by_label(terms: list[Term]) -> list[Term]:
        return sorted(terms, key=lambda t: pick(t.label, lang, t.name).casefold())

    return OntologyView(
        iri=iri, lang=lang, graph=graph, label=found[iri],
        description=L.descriptions_for(store, [iri], lang).get(iri), version_iri=version,
        version_info=info[0] if info else None,
        metadata=sorted(meta.values(), key=lambda pv: pv.label.casefold()),
        classes=by_label(classes), object_properties=by_label(objects),
        datatype_properties=by_label(datatypes), other_properties=by_label(others),
        reused=sorted(reused, key=lambda v: L.prefixed_name(v.iri, names)))


# -- shapes -----------------------------------------------------------------------------------


@dataclass
class ShapeView:
    iri: str | None
    name: str
    anchor: str  # the IRI's fragment, so that <base>shapes#OfferShape lands on its section
    targets: list[Value]
    properties: list[dict]


def shapes_view(store, graphs: list[str], base_iri: str, lang: str) -> list[ShapeView]:
    """The node shapes of the given graphs with their targets and property constraints."""
    labeller = _Labeller(store, normalise_language(lang), base_iri)
    shapes: dict[str, ShapeView] = {}
    for graph in graphs:
        g = iri_term(graph)
        for row in store.query(f"SELECT ?s ?t WHERE {{ GRAPH {g} {{ ?s a <{SH}NodeShape> "
                               f"OPTIONAL {{ ?s <{SH}targetClass> ?t }} }} }} ORDER BY ?s ?t",
                               union_default=False):
            key = str(row["s"])
            if key not in shapes:
                iri = row["s"].value if isinstance(row["s"], ox.NamedNode) else None
                name = L.prefixed_name(iri, prefixes(base_iri)) if iri else key
                anchor = iri.rsplit("#", 1)[1] if iri and "#" in iri else f"shape-{len(shapes) + 1}"
                shapes[key] = ShapeView(iri, name, anchor, [], [])
            if row["t"] is not None:
                shapes[key].targets.append(labeller.value(row["t"]))
        for row in store.query(
                f"SELECT ?s ?path ?min ?max ?dt ?cls ?msg WHERE {{ GRAPH {g} {{ ?s a <{SH}NodeShape> ; "
                f"<{SH}property> ?ps . ?ps <{SH}path> ?path "
                f"OPTIONAL {{ ?ps <{SH}minCount> ?min }} OPTIONAL {{ ?ps <{SH}maxCount> ?max }} "
                f"OPTIONAL {{ ?ps <{SH}datatype> ?dt }} OPTIONAL {{ ?ps <{SH}class> ?cls }} "
                f"OPTIONAL {{ ?ps <{SH}message> ?msg }} }} }} ORDER BY ?s ?path", union_default=False):
            shape = shapes.get(str(row["s"]))
            if shape is None:
                continue
            path = row["path"]
            shape.properties.append({
                "path": labeller.value(path) if isinstance(path, ox.NamedNode) else Value("literal", "(path)"),
                "min": row["min"].value if row["min"] is not None else None,
                "max": row["max"].value if row["max"] is not None else None,
                "datatype": L.prefixed_name(row["dt"].value) if row["dt"] is not None else None,
                "class": labeller.value(row["cls"]) if isinstance(row["cls"], ox.NamedNode) else None,
                "message": row["msg"].value if row["msg"] is not None else None,
            })
    labeller.finish()
    return sorted(shapes.values(), key=lambda s: s.name)
