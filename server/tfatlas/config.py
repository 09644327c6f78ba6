"""Every setting of the atlas, declared once with its help text.

Precedence, lowest first: built-in defaults, the TOML file (``--config`` or ``TFATLAS_CONFIG``),
``TFATLAS_*`` environment variables, command-line options.
A test checks that every setting here appears in the README's configuration table.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import InputError
from .vocab import MODEL_BASE


def _bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _list(value: str | list) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(v.strip() for v in str(value).split(",") if v.strip())


def _positive(kind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse(value):
        number = kind(value)
        if number <= 0:
            raise ValueError(f"must be greater than 0, got {value!r}")
        return number

    return parse


def _fraction(value: Any) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"must be between 0 and 1, got {value!r}")
    return number


def _str(value: Any) -> str:
    return str(value)


def _sha256_hex(value: Any) -> str:
    # The token itself, or a hash in another form, would silently refuse every update.
    text = str(value).strip().lower()
    if text and not (len(text) == 64 and all(c in "0123456789abcdef" for c in text)):
        raise ValueError("expected the 64 hex digits of a SHA-256 (the hash of the token, not the token)")
    return text


def _allocator(value: Any) -> str:
    from .sparql.allocator import check

    return check(value)


def _one_of(*choices: str) -> Callable[[Any], str]:
    def parse(value):
        text = str(value).strip().lower()
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return text

    return parse


# URL paths of the remote store's query, update and Graph Store endpoints, by dialect.
STORE_LAYOUTS = {"oxigraph": ("/query", "/update", "/store"),
                 "virtuoso": ("/sparql", "/sparql", "/sparql-graph-crud")}


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = _str
    secret: bool = False

    @property
    def env(self) -> str:
        return "TFATLAS_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("store", "var/store", "Directory of the embedded Oxigraph store (created when missing)."),
    Setting("store_url", "", "Base URL of a remote SPARQL 1.1 server; when set it replaces the "
            "embedded store. Oxigraph's layout (/query, /update, /store) is assumed unless the "
            "three URLs below are set, or Virtuoso's (/sparql, /sparql-graph-crud) with store_dialect "
            "virtuoso."),
    Setting("store_query_url", "", "Query endpoint of the remote store (default: STORE_URL/query)."),
    Setting("store_update_url", "", "Update endpoint of the remote store (default: STORE_URL/update)."),
    Setting("store_gsp_url", "", "Graph Store Protocol endpoint of the remote store (default: STORE_URL/store)."),
    Setting("store_dialect", "auto", "What the remote store is: oxigraph (also for Fuseki and other "
            "standard servers), virtuoso (Virtuoso 7.2; see the README), or auto (detected from the "
            "server's first answer).", _one_of("auto", "oxigraph", "virtuoso")),
    Setting("store_timeout", 30.0, "Seconds to wait for the remote store to answer.", _positive(float)),
    Setting("base_iri", MODEL_BASE, "IRI base of the atlas's resources, graphs and ontology."),
    Setting("host", "127.0.0.1", "Interface that `tfatlas serve` listens on."),
    Setting("port", 8080, "Port that `tfatlas serve` listens on.", _positive(int)),
    Setting("threads", 8, "Request threads of the web server (they only ever run complete requests; "
            "reading and writing connections is one event loop's).", _positive(int)),
    Setting("query_timeout", 30.0, "Deadline of one SPARQL query in seconds; evaluation is stopped "
            "when it passes.", _positive(float)),
    Setting("update_timeout", 60.0, "Deadline of one operator's SPARQL Update (and of fetching its LOAD "
            "documents) in seconds; an update with WHERE, ADD, MOVE or COPY runs in a child process that is "
            "stopped when it passes, and nothing is changed (504).", _positive(float)),
    Setting("result_limit", 100000, "Most result rows (or triples) one query may return; more is an "
            "error, never a truncated answer.", _positive(int)),
    Setting("result_cache_mb", 64.0, "Megabytes of serialised SPARQL answers kept in an exact cache keyed "
            "on the store's state (embedded store only); 0 disables it.", lambda v: max(0.0, float(v))),
    Setting("engine_allocator", "auto", "Memory allocator of the query workers: auto (jemalloc or "
            "mimalloc when installed, else glibc's), system (glibc's malloc), or the path of a shared "
            "library to preload.", _allocator),
    Setting("query_workers", 0, "Query slots: queries evaluated at once, on threads of the query "
            "worker processes (0: two per core, at most `threads`).", lambda v: max(0, int(v))),
    Setting("query_processes", 0, "Query worker processes the slots are spread over, each forked from "
            "the one in-memory copy; each process's scanning reads make most of the copy its own, so "
            "memory is about the copy times (1 + 0.85 x processes). A query past its deadline kills "
            "its process; the other queries on it are sent again (0: one when the copy is larger "
            "than 1 GiB, else two).", lambda v: max(0, int(v))),
    Setting("apply_writes", True, "Apply each write to the query workers' in-memory copies; off: "
            "every worker copies the whole store again after a write (the behaviour before issue 10, "
            "kept for bench/write.py --before).", _bool),
    Setting("max_body_bytes", 10 * 1024 * 1024, "Largest request body the server accepts, in bytes.",
            _positive(int)),
    Setting("max_url_bytes", 256 * 1024, "Longest request target (path and query string) the server "
            "reads, in bytes; longer is 414 before the rest arrives. Federating engines send VALUES bind "
            "joins in the URL; longer queries go by POST.", _positive(int)),
    Setting("max_header_bytes", 64 * 1024, "Largest total of a request's header fields, in bytes; more "
            "is 431.", _positive(int)),
    Setting("client_timeout", 30.0, "Seconds a client may take to send one whole request (headers and "
            "body), and that a kept-alive connection may stay idle; then 408 and the connection is "
            "closed.", _positive(float)),
    Setting("max_connections", 1000, "Most connections the server holds open at once; beyond, new "
            "ones wait in the listen queue.", _positive(int)),
    Setting("service_allow", (), "Comma-separated IRI prefixes that SERVICE, LOAD and remote FROM may "
            "reach; empty refuses all.", _list),
    Setting("admin_token_sha256", "", "Hex SHA-256 of the operator's admin bearer token for SPARQL "
            "Update; empty disables updates.", _sha256_hex, secret=True),
    Setting("accounts_file", "", "File of the actors' accounts (SHA-256 of each token, never the token); "
            "empty: accounts.json in the store directory."),
    Setting("write_rate_limit", 60, "Writes per minute one account may send (Graph Store Protocol, SPARQL "
            "Update); more get 429. 0 disables the limit.", lambda v: max(0, int(v))),
    Setting("secret_key", "", "Key that signs the edit page's session cookies and CSRF tokens (/edit/); "
            "keep it secret. Empty: a random key made once and kept in edit-secret.key beside the "
            "accounts file.", secret=True),
    Setting("release_dir", "var/release", "Directory of the open-data release that the server "
            "publishes at /catalog and /downloads/."),
    Setting("publisher", "", "IRI of the atlas organisation that publishes the release; the catalogue "
            "names its GovData contributor ID when the links with GovData give one."),
    Setting("validate_on_load", True, "Refuse data that violates the SHACL shapes when loading.", _bool),
    # Linking with registries (issue 12): the reconciliation service and the link client.
    Setting("reconcile_match_score", 80.0, "Least score (0-100) of a reconciliation candidate that "
            "/reconcile marks as a match.", lambda v: min(max(float(v), 0.0), 100.0)),
    Setting("reconcile_match_margin", 10.0, "Points the best candidate must lead the next by to be "
            "marked as a match.", lambda v: max(float(v), 0.0)),
    Setting("link_accept", 0.9, "Confidence (0-1) from which an unambiguous candidate becomes a link "
            "without review.", _fraction),
    Setting("link_review", 0.75, "Confidence (0-1) from which a candidate waits for review; below it "
            "is dropped.", _fraction),
    Setting("link_timeout", 10.0, "Seconds to wait for a registry to answer one request.", _positive(float)),
    Setting("link_retries", 3, "Attempts per request to a registry (with exponential backoff) "
            "before the run stops.", _positive(int)),
    Setting("link_cache_dir", "var/cache/registries", "Directory of the cache of registry answers; "
            "empty disables it."),
    Setting("wikidata_reconcile_url", "", "Reconciliation API 0.2 service for Wikidata candidates "
            "(e.g. https://wikidata.reconci.link/de/api); empty: look up labels by SPARQL."),
    Setting("wikidata_sparql_url", "https://query.wikidata.org/sparql", "SPARQL endpoint of Wikidata "
            "(or a stand-in) for labels and properties of candidates."),
    Setting("atlas_reconcile_url", "", "Reconciliation API 0.2 service of another atlas (registry "
            "`atlas`), e.g. https://other.example/reconcile."),
    Setting("anschriftenverzeichnis_url", "", "URL of a newer Anschriftenverzeichnis des Bundes JSON "
            "(the shipped snapshot when empty)."),
    Setting("govdata_contributors_url", "", "URL of a newer GovData contributor list (RDF/XML; the "
            "shipped snapshot when empty)."),
    Setting("search_index", "", "Directory of the finder's text index (default: search-index inside "
            "the embedded store's directory; var/search-index for a remote store)."),
    Setting("search_refresh", 300.0, "Seconds between comparisons of a remote store's offers with the "
            "text index, for writes that did not go through the atlas; 0 turns them off (the "
            "embedded store has no other writers).", lambda v: max(0.0, float(v))),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


class Config(Mapping[str, Any]):
    """The effective settings, with where each value came from."""

    def __init__(self, values: dict[str, Any], origins: dict[str, str], config_file: Path | None):
        self._values = values
        self.origins = origins
        self.config_file = config_file

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def replace(self, **overrides: Any) -> "Config":
        values, origins = dict(self._values), dict(self.origins)
        for name, value in overrides.items():
            values[name] = _parse(SETTINGS_BY_NAME[name], value, "override")
            origins[name] = "override"
        return Config(values, origins, self.config_file)

    @property
    def remote(self) -> bool:
        return bool(self._values["store_url"] or self._values["store_query_url"])


def _parse(setting: Setting, raw: Any, origin: str) -> Any:
    try:
        return setting.parse(raw)
    except (TypeError, ValueError) as exc:
        raise InputError(f"setting {setting.name} from {origin}: {exc}") from None


def load_config(
    cli: Mapping[str, Any] | None = None,
    config_file: str | os.PathLike | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    environ = os.environ if environ is None else environ
    values = {s.name: s.default for s in SETTINGS}
    origins = {s.name: "default" for s in SETTINGS}

    path = config_file or environ.get("TFATLAS_CONFIG")
    file_path = Path(path) if path else None
    if file_path is not None:
        try:
            table = tomllib.loads(file_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"configuration file {file_path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"configuration file {file_path}: {exc}") from None
        table = table.get("tfatlas", table)
        for key, raw in table.items():
            setting = SETTINGS_BY_NAME.get(key)
            if setting is None:
                raise InputError(
                    f"configuration file {file_path}: unknown setting {key!r}; "
                    "`tfatlas config` lists the known ones"
                )
            values[key] = _parse(setting, raw, str(file_path))
            origins[key] = str(file_path)

    for setting in SETTINGS:
        if setting.env in environ:
            values[setting.name] = _parse(setting, environ[setting.env], setting.env)
            origins[setting.name] = setting.env

    for key, raw in (cli or {}).items():
        if raw is None:
            continue
        setting = SETTINGS_BY_NAME[key]
        values[key] = _parse(setting, raw, "command line")
        origins[key] = "command line"

    if not values["base_iri"].endswith(("/", "#")):
        values["base_iri"] += "/"
    if values["store_url"]:
        base = values["store_url"].rstrip("/")
        layout = STORE_LAYOUTS.get(values["store_dialect"], STORE_LAYOUTS["oxigraph"])
        for key, suffix in zip(("store_query_url", "store_update_url", "store_gsp_url"), layout):
            if not values[key]:
                values[key] = base + suffix
    return Config(values, origins, file_path)
