"""The atlas's default graph: the union of its named graphs, as a bag (issue 13, finding 11).

A query without ``FROM`` sees every named graph at once (pyoxigraph's ``use_default_graph_as_union``;
``union-default-graph`` on a remote Oxigraph). Oxigraph forms that union as a bag: a triple that two
source graphs state is matched twice, so ``COUNT(*)`` and plain ``SELECT`` see it twice, where the
SPARQL default graph, a graph, would hold it once. Oxigraph does the same for ``FROM <a> FROM <b>``.

Set semantics were measured (bench/default_graph.py: the workers' in-memory copy also holding the
deduplicated union as its real default graph, 1M triples in 8 graphs, 1.3 % stated twice):
1.87x the memory per worker (326 to 610 MB; four workers: 1.1 GB more), 1.40x the copy time, query
times 0.66x to 1.30x. And only the in-memory copies could have it: workers answer from the on-disk
checkpoint until their copy is made (at start and after every write), and the CLI and remote
stores query the union directly, so one query would count differently depending on timing. The
deviation is therefore documented (README, the Service Description) rather than removed: one
behaviour everywhere. Queries that need set semantics say so with ``DISTINCT``.
"""

from __future__ import annotations

NOTE = {
    "en": "The default graph is the union of the named graphs as a bag: a triple stated in two "
          "graphs is matched twice. For set semantics use SELECT DISTINCT or COUNT(DISTINCT ...); "
          "GRAPH ?g tells the graphs apart.",
    "de": "Der Standardgraph ist die Vereinigung der benannten Graphen als Multimenge: Ein Tripel, "
          "das zwei Graphen enthalten, wird zweimal gefunden. Für Mengensemantik SELECT DISTINCT "
          "oder COUNT(DISTINCT ...) verwenden; GRAPH ?g unterscheidet die Graphen.",
}
