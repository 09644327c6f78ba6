"""The stored queries as a web API: /api/queries/<name>, /api/openapi.json and /api/ (its page)."""

from __future__ import annotations

import io
import json
import re

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from ... import finder
from ...finder import api as finder_api
from ...sparql import conneg, openapi
from ...errors import NotAcceptable, NotFound, QueryError, QueryFailed
from ...sparql.stored_queries import bind, in_scheme, run
from ..deps import get_catalogue as catalogue, get_search_index, get_store, store_state
from ..urls import reader_language

bp = Blueprint("api", __name__, url_prefix="/api")

# Short names for the `_format` parameter (so a result can be linked as a download) and the
# engine's formats, from conneg's table.
_FORMATS = {choice.name: choice.media_type for choice in conneg.OFFERS["rows"]}
_ENGINE_FORMATS = {choice.media_type: choice.engine_format for choice in conneg.OFFERS["rows"]
                   if choice.engine_format is not None}
_NUMERIC = {"integer", "decimal", "double", "float", "int", "long", "short", "nonNegativeInteger",
            "positiveInteger"}




def _media_type() -> str | None:
    """The media type to answer in: `_format` wins, then the Accept header; None: not acceptable."""
    wanted = request.args.get("_format")
    if wanted:
        return _FORMATS.get(wanted.lower()) or (wanted if wanted in _FORMATS.values() else None)
    choice = conneg.acceptable("rows", request.headers.get("Accept"))
    return choice.media_type if choice is not None else None


def _plain_cell(cell: dict) -> object:
    """A JSON value for one cell of SPARQL JSON: IRIs and strings as text, numbers and booleans as such."""
    value = cell["value"]
    kind = cell["type"]
    if kind == "literal":
        datatype = cell.get("datatype")
        if datatype is None:
            return value
        kind = datatype.rsplit("#", 1)[-1]
        try:
            if kind in _NUMERIC:
                number = float(value)
                return int(number) if kind not in ("decimal", "double", "float") else number
            if kind == "boolean":
                return value in ("true", "1")
        except ValueError:
            return value
        return value
    if kind == "bnode":
        return f"_:{value}"
    return value


def json_rows(results: ox.QuerySolutions) -> tuple[list[str], list[dict]]:
    """Columns and rows of plain values, through the engine's own SPARQL JSON writer.

    Reading every term through pyoxigraph's Python objects cost about 10 microseconds a cell
    (60 ms for 800 rows); the engine writes JSON in Rust and the C JSON parser reads it back, so
    what is left in Python is one small dict lookup per cell.
    """
    document = json.loads(results.serialize(format=ox.QueryResultsFormat.JSON))
    columns = document["head"]["vars"]
    rows = []
    for binding in document["results"]["bindings"]:
        row = dict.fromkeys(columns)
        for name, cell in binding.items():
            kind = cell["type"]
            if kind == "uri" or (kind == "literal" and "datatype" not in cell):
                row[name] = cell["value"]
            else:
                row[name] = _plain_cell(cell)
        rows.append(row)
    return columns, rows


# Cells of engine-written SPARQL JSON that become a plain JSON value by dropping their wrapper. A
# '"' inside a JSON string is always escaped, so these never match inside a value.
_STRING = rb'("[^"\\]*+(?:\\.[^"\\]*+)*+")'
_PLAIN_CELLS = re.compile(
    rb'\{"type":"uri","value":' + _STRING + rb'\}'
    rb'|\{"type":"literal","value":' + _STRING + rb'(?:,"xml:lang":"[^"\\]*+")?\}'
    rb'|\{"type":"literal","value":"(-?(?:0|[1-9][0-9]{0,14}))",'
    rb'"datatype":"http://www\.w3\.org/2001/XMLSchema#integer"\}')
_BINDINGS = b'"results":{"bindings":'


def _unwrap(match: re.Match) -> bytes:
    return match.group(1) or match.group(2) or match.group(3)


def json_body(results: ox.QuerySolutions, head: dict) -> bytes:
    """The default JSON answer: ``head`` followed by ``rows``, reshaped from the engine's SPARQL JSON.

    Fast path, in bytes: when every cell is an IRI, a string or a canonical integer and every row
    binds every column, dropping each cell's wrapper gives the rows as they are (one regular-
    expression pass; no Python object per cell but the match). Anything else (an unbound cell, a decimal,
    a blank node) goes through json_rows.
    """
    document = results.serialize(format=ox.QueryResultsFormat.JSON)
    start = document.find(_BINDINGS)
    columns = json.loads(document[:start].rstrip(b",") + b"}")["head"]["vars"]
    bindings = document[start + len(_BINDINGS):-2]  # the array, without the closing '}}'
    cells = bindings.count(b'{"type":')
    rows = 0 if bindings == b"[]" else bindings.count(b"}},{") + 1
    prefix = json.dumps({**head, "columns": columns}, ensure_ascii=False, separators=(",", ":"))[:-1]
    if cells == rows * len(columns):
        reshaped = _PLAIN_CELLS.sub(_unwrap, bindings)
        if b'{"type":' not in reshaped:
            return prefix.encode() + b',"rows":' + reshaped + b"}"
    _, parsed = json_rows(ox.parse_query_results(document, ox.QueryResultsFormat.JSON))
    return prefix.encode() + b',"rows":' + json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode() + b"}"


@bp.get("/queries/<name>")
def stored_query(name: str):
    query = catalogue().get(name)
    if query is None:
        known = ", ".join(catalogue().all()) or "none"
        raise NotFound(f"there is no stored query {name!r}; the stored queries are: {known}")
    media_type = _media_type()
    if media_type is None:
        raise NotAcceptable("supported formats: " + ", ".join(f"{t} (_format={n})" for n, t in _FORMATS.items()))
    store = get_store(current_app)
    state = store_state()

    def member(concept: ox.NamedNode, scheme: str) -> bool:  # known per state of the store
        return state.get(("in_scheme", concept.value, scheme), lambda: in_scheme(store, concept, scheme))

    bindings = bind(query, request.args.to_dict(flat=False), store, member)  # ParameterError: 400
    try:
        results = run(store, query, bindings, tuple(current_app.config["TFATLAS"].service_allow))
    except QueryError as exc:  # the stored query itself is broken: the server's fault
        raise QueryFailed(500, f"the stored query {name!r} failed: {exc}", title="query failed") from None

    if isinstance(results, ox.QueryBoolean) and media_type in ("text/csv", "text/tab-separated-values"):
        raise NotAcceptable(f"the stored query {name!r} answers yes or no; "
                            "ask for application/json or a SPARQL results format")
    if isinstance(results, ox.QueryTriples):
        out = io.BytesIO()
        results.serialize(out, ox.RdfFormat.TURTLE)
        response = Response(out.getvalue(), mimetype="text/turtle")
    elif media_type == "application/json":
        parameters = {k: v[0].value for k, v in bindings.items()}
        if isinstance(results, ox.QueryBoolean):
            response = jsonify(query=name, parameters=parameters, boolean=bool(results))
        else:
            body = json_body(results, {"query": name, "parameters": parameters})
            response = Response(body, mimetype="application/json")
    else:
        out = io.BytesIO()
        results.serialize(out, _ENGINE_FORMATS[media_type])
        response = Response(out.getvalue(), content_type=f"{media_type}; charset=utf-8")
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/finder")
def finder_json():
    """The finder's result as JSON (tfatlas.finder.api); a bad parameter is a 400 naming it."""
    lang, explicit = reader_language()
    store, state = get_store(), store_state()
    schemes = finder.cached_schemes(store, state)
    search = finder.parse_search(request.args.to_dict(), schemes, lang=lang, lang_explicit=explicit)
    result = finder.find(store, search, schemes, state, get_search_index())
    response = jsonify(finder_api.result_json(result))
    response.headers["Vary"] = "Accept-Language"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/openapi.json")
def openapi_json():
    description = finder_api.add_to(openapi.document(catalogue().all(), server_url=request.script_root or "/"))
    response = jsonify(description)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/")
def api_page():
    from .finder import _common

    lang, _ = reader_language()
    spec = finder_api.add_to(openapi.document(catalogue().all(), server_url=request.script_root or "/", lang=lang))
    return render_template("finder_api.html", spec=spec, openapi_url=url_for("api.openapi_json"),
                           **_common(lang))
