"""/sparql: the SPARQL 1.1 Protocol endpoint (thin: the work is in tfatlas.sparql)."""

from __future__ import annotations

import atexit

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from ...errors import AtlasError, DeadlineExceeded
from ...contributions.errors import WriteRefused
from ...sparql import conneg
from ...sparql.description import service_description
from ...sparql.protocol import Operation, parse_request
from ...sparql.service import QueryService
from ...sparql.text import add_using
from ...vocab import FORMATS, SD, VOID
from ..deps import get_catalogue, get_contributions, get_query_service, get_store
from ..sparql_lean import LeanSparql, outcome
from ..urls import reader_language, with_lang
from ..write_responses import accepted, refusal

bp = Blueprint("sparql", __name__)

#: The query page's texts (the site's header and footer are base.html's).
TEXTS = {
    "de": {"title": "SPARQL-Abfrage", "heading": "SPARQL-Endpunkt",
           "intro_before": "SPARQL-1.1-Abfragen gehen an", "intro_after": "(GET oder POST); die",
           "description": "Dienstbeschreibung nennt Formate und Statistik",
           "missing": "Die Dateien des Abfrage-Editors sind nicht installiert (make install); der "
                      "Endpunkt selbst arbeitet ohne sie.",
           "query": "Abfrage", "run": "Abfrage senden", "examples": "Beispielabfragen",
           "examples_intro": "Die gespeicherten Abfragen des Atlas, im Editor als eigene Reiter; hier "
                             "jeweils ihre Web-API:"},
    "en": {"title": "SPARQL query", "heading": "SPARQL endpoint",
           "intro_before": "Send SPARQL 1.1 queries to", "intro_after": "(GET or POST); the",
           "description": "Service Description lists formats and statistics",
           "missing": "The query editor's files are not installed (make install); the endpoint "
                      "itself works without them.",
           "query": "Query", "run": "Send query", "examples": "Example queries",
           "examples_intro": "The atlas's stored queries, each a tab of the editor; here each one's "
                             "web API:"},
}



@bp.record_once
def _init(state) -> None:
    app: Flask = state.app
    service = QueryService(get_store(app), app.config["TFATLAS"])
    app.extensions["tfatlas.query_service"] = service
    # The workers live as long as the process; a test app that is dropped leaves none behind.
    atexit.register(service.close)
    # Plain queries are answered before Flask's machinery (web/sparql_lean.py); the rest comes here.
    app.wsgi_app = app.extensions["tfatlas.lean_sparql"] = LeanSparql(app, app.wsgi_app)


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
        query_string = request.query_string
        if request.method in ("GET", "HEAD") and set(request.args) == {"lang"}:
            query_string = b""  # the query page's language switch, not a protocol parameter
        op = parse_request(request.method, query_string, request.headers.get("Content-Type"), body)
        request.environ["tfatlas.operation"] = op.kind  # read by the metrics
        if op.kind == "description":
            return _description(service, op)
        if op.kind == "update":
            by_account = account_update(op, request.headers.get("Authorization"), request.base_url)
            if by_account is not None:
                return by_account
            text = service.checked_update(op, authorization=request.headers.get("Authorization"),
                                          base_iri=request.base_url)
            try:
                activity = get_contributions(current_app).operator_update(text, base_iri=request.base_url)
            except WriteRefused as exc:  # a LOAD's document: refusals in the reader's language
                return refusal(exc)
            done = Response(status=204)
            del done.headers["Content-Type"]
            if activity is not None:
                done.headers["Link"] = f'<{activity}>; rel="http://www.w3.org/ns/prov#has_provenance"'
            return done
        outcome(request.environ)  # a query the lean path ran and that failed: answered here
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


def account_update(op: Operation, authorization: str | None, base_iri: str) -> Response | None:
    """An update sent with an account's token, through the contribution gate; None for the
    operator's token (or no token), whose updates take the operator's path (checked by the query
    service, then ``Contributions.operator_update``)."""
    contributions = get_contributions(current_app)
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        account = contributions.authenticate(authorization)
    except WriteRefused as exc:
        if not contributions.admin_sha256 and not contributions.accounts.list():
            return None  # updates are disabled altogether: the operator's path says so
        return refusal(exc)
    if account.admin:
        return None
    try:
        text = add_using(op.text, op.default_graphs, op.named_graphs)
        return accepted(contributions.update(account, text, base_iri=base_iri), 204)
    except WriteRefused as exc:
        return refusal(exc)


# -- Service Description and query UI ------------------------------------------------------------

def _description(service: QueryService, op: Operation) -> Response:
    choice = conneg.negotiate("description", request.headers.get("Accept"), op.format)
    if choice is conneg.HTML:
        lang, _ = reader_language()
        examples = _example_queries()
        page = render_template("sparql.html", tabs=examples, examples=examples,
                               first_query=examples[0]["query"] if examples else "",
                               endpoint=request.base_url, s=TEXTS[lang])
        response = Response(page, content_type=choice.content_type)
        response.headers["Content-Language"] = lang
        response.vary.add("Accept-Language")
        return response
    # accounts may update too (their own graphs), also when no admin token is configured
    updates = bool(service.admin_hash) or bool(get_contributions(current_app).accounts.list())
    quads = service_description(request.base_url, service, updates=updates)
    body = ox.serialize(quads, format=choice.engine_format,
                        prefixes={"sd": SD, "void": VOID, "formats": FORMATS})
    return Response(body, content_type=choice.content_type)




def _example_queries() -> list[dict[str, str]]:
    """The stored queries as YASGUI tabs: named by their title in the reader's language, their
    SPARQL without the ``#+`` header (parameters stay unbound: every answer)."""
    lang, _ = reader_language()
    return [{"name": query.text("title", lang) or query.name, "query": query.sparql,
             "api": with_lang(f"{request.script_root}/api/") + f"#op-{query.name}"}
            for query in get_catalogue().all().values()]
