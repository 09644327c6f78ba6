"""The SPARQL 1.1 Protocol: from an HTTP request to the operation it asks for.

``parse_request`` turns method, query string, content type and body into an :class:`Operation`
(a query with its protocol dataset, an update with its ``using-*`` graphs, or the bare request
for the Service Description), or raises :class:`ProtocolError` with the status and a message.
The rules, checked by the W3C protocol tests (tests/test_sparql_protocol_w3c.py):

* GET carries a query in the URL; an update by GET is refused (400), as is any other method (405).
* POST is a form (``application/x-www-form-urlencoded``, parameters from URL and body) or direct
  (``application/sparql-query`` / ``application/sparql-update``, the body is the operation and the
  URL carries the dataset). A query in the URL with an empty body is accepted too: Blazegraph
  federates that way.
* A missing or other content type with a body is 415; a charset other than UTF-8 is 415; bytes
  that are not UTF-8 are 400; more than one ``query``/``update``, or both, are 400.
* Unknown parameters are 400 (a typo such as ``default-graph`` would otherwise silently query
  the wrong dataset). ``format``, ``output`` and ``results`` select the result format
  (SPARQLWrapper sends all three).

(What the endpoint reads from the SPARQL text itself is in :mod:`tfatlas.sparql.text`.)
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from werkzeug.http import parse_options_header

from ..errors import ProtocolError

QUERY_PARAMS = ("query", "default-graph-uri", "named-graph-uri")
UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")
FORMAT_PARAMS = ("format", "output", "results")
KNOWN_PARAMS = QUERY_PARAMS + UPDATE_PARAMS + FORMAT_PARAMS

FORM = "application/x-www-form-urlencoded"
DIRECT_QUERY = "application/sparql-query"
DIRECT_UPDATE = "application/sparql-update"




@dataclass
class Operation:
    kind: str  # "query", "update" or "description"
    text: str = ""
    default_graphs: tuple[str, ...] | None = None  # default-graph-uri / using-graph-uri
    named_graphs: tuple[str, ...] | None = None  # named-graph-uri / using-named-graph-uri
    format: str | None = None
    params: list[tuple[str, str]] = field(default_factory=list)



def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"the {what} is not valid UTF-8 (byte {exc.start}); "
                                 "SPARQL requests must be UTF-8") from None


def _pairs(encoded: bytes, what: str) -> list[tuple[str, str]]:
    """The name-value pairs of a URL query or form body, as ``urllib.parse.parse_qsl`` reads them
    (``keep_blank_values``, strict UTF-8; tests/test_sparql_protocol_parsing.py compares)."""
    _decode(encoded, what)  # raw bytes that are not UTF-8 are refused with their position
    pairs = []
    try:
        for field_ in encoded.split(b"&"):
            if field_:
                name, _, value = field_.partition(b"=")
                pairs.append((_unquote_plus(name).decode("utf-8"), _unquote_plus(value).decode("utf-8")))
    except UnicodeDecodeError:
        raise ProtocolError(400, f"the {what} has percent-encoded bytes that are not UTF-8") from None
    return pairs


def _unquote_plus(data: bytes) -> bytes:
    # urllib's unquote walks the text escape by escape in Python: 30 us for a query of the bench
    # mixes (130 escapes), the largest part of reading a request. Here each %XX becomes \xXX
    # (every backslash doubled first) for the C decoder of Python escapes; a malformed escape,
    # which unquote keeps as it is, makes it fail, and then unquote does it all.
    data = data.replace(b"+", b" ")
    if b"%" not in data:
        return data
    try:
        return codecs.escape_decode(data.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
    except ValueError:
        return unquote_to_bytes(data)


def _check_charset(params: dict[str, str], media_type: str) -> None:
    charset = params.get("charset")
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ProtocolError(415, f"{media_type} with charset={charset} is not supported; send UTF-8")


def parse_request(method: str, query_string: bytes | str, content_type: str | None,
                  body: bytes) -> Operation:
    method = method.upper()
    if method not in ("GET", "HEAD", "POST"):
        raise ProtocolError(405, f"{method} is not a SPARQL Protocol method; use GET or POST",
                            {"Allow": "GET, HEAD, POST, OPTIONS"})
    if isinstance(query_string, str):
        query_string = query_string.encode("utf-8")
    params = _pairs(query_string, "URL")

    if method in ("GET", "HEAD"):
        return _operation(params, method)

    media_type, media_params = parse_options_header(content_type or "")
    media_type = media_type.lower()
    if not body:
        # Blazegraph and some federating engines POST the query in the URL with an empty body.
        if any(k in ("query", "update") for k, _ in params):
            return _operation(params, method)
        raise ProtocolError(400, "empty POST: send the query or update in the body, as a form "
                                 f"({FORM}) or directly ({DIRECT_QUERY}, {DIRECT_UPDATE})")
    if media_type == FORM:
        _check_charset(media_params, media_type)
        form = _pairs(body, "form body")
        return _operation(params + form, method)
    if media_type in (DIRECT_QUERY, DIRECT_UPDATE):
        _check_charset(media_params, media_type)
        key = "query" if media_type == DIRECT_QUERY else "update"
        clash = [k for k, _ in params if k in ("query", "update")]
        if clash:
            raise ProtocolError(400, f"the body is a {key} ({media_type}) and the URL has a "
                                     f"'{clash[0]}' parameter too; send one operation")
        return _operation(params + [(key, _decode(body, "body"))], method)
    if not media_type:
        raise ProtocolError(415, "a POST body needs a Content-Type: "
                                 f"{FORM}, {DIRECT_QUERY} or {DIRECT_UPDATE}")
    raise ProtocolError(415, f"Content-Type {media_type} is not a SPARQL Protocol type; use "
                             f"{FORM}, {DIRECT_QUERY} or {DIRECT_UPDATE}")


def _operation(params: list[tuple[str, str]], method: str) -> Operation:
    unknown = sorted({k for k, _ in params if k not in KNOWN_PARAMS})
    if unknown:
        raise ProtocolError(400, f"unknown parameter(s): {', '.join(unknown)}; "
                                 f"this endpoint accepts: {', '.join(KNOWN_PARAMS)}")

    def values(key: str) -> list[str]:
        return [v for k, v in params if k == key]

    formats = [v for k, v in params if k in FORMAT_PARAMS and v]
    fmt = formats[0] if formats else None
    queries, updates = values("query"), values("update")
    if queries and updates:
        raise ProtocolError(400, "a request carries either 'query' or 'update', not both")
    if len(queries) > 1 or len(updates) > 1:
        raise ProtocolError(400, "more than one query or update string in one request; send one")

    if updates:
        if method != "POST":
            raise ProtocolError(400, "SPARQL Update must be sent with POST (a form or "
                                     f"{DIRECT_UPDATE}), never with GET", {"Allow": "POST"})
        misplaced = [k for k in ("default-graph-uri", "named-graph-uri") if values(k)]
        if misplaced:
            raise ProtocolError(400, f"{misplaced[0]} belongs to queries; updates take "
                                     "using-graph-uri and using-named-graph-uri")
        return Operation("update", updates[0], _graphs(values("using-graph-uri")),
                         _graphs(values("using-named-graph-uri")), fmt, params)

    misplaced = [k for k in ("using-graph-uri", "using-named-graph-uri") if values(k)]
    if misplaced:
        raise ProtocolError(400, f"{misplaced[0]} belongs to updates; queries take "
                                 "default-graph-uri and named-graph-uri")
    if queries:
        if not queries[0].strip():
            raise ProtocolError(400, "the 'query' parameter is empty")
        return Operation("query", queries[0], _graphs(values("default-graph-uri")),
                         _graphs(values("named-graph-uri")), fmt, params)
    if method == "POST":
        raise ProtocolError(400, "the request has no 'query' or 'update'")
    if any(k in ("default-graph-uri", "named-graph-uri") for k, _ in params):
        raise ProtocolError(400, "dataset parameters without a 'query'")
    return Operation("description", format=fmt, params=params)


def _graphs(iris: list[str]) -> tuple[str, ...] | None:
    for iri in iris:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]*", iri):
            raise ProtocolError(400, f"graph IRI {iri!r} is not an absolute IRI")
    return tuple(iris) if iris else None
