"""The atlas as a reconciliation service: the W3C Entity Reconciliation API 0.2, without HTTP.

The web blueprint (``web/blueprints/reconcile.py``) parses requests and renders; everything a
client sees is decided here: the manifest, query batches and their checks, suggest, preview data,
data extension and property proposals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..version import __version__
from . import candidates
from .entities import (KINDS, KINDS_BY_ID, PROPERTIES, PROPERTIES_BY_ID, PROPERTIES_OF_KIND, Entity,
                       EntityIndex)
from .scoring import decide, score
from .text import fold

DEFAULT_LIMIT = 5
MAX_LIMIT = 100
MAX_BATCH = 200
SUGGEST_LIMIT = 10
PREVIEW_WIDTH, PREVIEW_HEIGHT = 400, 160
_QUERY_KEYS = {"query", "type", "limit", "properties", "type_strict"}


class ReconcileError(InputError):
    """A reconciliation request that does not follow the API; the message says what to change."""


@dataclass(frozen=True)
class Settings:
    match_score: float
    match_margin: float


def parse_json(text: str | None, field: str) -> Any:
    if text is None or not text.strip():
        raise ReconcileError(f"the parameter '{field}' is empty; send a JSON document "
                             f"(der Parameter '{field}' ist leer; bitte ein JSON-Dokument senden)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReconcileError(f"'{field}' is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno} "
                             f"('{field}' ist kein JSON)") from None


def _is_property_value(v: Any) -> bool:
    if isinstance(v, (str, bool, int, float)):
        return True
    return isinstance(v, dict) and isinstance(v.get("id"), str) and (
        "name" not in v or isinstance(v["name"], str))


def check_query_batch(batch: Any) -> dict[str, dict]:
    """Refuse what the 0.2 query-batch schema refuses, naming the query and field."""
    if not isinstance(batch, dict):
        raise ReconcileError("a query batch is a JSON object of queries by key "
                             "(ein Abfragestapel ist ein JSON-Objekt)")
    if len(batch) > MAX_BATCH:
        raise ReconcileError(f"at most {MAX_BATCH} queries per batch (höchstens {MAX_BATCH} Abfragen)")
    for key, q in batch.items():
        where = f"query '{key}'"
        if not isinstance(q, dict):
            raise ReconcileError(f"{where} is not an object (Abfrage '{key}' ist kein Objekt)")
        unknown = set(q) - _QUERY_KEYS
        if unknown:
            raise ReconcileError(f"{where} has unknown fields {sorted(unknown)}; known are "
                                 f"{sorted(_QUERY_KEYS)} (unbekannte Felder)")
        if "query" in q and not isinstance(q["query"], str):
            raise ReconcileError(f"{where}: 'query' must be a string ('query' muss Text sein)")
        if "type" in q and not (isinstance(q["type"], str) or (
                isinstance(q["type"], list) and all(isinstance(t, str) for t in q["type"]))):
            raise ReconcileError(f"{where}: 'type' must be a string or a list of strings")
        if "limit" in q and (isinstance(q["limit"], bool) or not isinstance(q["limit"], (int, float))):
            raise ReconcileError(f"{where}: 'limit' must be a number ('limit' muss eine Zahl sein)")
        if "type_strict" in q and q["type_strict"] not in ("any", "should", "all"):
            raise ReconcileError(f"{where}: 'type_strict' is one of any, should, all")
        props = q.get("properties")
        if "properties" in q:
            if not isinstance(props, list) or not all(
                    isinstance(p, dict) and isinstance(p.get("pid"), str) and "v" in p and (
                        _is_property_value(p["v"]) or (
                            isinstance(p["v"], list) and all(_is_property_value(v) for v in p["v"])))
                    for p in props):
                raise ReconcileError(f"{where}: 'properties' is a list of {{\"pid\": ..., \"v\": ...}}")
        if "query" not in q and not props:
            raise ReconcileError(f"{where} needs 'query' or at least one of 'properties' "
                                 f"(Abfrage '{key}' braucht 'query' oder 'properties')")
    return batch


def check_extension_query(query: Any) -> dict:
    if not isinstance(query, dict) or not isinstance(query.get("ids"), list) or not isinstance(
            query.get("properties"), list):
        raise ReconcileError("a data extension query is {\"ids\": [...], \"properties\": [{\"id\": ...}]} "
                             "(eine Erweiterungsabfrage braucht 'ids' und 'properties')")
    if not all(isinstance(i, str) for i in query["ids"]):
        raise ReconcileError("'ids' must be a list of strings")
    for p in query["properties"]:
        if not isinstance(p, dict) or not isinstance(p.get("id"), str) or (
                "settings" in p and not isinstance(p["settings"], dict)):
            raise ReconcileError("each property is {\"id\": ..., \"settings\": {...}}")
    return query


class ReconcileService:
    def __init__(self, store, settings: Settings):
        self.index = EntityIndex(store)
        self.settings = settings
        self.base_iri = store.base_iri

    # -- the manifest ---------------------------------------------------------------------------
    def manifest(self, service_url: str, lang: str = "de") -> dict:
        url = service_url.rstrip("/")
        return {
            "versions": ["0.2"],
            "name": "Transformationsatlas" if lang == "de" else "Transformationsatlas (federal transformation network)",
            "identifierSpace": self.base_iri + "id/",
            "schemaSpace": self.base_iri + "ontology#",
            "documentation": url + "/docs",
            "serviceVersion": __version__,
            "view": {"url": "{{id}}"},
            "preview": {"url": url + "/preview?id={{id}}", "width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
            "defaultTypes": [self._type(k.id, lang) for k in KINDS],
            "suggest": {
                "entity": {"service_url": url, "service_path": "/suggest/entity",
                           "flyout_service_path": "/flyout?id=${id}"},
                "type": {"service_url": url, "service_path": "/suggest/type"},
                "property": {"service_url": url, "service_path": "/suggest/property"},
            },
            "extend": {
                "propose_properties": {"service_url": url, "service_path": "/properties"},
                "property_settings": [{"name": "limit", "label": "Limit", "type": "number", "default": 0,
                                       "help_text": "Most values per property (0: all) / "
                                                    "Höchstzahl der Werte je Eigenschaft (0: alle)"}],
            },
        }

    def _type(self, kind: str, lang: str) -> dict:
        return {"id": kind, "name": KINDS_BY_ID[kind].name(lang)}

    # -- reconciliation -------------------------------------------------------------------------
    def reconcile(self, batch: dict, lang: str = "de") -> dict:
        check_query_batch(batch)
        entities = self.index.entities()
        return {key: {"result": self._candidates(q, entities, lang)} for key, q in batch.items()}

    def _names_of(self, entities: dict[str, Entity]):
        return lambda iri: entities[iri].names() if iri in entities else []

    def rank(self, query: str | None, kinds: list[str], properties: list[tuple[str, str, bool]],
             entities: dict[str, Entity] | None = None):
        """Scored candidates, best first, ``match`` decided (also used by the link client)."""
        entities = entities if entities is not None else self.index.entities()
        pool = candidates.retrieve(entities, query, kinds)
        names_of = self._names_of(entities)
        scored = [score(e, query, kinds, properties, names_of) for e in pool]
        return decide([s for s in scored if s.score > 0], self.settings.match_score, self.settings.match_margin)

    def _candidates(self, q: dict, entities, lang: str) -> list[dict]:
        kinds = q.get("type", [])
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        # A type or property this atlas does not have is no error (the spec's own valid examples
        # name GND's): no candidate has it, so it scores nothing.
        properties: list[tuple[str, str, bool]] = []
        for p in q.get("properties") or ():
            values = p["v"] if isinstance(p["v"], list) else [p["v"]]
            for v in values:
                if isinstance(v, dict):
                    properties.append((p["pid"], v["id"], True))
                else:
                    properties.append((p["pid"], str(v).lower() if isinstance(v, bool) else str(v), False))
        limit = int(min(max(q.get("limit", DEFAULT_LIMIT), 1), MAX_LIMIT))
        ranked = self.rank(q.get("query"), kinds, properties, entities)[:limit]
        return [self._candidate(s, lang) for s in ranked]

    def _candidate(self, scored, lang: str) -> dict:
        e = scored.entity
        out = {"id": e.id, "name": e.name(lang), "score": scored.score, "match": scored.match,
               "type": [self._type(e.kind, lang)],
               "features": [{"id": k, "value": v} for k, v in scored.features.items()]}
        if e.description(lang):
            out["description"] = e.description(lang)[:300]
        return out

    # -- suggest --------------------------------------------------------------------------------
    def suggest_entities(self, prefix: str, kinds: list[str] | None = None, cursor: int = 0,
                         lang: str = "de") -> dict:
        entities = self.index.entities()
        wanted = fold(prefix)
        hits = []
        for e in entities.values():
            if kinds and e.kind not in kinds:
                continue
            if prefix == e.id:
                hits.append((0, 0.0, e))
                continue
            names = [fold(n) for n in e.names()]
            if any(n.startswith(wanted) for n in names):
                hits.append((1, 0.0, e))
            elif wanted and any(wanted in n for n in names):
                hits.append((2, 0.0, e))
        hits.sort(key=lambda h: (h[0], h[2].name(lang)))
        page = hits[cursor:cursor + SUGGEST_LIMIT]
        return {"result": [dict({"id": e.id, "name": e.name(lang), "notable": [self._type(e.kind, lang)]},
                                **({"description": e.description(lang)[:200]} if e.description(lang) else {}))
                           for _, _, e in page]}

    def suggest_types(self, prefix: str, cursor: int = 0, lang: str = "de") -> dict:
        wanted = fold(prefix)
        found = [self._type(k.id, lang) for k in KINDS
                 if not wanted or wanted in fold(k.id) or wanted in fold(k.name("de")) or wanted in fold(k.name("en"))]
        return {"result": found[cursor:cursor + SUGGEST_LIMIT]}

    def suggest_properties(self, prefix: str, cursor: int = 0, lang: str = "de") -> dict:
        wanted = fold(prefix)
        found = [{"id": p.id, "name": p.name(lang)} for p in PROPERTIES
                 if not wanted or wanted in fold(p.id) or wanted in fold(p.name("de")) or wanted in fold(p.name("en"))]
        return {"result": found[cursor:cursor + SUGGEST_LIMIT]}

    # -- preview and flyout ---------------------------------------------------------------------
    def entity(self, iri: str) -> Entity:
        entity = self.index.entities().get(iri)
        if entity is None:
            raise ReconcileError(f"no entity {iri!r} in the atlas (keine solche Ressource im Atlas)")
        return entity

    # -- data extension -------------------------------------------------------------------------
    def propose_properties(self, kind: str, limit: int | None = None, lang: str = "de") -> dict:
        if kind not in KINDS_BY_ID:
            raise ReconcileError(f"unknown type {kind!r}; known types are {', '.join(KINDS_BY_ID)}")
        props = [{"id": pid, "name": PROPERTIES_BY_ID[pid].name(lang)} for pid in PROPERTIES_OF_KIND[kind]]
        out = {"type": kind, "properties": props[:limit] if limit else props}
        if limit:
            out["limit"] = limit
        return out

    def extend(self, query: dict, lang: str = "de") -> dict:
        check_extension_query(query)
        entities = self.index.entities()
        # an unknown property gets no values, as an entity without it would
        meta = [{"id": p["id"], "name": PROPERTIES_BY_ID[p["id"]].name(lang) if p["id"] in PROPERTIES_BY_ID
                 else p["id"]} for p in query["properties"]]
        rows: dict[str, dict] = {}
        for iri in query["ids"]:
            entity = entities.get(iri)
            row = {}
            for p in query["properties"]:
                limit = _setting_limit(p.get("settings") or {})
                values = entity.values.get(p["id"], []) if entity else []
                cells = [self._cell(v, is_iri, entities, lang) for v, is_iri in values]
                row[p["id"]] = cells[:limit] if limit else cells
            rows[iri] = row
        return {"meta": meta, "rows": rows}

    def _cell(self, value: str, is_iri: bool, entities, lang: str) -> dict:
        if not is_iri:
            return {"str": value}
        if value in entities:
            return {"id": value, "name": entities[value].name(lang)}
        return {"str": value}  # an IRI outside the atlas (a web site, a source page)


def _setting_limit(settings: dict) -> int:
    try:
        return max(int(settings.get("limit", 0) or 0), 0)
    except (TypeError, ValueError):
        raise ReconcileError("the setting 'limit' must be a whole number") from None

