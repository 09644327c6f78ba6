"""The warm-start file: the query workers' last in-memory copy, kept next to the store as N-Quads.

Making the copy from a RocksDB checkpoint costs a dump (about 7 CPU s per million triples: reading
and decoding RocksDB, bench/query_copy.py) and a bulk load (about 3). While the zygote makes a copy, the
dump helper also writes what it dumps into ``<store>/query-copy/`` (a temporary file, fsynced and
renamed once complete, at idle I/O priority after the zygote has its copy). At the next start the
zygote bulk-loads that file instead of dumping RocksDB again, if it is a copy of exactly the data
the server's checkpoint holds.

What "exactly" means: the file is named by the checkpoint's fingerprint, made from the directory
alone (the zygote never opens RocksDB). RocksDB's table files are immutable and numbered from a
counter that never goes back; every write ends up in a new one (a checkpoint flushes first), and
a compaction replaces tables by new ones. So the set of tables (name, size, and a hash of each
table's ends, where RocksDB writes its properties: the database and session that wrote it) names
the data; a write-ahead log that still holds writes is hashed whole. Any write since the file was
made gives another fingerprint, and the file is not used (a compaction too: the cost is one slow
start, never stale data). The fingerprint does not change when the store is only reopened. Left
out: the tables of RocksDB's default column family, where Oxigraph keeps only its storage version
(every write of data also writes tables of its named column families), and a log that holds
nothing but that version: both are rewritten without any change of data.

Writing the file costs the copy no memory: it is the dump's bytes on their way to the zygote
(writing it from the zygote's copy in a forked child made about 85 % of the copy private to that
child, as reads that scan do; bench/query_copy.py). A file that does not match is removed when the next
copy is made; a failed or interrupted write leaves no file (temporary names, removed).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

DIRECTORY = "query-copy"
#: Bytes hashed at each end of a table file (its footer and properties are at the end).
ENDS = 64 << 10
#: Free bytes the file never takes from the store's file system (the store needs room to write).
RESERVE = 512 << 20
VERSION = b"tfatlas warm start 1\n"
_TEMP = ".tmp"


def fingerprint(checkpoint: str | os.PathLike) -> str:
    """A name for the data of a RocksDB checkpoint directory (see the module docstring)."""
    digest = hashlib.sha256(VERSION)
    for entry in sorted(os.scandir(checkpoint), key=lambda e: e.name):
        name = entry.name
        if name.endswith(".sst"):
            size = entry.stat().st_size
            with open(entry.path, "rb") as table:
                head = table.read(ENDS)
                table.seek(max(0, size - ENDS))
                tail = table.read()
                if _column_family(table, tail) == b"default":
                    continue  # only Oxigraph's storage version, and rewritten by compactions
            digest.update(f"{name} {size}\n".encode())
            digest.update(head)
            digest.update(tail)
        elif name.endswith(".log") and entry.stat().st_size and not _only_version(entry.path):
            digest.update(f"{name} {entry.stat().st_size}\n".encode())  # writes not yet in a table
            with open(entry.path, "rb") as wal:
                while chunk := wal.read(1 << 20):
                    digest.update(chunk)
    return digest.hexdigest()[:32]


def _column_family(table, tail: bytes) -> bytes | None:
    """The column family a RocksDB table file names in its properties (None if not found).

    The meta index near the end maps "rocksdb.properties" (a whole key: no shared prefix) to
    the properties block's offset and size; that block's entries are prefix-compressed keys."""
    at = tail.rfind(b"rocksdb.properties")
    if at < 3 or tail[at - 3] != 0 or tail[at - 2] != 18:
        return None
    try:
        offset, pos = _varint(tail, at + 18)
        length, _ = _varint(tail, pos)
        table.seek(offset)
        block = table.read(length)
        end = len(block) - 4 - 4 * int.from_bytes(block[-4:], "little")  # before the restart points
        pos, key = 0, b""
        while 0 <= pos < end:
            shared, pos = _varint(block, pos)
            delta, pos = _varint(block, pos)
            size, pos = _varint(block, pos)
            key = key[:shared] + block[pos:pos + delta]
            pos += delta
            if key == b"rocksdb.column.family.name":
                return block[pos:pos + size]
            pos += size
    except (IndexError, OSError, ValueError):
        return None
    return None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if byte < 0x80:
            return value, pos


def _only_version(path: str) -> bool:
    """Whether a write-ahead log holds nothing but Oxigraph's storage version (the key it puts at
    every open; a checkpoint copies that log, a reopen starts an empty one). RocksDB's log format:
    records of a 7-byte header (11 for a recycled log) around a write batch (sequence number, count,
    then per entry a type, the key and the value). Anything else, or anything unexpected: False."""
    with open(path, "rb") as wal:
        data = wal.read(4097)
    if len(data) > 4096:
        return False
    pos = 0
    try:
        while pos < len(data) and any(data[pos:]):
            length, kind = int.from_bytes(data[pos + 4:pos + 6], "little"), data[pos + 6]
            if kind not in (1, 5):  # a whole batch in one record (plain or recycled log)
                return False
            start = pos + (7 if kind == 1 else 11)
            batch, pos = data[start:start + length], start + length
            count, at = int.from_bytes(batch[8:12], "little"), 12
            for _ in range(count):
                if batch[at] != 1:  # a put into the default column family
                    return False
                size, at = _varint(batch, at + 1)
                key, at = batch[at:at + size], at + size
                size, at = _varint(batch, at)
                at += size
                if key != b"oxversion":
                    return False
            if at != len(batch):
                return False
    except IndexError:
        return False
    return True


def _table_bytes(checkpoint: str) -> int:
    return sum(e.stat().st_size for e in os.scandir(checkpoint) if e.name.endswith(".sst"))


class WarmStart:
    """The warm-start file of the store a checkpoint was taken from."""

    def __init__(self, directory: Path, checkpoint: str):
        self.directory = directory
        self.checkpoint = checkpoint
        self.fingerprint = fingerprint(checkpoint)
        self.path = directory / f"{self.fingerprint}.nq"

    @classmethod
    def of(cls, checkpoint: str) -> WarmStart | None:
        """For a checkpoint the query workers' snapshots took in an embedded store's directory
        (``<store>/tfatlas-query-snapshots-*/snapshot-N``); None for any other copy."""
        from .snapshots import PREFIX

        path = Path(checkpoint)
        store = path.parent.parent
        if not (path.is_dir() and path.parent.name.startswith(PREFIX) and (store / "ACTIVE").is_file()):
            return None
        return cls(store / DIRECTORY, checkpoint)

    def matching(self) -> Path | None:
        """The file, if it is a copy of this checkpoint's data."""
        return self.path if self.path.is_file() else None

    def remove_others(self) -> None:
        """Remove files of other data, and temporary files no living writer holds."""
        if not self.directory.is_dir():
            return
        for entry in self.directory.iterdir():
            if entry == self.path:
                continue
            if entry.name.endswith(_TEMP) and _alive(entry.name):
                continue
            entry.unlink(missing_ok=True)

    def room_to_write(self) -> bool:
        """Whether the file may be written (it takes about what the store's tables take)."""
        try:
            self.directory.mkdir(exist_ok=True)
            free = shutil.disk_usage(self.directory).free
        except OSError as exc:
            log.warning("no warm-start file for the query workers: %s", exc)
            return False
        if free < RESERVE + 2 * _table_bytes(self.checkpoint):
            log.info("no warm-start file for the query workers: too little free space")
            return False
        return True

    def discard(self) -> None:
        """The file did not load: never try it again."""
        self.path.unlink(missing_ok=True)


def temporary(final: str, pid: int) -> str:
    return f"{final}.writer-{pid}{_TEMP}"


def _alive(temp_name: str) -> bool:
    """Whether the writer named in a temporary file's name still runs."""
    try:
        os.kill(int(temp_name.rsplit("writer-", 1)[1].split(".", 1)[0]), 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


class Tee:
    """A binary writer for ``Store.dump`` in the dump helper: everything goes to ``out``, and to a
    temporary file for ``final`` as long as writing it works and leaves the file system
    ``RESERVE`` free (else the file is given up, quietly: the copy is what matters)."""

    CHECK_EVERY = 64 << 20

    def __init__(self, out, final: str):
        self._out = out
        self.final = final
        self.path = temporary(final, os.getpid())
        try:
            self._file = open(self.path, "wb", buffering=1 << 20)
        except OSError:
            self._file = None
        self._unchecked = 0

    def write(self, data) -> int:
        written = self._out.write(data)
        if self._file is not None:
            try:
                self._file.write(data)
                self._unchecked += len(data)
                if self._unchecked > self.CHECK_EVERY:
                    self._unchecked = 0
                    if shutil.disk_usage(os.path.dirname(self.path)).free < RESERVE:
                        raise OSError("the file system is nearly full")
            except OSError:
                self.give_up()
        return written

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self._out.flush()

    def give_up(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def finish(self) -> bool:
        """Once the dump is complete and the zygote has it: make the file durable and give it its
        name, at idle I/O priority (the workers are being forked meanwhile)."""
        if self._file is None:
            return False
        _idle_io()
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            os.replace(self.path, self.final)
            directory = os.open(os.path.dirname(self.final), os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError:
            self.give_up()
            return False
        return True


def _idle_io() -> None:
    """This process's I/O at idle priority (ioprio_set, x86-64 and arm64 syscall numbers)."""
    import platform

    number = {"x86_64": 251, "aarch64": 30}.get(platform.machine())
    if number is not None:
        ctypes.CDLL(None, use_errno=True).syscall(number, 1, 0, 3 << 13)  # IOPRIO_CLASS_IDLE
    try:
        os.nice(19)
    except OSError:
        pass
