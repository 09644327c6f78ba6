"""``/admin/links``: the links waiting for review, accepted or rejected by a person with a note.

The operator's admin token (``TFATLAS_ADMIN_TOKEN_SHA256``) is the password of HTTP Basic
authentication, and the user name is recorded as the reviewer, so a browser asks once and
remembers; programs may send ``Authorization: Bearer <token>`` and a ``reviewer`` form field.
A decision from another site is refused (its Origin differs), so a page elsewhere cannot use
the browser's remembered credentials.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, current_app, redirect, render_template, request

from ...errors import InputError, StatusError
from ...linking import run as linking
from ...sparql.access import token_matches
from ..deps import get_store
from ..urls import href, reader_language

bp = Blueprint("link_review", __name__, url_prefix="/admin")
REALM = 'Basic realm="Transformationsatlas: Links prüfen / review links", charset="UTF-8"'
TEXT = {
    "de": {"title": "Links zur Prüfung", "none": "Keine Links warten auf Prüfung.", "atlas": "Atlas",
           "registry": "Register", "entity": "Eintrag im Register", "confidence": "Konfidenz",
           "note": "Notiz", "accept": "Annehmen", "reject": "Ablehnen", "reviewer": "Prüfer·in",
           "intro": "Angenommene Links werden als dieselbe Stelle (owl:sameAs) eingetragen; abgelehnte "
                    "werden nicht wieder vorgeschlagen."},
    "en": {"title": "Links waiting for review", "none": "No links wait for review.", "atlas": "Atlas",
           "registry": "Registry", "entity": "Registry entry", "confidence": "Confidence",
           "note": "Note", "accept": "Accept", "reject": "Reject", "reviewer": "Reviewer",
           "intro": "Accepted links are recorded as the same body (owl:sameAs); rejected ones are never "
                    "proposed again."},
}


def _reviewer() -> str:
    """Who is asking, once the token is checked; raises 401/403 otherwise."""
    token_sha256 = current_app.config["TFATLAS"].admin_token_sha256
    if not token_sha256:
        raise StatusError(403, "reviewing links is disabled on this server (no admin token is configured; "
                               "see TFATLAS_ADMIN_TOKEN_SHA256) / Prüfen ist abgeschaltet")
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user, password = "", ""
        if token_matches(password, token_sha256) and user.strip():
            return user.strip()
    elif scheme.lower() == "bearer" and token_matches(value, token_sha256):
        return request.form.get("reviewer", "").strip() or "admin"
    raise StatusError(401, "give your name as the user and the admin token as the password "
                           "(Name als Benutzer, Admin-Token als Passwort)", {"WWW-Authenticate": REALM})


@bp.get("/links")
def pending():
    reviewer = _reviewer()
    lang, _ = reader_language()
    registry = request.args.get("registry") or None
    store = get_store()
    rows = [(m, m.iri(store.base_iri)) for m in linking.pending(store, registry)]
    response = Response(render_template("admin_links.html", rows=rows, reviewer=reviewer, tx=TEXT[lang],
                                        href=href, registry=registry, lang=lang),
                        content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/links")
def decide():
    reviewer = _reviewer()
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") != request.host_url.rstrip("/"):
        raise StatusError(403, f"a decision from {origin} is refused; decide on this server's own page")
    record, decision = request.form.get("record", ""), request.form.get("decision", "")
    if decision not in ("accept", "reject") or not record:
        raise InputError("send 'record' and 'decision' (accept or reject) / 'record' und 'decision' fehlen")
    linking.review(get_store(), record, decision == "accept", reviewer, request.form.get("note", ""))
    lang, explicit = reader_language()
    return redirect(request.script_root + "/admin/links" + (f"?lang={lang}" if explicit else ""), code=303)


