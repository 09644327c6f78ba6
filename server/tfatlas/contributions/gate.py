"""The SHACL gate: a change is validated before it commits, with the rest of the store as context.

Checked are the resources the change touches, the nodes that point to them and the nodes they
point to, each as it will be after the change (its statements in the other graphs, plus the
account graph as changed). Validating only the changed subjects would let violations through
when a related node changes (fluree#571): removing a unit breaks the offers it provides. For
the nodes those point to in turn, the store contributes types, concept schemes and titles (the
targeted validation of :mod:`tfatlas.validation`, about 43 ms for one entry at 1M triples).

What is validated is the state the writer proposed; the atlas sets ``dct:modified`` afterwards
(:mod:`.history`), which cannot add a violation (one ``xsd:date``).
"""

from __future__ import annotations

import pyoxigraph as ox

from ._deps import meta_graph, validation
from .change import batches as _batches, iri_values as _values, Change, resources
from .errors import ShapesViolated
from .terms import history_graph



def _outside(graph: str, base_iri: str) -> str:
    """Graphs that hold the rest of the store: not the one changing, not the history or the meta
    graph (activities point to every resource they changed; they are no part of its shape)."""
    skipped = [g for g in (graph, history_graph(base_iri), meta_graph(base_iri)) if g]
    return "FILTER(?g NOT IN (" + ", ".join(f"<{g}>" for g in skipped) + "))"


class Gate:
    def __init__(self, store, context=None):
        self.store = store
        self._context = context

    @property
    def context(self):
        if self._context is None:
            self._context = validation.load_context()
        return self._context

    def check(self, change: Change) -> validation.Report:
        """The report for the change; ShapesViolated (422) when it has violations."""
        report = self.validate(change)
        if not report.conforms:
            raise ShapesViolated(report)
        return report

    def validate(self, change: Change) -> validation.Report:
        touched = resources(change)
        after = change.after
        # Nodes that point to a touched one, and nodes a touched one points to (after the change).
        focus = set(touched)
        type_ = ox.NamedNode(str(validation.RDF.type))
        for t in after:
            if t.predicate == type_:  # a class is no related node (its instances are not touched)
                continue
            if t.object in touched and isinstance(t.subject, ox.NamedNode):
                focus.add(t.subject)
            if t.subject in touched and isinstance(t.object, ox.NamedNode):
                focus.add(t.object)
        for batch in _batches(sorted(touched, key=lambda n: n.value)):
            for row in self.store.query(
                    "SELECT DISTINCT ?x WHERE { VALUES ?n { " + _values(batch) + " } GRAPH ?g { "
                    "{ ?x ?p ?n } UNION { ?n ?p ?x } FILTER(isIRI(?x) && ?p != <"
                    + str(validation.RDF.type) + ">) } " + _outside(change.graph, self.store.base_iri) + " }", union_default=False):
                focus.add(row["x"])
        context_subjects = self.context.lookup()[1]
        focus = {n for n in focus if n not in context_subjects}

        workspace = validation.Workspace(self.context)
        workspace.add_data(self._descriptions(change, sorted(focus, key=lambda n: n.value)))
        # What the nodes the data points to say, as after the change.
        referenced = sorted({n for n in workspace.referenced if n not in workspace.subjects
                             and n not in context_subjects}, key=lambda n: n.value)
        # Context only: added to the data graph pySHACL sees, but neither checked nor followed further.
        workspace.store.extend(ox.Quad(t.subject, t.predicate, t.object)
                               for t in self._neighbours(change, referenced))
        report = workspace.run()
        # Warnings are about what the writer touched; violations anywhere in the focus refuse.
        keep = {validation._rdf(n) for n in touched}
        report.findings = [f for f in report.findings if f.severity == "Violation" or f.focus in keep]
        return report

    def _descriptions(self, change: Change, nodes: list[ox.NamedNode]) -> list[ox.Quad]:
        """Statements about ``nodes`` (with the blank nodes they lead to) after the change."""
        quads: list[ox.Quad] = []
        for batch in _batches(nodes):
            quads.extend(ox.Quad(t.subject, t.predicate, t.object) for t in self.store.query(
                "CONSTRUCT { ?s ?p ?o . ?o ?bp ?bo } WHERE { VALUES ?s { " + _values(batch) + " } "
                "GRAPH ?g { ?s ?p ?o OPTIONAL { ?o ?bp ?bo FILTER(isBlank(?o)) } } "
                + _outside(change.graph, self.store.base_iri) + " }", union_default=False))
        wanted = set(nodes)
        by_subject: dict = {}
        for t in change.after:
            by_subject.setdefault(t.subject, []).append(t)
        todo = [n for n in wanted if n in by_subject]
        seen = set(todo)
        while todo:
            node = todo.pop()
            for t in by_subject.get(node, ()):
                quads.append(ox.Quad(t.subject, t.predicate, t.object))
                if isinstance(t.object, ox.BlankNode) and t.object not in seen:
                    seen.add(t.object)
                    todo.append(t.object)
        return quads

    def _neighbours(self, change: Change, nodes: list[ox.NamedNode]) -> list[ox.Triple]:
        """What the nodes the focus points to say (a contact point's address, a unit's type), as
        context: looked at by the shapes of the focus nodes, not checked themselves."""
        return [ox.Triple(q.subject, q.predicate, q.object) for q in self._descriptions(change, nodes)]
