"""Reading a URL query or form body (sparql/protocol.py's own decoder) gives exactly what
``urllib.parse.parse_qsl`` gives, and refuses exactly what it cannot decode as UTF-8."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.paths import IN_CI
from tfatlas.errors import ProtocolError
from tfatlas.sparql.protocol import _pairs, parse_request

# Pieces that make the decoder's cases: escapes (valid, malformed, cut off, of bytes that are not
# UTF-8 on their own), the separators, backslashes (which the decoder escapes), "x" after them,
# raw UTF-8 and raw bytes that are not UTF-8.
PIECES = [b"%", b"%2", b"%41", b"%c3", b"%A9", b"%C3%A9", b"%e2%82%ac", b"%zz", b"%%", b"%5C", b"%5c%78",
          b"+", b"=", b"&", b"\\", b"\\x41", b"x", b"4", b"a", b"query", b" ", b"\xc3\xa9", b"\xe2\x82\xac",
          b"\xff", b"\xa9", b"\xc3", b"\x00"]


def _expected(data: bytes):
    try:
        return parse_qsl(data.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return "refused"


def _got(data: bytes):
    try:
        return _pairs(data, "URL")
    except ProtocolError as exc:
        assert exc.status == 400
        return "refused"


@settings(max_examples=3000, deadline=None, derandomize=IN_CI, database=None)
@given(st.lists(st.sampled_from(PIECES), max_size=24).map(b"".join))
def test_pairs_are_those_of_parse_qsl(data):
    assert _got(data) == _expected(data)


@pytest.mark.parametrize("text", [
    "SELECT ?s WHERE { ?s ?p \"a+b=c&d%41\\\\x41 é € \" }",
    "SELECT * { ?s <http://example.org/p?x=1&y=%20> \"\\u00e9\" } # 100% sure",
])
def test_an_encoded_query_reads_back_as_sent(text):
    op = parse_request("GET", urlencode({"query": text, "format": "json"}).encode(), None, b"")
    assert (op.kind, op.text, op.format) == ("query", text, "json")
    form = parse_request("POST", b"", "application/x-www-form-urlencoded", urlencode({"query": text}).encode())
    assert form.text == text


def test_bytes_that_are_not_utf8_are_refused_with_a_message():
    with pytest.raises(ProtocolError, match="URL is not valid UTF-8"):
        parse_request("GET", b"query=\xff", None, b"")
    with pytest.raises(ProtocolError, match="percent-encoded bytes that are not UTF-8"):
        parse_request("GET", b"query=%ff", None, b"")
    with pytest.raises(ProtocolError, match="form body has percent-encoded bytes"):
        parse_request("POST", b"", "application/x-www-form-urlencoded", b"query=%c3")
