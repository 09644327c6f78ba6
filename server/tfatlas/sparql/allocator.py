"""The memory allocator of the query workers: jemalloc (or mimalloc) when installed.

The engine allocates and frees many small objects per query (terms, solution rows, hash tables).
With glibc's malloc, pyoxigraph took 12 % more CPU per query of bench/endpoint.py's varied mix at
100k triples than with jemalloc or mimalloc preloaded (7.1-7.9 ms against 6.2-6.6 ms, same
process, same queries, a loaded machine; bench/README.md), which is about the whole gap between a
query worker and `oxigraph serve`. An allocator can only be chosen before a process starts, so
`tfatlas serve` puts it into ``LD_PRELOAD`` of its own environment, which the processes it starts
(the query workers) inherit; the server process itself keeps its allocator.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

#: Tried in this order for "auto" (Debian: libjemalloc2, libmimalloc2.0).
CANDIDATES = ("libjemalloc.so.2", "libmimalloc.so.2")
_DIRECTORIES = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
                "/usr/local/lib")


def find(setting: str) -> str | None:
    """The library ``setting`` names: "auto" (the first of CANDIDATES installed, else None),
    "system" (None: glibc's malloc), or the path of a shared library."""
    if setting == "system":
        return None
    if setting != "auto":
        return setting
    for name in CANDIDATES:
        for directory in _DIRECTORIES:
            path = Path(directory) / name
            if path.is_file():
                return str(path)
    return None


def check(value) -> str:
    """The setting's validation: auto, system, or an existing file."""
    text = str(value).strip()
    if text in ("auto", "system") or Path(text).is_file():
        return text
    raise ValueError(f"expected auto, system or the path of a shared library (e.g. "
                     f"/usr/lib/x86_64-linux-gnu/{CANDIDATES[0]}), got {value!r}")


def preload_for_workers(setting: str, environ=os.environ) -> str | None:
    """Put the allocator into ``LD_PRELOAD`` of ``environ`` for the processes started from now on."""
    library = find(setting)
    if library is None:
        if setting == "auto":
            log.info("query workers use glibc's malloc; installing jemalloc (Debian: libjemalloc2) "
                     "makes their queries about 10 %% cheaper")
        return None
    present = environ.get("LD_PRELOAD", "").split()
    if library not in present:
        environ["LD_PRELOAD"] = " ".join([library, *present])
    return library
