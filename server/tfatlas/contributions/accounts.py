"""Accounts of transformation actors: a bearer token per account, only its SHA-256 kept.

The accounts file (JSON) lives in the store's directory (``<store>/accounts.json``) or where the
configuration puts it, never in the RDF: tokens and labels are not public. It is rewritten
atomically (temporary file, fsync, rename) under an ``flock``, so ``tfatlas account add`` works
while ``tfatlas serve`` runs on the same store; the server rereads it when it changes, so a
revoked token stops working with the next request.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from ._deps import InputError
from .errors import Unauthorized
from .terms import actor_graph, actor_iri

TOKEN_PREFIX = "tfa_"
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")


@dataclass(frozen=True)
class Account:
    """Who writes: an actor's account, or the operator (``admin``, every right)."""

    id: str
    actor: str | None  # the actor's IRI (None for the operator)
    graph: str | None  # the one graph the account writes (None: any graph)
    label: str = ""
    admin: bool = False

    @property
    def slug(self) -> str | None:
        return self.graph.rsplit("/", 1)[1] if self.graph else None

    def iri(self, base_iri: str) -> str:
        """The account's IRI in the public history (it names no person)."""
        return f"{base_iri}id/account/{self.id}"


def operator(base_iri: str) -> Account:
    return Account(id="operator", actor=None, graph=None, label="operator", admin=True)


@dataclass
class _Record:
    id: str
    actor: str
    graph: str
    label: str
    sha256: str
    created: str
    revoked: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def actor_of(base_iri: str, actor: str) -> tuple[str, str]:
    """(actor IRI, actor graph IRI) for a slug (``bva``) or an actor IRI under ``<base>id/org/``."""
    prefix = base_iri + "id/org/"
    slug = actor[len(prefix):] if actor.startswith(prefix) else actor
    if "/" in slug or ":" in slug or not _SLUG.match(slug):
        raise InputError(f"{actor!r} is neither an actor slug (lower-case letters, digits, '-') nor an "
                         f"actor IRI under {prefix}")
    return actor_iri(base_iri, slug), actor_graph(base_iri, slug)


class Accounts:
    """The accounts file: add, list, revoke, authenticate."""

    def __init__(self, path: str | os.PathLike, base_iri: str):
        self.path = Path(path)
        self.base_iri = base_iri
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int], dict[str, _Record]] | None = None

    # -- file ------------------------------------------------------------------------------------

    def _read(self) -> list[_Record]:
        try:
            raw = self.path.read_text("utf-8")
        except FileNotFoundError:
            return []
        try:
            return [_Record(**item) for item in json.loads(raw).get("accounts", [])]
        except (ValueError, TypeError, AttributeError) as exc:
            raise InputError(f"{self.path}: not an accounts file ({exc})") from None

    def _write(self, records: list[_Record]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"accounts": [asdict(r) for r in records]}, out, indent=2, ensure_ascii=False)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _change(self, edit):
        """Read, edit and rewrite the file under an exclusive lock (CLI and server may both write)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            records = self._read()
            result = edit(records)
            self._write(records)
        return result

    # -- operations ------------------------------------------------------------------------------

    def add(self, actor: str, label: str = "") -> tuple[Account, str]:
        """A new account for the actor; returns it and its token (shown once, never stored)."""
        iri, graph = actor_of(self.base_iri, actor)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()

        def edit(records: list[_Record]) -> _Record:
            taken = {r.id for r in records}
            new_id = secrets.token_hex(4)
            while new_id in taken:
                new_id = secrets.token_hex(4)
            record = _Record(id=new_id, actor=iri, graph=graph, label=label, sha256=hash_token(token),
                             created=now)
            records.append(record)
            return record

        record = self._change(edit)
        return self._account(record), token

    def list(self) -> list[dict]:
        """Every account with its state (no hashes)."""
        return [{"id": r.id, "actor": r.actor, "graph": r.graph, "label": r.label,
                 "created": r.created, "revoked": r.revoked} for r in self._read()]

    def revoke(self, which: str) -> list[str]:
        """Revoke an account by id, or every account of an actor (slug or IRI); returns the ids."""
        now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()

        def edit(records: list[_Record]) -> list[str]:
            by_id = [r for r in records if r.id == which]
            if not by_id:
                try:
                    iri, _graph = actor_of(self.base_iri, which)
                except InputError:
                    iri = None
                by_id = [r for r in records if r.actor == iri]
            if not by_id:
                raise InputError(f"no account {which!r} (give an account id from `account list`, "
                                 "or an actor's slug or IRI)")
            for record in by_id:
                record.revoked = record.revoked or now
            return [r.id for r in by_id]

        return self._change(edit)

    def authenticate(self, token: str | None) -> Account:
        """The account a bearer token belongs to; Unauthorized (401) when unknown or revoked."""
        if not token or not token.strip():
            raise Unauthorized("This write needs an account token: 'Authorization: Bearer <token>'.",
                               "Für Schreibzugriffe ist ein Konto-Token nötig: "
                               "'Authorization: Bearer <Token>'.")
        digest = hash_token(token)
        record = self._records().get(digest)
        if record is None or not hmac.compare_digest(record.sha256, digest):
            raise Unauthorized("The token belongs to no account; nothing was changed.",
                               "Das Token gehört zu keinem Konto; es wurde nichts geändert.")
        if record.revoked:
            raise Unauthorized(f"The account {record.id} was revoked on {record.revoked}; nothing was "
                               "changed.",
                               f"Das Konto {record.id} wurde am {record.revoked} widerrufen; es wurde "
                               "nichts geändert.")
        return self._account(record)

    def actors(self) -> set[str]:
        """Actor IRIs that have (or had) an account."""
        return {r.actor for r in self._records().values()}

    def _records(self) -> dict[str, _Record]:
        try:
            stat = self.path.stat()
            key = (stat.st_mtime_ns, stat.st_ino)
        except FileNotFoundError:
            return {}
        with self._lock:
            if self._cache is None or self._cache[0] != key:
                self._cache = (key, {r.sha256: r for r in self._read()})
            return self._cache[1]

    @staticmethod
    def _account(record: _Record) -> Account:
        return Account(id=record.id, actor=record.actor, graph=record.graph, label=record.label)
