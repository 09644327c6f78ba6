"""Security headers on every answer; the Content-Security-Policy on every HTML page.

Scripts and styles come only from the atlas itself: no inline script or <style> element (the
pages' scripts and styles are static files; the SPARQL page's example queries are a JSON data
block, which is not run). One exception, on the SPARQL page only: YASGUI's result table inserts a
<style> element for its column grips (a violation in Chromium's console without it), so that
page allows inline styles; a style cannot run code. connect-src is the atlas itself: the query
editor sends queries here and nothing to third parties (its vocabulary look-ups at Linked Open
Vocabularies are switched off in static/sparql.js).
"""

from __future__ import annotations

from flask import Flask, Response, request

_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CSP = "; ".join(_POLICY)
CSP_WITH_INLINE_STYLES = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
INLINE_STYLE_ENDPOINTS = {"sparql.sparql"}  # YASGUI
# A reconciliation preview is made to be shown inside a client's iframe (OpenRefine does), on
# whatever origin that client runs: it may be framed by anyone, and its small <style> is inline.
FRAMED_ENDPOINTS = {"reconcile.preview"}
CSP_FRAMED = CSP_WITH_INLINE_STYLES.replace("frame-ancestors 'none'", "frame-ancestors *")

EVERY_ANSWER = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
FRAME_OPTIONS = "DENY"  # for browsers without CSP frame-ancestors


def add_security_headers(response: Response) -> Response:
    for name, value in EVERY_ANSWER.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html" and request.endpoint in FRAMED_ENDPOINTS:
        response.headers.setdefault("Content-Security-Policy", CSP_FRAMED)
    elif response.mimetype == "text/html":
        inline = request.endpoint in INLINE_STYLE_ENDPOINTS
        response.headers.setdefault("Content-Security-Policy", CSP_WITH_INLINE_STYLES if inline else CSP)
        response.headers.setdefault("X-Frame-Options", FRAME_OPTIONS)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
