"""The finder: who helps with which challenge, how, at what cost, for whom.

Core only (no Flask). A search is a set of concept filters (one concept per facet) and free text.
An offer matches a filter exactly (it names the concept), or through the concept hierarchy (it
names a narrower or a broader concept); exact matches rank first. Facet counts say how many
offers a choice would give together with the other filters. With the text index
(tfatlas.search), a search with text is answered by it: matches, order, facet counts, and the
store is asked only about the page's offers. Without it, free text is compared by SPARQL after
folding case and umlaut spelling on both sides (Ä/ä/ae, ß/ss), so "Agilitaet" finds "Agilität".

Every value from a request reaches SPARQL only as a term written by pyoxigraph inside a VALUES
block; concept filters are also checked against the concept schemes before any query runs.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import pyoxigraph as ox

from ..errors import InputError
from ..i18n import DEFAULT_LANGUAGE, LANGUAGES, pick
from ..search.analysis import fold  # lower case, umlauts spelt out: how text is compared and ordered
from ..vocab import DCAT, DCT, FOAF, RDFS, SKOS, VCARD, scheme_iri, tfa


def _prefixes(base_iri: str) -> str:
    names = {"tfa": tfa(base_iri), "skos": SKOS, "rdfs": RDFS, "dct": DCT, "dcat": DCAT, "foaf": FOAF,
             "vcard": VCARD}
    return "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in names.items())


def _run(store, query: str):
    """Evaluate a query of this module: ``tfa:`` is the ontology of the store's base IRI."""
    return store.query(_prefixes(store.base_iri) + query)


#: Most offers listed on one page; the count of all matches is always shown.
PAGE_SIZE = 50
MAX_TOKENS = 8


@dataclass(frozen=True)
class Facet:
    name: str  # the URL parameter
    scheme: str  # the concept scheme's name (docs/model.md)
    prop: str  # the offer's property that names a concept of the scheme (a prefixed name)
    labels: Mapping[str, str]

    def label(self, lang: str) -> str:
        return self.labels[lang]


FACETS = (
    Facet("challenge", "challenges", "tfa:addressesChallenge", {"de": "Herausforderung", "en": "Challenge"}),
    Facet("topic", "topics", "tfa:hasTopic", {"de": "Thema", "en": "Topic"}),
    Facet("audience", "target-groups", "dct:audience", {"de": "Zielgruppe", "en": "Target group"}),
    Facet("mode", "delivery-modes", "tfa:deliveryMode", {"de": "Durchführung", "en": "Delivery mode"}),
    Facet("cost", "cost-models", "tfa:costModel", {"de": "Kosten", "en": "Cost model"}),
)
FACETS_BY_NAME = {f.name: f for f in FACETS}
TEXT_PARAM = "q"


class FinderInputError(InputError):
    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


# -- text folding -------------------------------------------------------------------------------

_UMLAUTS = {"ae": "ä", "oe": "ö", "ue": "ü", "ss": "ß"}
_DIGRAPHS = re.compile("(ae|oe|ue|ss)")
#: Most digraphs of one word spelt both ways (2**4 = 16 spellings); later ones stay spelt out.
_MAX_DIGRAPHS = 4


def spellings(token: str) -> list[str]:
    """Every spelling of a folded word that folds back to it: "agilitaet" -> agilitaet, agilität.

    The data is compared in lower case against these, which costs the engine a CONTAINS per
    spelling instead of a chain of regular-expression REPLACEs over every label of the store.
    """
    parts = _DIGRAPHS.split(token)
    options, varied = [], 0
    for index, part in enumerate(parts):
        if index % 2 == 1 and varied < _MAX_DIGRAPHS:
            options.append((part, _UMLAUTS[part]))
            varied += 1
        else:
            options.append((part,))
    return sorted({"".join(choice) for choice in itertools.product(*options)})


def _text_filter(var: str, token: str) -> str:
    """A FILTER that holds when ``var`` contains the token in any spelling (terms by pyoxigraph)."""
    tests = " || ".join(f"CONTAINS(LCASE(STR({var})), {ox.Literal(s)})" for s in spellings(token))
    return f"FILTER({tests})"


def words(q: str) -> list[str]:
    """The folded words of a search text that it searches for (at most MAX_TOKENS)."""
    return [fold(t) for t in q.split()][:MAX_TOKENS]


# -- values derived from the store's state -------------------------------------------------------

class StateCache:
    """Values computed only from the store's contents (concept schemes, facet counts, text matches),
    kept for one state of the store: the generation its owner bumps after every write.

    Exact, never stale: a value is kept under the generation read *before* computing it, and a new
    generation empties the cache; a value computed across a write is stored under the older
    generation, which no later request asks for. Without a generation (a remote store that others
    may change), nothing is kept.
    """

    def __init__(self, max_entries: int = 512):
        self.max_entries = max_entries
        self._generation: object = None
        self._values: dict = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, generation, key, compute):
        if generation is None:
            return compute()
        with self._lock:
            if generation != self._generation:
                self._generation, self._values = generation, {}
            if key in self._values:
                self.hits += 1
                return self._values[key]
            self.misses += 1
        value = compute()
        with self._lock:
            if self._generation == generation and len(self._values) < self.max_entries:
                self._values[key] = value
        return value


@dataclass(frozen=True)
class StoreState:
    """A cache and the generation of the store's state that a request reads."""
    cache: StateCache
    generation: object

    def get(self, key, compute):
        return self.cache.get(self.generation, key, compute)


_NO_CACHE = StoreState(StateCache(0), None)


# -- concepts -----------------------------------------------------------------------------------

@dataclass
class Concept:
    iri: str
    labels: dict[str, str] = field(default_factory=dict)
    broader: set[str] = field(default_factory=set)
    narrower: set[str] = field(default_factory=set)
    depth: int = 0

    def label(self, lang: str) -> str:
        return pick(self.labels, lang, self.iri)


@dataclass
class Scheme:
    facet: Facet
    concepts: dict[str, Concept]
    order: list[str]  # hierarchical: each concept followed by its narrower concepts

    def _closure(self, iri: str, direction: str) -> set[str]:
        """Concepts reachable from ``iri`` along ``broader`` or ``narrower`` (cycles tolerated)."""
        seen, todo = set(), list(getattr(self.concepts[iri], direction))
        while todo:
            current = todo.pop()
            if current in seen or current not in self.concepts:
                continue
            seen.add(current)
            todo.extend(getattr(self.concepts[current], direction))
        return seen

    def ancestors(self, iri: str) -> set[str]:
        return self._closure(iri, "broader")

    def descendants(self, iri: str) -> set[str]:
        return self._closure(iri, "narrower")

    def related(self, iri: str) -> dict[str, int]:
        """The concepts an offer may name to match ``iri``, with 0 for exact and 1 for hierarchical."""
        weights = {c: 1 for c in self.ancestors(iri) | self.descendants(iri)}
        weights[iri] = 0
        return weights

    @functools.cached_property
    def matched_by(self) -> dict[str, frozenset[str]]:
        """For each concept an offer may name: the concepts of the scheme whose filter it matches."""
        found: dict[str, set[str]] = {}
        for concept in self.concepts:
            for named in self.related(concept):
                found.setdefault(named, set()).add(concept)
        return {named: frozenset(concepts) for named, concepts in found.items()}

    def counts(self, combinations: Mapping[Iterable[str], int]) -> dict[str, int]:
        """Offers per concept of the scheme (those naming it or a broader or narrower one), from
        how many offers name each combination of concepts: an offer counts once per concept."""
        counts = dict.fromkeys(self.concepts, 0)
        matched_by, none = self.matched_by, frozenset()
        for named, n in combinations.items():
            for concept in none.union(*(matched_by.get(iri, none) for iri in named)):
                counts[concept] += n
        return counts


def _term(value) -> str:
    """SPARQL syntax for a value, written by pyoxigraph (never by string splicing)."""
    if isinstance(value, str):
        return str(ox.NamedNode(value))
    if isinstance(value, bool):
        raise TypeError("booleans are not bound here")
    if isinstance(value, int):
        return str(ox.Literal(str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
    return str(value)


def _values(variables: Iterable[str], rows: Iterable[tuple]) -> str:
    variables = list(variables)
    body = " ".join("(" + " ".join(_term(v) for v in row) + ")" for row in rows)
    return f"VALUES ({' '.join('?' + v for v in variables)}) {{ {body} }}"


_CONCEPTS = """
SELECT ?scheme ?concept ?label ?broader WHERE {
  %s
  ?concept skos:inScheme ?scheme .
  OPTIONAL { ?concept skos:prefLabel ?label }
  OPTIONAL { ?concept skos:broader|^skos:narrower ?broader . ?broader skos:inScheme ?scheme }
}
"""


def load_schemes(store) -> dict[str, Scheme]:
    """The facets' concept schemes from the store, keyed by facet name."""
    by_iri = {scheme_iri(store.base_iri, f.scheme): f for f in FACETS}
    concepts: dict[str, dict[str, Concept]] = {f.name: {} for f in FACETS}
    query = _CONCEPTS % _values(["scheme"], [(iri,) for iri in by_iri])
    for row in _run(store, query):
        facet = by_iri[row["scheme"].value]
        concept = concepts[facet.name].setdefault(row["concept"].value, Concept(row["concept"].value))
        label = row["label"]
        if isinstance(label, ox.Literal):
            lang = (label.language or "de").split("-")[0]
            concept.labels.setdefault(lang, label.value)
        if row["broader"] is not None:
            concept.broader.add(row["broader"].value)
    schemes = {}
    for facet in FACETS:
        members = concepts[facet.name]
        for concept in members.values():
            for parent in concept.broader:
                if parent in members:
                    members[parent].narrower.add(concept.iri)
        order: list[str] = []

        def visit(iri: str, depth: int, path: frozenset) -> None:
            members[iri].depth = depth
            order.append(iri)
            for child in sorted(members[iri].narrower, key=lambda c: fold(members[c].label("de"))):
                if child not in path:
                    visit(child, depth + 1, path | {child})

        tops = [c for c in members.values() if not (c.broader & members.keys())]
        for top in sorted(tops, key=lambda c: fold(c.label("de"))):
            visit(top.iri, 0, frozenset({top.iri}))
        schemes[facet.name] = Scheme(facet, members, order)
    return schemes


# -- the search ---------------------------------------------------------------------------------

@dataclass
class Search:
    filters: dict[str, str]  # facet name -> concept IRI
    q: str = ""
    lang: str = DEFAULT_LANGUAGE
    text_offers: set[str] | None = None  # offers matching the words of q (resolve_text)
    text_scores: dict[str, float] | None = None  # their relevance, from the text index
    text_mode: str = ""  # the index's answer: "all" words matched, or only "any" of them
    lang_explicit: bool = False  # chosen with ?lang=, so kept in every link

    def params(self, **changes) -> dict[str, str]:
        """The URL parameters of this search, with some changed (None removes one)."""
        values = {**self.filters, TEXT_PARAM: self.q}
        if self.lang_explicit:
            values["lang"] = self.lang
        values.update(changes)
        return {k: v for k, v in values.items() if v}


def parse_search(args: Mapping[str, str], schemes: Mapping[str, Scheme], *, lang: str | None = None,
                 lang_explicit: bool = False) -> Search:
    """A search from request arguments; unknown concepts are an error naming the parameter.

    ``lang`` is the reader's language as :func:`tfatlas.i18n.choose_language` decided it; without
    it the ``lang`` argument (German when absent).
    """
    asked = args.get("lang")
    if asked and asked not in LANGUAGES:
        raise FinderInputError("lang", f"lang must be one of {', '.join(LANGUAGES)}, not {asked!r}")
    if lang is None:
        lang, lang_explicit = asked or DEFAULT_LANGUAGE, bool(asked)
    filters = {}
    for facet in FACETS:
        value = (args.get(facet.name) or "").strip()
        if not value:
            continue
        if value not in schemes[facet.name].concepts:
            raise FinderInputError(facet.name, f"{facet.name}={value!r} is not a concept of the scheme "
                                   f"{facet.scheme!r}")
        filters[facet.name] = value
    q = (args.get(TEXT_PARAM) or "").strip()
    if len(q) > 200:
        raise FinderInputError(TEXT_PARAM, "the search text is longer than 200 characters")
    return Search(filters=filters, q=q, lang=lang, lang_explicit=lang_explicit)


# The offer's properties whose concepts' and provider's labels free text also searches.
_LINKS = ("tfa:hasTopic|tfa:addressesChallenge|dct:audience|tfa:deliveryMode|dct:type|tfa:costModel|"
          "tfa:developsCompetency|tfa:providedBy")


def _patterns(search: Search, schemes: Mapping[str, Scheme], skip: str | None = None) -> tuple[str, list[str]]:
    """WHERE-clause patterns for all filters but ``skip``, and the weight variables they bind."""
    lines, weights = [], []
    for index, (name, iri) in enumerate(sorted(search.filters.items())):
        if name == skip:
            continue
        facet = FACETS_BY_NAME[name]
        related = schemes[name].related(iri)
        lines.append(_values([f"c{index}", f"w{index}"], sorted(related.items())))
        lines.append(f"?offer {facet.prop} ?c{index} .")
        weights.append(f"w{index}")
    if skip != TEXT_PARAM and search.q:
        if search.text_offers is None:
            raise ValueError("resolve_text(store, search) first")
        lines.append(_values(["offer"], [(o,) for o in sorted(search.text_offers)]))
    return "\n  ".join(lines), weights


def _offers_matching(store, token: str) -> set[str]:
    """Offers whose label or description, or whose concepts' or provider's labels, contain a word.

    In two steps, because joining the matching labels to offers inside one query was measured
    36 times slower (582 ms against 16 ms on 10k triples) than binding the few matching
    resources in a VALUES block.
    """
    check = _text_filter("?text", token)
    own = f"SELECT DISTINCT ?offer WHERE {{ ?offer a tfa:Offer ; rdfs:label|dct:description ?text . {check} }}"
    found = {row["offer"].value for row in _run(store, own)}
    labelled = f"SELECT DISTINCT ?linked WHERE {{ ?linked skos:prefLabel|rdfs:label ?text . {check} }}"
    linked = [(row["linked"].value,) for row in _run(store, labelled) if isinstance(row["linked"], ox.NamedNode)]
    if linked:
        through = f"""SELECT DISTINCT ?offer WHERE {{ {_values(["linked"], linked)}
          ?offer {_LINKS} ?linked . ?offer a tfa:Offer }}"""
        found |= {row["offer"].value for row in _run(store, through)}
    return found


def resolve_text(store, search: Search, state: StoreState = _NO_CACHE, text_index=None) -> None:
    """Find the offers that match the search text, once per search: ranked by the text index
    (tfatlas.search) when there is one, else by SPARQL FILTERs (every word, unranked)."""
    if not search.q or search.text_offers is not None:
        return
    if text_index is not None:
        found = text_index.search(search.q, search.lang, limit=0)
        search.text_offers, search.text_scores, search.text_mode = set(found.ranked), found.scores, found.mode
        return

    def compute() -> frozenset[str]:
        matches: set[str] | None = None
        for token in words(search.q):
            found = _offers_matching(store, token)
            matches = found if matches is None else matches & found
            if not matches:
                break
        return frozenset(matches or ())

    search.text_offers = set(state.get(("text", tuple(words(search.q))), compute))


def _matches_query(search: Search, schemes, skip: str | None = None) -> str:
    patterns, weights = _patterns(search, schemes, skip)
    mins = " ".join(f"(MIN(?{w}) AS ?m{w})" for w in weights)
    return f"""
SELECT ?offer {mins} (SAMPLE(?l) AS ?label) WHERE {{
  ?offer a tfa:Offer .
  {patterns}
  OPTIONAL {{ ?offer rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), {_term(ox.Literal(search.lang))})) }}
}} GROUP BY ?offer
"""


def _count_query(search: Search, schemes, skip: str | None = None) -> str:
    patterns, _ = _patterns(search, schemes, skip)
    return f"""
SELECT (COUNT(DISTINCT ?offer) AS ?n) WHERE {{
  ?offer a tfa:Offer .
  {patterns}
}}"""


def _facet_query(facet: Facet, search: Search, schemes) -> str:
    """The (concept, offer) pairs of a facet among the offers that match the other filters.

    Counting through the hierarchy happens in Python (facet_counts): a VALUES block of
    (concept, related concept) pairs inside the query was measured 5 to 30 times slower.
    """
    patterns, _ = _patterns(search, schemes, skip=facet.name)
    return f"""
SELECT DISTINCT ?x ?offer WHERE {{
  {patterns}
  ?offer {facet.prop} ?x .
  ?offer a tfa:Offer .
}}
"""


def facet_counts(store, facet: Facet, search: Search, schemes) -> dict[str, int]:
    """For each concept of the facet: the offers that choosing it would give with the other filters."""
    named: dict[str, set[str]] = {}
    for row in _run(store, _facet_query(facet, search, schemes)):
        named.setdefault(row["offer"].value, set()).add(row["x"].value)
    combinations: dict[frozenset[str], int] = {}
    for concepts in named.values():
        key = frozenset(concepts)
        combinations[key] = combinations.get(key, 0) + 1
    return schemes[facet.name].counts(combinations)


@dataclass
class FacetValue:
    iri: str
    label: str
    depth: int
    count: int
    selected: bool


@dataclass
class Offer:
    iri: str
    label: str
    rank: int  # 0: every filter matched exactly; higher: matched through broader/narrower concepts
    exact: bool = False  # every filter matched exactly and the search text is one of its names
    why: list[str] = field(default_factory=list)  # where the search text matched, for the reader
    title_marks: list[tuple[str, bool]] = field(default_factory=list)  # title, matched words marked
    snippet: list[tuple[str, bool]] = field(default_factory=list)  # description window, marked
    description: str = ""
    provider: tuple[str, str] | None = None  # (IRI, label)
    offer_types: list[str] = field(default_factory=list)
    delivery_modes: list[str] = field(default_factory=list)
    cost_models: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    challenges: list[str] = field(default_factory=list)
    page: str | None = None
    email: str | None = None
    contact_url: str | None = None


@dataclass
class Relaxation:
    param: str
    label: str  # what the filter is (facet label or "search text")
    value: str  # the chosen value's label or the text
    count: int  # matches without this filter


@dataclass
class Expert:
    iri: str
    label: str
    expertise: list[str]  # labels of the matching topics and competencies


@dataclass
class Result:
    search: Search
    total: int
    offers: list[Offer]
    facets: dict[str, list[FacetValue]]
    relax: list[Relaxation] = field(default_factory=list)
    experts: list[Expert] = field(default_factory=list)
    text_mode: str = ""  # "any": no offer has every word of the text; these have some


_FACET_PROPS = ", ".join(f.prop for f in FACETS)


def _details(store, offers: list[Offer], lang: str, schemes: Mapping[str, Scheme] | None = None,
             concepts: Mapping[str, Mapping[str, list[str]]] | None = None) -> None:
    """What the page says about each offer; ``concepts``: offer -> facet -> the concepts it names,
    as the text index read them from the store (then not asked again)."""
    if not offers:
        return
    by_iri = {o.iri: o for o in offers}
    values = _values(["offer"], [(o.iri,) for o in offers])
    # Values first, their labels in a second query: an OPTIONAL label per value was measured
    # three times slower than both together.
    query = f"""
SELECT ?offer ?p ?v WHERE {{
  {values}
  ?offer ?p ?v .
  FILTER(?p IN (tfa:providedBy, dct:type, foaf:page, dct:description{"" if concepts else ", " + _FACET_PROPS}))
}}"""
    rows = [(row["offer"].value, row["p"].value, row["v"]) for row in _run(store, query)]
    if concepts:
        props = {f.name: _expand(store, f.prop) for f in FACETS}
        rows += [(iri, props[facet], ox.NamedNode(concept)) for iri in by_iri
                 for facet, named in concepts[iri].items() for concept in named]
    # The facets' concepts are labelled by their schemes (skos:prefLabel, as read by load_schemes).
    known = {iri: concept.labels for scheme in (schemes or {}).values()
             for iri, concept in scheme.concepts.items() if concept.labels}
    named = {v.value for _, _, v in rows if isinstance(v, ox.NamedNode)}
    names = {**_all_labels(store, named - known.keys()), **{iri: known[iri] for iri in named & known.keys()}}
    labels: dict[tuple[str, str, str], dict[str, str]] = {}
    for offer_iri, prop, value in rows:
        entry = labels.setdefault((offer_iri, prop, value.value), {})
        if isinstance(value, ox.Literal):
            entry.setdefault((value.language or "").split("-")[0], value.value)
        else:
            entry.update(names.get(value.value, {}))
    ns = tfa(store.base_iri)
    lists = {ns + "deliveryMode": "delivery_modes", DCT + "type": "offer_types",
             ns + "costModel": "cost_models", DCT + "audience": "audiences", ns + "hasTopic": "topics",
             ns + "addressesChallenge": "challenges"}
    descriptions: dict[str, dict[str, str]] = {}
    for (offer_iri, prop, value), entry in sorted(labels.items()):
        offer = by_iri[offer_iri]
        text = pick(entry, lang, value.rsplit("/", 1)[-1])
        if prop in lists:
            getattr(offer, lists[prop]).append(text)
        elif prop == ns + "providedBy":
            offer.provider = (value, text)
        elif prop == FOAF + "page":
            offer.page = value
        elif prop == DCT + "description":
            for lg, desc in entry.items():
                descriptions.setdefault(offer_iri, {}).setdefault(lg, desc)
    for offer_iri, entry in descriptions.items():
        by_iri[offer_iri].description = pick(entry, lang, "")
    for offer in offers:
        for name in lists.values():
            getattr(offer, name).sort(key=fold)

    contacts = f"""
SELECT ?offer ?own ?email ?url WHERE {{
  {{ {values} ?offer dcat:contactPoint ?cp BIND(true AS ?own) }}
  UNION {{ {values} ?offer tfa:providedBy/dcat:contactPoint ?cp BIND(false AS ?own) }}
  OPTIONAL {{ ?cp vcard:hasEmail ?email }}
  OPTIONAL {{ ?cp vcard:hasURL ?url }}
}}"""
    # The offer's own contact point wins over its provider's. VALUES inside each branch: Virtuoso
    # 7.2 did not join a VALUES block before a UNION, and answered offers outside the page.
    for row in sorted(_run(store, contacts), key=lambda r: r["own"].value != "true"):
        offer = by_iri[row["offer"].value]
        if offer.email is None and row["email"] is not None:
            offer.email = row["email"].value.removeprefix("mailto:")
        if offer.contact_url is None and row["url"] is not None:
            offer.contact_url = row["url"].value


def _expand(store, prefixed: str) -> str:
    """The IRI of one of this module's prefixed names (tfa:hasTopic)."""
    prefix, local = prefixed.split(":", 1)
    return {"tfa": tfa(store.base_iri), "dct": DCT}[prefix] + local


def _count(store, query: str) -> int:
    return int(next(iter(_run(store, query)))["n"].value)


def _search_key(search: Search, skip: str | None = None) -> tuple:
    """What a query built by _patterns depends on, besides the store's state."""
    filters = tuple(sorted((k, v) for k, v in search.filters.items() if k != skip))
    text = tuple(words(search.q)) if search.q and skip != TEXT_PARAM else ()
    return filters, text


def cached_schemes(store, state: StoreState) -> dict[str, Scheme]:
    return state.get(("schemes",), lambda: load_schemes(store))


def find(store, search: Search, schemes: Mapping[str, Scheme] | None = None,
         state: StoreState = _NO_CACHE, text_index=None) -> Result:
    """The result page of a search; ``state`` keeps what depends only on the store's state
    (facet counts, text matches) for the next request on the same state. With ``text_index``
    (a tfatlas.search.SearchIndex) the text ranks the offers and each says where it matched."""
    schemes = schemes or cached_schemes(store, state)
    if text_index is not None and search.q:
        return _find_by_index(store, search, schemes, state, text_index)
    resolve_text(store, search, state, text_index)
    matches = []
    results = _run(store, _matches_query(search, schemes))
    weights = [v.value for v in results.variables if v.value.startswith("mw")]
    for row in results:
        rank = sum(int(row[w].value) for w in weights if row[w] is not None)
        label = row["label"].value if row["label"] is not None else None
        matches.append((rank, label, row["offer"].value))
    scores = search.text_scores or {}
    # Exact filter matches first, then by the text's relevance, then by title.
    matches.sort(key=lambda m: (m[0], -scores.get(m[2], 0.0), fold(m[1] or ""), m[2]))
    offers = [Offer(iri=iri, label=label or "", rank=rank) for rank, label, iri in matches[:PAGE_SIZE]]
    _details(store, offers, search.lang, schemes)
    for offer in offers:
        if not offer.label:
            offer.label = _german_label(store, offer.iri)
    _explain(offers, search, text_index)

    counts = {facet.name: state.get(("facet", facet.name, _search_key(search, skip=facet.name)),
                                    lambda: facet_counts(store, facet, search, schemes)) for facet in FACETS}
    result = Result(search=search, total=len(matches), offers=offers, facets=_facet_values(search, schemes, counts),
                    text_mode=search.text_mode)
    if not matches:
        result.relax = relaxations(store, search, schemes)
        result.experts = experts(store, search, schemes)
    return result


def _facet_values(search: Search, schemes, counts: Mapping[str, Mapping[str, int]]) -> dict[str, list[FacetValue]]:
    facets = {}
    for facet in FACETS:
        scheme = schemes[facet.name]
        facets[facet.name] = [
            FacetValue(iri, scheme.concepts[iri].label(search.lang), scheme.concepts[iri].depth,
                       counts[facet.name].get(iri, 0), search.filters.get(facet.name) == iri)
            for iri in scheme.order]
    return facets


def _index_filters(search: Search, schemes, skip: str | None = None) -> dict:
    """The search's concept filters as tfatlas.search.select takes them."""
    return {name: (iri, set(schemes[name].related(iri))) for name, iri in search.filters.items() if name != skip}


def _find_by_index(store, search: Search, schemes, state: StoreState, text_index) -> Result:
    """The result of a search with text, from the text index (tfatlas.search.select): which offers,
    in which order, the page's explanations and the facet counts; only the page's details and
    the relaxations' count without the text come from the store."""
    def compute():
        return text_index.select(search.q, search.lang, _index_filters(search, schemes),
                                 facets=[f.name for f in FACETS], page=PAGE_SIZE)

    # Keyed by the text as typed: the index reads capitals ("IT" is no stop word, "it" is).
    selection = state.get(("selection", search.lang, tuple(sorted(search.filters.items())), search.q), compute)
    search.text_mode = selection.mode
    offers = [Offer(iri=hit.iri, label="", rank=selection.ranks[hit.iri]) for hit in selection.hits]
    _details(store, offers, search.lang, schemes, {hit.iri: hit.concepts for hit in selection.hits})
    for offer, hit in zip(offers, selection.hits):
        title = "".join(piece for piece, _ in hit.title)
        offer.label = title if hit.title_lang == search.lang else _german_label(store, offer.iri)
        offer.exact = offer.rank == 0 and hit.exact  # the text was chosen
        offer.why = [m.describe(search.lang) for m in hit.matches]
        offer.title_marks, offer.snippet = hit.title, hit.snippet
    counts = {name: schemes[name].counts(found) for name, found in selection.combinations.items()}
    result = Result(search=search, total=selection.total, offers=offers, facets=_facet_values(search, schemes, counts),
                    text_mode=search.text_mode)
    if not selection.total:
        result.relax = _index_relaxations(store, search, schemes, text_index)
        result.experts = experts(store, search, schemes)
    return result


def _index_relaxations(store, search: Search, schemes, text_index) -> list[Relaxation]:
    """relaxations(), the counts with text from the index."""
    found = [Relaxation(name, FACETS_BY_NAME[name].label(search.lang), schemes[name].concepts[iri].label(search.lang),
                        text_index.count(search.q, _index_filters(search, schemes, skip=name)))
             for name, iri in sorted(search.filters.items())]
    found.append(Relaxation(TEXT_PARAM, "Suchtext" if search.lang == "de" else "search text", search.q,
                            _count(store, _count_query(search, schemes, skip=TEXT_PARAM))))
    found.sort(key=lambda r: -r.count)
    return found


def _explain(offers: list[Offer], search: Search, text_index) -> None:
    """Where the text matched each shown offer, and whether the offer is an exact match: every
    filter exact, and the text (if any) one of the offer's names or its concepts' names."""
    hits = text_index.explain(search.q, search.lang, [o.iri for o in offers]) if (
        search.q and text_index is not None) else {}
    chosen = bool(search.filters or search.q)
    for offer in offers:
        hit = hits.get(offer.iri)
        text_exact = hit.exact if hit is not None else not search.q
        offer.exact = chosen and offer.rank == 0 and text_exact
        if hit is not None:
            offer.why = [m.describe(search.lang) for m in hit.matches]
            offer.title_marks, offer.snippet = hit.title, hit.snippet


def _german_label(store, iri: str) -> str:
    query = f"SELECT ?l WHERE {{ {_values(['s'], [(iri,)])} ?s rdfs:label ?l }}"
    labels = {(r["l"].language or ""): r["l"].value for r in _run(store, query)}
    return pick(labels, "de", iri.rsplit("/", 1)[-1])


def relaxations(store, search: Search, schemes) -> list[Relaxation]:
    """For each filter of a search without result: how many offers there are without it."""
    found = []
    for name, iri in sorted(search.filters.items()):
        facet = FACETS_BY_NAME[name]
        found.append(Relaxation(name, facet.label(search.lang),
                                schemes[name].concepts[iri].label(search.lang),
                                _count(store, _count_query(search, schemes, skip=name))))
    if search.q:
        found.append(Relaxation(TEXT_PARAM, "Suchtext" if search.lang == "de" else "search text",
                                search.q, _count(store, _count_query(search, schemes, skip=TEXT_PARAM))))
    found.sort(key=lambda r: -r.count)
    return found


def experts(store, search: Search, schemes) -> list[Expert]:
    """Actors whose topics or competencies match the search, though no offer of theirs does.

    Topics match through the topic filter's hierarchy, and through the topics that offers for the
    chosen challenge are about; the search text matches the labels of topics and competencies.
    """
    concepts: set[str] = set()
    if "topic" in search.filters:
        concepts |= set(schemes["topic"].related(search.filters["topic"]))
    if "challenge" in search.filters:
        challenge = schemes["challenge"].related(search.filters["challenge"])
        query = f"""SELECT DISTINCT ?t WHERE {{ {_values(['c'], [(c,) for c in challenge])}
          ?o tfa:addressesChallenge ?c ; tfa:hasTopic|tfa:developsCompetency ?t }}"""
        concepts |= {row["t"].value for row in _run(store, query)}
    text_filters = [_text_filter("?text", token) for token in words(search.q)]
    if text_filters:
        # The labels first, then the actors through them: in one query (a UNION beside the
        # concepts' branch) it was measured 70 times slower (3.5 s against 50 ms at 100k).
        labelled = f"SELECT DISTINCT ?x WHERE {{ ?x skos:prefLabel ?text . {' '.join(text_filters)} }}"
        concepts |= {row["x"].value for row in _run(store, labelled) if isinstance(row["x"], ox.NamedNode)}
    if not concepts:
        return []
    query = f"""
SELECT DISTINCT ?actor ?x WHERE {{
  {_values(['x'], [(c,) for c in sorted(concepts)])}
  ?actor tfa:worksOnTopic|tfa:hasCompetency ?x .
  ?actor a tfa:TransformationActor .
}}"""
    found: dict[str, set[str]] = {}
    for row in _run(store, query):
        found.setdefault(row["actor"].value, set()).add(row["x"].value)
    if not found:
        return []
    names = _labels(store, set(found) | {x for xs in found.values() for x in xs}, search.lang)
    result = [Expert(actor, names.get(actor, actor), sorted({names.get(x, x) for x in xs}, key=fold))
              for actor, xs in found.items()]
    result.sort(key=lambda e: fold(e.label))
    return result


def _all_labels(store, iris: set[str]) -> dict[str, dict[str, str]]:
    """language -> label for each IRI that has a skos:prefLabel or rdfs:label."""
    if not iris:
        return {}
    query = f"""SELECT ?s ?l WHERE {{ {_values(['s'], [(i,) for i in sorted(iris)])}
      ?s skos:prefLabel|rdfs:label ?l }}"""
    collected: dict[str, dict[str, str]] = {}
    for row in _run(store, query):
        if isinstance(row["l"], ox.Literal):
            collected.setdefault(row["s"].value, {}).setdefault(
                (row["l"].language or "").split("-")[0], row["l"].value)
    return collected


def _labels(store, iris: set[str], lang: str) -> dict[str, str]:
    return {iri: pick(labels, lang, iri) for iri, labels in _all_labels(store, iris).items()}


# -- the coverage overview ----------------------------------------------------------------------

@dataclass
class Coverage:
    topics: list[tuple[str, str]]  # (IRI, label) of the top-level topics
    providers: list[tuple[str, str]]  # (IRI, label) of actors with offers or expertise
    offers: dict[tuple[str, str], int]  # (topic, provider) -> offers on the topic or a narrower one
    expertise: set[tuple[str, str]]  # (topic, actor): works on the topic (or a narrower one)

    @property
    def max(self) -> int:
        return max(self.offers.values(), default=0)

    def providers_of(self, topic: str) -> int:
        return sum(1 for (t, _), n in self.offers.items() if t == topic and n)

    def gaps(self) -> list[str]:
        return [label for iri, label in self.topics if not self.providers_of(iri)]

    def overlaps(self) -> list[str]:
        return [label for iri, label in self.topics if self.providers_of(iri) > 1]


def coverage(store, lang: str = "de") -> Coverage:
    schemes = load_schemes(store)
    topics = schemes["topic"]
    tops = [iri for iri in topics.order if topics.concepts[iri].depth == 0]
    pairs = sorted((member, top) for top in tops for member in topics.descendants(top) | {top})
    offers_query = f"""
SELECT ?top ?provider (COUNT(DISTINCT ?offer) AS ?n) WHERE {{
  {_values(['t', 'top'], pairs)}
  ?offer a tfa:Offer ; tfa:hasTopic ?t ; tfa:providedBy ?provider .
}} GROUP BY ?top ?provider"""
    offers = {(r["top"].value, r["provider"].value): int(r["n"].value) for r in _run(store, offers_query)}
    expertise_query = f"""
SELECT DISTINCT ?top ?actor WHERE {{
  {_values(['t', 'top'], pairs)}
  ?actor tfa:worksOnTopic ?t .
}}"""
    expertise = {(r["top"].value, r["actor"].value) for r in _run(store, expertise_query)}
    actors = {a for _, a in offers} | {a for _, a in expertise}
    names = _labels(store, actors, lang) if actors else {}
    providers = sorted(((a, names.get(a, a.rsplit("/", 1)[-1])) for a in actors), key=lambda p: fold(p[1]))
    return Coverage(topics=[(t, topics.concepts[t].label(lang)) for t in tops], providers=providers,
                    offers=offers, expertise=expertise)
