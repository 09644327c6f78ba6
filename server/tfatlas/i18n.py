"""The reader's language and the text shown in it, decided once for the whole atlas.

The language: ``?lang=de|en`` wins (and every internal link keeps it); else the best of the
request's ``Accept-Language``; else German, the atlas's reference language.

A text given in several languages (labels, titles, messages) is shown in the reader's language,
else German (every resource must have a German label), else without a language tag, else in any
other language, else the fallback.
"""

from __future__ import annotations

from typing import Mapping

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"


def normalise_language(value: str | None) -> str:
    """A supported language code for ``value`` (``en-GB`` -> ``en``), German otherwise."""
    if value:
        primary = value.strip().lower().split("-")[0].split("_")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def choose_language(asked: str | None, accept_language: str | None) -> tuple[str, bool]:
    """(language, chosen explicitly with ?lang=) from the ``lang`` parameter and the header."""
    if asked and normalise_language(asked) == asked.strip().lower():
        return asked.strip().lower(), True
    if accept_language:
        best = parse_accept_header(accept_language, LanguageAccept).best_match(LANGUAGES)
        if best:
            return normalise_language(best), False
    return DEFAULT_LANGUAGE, False


def rank(tag: str | None, lang: str) -> int:
    """Where a text tagged ``tag`` stands for a reader of ``lang`` (0 is best); see the module docstring."""
    primary = (tag or "").lower().split("-")[0]
    if primary == lang:
        return 0
    if primary == DEFAULT_LANGUAGE:
        return 1
    if not primary:
        return 2
    return 3


def pick(texts: Mapping[str, str], lang: str, fallback: str = "") -> str:
    """The text for a reader of ``lang`` among texts by language tag ("" for untagged)."""
    best = None
    for tag, text in texts.items():
        if text and (best is None or rank(tag, lang) < best[0]):
            best = (rank(tag, lang), text)
    return best[1] if best else fallback
