"""/sparql queries without Flask's request machinery: the hot path of federating clients and the finder.

A WSGI layer in front of the Flask app takes what is plainly a SPARQL query (GET, or POST with a
Content-Length within the body limit, to ``/sparql`` or ``/sparql/``), reads it with the same
protocol code (:func:`~tfatlas.sparql.protocol.parse_request`) and runs it through the same query
service. A successful answer is sent from here, with exactly the headers the Flask route and the
app's hooks give it (CORS, ``Vary: Accept``, the security headers) and counted in the same
metrics. Everything else goes to Flask unchanged, with the body already read handed on: a
Service Description, an update, a request the protocol refuses, HEAD, OPTIONS, a chunked or
oversized body. A query that fails goes to Flask too, with its outcome, so that the route's own
error handling answers it (the query is not run twice). tests/test_sparql_lean.py checks that
both paths answer alike.

Why: per request, Flask's context, routing, hooks and response object cost the web process
about as much as parsing the protocol and handing the query to a worker (bench/README.md).
"""

from __future__ import annotations

import io
import time

from werkzeug.wsgi import get_current_url

from ..errors import ProtocolError
from ..sparql.protocol import parse_request
from .security_headers import EVERY_ANSWER

PATHS = ("/sparql", "/sparql/")
WRAPPED_AT_MOST = 1 << 20  # waitress's outbuf_overflow: larger buffered answers go to a temporary file
ENDPOINT = "sparql.sparql"  # the Flask route's name, as the metrics label it
OUTCOME = "tfatlas.lean_outcome"  # environ key: the exception of a query run here, for the route
# What request.base_url is made of.
_URL_PARTS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "PATH_INFO")
# What the CORS setup (any origin, no credentials) and the route's Vary add to every answer here.
_ALWAYS = (("Vary", "Accept"), ("Access-Control-Allow-Origin", "*")) + tuple(EVERY_ANSWER.items())


class LeanSparql:
    """WSGI: answers plain /sparql queries itself, hands every other request to ``downstream``."""

    def __init__(self, app, downstream):
        self.app = app
        self.downstream = downstream
        self.max_body = app.config["TFATLAS"].max_body_bytes
        self.answered = 0  # queries answered here (read by tests)
        self._base_urls: dict[tuple, str] = {}
        metrics = app.extensions["tfatlas.metrics"]
        # The series every answer here moves, looked up once (the metrics' labels take a lock).
        self._answered_series = metrics.requests.labels(ENDPOINT, "query", "200")
        self._latency_series = metrics.latency.labels(ENDPOINT, "query")

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") not in PATHS or method not in ("GET", "POST"):
            return self.downstream(environ, start_response)
        started = time.perf_counter()
        body = b""
        if method == "POST":
            length = environ.get("CONTENT_LENGTH") or ""
            if not length.isdigit() or int(length) > self.max_body:
                return self.downstream(environ, start_response)  # chunked or too large: Flask's 413
            body = environ["wsgi.input"].read(int(length))
            environ["wsgi.input"] = io.BytesIO(body)  # Flask reads it again if it takes over
        try:
            op = parse_request(method, environ.get("QUERY_STRING", "").encode("latin-1"),
                               environ.get("CONTENT_TYPE"), body)
        except ProtocolError:
            return self.downstream(environ, start_response)  # the route words the refusal
        if op.kind != "query":
            return self.downstream(environ, start_response)
        service = self.app.extensions["tfatlas.query_service"]
        try:
            answer = service.query(op, accept=environ.get("HTTP_ACCEPT"), base_iri=self._base_url(environ))
        except Exception as exc:  # the route answers it as it answers its own errors
            environ[OUTCOME] = exc
            return self.downstream(environ, start_response)
        start_response("200 OK", [("Content-Type", answer.content_type),
                                  ("Content-Length", str(len(answer.body))), *_ALWAYS])
        self._answered_series.inc()
        self._latency_series.observe(time.perf_counter() - started)
        self.answered += 1
        wrapper = environ.get("wsgi.file_wrapper")
        if wrapper is not None and len(answer.body) <= WRAPPED_AT_MOST:
            # Waitress sends a file wrapper as it is; a list's body it first copies into its own
            # buffer (and one over 1 MiB into a temporary file, which keeps slow readers' answers
            # out of memory: so those stay lists).
            return wrapper(io.BytesIO(answer.body))
        return [answer.body]


    def _base_url(self, environ) -> str:
        """The route's ``request.base_url``, kept per host and path (clients use few)."""
        key = tuple(environ.get(k) for k in _URL_PARTS)
        url = self._base_urls.get(key)
        if url is None:
            if len(self._base_urls) >= 256:  # a client inventing Host headers cannot grow it
                self._base_urls.clear()
            url = self._base_urls[key] = get_current_url(environ, strip_querystring=True)
        return url


def outcome(environ) -> None:
    """In the route: raise what the lean path's evaluation of this request raised, if it ran it."""
    exc = environ.pop(OUTCOME, None)
    if exc is not None:
        raise exc
