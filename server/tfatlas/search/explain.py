"""Why an offer matched: which words were found in which field, and the text with them marked.

Re-runs the matching rules of query.py on the stored document, word by word, so the
explanation and the ranking cannot disagree about what a match is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import analysis, fields
from .query import QueryWord
from .source import OfferDoc

#: Kinds of a word match, strongest first.
WORD, TYPO, COMPOUND = "word", "typo", "compound"

TEXTS = {
    "de": {"title": "Treffer im Titel", "description": "Treffer in der Beschreibung",
           "topic": "über das Thema {label}", "challenge": "über die Herausforderung {label}",
           "audience": "über die Zielgruppe {label}", "type": "über die Angebotsart {label}",
           "competency": "über die Kompetenz {label}", "provider": "über den Anbieter {label}",
           "translated": "in der Übersetzung", "exact": "passt genau",
           TYPO: "ähnlich geschrieben", COMPOUND: "Wortteil"},
    "en": {"title": "match in the title", "description": "match in the description",
           "topic": "via the topic {label}", "challenge": "via the challenge {label}",
           "audience": "via the target group {label}", "type": "via the offer type {label}",
           "competency": "via the competency {label}", "provider": "via the provider {label}",
           "translated": "in the translation", "exact": "exact match",
           TYPO: "similar spelling", COMPOUND: "part of a word"},
}


@dataclass
class WordMatch:
    query: str  # the word as typed
    found: str  # the word of the data it matched
    kind: str  # WORD, TYPO or COMPOUND


@dataclass
class Match:
    """The query's words found in one field (for a linked resource: through its label)."""
    field: str  # title, description, topic, challenge, audience, type, competency, provider
    label: str = ""  # the linked resource's label in the reader's language
    iri: str = ""  # the linked resource
    via: str = ""  # the label (e.g. a synonym) the words were found in, when it is not ``label``
    translated: bool = False
    exact: bool = False  # the whole query is this field's text (title) or label
    words: list[WordMatch] = field(default_factory=list)

    def describe(self, lang: str) -> str:
        """ "über das Thema Künstliche Intelligenz (KI)", "Treffer im Titel (in der Übersetzung)". """
        texts = TEXTS[lang]
        label = self.label + (f" ({self.via})" if self.via and self.via != self.label else "")
        text = texts[self.field].format(label=label)
        notes = []
        if self.translated:
            notes.append(texts["translated"])
        for kind in (TYPO, COMPOUND):
            shown = [f"{w.query} → {w.found}" for w in self.words if w.kind == kind]
            if shown:
                notes.append(f"{texts[kind]}: {', '.join(dict.fromkeys(shown))}")
        return text + (f" ({'; '.join(notes)})" if notes else "")


class _Matcher:
    """The terms one query word matches in one language, as sets (built once per search)."""

    def __init__(self, word: QueryWord, lang: str, strategy: str):
        self.word = word
        self.lang = lang
        self.stems = frozenset(word.stems_for(lang))
        self.typos = frozenset(word.typos.get(lang, ()))
        self.parts = frozenset(filter(None, (analysis.stem(p, lang) for p in word.parts or ())))
        self.longer = frozenset(word.longer) if strategy == "decompound" else frozenset()
        self.grams = (frozenset(analysis.grams(word.folded))
                      if strategy == "ngram" and len(word.folded) >= 4 else frozenset())
        self._kinds: dict[str, str | None] = {}  # the pages' texts repeat their words

    def kind(self, lower: str) -> str | None:
        if lower not in self._kinds:
            self._kinds[lower] = self._kind(lower)
        return self._kinds[lower]

    def _kind(self, lower: str) -> str | None:
        token_stem = analysis.stem(lower, self.lang)
        if token_stem is None:
            return None
        if token_stem in self.stems:
            return WORD
        if token_stem in self.typos:
            return TYPO
        if token_stem in self.parts:
            return COMPOUND
        if self.longer or self.grams:
            folded = analysis.fold(lower)
            if folded in self.longer:
                return COMPOUND
            if self.grams and len(self.grams & set(analysis.grams(folded))) >= analysis.GRAM_SHARE * len(self.grams):
                return COMPOUND
        return None


def marks(text: str, matchers: list[_Matcher]) -> list[tuple[int, int, WordMatch]]:
    """(start, end, match) of each word of ``text`` that a query word matches."""
    found = []
    for start, end, lower in analysis.spans(text):
        for matcher in matchers:
            kind = matcher.kind(lower)
            if kind:
                found.append((start, end, WordMatch(matcher.word.text, text[start:end], kind)))
                break
    return found


def segments(text: str, spans: list[tuple[int, int, WordMatch]], window: int | None = None) -> list[tuple[str, bool]]:
    """The text (or a window of it around the first mark) as (piece, marked) pairs."""
    start, end, prefix, suffix = 0, len(text), "", ""
    if window and len(text) > window:
        first = spans[0][0] if spans else 0
        start = max(0, first - window // 3)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        end = min(len(text), start + window)
        while end < len(text) and not text[end].isspace():
            end += 1
        prefix, suffix = ("…" if start > 0 else ""), ("…" if end < len(text) else "")
    pieces, cursor = [], start
    if prefix:
        pieces.append((prefix, False))
    for s, e, _ in spans:
        if s < start or e > end:
            continue
        if s > cursor:
            pieces.append((text[cursor:s], False))
        pieces.append((text[s:e], True))
        cursor = e
    if cursor < end:
        pieces.append((text[cursor:end], False))
    if suffix:
        pieces.append((suffix, False))
    return pieces


@dataclass
class Explanation:
    matches: list[Match]
    exact: bool
    title: list[tuple[str, bool]]
    snippet: list[tuple[str, bool]]
    title_lang: str = ""


SNIPPET = 220


class Matchers:
    """The query's words per language, and the marks they put on each text seen (the labels of
    topics, providers, ... recur on every offer of a page)."""

    def __init__(self, words: list[QueryWord], strategy: str):
        self.by_lang = {lang: [_Matcher(w, lang, strategy) for w in words] for lang in analysis.LANGUAGES}
        self._marks: dict[tuple[str, str], list] = {}

    def marks(self, text: str, lang: str) -> list[tuple[int, int, WordMatch]]:
        key = (text, lang)
        if key not in self._marks:
            self._marks[key] = marks(text, self.by_lang[lang])
        return self._marks[key]


def matchers(words: list[QueryWord], strategy: str) -> Matchers:
    return Matchers(words, strategy)


def explain(doc: OfferDoc, by_lang: Matchers, text: str, lang: str) -> Explanation:
    exact_key = analysis.name_key(text)
    by_field: dict[tuple, Match] = {}
    matched_values: dict[tuple, list[str]] = {}
    for kind, text_lang, translated, value, link in fields.field_texts(doc):
        found = by_lang.marks(value, text_lang)
        is_exact = bool(exact_key) and analysis.name_key(value) == exact_key
        if not found and not is_exact:
            continue
        key = (kind, link.iri if link else "", translated)
        match = by_field.get(key)
        if match is None:
            match = by_field[key] = Match(kind, link.label(lang) if link else "", link.iri if link else "",
                                          translated=translated)
        matched_values.setdefault(key, []).append(value)
        match.exact = match.exact or is_exact
        match.words.extend(m for _, _, m in found)
    for key, match in by_field.items():
        if match.iri and match.label not in matched_values[key]:
            match.via = matched_values[key][0]
    order = {kind: i for i, kind in enumerate(fields.KINDS)}
    matches = sorted(by_field.values(), key=lambda m: (not m.exact, order[m.field], m.translated, m.label))
    # A field matched in its own text and in a translation is told once, as its own.
    own = {(m.field, m.iri) for m in matches if not m.translated}
    matches = [m for m in matches if not m.translated or (m.field, m.iri) not in own]
    title = doc.title(lang)
    title_lang = lang if doc.titles.get(lang) else doc.own_lang
    description = doc.description(lang)
    description_lang = lang if doc.descriptions.get(lang) else doc.own_lang
    return Explanation(
        matches=matches,
        exact=any(m.exact for m in matches),
        title=segments(title, by_lang.marks(title, title_lang)),
        snippet=segments(description, by_lang.marks(description, description_lang), SNIPPET),
        title_lang=title_lang,
    )
