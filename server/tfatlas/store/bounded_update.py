"""A SPARQL Update with a deadline: evaluated by a child process on a checkpoint of the store.

pyoxigraph cannot stop an update once it runs, and a thread cannot be killed: a ``DELETE/INSERT
WHERE`` over a cross product would hold the write lock for minutes. So an update whose work the
text does not bound (any ``WHERE``, ``ADD``/``MOVE``/``COPY``) runs in a child process on a new
generation made with ``Store.backup`` (hard links, milliseconds even at 1M triples). The child is
killed at the deadline and the generation deleted: nothing was committed, the active generation
never changed. An update that finishes becomes the store the way a load does, by switching
``ACTIVE`` (``EmbeddedStore._switch``).

Updates of data only (``INSERT DATA``, ``DELETE DATA``, ``CLEAR``, ``DROP``, ``CREATE``) are
bounded by the request's size or the graph's size and keep the direct path: the child costs about
0.1 to 0.5 s (Python, pyoxigraph, opening the checkpoint; measured on the loaded machine).

Run as ``python -m tfatlas.store.bounded_update DIR``: the update and its base IRI come as JSON on
stdin; exit 0 when applied and flushed, else a JSON line ``{"kind", "message"}`` on stdout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import DeadlineExceeded, QueryError
from .base import storage_error

# A word that lets an update's work grow beyond its text: a pattern to match, or a graph to copy.
# Inside a literal it only sends the update the bounded way, which is slower, never wrong.
_UNBOUNDED = re.compile(r"\b(?:where|add|move|copy|load)\b", re.IGNORECASE)


def needs_bound(update: str) -> bool:
    """Whether the update's work is not bounded by its text (see the module docstring)."""
    return _UNBOUNDED.search(update) is not None


def too_late(seconds: float) -> DeadlineExceeded:
    """The 504 of an update stopped at a deadline of ``seconds``."""
    return DeadlineExceeded(
        504, f"the update ran longer than this server's deadline for updates of {seconds:g} s "
             "(TFATLAS_UPDATE_TIMEOUT); it was stopped and nothing was changed.\n"
             f"Die Änderung lief länger als die Frist dieses Servers für Änderungen von {seconds:g} s "
             "(TFATLAS_UPDATE_TIMEOUT); sie wurde abgebrochen, es wurde nichts geändert.")


def run(staged: Path, update: str, base_iri: str | None, timeout: float) -> None:
    """Apply ``update`` to the Oxigraph database at ``staged`` in a child process, within
    ``timeout`` seconds; DeadlineExceeded (504) when it takes longer (the child is killed and
    ``staged`` removed), QueryError or a StoreError when the update fails."""
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = package_parent + os.pathsep + env.get("PYTHONPATH", "")
    child = subprocess.Popen([sys.executable, "-m", "tfatlas.store.bounded_update", str(staged)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env)  # in the server's process group: stopped with it
    try:
        out, err = child.communicate(json.dumps({"update": update, "base_iri": base_iri}).encode(),
                                     timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        shutil.rmtree(staged, ignore_errors=True)
        raise too_late(timeout) from None
    except BaseException:
        child.kill()
        child.communicate()
        shutil.rmtree(staged, ignore_errors=True)
        raise
    if child.returncode == 0:
        return
    shutil.rmtree(staged, ignore_errors=True)
    try:
        failure = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {child.returncode}"]
        raise QueryError(f"update failed: the update's process ended ({tail[0]})") from None
    if failure["kind"] == "syntax":
        raise QueryError(f"malformed update: {failure['message']}")
    if failure["kind"] == "storage":
        raise storage_error(OSError(failure.get("errno"), failure["message"]), ("the update", "die Änderung"))
    raise QueryError(f"update failed: {failure['message']}")


def _main(path: str) -> int:
    import pyoxigraph as ox

    from ..sparql.stack import on_large_stack
    from .base import is_storage_failure

    _die_with_parent()
    request = json.loads(sys.stdin.buffer.read())

    def fail(kind: str, message: str, errno: int | None = None) -> int:
        print(json.dumps({"kind": kind, "message": message, "errno": errno}), flush=True)
        return 1

    try:
        store = ox.Store(path)
        on_large_stack(store.update, request["update"], base_iri=request["base_iri"])
        store.flush()
    except SyntaxError as exc:
        return fail("syntax", str(exc))
    except OSError as exc:
        return fail("storage" if is_storage_failure(exc) else "failed", str(exc), exc.errno)
    except (RuntimeError, ValueError) as exc:
        return fail("failed", str(exc))
    return 0


def _die_with_parent() -> None:
    """SIGKILL when the server process ends: its update is then nobody's (Linux; else no-op)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1]))
