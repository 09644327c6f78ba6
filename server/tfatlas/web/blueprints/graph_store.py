"""The SPARQL 1.1 Graph Store Protocol at /rdf-graphs/service, and each actor graph's history.

Indirect graph identification: ``?graph=<IRI>`` or ``?default``. GET and HEAD read any graph
(the data is public); PUT, POST and DELETE need a token and go through the contribution gate
(contributions/writes.py). For an account, ``?default`` (and a POST without a graph) means its
own graph, ``<base>graph/actor/<slug>``; the operator's ``?default`` is the store's default graph
and its POST without a graph creates ``<base>graph/user/gsp-<random>``. A graph IRI on this
server's host is read as the same IRI under the base (``http://127.0.0.1:8080/graph/actor/bva``
is ``<base>graph/actor/bva``). Statuses as the W3C tests expect: PUT 201 (new) / 204, POST 200 /
201 with Location (new), DELETE 200, GET/HEAD of an empty graph 404.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from ...contributions.errors import BadBody, NotFound, WriteRefused
from ...contributions.terms import PROV, RDF, actor_graph, for_base, history_graph
from ...errors import NotAcceptable
from ...sparql import conneg
from ...vocab import prefixes
from ..deps import get_contributions, get_store
from ..write_responses import accepted, language, refusal

bp = Blueprint("graph_store", __name__)

GSP_PATH = "/rdf-graphs/service"


def _base() -> str:
    return current_app.config["TFATLAS"].base_iri


def _requested_graph() -> str | None:
    """The graph IRI of ``?graph=``, None for ``?default``; BadBody (400) for anything else."""
    has_graph, has_default = "graph" in request.args, "default" in request.args
    if has_graph == has_default:
        raise BadBody("Name the graph with ?graph=<IRI> or ?default (exactly one of them).",
                      "Den Graphen mit ?graph=<IRI> oder ?default benennen (genau eines davon).")
    if has_default:
        return None
    graph = request.args["graph"]
    if not graph.startswith(("http://", "https://", "urn:")) or any(c in graph for c in ' <>"{}|\\^`'):
        raise BadBody(f"?graph= must be an absolute IRI, not {graph!r}.",
                      f"?graph= muss eine absolute IRI sein, nicht {graph!r}.")
    here = request.host_url
    return _base() + graph[len(here):] if graph.startswith(here) else graph


def _body() -> bytes:
    body = request.get_data(cache=True)
    if request.content_length is None:
        request.stream.read(1)  # past the limit: 413 rather than a silently cut body
    return body


def _parts() -> list[tuple[bytes, str | None]]:
    content_type = request.headers.get("Content-Type", "")
    if content_type.lower().startswith("multipart/form-data"):
        parts = [(f.read(), f.content_type) for f in request.files.values()]
        if not parts:
            raise BadBody("The multipart/form-data body has no file parts.",
                          "Der multipart/form-data-Inhalt hat keine Datei-Teile.")
        return parts
    return [(_body(), content_type or None)]


def _location(graph: str) -> str:
    return f"{request.host_url.rstrip('/')}{GSP_PATH}?graph={quote(graph, safe='')}"


@bp.route(GSP_PATH, methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def graph_store():
    service = get_contributions(current_app)
    try:
        if request.method in ("GET", "HEAD"):
            return _read(service)
        account = service.authenticate(request.headers.get("Authorization"))
        if request.method == "POST" and not request.args:
            graph = None if not account.admin else f"{_base()}graph/user/gsp-{secrets.token_hex(6)}"
            result = service.post(account, graph, _parts())
            return accepted(result, 201 if result.created else 200,
                            location=_location(result.graph) if result.created else None)
        graph = _requested_graph()
        if request.method == "PUT":
            result = service.put(account, graph, _body(), request.headers.get("Content-Type"))
            return accepted(result, 201 if result.created else 204)
        if request.method == "POST":
            result = service.post(account, graph, _parts())
            return accepted(result, 201 if result.created else 200,
                            location=_location(result.graph) if result.created else None)
        return accepted(service.delete(account, graph), 200)
    except RequestEntityTooLarge:
        limit = current_app.config["TFATLAS"].max_body_bytes
        return refusal(_TooLarge(limit))
    except WriteRefused as exc:
        return refusal(exc)


class _TooLarge(WriteRefused):
    status = 413

    def __init__(self, limit: int):
        super().__init__(f"The request body is larger than this server's limit of {limit:,} bytes "
                         "(TFATLAS_MAX_BODY_BYTES); nothing was changed.",
                         f"Der Inhalt ist größer als die Grenze dieses Servers von {limit:,} Bytes "
                         "(TFATLAS_MAX_BODY_BYTES); es wurde nichts geändert.")


def _read(service) -> Response:
    graph = _requested_graph()
    if graph is None:
        # An account's default graph is its own; without a token, the store's default graph.
        authorization = request.headers.get("Authorization")
        account = service.authenticate(authorization) if authorization else None
        graph = service.target(account, None) if account is not None else ""
    try:
        choice = conneg.negotiate("graph", request.headers.get("Accept"), request.args.get("format"))
    except NotAcceptable as exc:
        return Response(f"{exc}\n", status=406, content_type="text/plain; charset=utf-8")
    triples = service.read(graph)
    if not triples:
        raise NotFound(f"The graph <{graph or 'default'}> holds no triples.",
                       f"Der Graph <{graph or 'default'}> enthält keine Tripel.")
    items = sorted(triples, key=str)
    if choice.engine_format.supports_datasets:
        name = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        items = [ox.Quad(t.subject, t.predicate, t.object, name) for t in items]
    body = ox.serialize(items, format=choice.engine_format, prefixes=prefixes(_base()))
    response = Response(body, content_type=choice.content_type)
    response.vary.add("Accept")
    return response


# -- the history of an actor's graph ------------------------------------------------------------

_HISTORY_TEXT = {
    "de": {"title": "Änderungen", "when": "Zeitpunkt", "who": "Konto", "via": "Schnittstelle",
           "added": "hinzugefügt", "removed": "entfernt", "resources": "Geänderte Ressourcen",
           "none": "Für diesen Graphen sind keine Änderungen verzeichnet.", "statements": "Aussagen",
           "graph": "Graph"},
    "en": {"title": "Changes", "when": "When", "who": "Account", "via": "Interface",
           "added": "added", "removed": "removed", "resources": "Changed resources",
           "none": "No changes are recorded for this graph.", "statements": "Statements",
           "graph": "Graph"},
}
_SUFFIXES = {"html": conneg.HTML, "ttl": conneg.TURTLE, "jsonld": conneg.JSONLD, "nt": conneg.PAGE_NTRIPLES,
             "rdf": conneg.PAGE_RDFXML}
HISTORY_LIMIT = 200  # activities per page, newest first


def history_triples(store, base: str, graph: str) -> list[ox.Triple]:
    """Every statement of the history about changes of ``graph`` (activities, reified triples)."""
    history = history_graph(base)
    own = for_base(base)
    ADDED_STATEMENT, REMOVED_STATEMENT, CHANGED_GRAPH = own.ADDED_STATEMENT, own.REMOVED_STATEMENT, own.CHANGED_GRAPH
    return list(store.query(f"""
        CONSTRUCT {{ ?act ?p ?o . ?st ?sp ?so . ?agent ?ap ?ao }} WHERE {{ GRAPH <{history}> {{
          ?act <{CHANGED_GRAPH}> <{graph}> .
          {{ ?act ?p ?o }}
          UNION {{ ?act <{ADDED_STATEMENT}>|<{REMOVED_STATEMENT}> ?st . ?st ?sp ?so }}
          UNION {{ ?act <{PROV}wasAssociatedWith> ?agent . ?agent ?ap ?ao }}
        }} }}""", union_default=False))


def _activities(triples: list[ox.Triple], base: str) -> list[dict]:
    own = for_base(base)
    VIA_INTERFACE, TRIPLES_ADDED, TRIPLES_REMOVED = own.VIA_INTERFACE, own.TRIPLES_ADDED, own.TRIPLES_REMOVED
    ADDED_STATEMENT, REMOVED_STATEMENT = own.ADDED_STATEMENT, own.REMOVED_STATEMENT
    acts: dict = {}
    statements: dict = {}
    for t in triples:
        if t.predicate.value == RDF + "type" and t.object.value == PROV + "Activity":
            acts.setdefault(t.subject, {"iri": t.subject.value, "resources": [], "added": [], "removed": []})
    for t in triples:
        if t.subject in acts:
            act, p = acts[t.subject], t.predicate.value
            if p == PROV + "endedAtTime":
                act["when"] = t.object.value
            elif p == VIA_INTERFACE:
                act["via"] = t.object.value
            elif p == TRIPLES_ADDED:
                act["n_added"] = int(t.object.value)
            elif p == TRIPLES_REMOVED:
                act["n_removed"] = int(t.object.value)
            elif p == PROV + "influenced":
                act["resources"].append(t.object.value)
            elif p == PROV + "wasAssociatedWith" and "/id/account/" in t.object.value:
                act["who"] = t.object.value.rsplit("/", 1)[1]
            elif p in (ADDED_STATEMENT, REMOVED_STATEMENT):
                act["added" if p == ADDED_STATEMENT else "removed"].append(t.object)
        elif isinstance(t.subject, ox.BlankNode):
            statements.setdefault(t.subject, {})[t.predicate.value] = t.object
    for act in acts.values():
        for key in ("added", "removed"):
            act[key] = sorted(" ".join(str(statements.get(st, {}).get(RDF + part, "?"))
                                       for part in ("subject", "predicate", "object"))
                              for st in act[key])
        act["resources"].sort()
    return sorted(acts.values(), key=lambda a: a.get("when", ""), reverse=True)


@bp.get("/graph/actor/<slug>/history")
@bp.get("/graph/actor/<slug>/history.<ext>")
def history(slug: str, ext: str | None = None):
    base = _base()
    graph = actor_graph(base, slug)
    store = get_store(current_app)
    if ext is not None:
        choice = _SUFFIXES.get(ext)
        if choice is None:
            return Response(f"unknown format .{ext}; use one of: {', '.join(_SUFFIXES)}\n", status=404,
                            content_type="text/plain; charset=utf-8")
    else:
        try:
            choice = conneg.negotiate("page", request.headers.get("Accept"))
        except NotAcceptable as exc:
            return Response(f"{exc}\n", status=406, content_type="text/plain; charset=utf-8")
    triples = history_triples(store, base, graph)
    exists = bool(triples) or bool(store.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", union_default=False))
    if not exists:
        lang = language()
        text = _HISTORY_TEXT[lang]["none"]
        return Response(f"404: {text}\n", status=404, content_type="text/plain; charset=utf-8")
    path = f"{request.script_root}/graph/actor/{slug}/history"
    if choice is conneg.HTML:
        lang = language()
        activities = _activities(triples, base)
        body = render_template("history.html", graph=graph, activities=activities[:HISTORY_LIMIT],
                               total=len(activities), h=_HISTORY_TEXT[lang], path=path,
                               formats=[(s, c.media_type) for s, c in _SUFFIXES.items() if s != "html"])
        response = Response(body, content_type=choice.content_type)
    else:
        body = ox.serialize(sorted(triples, key=str), format=choice.engine_format, prefixes=prefixes(base))
        response = Response(body, content_type=choice.content_type)
        response.headers["Access-Control-Allow-Origin"] = "*"
    if ext is None:
        response.vary.add("Accept")
        response.headers["Content-Location"] = f"{path}.{next(s for s, c in _SUFFIXES.items() if c is choice)}"
    response.headers["Link"] = ", ".join(f'<{path}.{s}>; rel="alternate"; type="{c.media_type}"'
                                         for s, c in _SUFFIXES.items() if c is not choice)
    return response
