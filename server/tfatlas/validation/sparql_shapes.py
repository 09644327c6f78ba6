"""Shapes evaluated by Oxigraph: each constraint becomes SPARQL that yields the violating focus nodes
and values (issue 14), so a full validation does not walk the data node by node in Python.

The results are pySHACL's own: every result is made by the pySHACL constraint component of the
shape (``make_v_result``), so severity, path, messages and report layout are the ones plain pySHACL
gives. What is translated:

* targets: ``sh:targetClass`` (with ``rdfs:subClassOf*``), ``sh:targetNode``, ``sh:targetSubjectsOf``,
  ``sh:targetObjectsOf``, implicit class targets; paths: predicates, inverse, sequence, alternative,
  ``*`` ``+`` ``?``;
* in SPARQL: ``sh:class``, ``sh:nodeKind``, ``sh:minCount``, ``sh:maxCount``, ``sh:hasValue``,
  ``sh:in``, ``sh:uniqueLang``, ``sh:languageIn``, ``sh:qualifiedValueShape`` with
  ``sh:qualifiedMinCount``/``sh:qualifiedMaxCount`` when the qualified shape is a simple test, and
  ``sh:sparql`` constraints of the plain ``SELECT $this ?value ?path`` kind;
* checks that depend on a value alone (``sh:datatype`` with its lexical checks, ``sh:pattern``,
  lengths, ranges) run pySHACL's component once over the *distinct* values the store returns;
* ``sh:node``, ``sh:or``, ``sh:and``, ``sh:not``: the nested shape is evaluated on the value
  nodes the same way, and a value that yields a result does not conform.

A target shape that uses anything else (``sh:xone``, ``sh:closed``, property pairs, disjoint
qualified shapes, nested shapes whose severity is not sh:Violation, ...) raises ``Untranslatable``
and is left to pySHACL by the caller.
"""

from __future__ import annotations

import itertools
import re

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

_VALUES_LIMIT = 2000  # bad values passed back to the engine as VALUES; beyond, filtered in Python
_MAX_DEPTH = 8


class Untranslatable(Exception):
    """This shape (or one it uses) has a constraint the translation does not cover."""


def _sparql_term(term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return _ox_term(term).__str__()
    raise Untranslatable(f"blank node {term} in a constraint")


def _ox_term(term):
    from pyshacl.graph_abstraction import to_ox

    return to_ox(term)


def _to_rdf(term):
    from pyshacl.graph_abstraction import to_rdf

    return to_rdf(term)


class Evaluator:
    """Evaluates compiled pySHACL shapes over an Oxigraph store (union of its graphs)."""

    def __init__(self, native: ox.Store, shapes_graph, data_graph, executor):
        from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP

        self.native = native
        self.sg = shapes_graph
        self.graph = shapes_graph.graph
        self.data_graph = data_graph
        self.executor = executor
        self.parameters = CONSTRAINT_PARAMETERS_MAP
        self._fresh = itertools.count()
        self._components: dict = {}
        self.queries = 0
        self.quiet = False
        self._bad_values: dict = {}

    # -- plumbing ------------------------------------------------------------------------------

    def var(self) -> str:
        return f"?_v{next(self._fresh)}"

    def select(self, text: str):
        self.queries += 1
        return self.native.query(text, use_default_graph_as_union=True)

    def component(self, shape, cls):
        key = (shape.node, cls)
        if key not in self._components:
            self._components[key] = cls(shape)
        return self._components[key]

    def constraints(self, shape) -> list:
        """The constraint component classes of a shape, once each, as pySHACL finds them."""
        if shape.deactivated:
            return []
        found = []
        for predicate, _ in self.sg.predicate_objects(shape.node):
            cls = self.parameters.get(predicate)
            if cls is not None and cls not in found:
                found.append(cls)
        return found

    def path(self, node) -> str:
        """A SHACL path as a SPARQL property path."""
        g = self.graph
        if isinstance(node, URIRef):
            return f"<{node}>"
        if (node, RDF.first, None) in g:
            return "(" + "/".join(self.path(p) for p in g.items(node)) + ")"
        for predicate, text in ((SH.inversePath, "^({})"), (SH.zeroOrMorePath, "({})*"),
                                (SH.oneOrMorePath, "({})+"), (SH.zeroOrOnePath, "({})?")):
            inner = g.value(node, predicate)
            if inner is not None:
                return text.format(self.path(inner))
        alternatives = g.value(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(p) for p in g.items(alternatives)) + ")"
        raise Untranslatable(f"path {node}")

    # -- focus patterns: a function of a variable name to a group pattern binding it ------------

    def targets(self, shape):
        """The focus pattern of a shape's targets, or None when it has none (pySHACL's
        ``target()`` gives generators, so a shape without targets looks targeted)."""
        nodes, classes, implicit, objects_of, subjects_of = (list(t) for t in shape.target())
        parts = []
        if nodes:
            parts.append(lambda x: "VALUES " + x + " { " + " ".join(_sparql_term(n) for n in nodes) + " }")
        for cls in list(classes) + list(implicit):
            parts.append(lambda x, cls=cls: f"{x} a/<{RDFS.subClassOf}>* <{cls}> .")
        for prop in subjects_of:
            parts.append(lambda x, prop=prop: f"{x} <{prop}> [] .")
        for prop in objects_of:
            parts.append(lambda x, prop=prop: f"[] <{prop}> {x} .")

        def focus(x):
            union = " UNION ".join("{ " + part(x) + " }" for part in parts)
            return "{ SELECT DISTINCT " + x + " WHERE { " + union + " } }"
        return focus if parts else None

    def value_pattern(self, shape, focus):
        """(pattern binding ?this and ?v, ?this and ?v): the shape's value nodes of each focus."""
        this, value = self.var(), self.var()
        if shape.is_property_shape:
            return f"{focus(this)} {this} {self.path(shape.path())} {value} .", this, value
        return f"{focus(this)} BIND({this} AS {value})", this, value

    def values_as_focus(self, shape, focus):
        """A focus pattern over the value nodes of ``shape`` (for nested shapes)."""
        def nested(x):
            pattern, _this, value = self.value_pattern(shape, focus)
            return "{ SELECT DISTINCT " + x + " WHERE { " + pattern + f" BIND({value} AS {x}) }} }}"
        return nested

    # -- evaluation ----------------------------------------------------------------------------

    def results(self, shape, focus, depth: int = 0) -> list:
        """pySHACL's results (desc, node, triples) for ``shape`` on the nodes of ``focus``."""
        if depth > _MAX_DEPTH:
            raise Untranslatable("nesting too deep")
        if shape.find_custom_constraints():
            raise Untranslatable("custom constraint components")
        out: list = []
        for cls in self.constraints(shape):
            name = cls.constraint_name()
            handler = getattr(self, "_" + name, None)
            if handler is None:
                raise Untranslatable(name)
            out.extend(handler(shape, self.component(shape, cls), focus, depth))
        return out

    def nonconforming(self, shape, focus, depth: int) -> set:
        """The focus nodes (pyoxigraph terms) that do not conform to ``shape``.

        Only for shapes whose every result is a violation: under allow_warnings a Warning-shape
        conforms anyway, which is left to pySHACL.
        """
        self._all_violation(shape)
        quiet, self.quiet = self.quiet, True  # only the nodes matter, not pySHACL's result texts
        try:
            return {node for node, _result in self.results(shape, focus, depth + 1)}
        finally:
            self.quiet = quiet

    def _all_violation(self, shape, seen=None) -> None:
        seen = seen or set()
        if shape.node in seen:
            return
        seen.add(shape.node)
        if shape.severity != SH.Violation:
            raise Untranslatable("nested shape with a severity other than sh:Violation")
        for node in self.sg.objects(shape.node, SH.property):
            self._all_violation(self.sg.lookup_shape_from_node(node), seen)

    def report(self, shape, component, focus_node, value=None, **kwargs):
        """(the focus node as the store has it, pySHACL's result)."""
        if self.quiet:
            return focus_node, None
        return focus_node, component.make_v_result(
            self.data_graph, _to_rdf(focus_node), value_node=None if value is None else _to_rdf(value), **kwargs)

    def pairs(self, shape, focus, bad: set) -> list:
        """(focus, value) pairs of ``shape`` whose value is among ``bad``."""
        if not bad:
            return []
        pattern, this, value = self.value_pattern(shape, focus)
        if len(bad) <= _VALUES_LIMIT and not any(isinstance(b, ox.BlankNode) for b in bad):
            values = " VALUES " + value + " { " + " ".join(str(b) for b in bad) + " }"
            rows = self.select(f"SELECT DISTINCT {this} {value} WHERE {{ {pattern}{values} }}")
            return [(row[0], row[1]) for row in rows]
        rows = self.select(f"SELECT DISTINCT {this} {value} WHERE {{ {pattern} }}")
        return [(row[0], row[1]) for row in rows if row[1] in bad]

    def filtered(self, shape, component, focus, condition) -> list:
        """A result per (focus, value) whose value meets ``condition`` (SPARQL, over ``?v``)."""
        pattern, this, value = self.value_pattern(shape, focus)
        text = f"SELECT DISTINCT {this} {value} WHERE {{ {pattern} FILTER({condition(value)}) }}"
        return [self.report(shape, component, row[0], row[1]) for row in self.select(text)]

    def per_value(self, shape, component, focus) -> list:
        """Run pySHACL's own component over the distinct values; report the pairs with a bad one."""
        key = (shape.node, type(component))
        # every value of the path, once: not for paths of length zero (they reach every node)
        whole = shape.is_property_shape and not re.search(r"\)[*?]", self.path(shape.path()))
        if whole and key in self._bad_values:
            bad = self._bad_values[key]
        else:
            bad = self._bad(shape, component, focus, whole)
            if whole:
                self._bad_values[key] = bad
        return [self.report(shape, component, f, v) for f, v in self.pairs(shape, focus, bad)]

    def _bad(self, shape, component, focus, whole: bool) -> set:
        """The values pySHACL's component refuses. For a property shape all values of its path
        are checked once (a shared shape such as tfash:Source then costs one query, not one per
        node shape): whether a value passes depends on the value alone."""
        if whole:
            value = self.var()
            pattern = f"{self.var()} {self.path(shape.path())} {value} ."
        else:
            pattern, _this, value = self.value_pattern(shape, focus)
        distinct = {row[0] for row in self.select(f"SELECT DISTINCT {value} WHERE {{ {pattern} }}")}
        if not distinct:
            return set()
        by_rdf: dict = {}
        for v in distinct:  # rdflib may normalise two lexical forms to one term
            by_rdf.setdefault(_to_rdf(v), []).append(v)
        probe = URIRef("urn:tfatlas:probe")
        _conforms, found = component.evaluate(self.executor, self.data_graph, {probe: list(by_rdf)}, [])
        return {v for _d, _n, triples in found for _s, p, o in triples if p == SH.value for v in by_rdf[o[1]]}

    # -- the components (named after pySHACL's constraint_name) -------------------------------

    def _PropertyConstraintComponent(self, shape, component, focus, depth):
        out = []
        for node in self.sg.objects(shape.node, SH.property):
            out.extend(self.results(self.sg.lookup_shape_from_node(node), focus, depth + 1))
        return out

    def _ClassConstraintComponent(self, shape, component, focus, depth):
        out = []
        for cls in component.class_rules:
            out.extend(self.filtered(shape, component, focus, lambda v, cls=cls: (
                f"isLiteral({v}) || NOT EXISTS {{ {v} a/<{RDFS.subClassOf}>* <{cls}> }}")))
        return out

    def _NodeKindConstraintComponent(self, shape, component, focus, depth):
        kinds = {SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
                 SH.BlankNodeOrIRI: "(isIRI({v}) || isBlank({v}))",
                 SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
                 SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))"}
        test = kinds.get(component.nodekind_rule)
        if test is None:
            raise Untranslatable(f"sh:nodeKind {component.nodekind_rule}")
        return self.filtered(shape, component, focus, lambda v: "!" + test.format(v=v))

    def _LanguageInConstraintComponent(self, shape, component, focus, depth):
        test = self._language_test(component)
        return self.filtered(shape, component, focus, lambda v: f"!({test(v)})")

    def _language_test(self, component):
        wanted = set()
        for rule in component.string_rules:
            for lang in self.graph.items(rule):
                if not isinstance(lang, Literal) or not isinstance(lang.value, str):
                    raise Untranslatable("sh:languageIn with a non-string")
                wanted.add(str(lang.value).lower())
        if "*" in wanted:
            raise Untranslatable("sh:languageIn with *")
        listed = ", ".join('"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in sorted(wanted))
        # pySHACL: the tag, or its first subtag, lower-cased, is one of the listed ones.
        return lambda v: (f'isLiteral({v}) && LANG({v}) != "" && (LCASE(LANG({v})) IN ({listed}) '
                          f'|| LCASE(STRBEFORE(CONCAT(LANG({v}), "-"), "-")) IN ({listed}))')

    def _InConstraintComponent(self, shape, component, focus, depth):
        members = [_sparql_term(m) for m in self.graph.items(self.graph.value(shape.node, SH["in"]))]
        test = " || ".join(f"sameTerm({{v}}, {m})" for m in members) or "false"
        return self.filtered(shape, component, focus, lambda v: "!(" + test.format(v=v) + ")")

    def _HasValueConstraintComponent(self, shape, component, focus, depth):
        out = []
        for wanted in self.sg.objects(shape.node, SH.hasValue):
            term = _sparql_term(wanted)
            this = self.var()
            if shape.is_property_shape:
                missing = f"FILTER NOT EXISTS {{ {this} {self.path(shape.path())} {term} }}"
            else:
                missing = f"FILTER(!sameTerm({this}, {term}))"
            rows = self.select(f"SELECT {this} WHERE {{ {focus(this)} {missing} }}")
            out.extend(self.report(shape, component, row[0]) for row in rows)
        return out

    def _MinCountConstraintComponent(self, shape, component, focus, depth):
        if not shape.is_property_shape:
            raise Untranslatable("sh:minCount on a node shape")
        this, value, path = self.var(), self.var(), self.path(shape.path())
        if int(component.min_count) == 1:
            text = f"SELECT {this} WHERE {{ {focus(this)} FILTER NOT EXISTS {{ {this} {path} [] }} }}"
        else:
            text = (f"SELECT {this} WHERE {{ {focus(this)} OPTIONAL {{ {this} {path} {value} }} }} "
                    f"GROUP BY {this} HAVING (COUNT(DISTINCT {value}) < {int(component.min_count)})")
        return [self.report(shape, component, row[0]) for row in self.select(text)]

    def _MaxCountConstraintComponent(self, shape, component, focus, depth):
        if not shape.is_property_shape:
            raise Untranslatable("sh:maxCount on a node shape")
        this, value = self.var(), self.var()
        text = (f"SELECT {this} WHERE {{ {focus(this)} {this} {self.path(shape.path())} {value} }} "
                f"GROUP BY {this} HAVING (COUNT(DISTINCT {value}) > {int(component.max_count)})")
        return [self.report(shape, component, row[0]) for row in self.select(text)]

    def _UniqueLangConstraintComponent(self, shape, component, focus, depth):
        if True not in component.string_rules:
            return []
        pattern, this, value = self.value_pattern(shape, focus)
        text = (f"SELECT {this} WHERE {{ {pattern} FILTER(isLiteral({value}) && LANG({value}) != \"\") }} "
                f"GROUP BY {this} (LCASE(LANG({value}))) HAVING (COUNT(DISTINCT {value}) > 1)")
        return [self.report(shape, component, row[0]) for row in self.select(text)]

    # value-only checks, by pySHACL's own code on distinct values
    def _DatatypeConstraintComponent(self, shape, component, focus, depth):
        return self.per_value(shape, component, focus)

    _PatternConstraintComponent = _DatatypeConstraintComponent
    _MinLengthConstraintComponent = _DatatypeConstraintComponent
    _MaxLengthConstraintComponent = _DatatypeConstraintComponent
    _MinInclusiveConstraintComponent = _DatatypeConstraintComponent
    _MaxInclusiveConstraintComponent = _DatatypeConstraintComponent
    _MinExclusiveConstraintComponent = _DatatypeConstraintComponent
    _MaxExclusiveConstraintComponent = _DatatypeConstraintComponent

    # nested shapes
    def _NodeConstraintComponent(self, shape, component, focus, depth):
        """pySHACL: a value fails when the node shape gives it any result (a warning too), and those
        results come along as sh:detail of the value's result."""
        from pyshacl.consts import SH_detail

        values = self.values_as_focus(shape, focus)
        out = []
        for node in self.sg.objects(shape.node, SH.node):
            details: dict = {}
            for value, result in self.results(self.sg.lookup_shape_from_node(node), values, depth + 1):
                details.setdefault(value, []).append(result)
            for f, v in self.pairs(shape, focus, set(details)):
                made = self.report(shape, component, f, v)
                if made[1] is not None:
                    _text, parent, triples = made[1]
                    for detail in details[v]:
                        _t, child, child_triples = _fresh(detail)
                        triples.append((parent, SH_detail, child))
                        triples.extend(child_triples)
                out.append(made)
        return out

    def _members(self, shape, predicate):
        for node in self.sg.objects(shape.node, predicate):
            yield [self.sg.lookup_shape_from_node(m) for m in self.graph.items(node)]

    def _OrConstraintComponent(self, shape, component, focus, depth):
        values = self.values_as_focus(shape, focus)
        out = []
        for members in self._members(shape, SH["or"]):
            bad = None
            for member in members:
                failing = self.nonconforming(member, values, depth)
                bad = failing if bad is None else bad & failing
            out.extend(self.report(shape, component, f, v) for f, v in self.pairs(shape, focus, bad or set()))
        return out

    def _AndConstraintComponent(self, shape, component, focus, depth):
        values = self.values_as_focus(shape, focus)
        out = []
        for members in self._members(shape, SH["and"]):
            bad: set = set()
            for member in members:
                bad |= self.nonconforming(member, values, depth)
            out.extend(self.report(shape, component, f, v) for f, v in self.pairs(shape, focus, bad))
        return out

    def _NotConstraintComponent(self, shape, component, focus, depth):
        values = self.values_as_focus(shape, focus)
        pattern, _this, value = self.value_pattern(shape, focus)
        every = {row[0] for row in self.select(f"SELECT DISTINCT {value} WHERE {{ {pattern} }}")}
        out = []
        for node in self.sg.objects(shape.node, SH["not"]):
            conforming = every - self.nonconforming(self.sg.lookup_shape_from_node(node), values, depth)
            out.extend(self.report(shape, component, f, v) for f, v in self.pairs(shape, focus, conforming))
        return out

    def _QualifiedValueShapeConstraintComponent(self, shape, component, focus, depth):
        if component.is_disjoint or not shape.is_property_shape:
            raise Untranslatable("disjoint qualified value shapes")
        from pyshacl.constraints.core.shape_based_constraints import (
            SH_QualifiedMaxCountConstraintComponent as MAX, SH_QualifiedMinCountConstraintComponent as MIN)

        out = []
        path = self.path(shape.path())
        for node in component.value_shapes:
            qualified = self.sg.lookup_shape_from_node(node)
            self._all_violation(qualified)
            this, value = self.var(), self.var()
            conforms = self.expression(qualified, value)
            if component.max_count is not None:
                text = (f"SELECT {this} WHERE {{ {focus(this)} {this} {path} {value} FILTER({conforms}) }} "
                        f"GROUP BY {this} HAVING (COUNT(DISTINCT {value}) > {int(component.max_count)})")
                out.extend(self.report(shape, component, row[0], constraint_component=MAX)
                           for row in self.select(text))
            if component.min_count is not None and component.min_count > 0:
                text = (f"SELECT {this} WHERE {{ {focus(this)} OPTIONAL {{ {this} {path} {value} "
                        f"FILTER({conforms}) }} }} GROUP BY {this} "
                        f"HAVING (COUNT(DISTINCT {value}) < {int(component.min_count)})")
                out.extend(self.report(shape, component, row[0], constraint_component=MIN)
                           for row in self.select(text))
        return out

    def expression(self, shape, v: str) -> str:
        """A SPARQL expression that is true when ``v`` conforms to ``shape`` (simple shapes only)."""
        if shape.is_property_shape or shape.find_custom_constraints():
            raise Untranslatable("qualified value shape with a path")
        tests = []
        for cls in self.constraints(shape):
            component = self.component(shape, cls)
            name = cls.constraint_name()
            if name == "LanguageInConstraintComponent":
                tests.append(self._language_test(component)(v))
            elif name == "ClassConstraintComponent":
                tests.extend(f"(!isLiteral({v}) && EXISTS {{ {v} a/<{RDFS.subClassOf}>* <{c}> }})"
                             for c in component.class_rules)
            elif name == "HasValueConstraintComponent":
                tests.extend(f"sameTerm({v}, {_sparql_term(w)})" for w in self.sg.objects(shape.node, SH.hasValue))
            else:
                raise Untranslatable(f"{name} in a qualified value shape")
        return " && ".join(f"({t})" for t in tests) or "true"

    def _SPARQLConstraintComponent(self, shape, component, focus, depth):
        out = []
        for helper in component.sparql_constraints:
            if helper.deactivated:
                continue
            select = helper.select_text
            head = re.match(r"\s*SELECT\s+(DISTINCT\s+)?((?:[?$]\w+\s*)+)WHERE\s*\{", select, re.I)
            names = set(re.findall(r"[?$](\w+)", head.group(2))) if head else None
            if (names is None or not names <= {"this", "value", "path"} or "this" not in names
                    or re.search(r"\$(PATH|currentShape|shapesGraph|value)\b|\bSELECT\b.*\bSELECT\b"
                                 r"|\b(GROUP|ORDER|LIMIT|OFFSET|VALUES|MINUS|SERVICE|BIND\s*\(\s*\$this)\b",
                                 select, re.I | re.S)
                    or any("{" in str(m) for m in helper.messages or ())):
                raise Untranslatable("SPARQL constraint beyond SELECT $this ?value ?path")
            text = helper.apply_prefixes(
                "SELECT DISTINCT ?this ?value ?path WHERE { " + focus("?this") + " { " + select + " } }")
            kwargs = {"source_constraint": helper.node, "extra_messages": helper.messages or None}
            for row in self.select(text):
                this, value, path = (_to_rdf(row[n]) if row[n] is not None else None
                                     for n in ("this", "value", "path"))
                if value is None and not shape.is_property_shape:
                    value = this
                out.append((row["this"], None if self.quiet else component.make_v_result(
                    self.data_graph, this, value_node=value, result_path=path,
                    bound_vars=(this, path, value, {}), **kwargs)))
        return out


def _fresh(result):
    """A copy of a pySHACL result with new result nodes (pySHACL makes new ones per parent)."""
    text, node, triples = result
    renamed: dict = {}

    def rename(term):
        if isinstance(term, BNode):
            return renamed.setdefault(term, BNode())
        return term
    return text, rename(node), [(rename(s), p, rename(o)) for s, p, o in triples]


def evaluate(native: ox.Store, shapes_graph, target_shapes, data_graph, executor):
    """(pySHACL results of the translated target shapes, the target shapes left to pySHACL)."""
    evaluator = Evaluator(native, shapes_graph, data_graph, executor)
    results, rest = [], []
    for shape in target_shapes:
        try:
            focus = evaluator.targets(shape)
            if focus is not None:
                results.extend(result for _node, result in evaluator.results(shape, focus))
        except Untranslatable:
            rest.append(shape)
    return results, rest
