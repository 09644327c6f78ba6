"""The OpenAPI 3.1 description of the stored-query API, generated from the queries' headers."""

from __future__ import annotations

from typing import Mapping

from ..version import __version__
from . import conneg
from .stored_queries import StoredQuery

#: Media types a stored query answers in; the first is the default.
RESULT_TYPES = tuple(choice.media_type for choice in conneg.OFFERS["rows"])

_SCHEMAS = {
    "iri": {"type": "string", "format": "iri", "pattern": "^https?://"},
    "string": {"type": "string", "maxLength": 1000},
    "date": {"type": "string", "format": "date"},
    "dateTime": {"type": "string", "format": "date-time"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
}

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "parameter": {"type": "string", "description": "The parameter that was refused."},
    },
}

_ROWS = {
    "type": "object",
    "required": ["query", "columns", "rows"],
    "properties": {
        "query": {"type": "string"},
        "parameters": {"type": "object", "additionalProperties": {"type": "string"}},
        "columns": {"type": "array", "items": {"type": "string"}},
        "rows": {"type": "array", "items": {
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}},
    },
}


def _parameter(param, lang: str) -> dict:
    schema = dict(_SCHEMAS[param.type])
    if param.enum is not None:
        schema["enum"] = list(param.enum)
    if param.default is not None:
        schema["default"] = (param.default == "true") if param.type == "boolean" else (
            int(param.default) if param.type == "integer" else param.default)
    description = param.label(lang)
    if param.scheme:
        description += f" (a concept of the scheme '{param.scheme}')"
    return {"name": param.name, "in": "query", "required": param.required,
            "description": description, "schema": schema}


def _operation(query: StoredQuery, lang: str) -> dict:
    text_content = {"schema": {"type": "string"}}
    return {
        "operationId": query.name,
        "summary": query.text("title", lang),
        "description": query.text("description", lang),
        "tags": ["stored queries"],
        "parameters": [_parameter(p, lang) for p in query.params.values()],
        "responses": {
            "200": {
                "description": "The query's results; JSON rows by default, other formats by the Accept header.",
                "content": {
                    "application/json": {"schema": _ROWS},
                    "text/csv": text_content,
                    "application/sparql-results+json": {"schema": {"type": "object"}},
                    "application/sparql-results+xml": text_content,
                    "text/tab-separated-values": text_content,
                },
            },
            "400": {"description": "A parameter is unknown, missing or has a wrong value; the answer names it.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "406": {"description": "None of the accepted media types can be produced.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    }


def document(queries: Mapping[str, StoredQuery], server_url: str = "/", lang: str = "en") -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Transformationsatlas stored queries",
            "version": __version__,
            "description": ("Named, documented SPARQL queries of the Transformationsatlas as a web API. "
                            "Parameters are typed and bound as RDF terms; the full SPARQL endpoint "
                            "answers any other question."),
        },
        "servers": [{"url": server_url}],
        "paths": {f"/api/queries/{q.name}": {"get": _operation(q, lang)} for q in queries.values()},
        "components": {"schemas": {"Error": _ERROR}},
    }
