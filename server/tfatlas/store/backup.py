"""A consistent copy of an embedded store, and putting one back.

A backup directory holds::

    data/                 a RocksDB checkpoint of the active generation (one write generation)
    files/<name>          what else belongs to the store: the accounts file, and every other file
                          or directory in the store directory (e.g. a search index)
    tfatlas-backup.json   what it is, written last (a directory without it is no backup)

``backup`` works while the store is served (the server makes the checkpoint, see
:mod:`.checkpoint_requests`); ``restore`` needs the store to itself and switches generations
the way a load does, so a restore that fails midway leaves the store as it was.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
from pathlib import Path

import pyoxigraph as ox

from ..errors import InputError, StoreError

MANIFEST = "tfatlas-backup.json"
FORMAT = 1
# The store's own entries: its data is in data/, the rest is the running process's (a restore
# is a write, which names the content afresh in CONTENT).
_OWN = ("ACTIVE", "ACTIVE.tmp", "CONTENT", "CONTENT.tmp", "lock", "readers")
_OWN_PREFIXES = ("gen-", "tfatlas-query-snapshots-", ".restore-")


def _belongs_to_the_store(entry: Path) -> bool:
    return entry.name not in _OWN and not entry.name.startswith(_OWN_PREFIXES)


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)


def backup(store, target: Path, *, extra_files: dict[str, Path] | None = None) -> dict:
    """Copy ``store`` (embedded, possibly read-only while served) into ``target``, a new directory."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(f"{target} exists and is not empty; a backup goes into a new directory")
    part = target.with_name(target.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    try:
        (part / "files").mkdir(parents=True)
        generation = store.checkpoint(part / "data")
        files = {}
        for name, path in sorted((extra_files or {}).items()):
            if Path(path).exists():
                _copy(Path(path), part / "files" / name)
                files[name] = str(path)
        for entry in sorted(Path(store.root).iterdir()):
            if _belongs_to_the_store(entry) and entry.name not in files and not any(
                    Path(p).resolve() == entry.resolve() for p in files.values()):
                _copy(entry, part / "files" / entry.name)
                files[entry.name] = entry.name
        manifest = {"format": FORMAT, "generation": generation, "base_iri": store.base_iri,
                    "made": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
                    "files": sorted(files)}
        (part / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            target.rmdir()
        os.replace(part, target)
    except OSError as exc:
        shutil.rmtree(part, ignore_errors=True)
        raise StoreError(f"cannot write the backup to {target}: {exc}") from None
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    return manifest


def read_manifest(source: Path) -> dict:
    """The manifest of a backup directory, checked (InputError when it is no usable backup)."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(f"{source} is not a backup made by `tfatlas backup` (no readable {MANIFEST})") from None
    if manifest.get("format") != FORMAT or not (source / "data").is_dir():
        raise InputError(f"{source}: unknown backup format or no data/ directory")
    try:
        ox.Store.read_only(str(source / "data"))  # it opens: the checkpoint is whole
    except OSError as exc:
        raise InputError(f"{source}/data is not a readable Oxigraph database: {exc}") from None
    return manifest


def restore(store, source: Path, *, extra_files: dict[str, Path] | None = None) -> dict:
    """Put a backup back into ``store`` (an EmbeddedStore this process holds)."""
    source = Path(source)
    manifest = read_manifest(source)
    root = Path(store.root)
    staged: list[tuple[Path, Path]] = []  # (staged copy, final place)
    try:
        for name in manifest["files"]:
            final = Path((extra_files or {}).get(name, root / name))
            copy = final.with_name(f".restore-{final.name}")
            shutil.rmtree(copy, ignore_errors=True) if copy.is_dir() else copy.unlink(missing_ok=True)
            _copy(source / "files" / name, copy)
            staged.append((copy, final))
        store.replace_data(source / "data")  # the switch: from here on the backup's data is the store
    except BaseException:
        for copy, _final in staged:
            shutil.rmtree(copy, ignore_errors=True) if copy.is_dir() else copy.unlink(missing_ok=True)
        raise
    for copy, final in staged:
        if final.is_dir() and not final.is_symlink():
            shutil.rmtree(final)
        os.replace(copy, final)
    return manifest
