"""SPARQL texts of issue 13 that crashed pyoxigraph, and texts at the guard's limits."""

from __future__ import annotations

from tfatlas.sparql import guard

# Finding 2: 20,000 elements each (10,000 steps for the path sequence).
ISSUE_SHAPES = {
    "plus": "SELECT (" + "+".join(["1"] * 20000) + " AS ?x) {}",
    "or": "SELECT * { FILTER(" + "||".join(["true"] * 20000) + ") }",
    "union": "SELECT * { " + " UNION ".join(["{ ?s ?p ?o }"] * 20000) + " }",
    "alternative": "SELECT * { ?s " + "|".join(["<http://e/p>"] * 20000) + " ?o }",
    "sequence": "SELECT * { ?s " + "/".join(["<http://e/p>"] * 10000) + " ?o }",
    "bind": "SELECT * { " + " ".join(f"BIND(1 AS ?v{i})" for i in range(20000)) + " }",
    "triples": "SELECT * { " + " ".join(f"?s <http://e/p{i}> ?o{i} ." for i in range(20000)) + " }",
}


def nested_not_chains(levels: int, chain: int = guard.MAX_CHAIN - 1) -> str:
    """An expression the guard admits: ``levels`` nested parentheses, each a chain of ``!``.

    Prefix ``!`` costs the most stack per token of the shapes the fuzzer tried (about 0.9 KB on
    pyoxigraph 0.5.13), so 40 levels overflow an 8 MiB stack.
    """
    expression = "true"
    for _ in range(levels):
        expression = "(" + "!" * chain + expression + ")"
    return expression


def worst_case_at_the_limits() -> str:
    """As many tokens of ``!`` chains as MAX_TOKENS allows, nested as deep as they fit."""
    per_level = guard.MAX_CHAIN - 1
    levels = min(guard.MAX_DEPTH - 2, (guard.MAX_TOKENS - 100) // (per_level + 2))
    return f"SELECT * {{ FILTER({nested_not_chains(levels, per_level)}) }}"
