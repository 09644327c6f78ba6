"""What differs between the SPARQL servers the remote store talks to, in one place.

``Dialect`` is a standard SPARQL 1.1 server laid out like ``oxigraph serve`` (which Fuseki shares
for what the atlas uses); ``Virtuoso`` is OpenLink Virtuoso 7.2. Each answers: how to ask for
the atlas's dataset (union default graph, the store's own default graph), which result formats
to request, how to tell the server the deadline, which answers are not what they look like
(partial results on timeout, results cut at a row limit), and what the Graph Store endpoint can
do (dataset POST and GET). Measured against Virtuoso 7.2.5 (Debian); README "Virtuoso".
"""

from __future__ import annotations

import math
from typing import Callable, Iterable

import pyoxigraph as ox
import requests

# The lexer of the SPARQL text; kept in one import so it is easy to repoint.
from ..sparql.text import query_form, tokens

XML_RESULTS = "application/sparql-results+xml"
#: Seconds an HTTP wait lasts beyond a deadline passed to the server, for its "stopped" answer.
GRACE = 2.0
NO_GRAPH = "urn:x-tfatlas:no-graph"  # an IRI no graph has: an operation that touches nothing
JSON_RESULTS = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
TSV = "text/tab-separated-values"


class RemoteAnswerError(Exception):
    """An answer with a success status that is not a complete answer; ``timed_out`` says why."""

    def __init__(self, message: str, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


class Dialect:
    """A standard SPARQL 1.1 server with Oxigraph's conventions."""

    name = "oxigraph"
    results_accept = f"{JSON_RESULTS}, {XML_RESULTS};q=0.9"
    dataset_post = True  # the Graph Store endpoint takes N-Quads without ?graph=
    dataset_get = True  # ... and answers GET without ?graph= with the whole dataset
    #: Graph that plays the store's own default graph; None: the server has a real one.
    own_default_graph: str | None = None
    #: What the endpoint asks for per result kind: TSV and N-Triples count rows by lines.
    canonical = {"solutions": TSV, "graph": N_TRIPLES, "boolean": JSON_RESULTS}

    def canonical_body(self, kind: str, body: bytes) -> bytes:
        """The answer in the format ``canonical`` names (for servers that cannot send it)."""
        return body

    def results_body(self, body: bytes) -> bytes:
        """A results document as pyoxigraph's parsers take it."""
        return body

    def accept(self, text: str) -> str:
        """The Accept header for a query's answer."""
        return f"{self.results_accept}, {N_TRIPLES};q=0.9"

    def graphs_query(self) -> str:
        """A query whose ``?g`` are the atlas's named graphs (sent without dataset fields)."""
        return "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"

    def query(self, text: str, *, default_graphs: list[str] | None, named_graphs: list[str] | None,
              union_default: bool, has_from: bool, graphs: Callable[[], list[str]]
              ) -> tuple[str, list[tuple[str, str]], dict[str, str]]:
        """The query text, form fields and URL parameters that ask for the given dataset.

        ``graphs`` lists the atlas's named graphs (one request), for dialects that must name them.
        """
        if default_graphs is None and union_default and named_graphs is not None and not has_from:
            # The protocol forbids union-default-graph next to named-graph-uri: name every graph.
            default_graphs = graphs()
        form = [("default-graph-uri", g) for g in default_graphs or ()]
        form += [("named-graph-uri", g) for g in named_graphs or ()]
        params: dict[str, str] = {}
        if default_graphs is None and union_default and not has_from:
            params["union-default-graph"] = ""
        return text, form, params

    def update(self, text: str, graphs: Callable[[], list[str]]) -> str:
        return text

    def deadline(self, seconds: float) -> dict[str, str]:
        """Form fields that make the server itself end evaluation at the deadline."""
        return {}

    def check(self, response: requests.Response) -> None:
        """Raise RemoteAnswerError for a 2xx answer that is not the complete answer."""
        if response.status_code == 206:
            raise RemoteAnswerError("the remote store sent a partial answer (206)", timed_out=True)

    def forbidden(self, text: str) -> str | None:
        """Why the server must not be sent this query text from a client, or None."""
        return None


class Virtuoso(Dialect):
    """OpenLink Virtuoso 7.2 (``/sparql``, ``/sparql-graph-crud``).

    What it does differently, and what this class does about it:

    - Without FROM, the default graph and ``GRAPH ?g`` range over every graph, Virtuoso's own
      included (its RDF views ``virtrdf#``, the LDP vocabulary, the service description). With
      only default graphs declared, ``GRAPH <iri>`` matches nothing while ``GRAPH ?g`` still
      ranges over every graph. So every query and update names its whole dataset: the atlas's
      graphs (all graphs but Virtuoso's) as default and named graphs, one request to list them,
      in ``define input:...-graph-uri`` pragmas (as protocol fields each comes back as a
      response header, and past 100 headers Python's HTTP client gives up).
    - It has no default graph of its own (``INSERT DATA`` without ``GRAPH`` and ``CLEAR
      DEFAULT`` are errors): a reserved graph plays it, declared as the default graph of
      updates and of queries that ask for the store's own default graph.
    - It refuses blank nodes in ``INSERT DATA``: such an update is sent as ``INSERT {...} WHERE {}``.
      Its results name blank nodes ``nodeID://b10002``, which is no label: the prefix is dropped.
    - ``DROP ALL`` / ``CLEAR ALL`` / ``... NAMED`` answer 200 and change nothing: they are sent
      as one ``DROP SILENT GRAPH`` per graph of the atlas.
    - A ``query`` parameter may hold an update, which it executes; ``define`` pragmas reach its
      SQL layer: client texts with either are refused before they are sent.
    - Its TSV is not SPARQL TSV (quoted IRIs) and its JSON writes booleans as ``"1"``: results
      are requested as XML.
    - The ``timeout`` parameter (ms) ends evaluation at (or some seconds after) the deadline, but
      the answer is then a 200 with the rows found so far (``X-SQL-State: S1TAT``; so is the
      answer at ``MaxQueryExecutionTime`` when a ``timeout`` was sent); ``ResultSetMaxRows`` cuts a
      result silently but for ``X-SPARQL-MaxRows``: both become errors, never an answer.
    - Its Graph Store endpoint takes only single graphs (``?graph=``): dataset files are sent
      graph by graph, and a dump is one GET per graph, each checked against the graph's count.
    """

    name = "virtuoso"
    results_accept = XML_RESULTS
    dataset_post = False
    dataset_get = False
    own_default_graph = "urn:x-tfatlas:default-graph"
    canonical = {"solutions": XML_RESULTS, "graph": N_TRIPLES, "boolean": XML_RESULTS}
    #: Graphs a fresh Virtuoso 7.2 holds; the service description graph is found at first use.
    SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#")
    SD_SERVICE = "http://www.w3.org/ns/sparql-service-description#Service"
    FIND_SYSTEM_GRAPHS = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g a <{SD_SERVICE}> }} }}"
    _UPDATE_ONLY = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY",
                    "WITH", "DEFINE"}

    def __init__(self, system_graphs: Iterable[str] = ()):
        self.system_graphs = tuple(dict.fromkeys([*self.SYSTEM_GRAPHS, *system_graphs]))

    def hidden(self) -> tuple[str, ...]:
        """Graphs that are not the atlas's named graphs."""
        return (*self.system_graphs, self.own_default_graph)

    def results_body(self, body: bytes) -> bytes:
        # Blank nodes come as <bnode>nodeID://b10002</bnode>, which is no blank node label.
        return body.replace(b"<bnode>nodeID://", b"<bnode>")

    def canonical_body(self, kind: str, body: bytes) -> bytes:
        if kind == "graph":  # its N-Triples end with a blank line: one line per triple again
            return ox.serialize(ox.parse(body, ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.N_TRIPLES)
        parsed = ox.parse_query_results(self.results_body(body), ox.QueryResultsFormat.XML)
        target = ox.QueryResultsFormat.JSON if kind == "boolean" else ox.QueryResultsFormat.TSV
        return parsed.serialize(format=target)

    def accept(self, text: str) -> str:
        # For a CONSTRUCT it answers 406 when a results type comes first: one type, by query form.
        return N_TRIPLES if query_form(text) in ("CONSTRUCT", "DESCRIBE") else XML_RESULTS

    def graphs_query(self) -> str:
        hidden = ", ".join(f"<{g}>" for g in self.hidden())
        return f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (?g NOT IN ({hidden})) }}"

    def query(self, text, *, default_graphs, named_graphs, union_default, has_from, graphs):
        if has_from:  # the text names its dataset; the protocol's fields would override it
            return text, [], {}
        atlas = graphs()
        if default_graphs is None:
            default_graphs = [*atlas, self.own_default_graph] if union_default else [self.own_default_graph]
        if named_graphs is None:
            named_graphs = atlas
        # With a declared dataset, Virtuoso answers a pattern whose variables are not returned
        # (ASK, a constant SELECT) over GRAPH <iri> of an undeclared graph with "yes". Declaring
        # every IRI of the text that is no graph (so an empty one) makes it look, and find nothing.
        known = {*atlas, *self.hidden()}
        named_graphs = [*named_graphs, *(iri for iri in _iris(text) if iri not in known)]
        return _declare(text, default_graphs or [NO_GRAPH], named_graphs or [NO_GRAPH]), [], {}

    def update(self, text: str, graphs) -> str:
        named = graphs()
        text = _insert_data_as_insert_where(_expand_drop_all(text, lambda: named, self.own_default_graph))
        if any(t.depth == 0 and t.is_word("USING", "WITH") for t in tokens(text)):
            return text  # the update names its dataset; a define would add to it
        # Declaring only a default graph would make GRAPH <iri> in WHERE match nothing: name both.
        return _declare(text, [self.own_default_graph], named or [NO_GRAPH])

    def deadline(self, seconds: float) -> dict[str, str]:
        return {"timeout": str(max(1, math.floor(seconds * 1000)))}

    def check(self, response: requests.Response) -> None:
        super().check(response)
        if response.headers.get("X-SQL-State") == "S1TAT":
            raise RemoteAnswerError("Virtuoso ended the query at its timeout and sent the rows "
                                    "found so far", timed_out=True)
        if (rows := response.headers.get("X-SPARQL-MaxRows")) is not None:
            raise RemoteAnswerError(f"Virtuoso cut the result at {rows} rows (its ResultSetMaxRows); "
                                    f"raise ResultSetMaxRows in virtuoso.ini above TFATLAS_RESULT_LIMIT")

    def forbidden(self, text: str) -> str | None:
        toks = tokens(text)
        for i, tok in enumerate(toks):
            in_language_tag = i and toks[i - 1].kind == "other" and toks[i - 1].text in "@-"
            if tok.kind == "word" and tok.text.upper() in self._UPDATE_ONLY and not in_language_tag:
                return (f"{tok.text!r} has no place in a query (updates go in the 'update' "
                        f"parameter; Virtuoso's pragmas are not accepted)")
            if tok.kind in ("iri", "pname") and tok.text.lstrip("<").lower().startswith(("bif:", "sql:")):
                return f"{tok.text} calls into Virtuoso's SQL layer, which this server does not allow"
        return None


def _declare(text: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """The text with its dataset declared in ``define`` pragmas, which must come first. (As
    protocol fields, Virtuoso echoes each graph in a response header: past 100 graphs the
    answer has more headers than an HTTP client accepts.)"""
    defines = [*(f"define input:default-graph-uri <{g}>" for g in default_graphs),
               *(f"define input:named-graph-uri <{g}>" for g in named_graphs)]
    return "\n".join([*defines, text])


def _insert_data_as_insert_where(text: str) -> str:
    """``INSERT DATA {...}`` with blank nodes as ``INSERT {...} WHERE {}`` (the same triples, fresh
    blank nodes either way): Virtuoso refuses blank nodes in INSERT DATA ("constant clause")."""
    toks = tokens(text)
    out, last = [], 0
    for i, tok in enumerate(toks[:-1]):
        if tok.depth or not (tok.is_word("INSERT") and toks[i + 1].is_word("DATA")):
            continue
        end = next((k for k in range(i + 2, len(toks)) if toks[k].kind == "close" and toks[k].depth == 0), None)
        if end is None:
            continue
        block = toks[i + 2:end]
        if not any(t.kind == "pname" and t.text.startswith("_:") or t.kind == "other" and t.text in "[("
                   for t in block):
            continue
        data = toks[i + 1]
        out += [text[last:data.start], text[data.start + len(data.text):toks[end].start + 1], " WHERE {}"]
        last = toks[end].start + 1
    out.append(text[last:])
    return "".join(out)


def _expand_drop_all(text: str, graphs, own_default: str) -> str:
    """``DROP|CLEAR [SILENT] ALL|NAMED|DEFAULT`` as one operation per graph (Virtuoso ignores them)."""
    toks = tokens(text)
    out, last, listed = [], 0, None
    for i, tok in enumerate(toks):
        if tok.depth or not tok.is_word("DROP", "CLEAR"):
            continue
        j = i + 1 + (i + 1 < len(toks) and toks[i + 1].is_word("SILENT"))
        if j >= len(toks) or not toks[j].is_word("ALL", "NAMED", "DEFAULT"):
            continue
        scope = toks[j].text.upper()
        if listed is None and scope != "DEFAULT":
            listed = list(graphs())
        targets = {"ALL": [*(listed or ()), own_default], "NAMED": listed or [NO_GRAPH],
                   "DEFAULT": [own_default]}[scope]
        out.append(text[last:tok.start])
        out.append(" ;\n".join(f"{tok.text.upper()} SILENT GRAPH <{g}>" for g in targets))
        last = toks[j].start + len(toks[j].text)
    out.append(text[last:])
    return "".join(out)


MAX_DECLARED_IRIS = 200  # bounds the request; texts with more IRIs are rare


def _iris(text: str) -> list[str]:
    """The absolute IRIs a text names (written out or as prefixed names), at most MAX_DECLARED_IRIS."""
    toks = tokens(text)
    prefixes: dict[str, str] = {}
    for i, tok in enumerate(toks[:-2]):
        if tok.is_word("PREFIX") and toks[i + 1].kind == "pname" and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text.rstrip(":")] = toks[i + 2].text[1:-1]
    found: dict[str, None] = {}
    for tok in toks:
        if tok.kind == "iri":
            iri = tok.text[1:-1]
        elif tok.kind == "pname" and (prefix := tok.text.split(":", 1)[0]) in prefixes and "\\" not in tok.text:
            iri = prefixes[prefix] + tok.text.split(":", 1)[1]
        else:
            continue
        if ":" in iri and iri not in prefixes.values():
            found[iri] = None
            if len(found) >= MAX_DECLARED_IRIS:
                break
    return list(found)


DIALECTS = {"oxigraph": Dialect, "virtuoso": Virtuoso}


def detect(server_header: str) -> Dialect:
    """The dialect of a server from its ``Server`` header (auto mode)."""
    return Virtuoso() if server_header.lower().startswith("virtuoso") else Dialect()


__all__ = ["DIALECTS", "GRACE", "Dialect", "RemoteAnswerError", "Virtuoso", "detect"]
