"""``LOAD <url>`` in the operator's SPARQL Update, fetched and checked by the atlas, not the engine.

Oxigraph would fetch a LOAD's document itself and parse it unchecked. Instead each
``LOAD [SILENT] <url> [INTO GRAPH <g>]`` is replaced, before the engine sees the update, by an
``INSERT DATA`` of the document's triples, which the atlas fetched and parsed as it parses an
upload (:mod:`.rdf_input`):

* every address, also each redirect's, must be on the allow-list of SERVICE
  (``TFATLAS_SERVICE_ALLOW``), else 403 and no connection to it;
* at most ``TFATLAS_MAX_BODY_BYTES`` are read (400 beyond), within the update's deadline (504);
* the media type (else the address's file extension) picks the parser; no other is tried (415);
* RDF/XML entities, JSON-LD nesting and remote contexts, triple terms and literals the store
  could not dump are refused (400) as in an upload; triples of other named graphs too (a LOAD
  fills one graph);
* the server cannot be reached or answers an error: 502.

With ``SILENT`` a document that fails any of this is skipped, as SPARQL says (the allow-list
still refuses: that is this server's configuration, not the document). The request is one
update, so a LOAD beside other operations is applied with them or not at all.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
import requests

from ._deps import (FORMATS, AtlasError, DeadlineExceeded, __version__, allowed, quad_problem, sparql_prologue,
                    sparql_resolve, sparql_tokens)
from .errors import BadBody, BadGateway, Forbidden, UnsupportedMediaType, WriteRefused
from .rdf_input import ACCEPTED, _MEDIA_TYPES, parse_body

USER_AGENT = f"Transformationsatlas/{__version__} (SPARQL LOAD; https://w3id.org/tfatlas/)"
MAX_REDIRECTS = 5
# Media types that say nothing about the RDF format: the address's extension decides then.
_GENERIC = ("", "text/plain", "application/octet-stream", "binary/octet-stream")


def token_iri(tok, prefixes: dict[str, str], base: str | None) -> str | None:
    """The IRI a token (``<…>`` or a declared prefixed name) stands for; None for anything else."""
    if tok is None:
        return None
    if tok.kind == "iri":
        return sparql_resolve(tok.text, base)
    if tok.kind == "pname":
        prefix, _, local = tok.text.partition(":")
        return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local) if prefix in prefixes else None
    return None


@dataclass(frozen=True)
class LoadOperation:
    start: int  # offsets of the operation in the update's text
    end: int
    source: str
    graph: str | None  # None: the default graph
    silent: bool


def load_operations(text: str, base_iri: str | None = None) -> list[LoadOperation]:
    """The LOAD operations of an update, with their spans (read from its tokens)."""
    lowered = text.lower()
    if "load" not in lowered:
        return []
    toks = sparql_tokens(text)
    prefixes, base = sparql_prologue(toks, base_iri)

    def iri_of(tok) -> str | None:
        return token_iri(tok, prefixes, base)

    found: list[LoadOperation] = []
    for i, tok in enumerate(toks):
        if not tok.is_word("LOAD") or tok.depth:
            continue
        j = i + 1
        silent = j < len(toks) and toks[j].is_word("SILENT")
        j += silent
        source = iri_of(toks[j] if j < len(toks) else None)
        if source is None:
            raise BadBody("LOAD needs the IRI of a document (<https://…> or a declared prefix); nothing "
                          "was changed.",
                          "LOAD braucht die IRI eines Dokuments (<https://…> oder ein erklärtes Präfix); es "
                          "wurde nichts geändert.")
        end = toks[j].start + len(toks[j].text)
        graph = None
        if j + 2 < len(toks) and toks[j + 1].is_word("INTO") and toks[j + 2].is_word("GRAPH"):
            graph = iri_of(toks[j + 3] if j + 3 < len(toks) else None)
            if graph is None:
                raise BadBody("LOAD … INTO GRAPH needs the IRI of a graph; nothing was changed.",
                              "LOAD … INTO GRAPH braucht die IRI eines Graphen; es wurde nichts geändert.")
            end = toks[j + 3].start + len(toks[j + 3].text)
        found.append(LoadOperation(tok.start, end, source, graph, silent))
    return found


class Fetcher:
    """Gets a LOAD's document over HTTP(S) with the allow-list, the size limit and a deadline."""

    def __init__(self, allow: tuple[str, ...], max_bytes: int, session: requests.Session | None = None):
        self.allow = tuple(allow)
        self.max_bytes = int(max_bytes)
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = ", ".join(ACCEPTED)

    def check(self, url: str) -> None:
        if not allowed(url, self.allow):
            listed = ", ".join(self.allow) if self.allow else "none are configured"
            raise Forbidden(f"LOAD <{url}> is not on this server's allow-list (TFATLAS_SERVICE_ALLOW: "
                            f"{listed}); no connection was made and nothing was changed.",
                            f"LOAD <{url}> steht nicht auf der Freigabeliste dieses Servers "
                            f"(TFATLAS_SERVICE_ALLOW: {listed}); es wurde keine Verbindung aufgebaut und "
                            "nichts geändert.")

    def fetch(self, url: str, deadline: float) -> tuple[bytes, str]:
        """The document's bytes and its media type (from the answer, else the extension)."""
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            self.check(current)
            if urlsplit(current).scheme not in ("http", "https"):
                raise BadBody(f"LOAD <{current}>: only http and https addresses are fetched.",
                              f"LOAD <{current}>: nur http- und https-Adressen werden geladen.")
            left = deadline - time.monotonic()
            if left <= 0:
                raise _late(url)
            try:
                response = self.session.get(current, stream=True, allow_redirects=False,
                                            timeout=(min(left, 10.0), left))
            except requests.Timeout:
                raise _late(url) from None
            except requests.RequestException as exc:
                raise _unreachable(url, str(exc)) from None
            with response:
                if response.is_redirect and "Location" in response.headers:
                    current = urljoin(current, response.headers["Location"])
                    continue
                if response.status_code != 200:
                    raise _unreachable(url, f"HTTP {response.status_code} {response.reason}")
                body = self._read(response, url, deadline)
                return body, self._media_type(response.headers.get("Content-Type"), current)
        raise _unreachable(url, f"more than {MAX_REDIRECTS} redirects")

    def _read(self, response, url: str, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise _too_large(url, self.max_bytes)
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.max_bytes:
                    raise _too_large(url, self.max_bytes)
                if time.monotonic() > deadline:
                    raise _late(url)
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise _unreachable(url, str(exc)) from None
        return b"".join(chunks)

    @staticmethod
    def _media_type(header: str | None, url: str) -> str:
        media_type = (header or "").partition(";")[0].strip().lower()
        if media_type in _MEDIA_TYPES or media_type not in _GENERIC:
            return header or media_type
        path = urlsplit(url).path.lower()
        for fmt in FORMATS:
            if path.endswith(fmt.extensions):
                return fmt.media_type
        return media_type


def _late(url: str) -> DeadlineExceeded:
    return DeadlineExceeded(504, f"LOAD <{url}> was not fetched within this server's deadline for "
                                 "updates (TFATLAS_UPDATE_TIMEOUT); nothing was changed.\n"
                                 f"LOAD <{url}> wurde nicht innerhalb der Frist dieses Servers für "
                                 "Änderungen geladen (TFATLAS_UPDATE_TIMEOUT); es wurde nichts geändert.")


def _unreachable(url: str, why: str) -> BadGateway:
    return BadGateway(f"LOAD <{url}>: the document could not be fetched ({why}); nothing was changed.",
                      f"LOAD <{url}>: das Dokument ließ sich nicht laden ({why}); es wurde nichts geändert.")


def _too_large(url: str, limit: int) -> BadBody:
    return BadBody(f"LOAD <{url}>: the document is larger than this server's limit of {limit:,} bytes "
                   "(TFATLAS_MAX_BODY_BYTES, as for uploads); load it with `tfatlas load` instead. "
                   "Nothing was changed.",
                   f"LOAD <{url}>: das Dokument ist größer als die Grenze dieses Servers von {limit:,} "
                   "Bytes (TFATLAS_MAX_BODY_BYTES, wie beim Hochladen); bitte mit `tfatlas load` laden. "
                   "Es wurde nichts geändert.")


def document_triples(url: str, body: bytes, media_type: str, atlas_base: str) -> list[ox.Triple]:
    """The triples of a fetched document, checked as an upload's body is (see the docstring)."""
    try:
        quads, _fmt = parse_body(body, media_type, base_iri=url, atlas_base=atlas_base)
    except UnsupportedMediaType:
        listed = ", ".join(ACCEPTED)
        raise UnsupportedMediaType(
            f"LOAD <{url}>: the server answered {media_type or 'no media type'}, which is not an RDF "
            f"format this atlas reads ({listed}); nothing was changed.",
            f"LOAD <{url}>: der Server antwortete mit {media_type or 'keinem Medientyp'}, keinem "
            f"RDF-Format, das dieser Atlas liest ({listed}); es wurde nichts geändert.") from None
    except WriteRefused as exc:
        en, de = (exc.messages[lang].rstrip().rstrip(".") + "." for lang in ("en", "de"))
        raise type(exc)(f"LOAD <{url}>: {en} Nothing was changed.",
                        f"LOAD <{url}>: {de} Es wurde nichts geändert.") from None
    triples = []
    for quad in quads:
        if not isinstance(quad.graph_name, ox.DefaultGraph):
            raise BadBody(f"LOAD <{url}>: the document has triples in the named graph "
                          f"<{quad.graph_name.value}>; a LOAD fills one graph. Nothing was changed.",
                          f"LOAD <{url}>: das Dokument enthält Tripel im benannten Graphen "
                          f"<{quad.graph_name.value}>; ein LOAD füllt einen Graphen. Es wurde nichts "
                          "geändert.")
        if (problem := quad_problem(quad)) is not None:
            raise BadBody(f"LOAD <{url}>: {problem}; nothing was changed.",
                          f"LOAD <{url}>: {problem}; es wurde nichts geändert.")
        triples.append(ox.Triple(quad.subject, quad.predicate, quad.object))
    return triples


def insert_data(triples: list[ox.Triple], graph: str | None) -> str:
    body = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples)
    return "INSERT DATA { " + (f"GRAPH <{graph}> {{\n{body}\n}}" if graph else body) + " }"


def without_loads(text: str, fetcher: Fetcher, *, base_iri: str | None, atlas_base: str,
                  deadline: float) -> tuple[str, list[LoadOperation]]:
    """The update with each LOAD replaced by an INSERT DATA of its checked document, and the LOADs."""
    operations = load_operations(text, base_iri)
    if not operations:
        return text, []
    for operation in operations:  # no connection at all when any target is not allowed
        fetcher.check(operation.source)
    parts, last = [], 0
    for operation in operations:
        try:
            body, media_type = fetcher.fetch(operation.source, deadline)
            replacement = insert_data(document_triples(operation.source, body, media_type, atlas_base),
                                      operation.graph)
        except AtlasError as exc:
            if not operation.silent or isinstance(exc, (Forbidden, DeadlineExceeded)):
                raise
            replacement = "INSERT DATA { }"  # SILENT: the failed LOAD does nothing
        parts += [text[last:operation.start], replacement]
        last = operation.end
    parts.append(text[last:])
    return "".join(parts), operations
