"""Errors become HTTP responses here, and only here: each error class carries its status.

How the message is shown depends on who asked: the stored-query API answers JSON; pages for
people (the linked-data pages, the finder) answer an HTML page to a browser; everything else,
and every RDF or SPARQL client, gets plain text. A 5xx is logged; a 4xx is the client's to fix.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.http import HTTP_STATUS_CODES

from ..errors import AtlasError
from ..sparql import conneg

log = logging.getLogger("tfatlas.web")

#: Blueprints whose errors a browser sees as a page of the site.
_PAGES = {"pages", "finder"}


def _title(exc: AtlasError) -> str:
    return getattr(exc, "title", None) or HTTP_STATUS_CODES.get(exc.status, "Error")


def render(exc: AtlasError) -> Response:
    status = exc.status
    if status >= 500:
        log.error("%s %s: %s", request.method, request.path, exc)
    if request.blueprint == "api":
        body = {"error": _title(exc).lower(), "message": exc.message}
        if getattr(exc, "param", None):
            body["parameter"] = exc.param
        response = jsonify(body)
    elif request.blueprint in _PAGES and conneg.acceptable("page", request.headers.get("Accept")) is conneg.HTML:
        from .texts import texts_for  # the site's texts, in the reader's language

        lang, texts = texts_for()
        title = texts["not_found"] if status == 404 else texts["bad_request"] if status < 500 else _title(exc)
        response = Response(render_template("error.html", title=title, message=exc.message, status=status),
                            mimetype="text/html")
        response.headers["Vary"] = "Accept, Accept-Language"
    elif request.blueprint == "sparql":
        # SPARQL clients show the body as it is: the message alone.
        response = Response(exc.message.rstrip() + "\n", content_type="text/plain; charset=utf-8")
    else:
        response = Response(f"{status} {_title(exc)}: {exc.message}\n", mimetype="text/plain")
        if request.blueprint in _PAGES:
            response.headers["Vary"] = "Accept, Accept-Language"
    response.status_code = status
    for name, value in exc.headers.items():
        response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(AtlasError, render)
