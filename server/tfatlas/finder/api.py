"""The finder's JSON form (GET /api/finder): the same search, filters, facets and ranked offers
as the page, for other portals to embed; and its OpenAPI description."""

from __future__ import annotations

from .search import FACETS, PAGE_SIZE, TEXT_PARAM, Result

PATH = "/api/finder"


def _pieces(marks: list[tuple[str, bool]]) -> list[dict]:
    return [{"text": text, "match": marked} for text, marked in marks]


def result_json(result: Result) -> dict:
    search = result.search
    return {
        "query": {"q": search.q, "lang": search.lang, "filters": dict(sorted(search.filters.items()))},
        "total": result.total,
        "pageSize": PAGE_SIZE,
        "textMode": result.text_mode or None,
        "offers": [{
            "iri": o.iri, "label": o.label, "exact": o.exact, "related": o.rank > 0,
            "matches": o.why, "title": _pieces(o.title_marks), "snippet": _pieces(o.snippet),
            "description": o.description,
            "provider": {"iri": o.provider[0], "label": o.provider[1]} if o.provider else None,
            "offerTypes": o.offer_types, "deliveryModes": o.delivery_modes, "costModels": o.cost_models,
            "audiences": o.audiences, "topics": o.topics, "challenges": o.challenges,
            "page": o.page, "email": o.email, "contactUrl": o.contact_url,
        } for o in result.offers],
        "facets": {name: [{"iri": v.iri, "label": v.label, "depth": v.depth, "count": v.count,
                           "selected": v.selected} for v in values]
                   for name, values in result.facets.items()},
        "relax": [{"parameter": r.param, "label": r.label, "value": r.value, "count": r.count}
                  for r in result.relax],
        "experts": [{"iri": e.iri, "label": e.label, "expertise": e.expertise} for e in result.experts],
    }


_STRINGS = {"type": "array", "items": {"type": "string"}}
_PIECES = {"type": "array", "items": {"type": "object", "required": ["text", "match"], "properties": {
    "text": {"type": "string"}, "match": {"type": "boolean"}}}}
_NULLABLE_STRING = {"type": ["string", "null"]}

RESULT_SCHEMA = {
    "type": "object",
    "required": ["query", "total", "pageSize", "textMode", "offers", "facets", "relax", "experts"],
    "properties": {
        "query": {"type": "object", "required": ["q", "lang", "filters"], "properties": {
            "q": {"type": "string"}, "lang": {"type": "string", "enum": ["de", "en"]},
            "filters": {"type": "object", "additionalProperties": {"type": "string"}}}},
        "total": {"type": "integer", "minimum": 0, "description": "All matching offers; at most pageSize are listed."},
        "pageSize": {"type": "integer"},
        "textMode": {"type": ["string", "null"], "enum": ["all", "any", "none", None],
                     "description": "null: no q; all: offers with every word of q; any: no offer has them "
                                    "all, these have some; none: q has no word to search for."},
        "offers": {"type": "array", "description": "Best first: exact filter matches, then by relevance to q.",
                   "items": {"type": "object", "required": ["iri", "label", "exact", "related", "matches"],
                             "properties": {
                                 "iri": {"type": "string"}, "label": {"type": "string"},
                                 "exact": {"type": "boolean", "description": "Every filter matched exactly and q is one of the offer's names or its concepts' names."},
                                 "related": {"type": "boolean", "description": "A filter matched through a broader or narrower concept."},
                                 "matches": {**_STRINGS, "description": "Where q matched, in the reader's language (\"Treffer im Titel\", \"über das Thema KI\")."},
                                 "title": _PIECES, "snippet": _PIECES, "description": {"type": "string"},
                                 "provider": {"type": ["object", "null"], "properties": {
                                     "iri": {"type": "string"}, "label": {"type": "string"}}},
                                 "offerTypes": _STRINGS, "deliveryModes": _STRINGS, "costModels": _STRINGS,
                                 "audiences": _STRINGS, "topics": _STRINGS, "challenges": _STRINGS,
                                 "page": _NULLABLE_STRING, "email": _NULLABLE_STRING,
                                 "contactUrl": _NULLABLE_STRING}}},
        "facets": {"type": "object", "additionalProperties": {"type": "array", "items": {
            "type": "object", "required": ["iri", "label", "depth", "count", "selected"], "properties": {
                "iri": {"type": "string"}, "label": {"type": "string"}, "depth": {"type": "integer"},
                "count": {"type": "integer"}, "selected": {"type": "boolean"}}}}},
        "relax": {"type": "array", "items": {"type": "object"}},
        "experts": {"type": "array", "items": {"type": "object"}},
    },
}


def operation() -> dict:
    params = [{"name": TEXT_PARAM, "in": "query", "required": False,
               "description": "Free text, German or English (at most 200 characters).",
               "schema": {"type": "string", "maxLength": 200}},
              {"name": "lang", "in": "query", "required": False,
               "description": "Language of labels and explanations (default: Accept-Language, then de).",
               "schema": {"type": "string", "enum": ["de", "en"]}}]
    for facet in FACETS:
        params.append({"name": facet.name, "in": "query", "required": False,
                       "description": f"{facet.labels['en']}: a concept of the scheme '{facet.scheme}'.",
                       "schema": {"type": "string", "format": "iri", "pattern": "^https?://"}})
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "operationId": "finder",
        "summary": "The finder: offers for a text and filters, ranked, with facets",
        "description": ("The JSON form of the finder page /: the same parameters, facet counts and "
                        "ranked offers, each saying where the text matched."),
        "tags": ["finder"],
        "parameters": params,
        "responses": {
            "200": {"description": "The finder's result.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FinderResult"}}}},
            "400": {"description": "A parameter has a wrong value; the answer names it.", **error},
        },
    }


def add_to(description: dict) -> dict:
    """The OpenAPI description with the finder's path and schema added."""
    description["paths"][PATH] = {"get": operation()}
    description["components"]["schemas"]["FinderResult"] = RESULT_SCHEMA
    return description
