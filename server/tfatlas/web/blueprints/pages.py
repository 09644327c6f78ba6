"""Linked-data pages: every IRI under the configured base answers here, for people and machines.

Routes: ``/id/<path>`` (instances, concepts, schemes), ``/graph/<path>`` (named graphs),
``/ontology`` (the ontology at its namespace IRI, its version IRI ``/ontology/<version>``),
``/ontology/context.jsonld`` and ``/context.jsonld`` (the JSON-LD context), ``/shapes`` (the SHACL
shapes); each also with a format suffix: ``.html``, ``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``.

The request path is mapped onto the configured base IRI (``/id/org/bmi`` -> ``<base>id/org/bmi``)
whatever host name the request used, so a server on localhost answers for the IRIs of
``https://w3id.org/tfatlas/``, and links between pages stay on the server that served them.

Content negotiation: 200 with ``Vary: Accept`` and ``Content-Location``, not 303.
The IRI answers directly with the representation the client asked for, and ``Content-Location``
names the document (the suffix URL) that was sent. Reasons:
- one round trip instead of two; behind w3id.org, which already redirects once, a 303 would
  make every look-up a chain of two redirects;
- the address bar keeps the IRI, which is what people copy and cite;
- the W3C TAG's 2012 httpRange-14 resolution accepts a 200 for a thing's IRI when the
  response says which document it is (``Content-Location``), and ``Vary: Accept`` keeps shared
  caches from mixing representations.
Negotiation is the atlas's one negotiator (``sparql/conneg.py``, kind ``page``).

The reader's language: ``?lang=de|en`` wins and is kept in every link; else Accept-Language;
else German. An unknown IRI under the base is a 404 page (HTML for browsers, plain text for RDF
clients), never a 500.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from flask import (Blueprint, Response, current_app, has_request_context, render_template, request,
                   send_file)

from ...linked_data import labels as L
from ...linked_data import views as rv
from ...linked_data.offer import offer_summary
from ...errors import InputError, NotAcceptable, NotFound
from ...i18n import DEFAULT_LANGUAGE
from ...sparql import conneg
from ...vocab import DCT, ontology_iri, prefixes
from ...model.files import model_dir
from ..deps import get_store
from ..texts import TEXT
from ..urls import base, href, reader_language, with_args, with_lang

bp = Blueprint("pages", __name__)

HTML = conneg.HTML.media_type
#: Suffix -> (media type, Oxigraph format or None for HTML, name shown in links), from conneg's table.
FORMATS: dict[str, tuple[str, ox.RdfFormat | None, str]] = {
    suffix: (choice.media_type, choice.engine_format, name)
    for suffix, choice, name in zip(("html", "ttl", "jsonld", "nt", "rdf"), conneg.OFFERS["page"],
                                    ("HTML", "Turtle", "JSON-LD", "N-Triples", "RDF/XML"))
}
_SUFFIX = {choice.name: suffix for suffix, choice in zip(FORMATS, conneg.OFFERS["page"])}


# -- the reader's language and links ----------------------------------------------------------


def _licence() -> tuple[str | None, str | None]:
    """The licence most of the atlas's data declares, with its label when the store has one."""
    store = get_store(current_app)
    try:
        rows = list(store.query(
            f"SELECT ?l (COUNT(*) AS ?n) WHERE {{ ?x <{DCT}license> ?l FILTER(isIRI(?l)) }} "
            f"GROUP BY ?l ORDER BY DESC(?n) ?l LIMIT 1"))
    except Exception:  # the footer must never break a page
        return None, None
    if not rows:
        return None, None
    iri = rows[0]["l"].value
    lang, _ = reader_language()
    label = L.label_for(store, iri, lang) if L.has_label(store, iri) else iri
    return iri, label


@bp.app_context_processor
def _page_globals():
    # Registered app-wide so that every template extending base.html (the finder's too) has these.
    if not has_request_context():  # a template rendered outside a request (a CLI, a test)
        return {"lang": DEFAULT_LANGUAGE, "lang_explicit": False, "t": TEXT[DEFAULT_LANGUAGE]}
    lang, explicit = reader_language()
    licence_iri, licence_label = _licence()
    return {
        "lang": lang,
        "lang_explicit": explicit,
        "t": TEXT[lang],
        "switch_url": with_args(lang=TEXT[lang]["switch_lang"]),
        "href": href,
        "with_args": with_args,
        "with_lang": with_lang,
        "licence_iri": licence_iri,
        "licence_label": licence_label,
        "home_url": (request.script_root or "") + "/" + (f"?lang={lang}" if explicit else ""),
    }


# -- responses ---------------------------------------------------------------------------------


def _negotiate() -> str | None:
    """The suffix of the representation the client prefers; None when it accepts none."""
    choice = conneg.acceptable("page", request.headers.get("Accept"))
    return _SUFFIX[choice.name] if choice is not None else None


def _alternates(path: str, current: str | None) -> list[dict]:
    return [{"suffix": s, "media_type": m, "name": n, "url": f"{path}.{s}"}
            for s, (m, _, n) in FORMATS.items() if s != current]


def _link_header(alternates: list[dict], iri: str | None) -> str:
    links = [f'<{request.host_url.rstrip("/")}{a["url"]}>; rel="alternate"; type="{a["media_type"]}"'
             for a in alternates]
    if iri:
        links.append(f'<{iri}>; rel="canonical"')
    return ", ".join(links)


def _not_found(message: str | None = None) -> NotFound:
    lang, _ = reader_language()
    return NotFound(message or TEXT[lang]["not_found_text"])


def _not_acceptable() -> NotAcceptable:
    offered = ", ".join(m for m, _, _ in FORMATS.values())
    return NotAcceptable(f"this resource is available as {offered} "
                         f"(or append .html, .ttl, .jsonld, .nt, .rdf to the URL)",)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    try:
        page = int(raw)
    except ValueError:
        raise InputError(f"page must be a whole number from 1, got {raw!r}") from None
    if page < 1:
        raise InputError(f"page must be a whole number from 1, got {raw!r}")
    return page


def _json_ld_context() -> dict | None:
    """The atlas's JSON-LD context (the object under "@context"), read again when the file changes."""
    path = _context_file()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    cached = current_app.extensions.get("tfatlas.pages.context")
    if cached is None or cached[0] != stamp:
        import json

        try:
            context = json.loads(path.read_text(encoding="utf-8")).get("@context")
        except (OSError, ValueError, AttributeError):
            context = None
        cached = (stamp, context)
        current_app.extensions["tfatlas.pages.context"] = cached
    return cached[1]


def _represent(path: str, suffix: str | None, iri: str | None, html, triples, compact: bool = False) -> Response:
    """Answer with HTML (``html()`` gives the body) or RDF (``triples()`` gives the statements).

    ``suffix`` is the format named in the URL; None means: negotiate, and say which document
    was sent with Content-Location.
    """
    negotiated = suffix is None
    if negotiated:
        suffix = _negotiate()
        if suffix is None:
            raise _not_acceptable()
    media_type, fmt, _ = FORMATS[suffix]
    try:
        if fmt is None:
            alternates = _alternates(path, "html")
            lang, _ = reader_language()
            response = Response(html(alternates), mimetype=HTML)
            response.headers["Content-Language"] = lang
            vary = ["Accept-Language"]
        else:
            body = rv.serialize(triples(), fmt, base(), _json_ld_context() if compact else None)
            response = Response(body, mimetype=media_type)
            # Linked data is public and read-only: any web page may fetch it.
            response.headers["Access-Control-Allow-Origin"] = "*"
            alternates = _alternates(path, suffix)
            vary = []
    except rv.PageOutOfRange as exc:
        raise NotFound(str(exc)) from None
    if negotiated:
        vary.insert(0, "Accept")
        response.headers["Content-Location"] = f"{path}.{suffix}"
    if vary:
        response.headers["Vary"] = ", ".join(vary)
    response.headers["Link"] = _link_header(alternates, iri)
    return response


def _split_suffix(rest: str) -> tuple[str, str | None]:
    stem, dot, ext = rest.rpartition(".")
    if dot and ext in FORMATS and stem and not stem.endswith("/"):
        return stem, ext
    return rest, None


def _resolve(rest: str, exists) -> tuple[str, str | None] | None:
    """(path below the base, suffix) for a request path; the IRI itself wins over a suffix."""
    if exists(base() + rest):
        return rest, None
    stem, suffix = _split_suffix(rest)
    if suffix is not None and exists(base() + stem):
        return stem, suffix
    return None


# -- resources --------------------------------------------------------------------------------


def _resource(rest: str) -> Response:
    store = get_store(current_app)
    found = _resolve(rest, lambda iri: rv.exists(store, iri))
    if found is None:
        raise _not_found()
    rest, suffix = found
    iri = base() + rest
    if rv.is_graph(store, iri):
        return _graph(iri, rest, suffix)
    path = request.script_root + "/" + rest

    def html(alternates):
        lang, _ = reader_language()
        page = _page_number()
        view = rv.view(store, iri, base(), lang, page=page)
        return render_template("resource.html", view=view, alternates=alternates, path=path,
                               page_sources=view.provenance.sources,
                               offer=offer_summary(store, iri, base(), lang))

    return _represent(path, suffix, iri, html, lambda: rv.concise_description(store, iri), compact=True)


def _graph(iri: str, rest: str, suffix: str | None) -> Response:
    store = get_store(current_app)
    path = request.script_root + "/" + rest

    def html(alternates):
        lang, _ = reader_language()
        view = rv.graph_view(store, iri, base(), lang, page=_page_number())
        return render_template("graph.html", view=view, alternates=alternates, path=path)

    return _represent(path, suffix, iri, html, lambda: rv.graph_triples(store, iri))


@bp.get("/id/", defaults={"rest": ""})
@bp.get("/id/<path:rest>")
def resource(rest: str):
    return _resource("id/" + rest)


@bp.get("/graph/", defaults={"rest": ""})
@bp.get("/graph/<path:rest>")
def graph(rest: str):
    return _resource("graph/" + rest)


# -- the ontology, its context and the shapes ------------------------------------------------


def _ontology(suffix: str | None, path: str) -> Response:
    store = get_store(current_app)
    iri = ontology_iri(base())
    graph_iri = rv.ontology_graph(store, iri)
    if graph_iri is None:
        raise _not_found()

    def html(alternates):
        lang, _ = reader_language()
        view = rv.ontology_view(store, iri, base(), lang)
        names = prefixes(base())
        return render_template("ontology.html", view=view, alternates=alternates, path=path,
                               prefixed=lambda iri: L.prefixed_name(iri, names),
                               context_url=_context_url(), shapes_url=href(base() + "shapes"))

    return _represent(path, suffix, iri, html, lambda: rv.graph_triples(store, graph_iri))


@bp.get("/ontology")
def ontology():
    return _ontology(None, request.script_root + "/ontology")


@bp.get("/ontology.<ext>")
def ontology_as(ext: str):
    if ext not in FORMATS:
        raise _not_found()
    return _ontology(ext, request.script_root + "/ontology")


@bp.get("/ontology/<version>")
def ontology_version(version: str):
    """The version IRI (``/ontology/0.1.0``) answers while it is the current version."""
    store = get_store(current_app)
    current = rv.ontology_version_iri(store, ontology_iri(base()))
    found = _resolve("ontology/" + version, lambda iri: iri == current)
    if found is None:
        raise _not_found()
    rest, suffix = found
    return _ontology(suffix, request.script_root + "/" + rest)


def _context_file() -> Path:
    return model_dir("ontology") / "context.jsonld"


def _context_url() -> str | None:
    return request.script_root + "/ontology/context.jsonld" if _context_file().is_file() else None


@bp.get("/ontology/context.jsonld")
@bp.get("/context.jsonld")
def context():
    path = _context_file()
    if not path.is_file():
        raise _not_found("The JSON-LD context has not been published with this atlas.")
    response = send_file(path, mimetype="application/ld+json", max_age=3600)
    # JSON-LD processors in browsers fetch contexts across origins.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _shapes(suffix: str | None) -> Response:
    store = get_store(current_app)
    graphs = rv.graphs_with_prefix(store, base() + "graph/shapes/")
    if not graphs:
        raise _not_found("No SHACL shapes are loaded in this atlas.")
    path = request.script_root + "/shapes"

    def html(alternates):
        lang, _ = reader_language()
        shapes = rv.shapes_view(store, graphs, base(), lang)
        return render_template("shapes.html", shapes=shapes, graphs=graphs, alternates=alternates,
                               path=path)

    return _represent(path, suffix, base() + "shapes", html, lambda: rv.triples_of_graphs(store, graphs))


@bp.get("/shapes")
def shapes():
    return _shapes(None)


@bp.get("/shapes.<ext>")
def shapes_as(ext: str):
    if ext not in FORMATS:
        raise _not_found()
    return _shapes(ext)
