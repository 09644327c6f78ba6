"""The finder's count line reads as sentences when the results are cut to one page."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("lang, first, second", [
    ("de", "passende Angebote", "Die ersten"), ("en", "matching offers", "The first")])
def test_count_and_page_note_are_two_sentences(client, lang, first, second):
    html = client.get(f"/?lang={lang}").get_data(as_text=True)
    line = re.search(r'id="result-count">([^<]*)<', html).group(1)
    assert second in line, f"seed data no longer exceeds one page: {line!r}"
    assert re.search(rf"\d+ {first}\. {second} \d+", line), line
