"""Virtuoso 7.2 (Debian's ``virtuoso-opensource``) as a remote store in tests: own data directory,
own virtuoso.ini, free loopback ports, started in the foreground and stopped after the session.

The instance is set up as a deployment behind the atlas would be (README, "Virtuoso"): the
anonymous SPARQL user may update (the endpoint is reachable only by the atlas's web processes),
the result-size limit is above the atlas's own cap, and an execution timeout ends long queries.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from support.paths import IN_CI
from support.servers import free_port
from tfatlas.store.dialects import Virtuoso
from tfatlas.store.remote import RemoteStore

VIRTUOSO = Path("/usr/bin/virtuoso-t")
ISQL = Path("/usr/bin/isql-vt")

INI = """\
[Database]
DatabaseFile    = {dir}/virtuoso.db
ErrorLogFile    = {dir}/virtuoso.log
LockFile        = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel   = 7
FileExtend      = 200
MaxCheckpointRemap = 2000
Striping        = 0
TempStorage     = TempDatabase

[TempDatabase]
DatabaseFile    = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping        = 0

[Parameters]
ServerPort           = 127.0.0.1:{isql_port}
DisableUnixSocket    = 1
DisableTcpSocket     = 0
MaxClientConnections = 20
CheckpointInterval   = 60
CaseMode             = 2
DirsAllowed          = ., {dir}
NumberOfBuffers      = 10000
MaxDirtyBuffers      = 6000
MaxQueryMem          = 512M
ThreadsPerQuery      = 2
AsyncQueueMaxThreads = 4

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = {dir}/vsp
MaxClientConnections = 20
ServerThreads        = 20
MaxKeepAlives        = 10
KeepAliveTimeout     = 10
EnabledDavVSP        = 0
Charset              = UTF-8
EnabledGzipContent   = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[SPARQL]
ResultSetMaxRows           = {max_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = {max_seconds}
"""

# Updates through /sparql and the Graph Store Protocol (/sparql-graph-crud) run as the
# anonymous "SPARQL" SQL user; it needs SPARQL_UPDATE and write permission on every graph.
GRANTS = [
    'GRANT SPARQL_UPDATE TO "SPARQL";',
    "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);",
]


def unavailable_reason() -> str | None:
    if VIRTUOSO.exists() and ISQL.exists():
        return None
    return f"{VIRTUOSO} is absent (apt-get install virtuoso-opensource)"


class VirtuosoServer:
    """``virtuoso-t +foreground`` over its own directory, on free loopback ports."""

    def __init__(self, directory: Path, http_port: int, isql_port: int, *,
                 max_rows: int = 1_000_000, max_seconds: int = 0):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "vsp").mkdir(exist_ok=True)
        self.http_port, self.isql_port = http_port, isql_port
        self.url = f"http://127.0.0.1:{http_port}"
        self.ini = self.dir / "virtuoso.ini"
        self.ini.write_text(INI.format(dir=self.dir, http_port=http_port, isql_port=isql_port,
                                       max_rows=max_rows, max_seconds=max_seconds))
        self.start()
        self.sql(*GRANTS)

    def start(self) -> None:
        self.log = open(self.dir / "stdout.log", "a+")
        self.process = subprocess.Popen(
            [str(VIRTUOSO), "+foreground", "+configfile", str(self.ini)],
            cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait()
        except BaseException:
            self.stop()
            raise

    def restart(self) -> None:
        self.stop()
        self.start()

    def store(self, base_iri: str, timeout: float = 30) -> RemoteStore:
        """The atlas's remote store over this server, with Virtuoso's layout."""
        return RemoteStore(self.url + "/sparql", self.url + "/sparql", self.url + "/sparql-graph-crud",
                           base_iri, timeout=timeout, dialect="virtuoso")

    def empty(self) -> None:
        """Remove every quad but Virtuoso's own graphs (by SQL, not through the code under test)."""
        kept = ", ".join(f"iri_to_id('{g}')" for g in (*Virtuoso.SYSTEM_GRAPHS, self.service_graph))
        self.sql(f"DELETE FROM DB.DBA.RDF_QUAD WHERE G NOT IN ({kept});")

    @property
    def service_graph(self) -> str:
        # Named after URIQA's DefaultHost, which this ini leaves unset.
        return "http://localuriqaserver/sparql"

    def running_threads(self) -> int:
        """Threads the server is running now (isql's status(): 2 when idle, one more per query)."""
        for line in self.sql("status('');").splitlines():
            if "threads running" in line:
                return int(line.split("Currently", 1)[1].split()[0])
        raise RuntimeError("status() did not report running threads")

    def _wait(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited with {self.process.returncode}:\n{self.output()}")
            try:
                answer = requests.get(self.url + "/sparql", params={"query": "ASK {}"}, timeout=2,
                                      headers={"Accept": "application/sparql-results+json"})
                if answer.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"virtuoso-t did not answer within {timeout} s:\n{self.output()}")

    def sql(self, *statements: str) -> str:
        """Run SQL as dba through isql (the fresh database's dba password is 'dba')."""
        script = "\n".join(statements) + "\n"
        result = subprocess.run([str(ISQL), f"127.0.0.1:{self.isql_port}", "dba", "dba",
                                 "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ECHO=OFF",
                                 "ERRORS=STDOUT"],
                                input=script, capture_output=True, text=True, timeout=60)
        if result.returncode != 0 or "*** Error" in result.stdout:
            raise RuntimeError(f"isql failed ({result.returncode}): {result.stdout}{result.stderr}")
        return result.stdout

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        text = self.log.read()
        error_log = self.dir / "virtuoso.log"
        if error_log.exists():
            text += "\n" + error_log.read_text(errors="replace")[-4000:]
        return text

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # virtuoso-t checkpoints and exits on SIGTERM
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_virtuoso(directory: Path, **options) -> VirtuosoServer:
    """A Virtuoso on free ports, or a skip with the reason (a failure in CI, which installs it)."""
    reason = unavailable_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"{reason}; CI must install it (.ci/run)")
        pytest.skip(reason)
    return VirtuosoServer(directory, free_port(), free_port(), **options)
