"""How text becomes terms: folding, words, stems, compounds, n-grams, edit distance.

The same functions serve the index and the query side, and the explanations re-run them on the
stored text, so "why did this match" is answered by the code that made it match.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from typing import Iterable

import tantivy

LANGUAGES = ("de", "en")
_STEMMER = {"de": "german", "en": "english"}
#: Analyzer names registered on every opened index.
ANALYZERS = {lang: f"stem_{lang}" for lang in LANGUAGES}
WHITESPACE = "ws"

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_WORD = re.compile(r"[^\W_]+")


@functools.lru_cache(maxsize=262144)
def fold(text: str) -> str:
    """Lower case with umlauts spelt out, so "Agilität" and "Agilitaet" are one spelling."""
    return unicodedata.normalize("NFC", text).lower().translate(_FOLD)


def words(text: str) -> list[str]:
    """The folded words of a text (letters and digits; hyphens and punctuation separate)."""
    return _WORD.findall(fold(text))


@functools.lru_cache(maxsize=32768)
def spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, lower-case word) for each word of the text (NFC), for highlighting."""
    text = unicodedata.normalize("NFC", text)
    return tuple((m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text))


# Starts only where no letter or digit precedes: the same matches as without the lookbehind,
# but without trying every position inside each word (which took 30 µs a description).
_HYPHENATED = re.compile(r"(?<![^\W_])[^\W_]+(?:-[^\W_]+)+")


def split_modifiers(text: str) -> tuple[str, str]:
    """The text with each hyphenated compound cut to its head, and the modifiers cut off.

    In "KI-Prototypen entwickeln" the prototypes are the subject and KI qualifies them (the head
    of a German compound is its last part): the modifiers are indexed apart, at a lower weight.
    """
    if "-" not in text:
        return text, ""
    modifiers: list[str] = []

    def head(match: re.Match) -> str:
        parts = match.group().split("-")
        modifiers.extend(parts[:-1])
        return parts[-1]

    return _HYPHENATED.sub(head, text), " ".join(modifiers)


@functools.lru_cache(maxsize=32768)
def name_key(text: str) -> str:
    """The form a whole name is compared in: "KI-Grundlagen" and "ki grundlagen" are one key."""
    return " ".join(words(text))


#: German stop words with an umlaut, as typed without one (Snowball's list has only "für").
_SPELT_OUT_STOPWORDS = ["fuer", "ueber", "waehrend", "wuerde", "wuerden", "koennen", "koennte",
                        "muessen", "muesste", "haette", "haetten", "moechte", "duerfen"]


@functools.cache
def analyzer(lang: str) -> tantivy.TextAnalyzer:
    """Lower case, stop words removed, Snowball stemmer of the language."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(60))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stopword(_STEMMER[lang]))
            .filter(tantivy.Filter.custom_stopword(_SPELT_OUT_STOPWORDS))
            .filter(tantivy.Filter.stemmer(_STEMMER[lang]))
            .build())


@functools.cache
def whitespace_analyzer() -> tantivy.TextAnalyzer:
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


def register(index: tantivy.Index) -> None:
    for lang, name in ANALYZERS.items():
        index.register_tokenizer(name, analyzer(lang))
    index.register_tokenizer(WHITESPACE, whitespace_analyzer())


@functools.lru_cache(maxsize=262144)
def stem(word: str, lang: str) -> str | None:
    """The stem of one lower-case word (either umlaut spelling) in a language; None for a stop word."""
    terms = analyzer(lang).analyze(word)
    return terms[0] if terms else None


def is_stopword(word: str) -> bool:
    return all(stem(word, lang) is None for lang in LANGUAGES)


def fuzzy_distance(word: str) -> int:
    """Typos tolerated in a word: none in short words (KI, PM, Amt), one from 5, two from 10 letters."""
    return 0 if len(word) < 5 else 1 if len(word) < 10 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions cost one), cut off above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


# -- compounds: decompounding against the index's own words ----------------------------------

#: Linking elements (Fugenelemente) allowed between the parts of a German compound.
_LINKS = ("", "s", "es", "n", "en", "e")
MIN_PART = 3
#: Shortest remainder when a query word is found inside a longer word of the data.
MIN_REST = 3


def split_compound(word: str, known) -> list[str] | None:
    """The fewest known words (each at least MIN_PART letters) that ``word`` is made of, or None.

    "fuehrungskraefteentwicklung" -> ["fuehrungskraefte", "entwicklung"] when both occur in the
    data; "agilcoach" -> ["agil", "coach"]. Linking elements between parts are skipped.
    """
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for start in range(n):
        if best[start] is None:
            continue
        for end in range(start + MIN_PART, n + 1):
            part = word[start:end]
            if part not in known:
                continue
            for link in _LINKS:
                stop = end + len(link)
                if stop <= n and word[end:stop] == link:
                    candidate = best[start] + [part]
                    if best[stop] is None or len(candidate) < len(best[stop]):
                        best[stop] = candidate
    parts = best[n]
    return parts if parts and len(parts) > 1 else None


class Vocabulary:
    """The words of the indexed texts, for splitting compounds and finding words inside longer ones."""

    def __init__(self, words_: Iterable[str], stems: dict[str, Iterable[str]]):
        """``words_``: folded words of all texts; ``stems``: lang -> the terms of that language's fields."""
        self.stems = {lang: frozenset(stems.get(lang, ())) for lang in LANGUAGES}
        # German stems count as words, so that "Agilcoach" splits although the data says "agile".
        self.words = frozenset(w for w in words_ if len(w) >= MIN_PART) | {
            s for s in self.stems["de"] if len(s) >= MIN_PART}
        self._forward = sorted(self.words)
        self._backward = sorted(w[::-1] for w in self.words)
        self._by_start: dict[tuple[str, str], list[str]] = {}
        for lang, terms in self.stems.items():
            for term in terms:
                self._by_start.setdefault((lang, term[0]), []).append(term)

    def __contains__(self, word: str) -> bool:
        return word in self.words

    def corrections(self, word_stem: str, lang: str, distance: int) -> list[str]:
        """Stems of the data within ``distance`` edits of a stem; typos rarely hit the first letter."""
        if not distance or not word_stem:
            return []
        candidates = self._by_start.get((lang, word_stem[0]), ())
        return sorted(s for s in candidates if s != word_stem and abs(len(s) - len(word_stem)) <= distance
                      and edit_distance(s, word_stem, distance) <= distance)

    def containing(self, word: str, limit: int = 64) -> list[str]:
        """Known words that begin or end with ``word`` (or its bare form) and are longer by at
        least MIN_REST letters: "geschaeftsprozesse" -> "geschaeftsprozessoptimierung"."""
        found: set[str] = set()
        for part in part_forms(word):
            for table, key, turn in ((self._forward, part, False), (self._backward, part[::-1], True)):
                at = bisect.bisect_left(table, key)
                while at < len(table) and table[at].startswith(key) and len(found) < limit:
                    if len(table[at]) >= len(part) + MIN_REST:
                        found.add(table[at][::-1] if turn else table[at])
                    at += 1
        return sorted(found)


#: Inflection endings dropped when a word is looked for inside a compound ("optimieren" in
#: "optimierung", "geschaeftsprozesse" in "geschaeftsprozessoptimierung"), longest first.
_ENDINGS = ("en", "es", "er", "e", "n", "s")


def part_forms(word: str) -> list[str]:
    """The word, and the word without an inflection ending, each at least 4 letters."""
    forms = [word]
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            forms.append(word[: -len(ending)])
            break
    return [f for f in forms if len(f) >= 4]


# -- compounds: character n-grams --------------------------------------------------------------

GRAM = 3
#: Share of a query word's n-grams that one field must contain for the word to match.
GRAM_SHARE = 0.7


def grams(word: str) -> list[str]:
    padded = f"^{word}$"
    return [padded[i:i + GRAM] for i in range(len(padded) - GRAM + 1)]
