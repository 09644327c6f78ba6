"""Operations while serving (issue 10): commands that only read work while `tfatlas serve` holds
the store (a checkpoint the server makes); commands that write still refuse with "in use"."""

from __future__ import annotations

import json

import requests

from support.contributions import cli_account, offer_ttl

BASE_URL = "https://atlas.example.org"  # the same in both releases


def test_publish_while_serving_gives_the_release_of_a_stopped_server(tmp_path, start_server, run_cli):
    store = tmp_path / "store"
    server = start_server(store=store)
    env = {"TFATLAS_STORE": str(store)}

    code, _out, err = run_cli("publish", "--out", str(tmp_path / "live"), "--base-url", BASE_URL, env=env)
    assert code == 0, err
    code, out, err = run_cli("stats", "--json", env=env)
    assert code == 0, err
    live_triples = json.loads(out)["triples"]
    code, dumped, err = run_cli("dump", env=env)
    assert code == 0, err
    assert len(dumped.splitlines()) >= live_triples > 0

    # writing commands still refuse, with the message that says what to do
    data = tmp_path / "more.ttl"
    data.write_text("<http://example.org/a> <http://example.org/p> 1 .\n", encoding="utf-8")
    code, _out, err = run_cli("load", "--force", str(data), env=env)
    assert code == 2 and "in use" in err, err
    code, _out, err = run_cli("init", env=env)
    assert code == 2 and "in use" in err, err
    assert not (store / "readers").exists() or not list((store / "readers").iterdir())  # nothing left behind

    server.stop()
    code, _out, err = run_cli("publish", "--out", str(tmp_path / "stopped"), "--base-url", BASE_URL, env=env)
    assert code == 0, err
    live = (tmp_path / "live" / "SHA256SUMS").read_bytes()
    assert live and live == (tmp_path / "stopped" / "SHA256SUMS").read_bytes()


def test_a_reading_command_sees_the_writes_the_server_acknowledged(tmp_path, start_server, run_cli):
    store = tmp_path / "store"
    server = start_server(store=store)
    token = cli_account(store, "bva")[1]
    offer = "https://w3id.org/tfatlas/id/offer/while-serving"
    r = requests.post(server.url + "/rdf-graphs/service", params={"graph": "https://w3id.org/tfatlas/graph/actor/bva"},
                      data=offer_ttl("while-serving", "https://w3id.org/tfatlas/id/org/bva").encode(),
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"}, timeout=120)
    assert r.status_code in (200, 201), r.text
    code, out, err = run_cli("query", f"ASK {{ <{offer}> ?p ?o }}", env={"TFATLAS_STORE": str(store)})
    assert code == 0 and out.strip() == "true", err


def _post_offer(server, token: str, slug: str) -> None:
    r = requests.post(server.url + "/rdf-graphs/service", params={"graph": "https://w3id.org/tfatlas/graph/actor/bva"},
                      data=offer_ttl(slug, "https://w3id.org/tfatlas/id/org/bva").encode(),
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"}, timeout=120)
    assert r.status_code in (200, 201), r.text


def _has(server, slug: str) -> bool:
    r = requests.get(server.url + "/sparql", params={"query": f"ASK {{ <https://w3id.org/tfatlas/id/offer/{slug}> ?p ?o }}"},
                     headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["boolean"]


def test_backup_while_serving_then_restore_with_the_server_stopped(tmp_path, start_server, run_cli):
    store = tmp_path / "store"
    env = {"TFATLAS_STORE": str(store)}
    server = start_server(store=store)
    token = cli_account(store, "bva")[1]
    _post_offer(server, token, "before-backup")

    code, _out, err = run_cli("backup", str(tmp_path / "backup"), env=env)
    assert code == 0, err
    code, _out, err = run_cli("backup", str(tmp_path / "backup"), env=env)  # never over a backup
    assert code != 0 and "not empty" in err, err
    later_token = cli_account(store, "bva")[1]  # an account made after the backup
    _post_offer(server, token, "after-backup")
    assert _has(server, "before-backup") and _has(server, "after-backup")

    code, _out, err = run_cli("restore", str(tmp_path / "backup"), env=env)
    assert code == 2 and "in use" in err, err  # refused while serving, nothing changed
    assert _has(server, "after-backup")
    server.stop()

    code, _out, err = run_cli("restore", str(tmp_path / "nothing-here"), env=env)
    assert code == 2 and "does not exist" in err, err
    (tmp_path / "not-a-backup").mkdir()
    code, _out, err = run_cli("restore", str(tmp_path / "not-a-backup"), env=env)
    assert code != 0 and "not a backup" in err, err

    code, _out, err = run_cli("restore", str(tmp_path / "backup"), env=env)
    assert code == 0, err
    server = start_server(store=store)
    assert _has(server, "before-backup")
    assert not _has(server, "after-backup")
    # the accounts file came back too: the later account is gone, the earlier one still writes
    refused = requests.post(server.url + "/rdf-graphs/service",
                            params={"graph": "https://w3id.org/tfatlas/graph/actor/bva"},
                            data=offer_ttl("with-later-token", "https://w3id.org/tfatlas/id/org/bva").encode(),
                            headers={"Authorization": f"Bearer {later_token}", "Content-Type": "text/turtle"},
                            timeout=120)
    assert refused.status_code == 401, refused.text
    _post_offer(server, token, "after-restore")
    assert _has(server, "after-restore")
