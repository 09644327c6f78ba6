"""The index's fields, their weights, and how an offer's document fills them.

A text field exists per language, because each language has its own stemmer. Titles and
descriptions are split further into the offer's own language and its translations, so a match
in the text the provider wrote counts more than one in a translation.

Beside the text, what the finder needs to filter, count and order the offers a text matches
without asking the store about each of them: per facet the concepts the offer names (one term
each, for filters) and their combination (one fast-field value, counted by an aggregation), and
per language the title it is listed under (ordered by the index's term dictionary).
"""

from __future__ import annotations

import hashlib

import tantivy

from . import analysis
from .analysis import ANALYZERS, LANGUAGES, WHITESPACE
from .source import FACETS, LINKS, OfferDoc

#: Bump when fields or analysis change: an index of another format is rebuilt, never read.
FORMAT = 3
STRATEGIES = ("decompound", "ngram")

#: BM25 multipliers per field (an offer's title says most about it, its description least).
WEIGHTS = {"title": 3.0, "topic": 2.0, "challenge": 2.0, "provider": 1.5, "audience": 1.2,
           "type": 1.0, "competency": 0.8, "description": 1.0}
TRANSLATION = 0.7  # a match in a translated title or description
OTHER_STEM = 0.8  # the word stemmed by the other language's rules ("Coaching" -> "coach")
FUZZY = 0.5  # a word of the data one or two edits from a word the data lacks (a typo)
COMPOUND = 0.6  # the word's parts found ("Agilcoach" -> agil + coach)
PART = 0.4  # the word found inside a longer word ("Management" in "Projektmanagement")
GRAMS = 0.5  # n-gram strategy: per matched share of the word's n-grams
EXACT = 8.0  # the whole query is the name of the offer, or of its topic, challenge, ...
MODIFIER = 0.5  # the word qualifies a hyphenated compound ("KI" in "KI-Prototypen")

OWN_TEXT = ("title", "description")
KINDS = OWN_TEXT + tuple(LINKS)


def text_field(kind: str, lang: str, translated: bool = False) -> str:
    return f"{kind}_{lang}" + ("_tr" if translated else "")


def text_fields() -> list[tuple[str, str, str, bool]]:
    """(field name, kind, language, translated) of every analysed text field."""
    fields = []
    for kind in KINDS:
        for lang in LANGUAGES:
            fields.append((text_field(kind, lang), kind, lang, False))
            if kind in OWN_TEXT:
                fields.append((text_field(kind, lang, True), kind, lang, True))
    return fields


def modifier_field(name: str) -> str:
    """The twin of a text field that holds the modifiers of its hyphenated compounds."""
    return name + "_mod"


def concept_field(facet: str) -> str:
    """The concepts an offer names for a facet, one term each."""
    return f"concept_{facet}"


def combination_field(facet: str) -> str:
    """The set of concepts an offer names for a facet, as one fast-field value."""
    return f"combination_{facet}"


def title_field(lang: str) -> str:
    """``sort_title(doc, lang)`` as one term: the term dictionary is the finder's title order."""
    return f"order_{lang}"


#: Separates the title from the IRI in a title_field term (below every character of a title).
ORDER_SEPARATOR = "\x00"


def combination(iris) -> str:
    return " ".join(sorted(set(iris)))


def sort_title(doc: OfferDoc, lang: str) -> str:
    """The title the finder lists an offer under in a language: its (first) label in that language,
    folded; empty without one (such offers come first among equals, as in the finder's query)."""
    titles = doc.titles.get(lang)
    return analysis.fold(titles[0]) if titles else ""


def schema(strategy: str) -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("iri", stored=True, tokenizer_name="raw")
    builder.add_unsigned_field("key", fast=True)
    builder.add_unsigned_field("digest", fast=True)
    builder.add_bytes_field("doc", stored=True)
    for name, _, lang, _ in text_fields():
        builder.add_text_field(name, tokenizer_name=ANALYZERS[lang])
        builder.add_text_field(modifier_field(name), tokenizer_name=ANALYZERS[lang])
    builder.add_text_field("names", tokenizer_name="raw", index_option="basic")
    for facet in FACETS:
        builder.add_text_field(concept_field(facet), tokenizer_name="raw", index_option="basic")
        builder.add_text_field(combination_field(facet), tokenizer_name="raw", index_option="basic", fast=True)
    for lang in LANGUAGES:
        builder.add_text_field(title_field(lang), tokenizer_name="raw", index_option="basic")
    builder.add_text_field("words", tokenizer_name=WHITESPACE, index_option="freq")
    if strategy == "ngram":
        builder.add_text_field("grams", tokenizer_name=WHITESPACE, index_option="freq")
    return builder.build()


def key(iri: str) -> int:
    return int.from_bytes(hashlib.blake2b(iri.encode(), digest_size=8).digest(), "big")


def field_texts(doc: OfferDoc):
    """(kind, language, translated, text, link) for every text of the document."""
    for kind, texts in (("title", doc.titles), ("description", doc.descriptions)):
        for lang, values in texts.items():
            if lang in LANGUAGES:
                for value in values:
                    yield kind, lang, lang != doc.own_lang, value, None
    for link in doc.links:
        for mapping in (link.labels, link.alt):
            for lang, values in mapping.items():
                if lang in LANGUAGES:
                    for value in values:
                        yield link.kind, lang, False, value, link


class _Analysed:
    """What some texts add to a document: (field, heads, modifiers) per text, their folded words
    and the whole names an exact query can equal."""

    __slots__ = ("texts", "words", "names")

    def __init__(self, texts, names_from=()):
        self.texts: list[tuple[str, str, str]] = []
        self.words: list[str] = []
        for name, text in texts:
            heads, modifiers = analysis.split_modifiers(text)
            self.texts.append((name, heads, modifiers))
            self.words.extend(analysis.words(text))
        self.names = {analysis.name_key(t) for t in names_from}


def _link(link, memo: dict) -> _Analysed:
    """A linked resource's labels, analysed once per build: many offers name the same resource."""
    found = memo.get((link.kind, link.iri))
    if found is None:
        labels = [(lang, value) for mapping in (link.labels, link.alt) for lang, values in mapping.items()
                  if lang in LANGUAGES for value in values]
        found = memo[(link.kind, link.iri)] = _Analysed(
            ((text_field(link.kind, lang), value) for lang, value in labels),
            (value for mapping in (link.labels, link.alt) for values in mapping.values() for value in values))
    return found


def document(doc: OfferDoc, strategy: str, memo: dict | None = None) -> tantivy.Document:
    """The tantivy document of an offer. ``memo``: shared by the documents of one read of the
    store (a resource's labels are the same in each), so each linked resource is analysed once."""
    memo = {} if memo is None else memo
    out = tantivy.Document()
    out.add_text("iri", doc.iri)
    out.add_unsigned("key", key(doc.iri))
    out.add_unsigned("digest", doc.digest)
    out.add_bytes("doc", doc.to_json().encode())
    own = _Analysed(((text_field(kind, lang, lang != doc.own_lang), value)
                     for kind, texts in (("title", doc.titles), ("description", doc.descriptions))
                     for lang, values in texts.items() if lang in LANGUAGES for value in values),
                    (t for ts in doc.titles.values() for t in ts))
    parts = [own, *(_link(link, memo) for link in doc.links)]
    for part in parts:
        for name, heads, modifiers in part.texts:
            out.add_text(name, heads)
            if modifiers:
                out.add_text(modifier_field(name), modifiers)
    for name in sorted(set().union(*(part.names for part in parts)) - {""}):
        out.add_text("names", name)
    all_words = [w for part in parts for w in part.words]
    out.add_text("words", " ".join(all_words))
    for facet, iris in doc.concepts.items():
        for iri in iris:
            out.add_text(concept_field(facet), iri)
        if iris:
            out.add_text(combination_field(facet), combination(iris))
    for lang in LANGUAGES:
        out.add_text(title_field(lang), sort_title(doc, lang) + ORDER_SEPARATOR + doc.iri)
    if strategy == "ngram":
        out.add_text("grams", " ".join(g for w in all_words for g in analysis.grams(w)))
    return out
