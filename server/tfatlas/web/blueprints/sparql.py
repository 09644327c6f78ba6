"""/sparql: the SPARQL 1.1 Protocol endpoint (thin: the work is in sparql_protocol and query_service)."""

from __future__ import annotations

import atexit
import json

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from ...sparql import conneg
from ...errors import AtlasError, DeadlineExceeded
from ...sparql.service import QueryService
from ...sparql.protocol import Operation, parse_request
from ..deps import get_catalogue, get_query_service, get_store
from ..urls import reader_language
from ...vocab import SD, VOID

bp = Blueprint("sparql", __name__)

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@bp.record_once
def _init(state) -> None:
    app: Flask = state.app
    service = QueryService(get_store(app), app.config["TFATLAS"])
    app.extensions["tfatlas.query_service"] = service
    # The workers live as long as the process; a test app that is dropped leaves none behind.
    atexit.register(service.close)



def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = Response(message.rstrip() + "\n", status=status, content_type="text/plain; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.after_request
def _vary(response: Response) -> Response:
    response.vary.add("Accept")
    return response


@bp.route("/sparql", methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
@bp.route("/sparql/", methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])  # as the W3C tests write it
def sparql():
    service = get_query_service(current_app)
    try:
        body = request.get_data(cache=False) if request.method == "POST" else b""
        if request.method == "POST" and request.content_length is None:
            # A chunked body is cut at the limit without an error; one more read past the limit
            # raises 413, so a truncated query or update is never evaluated.
            request.stream.read(1)
        op = parse_request(request.method, request.query_string, request.headers.get("Content-Type"), body)
        request.environ["tfatlas.operation"] = op.kind  # read by the metrics
        if op.kind == "description":
            return _description(service, op)
        if op.kind == "update":
            service.update(op, authorization=request.headers.get("Authorization"),
                           base_iri=request.base_url)
            done = Response(status=204)
            del done.headers["Content-Type"]
            return done
        answer = service.query(op, accept=request.headers.get("Accept"), base_iri=request.base_url)
        return Response(answer.body, content_type=answer.content_type)
    except RequestEntityTooLarge:
        limit = current_app.config["TFATLAS"].max_body_bytes
        return _text(413, f"the request body is larger than this server's limit of {limit:,} bytes "
                          "(TFATLAS_MAX_BODY_BYTES)")
    except AtlasError as exc:  # each carries its status: 4xx for the request, 5xx for the server
        if isinstance(exc, DeadlineExceeded):
            request.environ["tfatlas.timeout"] = True
        return _text(exc.status, exc.message, exc.headers)


# -- Service Description and query UI ------------------------------------------------------------

def _description(service: QueryService, op: Operation) -> Response:
    choice = conneg.negotiate("description", request.headers.get("Accept"), op.format)
    if choice is conneg.HTML:
        return Response(render_template("sparql.html", tabs=json.dumps(_example_queries()),
                                        endpoint=request.base_url), content_type=choice.content_type)
    quads = service_description(request.base_url, service)
    body = ox.serialize(quads, format=choice.engine_format,
                        prefixes={"sd": SD, "void": VOID, "formats": "http://www.w3.org/ns/formats/"})
    return Response(body, content_type=choice.content_type)


def service_description(endpoint: str, service: QueryService) -> list[ox.Triple]:
    """sd:Service with the supported languages, formats and VoID statistics of the dataset."""
    node = ox.NamedNode(endpoint)
    sd = lambda term: ox.NamedNode(SD + term)  # noqa: E731
    void = lambda term: ox.NamedNode(VOID + term)  # noqa: E731
    triples = [ox.Triple(node, RDF_TYPE, sd("Service")), ox.Triple(node, sd("endpoint"), node),
               ox.Triple(node, sd("supportedLanguage"), sd("SPARQL11Query")),
               ox.Triple(node, sd("feature"), sd("UnionDefaultGraph"))]
    if service.admin_hash:
        triples.append(ox.Triple(node, sd("supportedLanguage"), sd("SPARQL11Update")))
    if service.allow:
        triples.append(ox.Triple(node, sd("feature"), sd("BasicFederatedQuery")))
    formats = {c.engine_format.iri for kind in ("solutions", "graph") for c in conneg.OFFERS[kind]}
    triples += [ox.Triple(node, sd("resultFormat"), ox.NamedNode(iri)) for iri in sorted(formats)]

    stats = service.stats()
    dataset, default = ox.BlankNode(), ox.BlankNode()
    triples += [ox.Triple(node, sd("defaultDataset"), dataset),
                ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
                ox.Triple(dataset, RDF_TYPE, void("Dataset")),
                ox.Triple(dataset, sd("defaultGraph"), default),
                ox.Triple(dataset, void("sparqlEndpoint"), node),
                ox.Triple(default, RDF_TYPE, sd("Graph")),
                ox.Triple(default, void("triples"), ox.Literal(str(stats.triples), datatype=_INTEGER)),
                ox.Triple(default, void("classes"), ox.Literal(str(len(stats.classes)), datatype=_INTEGER))]
    for cls, count in stats.classes.items():
        partition = ox.BlankNode()
        triples += [ox.Triple(default, void("classPartition"), partition),
                    ox.Triple(partition, void("class"), ox.NamedNode(cls)),
                    ox.Triple(partition, void("entities"), ox.Literal(str(count), datatype=_INTEGER))]
    for graph, count in sorted(stats.graphs.items()):
        if not graph:
            continue
        named, description = ox.BlankNode(), ox.BlankNode()
        triples += [ox.Triple(dataset, sd("namedGraph"), named),
                    ox.Triple(named, sd("name"), ox.NamedNode(graph)),
                    ox.Triple(named, sd("graph"), description),
                    ox.Triple(description, RDF_TYPE, sd("Graph")),
                    ox.Triple(description, void("triples"), ox.Literal(str(count), datatype=_INTEGER))]
    return triples


_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def _example_queries() -> list[dict[str, str]]:
    """The stored queries as YASGUI tabs: named by their title in the reader's language, their
    SPARQL without the ``#+`` header (parameters stay unbound: every answer)."""
    lang, _ = reader_language()
    return [{"name": query.text("title", lang) or query.name, "query": query.sparql}
            for query in get_catalogue().all().values()]
