"""RDF serialisation formats: names, file extensions and media types in one table."""

import re
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import RdfFormat

from ..errors import InputError


@dataclass(frozen=True)
class Format:
    name: str
    oxigraph: RdfFormat
    extensions: tuple[str, ...]
    media_type: str

    @property
    def has_datasets(self) -> bool:
        return self.oxigraph.supports_datasets


FORMATS = (
    Format("turtle", RdfFormat.TURTLE, (".ttl",), "text/turtle"),
    Format("trig", RdfFormat.TRIG, (".trig",), "application/trig"),
    Format("ntriples", RdfFormat.N_TRIPLES, (".nt",), "application/n-triples"),
    Format("nquads", RdfFormat.N_QUADS, (".nq",), "application/n-quads"),
    Format("jsonld", RdfFormat.JSON_LD, (".jsonld", ".json-ld"), "application/ld+json"),
    Format("rdfxml", RdfFormat.RDF_XML, (".rdf", ".owl", ".xml"), "application/rdf+xml"),
)
_BY_NAME = {f.name: f for f in FORMATS}
_ALIASES = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "nq": "nquads",
            "n-quads": "nquads", "json-ld": "jsonld", "xml": "rdfxml", "rdf/xml": "rdfxml"}


def _strip_compression(path: Path) -> Path:
    return path.with_suffix("") if path.suffix == ".gz" else path


def is_rdf_file(path: Path) -> bool:
    suffix = _strip_compression(path).suffix.lower()
    return any(suffix in f.extensions for f in FORMATS)


def by_name(name: str) -> Format:
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _BY_NAME:
        raise InputError(f"unknown RDF format {name!r}; use one of: {', '.join(_BY_NAME)}")
    return _BY_NAME[key]


def for_path(path: Path, name: str | None = None) -> Format:
    """The format named explicitly, else the one the file extension implies."""
    if name:
        return by_name(name)
    suffix = _strip_compression(path).suffix.lower()
    for f in FORMATS:
        if suffix in f.extensions:
            return f
    raise InputError(
        f"{path}: cannot tell the RDF format from the extension {suffix or '(none)'!r}; "
        f"name it with load --format or validate --rdf-format (one of: {', '.join(_BY_NAME)})"
    )


_PREFIX_LINE = re.compile(rb"@prefix ([A-Za-z][\w.-]*)?: <[^>]*> \.")


def _prefix_use(line: bytes) -> re.Pattern:
    return re.compile(rb"(?<![\w.:/#<=-])" + re.escape(_PREFIX_LINE.fullmatch(line).group(1) or b"") + rb":")


#: Bytes that, just before ``name:``, make it part of a longer token (the lookbehind of _prefix_use).
_INSIDE_TOKEN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/#<=-")


def _starts_token(window: bytes, token: bytes) -> bool:
    """Whether ``token`` occurs in ``window`` where a token starts (as _prefix_use's pattern
    matches; bytes.find is many times faster than that regular expression on large bodies)."""
    at = window.find(token)
    while at != -1:
        if at == 0 or window[at - 1] not in _INSIDE_TOKEN:
            return True
        at = window.find(token, at + 1)
    return False


def used_prefix_lines(header: list[bytes], body_chunks) -> list[bytes]:
    """The ``@prefix`` lines of ``header`` that the body, read in chunks, uses (the rule of
    :func:`without_unused_prefixes`, for files too large to hold in memory)."""
    tokens = {line: (_PREFIX_LINE.fullmatch(line).group(1) or b"") + b":" for line in header}
    used: set[bytes] = set()
    tail = b""
    for chunk in body_chunks:
        window = tail + chunk
        for line, token in tokens.items():
            if line not in used and _starts_token(window, token):
                used.add(line)
        tail = window[-256:]  # a token split between two chunks is seen in the next window
        if len(used) == len(tokens):
            break
    return [line for line in header if line in used]


def without_unused_prefixes(text: bytes) -> bytes:
    """Turtle or TriG without the ``@prefix`` lines its statements do not use.

    The serializer declares every prefix it is given; a reader wants the ones that abbreviate
    something. A prefix counts as used where ``name:`` starts a token (a literal that happens to
    contain one keeps it: too many lines, never a missing one).
    """
    lines = text.split(b"\n")
    header = 0
    while header < len(lines) and _PREFIX_LINE.fullmatch(lines[header]):
        header += 1
    if not header:
        return text
    body = b"\n".join(lines[header:])
    kept = [line for line in lines[:header] if _prefix_use(line).search(body)]
    return b"\n".join(kept + lines[header:])
