"""Queries evaluated by a remote SPARQL 1.1 server (TFATLAS_STORE_URL), with the atlas's limits applied.

The same allow-list, cap and content negotiation apply as for the embedded store: the atlas asks
the remote server for one canonical format per result kind and converts like a worker does. What
differs between servers (the dataset of a query, the formats to ask for, how a server is told the
deadline and how it says it stopped early) is the store's dialect (``store/dialects.py``).

The deadline ends the remote evaluation too where the server allows it: the dialect passes it
on (Virtuoso: its ``timeout`` parameter), and the HTTP wait is the deadline plus a grace, so that
the server's own "stopped at the deadline" answer arrives and becomes a 504. Without such a
parameter (``oxigraph serve``) only the HTTP wait ends, and the server may go on evaluating.
"""

from __future__ import annotations

import time

import pyoxigraph as ox

from ..errors import DeadlineExceeded, QueryFailed
from ..store.dialects import GRACE, RemoteAnswerError
from . import conneg
from .messages import QueryTask
from .protocol import FORM
from .results import KIND_OF_FORM, Answer, has_dataset_clause, render_graph, render_solutions
from .text import query_form


class RemoteQueries:
    """Queries evaluated by the remote store's server, with the atlas's limits applied."""

    def __init__(self, store):
        import requests

        self._store = store
        self._url = store.query_url
        self._session = requests.Session()

    def run(self, task: QueryTask, deadline: float) -> Answer:
        import requests

        dialect = self._store.dialect
        if (why := dialect.forbidden(task.text)) is not None:
            raise QueryFailed(400, f"malformed query: {why}")
        form = query_form(task.text)
        kind = KIND_OF_FORM.get(form or "", "solutions")
        choice = conneg.negotiate(kind, task.accept, task.format)
        text = f"BASE <{task.base_iri}>\n{task.text}" if task.base_iri else task.text
        default_graphs = named_graphs = None
        if task.default_graphs is not None or task.named_graphs is not None:
            # The protocol's dataset is the whole dataset: what is not named is empty.
            default_graphs, named_graphs = list(task.default_graphs or ()), list(task.named_graphs or ())
        text, dataset, params = dialect.query(
            text, default_graphs=default_graphs, named_graphs=named_graphs, union_default=True,
            has_from=has_dataset_clause(task.text), graphs=self._store.graphs)
        data = [("query", text), *dataset, *dialect.deadline(deadline).items()]
        started = time.monotonic()
        wait = deadline + GRACE
        chunks = []
        try:
            with self._session.post(self._url, data=data, params=params, stream=True, timeout=wait,
                                    headers={"Accept": dialect.canonical[kind], "Content-Type": FORM}) as r:
                for chunk in r.iter_content(1 << 16):
                    chunks.append(chunk)
                    if time.monotonic() - started > wait:
                        raise requests.Timeout()
                body = b"".join(chunks)
                status = r.status_code
                if status < 400:
                    dialect.check(r)
        except requests.Timeout:
            raise self._too_late(deadline) from None
        except RemoteAnswerError as exc:
            if exc.timed_out:
                raise self._too_late(deadline) from None
            raise QueryFailed(502, f"the remote store did not send the whole answer: {exc}") from None
        except requests.RequestException as exc:
            raise QueryFailed(502, f"the remote store cannot be reached: {exc}") from None
        if status >= 500 and time.monotonic() - started >= deadline:
            # Past the deadline the server was told, its error is the deadline's (Virtuoso may
            # answer 500 with the rows it had begun to send).
            raise self._too_late(deadline)
        if status >= 400:
            message = body.decode("utf-8", "replace").strip()[:2000]
            raise QueryFailed(400 if status < 500 else 502, f"the remote store answered {status}: {message}")
        body = dialect.canonical_body(kind, body)
        if kind == "boolean":
            value = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
            return Answer(value.serialize(format=choice.engine_format), choice.content_type, 1)
        if kind == "graph":
            return render_graph(body, choice, task.cap, task.text)
        return render_solutions(body, choice, task.cap)

    @staticmethod
    def _too_late(deadline: float) -> DeadlineExceeded:
        return DeadlineExceeded(504, f"the remote store did not answer within this server's "
                                     f"deadline of {deadline:g} s (TFATLAS_QUERY_TIMEOUT)")

    def close(self) -> None:
        self._session.close()
