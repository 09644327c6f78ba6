"""Which statements an account may make: only about its actor's own resources.

The default graph that everyone reads is the union of all graphs, so a statement in an actor's
graph changes what everyone reads about its subject. An account (actor A, graph G) may therefore
add or remove a statement in G only when its subject is one of A's own resources:

* A itself and A's units: organisations described only in G whose ``org:unitOf`` chain (or
  ``org:hasUnit`` from above) leads to A;
* resources minted in G: anything described in no other graph (offers, initiatives, contact
  points, events, the pages it cites as sources), unless it is of a kind only the operator
  maintains (concepts, concept schemes, ontology terms, shapes), another organisation, another
  account's actor, or in a vocabulary namespace;
* blank nodes reached from those within G, and anonymous resources of other kinds than the
  atlas's own (a GSP client's ``[] a foaf:Person``).

A subject that another graph describes (a seed file, another actor's graph, the vocabularies) is
never the account's, even when it is A itself: a seed resource becomes the actor's own only when
the operator hands it over (:mod:`.handover`), which moves its statements into G.

Objects are free, with one exception: who stands behind a resource (``tfa:providedBy``,
``tfa:organisedBy``, ``org:unitOf``, ``org:hasUnit``) must be A or one of A's units (a seed unit
of A counts, by the chain in the other graphs), else an account could attribute its offers to
another actor. Refusals are 403 naming the first offending subject.
"""

from __future__ import annotations

import pyoxigraph as ox

from .accounts import Account
from .change import batches as _batches, iri_values as _values, Change, roots
from .errors import Forbidden
from .terms import HAS_UNIT, RDF_TYPE, UNIT_OF, for_base

VOCABULARY_KINDS = ("scheme", "topic", "challenge", "target-group", "offer-type", "delivery-mode",
                    "cost-model", "competency", "account", "change")
_MAX_CHAIN = 32


class Ownership:
    """Decides a change of an account's graph against the rest of the store."""

    def __init__(self, store, account: Account, change: Change, *, other_actors=frozenset()):
        self.store = store
        self.account = account
        self.change = change
        self.graph = change.graph
        self.actor = ox.NamedNode(account.actor) if account.actor else None
        self.other_actors = {a for a in other_actors if a != account.actor}
        self.base = store.base_iri
        self.t = for_base(self.base)  # the atlas's own terms on its base IRI
        self._elsewhere: dict[str, str] = {}
        self._types: dict[ox.NamedNode, set[str]] = {}
        self._checked_elsewhere: set = set()

    # -- what the other graphs say -----------------------------------------------------------

    def _load_elsewhere(self, iris: list[ox.NamedNode]) -> None:
        for batch in _batches(iris):
            rows = self.store.query(
                "SELECT ?s (SAMPLE(?g) AS ?graph) WHERE { VALUES ?s { " + _values(batch) + " } "
                "{ GRAPH ?g { ?s ?p ?o } FILTER(?g != <" + self.graph + ">) } UNION "
                "{ ?s ?p ?o BIND(\"the default graph\" AS ?g) } } GROUP BY ?s", union_default=False)
            for row in rows:
                self._elsewhere[row["s"].value] = row["graph"].value

    def _load_types(self, iris: list[ox.NamedNode]) -> None:
        for node in iris:
            self._types.setdefault(node, set())
        for t in self.change.after:
            if t.predicate.value == RDF_TYPE and t.subject in self._types and isinstance(t.object, ox.NamedNode):
                self._types[t.subject].add(t.object.value)
        for batch in _batches(iris):
            rows = self.store.query(
                "SELECT ?s ?t WHERE { VALUES ?s { " + _values(batch) + " } "
                "{ GRAPH ?g { ?s a ?t } FILTER(?g != <" + self.graph + ">) } UNION { ?s a ?t } }",
                union_default=False)
            for row in rows:
                if isinstance(row["t"], ox.NamedNode):
                    self._types[row["s"]].add(row["t"].value)

    def _parents(self, node: ox.NamedNode, *, in_graph: bool) -> set:
        """Organisations ``node`` is a unit of (one step), in G' (when ``in_graph``) and elsewhere."""
        found = set()
        if in_graph:
            for t in self.change.after:
                if t.subject == node and t.predicate.value == UNIT_OF and isinstance(t.object, ox.NamedNode):
                    found.add(t.object)
                if t.object == node and t.predicate.value == HAS_UNIT and isinstance(t.subject, ox.NamedNode):
                    found.add(t.subject)
        for row in self.store.query(
                "SELECT ?p WHERE { GRAPH ?g { { <" + node.value + "> <" + UNIT_OF + "> ?p } UNION "
                "{ ?p <" + HAS_UNIT + "> <" + node.value + "> } } FILTER(?g != <" + self.graph + ">) }",
                union_default=False):
            if isinstance(row["p"], ox.NamedNode):
                found.add(row["p"])
        return found

    def _is_unit_of_actor(self, node: ox.NamedNode) -> bool:
        """``node`` reaches A by unitOf/hasUnit; G' counts only for nodes described in G alone."""
        seen, todo = {node}, [node]
        while todo and len(seen) < _MAX_CHAIN:
            current = todo.pop()
            own = current.value not in self._elsewhere_of(current)
            for parent in self._parents(current, in_graph=own):
                if parent == self.actor:
                    return True
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return False

    def _elsewhere_of(self, node: ox.NamedNode) -> dict[str, str]:
        if node.value not in self._elsewhere and node not in self._checked_elsewhere:
            self._load_elsewhere([node])
            self._checked_elsewhere.add(node)
        return self._elsewhere

    # -- the decision ------------------------------------------------------------------------

    def check(self) -> None:
        """Raise Forbidden (403) unless every changed statement is the account's to make."""
        if self.account.admin:
            return
        if self.graph != self.account.graph:
            raise self._refuse_graph()
        changed = self.change.added | self.change.removed
        subjects = sorted({t.subject for t in changed if isinstance(t.subject, ox.NamedNode)},
                          key=lambda n: n.value)
        self._checked_elsewhere = set(subjects)
        self._load_elsewhere(subjects)
        self._load_types(subjects)
        for subject in subjects:
            self._check_subject(subject)
        self._check_blank_nodes(changed)
        for t in sorted(self.change.added, key=str):
            if t.predicate.value in self.t.ATTRIBUTING_PREDICATES:
                self._check_attribution(t)

    def _check_subject(self, s: ox.NamedNode) -> None:
        iri = s.value
        name = f"<{iri}>"
        if iri.startswith(self.t.OPERATOR_NAMESPACES) or iri.startswith(
                tuple(f"{self.base}id/{k}/" for k in VOCABULARY_KINDS)) or iri.startswith(
                (self.base + "ontology", self.base + "shapes", self.base + "graph/")):
            raise Forbidden(f"{name} belongs to the vocabularies, the ontology or the shapes, which only "
                            "the operator maintains; nothing was changed.",
                            f"{name} gehört zu den Vokabularen, der Ontologie oder den Shapes, die nur "
                            "der Betrieb pflegt; es wurde nichts geändert.")
        if iri in self.other_actors:
            raise Forbidden(f"{name} is another actor; an account writes only about its own actor "
                            f"<{self.account.actor}> and its resources; nothing was changed.",
                            f"{name} ist ein anderer Akteur; ein Konto schreibt nur über den eigenen "
                            f"Akteur <{self.account.actor}> und dessen Ressourcen; es wurde nichts geändert.")
        if iri in self._elsewhere:
            where = self._elsewhere[iri]
            raise Forbidden(f"{name} is described in <{where}>, not in your graph <{self.graph}>; only "
                            "resources described in your graph alone are yours (the operator can hand a "
                            "seed resource over to you); nothing was changed.",
                            f"{name} wird in <{where}> beschrieben, nicht in Ihrem Graphen <{self.graph}>; "
                            "nur Ressourcen, die allein Ihr Graph beschreibt, gehören Ihnen (der Betrieb "
                            "kann Ihnen eine Ressource aus den Ausgangsdaten übergeben); es wurde nichts "
                            "geändert.")
        kinds = self._types.get(s, set())
        if kinds & self.t.OPERATOR_CLASSES:
            kind = sorted(kinds & self.t.OPERATOR_CLASSES)[0]
            raise Forbidden(f"{name} would be a <{kind}>; concepts, concept schemes, ontology terms and "
                            "shapes are maintained by the operator; nothing was changed.",
                            f"{name} wäre ein <{kind}>; Begriffe, Konzeptschemata, Ontologie-Terme und "
                            "Shapes pflegt der Betrieb; es wurde nichts geändert.")
        if s != self.actor and kinds & self.t.ORGANISATION_CLASSES:
            if not (kinds & self.t.UNIT_CLASSES and self._is_unit_of_actor(s)):
                raise Forbidden(f"{name} is an organisation other than your actor <{self.account.actor}> "
                                "and not one of its units (org:unitOf); nothing was changed.",
                                f"{name} ist eine andere Organisation als Ihr Akteur "
                                f"<{self.account.actor}> und keine seiner Einheiten (org:unitOf); es wurde "
                                "nichts geändert.")

    def _check_blank_nodes(self, changed) -> None:
        # A blank node hangs off one of the account's resources in the graph (a contact point),
        # or is an anonymous resource of its own (a GSP client's "[] a foaf:Person"); the kinds
        # the atlas describes (offers, organisations, events, sources, ...) need an IRI.
        for triples, which in ((self.change.after, self.change.added), (self.change.before, self.change.removed)):
            nodes = {t.subject for t in which if isinstance(t.subject, ox.BlankNode)}
            for node, root in roots(triples, nodes).items():
                if root is not None:
                    continue
                kinds = {t.object.value for t in triples if t.subject == node and t.predicate.value == RDF_TYPE
                         and isinstance(t.object, ox.NamedNode)}
                if kinds & (self.t.OPERATOR_CLASSES | self.t.ORGANISATION_CLASSES | self.t.STAMPED_CLASSES | self.t.ANONYMOUS_REFUSED):
                    kind = sorted(kinds & (self.t.OPERATOR_CLASSES | self.t.ORGANISATION_CLASSES | self.t.STAMPED_CLASSES
                                           | self.t.ANONYMOUS_REFUSED))[0]
                    raise Forbidden(f"A <{kind}> without an IRI (a blank node no resource of yours leads to) "
                                    "cannot be written: give it an IRI; nothing was changed.",
                                    f"Ein <{kind}> ohne IRI (ein leerer Knoten, zu dem keine Ihrer Ressourcen "
                                    "führt) kann nicht geschrieben werden: geben Sie ihm eine IRI; es wurde "
                                    "nichts geändert.")

    def _check_attribution(self, t: ox.Triple) -> None:
        o = t.object
        if o == self.actor:
            return
        if isinstance(o, ox.NamedNode) and o.value not in self.other_actors and self._is_unit_of_actor(o):
            return
        raise Forbidden(f"<{t.subject.value}> <{t.predicate.value}> names {o} , which is neither your actor "
                        f"<{self.account.actor}> nor one of its units; nothing was changed.",
                        f"<{t.subject.value}> <{t.predicate.value}> nennt {o} , weder Ihren Akteur "
                        f"<{self.account.actor}> noch eine seiner Einheiten; es wurde nichts geändert.")

    def _refuse_graph(self) -> Forbidden:
        return graph_refusal(self.account, self.graph)


def graph_refusal(account: Account, graph: str) -> Forbidden:
    target = f"<{graph}>" if graph else "the default graph"
    target_de = f"<{graph}>" if graph else "den Standardgraphen"
    return Forbidden(f"The account {account.id} writes only its actor's graph <{account.graph}>, "
                     f"not {target}; nothing was changed.",
                     f"Das Konto {account.id} schreibt nur in den Graphen seines Akteurs "
                     f"<{account.graph}>, nicht in {target_de}; es wurde nichts geändert.")


def check(store, account: Account, change: Change, *, other_actors=frozenset()) -> None:
    Ownership(store, account, change, other_actors=other_actors).check()
