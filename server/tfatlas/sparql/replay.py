"""Which committed writes a query worker can apply to its copy instead of copying the store again.

A worker's copy follows the store write by write (in write-generation order). That is exact only
when applying the write to the copy gives the store's result, up to blank node names:

- an actor's write and a dropped graph carry their exact change (``WriteEvent.delta``);
- an operator's SPARQL Update is replayed from its text when its result does not depend on the
  moment, on chance or on the order in which a store happens to list solutions: no ``NOW``,
  ``RAND``, ``UUID``, ``STRUUID``, ``BNODE``, no ``LIMIT``/``OFFSET``/``SAMPLE``/``GROUP_CONCAT``
  (the copy is in memory, the store on disk: their orders differ), no ``SERVICE`` or ``LOAD``
  (another server may answer differently), no blank nodes in an ``INSERT`` template;
- anything else (a load, any other update) makes the workers copy the store again.
"""

from __future__ import annotations

import pyoxigraph as ox

from .messages import Apply, Replay
from .text import tokens

_NOT_REPLAYABLE = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE", "SERVICE", "LOAD", "LIMIT",
                             "OFFSET", "SAMPLE", "GROUP_CONCAT"})
_BLANK_IN_TEMPLATE = frozenset({"[", "("})  # [ ] and ( ) make blank nodes in a template

#: A change larger than this is not kept for the workers: copying the store is then as cheap.
MAX_CHANGE_BYTES = 64 << 20


def replayable(text: str) -> bool:
    """True when replaying this update on a copy of the store gives the store's result."""
    toks = tokens(text)
    for i, tok in enumerate(toks):
        if tok.kind == "word" and tok.text.upper() in _NOT_REPLAYABLE:
            return False
        if tok.is_word("INSERT") and not (i + 1 < len(toks) and toks[i + 1].is_word("DATA")):
            if _template_has_blank_nodes(toks, i + 1):
                return False
    return True


def _template_has_blank_nodes(toks, start: int) -> bool:
    opening = next((j for j in range(start, len(toks)) if toks[j].kind == "open"), None)
    if opening is None:
        return False
    depth = toks[opening].depth
    for tok in toks[opening + 1:]:
        if tok.kind == "close" and tok.depth == depth:
            return False
        if (tok.kind == "pname" and tok.text.startswith("_:")) or tok.text in _BLANK_IN_TEMPLATE:
            return True
    return False


def _nquads(quads) -> bytes:
    return ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS) if quads else b""


def change_message(event) -> Apply | Replay | None:
    """The message that brings a worker's copy from ``event.generation - 1`` to it; None: copy again."""
    if event.delta is not None:
        delta = event.delta
        message = Apply(event.generation, _nquads(delta.removed), _nquads(delta.added), tuple(delta.cleared))
        size = len(message.removed) + len(message.added)
    elif event.kind == "update" and event.update is not None and replayable(event.update):
        message, size = Replay(event.generation, event.update, event.base_iri), len(event.update)
    else:
        return None
    return message if size <= MAX_CHANGE_BYTES else None


def _fresh_blank_nodes(quads):
    names: dict[str, ox.BlankNode] = {}

    def fresh(term):
        if isinstance(term, ox.BlankNode):
            return names.setdefault(term.value, ox.BlankNode())
        return term

    for q in quads:
        yield ox.Quad(fresh(q.subject), q.predicate, fresh(q.object), q.graph_name)


def apply_change(store: ox.Store, message: Apply | Replay) -> None:
    """Apply one change to a worker's in-memory copy (runs inside a worker)."""
    if isinstance(message, Replay):
        store.update(message.text, base_iri=message.base_iri)
        return
    for graph in message.cleared:
        if graph:
            store.remove_graph(ox.NamedNode(graph))
        else:
            store.clear_graph(ox.DefaultGraph())
    if message.removed:
        for quad in ox.parse(message.removed, ox.RdfFormat.N_QUADS):
            store.remove(quad)
    if message.added:
        store.extend(list(_fresh_blank_nodes(ox.parse(message.added, ox.RdfFormat.N_QUADS))))
