"""The open-data release on the web: ``/catalog`` (content negotiation) and ``/downloads/<file>``.

Both read the latest release under the ``release_dir`` setting (see
:func:`tfatlas.publication.release_root`); ``tfatlas publish --out <release_dir>`` writes it.
Only files listed in the release's SHA256SUMS (and SHA256SUMS itself) are served, so no request
path can reach anything else.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, render_template, request, send_file
from jinja2 import TemplateNotFound

from ...model.formats import for_path
from ...publish import dcat as catalog_model
from ...sparql import conneg
from ...publish.data import SUMS, content_type
from ...publish.release import release_root
from ..urls import reader_language

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
           "sums": "Prüfsummen", "datasets": "Datensätze", "void": "VoID-Beschreibung"},
    "en": {"heading": "Open data", "modified": "Last modified", "licence": "Licence",
           "endpoint": "SPARQL endpoint", "file": "File", "format": "Format", "size": "Size (bytes)",
           "checksum": "SHA-256", "machine": "The catalogue for machines (DCAT-AP.de 3.0)",
           "sums": "Checksums", "datasets": "Datasets", "void": "VoID description"},
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
        return _missing()
    if ext == "html":
        response = Response(_html(root), mimetype="text/html")
        response.vary.add("Accept-Language")  # the page's language follows it (no ?lang)
    else:
        name, _media = CATALOG_FILES[ext]
        response = send_file(root / name, mimetype=_media, conditional=True, etag=True)
        response.headers["Content-Type"] = content_type(name)
        response.headers["Content-Location"] = f"{request.script_root}/catalog.{ext}"
    if request.path.rstrip("/").endswith("/catalog"):
        response.vary.add("Accept")
    response.headers["Link"] = _links()
    return response


def _html(root: Path) -> str:
    lang, _ = reader_language()
    context = dict(catalog=catalog_model.read_catalogue(root / "catalog.ttl"), lang=lang, text=TEXT[lang],
                   downloads=request.script_root + "/downloads/", catalog_url=request.script_root + "/catalog")
    # Inside the site's frame when the linked-data pages (their base.html and context) are there.
    if "pages" in current_app.blueprints:
        try:
            return render_template("downloads/catalog.html", layout="base.html", **context)
        except TemplateNotFound:
            pass
    return render_template("downloads/catalog.html", layout="downloads/layout.html", **context)


@bp.get("/.well-known/void")
def well_known_void():
    """The VoID description where the VoID specification (section 7) says to look for it."""
    root = _release()
    if root is None:
        return _missing()
    response = send_file(root / "void.ttl", mimetype="text/turtle", conditional=True, etag=True)
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
    response = send_file(root / name, mimetype="application/octet-stream", conditional=True, etag=True)
    response.headers["Content-Type"] = content_type(name)
    return response


def _listed(root: Path) -> set[str]:
    try:
        lines = (root / SUMS).read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    return {line.split("  ", 1)[1] for line in lines if "  " in line}
