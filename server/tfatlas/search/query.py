"""From what a person typed to a tantivy query.

Every word must match somewhere (all words); when no offer has them all, offers with some of
them are returned instead (any word), and the result says so. A word matches a field by its
stem in the field's language or in the other one ("Coaching" -> coach), with typos tolerated in
longer words, and, for German compounds, by its parts or as part of a longer word (the
"decompound" strategy) or by shared character n-grams (the "ngram" strategy).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

import tantivy
from tantivy import Occur, Query

from . import analysis, fields
from .analysis import LANGUAGES

MAX_WORDS = 8


@dataclass(frozen=True)
class QueryWord:
    text: str  # as typed
    lower: str
    folded: str
    stems: dict  # lang -> stem (None for a stop word in that language)
    distance: int  # typos tolerated
    parts: tuple[str, ...] | None = None  # folded known words the word is made of
    longer: tuple[str, ...] = ()  # known words that begin or end with this one
    typos: dict = field(default_factory=dict)  # lang -> stems of the data one or two edits away

    def stems_for(self, lang: str) -> list[str]:
        """The terms this word looks for in a field of ``lang``: its own stem first."""
        own = self.stems.get(lang) or self.lower
        other = [s for l, s in self.stems.items() if l != lang and s and s != own]
        return [own, *other]


def parse(text: str, vocabulary: analysis.Vocabulary | None = None) -> list[QueryWord]:
    """The words of a query; stop words dropped unless written in capitals (IT, US) or alone."""
    found = []
    text = unicodedata.normalize("NFC", text)
    for start, end, lower in analysis.spans(text):
        original = text[start:end]
        stems = {lang: analysis.stem(lower, lang) for lang in LANGUAGES}
        folded = analysis.fold(lower)
        found.append((original, lower, folded, stems))
    upper = {w for w in re.findall(r"[^\W_]+", text) if len(w) > 1 and w.isupper()}
    keep = [f for f in found if not any(s is None for s in f[3]) or f[0] in upper]
    chosen = keep or found
    words = []
    for original, lower, folded, stems in chosen[:MAX_WORDS]:
        parts, longer, typos = None, (), {}
        distance = analysis.fuzzy_distance(folded)
        if vocabulary is not None:
            # Typos only for a word the data does not have: a real word is meant as written.
            if distance and not any((stems[lang] or lower) in vocabulary.stems[lang] for lang in LANGUAGES):
                typos = {lang: tuple(vocabulary.corrections(stems[lang] or lower, lang, distance))
                         for lang in LANGUAGES}
            if len(folded) >= 2 * analysis.MIN_PART and folded not in vocabulary:
                split = analysis.split_compound(folded, vocabulary)
                parts = tuple(split) if split else None
            longer = tuple(vocabulary.containing(folded))
        words.append(QueryWord(original, lower, folded, stems, distance, parts, longer, typos))
    return words


def _word_query(schema: tantivy.Schema, word: QueryWord, strategy: str) -> Query:
    clauses: list[tuple[Occur, Query]] = []
    for name, kind, lang, translated in fields.text_fields():
        weight = fields.WEIGHTS[kind] * (fields.TRANSLATION if translated else 1.0)
        for target, share in ((name, 1.0), (fields.modifier_field(name), fields.MODIFIER)):
            for index, term in enumerate(word.stems_for(lang)):
                boost = weight * share * (1.0 if index == 0 else fields.OTHER_STEM)
                clauses.append((Occur.Should, Query.boost_query(Query.term_query(schema, target, term), boost)))
            for term in word.typos.get(lang, ()):
                clauses.append((Occur.Should, Query.boost_query(Query.term_query(schema, target, term),
                                                                weight * share * fields.FUZZY)))
    if strategy == "decompound":
        if word.parts:
            # Most parts, not all: the head of a German compound is often a general word
            # ("-entwicklung") that the offer says otherwise.
            parts = [(Occur.Should, _part_query(schema, part)) for part in word.parts]
            need = max(1, len(word.parts) // 2 + len(word.parts) % 2)
            clauses.append((Occur.Should, Query.boost_query(
                Query.boolean_query(parts, minimum_number_should_match=need), fields.COMPOUND)))
        if word.longer:
            clauses.append((Occur.Should, Query.boost_query(
                Query.term_set_query(schema, "words", list(word.longer)), fields.PART)))
    elif strategy == "ngram" and len(word.folded) >= 4:
        grams = sorted(set(analysis.grams(word.folded)))
        need = max(1, math.ceil(len(grams) * analysis.GRAM_SHARE))
        gram_clauses = [(Occur.Should, Query.term_query(schema, "grams", g)) for g in grams]
        clauses.append((Occur.Should, Query.boost_query(
            Query.boolean_query(gram_clauses, minimum_number_should_match=need), fields.GRAMS / len(grams))))
    return Query.boolean_query(clauses)


def _part_query(schema: tantivy.Schema, part: str) -> Query:
    """One part of a compound, in any text field by its stem."""
    clauses = []
    for name, kind, lang, _ in fields.text_fields():
        term = analysis.stem(part, lang)
        if term:
            clauses.append((Occur.Should, Query.boost_query(Query.term_query(schema, name, term),
                                                            fields.WEIGHTS[kind])))
    return Query.boolean_query(clauses) if clauses else Query.empty_query()


def build(schema: tantivy.Schema, words: list[QueryWord], text: str, strategy: str,
          require_all: bool = True) -> Query:
    occur = Occur.Must if require_all else Occur.Should
    clauses = [(occur, _word_query(schema, w, strategy)) for w in words]
    exact = analysis.name_key(text)
    if exact:
        clauses.append((Occur.Should, Query.boost_query(Query.term_query(schema, "names", exact), fields.EXACT)))
    return Query.boolean_query(clauses)
