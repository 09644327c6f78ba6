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
Negotiation uses werkzeug's ``request.accept_mimetypes.best_match`` (q-values, wildcards, q=0)
because the endpoint's shared conneg module was not committed when this was written.

The reader's language: ``?lang=de|en`` wins and is kept in every link; else Accept-Language;
else German. An unknown IRI under the base is a 404 page (HTML for browsers, plain text for RDF
clients), never a 500.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import (Blueprint, Response, current_app, g, has_request_context, render_template, request,
                   send_file)
from werkzeug.datastructures import MIMEAccept

from ...linked_data import labels as L
from ...linked_data import views as rv
from ...errors import StoreError
from ...model.files import model_dir
from ..deps import get_store

bp = Blueprint("pages", __name__)

HTML = "text/html"
#: Suffix -> (media type, Oxigraph format or None for HTML, name shown in links).
FORMATS: dict[str, tuple[str, ox.RdfFormat | None, str]] = {
    "html": (HTML, None, "HTML"),
    "ttl": ("text/turtle", ox.RdfFormat.TURTLE, "Turtle"),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD, "JSON-LD"),
    "nt": ("application/n-triples", ox.RdfFormat.N_TRIPLES, "N-Triples"),
    "rdf": ("application/rdf+xml", ox.RdfFormat.RDF_XML, "RDF/XML"),
}
_BY_MEDIA_TYPE = {media: suffix for suffix, (media, _, _) in FORMATS.items()}
# HTML first: a client that accepts anything (curl's */*) gets the page for people.
_OFFERED = [HTML, "application/xhtml+xml", "text/turtle", "application/ld+json",
            "application/n-triples", "application/rdf+xml", "application/json"]
_ALIASES = {"application/xhtml+xml": "html", "application/json": "jsonld"}

TEXT = {
    "de": {
        "site": "Transformationsatlas", "skip": "Zum Inhalt springen", "language": "Sprache",
        "switch": "English", "switch_lang": "en", "iri": "IRI", "types": "Typen",
        "formats": "Diese Seite als Daten", "properties": "Eigenschaften",
        "incoming": "Verweise auf diese Ressource", "provenance": "Herkunft",
        "sources": "Quellen", "modified": "Zuletzt geändert", "graphs": "Benannte Graphen",
        "loaded": "geladen am", "from": "aus", "page": "Seite", "of": "von",
        "previous": "Vorherige Seite", "next": "Nächste Seite", "pages": "Seiten",
        "statements": "Aussagen", "licence": "Lizenz", "source": "Quelle",
        "licence_unknown": "siehe Datenkatalog", "catalog": "Datenkatalog", "sparql": "SPARQL-Endpunkt",
        "ontology": "Ontologie", "shapes": "SHACL-Formen", "footer": "Fußzeile",
        "no_statements": "Keine Aussagen auf dieser Seite.",
        "units": "Einheiten und Unterorganisationen", "parent": "Gehört zu",
        "networks": "Netzwerke", "initiatives": "Initiativen", "offers": "Angebote",
        "topics": "Themen", "broader": "Oberbegriffe", "narrower": "Unterbegriffe",
        "offers_using": "Angebote zu diesem Begriff", "overview": "Überblick",
        "classes": "Klassen", "object_properties": "Objekteigenschaften",
        "datatype_properties": "Dateneigenschaften", "other_properties": "Weitere Eigenschaften",
        "subclass_of": "Unterklasse von", "subproperty_of": "Untereigenschaft von",
        "domain": "Definitionsbereich", "range": "Wertebereich", "version": "Version",
        "context": "JSON-LD-Kontext", "downloads": "Formate", "triples": "Tripel",
        "subjects": "Ressourcen in diesem Graphen", "target": "Gilt für", "path": "Eigenschaft",
        "count": "Anzahl", "constraint": "Bedingung", "message": "Meldung",
        "not_found": "Nicht gefunden", "bad_request": "Ungültige Anfrage",
        "not_found_text": "Unter dieser Adresse gibt es im Transformationsatlas keine Ressource.",
        "home": "Zur Startseite", "in_language": "nur auf Deutsch", "label": "Bezeichnung",
        "comment": "Beschreibung", "kind": "Art", "nested": "Details",
        "reused": "Wiederverwendete Begriffe anderer Vokabulare", "reused_count": "Begriffe",
        "all_links": "Alle in den Verweisen auf diese Ressource", "first": "Auswahl von",
    },
    "en": {
        "site": "Transformation Atlas", "skip": "Skip to content", "language": "Language",
        "switch": "Deutsch", "switch_lang": "de", "iri": "IRI", "types": "Types",
        "formats": "This page as data", "properties": "Properties",
        "incoming": "Links to this resource", "provenance": "Provenance",
        "sources": "Sources", "modified": "Last modified", "graphs": "Named graphs",
        "loaded": "loaded on", "from": "from", "page": "Page", "of": "of",
        "previous": "Previous page", "next": "Next page", "pages": "Pages",
        "statements": "statements", "licence": "Licence", "source": "Source",
        "licence_unknown": "see the data catalogue", "catalog": "Data catalogue",
        "sparql": "SPARQL endpoint", "ontology": "Ontology", "shapes": "SHACL shapes",
        "footer": "Footer", "no_statements": "No statements on this page.",
        "units": "Units and sub-organisations", "parent": "Part of", "networks": "Networks",
        "initiatives": "Initiatives", "offers": "Offers", "topics": "Topics",
        "broader": "Broader concepts", "narrower": "Narrower concepts",
        "offers_using": "Offers with this concept", "overview": "Overview", "classes": "Classes",
        "object_properties": "Object properties", "datatype_properties": "Datatype properties",
        "other_properties": "Other properties", "subclass_of": "Subclass of",
        "subproperty_of": "Subproperty of", "domain": "Domain", "range": "Range",
        "version": "Version", "context": "JSON-LD context", "downloads": "Formats",
        "triples": "triples", "subjects": "Resources in this graph", "target": "Applies to",
        "path": "Property", "count": "Count", "constraint": "Constraint", "message": "Message",
        "not_found": "Not found", "bad_request": "Bad request",
        "not_found_text": "There is no resource at this address in the Transformation Atlas.",
        "home": "Go to the start page", "in_language": "German only", "label": "Label",
        "comment": "Description", "kind": "Kind", "nested": "Details",
        "reused": "Terms reused from other vocabularies", "reused_count": "terms",
        "all_links": "All of them in the links to this resource", "first": "a selection of",
    },
}


class _BadRequest(Exception):
    pass


# -- the reader's language and links ----------------------------------------------------------


def reader_language() -> tuple[str, bool]:
    """(language, chosen explicitly by ?lang=) for the current request."""
    if "tfatlas_lang" not in g:  # asked once per request, not once per link
        asked = request.args.get("lang")
        if asked and L.normalise_language(asked) == asked.lower():
            g.tfatlas_lang = (asked.lower(), True)
        else:
            best = request.accept_languages.best_match(L.LANGUAGES, default=L.DEFAULT_LANGUAGE)
            g.tfatlas_lang = (L.normalise_language(best), False)
    return g.tfatlas_lang


def _base() -> str:
    return current_app.config["TFATLAS"].base_iri


def local_path(iri: str) -> str | None:
    """The path on this server that answers for an IRI under the base, else None."""
    base = _base()
    if iri.startswith(base):
        return request.script_root + "/" + iri[len(base):]
    return None


def href(iri: str) -> str:
    """Where a link to an IRI points: its page on this server (keeping ?lang=), else the IRI."""
    path = local_path(iri)
    if path is None:
        return iri
    lang, explicit = reader_language()
    fragment = ""
    if "#" in path:
        path, fragment = path.split("#", 1)
        fragment = "#" + fragment
    return path + (f"?lang={lang}" if explicit else "") + fragment


def with_args(**changes) -> str:
    """The current URL with some query parameters changed (None removes one)."""
    args = {k: v for k, v in request.args.items()}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = str(value)
    query = urlencode(args)
    return request.script_root + request.path + (f"?{query}" if query else "")


def _licence() -> tuple[str | None, str | None]:
    """The licence most of the atlas's data declares, with its label when the store has one."""
    store = get_store(current_app)
    try:
        rows = list(store.query(
            f"SELECT ?l (COUNT(*) AS ?n) WHERE {{ ?x <{L.DCT}license> ?l FILTER(isIRI(?l)) }} "
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
        return {"lang": L.DEFAULT_LANGUAGE, "lang_explicit": False, "t": TEXT[L.DEFAULT_LANGUAGE]}
    lang, explicit = reader_language()
    licence_iri, licence_label = _licence()
    return {
        "lang": lang,
        "lang_explicit": explicit,
        "t": TEXT[lang],
        "switch_url": with_args(lang=TEXT[lang]["switch_lang"]),
        "href": href,
        "with_args": with_args,
        "licence_iri": licence_iri,
        "licence_label": licence_label,
        "home_url": (request.script_root or "") + "/" + (f"?lang={lang}" if explicit else ""),
    }


# -- responses ---------------------------------------------------------------------------------


def _negotiate() -> str | None:
    """The suffix of the representation the client prefers; None when it accepts none."""
    if not request.accept_mimetypes:
        return "html"
    # Media-type parameters (charset, profile) would make werkzeug miss a match: compare bare types.
    accept = MIMEAccept([(value.split(";", 1)[0].strip(), q) for value, q in request.accept_mimetypes])
    offered = _OFFERED
    if accept.quality(HTML) == 0:  # text/html;q=0 refuses HTML, also under its XHTML alias
        offered = [m for m in _OFFERED if m not in (HTML, "application/xhtml+xml")]
    best = accept.best_match(offered)
    if best is None:
        return None
    return _ALIASES.get(best, _BY_MEDIA_TYPE.get(best))


def _wants_html() -> bool:
    return _negotiate() == "html"


def _alternates(path: str, current: str | None) -> list[dict]:
    return [{"suffix": s, "media_type": m, "name": n, "url": f"{path}.{s}"}
            for s, (m, _, n) in FORMATS.items() if s != current]


def _link_header(alternates: list[dict], iri: str | None) -> str:
    links = [f'<{request.host_url.rstrip("/")}{a["url"]}>; rel="alternate"; type="{a["media_type"]}"'
             for a in alternates]
    if iri:
        links.append(f'<{iri}>; rel="canonical"')
    return ", ".join(links)


def _not_found(message: str | None = None, status: int = 404) -> Response:
    lang, _ = reader_language()
    title_key = "not_found" if status == 404 else "bad_request"
    text = message or TEXT[lang]["not_found_text"]
    if _wants_html():
        body = render_template("error.html", title=TEXT[lang][title_key], message=text, status=status)
        response = Response(body, status=status, mimetype=HTML)
    else:
        response = Response(f"{status} {TEXT['en'][title_key]}: {text}\n", status=status, mimetype="text/plain")
    response.headers["Vary"] = "Accept, Accept-Language"
    return response


def _not_acceptable() -> Response:
    offered = ", ".join(m for m, _, _ in FORMATS.values())
    return Response(f"406 Not Acceptable: this resource is available as {offered} "
                    f"(or append .html, .ttl, .jsonld, .nt, .rdf to the URL)\n",
                    status=406, mimetype="text/plain", headers={"Vary": "Accept"})


def _page_number() -> int:
    raw = request.args.get("page", "1")
    try:
        page = int(raw)
    except ValueError:
        raise _BadRequest(f"page must be a whole number from 1, got {raw!r}") from None
    if page < 1:
        raise _BadRequest(f"page must be a whole number from 1, got {raw!r}")
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
            return _not_acceptable()
    media_type, fmt, _ = FORMATS[suffix]
    try:
        if fmt is None:
            alternates = _alternates(path, "html")
            lang, _ = reader_language()
            response = Response(html(alternates), mimetype=HTML)
            response.headers["Content-Language"] = lang
            vary = ["Accept-Language"]
        else:
            body = rv.serialize(triples(), fmt, _base(), _json_ld_context() if compact else None)
            response = Response(body, mimetype=media_type)
            # Linked data is public and read-only: any web page may fetch it.
            response.headers["Access-Control-Allow-Origin"] = "*"
            alternates = _alternates(path, suffix)
            vary = []
    except rv.PageOutOfRange as exc:
        return _not_found(str(exc))
    except _BadRequest as exc:
        return _not_found(str(exc), status=400)
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
    if exists(_base() + rest):
        return rest, None
    stem, suffix = _split_suffix(rest)
    if suffix is not None and exists(_base() + stem):
        return stem, suffix
    return None


@bp.errorhandler(StoreError)
def _store_unavailable(exc: StoreError):
    # A remote store that is down is the operator's problem, and temporary: 503, not a 500.
    return Response(f"503 Service Unavailable: {exc}\n", status=503, mimetype="text/plain",
                    headers={"Retry-After": "30"})


# -- resources --------------------------------------------------------------------------------


def _resource(rest: str) -> Response:
    store = get_store(current_app)
    found = _resolve(rest, lambda iri: rv.exists(store, iri))
    if found is None:
        return _not_found()
    rest, suffix = found
    iri = _base() + rest
    if rv.is_graph(store, iri):
        return _graph(iri, rest, suffix)
    path = request.script_root + "/" + rest

    def html(alternates):
        lang, _ = reader_language()
        page = _page_number()
        view = rv.view(store, iri, _base(), lang, page=page)
        return render_template("resource.html", view=view, alternates=alternates, path=path,
                               page_sources=view.provenance.sources)

    return _represent(path, suffix, iri, html, lambda: rv.describe(store, iri), compact=True)


def _graph(iri: str, rest: str, suffix: str | None) -> Response:
    store = get_store(current_app)
    path = request.script_root + "/" + rest

    def html(alternates):
        lang, _ = reader_language()
        view = rv.graph_view(store, iri, _base(), lang, page=_page_number())
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
    iri = rv.ontology_iri(_base())
    graph_iri = rv.ontology_graph(store, iri)
    if graph_iri is None:
        return _not_found()

    def html(alternates):
        lang, _ = reader_language()
        view = rv.ontology_view(store, iri, _base(), lang)
        prefixes = rv.prefixes_for(_base())
        return render_template("ontology.html", view=view, alternates=alternates, path=path,
                               prefixed=lambda iri: L.prefixed_name(iri, prefixes),
                               context_url=_context_url(), shapes_url=href(_base() + "shapes"))

    return _represent(path, suffix, iri, html, lambda: rv.graph_triples(store, graph_iri))


@bp.get("/ontology")
def ontology():
    return _ontology(None, request.script_root + "/ontology")


@bp.get("/ontology.<ext>")
def ontology_as(ext: str):
    if ext not in FORMATS:
        return _not_found()
    return _ontology(ext, request.script_root + "/ontology")


@bp.get("/ontology/<version>")
def ontology_version(version: str):
    """The version IRI (``/ontology/0.1.0``) answers while it is the current version."""
    store = get_store(current_app)
    current = rv.ontology_version_iri(store, rv.ontology_iri(_base()))
    found = _resolve("ontology/" + version, lambda iri: iri == current)
    if found is None:
        return _not_found()
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
        return _not_found("The JSON-LD context has not been published with this atlas.")
    response = send_file(path, mimetype="application/ld+json", max_age=3600)
    # JSON-LD processors in browsers fetch contexts across origins.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _shapes(suffix: str | None) -> Response:
    store = get_store(current_app)
    graphs = rv.graphs_with_prefix(store, _base() + "graph/shapes/")
    if not graphs:
        return _not_found("No SHACL shapes are loaded in this atlas.")
    path = request.script_root + "/shapes"

    def html(alternates):
        lang, _ = reader_language()
        shapes = rv.shapes_view(store, graphs, _base(), lang)
        return render_template("shapes.html", shapes=shapes, graphs=graphs, alternates=alternates,
                               path=path)

    return _represent(path, suffix, _base() + "shapes", html, lambda: rv.triples_of_graphs(store, graphs))


@bp.get("/shapes")
def shapes():
    return _shapes(None)


@bp.get("/shapes.<ext>")
def shapes_as(ext: str):
    if ext not in FORMATS:
        return _not_found()
    return _shapes(ext)
