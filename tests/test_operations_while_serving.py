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
