"""HTTP answers of writes: refusals (with the SHACL report by content negotiation) and results.

Shared by the Graph Store Protocol routes and /sparql's updates, so both answer alike.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
from flask import Response, request

from ..contributions.errors import ShapesViolated, WriteRefused
from ..errors import NotAcceptable
from ..sparql import conneg
from ..validation.shacl import PREFIXES
from .urls import reader_language


def language() -> str:
    return reader_language()[0]


def _choice() -> conneg.Choice:
    try:
        return conneg.negotiate("report", request.headers.get("Accept"), request.args.get("format"))
    except NotAcceptable:
        return conneg.TEXT  # a refusal is always sent; the message says why


def refusal(exc: WriteRefused) -> Response:
    lang = language()
    choice = _choice()
    report = exc.report if isinstance(exc, ShapesViolated) else None
    if report is not None and choice.engine_format is not None:
        turtle = report.turtle()
        body = turtle.encode("utf-8") if choice is conneg.TURTLE else ox.serialize(
            ox.parse(turtle.encode("utf-8"), ox.RdfFormat.TURTLE), format=ox.RdfFormat.JSON_LD,
            prefixes=PREFIXES)
        response = Response(body, status=exc.status, content_type=choice.content_type)
    elif choice is conneg.JSON or (choice.engine_format is not None and report is None):
        document = {"status": exc.status, "message": exc.in_language(lang), "messages": exc.messages}
        if report is not None:
            document["report"] = report.as_json()
        response = Response(json.dumps(document, ensure_ascii=False, indent=2) + "\n", status=exc.status,
                            content_type="application/json; charset=utf-8")
    else:
        response = Response(exc.in_language(lang).rstrip() + "\n", status=exc.status,
                            content_type="text/plain; charset=utf-8")
    for name, value in exc.headers.items():
        response.headers[name] = value
    response.headers["Content-Language"] = lang
    response.vary.add("Accept")
    return response


def accepted(result, status: int = 200, *, location: str | None = None) -> Response:
    """The answer to an accepted write: 204 when there is nothing to say, else a JSON summary."""
    lang = language()
    warnings = [{"focusNode": str(f.focus), "path": f.path, "message": f.message(lang)}
                for f in result.warnings]
    if status == 204 and warnings:
        status = 200  # the warnings are part of the answer
    if status == 204:
        response = Response(status=204)
        del response.headers["Content-Type"]
    else:
        body = {"graph": result.graph, "activity": result.activity, "added": result.added,
                "removed": result.removed, "warnings": warnings}
        response = Response(json.dumps(body, ensure_ascii=False, indent=2) + "\n", status=status,
                            content_type="application/json; charset=utf-8")
    if result.activity:
        # PROV-AQ: where the provenance of this change is recorded
        response.headers["Link"] = f'<{result.activity}>; rel="http://www.w3.org/ns/prov#has_provenance"'
    if location:
        response.headers["Location"] = location
    return response
