"""The streamed used-prefix rule of the release's Turtle and TriG agrees with the in-memory one."""

from __future__ import annotations

import random

import pytest

from tfatlas.model.formats import used_prefix_lines, without_unused_prefixes

HEADER = [b"@prefix dct: <http://purl.org/dc/terms/> .", b"@prefix org: <http://www.w3.org/ns/org#> .",
          b"@prefix a: <http://example.org/a/> .", b"@prefix x.y: <http://example.org/xy/> ."]


def kept_in_memory(body: bytes) -> list[bytes]:
    text = without_unused_prefixes(b"\n".join(HEADER) + b"\n" + body)
    return [line for line in HEADER if line in text.split(b"\n")]


def streamed(body: bytes, size: int) -> list[bytes]:
    return used_prefix_lines(HEADER, iter([body[i:i + size] for i in range(0, len(body), size)] or [b""]))


@pytest.mark.parametrize("body, used", [
    (b"<s> dct:title \"x\" .", [HEADER[0]]),
    (b"<http://w3id.org:org:x> <p> <o> .", []),  # inside an IRI: not a use
    (b"<s> <p> xdct:a , a.org:b , #org:c\n", []),  # part of a longer token
    (b"<s> a:b x.y:c .", [HEADER[2], HEADER[3]]),
    (b"dct:a org:b", [HEADER[0], HEADER[1]]),  # at the very start
])
def test_a_prefix_counts_where_a_token_starts(body, used):
    assert streamed(body, 3) == used == kept_in_memory(body)


def test_the_streamed_rule_matches_the_in_memory_rule_on_random_bodies_and_chunk_sizes():
    alphabet = b"dct:org:a:x.y: <>#=-/._\n\"w3id"
    rng = random.Random(20261201)
    for _ in range(2000):
        body = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        assert streamed(body, rng.randint(1, 9)) == kept_in_memory(body), body
