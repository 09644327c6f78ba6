"""Running the SPARQL engine on a thread with a large stack.

Oxigraph's parser, optimiser and evaluator recurse over the text and its algebra. On the 8 MiB
of a main thread a chain of about 7,000 ``+`` or 6,750 ``UNION`` groups overflows the stack and
the process dies by SIGSEGV, whatever Python does (tools/fuzz_engine.py finds the shapes and
their sizes). The depth a thread survives grows with its stack, so parse and evaluation run on
a thread started with ``ENGINE_STACK_BYTES``; the memory is reserved, not used, until a deep
text touches it. ``tfatlas.sparql.guard`` refuses what is too large even for this stack.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

# 512 MiB: 64 times a main thread's stack. Linux reserves it as address space only; pages are
# committed when a deep text touches them and returned when the thread ends.
ENGINE_STACK_BYTES = 512 << 20

_stack_size_lock = threading.Lock()  # threading.stack_size is process-wide


def on_large_stack(function: Callable[..., T], *args, **kwargs) -> T:
    """``function(*args, **kwargs)`` on a fresh thread with a large stack; its result or its error.

    Everything that makes the engine recurse must happen inside ``function``: results of
    pyoxigraph are lazy, so a query's solutions must be serialised there too.
    """
    outcome: list = []

    def run() -> None:
        try:
            outcome.append((True, function(*args, **kwargs)))
        except BaseException as exc:  # handed to the calling thread, which raises it
            outcome.append((False, exc))

    with _stack_size_lock:
        previous = threading.stack_size(ENGINE_STACK_BYTES)
        try:
            thread = threading.Thread(target=run, name="tfatlas-engine", daemon=True)
            thread.start()
        except RuntimeError:  # no address space for it (strict overcommit, ulimit -v)
            log.warning("cannot start a thread with a %d MiB stack; the engine runs on the calling "
                        "thread, and only the guard's limits protect it", ENGINE_STACK_BYTES >> 20)
            thread = None
        finally:
            threading.stack_size(previous)
    if thread is None:
        return function(*args, **kwargs)
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
