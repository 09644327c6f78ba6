"""SHACL validation of atlas data: files, one new entry against a (large) store, or a whole store.

pySHACL does the checking. What this module adds:

* the *context*: the ontology and the concept schemes are put next to the data, so class
  hierarchies (``sh:class``) and ``skos:inScheme`` of referenced concepts (``sh:node``) are seen;
  the context itself is not reported on, only the data is;
* *targeted* validation: a new entry is checked together with a bounded neighbourhood fetched from
  the store with SPARQL CONSTRUCT (what the store already says about the entry's own nodes, and the
  types, schemes and titles of the nodes it points to), never the whole store;
* a report a person can read (grouped by entry, in German or English) and JSON / Turtle renderings.

The data graph handed to pySHACL is an in-memory Oxigraph store (pySHACL 0.40 reads it natively),
so files are parsed by Oxigraph (fast, and with line and column on syntax errors).
"""

from __future__ import annotations

import gzip
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from ..model import formats as rdfformats
from ..errors import InputError
from ..model.files import model_dir, rdf_files
from ..i18n import pick
from ..model.rdf_safety import check_file, quad_problem
from ..vocab import DCT, MODEL_BASE, SKOS, shapes_namespace, tfa

# The shapes and the report's kinds are written in the shipped model's own namespace: files are
# validated as they are written (an atlas with another base rebases them only when loading).
TFA = tfa(MODEL_BASE)

RDF_TYPE = ox.NamedNode(str(RDF.type))
SUBCLASS_OF = ox.NamedNode(str(RDFS.subClassOf))
# What a referenced node contributes to the checks of the node that points to it.
NEIGHBOUR_PREDICATES = (str(RDF.type), SKOS + "inScheme", DCT + "title")
# Everything pySHACL sees lies in the default graph of the workspace: one graph means a triple
# stated in the data and again in the store counts once (qualified counts stay right).
DEFAULT = ox.DefaultGraph()

PREFIXES = {
    "tfa": TFA, "tfash": shapes_namespace(MODEL_BASE), "org": "http://www.w3.org/ns/org#",
    "cv": "http://data.europa.eu/m8g/", "prov": "http://www.w3.org/ns/prov#", "skos": SKOS,
    "dct": DCT, "dcat": "http://www.w3.org/ns/dcat#", "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/", "vcard": "http://www.w3.org/2006/vcard/ns#",
    "rdfs": str(RDFS), "rdf": str(RDF), "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#", "sh": str(SH),
}

# What a focus node is, for headings a person understands (most specific first).
KINDS = (
    (TFA + "Offer", "Angebot", "Offer"),
    (TFA + "Project", "Projekt", "Project"),
    (TFA + "Initiative", "Initiative", "Initiative"),
    ("http://www.w3.org/ns/org#OrganizationalCollaboration", "Netzwerk", "Network"),
    ("http://www.w3.org/ns/org#OrganizationalUnit", "Organisationseinheit", "Organisational unit"),
    (TFA + "TransformationActor", "Akteur", "Actor"),
    ("http://www.w3.org/ns/org#Organization", "Organisation", "Organisation"),
    ("http://data.europa.eu/m8g/PublicEvent", "Veranstaltung", "Event"),
    ("http://www.w3.org/ns/org#ChangeEvent", "Neuordnung", "Reorganisation"),
    (SKOS + "Concept", "Begriff", "Concept"),
    (SKOS + "ConceptScheme", "Konzeptschema", "Concept scheme"),
    ("http://xmlns.com/foaf/0.1/Document", "Quelle", "Source"),
    ("http://www.w3.org/2006/vcard/ns#Organization", "Kontakt", "Contact point"),
)
WORDS = {
    "de": {"Violation": "Fehler", "Warning": "Warnung", "Info": "Hinweis", "value": "Wert",
           "entry": "Eintrag", "in": "in", "ok": "In Ordnung: keine Verstöße",
           "okn": "In Ordnung: keine Verstöße bei {n} geprüften Einträgen",
           "summary": "{v} Verstöße, {w} Warnungen bei {n} geprüften Einträgen",
           "refused": "{v} Verstöße: es wurde nichts gespeichert (mit --force trotzdem laden)."},
    "en": {"Violation": "Violation", "Warning": "Warning", "Info": "Info", "value": "value",
           "entry": "Entry", "in": "in", "ok": "Conforms: no violations",
           "okn": "Conforms: no violations in {n} checked entries",
           "summary": "{v} violations, {w} warnings in {n} checked entries",
           "refused": "{v} violations: nothing was stored (use --force to load anyway)."},
}
LANGS = tuple(WORDS)


# ------------------------------------------------------------------------------------------
# The report
# ------------------------------------------------------------------------------------------

@dataclass
class Finding:
    focus: rdflib.term.Node
    path: str | None
    severity: str  # Violation, Warning, Info
    messages: dict[str, str]  # language ("" when untagged) -> text
    value: rdflib.term.Node | None
    shape: rdflib.term.Node | None
    component: str
    result: rdflib.term.Node  # the sh:ValidationResult node in ``Report.results``

    def message(self, lang: str) -> str:
        return pick(self.messages, lang, self.component)


@dataclass
class Entry:
    """What the report knows about a focus node, for its heading."""
    kinds: tuple[str, str] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    file: str | None = None


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    entries: dict[rdflib.term.Node, Entry] = field(default_factory=dict)
    results: rdflib.Graph = field(default_factory=rdflib.Graph)
    checked: int = 0  # focus nodes of the data
    seconds: float = 0.0

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        """Warnings weaken an entry but do not make it unusable."""
        return not self.violations

    def by_focus(self) -> list[tuple[rdflib.term.Node, list[Finding]]]:
        groups: dict[rdflib.term.Node, list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.focus, []).append(finding)
        order = {"Violation": 0, "Warning": 1, "Info": 2}
        return [(focus, sorted(found, key=lambda f: (order.get(f.severity, 3), f.path or "")))
                for focus, found in sorted(groups.items(), key=lambda kv: (
                    min(order.get(f.severity, 3) for f in kv[1]), str(kv[0])))]

    def summary(self, lang: str = "en") -> str:
        words = WORDS[lang]
        if self.conforms and not self.findings:
            return words["okn"].format(n=self.checked) + "."
        text = words["summary"].format(v=len(self.violations), w=len(self.warnings), n=self.checked)
        return (words["ok"] + "; " + text if self.conforms else text) + "."

    # -- renderings ---------------------------------------------------------------------------

    def heading(self, focus, lang: str) -> str:
        entry = self.entries.get(focus, Entry())
        index = 0 if lang == "de" else 1
        kind = entry.kinds[index] if entry.kinds else WORDS[lang]["entry"]
        label = pick(entry.labels, lang)
        name = f' "{label}"' if label else ""
        node = f"<{focus}>" if isinstance(focus, URIRef) else "(" + ("ohne IRI" if lang == "de" else "no IRI") + ")"
        where = f"  [{WORDS[lang]['in']} {entry.file}]" if entry.file else ""
        return f"{kind}{name} {node}{where}"

    def text(self, lang: str = "en", *, warnings: bool = True) -> str:
        """Grouped by entry, violations first; ``warnings=False`` leaves warnings out."""
        words = WORDS[lang]
        lines: list[str] = []
        for focus, found in self.by_focus():
            if not warnings:
                found = [f for f in found if f.severity == "Violation"]
                if not found:
                    continue
            lines.append(self.heading(focus, lang))
            for f in found:
                where = f"{f.path}: " if f.path else ""
                lines.append(f"  {words[f.severity]:<9} {where}{f.message(lang)}")
                if f.value is not None:
                    lines.append(f"  {'':<9} {words['value']}: {_show(f.value)}")
            lines.append("")
        lines.append(self.summary(lang))
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict:
        groups = []
        for focus, found in self.by_focus():
            entry = self.entries.get(focus, Entry())
            groups.append({
                "focusNode": str(focus) if isinstance(focus, URIRef) else None,
                "kind": {"de": entry.kinds[0], "en": entry.kinds[1]} if entry.kinds else None,
                "label": entry.labels or None,
                "file": entry.file,
                "results": [{
                    "severity": f.severity,
                    "path": f.path,
                    "message": {k or "und": v for k, v in f.messages.items()},
                    "value": _show(f.value) if f.value is not None else None,
                    "sourceShape": str(f.shape) if isinstance(f.shape, URIRef) else None,
                    "constraint": f.component,
                } for f in found],
            })
        return {"conforms": self.conforms, "violations": len(self.violations),
                "warnings": len(self.warnings), "checked": self.checked, "focusNodes": groups}

    def json_text(self) -> str:
        return json.dumps(self.as_json(), ensure_ascii=False, indent=2) + "\n"

    def turtle(self) -> str:
        """A sh:ValidationReport with the results about the data (context results left out)."""
        out = rdflib.Graph()
        for prefix, ns in PREFIXES.items():
            out.bind(prefix, ns)
        report = BNode()
        out.add((report, RDF.type, SH.ValidationReport))
        out.add((report, SH.conforms, Literal(self.conforms)))
        for finding in self.findings:
            out.add((report, SH.result, finding.result))
            for triple in self.results.cbd(finding.result):
                out.add(triple)
        return out.serialize(format="turtle")


def _show(term) -> str:
    if isinstance(term, Literal):
        return term.n3()
    if isinstance(term, URIRef):
        return f"<{term}>"
    return "[]"


# ------------------------------------------------------------------------------------------
# The context: shapes, ontology, concept schemes
# ------------------------------------------------------------------------------------------

@dataclass
class TargetShape:
    """A shape with its target declarations, read once (pySHACL re-reads them on every run)."""
    shape: object
    nodes: set
    classes: set
    objects_of: set
    subjects_of: set

    def focus(self, store: ox.Store, wanted: set) -> list:
        found = set(self.nodes)
        for cls in self.classes:
            # Instances of the class and of its subclasses (the hierarchy is in the workspace).
            for row in store.query("SELECT DISTINCT ?s WHERE { ?c <" + str(RDFS.subClassOf)
                                   + ">* <" + str(cls) + "> . ?s a ?c }"):
                found.add(_rdf(row[0]))
        for prop in self.objects_of:
            found.update(_rdf(q.object) for q in store.quads_for_pattern(None, ox.NamedNode(str(prop)), None))
        for prop in self.subjects_of:
            found.update(_rdf(q.subject) for q in store.quads_for_pattern(None, ox.NamedNode(str(prop)), None))
        return [node for node in found if node in wanted]


@dataclass
class ValidationContext:
    shapes: rdflib.Graph
    quads: dict[Path, list[ox.Quad]]  # ontology and vocabulary files -> their triples
    files: list[Path]
    _shapes_graph: object = None  # pyshacl ShapesGraph, built once
    _target_shapes: list = field(default_factory=list)
    _store: ox.Store | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def shapes_graph(self):
        """pySHACL's compiled shapes, reused across validations (harvesting shapes is costly)."""
        from pyshacl.shapes_graph import ShapesGraph

        with self._lock:
            if self._shapes_graph is None:
                compiled = ShapesGraph(self.shapes)
                for shape in compiled.shapes:
                    # target() gives generators, which are true even when empty
                    nodes, classes, implicit, objects_of, subjects_of = (list(t) for t in shape.target())
                    if nodes or classes or implicit or objects_of or subjects_of:
                        self._target_shapes.append(TargetShape(
                            shape, nodes=set(nodes), classes=set(classes) | set(implicit),
                            objects_of=set(objects_of), subjects_of=set(subjects_of)))
                self._shapes_graph = compiled
            return self._shapes_graph

    def target_shapes(self) -> list:
        """The shapes that choose their own focus nodes (the others are reached through them)."""
        self.shapes_graph()
        return self._target_shapes

    def lookup(self, skip: set[Path] = frozenset()) -> tuple[ox.Store, set, list[ox.Quad]]:
        """(a store of the context to look terms up in, its subjects, its class hierarchy)."""
        if skip:
            return self._build(skip)
        with self._lock:
            if self._store is None:
                self._store, self._subjects, self._hierarchy = self._build(set())
            return self._store, self._subjects, self._hierarchy

    def _build(self, skip: set[Path]):
        store = ox.Store()
        subjects: set = set()
        hierarchy: list[ox.Quad] = []
        for path, quads in self.quads.items():
            if path in skip:  # a vocabulary validated as data is data, not context
                continue
            store.extend(quads)
            subjects.update(q.subject for q in quads)
            hierarchy.extend(q for q in quads if q.predicate == SUBCLASS_OF)
        return store, subjects, hierarchy


def context_files() -> tuple[list[Path], list[Path]]:
    """(ontology and vocabulary files, shape files) of the shipped model."""
    ontology = rdf_files(model_dir("ontology")) if model_dir("ontology").is_dir() else []
    shapes = rdf_files(model_dir("shapes")) if model_dir("shapes").is_dir() else []
    return ontology, shapes


def is_context_file(path: Path) -> bool:
    """Files of the shipped ontology, vocabularies and shapes: context, not instance data.

    The shape examples are data (they are meant to be validated).
    """
    onto_files, shape_files = context_files()
    return path.resolve() in {p.resolve() for p in onto_files + shape_files}


_DEFAULT_CONTEXT: ValidationContext | None = None
_DEFAULT_LOCK = threading.Lock()


def load_context(ontology: Iterable[Path] | None = None, shapes: Iterable[Path] | None = None) -> ValidationContext:
    """The context from the given files; without arguments the shipped model (cached)."""
    global _DEFAULT_CONTEXT
    if ontology is None and shapes is None:
        with _DEFAULT_LOCK:
            if _DEFAULT_CONTEXT is None:
                onto_files, shape_files = context_files()
                _DEFAULT_CONTEXT = load_context(onto_files, shape_files)
            return _DEFAULT_CONTEXT
    onto_files = list(ontology or [])
    shape_files = list(shapes or [])
    if not shape_files:
        raise InputError("no SHACL shapes found (expected shapes/*.ttl)")
    quads = {path.resolve(): [ox.Quad(q.subject, q.predicate, q.object, DEFAULT) for q in parse_file(path)]
             for path in onto_files}
    shapes_graph = rdflib.Graph()
    for path in shape_files:
        parse_file(path)  # Oxigraph first: a syntax error is an InputError with file:line:column
        shapes_graph.parse(path, format=_rdflib_format(path))
    return ValidationContext(shapes=shapes_graph, quads=quads, files=onto_files + shape_files)


def _rdflib_format(path: Path) -> str:
    return {"turtle": "turtle", "trig": "trig", "ntriples": "nt", "nquads": "nquads",
            "rdfxml": "xml", "jsonld": "json-ld"}[rdfformats.for_path(path).name]


# ------------------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------------------

def parse_file(path: Path, fmt: str | None = None) -> list[ox.Quad]:
    """All quads of an RDF file; a syntax error becomes an InputError with file:line:column."""
    return list(iter_file(path, fmt))


def iter_file(path: Path, fmt: str | None = None) -> Iterator[ox.Quad]:
    """The quads of an RDF file as they are parsed (a large file is never held as a list)."""
    form = rdfformats.for_path(path, fmt)
    check_file(path, form.oxigraph)  # before any parser: entity bombs, nesting that would crash it
    try:
        raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not an RDF file") from None
    except PermissionError:
        raise InputError(f"{path}: not readable (permission denied)") from None
    with raw:
        try:
            for quad in ox.parse(raw, form.oxigraph, base_iri=path.resolve().as_uri()):
                # what a load would refuse (the store could not dump or publish it) is no valid input
                if (problem := quad_problem(quad)) is not None:
                    raise InputError(f"{path}: {problem}")
                yield quad
        except SyntaxError as exc:
            where = f"{path}"
            if exc.lineno is not None:
                where += f":{exc.lineno}"
                if exc.offset is not None:
                    where += f":{exc.offset}"
            raise InputError(f"{where}: {exc.msg if hasattr(exc, 'msg') and exc.msg else exc}") from None
        except (ValueError, OSError) as exc:
            raise InputError(f"{path}: {exc}") from None


# ------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------

def _rdf(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unexpected term {term!r}")


def _ox(term):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    return None


_CHUNK = 50_000  # statements added to the workspace at a time


class Workspace:
    """The data graph pySHACL sees: the data, the class hierarchy, and what the context (and the
    store, see add_neighbourhood) says about the nodes the data points to; one in-memory store."""

    def __init__(self, context: ValidationContext, skip_context: Iterable[Path] = ()):
        self.context = context
        self.lookup, self.context_subjects, hierarchy = context.lookup({p.resolve() for p in skip_context})
        self.store = ox.Store()
        self.store.extend(hierarchy)
        self.subjects: set = set()
        self.referenced: set = set()
        self.files: dict = {}

    def add_data(self, quads: Iterable[ox.Quad], file: str | None = None) -> None:
        """Add the data's statements, a chunk at a time (a large file is never a list)."""
        quads = iter(quads)
        while chunk := [ox.Quad(q.subject, q.predicate, q.object, DEFAULT)
                        for q in itertools.islice(quads, _CHUNK)]:
            self.store.extend(chunk)
            for q in chunk:
                self.subjects.add(q.subject)
                if isinstance(q.object, ox.NamedNode) and q.predicate != RDF_TYPE:
                    self.referenced.add(q.object)
                if file is not None:
                    self.files.setdefault(q.subject, file)

    def add_store(self, triples: Iterable) -> None:
        triples = list(triples)
        self.store.extend(ox.Quad(t.subject, t.predicate, t.object, DEFAULT) for t in triples)
        self.referenced.update(t.object for t in triples
                               if isinstance(t.object, ox.NamedNode) and t.predicate != RDF_TYPE)

    def add_context(self) -> None:
        """Types, schemes and titles of the context terms (concepts, schemes) the data uses."""
        wanted = [node.value for node in self.referenced
                  if node in self.context_subjects and node not in self.subjects]
        # Two rounds: a referenced concept's scheme must be known as a scheme as well.
        for _round in range(2):
            found = list(construct_neighbours(self.lookup.query, wanted))
            self.store.extend(ox.Quad(t.subject, t.predicate, t.object, DEFAULT) for t in found)
            wanted = sorted({t.object.value for t in found if isinstance(t.object, ox.NamedNode)
                             and t.predicate != RDF_TYPE and t.object in self.context_subjects})
            if not wanted:
                break

    def focus_nodes(self) -> list[URIRef]:
        """The data's IRIs, and IRIs the data points to that nothing describes (e.g. an uncited source).

        Context and neighbourhood nodes are not checked: they are only there to be looked at.
        Blank nodes of the data (contact points) are checked through the shapes that point to them.
        """
        focus = {s.value for s in self.subjects if isinstance(s, ox.NamedNode)}
        for obj in self.referenced:
            if obj.value not in focus and not any(True for _ in self.store.quads_for_pattern(obj, None, None)):
                focus.add(obj.value)
        return [URIRef(iri) for iri in sorted(focus)]

    def run(self) -> Report:
        started = time.perf_counter()
        self.add_context()
        focus = self.focus_nodes()
        results = _run_pyshacl(self.store, self.context, focus or None) if focus else rdflib.Graph()
        report = Report(results=results, findings=_findings(results, set(focus), self.context.shapes))
        report.checked = self._checked()
        for finding in report.findings:
            if finding.focus not in report.entries:
                report.entries[finding.focus] = self._entry(finding.focus)
        report.seconds = time.perf_counter() - started
        return report

    def _checked(self) -> int:
        """Entries of a known kind among the data's subjects."""
        types = {ox.NamedNode(t) for t, _de, _en in KINDS}
        return sum(1 for s in self.subjects
                   if any(q.object in types for q in self.store.quads_for_pattern(s, RDF_TYPE, None)))

    def _entry(self, focus) -> Entry:
        node = _ox(focus)
        entry = Entry()
        if node is None:
            return entry
        types = {q.object.value for q in self.store.quads_for_pattern(node, RDF_TYPE, None)
                 if isinstance(q.object, ox.NamedNode)}
        for cls, de, en in KINDS:
            if cls in types:
                entry.kinds = (de, en)
                break
        for prop in (str(RDFS.label), SKOS + "prefLabel", DCT + "title"):
            for q in self.store.quads_for_pattern(node, ox.NamedNode(prop), None):
                if isinstance(q.object, ox.Literal):
                    entry.labels.setdefault(q.object.language or "", q.object.value)
            if entry.labels:
                break
        entry.file = self.files.get(node)
        return entry


# From this many focus nodes on, the shapes are evaluated as SPARQL: its fixed cost (a query per
# constraint, some 60 ms) is more than pySHACL needs for one entry (under 10 ms), far less for a file.
TRANSLATE_FROM = 500


def _run_pyshacl(native: ox.Store, context: ValidationContext, focus: list[URIRef] | None) -> rdflib.Graph:
    """The shapes of the context over an Oxigraph store in place (the union of its graphs).

    A whole store, or a workspace with at least TRANSLATE_FROM focus nodes: target shapes that
    translate to SPARQL are evaluated by Oxigraph (sparql_shapes); pySHACL runs the others, with
    the compiled shapes of the context. Both make pySHACL's results. With
    ``focus``, only results about those nodes are kept: a node's results do not depend on which
    other nodes are checked. pySHACL's ``focus_nodes`` option is not used: it filters the value
    nodes of nested shapes as well (sh:node, qualified value shapes), which then report wrong
    results (pySHACL 0.40).
    """
    from pyshacl import Validator
    from pyshacl.graph_abstraction import DataGraph

    from . import sparql_shapes
    from .pyshacl_tuning import tune

    tune()

    data_graph = DataGraph.from_oxigraph_store(native)
    options = {"inplace": True, "allow_warnings": True, "inference": "none", "advanced": False}
    validator = Validator(data_graph, shacl_graph=context.shapes, options=options)
    shapes_graph = context.shapes_graph()
    validator.shacl_graph = shapes_graph
    data_graph.default_union = True
    executor = validator.make_executor()
    targets = context.target_shapes()
    if focus is None or len(focus) >= TRANSLATE_FROM:
        reports, rest = sparql_shapes.evaluate(native, shapes_graph, [t.shape for t in targets], data_graph,
                                               executor)
    else:
        reports, rest = [], [t.shape for t in targets]
    wanted = None if focus is None else set(focus)
    if wanted is not None:
        reports = [r for r in reports if _result_focus(r) in wanted]
    for target in targets:
        if target.shape not in rest:
            continue
        nodes = None if wanted is None else target.focus(native, wanted)
        if nodes is None or nodes:
            _conforms, shape_reports = target.shape.validate(executor, data_graph, focus=nodes)
            reports.extend(shape_reports)
    conforms = not any(p == SH.resultSeverity and o == SH.Violation for _d, _n, triples in reports
                       for _s, p, o in triples)
    results, _text = Validator.create_validation_report(shapes_graph, conforms, reports)
    return results


def _result_focus(report):
    _desc, node, triples = report
    for s, p, o in triples:
        if s == node and p == SH.focusNode:
            return o[1] if isinstance(o, tuple) else o
    return None


def _messages(results: rdflib.Graph, result, shapes: rdflib.Graph) -> dict[str, str]:
    messages = {(getattr(m, "language", None) or ""): str(m) for m in results.objects(result, SH.resultMessage)}
    if not any(messages.get(lang) for lang in LANGS):
        # pySHACL gives SPARQL-based constraints a single untagged message: take the tagged
        # ones from the constraint itself.
        constraint = results.value(result, SH.sourceConstraint)
        if constraint is not None:
            tagged = {m.language: str(m) for m in shapes.objects(constraint, SH.message)
                      if getattr(m, "language", None)}
            if tagged:
                messages = tagged
    return messages


def _findings(results: rdflib.Graph, keep: set | None, shapes: rdflib.Graph) -> list[Finding]:
    findings = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        if keep is not None and focus not in keep:
            continue
        severity = results.value(result, SH.resultSeverity)
        component = results.value(result, SH.sourceConstraintComponent)
        findings.append(Finding(
            focus=focus,
            path=_path_text(results, results.value(result, SH.resultPath)),
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            messages=_messages(results, result, shapes),
            value=results.value(result, SH.value),
            shape=results.value(result, SH.sourceShape),
            component=str(component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
            if component else "",
            result=result))
    return findings


def _path_text(graph: rdflib.Graph, path) -> str | None:
    if path is None:
        return None
    if isinstance(path, URIRef):
        return _curie(path)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return " | ".join(_path_text(graph, p) or "?" for p in rdflib.collection.Collection(graph, alternatives))
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + (_path_text(graph, inverse) or "?")
    if (path, RDF.first, None) in graph:
        return "/".join(_path_text(graph, p) or "?" for p in rdflib.collection.Collection(graph, path))
    for modifier, mark in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = graph.value(path, modifier)
        if inner is not None:
            return (_path_text(graph, inner) or "?") + mark
    return str(path)


def _curie(iri: URIRef) -> str:
    text = str(iri)
    for prefix, ns in PREFIXES.items():
        if text.startswith(ns) and len(text) > len(ns):
            return f"{prefix}:{text[len(ns):]}"
    return f"<{text}>"


# -- entry points ------------------------------------------------------------------------------

def validate_files(paths: list[Path], *, store=None, context: ValidationContext | None = None,
                   exclude_graphs: Iterable[str] = (), fmt: str | None = None) -> Report:
    """Validate RDF files as one body of data.

    Without ``store`` the files stand alone (with the ontology and vocabularies as context).
    With a store, they are checked as a new entry against it: see :func:`validate_entry`.
    """
    context = context or load_context()
    workspace = Workspace(context, skip_context=paths)
    for path in paths:
        workspace.add_data(iter_file(path, fmt), file=str(path))
    if store is not None:
        add_neighbourhood(workspace, store, exclude_graphs=exclude_graphs)
    return workspace.run()



def validate_entry(text: str | bytes, fmt: str = "turtle", *, store=None,
                   context: ValidationContext | None = None) -> Report:
    """Validate one entry given as RDF text, against the store when one is given."""
    context = context or load_context()
    try:
        quads = list(ox.parse(text.encode("utf-8") if isinstance(text, str) else text,
                              rdfformats.by_name(fmt).oxigraph))
    except SyntaxError as exc:
        raise InputError(f"entry:{exc.lineno}:{exc.offset}: {exc.msg}") from None
    workspace = Workspace(context)
    workspace.add_data(quads)
    if store is not None:
        add_neighbourhood(workspace, store)
    return workspace.run()


_BATCH = 500  # IRIs per VALUES block, keeps each CONSTRUCT small


def add_neighbourhood(workspace: Workspace, store, *, exclude_graphs: Iterable[str] = ()) -> int:
    """Add what the store knows that matters for the data's nodes; return the triples added.

    1. What the store already says about the data's own subjects (the entry adds to them).
    2. For every IRI the data (or 1.) points to and the context does not describe: its types,
       concept schemes and titles, enough for ``sh:class``, ``sh:node`` and source checks.
    Both are CONSTRUCT queries with VALUES over the touched IRIs only.
    """
    subjects = sorted({s.value for s in workspace.subjects if isinstance(s, ox.NamedNode)})
    excluded = [g for g in exclude_graphs]
    graph_filter = ("FILTER(?g NOT IN (" + ", ".join(f"<{g}>" for g in excluded) + "))") if excluded else ""
    added = 0
    own: list = []
    for batch in _batches(subjects):
        own.extend(store.query(
            # One level of blank nodes comes along (a contact point is usually one).
            "CONSTRUCT { ?s ?p ?o . ?o ?bp ?bo } WHERE { VALUES ?s { " + " ".join(f"<{s}>" for s in batch)
            + " } GRAPH ?g { ?s ?p ?o OPTIONAL { ?o ?bp ?bo FILTER(isBlank(?o)) } } " + graph_filter + " }",
            union_default=False))
    workspace.add_store(own)
    added += len(own)

    referenced = set(workspace.referenced)
    referenced.update(t.object for t in own if isinstance(t.object, ox.NamedNode) and t.predicate != RDF_TYPE)
    referenced = {node.value for node in referenced
                  if node not in workspace.subjects and node not in workspace.context_subjects}
    neighbours = list(construct_neighbours(store.query, sorted(referenced)))
    workspace.add_store(neighbours)
    return added + len(neighbours)


def construct_neighbours(query, iris: list[str]):
    """Types, schemes and titles of the given IRIs, by CONSTRUCT with VALUES (batched)."""
    # One VALUES block of (node, predicate) pairs: with two separate VALUES blocks Oxigraph
    # 0.5 scans every triple of the store (0.7 s at 1M triples instead of under 1 ms).
    for batch in _batches(iris):
        pairs = " ".join(f"(<{o}> <{p}>)" for o in batch for p in NEIGHBOUR_PREDICATES)
        yield from query("CONSTRUCT { ?o ?p ?v } WHERE { VALUES (?o ?p) { " + pairs + " } ?o ?p ?v }")


def _batches(items: list, size: int = _BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def validate_store(store, *, context: ValidationContext | None = None) -> Report:
    """Validate everything in an embedded store, in place (no copy of the data).

    The store is expected to hold the ontology and vocabularies (``tfatlas init`` loads them).
    """
    context = context or load_context()
    started = time.perf_counter()
    native = getattr(store, "oxigraph", store)
    if not isinstance(native, ox.Store):
        raise InputError("full validation needs the embedded store")
    results = _run_pyshacl(native, context, None)
    report = Report(results=results, findings=_findings(results, None, context.shapes))
    report.seconds = time.perf_counter() - started
    return report

