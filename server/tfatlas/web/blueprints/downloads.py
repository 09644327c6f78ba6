"""The open-data release on the web: ``/catalog`` (content negotiation) and ``/downloads/<file>``.

Both read the latest release under the ``release_dir`` setting (see
:func:`tfatlas.publication.release_root`); ``tfatlas publish --out <release_dir>`` writes it.
Only files listed in the release's SHA256SUMS (and SHA256SUMS itself) are served, so no request
path can reach anything else.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, render_template, request, send_file
from jinja2 import TemplateNotFound

from ...model.formats import for_path
from ...publish import dcat as catalog_model
from ...sparql import conneg
from ...publish.data import SUMS, content_type
from ...publish.release import release_root
from ..urls import reader_language, with_lang

bp = Blueprint("downloads", __name__)

#: Representations of the catalogue as files of the release.
CATALOG_FILES = {suffix: (f"catalog.{suffix}", for_path(Path(f"catalog.{suffix}")).media_type)
                 for suffix in ("ttl", "jsonld", "rdf")}
#: conneg's choices for the catalogue (HTML first for */*, as on every page of the site;
#: harvesters name a format, or fetch /catalog.rdf, /catalog.ttl) -> suffix.
_SUFFIX = {"html": "html", "turtle": "ttl", "jsonld": "jsonld", "rdfxml": "rdf"}
TEXT = {
    "de": {"heading": "Offene Daten", "modified": "Stand", "licence": "Lizenz",
           "endpoint": "SPARQL-Endpunkt", "file": "Datei", "format": "Format", "size": "Größe (Bytes)",
           "checksum": "SHA-256", "machine": "Der Katalog für Maschinen (DCAT-AP.de 3.0)",
           "sums": "Prüfsummen", "datasets": "Datensätze", "void": "VoID-Beschreibung",
           "not_yet_title": "noch nicht veröffentlicht",
           "not_yet_what": "Hier erscheint der Datenkatalog des Transformationsatlas: alle Daten als "
                           "Dateien zum Herunterladen (Turtle, TriG, N-Triples, JSON-LD, CSV), mit "
                           "Lizenz, Prüfsummen und einer Beschreibung für Datenportale (DCAT-AP.de).",
           "not_yet_when": "Auf diesem Server ist noch keine Veröffentlichung erschienen. Sie erscheint "
                           "hier, sobald der Betrieb sie mit „tfatlas publish“ erstellt hat; ein Datum "
                           "dafür ist nicht festgelegt.",
           "not_yet_meanwhile": "Bis dahin sind dieselben Daten hier abrufbar:",
           "finder": "Der Finder: Angebote nach Herausforderung und Thema",
           "api": "Gespeicherte Abfragen als Web-API"},
    "en": {"heading": "Open data", "modified": "Last modified", "licence": "Licence",
           "endpoint": "SPARQL endpoint", "file": "File", "format": "Format", "size": "Size (bytes)",
           "checksum": "SHA-256", "machine": "The catalogue for machines (DCAT-AP.de 3.0)",
           "sums": "Checksums", "datasets": "Datasets", "void": "VoID description",
           "not_yet_title": "not published yet",
           "not_yet_what": "This is where the Transformation Atlas's data catalogue appears: all its "
                           "data as files to download (Turtle, TriG, N-Triples, JSON-LD, CSV), with "
                           "licence, checksums and a description for data portals (DCAT-AP.de).",
           "not_yet_when": "No release has been published on this server yet. It appears here as soon "
                           "as the operators have made one with “tfatlas publish”; no date has been set.",
           "not_yet_meanwhile": "Until then the same data is available here:",
           "finder": "The finder: offers by challenge and topic",
           "api": "Stored queries as a web API"},
}


def _release() -> Path | None:
    root = release_root(current_app.config["TFATLAS"].release_dir)
    # Absolute: send_file takes a relative path as relative to the package, not to the working
    # directory, so the default release_dir (var/release) was a 500 on every file.
    return root.resolve() if root is not None else None


def _missing() -> Response:
    return Response("No open-data release has been published here yet. The operator runs "
                    "`tfatlas publish --out <dir>` and sets release_dir (TFATLAS_RELEASE_DIR) to <dir>.\n",
                    status=404, mimetype="text/plain")


def _links() -> str:
    return ", ".join(f'<{request.script_root}/catalog.{ext}>; rel="alternate"; type="{media}"'
                     for ext, (_, media) in CATALOG_FILES.items())


@bp.get("/catalog")
@bp.get("/catalog.<ext>")
def catalog(ext: str | None = None):
    root = _release()
    if ext is not None and ext not in CATALOG_FILES and ext != "html":
        return Response(f"Unknown catalogue format .{ext}; use .ttl, .jsonld, .rdf or .html.\n",
                        status=404, mimetype="text/plain")
    if ext is None:
        choice = conneg.acceptable("catalog", request.headers.get("Accept"))
        if choice is None:
            offered = ", ".join(c.media_type for c in conneg.OFFERS["catalog"])
            response = Response(f"Not acceptable. The catalogue is available as {offered}.\n",
                                status=406, mimetype="text/plain")
            response.vary.add("Accept")
            return response
        ext = _SUFFIX[choice.name]
    if root is None:
        if ext != "html":
            return _missing()
        # A browser gets a page in its reader's language (the site's navigation links here);
        # still 404: there is no catalogue yet, and a crawler must not index this as one.
        response = Response(_page("downloads/not_yet.html"), status=404, mimetype="text/html")
        response.vary.add("Accept-Language")
    elif ext == "html":
        response = Response(_html(root), mimetype="text/html")
        response.vary.add("Accept-Language")  # the page's language follows it (no ?lang)
    else:
        name, _media = CATALOG_FILES[ext]
        response = _send(root, name, _media)
        response.headers["Content-Type"] = content_type(name)
        response.headers["Content-Location"] = f"{request.script_root}/catalog.{ext}"
    if request.path.rstrip("/").endswith("/catalog"):
        response.vary.add("Accept")
    response.headers["Link"] = _links()
    return response


def _html(root: Path) -> str:
    return _page("downloads/catalog.html", catalog=catalog_model.read_catalogue(root / "catalog.ttl"))


def _page(template: str, **values) -> str:
    lang, _ = reader_language()
    context = dict(lang=lang, text=TEXT[lang], with_lang=with_lang, downloads=request.script_root + "/downloads/",
                   catalog_url=request.script_root + "/catalog", **values)
    # Inside the site's frame when the linked-data pages (their base.html and context) are there.
    if "pages" in current_app.blueprints:
        try:
            return render_template(template, layout="base.html", **context)
        except TemplateNotFound:
            pass
    return render_template(template, layout="downloads/layout.html", **context)


@bp.get("/.well-known/void")
def well_known_void():
    """The VoID description where the VoID specification (section 7) says to look for it."""
    root = _release()
    if root is None:
        return _missing()
    response = _send(root, "void.ttl", "text/turtle")
    response.headers["Content-Type"] = content_type("void.ttl")
    return response


@bp.get("/downloads/")
def index():
    return redirect(request.script_root + "/catalog", code=303)


@bp.get("/downloads/<path:name>")
def download(name: str):
    root = _release()
    if root is None:
        return _missing()
    if name != SUMS and name not in _listed(root):
        return Response(f"No file {name!r} in the current release; /catalog lists the files.\n",
                        status=404, mimetype="text/plain")
    # An explicit mimetype keeps werkzeug from guessing "Content-Encoding: gzip" for .gz, which
    # would make clients unpack the file; the header is set afterwards because send_file would
    # append a second charset to text types.
    response = _send(root, name, "application/octet-stream")
    response.headers["Content-Type"] = content_type(name)
    return response


def _listed(root: Path) -> set[str]:
    return set(_sums(root))


def _sums(root: Path) -> dict[str, str]:
    """File name -> SHA-256 of its bytes, as the release's SHA256SUMS lists them."""
    try:
        lines = (root / SUMS).read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    return {name: digest for digest, _, name in (line.partition("  ") for line in lines) if name}


def _send(root: Path, name: str, mimetype: str) -> Response:
    """A file of the release with its content hash as ETag: the same bytes keep their ETag across
    publishes (werkzeug's default ETag changes with the file's mtime, so with every publish)."""
    path = root / name
    if name == SUMS:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()  # a few hundred bytes
    else:
        digest = _sums(root).get(name)
    return send_file(path, mimetype=mimetype, conditional=True,
                     etag=f"sha256-{digest}" if digest else True)
