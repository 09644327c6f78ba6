"""The finder's result for a text, answered by the index alone: the offers the text and the
concept filters match, in the finder's order, the page explained, and the facets' counts.

The finder orders by (filters matched only through the hierarchy, relevance, title, IRI) and
counts, per facet, the offers each concept would give with the other filters. Both used to ask
the store about every matched offer; here the concepts and titles stored in the index answer
(fields.concept_field, combination_field, title_field), the index's top-k collector finds the
page without listing every match in Python, and the store is asked only about the page's offers.

Filters never change a score: they are added as clauses scoring 0, so an offer's relevance is
the text query's score, as when the text is searched alone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Collection, Iterable, Mapping

import tantivy
from tantivy import Occur, Query

from . import fields

#: The filters of a selection: facet -> (the chosen concept, the concepts that match it).
Filters = Mapping[str, tuple[str, Collection[str]]]


@dataclass
class Selection:
    mode: str  # as Results.mode: "all" words matched, "any" of them, or "none" (no words)
    total: int = 0  # offers that the text and the filters match
    hits: list = field(default_factory=list)  # Hit of the first ``page`` offers, in the finder's order
    ranks: dict[str, int] = field(default_factory=dict)  # per hit: filters it matches only through the hierarchy
    #: facet -> {the concepts an offer names: how many matching offers name exactly these}, among
    #: the offers the text and the *other* filters match.
    combinations: dict[str, dict[tuple[str, ...], int]] = field(default_factory=dict)


def _unscored(query: Query) -> Query:
    return Query.const_score_query(query, 0.0)


def concept_query(schema: tantivy.Schema, facet: str, concepts: Iterable[str]) -> Query:
    """Offers naming any of the concepts for the facet (scoring 0)."""
    return _unscored(Query.term_set_query(schema, fields.concept_field(facet), sorted(concepts)))


def _all_of(queries: list[Query]) -> Query:
    return queries[0] if len(queries) == 1 else Query.boolean_query([(Occur.Must, q) for q in queries])


def filtered(schema: tantivy.Schema, text_query: Query, filters: Filters, skip: str | None = None) -> Query:
    return _all_of([text_query] + [concept_query(schema, f, related) for f, (_, related) in sorted(filters.items())
                                   if f != skip])


def count(searcher: tantivy.Searcher, query: Query) -> int:
    return searcher.search(query, limit=1, count=True).count


def _top(searcher: tantivy.Searcher, query: Query, need: int) -> list[tuple[float, object]]:
    """The ``need`` best (score, address) pairs and every pair tied with the last of them."""
    limit = need
    while True:
        hits = searcher.search(query, limit=limit, count=False).hits
        if len(hits) < limit or hits[-1][0] < hits[need - 1][0]:
            return hits
        limit *= 4


def _levels(schema: tantivy.Schema, filters: Filters) -> list[Query | None]:
    """For each rank (filters matched only through the hierarchy), a query for the offers of that
    rank among those the filters match (None: every such offer has rank 0)."""
    hierarchical = sorted(f for f, (chosen, related) in filters.items() if set(related) != {chosen})
    if not hierarchical:
        return [None]
    exact = {f: concept_query(schema, f, [filters[f][0]]) for f in hierarchical}
    every = _unscored(Query.all_query())  # a clause to match, for a combination of only MustNot
    levels = []
    for rank in range(len(hierarchical) + 1):
        options = [Query.boolean_query([(Occur.Must, every)] + [
            (Occur.MustNot if f in through else Occur.Must, exact[f]) for f in hierarchical])
            for through in itertools.combinations(hierarchical, rank)]
        levels.append(options[0] if len(options) == 1 else Query.boolean_query([(Occur.Should, o) for o in options]))
    return levels


def page(searcher: tantivy.Searcher, schema: tantivy.Schema, text_query: Query, filters: Filters,
         order: Mapping[str, int], iris: Mapping[int, str], size: int, total: int | None = None
         ) -> tuple[int, list[tuple[float, str, object, int]]]:
    """How many offers the text and the filters match (``total``, when known), and the first
    ``size`` of them as (score, IRI, address, rank), ordered by (rank, -score, title order, IRI)."""
    matching = filtered(schema, text_query, filters)
    total = count(searcher, matching) if total is None else total
    last = len(order)
    chosen: list[tuple[float, str, object, int]] = []
    for rank, level in enumerate(_levels(schema, filters)):
        need = size - len(chosen)
        if need <= 0 or len(chosen) >= total:
            break
        hits = _top(searcher, matching if level is None else _all_of([matching, level]), need)
        keys = searcher.fast_field_values("key", [addr for _, addr in hits])
        found = [(score, iris[k], addr, rank) for (score, addr), k in zip(hits, keys) if k in iris]
        found.sort(key=lambda s: (-s[0], order.get(s[1], last), s[1]))
        chosen.extend(found[:need])
    return total, chosen


def combinations(searcher: tantivy.Searcher, text_query: Query, schema: tantivy.Schema, filters: Filters,
                 facets: Iterable[str]) -> dict[str, dict[tuple[str, ...], int]]:
    """For each facet, the concept combinations of the offers that match the text and the other
    filters, counted by one aggregation per distinct set of other filters."""
    groups: dict[str | None, list[str]] = {}
    for facet in facets:
        groups.setdefault(facet if facet in filters else None, []).append(facet)
    size = max(1, searcher.num_docs)
    found: dict[str, dict[tuple[str, ...], int]] = {}
    for skip, members in groups.items():
        # size and segment_size above the number of documents: every combination, exactly counted.
        request = {facet: {"terms": {"field": fields.combination_field(facet), "size": size,
                                     "segment_size": size}} for facet in members}
        answer = searcher.aggregate(filtered(schema, text_query, filters, skip), request)
        for facet in members:
            buckets = answer.get(facet, {})
            if buckets.get("sum_other_doc_count", 0):
                raise RuntimeError(f"the {facet} aggregation left combinations out")
            found[facet] = {tuple(b["key"].split(" ")): b["doc_count"] for b in buckets.get("buckets", ())}
    return found
