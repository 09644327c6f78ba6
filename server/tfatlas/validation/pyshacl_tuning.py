"""Two speed-ups of pySHACL 0.40, applied once and explicitly (``tune()``), before the first run.

Both keep pySHACL's behaviour and only change how fast it gets there; they are applied by
:func:`tfatlas.validation.shacl._run_pyshacl`, never as a side effect of importing a module.
"""

from __future__ import annotations

import threading

_DONE = False
_LOCK = threading.Lock()


def tune() -> None:
    global _DONE
    with _LOCK:
        if not _DONE:
            _fix_pyshacl_truthiness()
            _speed_up_constraint_lookup()
            _DONE = True


def _fix_pyshacl_truthiness() -> None:
    """pySHACL tests ``datagraph or shapes_graph`` for every result; on an Oxigraph data graph
    that truth test is ``len()``, a count of the whole store, once per result (pySHACL 0.40).
    A data graph object is always there, so it is always true."""
    from pyshacl.graph_abstraction import OxigraphDataGraph

    if "__bool__" not in OxigraphDataGraph.__dict__:
        OxigraphDataGraph.__bool__ = lambda self: True


class _ParameterList(list):
    """pySHACL's list of constraint parameters with set-speed membership. pySHACL tests every
    predicate of a shape against this list on every (nested) shape evaluation; as a plain list
    that linear scan of rdflib terms was a fifth of full-validation time. Still a list, so
    pySHACL's own uses (copy, append in advanced mode) work unchanged."""

    def __init__(self, items):
        super().__init__(items)
        self._members = frozenset(items)

    def __contains__(self, item) -> bool:
        return item in self._members


def _speed_up_constraint_lookup() -> None:
    import pyshacl.shape as shape_module
    from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP

    params = getattr(shape_module, "CONSTRAINT_PARAMS", (None, None))[0]
    if not isinstance(params, _ParameterList):
        shape_module.CONSTRAINT_PARAMS = (_ParameterList(ALL_CONSTRAINT_PARAMETERS), CONSTRAINT_PARAMETERS_MAP)
