"""Find the query, update and data shapes that crash pyoxigraph, and at which size.

Oxigraph's SPARQL parser, optimiser and evaluator recurse over the text and its algebra; some
shapes that do not nest in the text still build a left-deep tree (``1+1+1``, ``UNION`` chains,
``BIND`` sequences), and a tree deep enough overflows the thread's stack. The process dies by
signal (SIGSEGV or SIGABRT) instead of raising an error, so each probe runs in a fresh
subprocess and death by signal is what is looked for.

Shapes come from a small grammar: *contexts* (where a piece goes: a SELECT expression, a
FILTER, a group graph pattern, a property path, an update, a data file) times *repeaters* (how
the piece grows with a size n: an operator chain, prefix operators, parentheses, function calls,
UNION/OPTIONAL/MINUS/BIND/FILTER chains, triple patterns, path alternatives and sequences, blank
node and collection nesting, update sequences...). Each shape is tried at doubling sizes until
the process dies or the text passes ``--max-bytes`` (the endpoint's body cap), then the
threshold is bisected. Every size runs with the engine on the process's main thread (8 MiB stack
under the default ulimit) and on a thread with a large stack (``--stack-mb``, as
``tfatlas.sparql.stack`` runs it), which shows what a large stack buys.

Run (bounded by ``--budget`` seconds; results as JSON on stdout and a table on stderr)::

    .venv/bin/python tools/fuzz_engine.py --budget 600 --stack-mb 512 > fuzz.json
    .venv/bin/python tools/fuzz_engine.py --only union,bind --budget 60

A loaded machine changes times, not thresholds: the depth a stack survives is deterministic for
one build of pyoxigraph.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Callable

# -- the grammar ---------------------------------------------------------------------------------

P = "<http://example.org/p>"
S = "<http://example.org/s>"
G = "<http://example.org/g>"


def _chain(unit: str, sep: str) -> Callable[[int], str]:
    return lambda n: sep.join([unit] * n)


def _nest(left: str, core: str, right: str) -> Callable[[int], str]:
    return lambda n: left * n + core + right * n


# Expressions that grow with n.
EXPRESSIONS: dict[str, Callable[[int], str]] = {
    "plus": _chain("1", "+"),
    "minus": _chain("1", " - "),
    "times": _chain("1", "*"),
    "divide": _chain("1", "/"),
    "or": _chain("true", "||"),
    "and": _chain("true", "&&"),
    "not": _nest("!", "true", ""),
    "negate": _nest("- ", "1", ""),
    "parens": _nest("(", "1", ")"),
    "str_calls": _nest("STR(", "1", ")"),
    "concat_nest": _nest('CONCAT("a",', '"a"', ")"),
    "if_nest": _nest("IF(true,", "1", ",0)"),
    "concat_wide": lambda n: "CONCAT(" + ",".join(['"a"'] * n) + ")",
    "coalesce_wide": lambda n: "COALESCE(" + ",".join(["1"] * n) + ")",
    "in_list": lambda n: "1 IN (" + ",".join(["1"] * n) + ")",
    "exists_nest": _nest("EXISTS { FILTER(", "true", ") }"),
}

# Group graph pattern bodies that grow with n.
GROUPS: dict[str, Callable[[int], str]] = {
    "triples_distinct": lambda n: " ".join(f"?s{i} {P} ?o{i} ." for i in range(n)),
    "triples_same": _chain(f"?s {P} ?o .", " "),
    "union": _chain("{ ?s ?p ?o }", " UNION "),
    "optional": _chain(f"OPTIONAL {{ ?s {P} ?o }}", " "),
    "minus": _chain(f"MINUS {{ ?s {P} ?o }}", " "),
    "bind": lambda n: " ".join(f"BIND(1 AS ?v{i})" for i in range(n)),
    "filter": _chain("FILTER(true)", " "),
    "values_rows": lambda n: "VALUES ?x { " + " ".join(["1"] * n) + " }",
    "groups_seq": _chain("{}", " "),
    "groups_nest": _nest("{ ", "", " }"),
    "subselect_nest": _nest("{ SELECT * WHERE { ", "", " } }"),
    "graph_nest": _nest(f"GRAPH {G} {{ ", "", " }"),
    "bnode_nest": lambda n: f"?s {P} " + f"[ {P} " * n + "1" + " ]" * n + " .",
    "collection_nest": lambda n: f"?s {P} " + "( " * n + "1" + " )" * n + " .",
    "collection_flat": lambda n: f"?s {P} ( " + " ".join(["1"] * n) + " ) .",
    "object_list": lambda n: f"?s {P} " + ", ".join(["1"] * n) + " .",
    "predicate_list": lambda n: "?s " + " ; ".join([f"{P} 1"] * n) + " .",
    "path_alt": lambda n: f"?s {'|'.join([P] * n)} ?o .",
    "path_seq": lambda n: f"?s {'/'.join([P] * n)} ?o .",
    "path_parens": lambda n: f"?s {'(' * n}{P}{')' * n} ?o .",
    "path_star_nest": lambda n: f"?s {'(' * n}{P}{')*' * n} ?o .",
    "path_negated": lambda n: f"?s !({'|'.join([P] * n)}) ?o .",
    "path_inverse_seq": lambda n: f"?s {'/'.join(['^' + P] * n)} ?o .",
}

# Where an expression goes.
EXPRESSION_CONTEXTS: dict[str, Callable[[str], tuple[str, str]]] = {
    "select": lambda e: ("query", f"SELECT ({e} AS ?x) {{}}"),
    "filter": lambda e: ("query", f"SELECT * {{ FILTER({e}) }}"),
    "order": lambda e: ("query", f"SELECT * {{}} ORDER BY ({e})"),
    "update": lambda e: ("update", f"INSERT {{ {S} {P} ?x }} WHERE {{ BIND({e} AS ?x) }}"),
}

# Where a group body goes.
GROUP_CONTEXTS: dict[str, Callable[[str], tuple[str, str]]] = {
    "select": lambda g: ("query", f"SELECT * WHERE {{ {g} }}"),
    "construct": lambda g: ("query", f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {g} }}"),
    "update": lambda g: ("update", f"DELETE {{ ?s ?p ?o }} WHERE {{ {g} }}"),
}

# Shapes of their own: solution modifiers, updates, data files.
OTHERS: dict[str, Callable[[int], tuple[str, str]]] = {
    "project_vars": lambda n: ("query", "SELECT " + " ".join(f"?v{i}" for i in range(n)) + " {}"),
    "order_keys": lambda n: ("query", "SELECT * {} ORDER BY " + " ".join(["?x"] * n)),
    "group_keys": lambda n: ("query", "SELECT (1 AS ?c) {} GROUP BY " + " ".join(f"?v{i}" for i in range(n))),
    "construct_template": lambda n: ("query", "CONSTRUCT { " + " ".join(f"?s {P} {i} ." for i in range(n)) + " } {}"),
    "values_vars": lambda n: ("query", "SELECT * { VALUES (" + " ".join(f"?v{i}" for i in range(n))
                              + ") { (" + " ".join(["1"] * n) + ") } }"),
    "update_seq": lambda n: ("update", " ; ".join([f"INSERT DATA {{ {S} {P} 1 }}"] * n)),
    "insert_data": lambda n: ("update", "INSERT DATA { " + " ".join(f"{S} {P} {i} ." for i in range(n)) + " }"),
    "insert_data_bnode_nest": lambda n: ("update", f"INSERT DATA {{ {S} {P} " + f"[ {P} " * n + "1"
                                         + " ]" * n + " }"),
    "insert_data_collection_nest": lambda n: ("update", f"INSERT DATA {{ {S} {P} " + "( " * n + "1"
                                              + " )" * n + " }"),
    "turtle_bnode_nest": lambda n: ("turtle", f"{S} {P} " + f"[ {P} " * n + "1" + " ]" * n + " ."),
    "turtle_collection_nest": lambda n: ("turtle", f"{S} {P} " + "( " * n + "1" + " )" * n + " ."),
    "jsonld_array_nest": lambda n: ("jsonld", '{"@id":"http://example.org/s","http://example.org/p":'
                                    + "[" * n + "1" + "]" * n + "}"),
    "jsonld_object_nest": lambda n: ("jsonld", '{"@id":"http://example.org/s",' + '"http://example.org/p":{' * n
                                     + '"@value":1' + "}" * n + "}"),
    "rdfxml_element_nest": lambda n: ("rdfxml", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
                                      ' xmlns:e="http://example.org/">'
                                      + '<rdf:Description><e:p rdf:parseType="Resource">' * n
                                      + "</e:p></rdf:Description>" * n + "</rdf:RDF>"),
}


def shapes() -> dict[str, Callable[[int], tuple[str, str]]]:
    """Every shape: name -> (n -> (kind, text)); kind is query, update or a data format."""
    out: dict[str, Callable[[int], tuple[str, str]]] = {}
    for cname, context in EXPRESSION_CONTEXTS.items():
        for ename, expression in EXPRESSIONS.items():
            out[f"expr:{ename}@{cname}"] = lambda n, c=context, e=expression: c(e(n))
    for cname, context in GROUP_CONTEXTS.items():
        for gname, group in GROUPS.items():
            out[f"group:{gname}@{cname}"] = lambda n, c=context, g=group: c(g(n))
    out.update({f"other:{k}": v for k, v in OTHERS.items()})
    return out


# -- the probe (runs in a child process) ----------------------------------------------------------

CHILD = r"""
import sys, threading, pyoxigraph as ox
kind, stack_mb, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
text = open(path, encoding="utf-8").read()
outcome = []
def run():
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                      ox.Literal("1"), ox.NamedNode("http://example.org/g")))
    try:
        if kind == "query":
            result = store.query(text, use_default_graph_as_union=True)
            if isinstance(result, ox.QuerySolutions):
                result.serialize(format=ox.QueryResultsFormat.JSON)
            elif isinstance(result, ox.QueryTriples):
                result.serialize(format=ox.RdfFormat.N_TRIPLES)
        elif kind == "update":
            store.update(text)
        else:
            fmt = {"turtle": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD,
                   "rdfxml": ox.RdfFormat.RDF_XML}[kind]
            store.bulk_load(text.encode(), fmt)
        outcome.append("ok")
    except BaseException as exc:
        outcome.append("error: " + type(exc).__name__ + ": " + str(exc)[:120])
if stack_mb:
    threading.stack_size(stack_mb << 20)
    t = threading.Thread(target=run); t.start(); t.join()
else:
    run()
print(outcome[0] if outcome else "no outcome", flush=True)
"""


@dataclass
class Probe:
    outcome: str  # "ok", "error: ...", "crash: SIGSEGV", "timeout"
    seconds: float

    @property
    def crashed(self) -> bool:
        return self.outcome.startswith("crash")


def probe(kind: str, text: str, stack_mb: int, timeout: float) -> Probe:
    with tempfile.NamedTemporaryFile("w", suffix=".rq", delete=False, encoding="utf-8") as f:
        f.write(text)
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, kind, str(stack_mb), f.name],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Probe("timeout", time.monotonic() - started)
    finally:
        os.unlink(f.name)
    seconds = time.monotonic() - started
    if done.returncode < 0:
        import signal

        return Probe(f"crash: {signal.Signals(-done.returncode).name}", seconds)
    if done.returncode != 0:
        return Probe(f"error: exit {done.returncode}: {done.stderr.strip()[-160:]}", seconds)
    return Probe(done.stdout.strip() or "no outcome", seconds)


# -- the search ---------------------------------------------------------------------------------

@dataclass
class Finding:
    shape: str
    kind: str
    stack_mb: int
    largest_safe: int | None  # largest n that did not crash
    smallest_crash: int | None  # smallest n that crashed (None: none up to the limit)
    bytes_at_crash: int | None
    outcome_below: str  # what the engine did at largest_safe (ok or its error)
    stopped: str  # why the search ended
    slow_from: int | None = None  # smallest n whose probe ran past --timeout (alive, not finished)


def search(name: str, make: Callable[[int], tuple[str, str]], stack_mb: int, args, deadline: float) -> Finding:
    n, safe, crash, below, stopped = args.start, None, None, "", "limit"
    crash_bytes = slow = None
    while True:  # doubling until a crash or the byte limit
        kind, text = make(n)
        if len(text.encode()) > args.max_bytes:
            stopped = f"text over {args.max_bytes} bytes"
            break
        if time.monotonic() > deadline:
            stopped = "budget"
            break
        result = probe(kind, text, stack_mb, args.timeout)
        if result.outcome == "timeout":
            # Slow (the engine's join planning), not dead: larger sizes may still crash early, in
            # the parser, so the search goes on in bigger steps; a crash after the timeout is missed.
            slow = slow or n
            n *= 4
            continue
        if result.crashed:
            crash, crash_bytes = n, len(text.encode())
            break
        if slow is None:
            safe, below = n, result.outcome
        n *= 2
    if crash is not None:  # bisect to 5 %
        low = safe or 0
        while crash - low > max(1, crash // 20) and time.monotonic() < deadline:
            mid = (low + crash) // 2
            kind, text = make(mid)
            result = probe(kind, text, stack_mb, args.timeout)
            if result.crashed:
                crash, crash_bytes = mid, len(text.encode())
            else:  # a timeout counts as alive: crashes of the parser come early
                low, below = mid, result.outcome
        safe = low or None
    return Finding(name, make(1)[0], stack_mb, safe, crash, crash_bytes, below[:100], stopped, slow)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=600, help="seconds for the whole run")
    parser.add_argument("--stack-mb", type=int, default=512, help="the large stack to compare with")
    parser.add_argument("--stacks", default=None, help="comma list of stack sizes in MiB (0: main thread)")
    parser.add_argument("--start", type=int, default=500, help="first size tried")
    parser.add_argument("--max-bytes", type=int, default=10 << 20, help="largest text tried")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per probe")
    parser.add_argument("--only", default="", help="comma list of substrings of shape names")
    args = parser.parse_args(argv)
    stacks = [int(s) for s in args.stacks.split(",")] if args.stacks else [0, args.stack_mb]
    deadline = time.monotonic() + args.budget
    wanted = [w for w in args.only.split(",") if w]
    findings = []
    for name, make in shapes().items():
        if wanted and not any(w in name for w in wanted):
            continue
        for stack_mb in stacks:
            if time.monotonic() > deadline:
                break
            finding = search(name, make, stack_mb, args, deadline)
            findings.append(finding)
            where = f"crash at n={finding.smallest_crash}" if finding.smallest_crash else "no crash"
            slow = f" slow from n={finding.slow_from}" if finding.slow_from else ""
            print(f"{name:45s} stack={stack_mb or 'main':>5} {where:20s} safe={finding.largest_safe}{slow} "
                  f"({finding.stopped}; {finding.outcome_below[:50]})", file=sys.stderr, flush=True)
    json.dump([asdict(f) for f in findings], sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
