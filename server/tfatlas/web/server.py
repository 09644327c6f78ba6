"""Running the app under waitress: no idle or slow client can hold a request thread.

Why waitress (measured with bench/slow_clients.py and bench/server_choice.py, see bench/README)
    gunicorn's gthread worker reads each new request in one of its threads: eight connections
    that send half a request held all eight threads, and every other client, ``/-/health``
    included, waited for as long as they stayed open. Waitress reads every connection in one
    event loop and hands a thread only a request that has fully arrived (headers and body), so
    threads only ever evaluate. What the loop still holds (a connection slot, buffered bytes) is
    bounded here: the request line and the header fields have limits (414 / 431 with a message),
    a request must arrive within ``client_timeout`` seconds, and idle connections are closed.
    With the result cache off, on /sparql at 100k triples (where the engine's work dominates)
    waitress and gthread were alike (median ratio 1.05 over 8 rounds, a loaded machine); at 10k
    (tiny queries, the web layer dominates) waitress was 0.9x, the price of the loop's hand-off
    per answer (bench/README).
    There is no access log (gunicorn wrote one); a reverse proxy in front keeps it.

Shutdown
    SIGTERM and Ctrl-C stop the query workers (a running query is answered 503 at once), give
    running requests a few seconds, close the store and exit 0: a half-sent request is not
    waited for. The workers ignore SIGINT, which a terminal sends to the whole process group:
    the server stops them, and they print no traceback.
"""

from __future__ import annotations

import logging
import signal
import sys
import time

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.utilities import Error, RequestEntityTooLarge, RequestHeaderFieldsTooLarge

from ..config import Config
from ..sparql.allocator import preload_for_workers

SHUTDOWN_GRACE = 3.0  # seconds running requests get after SIGTERM before the process exits


class _Refused(Error):
    """An answer the loop gives without the app: plain text, German and English."""

    def __init__(self, code: int, reason: str, message: str):
        super().__init__(message)
        self.code, self.reason = code, reason

    def to_response(self, ident=None):
        body = (self.body.rstrip() + "\n").encode("utf-8")
        return f"{self.code} {self.reason}", [("Content-Type", "text/plain; charset=utf-8")], body


# code: (reason, English, German); {en}/{de} is the setting's value written in that language.
_REFUSALS = {
    408: ("Request Timeout",
          "The request did not arrive within {en} s ({setting}).",
          "Die Anfrage ist nicht innerhalb von {de} s angekommen ({setting})."),
    413: ("Content Too Large",
          "The request body is larger than this server's limit of {en} bytes ({setting}).",
          "Der Inhalt der Anfrage ist größer als die Grenze dieses Servers von {de} Bytes ({setting})."),
    414: ("URI Too Long",
          "The URL is longer than this server's limit of {en} bytes ({setting}); send a long "
          "SPARQL query by POST.",
          "Die URL ist länger als die Grenze dieses Servers von {de} Bytes ({setting}); lange "
          "SPARQL-Anfragen bitte per POST senden."),
    431: ("Request Header Fields Too Large",
          "The request's header fields are larger than this server's limit of {en} bytes ({setting}).",
          "Die Kopfzeilen der Anfrage sind größer als die Grenze dieses Servers von {de} Bytes ({setting})."),
}
_SETTING = {408: "TFATLAS_CLIENT_TIMEOUT", 413: "TFATLAS_MAX_BODY_BYTES", 414: "TFATLAS_MAX_URL_BYTES",
            431: "TFATLAS_MAX_HEADER_BYTES"}


def _refusal(code: int, limit: float) -> _Refused:
    reason, english, german = _REFUSALS[code]
    en = f"{limit:g}" if code == 408 else f"{limit:,}"
    words = {"en": en, "de": en.replace(",", " ").replace(".", ",").replace(" ", "."), "setting": _SETTING[code]}
    return _Refused(code, reason, english.format(**words) + "\n" + german.format(**words))


# Room for the method and " HTTP/1.1" around the URL on the request line.
_LINE_EXTRA = 32


class _Parser(HTTPRequestParser):
    """Waitress's parser with the atlas's limits for the URL and the header fields, checked as the
    bytes arrive, so an oversized request is refused after the limit, not after it has arrived."""

    max_url = 0
    max_header = 0
    max_body = 0

    def __init__(self, adj):
        super().__init__(adj)
        self.started = time.time()  # when the first byte of this request arrived

    def received(self, data):
        if self.completed or self.body_rcv is not None:
            return self._translated(super().received(data))
        seen = self.header_plus + data
        end = seen.find(b"\n")
        line = seen[:end].rstrip(b"\r") if end >= 0 else seen
        if end < 0 and len(line) > self.max_url + _LINE_EXTRA:
            return self._refuse(_refusal(414, self.max_url), len(data))
        if end >= 0:
            parts = line.split(b" ")
            target = parts[1] if len(parts) == 3 else line
            if len(target) > self.max_url:
                return self._refuse(_refusal(414, self.max_url), len(data))
            head_end = seen.find(b"\r\n\r\n")
            fields = (head_end if head_end >= 0 else len(seen)) - end - 1
            if fields > self.max_header:
                return self._refuse(_refusal(431, self.max_header), len(data))
        return self._translated(super().received(data))

    def _refuse(self, error: Error, consumed: int) -> int:
        self.parse_header(b"GET / HTTP/1.0\r\n")  # as waitress does: a request to answer on
        self.error = error
        self.completed = True
        return consumed

    def _translated(self, consumed: int) -> int:
        # Waitress's own backstops, in the atlas's words.
        if type(self.error) is RequestEntityTooLarge:
            self.error = _refusal(413, self.max_body)
        elif type(self.error) is RequestHeaderFieldsTooLarge:
            self.error = _refusal(431, self.max_header)
        return consumed


# What one send() of an answer is offered. Waitress offers SO_SNDBUF as it was at accept (16 KiB
# on Linux, before autotuning grows the buffer): 45 KB went out in three calls, 1 MB in 64, each
# with waitress's bookkeeping around it (bench/README: issue 14).
SEND_CHUNK = 256 * 1024


class _Channel(HTTPChannel):
    parser_class = _Parser

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sendbuf_len = max(self.sendbuf_len, SEND_CHUNK)


class _Server(TcpWSGIServer):
    channel_class = _Channel
    request_timeout = 30.0

    def maintenance(self, now):
        # A request still arriving after the timeout is a slow client (slowloris drips a header
        # line every few seconds, so it is never idle): it is answered 408 and closed, as
        # waitress answers a request it cannot parse (this runs in the loop, like receiving).
        # First, so that waitress's own idle check below does not close it without an answer.
        cutoff = now - self.request_timeout
        for channel in list(self.active_channels.values()):
            with channel.requests_lock:
                request = channel.request
                if request is None or channel.requests or request.started >= cutoff:
                    continue
                request.error = _refusal(408, self.request_timeout)
                request.completed = True
                channel.requests.append(request)
                channel.request = None
            self.add_task(channel)
        super().maintenance(now)  # idle connections between requests (channel_timeout)


def make_server(app, config: Config) -> _Server:
    """A waitress server for ``app`` with the atlas's limits; ``run()`` serves until stopped."""
    max_url, max_header, max_body = config.max_url_bytes, config.max_header_bytes, config.max_body_bytes
    timeout = float(config.client_timeout)
    parser = type("Parser", (_Parser,), {"max_url": max_url, "max_header": max_header, "max_body": max_body})
    channel = type("Channel", (_Channel,), {"parser_class": parser})
    server_class = type("Server", (_Server,), {"channel_class": channel, "request_timeout": timeout})
    adj = Adjustments(
        host=config.host, port=config.port, threads=config.threads, ident="tfatlas",
        # The parser above refuses first, with a message; these are waitress's own backstops.
        max_request_header_size=max_url + max_header + 2 * _LINE_EXTRA,
        max_request_body_size=max_body + 1,
        channel_timeout=max(1, round(timeout)),
        cleanup_interval=max(1, min(10, round(timeout / 3))),
        connection_limit=config.max_connections,
        asyncore_use_poll=True,  # select() cannot watch more than 1024 sockets
        clear_untrusted_proxy_headers=True,
    )
    return server_class(app, map={}, adj=adj)


def serve(app, config: Config, on_stop=None) -> None:
    """Serve until SIGTERM or SIGINT; ``on_stop`` runs first (it stops the query workers)."""
    server = make_server(app, config)
    # "Task queue depth is N" whenever every thread is busy: a load figure, not a warning.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    def stop(signum, frame):
        if on_stop is not None:
            on_stop()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.run()  # returns on SystemExit, after waitress's dispatcher has stopped its threads
    finally:
        server.task_dispatcher.shutdown(timeout=SHUTDOWN_GRACE)
        server.close()


def run(config: Config, store=None) -> None:
    """`tfatlas serve`: the app over ``store`` (opened from the config when None) until stopped."""
    from .app import create_app

    # The atlas logs through `logging` (tfatlas.*), as waitress does (waitress.*).
    logging.basicConfig(level=logging.INFO,
                        format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s")
    # Before any query worker starts: they inherit it (sparql/allocator.py says why).
    library = preload_for_workers(config.engine_allocator)
    if library is not None:
        logging.getLogger("tfatlas.serve").info("query workers allocate with %s", library)
    app = create_app(config, store=store)
    service = app.extensions.get("tfatlas.query_service")
    if service is not None:  # query workers load the data now, not on the first query
        service.warm_up()
    try:
        serve(app, config, on_stop=service.close if service is not None else None)
    finally:
        app.extensions["tfatlas.store"].close()
    print("tfatlas: stopped", file=sys.stderr)
