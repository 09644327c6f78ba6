"""Who may update, and where a query may reach out to: the admin token and the allow-list.

SERVICE and LOAD
    pyoxigraph opens a connection to whatever IRI a ``SERVICE`` or ``LOAD`` names. The IRIs are
    read from the tokens of the text (``sparql_protocol.outgoing_targets``; texts without either
    word skip this) and each must start with a prefix of ``TFATLAS_SERVICE_ALLOW``, else 403
    before the engine sees the text. A ``SERVICE ?var`` is refused: its target is not fixed.
    ``FROM``/``FROM NAMED`` are never dereferenced by the engine: they select graphs of the store.
    An allowed outgoing call ends at the query's deadline, when its worker is killed.
"""

from __future__ import annotations

import hashlib
import hmac

from ..errors import ProtocolError
from .text import outgoing_targets


def authorize_update(authorization: str | None, token_sha256: str) -> None:
    """Raise ProtocolError unless the bearer token hashes to the configured admin hash."""
    if not token_sha256:
        raise ProtocolError(403, "SPARQL Update is disabled on this server (no admin token is "
                                 "configured; see TFATLAS_ADMIN_TOKEN_SHA256)")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProtocolError(401, "SPARQL Update needs the operator's admin token: "
                                 "'Authorization: Bearer <token>'",
                            {"WWW-Authenticate": 'Bearer realm="tfatlas sparql update"'})
    digest = hashlib.sha256(token.strip().encode("utf-8")).hexdigest()
    if not hmac.compare_digest(digest, token_sha256.strip().lower()):
        raise ProtocolError(403, "the bearer token is not the admin token; the update was not applied")


def allowed(iri: str, prefixes: tuple[str, ...]) -> bool:
    for prefix in prefixes:
        if iri == prefix:
            return True
        # A prefix ends at a boundary, so "https://reg.example" does not admit "https://reg.example.evil/".
        if iri.startswith(prefix) and (prefix[-1] in "/#?" or iri[len(prefix)] in "/#?"):
            return True
    return False


def check_outgoing(text: str, allow: tuple[str, ...], base_iri: str | None = None) -> None:
    for keyword, iri in outgoing_targets(text, base_iri):
        if iri is None:
            raise ProtocolError(403, f"{keyword} with a target that is not a fixed IRI is not allowed")
        if not allowed(iri, allow):
            listed = ", ".join(allow) if allow else "none are configured"
            raise ProtocolError(403, f"{keyword} <{iri}> is not on this server's allow-list "
                                     f"(TFATLAS_SERVICE_ALLOW: {listed}); no connection was made")
