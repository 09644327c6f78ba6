"""The finder at / and the coverage overview at /overview: thin routes over tfatlas.finder."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request

from ... import finder as core
from ..deps import get_search_index, get_store, store_state
from ..urls import reader_language, with_lang

bp = Blueprint("finder", __name__)

TEXTS = {
    "de": {
        "title": "Transformationsatlas: Unterstützung finden",
        "heading": "Wer hilft bei welcher Herausforderung?",
        "intro": "Wählen Sie eine Herausforderung, ein Thema oder weitere Merkmale, oder suchen Sie nach "
                 "Stichworten. Die Zahlen nennen die passenden Angebote.",
        "filters": "Filter", "any": "alle", "search": "Suchtext", "submit": "Angebote anzeigen",
        "reset": "Alle Filter zurücksetzen", "results": "Angebote", "found": "{n} passende Angebote",
        "found1": "1 passendes Angebot", "more": "Die ersten {n} werden gezeigt; grenzen Sie die Suche ein.",
        "provider": "Anbieter", "format": "Format", "cost": "Kosten", "audience": "Zielgruppe",
        "contact": "Kontakt", "topics": "Themen", "challenges": "Herausforderungen",
        "exact": "passt genau", "related": "verwandtes Thema oder verwandte Herausforderung",
        "page": "Webseite des Angebots", "none": "Keine passenden Angebote",
        "relax": "Lockern Sie einen Filter:", "without": "ohne {label} „{value}“",
        "offers_n": "{n} Angebote", "offers_1": "1 Angebot", "offers_0": "keine Angebote",
        "experts": "Akteure mit passender Expertise, aber ohne passendes Angebot",
        "expertise": "Expertise", "no_experts": "Kein Akteur nennt passende Expertise.",
        "nav_finder": "Finder", "nav_overview": "Übersicht", "nav_api": "API für Abfragen",
        "nav_label": "Finder und Übersicht",
        "error": "Die Anfrage ist ungültig",
        "bad_value": "„{value}“ ist kein Wert für „{label}“. Dieser Filter wurde nicht angewandt; "
                     "die übrigen gelten. Wählen Sie einen Wert aus der Liste.",
        "bad_q": "Der Suchtext ist länger als 200 Zeichen und wurde nicht angewandt; die Filter gelten.",
        "bad_lang": "Die Sprache „{value}“ gibt es hier nicht (de oder en); die Seite folgt der "
                    "Spracheinstellung Ihres Browsers.",
        "why": "Warum dieses Angebot", "some_words": "Kein Angebot enthält alle Suchwörter; "
        "gezeigt werden Angebote mit einigen davon.",
    },
    "en": {
        "title": "Transformationsatlas: find support",
        "heading": "Who helps with which challenge?",
        "intro": "Choose a challenge, a topic or other features, or search by keywords. The numbers "
                 "count the matching offers.",
        "filters": "Filters", "any": "any", "search": "Search text", "submit": "Show offers",
        "reset": "Clear all filters", "results": "Offers", "found": "{n} matching offers",
        "found1": "1 matching offer", "more": "The first {n} are shown; narrow the search down.",
        "provider": "Provider", "format": "Format", "cost": "Cost", "audience": "Target group",
        "contact": "Contact", "topics": "Topics", "challenges": "Challenges",
        "exact": "exact match", "related": "related topic or challenge",
        "page": "Offer's web page", "none": "No matching offers",
        "relax": "Relax one filter:", "without": "without {label} “{value}”",
        "offers_n": "{n} offers", "offers_1": "1 offer", "offers_0": "no offers",
        "experts": "Actors with matching expertise but no matching offer",
        "expertise": "Expertise", "no_experts": "No actor names matching expertise.",
        "nav_finder": "Finder", "nav_overview": "Overview", "nav_api": "Query API",
        "nav_label": "Finder and overview",
        "error": "The request is invalid",
        "bad_value": "“{value}” is not a value of “{label}”. This filter was not applied; the others "
                     "still are. Choose a value from the list.",
        "bad_q": "The search text is longer than 200 characters and was not applied; the filters still are.",
        "bad_lang": "There is no language “{value}” here (de or en); the page follows your browser's "
                    "language setting.",
        "why": "Why this offer", "some_words": "No offer contains every search word; offers with "
        "some of them are shown.",
    },
}
OVERVIEW_TEXTS = {
    "de": {"title": "Transformationsatlas: Abdeckung der Themen",
           "heading": "Welche Themen decken die Akteure ab?",
           "intro": "Angebote je Thema (mit seinen Unterthemen) und Anbieter. Ein Punkt (•) heißt: "
                    "der Akteur arbeitet am Thema, hat dazu aber kein Angebot.",
           "topic": "Thema", "map": "Heatmap", "table": "Tabelle", "gaps": "Lücken (kein Angebot)",
           "overlaps": "Überschneidungen (mehrere Anbieter)", "none": "keine",
           "svg_title": "Angebote je Thema und Anbieter",
           "cell": "{topic} – {provider}: {n} Angebote", "expert_only": "arbeitet am Thema, kein Angebot",
           "providers": "Anbieter"},
    "en": {"title": "Transformationsatlas: topic coverage",
           "heading": "Which topics do the actors cover?",
           "intro": "Offers per topic (with its narrower topics) and provider. A dot (•) means: the "
                    "actor works on the topic but has no offer on it.",
           "topic": "Topic", "map": "Heat map", "table": "Table", "gaps": "Gaps (no offer)",
           "overlaps": "Overlaps (several providers)", "none": "none",
           "svg_title": "Offers per topic and provider",
           "cell": "{topic} – {provider}: {n} offers", "expert_only": "works on the topic, no offer",
           "providers": "Providers"},
}


def search_url(params: dict[str, str]) -> str:
    query = urlencode(params)
    return request.script_root + "/" + ("?" + query if query else "")


def _common(lang: str) -> dict:
    """Template values shared by the finder's pages; the site's header and footer texts are the
    linked-data pages' (base.html), in the reader's language."""
    return {"ft": TEXTS[lang], "with_lang": with_lang}


def _parse(args: dict[str, str], schemes, lang: str, explicit: bool) -> tuple[core.Search, dict[str, str]]:
    """The search from the valid arguments, and a message in the reader's language for each
    invalid one (dropped, so that the others still filter)."""
    texts, errors = TEXTS[lang], {}
    while True:
        try:
            return core.parse_search(args, schemes, lang=lang, lang_explicit=explicit), errors
        except core.FinderInputError as exc:
            if exc.param not in args:  # nothing left to drop: not the reader's input
                raise
            value = args.pop(exc.param)
            facet = next((f for f in core.FACETS if f.name == exc.param), None)
            errors[exc.param] = (texts["bad_value"].format(value=value, label=facet.label(lang)) if facet
                                 else texts["bad_lang"].format(value=value) if exc.param == "lang"
                                 else texts["bad_q"])


@bp.get("/")
def finder_page():
    lang, explicit = reader_language()
    store = get_store(current_app)
    state = store_state()
    schemes = core.cached_schemes(store, state)
    search, errors = _parse(request.args.to_dict(), schemes, lang, explicit)
    result = core.find(store, search, schemes, state, get_search_index())
    page = render_template("finder.html", result=result, search=search, facets=core.FACETS, errors=errors,
                           page_size=core.PAGE_SIZE, search_url=search_url, **_common(lang))
    # A bad value is still a 400 (a link checker or crawler learns the link is wrong, and does
    # not index it), but the page is the finder with the valid filters applied, not an error page.
    return page, 400 if errors else 200


@bp.get("/overview")
def overview_page():
    lang, _ = reader_language()
    coverage = core.coverage(get_store(current_app), lang)
    return render_template("overview.html", coverage=coverage, o=OVERVIEW_TEXTS[lang],
                           svg=heatmap(coverage, OVERVIEW_TEXTS[lang]), **_common(lang))


def heatmap(coverage: core.Coverage, texts: dict) -> dict:
    """Geometry of the SVG heat map; the template draws it (so Jinja escapes every label)."""
    cell, left, top = 44, 270, 190
    highest = coverage.max or 1
    cells = []
    for row, (topic, topic_label) in enumerate(coverage.topics):
        for column, (provider, provider_label) in enumerate(coverage.providers):
            n = coverage.offers.get((topic, provider), 0)
            # Light to dark blue; the text colour flips so it keeps a contrast of at least 4.5:1.
            share = n / highest
            lightness = 96 - round(share * 66) if n else 98
            cells.append({
                "x": left + column * cell, "y": top + row * cell, "n": n,
                "fill": f"hsl(210, 70%, {lightness}%)", "text": "#ffffff" if lightness < 55 else "#1a1a1a",
                "expert": n == 0 and (topic, provider) in coverage.expertise,
                "title": texts["cell"].format(topic=topic_label, provider=provider_label, n=n)
                + ("" if n or (topic, provider) not in coverage.expertise else f" ({texts['expert_only']})"),
            })
    return {"cell": cell, "left": left, "top": top, "cells": cells,
            "width": left + max(1, len(coverage.providers)) * cell + 150,  # room for the slanted names
            "height": top + max(1, len(coverage.topics)) * cell + 20}
