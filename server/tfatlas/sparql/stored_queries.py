"""Stored queries: the documented SPARQL files in queries/, their typed parameters, and running them.

A query file starts with lines ``#+ `` that form a YAML header (the grlc convention, see
docs/model.md); the rest is SPARQL. Callers' values are checked against the declared types and
bound as RDF terms in ``VALUES`` blocks placed at the start of the query's WHERE clause. Terms are
written by pyoxigraph, so a value can never become query syntax.

Why VALUES at the start of the (first) WHERE group, and not a trailing VALUES clause or pyoxigraph's
``substitutions``: a trailing VALUES is joined after the group's FILTERs, so a filter such as
``FILTER(LANGMATCHES(LANG(?label), ?lang))`` would see ``?lang`` unbound; ``substitutions`` is
an embedded-store-only feature (a remote store cannot take it) and allows one value per variable.
bench/finder.py measures the three side by side.
"""

from __future__ import annotations

import datetime as _dt
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

import pyoxigraph as ox
import yaml

from ..errors import InputError
from ..model.files import model_dir
from ..i18n import pick
from .access import check_outgoing
from ..vocab import MODEL_BASE, SKOS, XSD, scheme_iri
from .text import tokens

TYPES = ("iri", "string", "date", "dateTime", "integer", "boolean")
#: Longest text a string parameter takes; longer values are a client error, not a search.
MAX_STRING = 1000
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")


class QueryDefinitionError(InputError):
    """A query file whose header or body does not follow docs/model.md."""


class ParameterError(InputError):
    """A caller's parameter value that does not fit its declaration; names the parameter."""

    title = "bad parameter"

    def __init__(self, param: str, message: str):
        super().__init__(f"parameter {param!r}: {message}")
        self.param = param


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool = False
    default: Any = None
    enum: tuple[str, ...] | None = None
    scheme: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return pick(self.labels, lang, self.name)


@dataclass(frozen=True)
class StoredQuery:
    name: str
    path: Path
    title: Mapping[str, str]
    description: Mapping[str, str]
    params: Mapping[str, Param]
    sparql: str
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    where_at: int = 0  # offset just after the WHERE group's '{', where VALUES blocks go

    def text(self, key: str, lang: str) -> str:
        return pick(getattr(self, key), lang)


# -- reading query files ------------------------------------------------------------------------

def _bilingual(value: Any, path: Path, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"de": value, "en": value}
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    raise QueryDefinitionError(f"{path}: header field {key!r} must be text or {{de: …, en: …}}")


def _param(name: str, spec: Any, path: Path) -> Param:
    where = f"{path}: parameter {name!r}"
    if not _VAR.match(str(name)):
        raise QueryDefinitionError(f"{where}: not a SPARQL variable name")
    if not isinstance(spec, Mapping):
        raise QueryDefinitionError(f"{where}: expected a mapping with at least 'type'")
    kind = spec.get("type", "string")
    if kind not in TYPES:
        raise QueryDefinitionError(f"{where}: type {kind!r} is not one of {', '.join(TYPES)}")
    enum = spec.get("enum")
    if enum is not None:
        if not isinstance(enum, list) or not enum:
            raise QueryDefinitionError(f"{where}: enum must be a non-empty list")
        enum = tuple(str(v) for v in enum)
    default = spec.get("default")
    if default is not None:
        default = str(default).lower() if isinstance(default, bool) else str(default)
    labels = {lang: str(spec[lang]) for lang in ("de", "en") if lang in spec}
    param = Param(name=str(name), type=kind, required=bool(spec.get("required", False)),
                  default=default, enum=enum, scheme=spec.get("scheme"), labels=labels)
    if default is not None:
        try:
            parse_value(param, default)
        except ParameterError as exc:
            raise QueryDefinitionError(f"{where}: default {default!r} is invalid: {exc}") from None
    return param


FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def parse_query_file(path: Path, base_iri: str = MODEL_BASE) -> StoredQuery:
    """The query of one file, its IRIs under ``base_iri``.

    Query files are written, like the model, with ``MODEL_BASE``; under another configured base
    the data is rebased when loaded (model/rebase.py), so the queries' text (prefixes, IRIs in the
    body, parameter enums) is rebased here the same way, or they would match nothing.
    """
    text = path.read_text(encoding="utf-8")
    if base_iri != MODEL_BASE:
        text = text.replace(MODEL_BASE, base_iri)
    header_lines, body_lines = [], []
    for line in text.splitlines():
        if line.startswith("#+ ") or line.rstrip() == "#+":
            header_lines.append(line[3:])
        else:
            body_lines.append(line)
    try:
        header = yaml.safe_load("\n".join(header_lines)) or {}
    except yaml.YAMLError as exc:
        raise QueryDefinitionError(f"{path}: the '#+' header is not valid YAML: {exc}") from None
    if not isinstance(header, Mapping):
        raise QueryDefinitionError(f"{path}: the '#+' header must be a YAML mapping")
    params_spec = header.get("params") or {}
    if not isinstance(params_spec, Mapping):
        raise QueryDefinitionError(f"{path}: 'params' must be a mapping of parameter names")
    sparql = "\n".join(body_lines).strip() + "\n"
    form = next((t.text.upper() for t in tokens(sparql) if t.is_word(*FORMS)), None)
    if form is None:
        raise QueryDefinitionError(f"{path}: no SELECT, ASK, CONSTRUCT or DESCRIBE in the query")
    params = {str(n): _param(n, s, path) for n, s in params_spec.items()}
    query = StoredQuery(
        name=path.stem, path=path, title=_bilingual(header.get("title"), path, "title") or {"de": path.stem},
        description=_bilingual(header.get("description"), path, "description"),
        params=params, sparql=sparql, form=form,
        # Found once here: a body without a WHERE group fails when read, not at the first request.
        where_at=where_brace(sparql, path))
    return query


def discover(directory: Path | None = None, base_iri: str = MODEL_BASE) -> dict[str, StoredQuery]:
    """Every stored query of the atlas by name (the file stem), sorted by name, under ``base_iri``."""
    directory = directory or model_dir("queries")
    if not directory.is_dir():
        return {}
    found = {}
    for path in sorted(directory.glob("*.rq")):
        if not _NAME.match(path.stem):
            raise QueryDefinitionError(f"{path}: query names are letters, digits, '-' and '_'")
        found[path.stem] = parse_query_file(path, base_iri)
    return found


class Catalogue:
    """The stored queries, re-read when a file in queries/ changes (cheap: one stat per file)."""

    #: Seconds between two looks at the directory; a request in between uses what was read.
    CHECK_EVERY = 1.0

    def __init__(self, directory: Path | None = None, base_iri: str = MODEL_BASE):
        self.directory = directory or model_dir("queries")
        self.base_iri = base_iri
        self._stamp: tuple | None = None
        self._checked = float("-inf")
        self._queries: dict[str, StoredQuery] = {}

    def _current_stamp(self) -> tuple:
        if not self.directory.is_dir():
            return ()
        return tuple((p.name, p.stat().st_mtime_ns) for p in sorted(self.directory.glob("*.rq")))

    def all(self) -> dict[str, StoredQuery]:
        now = time.monotonic()
        if now - self._checked >= self.CHECK_EVERY:
            stamp = self._current_stamp()
            if stamp != self._stamp:
                self._queries = discover(self.directory, self.base_iri)
                self._stamp = stamp
            self._checked = now
        return self._queries

    def get(self, name: str) -> StoredQuery | None:
        return self.all().get(name)


# -- locating the WHERE clause -------------------------------------------------------------------

def where_brace(sparql: str, path: Path | str = "query") -> int:
    """Offset just after the '{' of the first group opened by the keyword WHERE, else of the first group.

    A query chooses where its parameters are bound by where it writes its first WHERE: a query that
    aggregates in a subquery and looks labels up around it leaves the keyword out of the outer
    group (SPARQL allows that), so the VALUES blocks land in the subquery and Oxigraph starts its
    joins and paths from the bound values (who-helps at 100k triples: 1.8 s -> tens of ms).
    """
    first_brace = None
    after_where = False
    for token in tokens(sparql):  # the endpoint's lexer: strings, IRIs and comments are skipped
        if token.kind == "open":
            if after_where:
                return token.start + 1
            if first_brace is None:
                first_brace = token.start + 1
        elif token.is_word("WHERE"):
            after_where = True
    if first_brace is None:
        raise QueryDefinitionError(f"{path}: the query has no WHERE group '{{ … }}'")
    return first_brace


def with_values(sparql: str, bindings: Mapping[str, Iterable[ox.Term]], at: int | None = None) -> str:
    """The query with one ``VALUES ?name { … }`` block per bound parameter, first in its WHERE group.

    Several values for one parameter are alternatives; blocks of different parameters are joined.
    ``at`` is the offset from where_brace when the caller has it already.
    """
    if not bindings:
        return sparql
    blocks = []
    for name, terms in bindings.items():
        if not _VAR.match(name):
            raise ValueError(f"not a variable name: {name!r}")
        blocks.append(f"VALUES ?{name} {{ {' '.join(str(t) for t in terms)} }}")
    at = where_brace(sparql) if at is None else at
    return sparql[:at] + "\n  " + "\n  ".join(blocks) + "\n" + sparql[at:]


# -- parameter values ---------------------------------------------------------------------------

def parse_iri(value: str, param: str = "iri") -> ox.NamedNode:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ParameterError(param, f"expected an absolute http(s) IRI, got {value!r}")
    try:
        return ox.NamedNode(value)
    except ValueError as exc:
        raise ParameterError(param, f"not a valid IRI: {exc}") from None


def parse_value(param: Param, raw: str) -> ox.Term:
    """The RDF term for one raw value, or a ParameterError saying what is expected."""
    name = param.name
    if param.enum is not None and raw not in param.enum:
        raise ParameterError(name, f"{raw!r} is not one of {', '.join(param.enum)}")
    if param.type == "iri":
        return parse_iri(raw, name)
    if param.type == "string":
        if len(raw) > MAX_STRING:
            raise ParameterError(name, f"longer than {MAX_STRING} characters")
        if "\x00" in raw:
            raise ParameterError(name, "contains a NUL character")
        return ox.Literal(raw)
    if param.type == "integer":
        if not _INTEGER.match(raw):
            raise ParameterError(name, f"expected an integer, got {raw!r}")
        return ox.Literal(str(int(raw)), datatype=ox.NamedNode(XSD + "integer"))
    if param.type == "boolean":
        lowered = raw.strip().lower()
        if lowered not in ("true", "false", "1", "0"):
            raise ParameterError(name, f"expected true or false, got {raw!r}")
        return ox.Literal("true" if lowered in ("true", "1") else "false",
                          datatype=ox.NamedNode(XSD + "boolean"))
    if param.type == "date":
        try:
            value = _dt.date.fromisoformat(raw)
        except ValueError:
            raise ParameterError(name, f"expected a date YYYY-MM-DD, got {raw!r}") from None
        return ox.Literal(value.isoformat(), datatype=ox.NamedNode(XSD + "date"))
    if param.type == "dateTime":
        try:
            value = _dt.datetime.fromisoformat(raw)
        except ValueError:
            raise ParameterError(name, f"expected a date and time YYYY-MM-DDThh:mm:ss, got {raw!r}") from None
        return ox.Literal(value.isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))
    raise ParameterError(name, f"unsupported type {param.type!r}")  # excluded by _param


_IN_SCHEME = f"ASK {{ ?concept <{SKOS}inScheme> ?scheme }}"
_IN_SCHEME_AT = where_brace(_IN_SCHEME)


def in_scheme(store, concept: ox.NamedNode, scheme: str) -> bool:
    query = with_values(_IN_SCHEME, {"concept": [concept],
                                     "scheme": [ox.NamedNode(scheme_iri(store.base_iri, scheme))]},
                        _IN_SCHEME_AT)
    return bool(store.query(query))


#: Names that are never query parameters: they steer the response, not the query.
RESERVED = ("_format", "_lang")


def bind(query: StoredQuery, args: Mapping[str, list[str]], store=None,
         member=None) -> dict[str, list[ox.Term]]:
    """Check the caller's arguments against the query's declaration; the terms to bind.

    ``args`` maps each parameter name to the list of values given (a query string may repeat a
    name). Unknown names, missing required values and wrong types raise ParameterError.
    ``member(concept, scheme)`` answers scheme membership instead of asking ``store`` (a cache).
    """
    if member is None and store is not None:
        def member(concept, scheme):
            return in_scheme(store, concept, scheme)
    for name in args:
        if name not in query.params and name not in RESERVED:
            known = ", ".join(query.params) or "none"
            raise ParameterError(name, f"unknown parameter (this query takes: {known})")
    bindings: dict[str, list[ox.Term]] = {}
    for name, param in query.params.items():
        values = [v for v in args.get(name, []) if v != ""]
        if len(values) > 1:
            raise ParameterError(name, "give this parameter at most once")
        if not values and param.default is not None:
            values = [param.default]
        if not values:
            if param.required:
                raise ParameterError(name, "is required")
            continue
        term = parse_value(param, values[0])
        if param.scheme and member is not None and not member(term, param.scheme):
            raise ParameterError(name, f"<{values[0]}> is not a concept of the scheme {param.scheme!r}")
        bindings[name] = [term]
    return bindings


def run(store, query: StoredQuery, bindings: Mapping[str, list[ox.Term]], allow: tuple[str, ...] | None = None):
    """Evaluate a stored query with its bound parameters over the union of all graphs.

    ``allow``: the SERVICE allow-list; a stored query that federates with a registry off the list
    is refused (403) as the same text sent to /sparql would be.
    """
    text = with_values(query.sparql, bindings, query.where_at)
    if allow is not None:
        check_outgoing(text, allow, store.base_iri)
    return store.query(text)
