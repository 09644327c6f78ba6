"""Names as registries write them, folded into one comparable form.

The folding is what makes "Bundesamt fuer ...", "Bundesamt für ..." and "BUNDESAMT FÜR ..." one name:
lower case, umlauts as their two-letter spellings, ß as ss, accents dropped, punctuation as spaces.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss", "æ": "ae", "œ": "oe"})
_NON_WORD = re.compile(r"[^0-9a-z]+")
_PARENTHESISED = re.compile(r"\(([^()]{2,15})\)")

#: Words that carry no identity in German and English body names.
STOPWORDS = frozenset("der die das des dem den und fuer fur von vom zur zum im in am an auf bei mit "
                      "e v ev the of for and".split())


def fold(text: str) -> str:
    """Lower case, umlauts and ß spelled out, accents dropped, words separated by one space."""
    lowered = unicodedata.normalize("NFC", text).lower().translate(_FOLD)
    plain = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", plain).strip()


def tokens(text: str) -> list[str]:
    """The folded words that carry identity (no stop words)."""
    return [t for t in fold(text).split() if t not in STOPWORDS]


def name_variants(name: str) -> list[str]:
    """A name and the forms registries also write it in: without a parenthesised short name
    ("Bundesakademie für öffentliche Verwaltung (BAköV)") and the short name alone."""
    variants = [name]
    short = _PARENTHESISED.findall(name)
    if short:
        variants.append(" ".join(_PARENTHESISED.sub(" ", name).split()))
        variants.extend(short)
    return variants


def similarity(query: str, name: str) -> float:
    """How alike two names are, 0 to 1 (1: the same after folding).

    The larger of: the character similarity of the folded strings (catches typos), and the share of
    the shorter name's words found in the longer one, damped by the length difference (catches
    word order and extra words, as in an old name with "und für Heimat").
    """
    a, b = fold(query), fold(name)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if a.replace(" ", "") == b.replace(" ", ""):  # "Bundes Verwaltungsamt"
        return 0.98
    chars = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    da, db = _distinctive(a), _distinctive(b)
    if da and db and (da, db) != (a, b):
        # "Bundesministerium des Innern" and "... der Finanzen" share most letters, not their identity
        chars = (chars + difflib.SequenceMatcher(None, da, db, autojunk=False).ratio()) / 2
    ta, tb = set(tokens(query)), set(tokens(name))
    if not ta or not tb:
        return chars
    shorter, longer = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    overlap = sum(1 for t in shorter if t in longer or _close_token(t, longer)) / len(shorter)
    words = overlap * (len(shorter) / len(longer)) ** 0.5
    return max(chars, 0.95 * words)


#: Words that begin the names of many federal bodies: alike in letters, they say little.
GENERIC = frozenset("bundesministerium bundesministeriums bundesamt bundesanstalt bundesinstitut bundeszentrale "
                    "beauftragte beauftragter bundesregierung gmbh deutschland deutsches deutsche".split())


def _distinctive(folded: str) -> str:
    return " ".join(w for w in folded.split() if w not in GENERIC and w not in STOPWORDS)


def _close_token(token: str, others: set[str]) -> bool:
    # One typo in a long word ("Verwaltungsammt") still counts as the word.
    if len(token) < 6:
        return False
    return any(abs(len(token) - len(o)) <= 2 and difflib.SequenceMatcher(None, token, o).ratio() >= 0.9
               for o in others)


def is_abbreviation(text: str) -> bool:
    """A short name such as "BVA", "BAköV", "BMI" (one word, at most 10 letters, 2 capitals)."""
    stripped = text.strip()
    return (" " not in stripped and 2 <= len(stripped) <= 10
            and sum(1 for c in stripped if c.isupper()) >= 2)


def normalise_url(url: str) -> str:
    """A web address as a comparable key: no scheme, no www., no trailing slash, lower case host."""
    text = url.strip().lower()
    text = re.sub(r"^https?://", "", text)
    text = re.sub(r"^www\.", "", text)
    return text.rstrip("/")


def host(url: str) -> str:
    return normalise_url(url).split("/", 1)[0]


#: Word parts of German names of public bodies, so that "Bundesverwaltungsamt" reads as three
#: parts for its short name "BVA" (compounds have no spaces to split on).
_MORPHEMES = ("bundes", "verwaltungs", "ministerium", "akademie", "amt", "anstalt", "zentrum",
              "institut", "behoerde", "agentur", "kanzleramt", "statistisches", "gericht", "archiv")


def _parts(word: str) -> list[str]:
    parts, rest = [], word
    while rest:
        for m in _MORPHEMES:
            if rest.startswith(m) and len(rest) > len(m):
                parts.append(m)
                rest = rest[len(m):]
                break
        else:
            parts.append(rest)
            break
    return parts


def is_acronym_of(short: str, name: str) -> bool:
    """Whether ``short`` ("BVA", "BAköV", "BMWSB") abbreviates ``name``: every word part of the name
    but stop words gives the start of the next piece of the short name, in order."""
    letters = fold(short).replace(" ", "")
    parts = [p for w in fold(name).split() if w not in STOPWORDS for p in _parts(w)]
    if not letters or not parts or len(parts) > len(letters):
        return False

    def align(i: int, j: int) -> bool:
        if j == len(parts):
            return i == len(letters)
        part = parts[j]
        # each part contributes a non-empty prefix of itself
        for k in range(1, min(len(part), len(letters) - i) + 1):
            if letters[i:i + k] != part[:k]:
                break
            if align(i + k, j + 1):
                return True
        return False

    return align(0, 0)
