"""``/reconcile``: the W3C Entity Reconciliation API 0.2 over the atlas (OpenRefine speaks it).

Thin: parameters in, ``linking.reconcile`` decides, JSON (or JSONP with ``callback``) out. Errors
of this blueprint are JSON with the status of the error, like the stored-query API.
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, render_template, request

from ...errors import AtlasError
from ...linking.entities import KINDS_BY_ID
from ...linking.reconcile import ReconcileError, parse_json
from ..deps import get_reconcile_service
from ..urls import href, reader_language

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")
_CALLBACK = re.compile(r"^[A-Za-z_$][0-9A-Za-z_$.]{0,63}$")


def _answer(document, status: int = 200) -> Response:
    body = json.dumps(document, ensure_ascii=False)
    callback = request.args.get("callback")
    if callback:
        if not _CALLBACK.match(callback):
            raise ReconcileError("'callback' must be a JavaScript identifier (JSONP)")
        return Response(f"/**/{callback}({body});", status=status,
                        content_type="application/javascript; charset=utf-8")
    return Response(body, status=status, content_type="application/json; charset=utf-8")


@bp.errorhandler(AtlasError)
def _error(exc: AtlasError):
    response = Response(json.dumps({"error": type(exc).__name__, "message": exc.message}, ensure_ascii=False),
                        status=exc.status, content_type="application/json; charset=utf-8")
    for name, value in exc.headers.items():
        response.headers[name] = value
    return response


def _param(name: str) -> str | None:
    # the spec's GET and POST-form variants, read the same way
    return request.form.get(name) if name in request.form else request.args.get(name)


def _service_url() -> str:
    return request.url_root.rstrip("/") + bp.url_prefix


@bp.route("", methods=["GET", "POST"])
def endpoint():
    service = get_reconcile_service()
    lang, _ = reader_language()
    queries, extend = _param("queries"), _param("extend")
    if queries is not None:
        return _answer(service.reconcile(parse_json(queries, "queries"), lang))
    if extend is not None:
        return _answer(service.extend(parse_json(extend, "extend"), lang))
    if request.method == "POST":
        raise ReconcileError("a POST needs a form field 'queries' or 'extend' "
                             "(ein POST braucht das Formularfeld 'queries' oder 'extend')")
    return _answer(service.manifest(_service_url(), lang))


def _cursor() -> int:
    try:
        return max(int(request.args.get("cursor", 0)), 0)
    except ValueError:
        raise ReconcileError("'cursor' must be a whole number ('cursor' muss eine ganze Zahl sein)") from None


@bp.get("/suggest/entity")
def suggest_entity():
    lang, _ = reader_language()
    kinds = [k for k in request.args.getlist("type") if k]
    for kind in kinds:
        if kind not in KINDS_BY_ID:
            raise ReconcileError(f"unknown type {kind!r}; known types are {', '.join(KINDS_BY_ID)}")
    return _answer(get_reconcile_service().suggest_entities(request.args.get("prefix", ""), kinds,
                                                            _cursor(), lang))


@bp.get("/suggest/type")
def suggest_type():
    lang, _ = reader_language()
    return _answer(get_reconcile_service().suggest_types(request.args.get("prefix", ""), _cursor(), lang))


@bp.get("/suggest/property")
def suggest_property():
    lang, _ = reader_language()
    return _answer(get_reconcile_service().suggest_properties(request.args.get("prefix", ""), _cursor(), lang))


def _entity_page():
    iri = request.args.get("id")
    if not iri:
        raise ReconcileError("the parameter 'id' is missing (der Parameter 'id' fehlt)")
    lang, _ = reader_language()
    entity = get_reconcile_service().entity(iri)
    return lang, entity, render_template(
        "reconcile_preview.html", lang=lang, entity=entity, name=entity.name(lang),
        kind=KINDS_BY_ID[entity.kind].name(lang), description=entity.description(lang),
        short_names=entity.texts("altLabel"), link=href(entity.id))


@bp.get("/preview")
def preview():
    _, _, html = _entity_page()
    return Response(html, content_type="text/html; charset=utf-8")


@bp.get("/flyout")
def flyout():
    _, entity, html = _entity_page()
    return _answer({"id": entity.id, "html": html})


@bp.get("/properties")
def propose_properties():
    kind = request.args.get("type")
    if not kind:
        raise ReconcileError("the parameter 'type' is missing (der Parameter 'type' fehlt)")
    try:
        limit = int(request.args["limit"]) if request.args.get("limit") else None
    except ValueError:
        raise ReconcileError("'limit' must be a whole number") from None
    lang, _ = reader_language()
    return _answer(get_reconcile_service().propose_properties(kind, limit, lang))


@bp.get("/docs")
def docs():
    from ...linking import scoring

    lang, _ = reader_language()
    return render_template("reconcile_docs.html", lang=lang, method=scoring.__doc__,
                           service_url=_service_url())
