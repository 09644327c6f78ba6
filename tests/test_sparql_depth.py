"""Deeply nested SPARQL is refused with a message instead of crashing the parser's process.

Oxigraph's recursive parser overflows its stack (SIGSEGV) on a few thousand nested groups: that
was a 500 from a dead query worker, a segfault of ``tfatlas query``, and a dead server process
for an admin update.
"""

from __future__ import annotations

import hashlib
import subprocess

import requests

from support.servers import tfatlas_command
from tfatlas.sparql.guard import MAX_DEPTH, problem as nesting_error

DEEP_GROUPS = "SELECT * WHERE " + "{" * 3000 + "?s ?p ?o" + "}" * 3000
DEEP_PARENS = "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"
DEEP_UPDATE = "INSERT { <http://a> <http://b> <http://c> } WHERE " + "{" * 3000 + "}" * 3000


def test_depth_counts_only_syntax():
    fine = "SELECT * WHERE " + "{" * 40 + "?s ?p ?o" + "}" * 40
    in_text = 'SELECT * WHERE { ?s ?p "' + "(" * (MAX_DEPTH * 4) + '" } # ' + "{" * MAX_DEPTH
    assert nesting_error(fine) is None and nesting_error(in_text) is None
    assert "more than" in nesting_error(DEEP_GROUPS) and "1:" in nesting_error(DEEP_PARENS)


def test_endpoint_refuses_deep_queries_and_keeps_serving(seeded_server):
    for text in (DEEP_GROUPS, DEEP_PARENS):
        response = requests.post(seeded_server.url + "/sparql", data=text.encode(), timeout=60,
                                 headers={"Content-Type": "application/sparql-query"})
        assert response.status_code == 400 and "levels deep" in response.text
    assert requests.get(seeded_server.url + "/-/health", timeout=30).status_code == 200


def test_admin_update_too_deep_is_400_not_a_dead_server(start_server):
    server = start_server(env={"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(b"tok").hexdigest()})
    response = requests.post(server.url + "/sparql", data=DEEP_UPDATE.encode(), timeout=60,
                             headers={"Content-Type": "application/sparql-update",
                                      "Authorization": "Bearer tok"})
    assert response.status_code == 400 and "levels deep" in response.text
    assert "SIGSEGV" not in server.output()


def test_cli_query_too_deep_exits_1(tmp_path):
    result = subprocess.run(tfatlas_command() + ["--store", str(tmp_path / "store"), "query", DEEP_GROUPS],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "levels deep" in result.stderr, result.stderr


def test_remote_store_refuses_before_sending():
    # Nothing listens on port 9: a refusal that names the depth was made before any request.
    import pytest

    from tfatlas.errors import QueryError
    from tfatlas.store.remote import RemoteStore

    remote = RemoteStore("http://127.0.0.1:9/query", "http://127.0.0.1:9/update",
                         "http://127.0.0.1:9/store", "https://w3id.org/tfatlas/", timeout=2)
    for call, text in ((remote.query, DEEP_GROUPS), (remote.update, DEEP_UPDATE)):
        with pytest.raises(QueryError, match="levels deep"):
            call(text)
