"""/-/metrics for Prometheus: requests, latency, query timeouts, store size.

Each app has its own registry, so several apps in one process (tests) never clash.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

bp = Blueprint("metrics", __name__, url_prefix="/-")


class Metrics:
    def __init__(self, app: Flask):
        self.registry = CollectorRegistry()
        self.requests = Counter("tfatlas_http_requests", "HTTP requests answered.",
                                ["endpoint", "operation", "status"], registry=self.registry)
        self.latency = Histogram("tfatlas_http_request_seconds", "Time to answer an HTTP request.",
                                 ["endpoint", "operation"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.timeouts = Counter("tfatlas_sparql_timeouts", "SPARQL queries stopped at the deadline.",
                                registry=self.registry)
        self.triples = Gauge("tfatlas_store_triples", "Triples in the store (all graphs).",
                             registry=self.registry)
        self.graphs = Gauge("tfatlas_store_graphs", "Named graphs in the store.", registry=self.registry)
        self.workers = Gauge("tfatlas_query_workers", "Query slots (threads of the query worker processes) "
                             "by where their copy of the data is (memory: full speed; disk: a copy is "
                             "being made).", ["data"],
                             registry=self.registry)
        self.copies = Gauge("tfatlas_query_worker_copies", "Copies of the whole store made in memory "
                            "for the query workers (by the zygote they are forked from: at start, after "
                            "a load, or when a write cannot be applied).",
                            registry=self.registry)
        self.applied = Gauge("tfatlas_query_worker_applied_writes", "Writes applied to a query "
                             "worker's copy instead of copying the store again (per worker).",
                             registry=self.registry)
        self.resent = Gauge("tfatlas_query_resent", "Queries sent again to another slot because the "
                            "process they ran on was stopped for another query past its deadline.",
                            registry=self.registry)
        app.before_request(self._start)
        app.after_request(self._finish)

    @staticmethod
    def _start() -> None:
        g.tfatlas_started = time.perf_counter()

    def _finish(self, response):
        started = g.pop("tfatlas_started", None)
        if started is None:
            return response
        endpoint = request.endpoint or "unmatched"
        operation = request.environ.get("tfatlas.operation", "")
        self.requests.labels(endpoint, operation, str(response.status_code)).inc()
        self.latency.labels(endpoint, operation).observe(time.perf_counter() - started)
        if request.environ.get("tfatlas.timeout"):
            self.timeouts.inc()
        return response


def init_app(app: Flask) -> None:
    app.extensions["tfatlas.metrics"] = Metrics(app)


@bp.get("/metrics")
def metrics():
    collected = current_app.extensions["tfatlas.metrics"]
    service = current_app.extensions.get("tfatlas.query_service")
    if service is not None:
        # Cached per state of the store, so scraping does not re-count a large store.
        stats = service.stats()
        collected.triples.set(stats.triples)
        collected.graphs.set(len([name for name in stats.graphs if name]))
        if service.pool is not None:
            for where, count in service.pool.status().items():
                collected.workers.labels(where).set(count)
            collected.copies.set(service.pool.copies)
            collected.applied.set(service.pool.applied)
            collected.resent.set(service.pool.resent)
    return Response(generate_latest(collected.registry), content_type=CONTENT_TYPE_LATEST)
