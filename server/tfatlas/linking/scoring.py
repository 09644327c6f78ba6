"""The one matching method, for the service and the client alike (documented in the README).

Score 0 to 100:
- name: the best ``text.similarity`` of the query with any name of the candidate (label, short
  name, former name, and each without its parenthesised short name) times 100; a query that is a
  short name ("BAköV") and abbreviates a name part by part scores at least 90;
- type: a candidate of another type than asked is halved (as the Wikidata service does);
- properties: each given property scores 0 to 100 (texts by similarity, web sites by host,
  resources by IRI or by name); the score is the mean of the name (weight 2) and the properties
  (weight 1 each); without a query text, the mean of the properties.

``match`` is true only for the best candidate, when it scores at least ``match_score`` and leads
the next by at least ``match_margin`` (lobid-gnd uses 50 and 5; we ask more, since an automatic
match here becomes a link).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .entities import Entity
from .text import fold, host, is_abbreviation, is_acronym_of, similarity

ABBREVIATION_SCORE = 90.0
WRONG_TYPE_FACTOR = 0.5
NAME_WEIGHT = 2.0


@dataclass
class Scored:
    entity: Entity
    score: float
    features: dict[str, float] = field(default_factory=dict)
    match: bool = False


def name_score(query: str, names: Iterable[str], abbreviations: bool = True) -> float:
    """``abbreviations=False`` when both sides are names from registries: a short name of one
    ("BMV") abbreviates other bodies' names too ("Bundesministerium der Verteidigung")."""
    best = 0.0
    abbreviation = abbreviations and is_abbreviation(query)
    for name in names:
        value = similarity(query, name) * 100
        if abbreviation and value < ABBREVIATION_SCORE and is_acronym_of(query, name):
            value = ABBREVIATION_SCORE
        best = max(best, value)
    return best


def value_score(wanted: str, wanted_is_id: bool, entity: Entity, pid: str,
                names_of: "callable[[str], list[str]]") -> float:
    """0 to 100: how well one given value agrees with the candidate's values of ``pid``."""
    best = 0.0
    for value, is_iri in entity.values.get(pid, ()):
        if pid == "homepage":
            score = 100.0 if host(value) == host(wanted) else 0.0
        elif is_iri:
            if wanted == value:
                score = 100.0
            elif wanted_is_id:
                score = 0.0
            else:  # a name given for a resource: compare with that resource's names
                score = name_score(wanted, names_of(value) or [value])
        else:
            score = 100.0 if fold(wanted) == fold(value) else similarity(wanted, value) * 100
        best = max(best, score)
    return best


def score(entity: Entity, query: str | None, kinds: Sequence[str],
          properties: Sequence[tuple[str, str, bool]], names_of) -> Scored:
    """``properties``: (property id, value, value is an identifier)."""
    features: dict[str, float] = {}
    parts: list[tuple[float, float]] = []
    if query:
        features["name"] = round(name_score(query, entity.names()), 2)
        parts.append((features["name"], NAME_WEIGHT))
    for pid, value, is_id in properties:
        key = f"property:{pid}"
        features[key] = max(features.get(key, 0.0), round(value_score(value, is_id, entity, pid, names_of), 2))
    parts.extend((features[k], 1.0) for k in features if k.startswith("property:"))
    total = sum(v * w for v, w in parts) / sum(w for _, w in parts) if parts else 0.0
    if kinds:
        features["type"] = 1.0 if entity.kind in kinds else 0.0
        if not features["type"]:
            total *= WRONG_TYPE_FACTOR
    return Scored(entity, round(total, 2), features)


def decide(ranked: list[Scored], match_score: float, match_margin: float) -> list[Scored]:
    """Sort by score and set ``match`` on the best when it is clearly ahead."""
    ranked.sort(key=lambda s: (-s.score, s.entity.id))
    if ranked:
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        ranked[0].match = ranked[0].score >= match_score and ranked[0].score - runner_up >= match_margin
    return ranked


def is_clear(ranked: list[Scored], match_score: float, match_margin: float) -> bool:
    return bool(ranked) and decide(ranked, match_score, match_margin)[0].match
