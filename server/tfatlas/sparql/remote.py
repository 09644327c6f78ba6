"""Queries evaluated by a remote SPARQL 1.1 server (TFATLAS_STORE_URL), with the atlas's limits applied.

The request to it has the deadline as timeout (for the whole answer, not only between bytes), and
the same allow-list, cap and content negotiation apply: the atlas asks the remote server for TSV or
N-Triples and converts like a worker does."""

from __future__ import annotations

import time

import pyoxigraph as ox

from ..errors import DeadlineExceeded, QueryFailed
from . import conneg
from .messages import QueryTask
from .protocol import FORM
from .results import KIND_OF_FORM, Answer, has_dataset_clause, prefixes_of, render_graph, render_solutions
from .text import query_form


class RemoteQueries:
    """Queries evaluated by a remote SPARQL 1.1 server, with the atlas's limits applied."""

    CANONICAL = {"solutions": "text/tab-separated-values", "graph": "application/n-triples",
                 "boolean": "application/sparql-results+json"}

    def __init__(self, query_url: str):
        import requests

        self._url = query_url
        self._session = requests.Session()

    def run(self, task: QueryTask, deadline: float) -> Answer:
        import requests

        form = query_form(task.text)
        kind = KIND_OF_FORM.get(form or "", "solutions")
        choice = conneg.negotiate(kind, task.accept, task.format)
        data = [("query", task.text)]
        data += [("default-graph-uri", g) for g in task.default_graphs or ()]
        data += [("named-graph-uri", g) for g in task.named_graphs or ()]
        params = {}
        if task.default_graphs is None and task.named_graphs is None and not has_dataset_clause(task.text):
            # The atlas's default graph is the union of the named graphs; Oxigraph's server takes
            # this parameter for it (as store/remote.py does), others treat it as unknown.
            params["union-default-graph"] = ""
        started = time.monotonic()
        chunks = []
        try:
            with self._session.post(self._url, data=data, params=params, stream=True, timeout=deadline,
                                    headers={"Accept": self.CANONICAL[kind], "Content-Type": FORM}) as r:
                for chunk in r.iter_content(1 << 16):
                    chunks.append(chunk)
                    if time.monotonic() - started > deadline:
                        raise requests.Timeout()
                body = b"".join(chunks)
                status = r.status_code
        except requests.Timeout:
            raise DeadlineExceeded(504, f"the remote store did not answer within this server's "
                                        f"deadline of {deadline:g} s (TFATLAS_QUERY_TIMEOUT)") from None
        except requests.RequestException as exc:
            raise QueryFailed(502, f"the remote store cannot be reached: {exc}") from None
        if status >= 400:
            message = body.decode("utf-8", "replace").strip()[:2000]
            raise QueryFailed(400 if status < 500 else 502, f"the remote store answered {status}: {message}")
        if kind == "boolean":
            value = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
            return Answer(value.serialize(format=choice.engine_format), choice.content_type, 1)
        if kind == "graph":
            return render_graph(body, choice, task.cap, prefixes_of(task.text))
        return render_solutions(body, choice, task.cap)

    def close(self) -> None:
        self._session.close()
