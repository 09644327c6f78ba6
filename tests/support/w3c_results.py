"""Comparison of SPARQL results the way the W3C suites mean it.

- Solution sequences are bags: row order counts only when the query has a top-level ORDER BY.
- Blank nodes match up to a consistent renaming (one bijection for the whole result).
- Graphs (CONSTRUCT, DESCRIBE) are compared for isomorphism with ``rdflib.compare``.
- CSV loses datatypes, so a CSV result is compared as text cells (blank-node labels renamed).

Both sides are first turned into a :class:`Table` (or a bool, or an rdflib ``Graph``), whatever
they came from: an expected ``.srx``/``.srj``/``.tsv``/``.csv``/``.ttl`` file, pyoxigraph's
in-process answer or an HTTP response body.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")

# A term as a hashable tuple: ("iri", v), ("bnode", id), ("literal", v, datatype, lang),
# ("triple", s, p, o), or ("text", cell) for CSV cells.
Term = tuple


@dataclass
class Table:
    variables: list[str]
    rows: list[dict[str, Term]]
    ordered: bool = False

    def __str__(self) -> str:
        head = " ".join("?" + v for v in self.variables)
        body = "\n".join("  " + " ".join(_show(row.get(v)) for v in self.variables) for row in self.rows[:30])
        more = f"\n  ... {len(self.rows) - 30} more rows" if len(self.rows) > 30 else ""
        return f"{head}  ({len(self.rows)} rows{', ordered' if self.ordered else ''})\n{body}{more}"


def _show(term: Term | None) -> str:
    if term is None:
        return "UNDEF"
    kind = term[0]
    if kind == "iri":
        return f"<{term[1]}>"
    if kind == "bnode":
        return f"_:{term[1]}"
    if kind == "literal":
        value, datatype, lang = term[1:]
        if lang:
            return f'"{value}"@{lang}'
        return f'"{value}"' + ("" if datatype.endswith("#string") else f"^^<{datatype}>")
    if kind == "triple":
        return "<< " + " ".join(_show(t) for t in term[1:]) + " >>"
    return repr(term[1])


# -- terms -------------------------------------------------------------------------------------

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_INTEGERS = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                               "positiveInteger", "nonPositiveInteger", "negativeInteger",
                               "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


def _literal(value: str, datatype: str, lang: str | None) -> Term:
    """A literal; numbers and booleans by value within their datatype ("1.0" and "1" as
    xsd:decimal are one value, and the suites' files and engines differ in which form they
    write), language tags in lower case (BCP 47 tags are case-insensitive)."""
    if lang:
        return ("literal", value, RDF_LANG_STRING, lang.lower())
    try:
        if datatype in _INTEGERS:
            return ("literal", int(value), datatype, None)
        if datatype == XSD + "decimal":
            return ("literal", Decimal(value), datatype, None)
        if datatype in (XSD + "double", XSD + "float"):
            return ("literal", float(value), datatype, None)
        if datatype == XSD + "boolean" and value in ("true", "false", "1", "0"):
            return ("literal", value in ("true", "1"), datatype, None)
    except (ValueError, ArithmeticError):
        pass  # an ill-typed literal compares by its text
    return ("literal", value, datatype, None)


def ox_term(term) -> Term | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value)
    if isinstance(term, ox.Literal):
        return _literal(term.value, term.datatype.value, term.language)
    if isinstance(term, ox.Triple):
        return ("triple", ox_term(term.subject), ox_term(term.predicate), ox_term(term.object))
    raise TypeError(f"unexpected term {term!r}")


def rdflib_term(term) -> Term:
    if isinstance(term, URIRef):
        return ("iri", str(term))
    if isinstance(term, BNode):
        return ("bnode", str(term))
    if isinstance(term, Literal):
        return _literal(str(term), str(term.datatype) if term.datatype else XSD_STRING, term.language)
    raise TypeError(f"unexpected term {term!r}")


# -- reading results ---------------------------------------------------------------------------

def table_from_solutions(solutions: ox.QuerySolutions) -> Table:
    variables = [v.value for v in solutions.variables]
    rows = []
    for solution in solutions:
        row = {}
        for v in variables:
            value = solution[v]
            if value is not None:
                row[v] = ox_term(value)
        rows.append(row)
    return Table(variables, rows)


def parse_results(data: bytes | str | Path, fmt: ox.QueryResultsFormat) -> Table | bool:
    """SPARQL results in XML, JSON or TSV (pyoxigraph's parsers)."""
    if isinstance(data, Path):
        parsed = ox.parse_query_results(path=data, format=fmt)
    else:
        parsed = ox.parse_query_results(data, fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    return table_from_solutions(parsed)


def parse_csv(data: bytes | str) -> Table:
    """CSV results as text cells: CSV keeps no datatypes, so only the text can be compared."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = list(reader)
    if not rows:
        return Table([], [])
    variables, rows = rows[0], rows[1:]
    table_rows = []
    for cells in rows:
        row = {}
        for var, cell in zip(variables, cells):
            if cell == "":
                continue  # CSV cannot tell an unbound variable from an empty string
            row[var] = ("bnode", cell[2:]) if cell.startswith("_:") else ("text", cell)
        table_rows.append(row)
    return Table(variables, table_rows)


def table_from_result_set_graph(graph: Graph) -> Table | bool:
    """The RDF form of a result set (rs:ResultSet), used by some older tests."""
    result_set = next(graph.subjects(RDF.type, RS.ResultSet))
    boolean = graph.value(result_set, RS.boolean)
    if boolean is not None:
        return bool(boolean.toPython())
    variables = [str(v) for v in graph.objects(result_set, RS.resultVariable)]
    rows, indexed = [], []
    for solution in graph.objects(result_set, RS.solution):
        row = {}
        for binding in graph.objects(solution, RS.binding):
            row[str(graph.value(binding, RS.variable))] = rdflib_term(graph.value(binding, RS.value))
        index = graph.value(solution, RS.index)
        if index is not None:
            indexed.append((int(index), row))
        else:
            rows.append(row)
    if indexed:
        return Table(variables, [row for _, row in sorted(indexed, key=lambda x: x[0])] + rows, ordered=True)
    return Table(variables, rows)


def graph_from_ntriples(data: bytes | str) -> Graph:
    graph = Graph()
    graph.parse(data=data, format="nt")
    return graph


RESULT_FORMATS = {".srx": ox.QueryResultsFormat.XML, ".srj": ox.QueryResultsFormat.JSON,
                  ".tsv": ox.QueryResultsFormat.TSV}
RDF_FORMATS = {".ttl": "turtle", ".nt": "nt", ".rdf": "xml"}


def read_expected(path: Path, iri: str) -> Table | bool | Graph:
    """An expected result file; ``iri`` is the file's published IRI (the base of relative IRIs)."""
    suffix = path.suffix
    if suffix in RESULT_FORMATS:
        return parse_results(path, RESULT_FORMATS[suffix])
    if suffix == ".csv":
        return parse_csv(path.read_bytes())
    if suffix in RDF_FORMATS:
        graph = Graph()
        graph.parse(path, format=RDF_FORMATS[suffix], publicID=iri)
        if (None, RDF.type, RS.ResultSet) in graph:
            return table_from_result_set_graph(graph)
        return graph
    raise ValueError(f"{path}: unknown result format")


# -- comparing ---------------------------------------------------------------------------------

_COMMENT = re.compile(r"#[^\n]*")
_STRING = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'',
                     re.S)
_IRI = re.compile(r"<[^<>\s{}]*>")
_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.I)


def strip_strings_and_comments(query: str) -> str:
    """The query with string literals, IRIs and comments blanked, for keyword searches."""
    query = _STRING.sub('""', query)
    query = _IRI.sub("<>", query)
    return _COMMENT.sub("", query)


def has_top_level_order_by(query: str) -> bool:
    """A top-level ORDER BY comes after the last closing brace (an ORDER BY in a subquery does not)."""
    code = strip_strings_and_comments(query)
    return bool(_ORDER_BY.search(code[code.rfind("}") + 1:]))


def _row_key(row: dict[str, Term]) -> frozenset:
    return frozenset(row.items())


def _has_bnode(term: Term) -> bool:
    if term[0] == "bnode":
        return True
    return term[0] == "triple" and any(_has_bnode(t) for t in term[1:])


def _match_term(e: Term, a: Term, forward: dict, backward: dict, added: list) -> bool:
    if e[0] != a[0]:
        return False
    if e[0] == "bnode":
        if e[1] in forward:
            return forward[e[1]] == a[1]
        if a[1] in backward:
            return False
        forward[e[1]] = a[1]
        backward[a[1]] = e[1]
        added.append(e[1])
        return True
    if e[0] == "triple":
        return all(_match_term(x, y, forward, backward, added) for x, y in zip(e[1:], a[1:]))
    return e == a


def _match_row(e: dict, a: dict, forward: dict, backward: dict) -> list | None:
    """Extend the bnode bijection so that row e equals row a; the names added, or None."""
    if e.keys() != a.keys():
        return None
    added: list = []
    for var, term in e.items():
        if not _match_term(term, a[var], forward, backward, added):
            _undo(added, forward, backward)
            return None
    return added


def _undo(added: list, forward: dict, backward: dict) -> None:
    for name in added:
        backward.pop(forward.pop(name), None)


def _match_bags(expected: list[dict], actual: list[dict]) -> bool:
    # Rows without blank nodes must match exactly; do those by counting, then search the rest.
    plain_e = Counter(_row_key(r) for r in expected if not any(_has_bnode(t) for t in r.values()))
    plain_a = Counter(_row_key(r) for r in actual if not any(_has_bnode(t) for t in r.values()))
    if plain_e != plain_a:
        return False
    rest_e = [r for r in expected if any(_has_bnode(t) for t in r.values())]
    rest_a = [r for r in actual if any(_has_bnode(t) for t in r.values())]
    if len(rest_e) != len(rest_a):
        return False
    used = [False] * len(rest_a)
    forward: dict = {}
    backward: dict = {}

    def search(i: int) -> bool:
        if i == len(rest_e):
            return True
        for j, row in enumerate(rest_a):
            if used[j]:
                continue
            added = _match_row(rest_e[i], row, forward, backward)
            if added is None:
                continue
            used[j] = True
            if search(i + 1):
                return True
            used[j] = False
            _undo(added, forward, backward)
        return False

    return search(0)


def _match_sequences(expected: list[dict], actual: list[dict]) -> bool:
    forward: dict = {}
    backward: dict = {}
    return all(_match_row(e, a, forward, backward) is not None for e, a in zip(expected, actual))


def compare(expected, actual, *, ordered: bool = False) -> str | None:
    """None when the results agree, else a message that shows both."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        if expected is actual:
            return None
        return f"expected {_describe(expected)}, got {_describe(actual)}"
    if isinstance(expected, Graph) or isinstance(actual, Graph):
        if isinstance(expected, Graph) and isinstance(actual, Graph) and isomorphic(expected, actual):
            return None
        return f"graphs differ\nexpected:\n{_describe(expected)}\nactual:\n{_describe(actual)}"
    if set(expected.variables) != set(actual.variables):
        return f"variables differ: expected {expected.variables}, got {actual.variables}"
    same = len(expected.rows) == len(actual.rows) and (
        _match_sequences(expected.rows, actual.rows) if ordered or expected.ordered
        else _match_bags(expected.rows, actual.rows))
    if same:
        return None
    return f"solutions differ\nexpected: {expected}\nactual:   {actual}"


def _describe(result) -> str:
    if isinstance(result, bool):
        return f"boolean {str(result).lower()}"
    if isinstance(result, Graph):
        return result.serialize(format="nt")[:3000]
    return str(result)
