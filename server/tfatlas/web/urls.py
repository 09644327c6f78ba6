"""Links on this server: IRIs under the base mapped to paths, and the reader's language kept in them."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, g, request

from ..i18n import choose_language


def reader_language() -> tuple[str, bool]:
    """(language, chosen explicitly by ?lang=) for the current request."""
    if "tfatlas_lang" not in g:  # asked once per request, not once per link
        g.tfatlas_lang = choose_language(request.args.get("lang"), request.headers.get("Accept-Language"))
    return g.tfatlas_lang


def base() -> str:
    return current_app.config["TFATLAS"].base_iri


def local_path(iri: str) -> str | None:
    """The path on this server that answers for an IRI under the base, else None."""
    prefix = base()
    if iri.startswith(prefix):
        return request.script_root + "/" + iri[len(prefix):]
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


def with_lang(path: str, lang: str | None = None) -> str:
    """A path on this server with the reader's explicit language choice (``?lang=``) kept."""
    chosen, explicit = reader_language()
    return path + (f"?lang={chosen}" if explicit and path.startswith("/") else "")
