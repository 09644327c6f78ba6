"""The guard refuses every shape the fuzzer found crashing; the large stack survives what it admits.

The shapes come from tools/fuzz_engine.py (the same grammar the fuzzer searches). A crash is a
process dying by signal, so those checks run the engine in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from support.engine_shapes import ISSUE_SHAPES, worst_case_at_the_limits
from support.paths import REPO, SHARED
from tfatlas.sparql import guard

sys.path.insert(0, str(REPO / "tools"))
import fuzz_engine  # noqa: E402

SHAPES = fuzz_engine.shapes()

# Shapes that crashed pyoxigraph 0.5.13 on an 8 MiB stack (tools/fuzz_engine.py --stacks 0),
# with the limit that refuses them.
CRASHING = {
    "expr:plus@select": "MAX_CHAIN", "expr:times@filter": "MAX_CHAIN", "expr:or@filter": "MAX_CHAIN",
    "expr:and@update": "MAX_CHAIN", "expr:not@order": "MAX_CHAIN", "expr:parens@select": "MAX_DEPTH",
    "expr:str_calls@select": "MAX_DEPTH", "expr:exists_nest@filter": "MAX_DEPTH",
    "group:union@select": "MAX_UNIONS", "group:union@update": "MAX_UNIONS",
    "group:minus@select": "MAX_ELEMENTS", "group:bind@construct": "MAX_ELEMENTS",
    "group:bind@update": "MAX_UPDATE_ELEMENTS", "group:triples_same@select": "MAX_ELEMENTS",
    "group:path_alt@select": "MAX_CHAIN", "group:path_seq@update": "MAX_UPDATE_ELEMENTS",
    "group:groups_nest@select": "MAX_DEPTH", "group:subselect_nest@select": "MAX_DEPTH",
    "group:collection_flat@select": "MAX_ELEMENTS", "group:collection_flat@update": "MAX_UPDATE_ELEMENTS",
    "group:object_list@select": "MAX_ELEMENTS", "group:optional@select": "MAX_ELEMENTS",
    "group:bnode_nest@select": "MAX_DEPTH", "group:collection_nest@select": "MAX_DEPTH",
    "group:triples_distinct@select": "MAX_ELEMENTS", "other:insert_data_bnode_nest": "MAX_DEPTH",
}

@pytest.mark.parametrize("name", sorted(ISSUE_SHAPES))
def test_issue_shapes_are_refused_naming_the_limit(name):
    message = guard.problem(ISSUE_SHAPES[name])
    assert message is not None and "(limit MAX_" in message and "1:" in message, message


@pytest.mark.parametrize("shape,limit", sorted(CRASHING.items()))
def test_crashing_shapes_refused_just_above_their_limit(shape, limit):
    kind, text = SHAPES[shape](getattr(guard, limit) + 2)  # n terms have n - 1 operators
    message = guard.problem(text, update=kind == "update")
    assert message is not None and f"limit {limit}" in message, (shape, message)


def test_real_queries_and_the_w3c_suites_pass():
    paths = sorted((REPO / "queries").glob("*.rq"))
    paths += sorted((SHARED / "w3c").rglob("*.r[qu]")) if SHARED.exists() else []
    assert len(paths) >= 6
    refused = [p for p in paths
               if guard.problem(p.read_text(encoding="utf-8", errors="replace"), update=p.suffix == ".ru")]
    assert refused == []
    # Data blocks count for depth only: a large INSERT DATA (an admin's bulk write) is fine.
    data = "INSERT DATA { " + " ".join(f"<http://e/s{i}> <http://e/p> {i} ." for i in range(60000)) + " }"
    assert guard.problem(data) is None
    values = "SELECT * { VALUES ?x { " + " ".join(["1"] * 150000) + " } }"
    assert guard.problem(values) is None
    # In a data block brackets in strings, IRIs and escapes are text; real ones still count for depth.
    texty = 'INSERT DATA { <http://e/s> <http://e/p> "((((", <http://e/(((>, ex:a\\( } ; ' * 200
    assert guard.problem(texty + "INSERT DATA { <http://e/s> <http://e/p> 1 }", update=True) is None
    nested = "INSERT DATA { <http://e/s> <http://e/p> " + "[ <http://e/p> " * 300 + "1" + " ]" * 300 + " }"
    assert "MAX_DEPTH" in guard.problem(nested, update=True)
    after = "INSERT DATA { <http://e/s> <http://e/p> 1 } ; DELETE { ?s ?p ?o } WHERE { FILTER(" + "1+" * 2001 + "1) }"
    assert "MAX_CHAIN" in guard.problem(after, update=True)  # the text after a data block is read


def test_counting_skips_strings_iris_and_comments():
    inside = 'SELECT * { ?s ?p "' + "+" * 5000 + '" } # ' + "UNION " * 2000
    assert guard.problem(inside) is None
    assert "MAX_CHAIN" in guard.problem("SELECT * { ?s ?p ?o FILTER(" + "1+" * 2001 + "1) }")


def test_updates_have_smaller_limits():
    # The engine's join planning takes seconds for a few hundred patterns, and an update runs in
    # the server process where no deadline can stop it.
    body = " ".join(f"?s <http://e/p{i}> ?o{i} ." for i in range(guard.MAX_UPDATE_ELEMENTS + 1))
    assert "MAX_UPDATE_ELEMENTS" in guard.problem(f"DELETE {{ ?s ?p ?o }} WHERE {{ {body} }}", update=True)
    assert guard.problem(f"SELECT * {{ {body} }}") is None
    groups = " ".join("{ " + " ".join(f"?s <http://e/p{i}> ?o{i} ." for i in range(90)) + " }" for _ in range(40))
    assert "MAX_UPDATE_TOKENS" in guard.problem(f"DELETE {{ ?s ?p ?o }} WHERE {{ {groups} }}", update=True)
    nested = "?s <http://e/p> " + "[ <http://e/p> " * 101 + "1" + " ]" * 101
    assert "MAX_UPDATE_ELEMENTS" in guard.problem(f"DELETE WHERE {{ {nested} }}", update=True)
    steps = "/".join(["<http://e/p>"] * 102)
    assert "MAX_UPDATE_ELEMENTS" in guard.problem(f"DELETE {{ ?s ?p ?o }} WHERE {{ ?s {steps} ?o }}", update=True)



PROLOGUE = "PREFIX ex: <http://example.org/> # a prologue is not lexed\n"


@pytest.mark.parametrize("rest,update,limit", [
    # The shortest texts past each limit, just past the length below which the guard does not lex.
    ("SELECT*{" + "." * 1001 + "}", False, "MAX_ELEMENTS"),
    ("SELECT*{" + "{}UNION" * 1001 + "{}}", False, "MAX_UNIONS"),
    ("SELECT*{" + "{" * 257 + "}" * 257 + "}", False, "MAX_DEPTH"),
    ("ASK{FILTER(" + "(" * 257 + ")" * 257 + ")}", False, "MAX_DEPTH"),
    ("DELETE WHERE{" + "." * 101 + "}", True, "MAX_UPDATE_ELEMENTS"),
])
def test_short_texts_past_a_limit_are_lexed_and_refused(rest, update, limit):
    assert f"(limit {limit})" in guard.problem(PROLOGUE * 50 + rest, update=update)


def test_the_prologue_ends_where_its_text_ends_not_its_upper_case():
    """'ß' upper-cases to 'SS': lexing from the length of the upper-cased prologue skipped as many
    characters of the query as the prologue had of them, and with it the nesting."""
    nested = "SELECT * WHERE " + "{" * 300 + "}" * 300
    assert "MAX_DEPTH" in guard.problem("# " + "ß" * 600 + "\n" + nested)
    assert "MAX_DEPTH" in guard.problem("PREFIX straße: <http://example.org/>\n" * 100 + nested)


RUN = textwrap.dedent("""
    import sys, pyoxigraph as ox
    from tfatlas.sparql.stack import on_large_stack
    text = sys.stdin.read()
    def run():
        return ox.Store().query(text).serialize(format=ox.QueryResultsFormat.JSON)
    body = on_large_stack(run) if sys.argv[1] == "large" else run()
    print(len(body))
""")


def _run(text: str, where: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUN, where], input=text, capture_output=True,
                          text=True, timeout=300)


def test_large_stack_survives_the_worst_text_the_guard_admits():
    text = worst_case_at_the_limits()
    assert guard.problem(text) is None
    on_large = _run(text, "large")
    assert on_large.returncode == 0, on_large.stderr[-500:]
    # The same text kills a process that runs the engine on its main thread: the stack is the fix.
    on_main = _run(text, "main")
    assert on_main.returncode < 0, (on_main.returncode, on_main.stdout)


def test_large_stack_passes_results_and_errors_through():
    from tfatlas.sparql.stack import on_large_stack

    assert on_large_stack(lambda a, b=0: a + b, 2, b=3) == 5
    with pytest.raises(SyntaxError):
        import pyoxigraph as ox

        on_large_stack(ox.Store().query, "SELECT nonsense")


def test_the_fuzzer_finds_a_crashing_shape_and_bisects_its_size():
    done = subprocess.run([sys.executable, str(REPO / "tools" / "fuzz_engine.py"), "--only", "expr:str_calls@select",
                           "--stacks", "0", "--start", "500", "--budget", "120", "--timeout", "30"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-500:]
    import json

    (finding,) = json.loads(done.stdout)
    assert finding["smallest_crash"] is not None and finding["largest_safe"] < finding["smallest_crash"]
    assert finding["smallest_crash"] - finding["largest_safe"] <= finding["smallest_crash"] // 20 + 1
    assert guard.MAX_DEPTH < finding["largest_safe"]  # the guard's limit sits below the crash
