"""Running the app under gunicorn, a production WSGI server."""

from __future__ import annotations

import logging

from gunicorn.app.base import BaseApplication

from ..config import Config


class _Gunicorn(BaseApplication):
    def __init__(self, config: Config):
        self._config = config
        super().__init__()

    def load_config(self):
        # One worker process: the embedded store can be opened by one process only;
        # threads give the concurrency (Oxigraph releases the GIL while it evaluates).
        self.cfg.set("bind", f"{self._config.host}:{self._config.port}")
        self.cfg.set("workers", 1)
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", self._config.threads)
        self.cfg.set("timeout", 0)
        # Federating engines and SPARQLWrapper send long queries in the URL (VALUES bind joins).
        self.cfg.set("limit_request_line", 0)
        self.cfg.set("accesslog", "-")
        # One shared default path (~/.gunicorn/gunicorn.ctl) would let two atlases on one machine
        # take each other's control socket; the atlas does not use gunicornc.
        self.cfg.set("control_socket_disable", True)

    def load(self):
        from .app import create_app

        app = create_app(self._config)
        service = app.extensions.get("tfatlas.query_service")
        if service is not None:  # query workers load the data now, not on the first query
            service.warm_up()
        return app


def run(config: Config) -> None:
    # The atlas logs through `logging` (tfatlas.*); gunicorn keeps its own access and error logs.
    logging.basicConfig(level=logging.INFO,
                        format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s")
    _Gunicorn(config).run()
