"""The query mixes of bench/endpoint.py: eight shapes of this domain's queries.

The domain mix sends each shape with fixed parameters (eight requests, repeated). The varied mix
sends no two requests equal: each template's parameters (topic, challenge, cost model, delivery mode, label language, words of
labels and descriptions, LIMIT, OFFSET) are drawn from the generated data. Request ``i`` is
template ``i % 8`` with the ``i // 8``-th point of that template's parameter space, visited in a
fixed pseudo-random order (an affine permutation, so no two indices below the space's size give
the same text and no list of texts is held in memory). Every server walks the same sequence from
0, so all get the same requests in the same order, and no result cache on either side can answer
one from an earlier one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

TFA = "https://w3id.org/tfatlas/ontology#"
ID = "https://w3id.org/tfatlas/id/"
PREFIXES = """PREFIX tfa: <https://w3id.org/tfatlas/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX vcard: <http://www.w3.org/2006/vcard/ns#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX org: <http://www.w3.org/ns/org#>
"""
_OBJECT_IRI = re.compile(r'^<[^>]*> <([^>]*)> <([^>]*)> \.$')
_LITERAL = re.compile(r'^<([^>]*)> <([^>]*)> "((?:[^"\\]|\\.)*)"@(de|en) \.$')
_WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{5,}")
_WANTED = {TFA + "hasTopic": "topics", TFA + "addressesChallenge": "challenges",
           TFA + "costModel": "cost_models", TFA + "deliveryMode": "modes"}
_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_DESCRIPTION = "http://purl.org/dc/terms/description"


@dataclass
class Vocabulary:
    """What the templates' parameters are drawn from: values that occur in the data."""

    topics: list[str]
    challenges: list[str]
    cost_models: list[str]
    modes: list[str]
    label_words: list[str]
    description_words: list[str]


def read_vocabulary(data: Path, max_words: int = 60) -> Vocabulary:
    """One pass over the N-Triples file: the IRIs used as topics etc., frequent words of offer labels
    and descriptions (words that occur, so text searches find something)."""
    found: dict[str, set[str]] = {name: set() for name in _WANTED.values()}
    label_words: dict[str, int] = {}
    description_words: dict[str, int] = {}
    with open(data, encoding="utf-8") as lines:
        for line in lines:
            if "/offer/" not in line[:60]:
                continue
            match = _OBJECT_IRI.match(line.rstrip("\n"))
            if match and match.group(1) in _WANTED:
                found[_WANTED[match.group(1)]].add(match.group(2))
                continue
            literal = _LITERAL.match(line.rstrip("\n"))
            if literal and literal.group(2) in (_LABEL, _DESCRIPTION):
                counts = label_words if literal.group(2) == _LABEL else description_words
                for word in _WORD.findall(literal.group(3)):
                    counts[word.lower()] = counts.get(word.lower(), 0) + 1

    def frequent(counts: dict[str, int]) -> list[str]:
        return sorted(sorted(counts, key=lambda w: (-counts[w], w))[:max_words])

    vocabulary = Vocabulary(*(sorted(found[name]) for name in ("topics", "challenges", "cost_models", "modes")),
                            frequent(label_words), frequent(description_words))
    empty = [name for name, values in vars(vocabulary).items() if not values]
    if empty:
        raise ValueError(f"{data}: no values for {', '.join(empty)}; is it bench/generate.py output?")
    return vocabulary


@dataclass
class Template:
    name: str
    dimensions: list[list]  # the values of each parameter
    render: Callable[..., str]  # one value of each dimension -> the query text

    @property
    def size(self) -> int:
        return math.prod(len(values) for values in self.dimensions)

    def text(self, k: int) -> str:
        size = self.size
        # k -> a point of the space: an affine permutation of 0..size-1, then mixed radix.
        step = next(p for p in range(7919, size + 7919) if math.gcd(p, size) == 1)
        index = (k * step + 12345) % size
        values = []
        for dimension in self.dimensions:
            index, digit = divmod(index, len(dimension))
            values.append(dimension[digit])
        return self.render(*values)


def _page(offset: int | None, limit: int | None) -> str:
    return (f" OFFSET {offset}" if offset else "") + (f" LIMIT {limit}" if limit else "")


#: The eight query shapes of this domain: what the finder, the pages and federating registries ask.
SHAPES: dict[str, Callable[..., str]] = {
    # A Bedarfsträger's first question: offers on a topic, with provider and labels.
    "offers_by_topic": lambda topic, lang, limit: f"""
SELECT ?offer ?label ?provider ?providerLabel WHERE {{
  ?offer a tfa:Offer ; tfa:hasTopic <{topic}> ; rdfs:label ?label ; tfa:providedBy ?provider .
  ?provider rdfs:label ?providerLabel .
  FILTER(lang(?label) = "{lang}" && lang(?providerLabel) = "{lang}")
}} ORDER BY ?label{_page(0, limit)}""",
    # The finder's full join: challenge -> offer -> provider, topic, target group, delivery mode.
    "five_way_join": lambda challenge, lang, limit: f"""
SELECT ?offer ?offerLabel ?providerLabel ?topicLabel ?audienceLabel ?modeLabel WHERE {{
  ?offer tfa:addressesChallenge <{challenge}> ;
         rdfs:label ?offerLabel ; tfa:providedBy ?provider ; tfa:hasTopic ?topic ;
         dct:audience ?audience ; tfa:deliveryMode ?mode .
  ?provider rdfs:label ?providerLabel .
  ?topic skos:prefLabel ?topicLabel .
  ?audience skos:prefLabel ?audienceLabel .
  ?mode skos:prefLabel ?modeLabel .
  FILTER(lang(?offerLabel) = "{lang}" && lang(?providerLabel) = "{lang}" && lang(?topicLabel) = "{lang}"
         && lang(?audienceLabel) = "{lang}" && lang(?modeLabel) = "{lang}")
}}{_page(0, limit)}""",
    # Network coordination: coverage of topics (gaps and overlaps).
    "offers_per_topic": lambda lang, offset, limit: f"""
SELECT ?topic ?label (COUNT(DISTINCT ?offer) AS ?offers) (COUNT(DISTINCT ?provider) AS ?providers) WHERE {{
  ?offer a tfa:Offer ; tfa:hasTopic ?topic ; tfa:providedBy ?provider .
  ?topic skos:prefLabel ?label . FILTER(lang(?label) = "{lang}")
}} GROUP BY ?topic ?label ORDER BY DESC(?offers){_page(offset, limit)}""",
    # A broad topic includes its narrower ones: skos:broader* path.
    "topic_tree": lambda topic, limit: f"""
SELECT ?topic (COUNT(?offer) AS ?n) WHERE {{
  ?topic skos:broader* <{topic}> .
  ?offer tfa:hasTopic ?topic .
}} GROUP BY ?topic{_page(0, limit)}""",
    # Actor listing with what may be missing: OPTIONAL contact point and homepage.
    "actors_optional_contact": lambda lang, offset, limit: f"""
SELECT ?actor ?label ?email ?homepage WHERE {{
  ?actor a tfa:TransformationActor ; rdfs:label ?label .
  OPTIONAL {{ ?actor dcat:contactPoint/vcard:hasEmail ?email }}
  OPTIONAL {{ ?actor foaf:homepage ?homepage }}
  FILTER(lang(?label) = "{lang}")
}} ORDER BY ?label{_page(offset, limit)}""",
    # Free-text search over offer labels and descriptions.
    "text_search": lambda label_word, description_word, limit: f"""
SELECT DISTINCT ?offer ?label WHERE {{
  ?offer a tfa:Offer ; rdfs:label ?label ; dct:description ?description .
  FILTER(regex(?label, "{label_word}", "i") && regex(?description, "{description_word}", "i"))
}}{_page(0, limit)}""",
    # Newest free offers that can be taken online.
    "recent_free_online": lambda cost, mode, lang, offset, limit: f"""
SELECT ?offer ?label ?modified WHERE {{
  ?offer tfa:costModel <{cost}> ;
         tfa:deliveryMode <{mode}> ;
         dct:modified ?modified ; rdfs:label ?label .
  FILTER(lang(?label) = "{lang}")
}} ORDER BY DESC(?modified){_page(offset, limit)}""",
    # A linked-data card of the offers of one kind: a graph result.
    "offer_cards": lambda topic, limit: f"""
CONSTRUCT {{ ?offer rdfs:label ?label ; tfa:providedBy ?provider ; dct:modified ?modified . }}
WHERE {{
  ?offer tfa:hasTopic <{topic}> ; rdfs:label ?label ; tfa:providedBy ?provider ;
         dct:modified ?modified .
}}{_page(0, limit)}""",
}
CONSTRUCTS = {"offer_cards"}

#: The domain mix: each shape once, with fixed parameters (so it repeats eight requests).
DOMAIN: dict[str, str] = {name: PREFIXES + SHAPES[name](*values) for name, values in {
    "offers_by_topic": (ID + "topic/kanban", "de", 100),
    "five_way_join": (ID + "challenge/ki-sicher-einsetzen", "de", 200),
    "offers_per_topic": ("en", None, None),
    "topic_tree": (ID + "topic/agilitaet", None),
    "actors_optional_contact": ("de", None, 300),
    "text_search": ("werkstatt", "verwaltung", 100),
    "recent_free_online": (ID + "cost-model/kostenfrei", ID + "delivery-mode/online", "de", None, 20),
    "offer_cards": (ID + "topic/generative-ki", 300),
}.items()}


def templates(v: Vocabulary) -> list[Template]:
    """The shapes with parameters drawn from the data (the dimensions of each shape, in order)."""
    langs = ["de", "en"]
    dimensions = {
        "offers_by_topic": [v.topics, langs, list(range(20, 520))],
        "five_way_join": [v.challenges, langs, list(range(50, 650))],
        "offers_per_topic": [langs, list(range(0, 40)), list(range(10, 1000))],
        "topic_tree": [v.topics, list(range(10, 2000))],
        "actors_optional_contact": [langs, list(range(0, 500, 10)), list(range(100, 500))],
        "text_search": [v.label_words, v.description_words, list(range(50, 150))],
        "recent_free_online": [v.cost_models, v.modes, langs, list(range(0, 100)), list(range(5, 100))],
        "offer_cards": [v.topics, list(range(100, 1000))],
    }
    return [Template(name, dimensions[name], lambda *values, shape=SHAPES[name]: PREFIXES + shape(*values))
            for name in SHAPES]


class VariedMix:
    """Request ``i`` of the varied sequence: (template name, query text)."""

    def __init__(self, vocabulary: Vocabulary):
        self.templates = templates(vocabulary)
        #: requests before some text repeats (the smallest space, times the number of templates)
        self.distinct = min(t.size for t in self.templates) * len(self.templates)

    def request(self, i: int) -> tuple[str, str]:
        template = self.templates[i % len(self.templates)]
        return template.name, template.text(i // len(self.templates))

    def check_requests(self, per_template: int = 2) -> list[tuple[str, str]]:
        """Requests from the far end of every template's space (a run never gets there), for
        checking that the servers agree without warming any cache for the measured sequence."""
        return [(t.name, t.text(t.size - 1 - j)) for t in self.templates for j in range(per_template)]
