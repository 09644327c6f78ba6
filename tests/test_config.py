"""Settings: defaults < TOML file < TFATLAS_* environment < command line; `tfatlas config`;
and the README's configuration table, which must list every setting."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from support.paths import REPO
from support.servers import tfatlas_command
from tfatlas.config import SETTINGS, load_config
from tfatlas.errors import InputError


def run(*args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TFATLAS_")}
    return subprocess.run(tfatlas_command() + list(args), capture_output=True, text=True,
                          env={**clean, **(env or {})}, cwd=cwd, timeout=120)


def test_each_level_overrides_the_one_below(tmp_path):
    toml = tmp_path / "atlas.toml"
    toml.write_text('port = 9001\nthreads = 3\nhost = "0.0.0.0"\nservice_allow = ["https://query.wikidata.org/"]\n')
    env = {"TFATLAS_PORT": "9002", "TFATLAS_THREADS": "5"}

    config = load_config(cli={"port": 9003}, config_file=toml, environ=env)
    assert config.port == 9003 and config.origins["port"] == "command line"
    assert config.threads == 5 and config.origins["threads"] == "TFATLAS_THREADS"
    assert config.host == "0.0.0.0" and config.origins["host"] == str(toml)
    assert config.service_allow == ("https://query.wikidata.org/",)
    assert config.result_limit == 100000 and config.origins["result_limit"] == "default"

    # the file can also come from TFATLAS_CONFIG, and may use a [tfatlas] table
    toml.write_text("[tfatlas]\nport = 9011\n")
    config = load_config(environ={"TFATLAS_CONFIG": str(toml)})
    assert config.port == 9011 and config.origins["port"] == str(toml)


def test_values_are_parsed_and_derived():
    config = load_config(environ={"TFATLAS_VALIDATE_ON_LOAD": "no", "TFATLAS_SERVICE_ALLOW": "a/, b/ ,",
                                  "TFATLAS_BASE_IRI": "https://example.org/atlas",
                                  "TFATLAS_STORE_URL": "http://db:7878/"})
    assert config.validate_on_load is False
    assert config.service_allow == ("a/", "b/")
    assert config.base_iri == "https://example.org/atlas/"  # a base always ends the path
    assert (config.store_query_url, config.store_update_url, config.store_gsp_url) == (
        "http://db:7878/query", "http://db:7878/update", "http://db:7878/store")
    assert config.remote
    assert not load_config(environ={}).remote
    virtuoso = load_config(environ={"TFATLAS_STORE_URL": "http://db:8890", "TFATLAS_STORE_DIALECT": "Virtuoso"})
    assert virtuoso.store_dialect == "virtuoso"
    assert (virtuoso.store_query_url, virtuoso.store_update_url, virtuoso.store_gsp_url) == (
        "http://db:8890/sparql", "http://db:8890/sparql", "http://db:8890/sparql-graph-crud")


@pytest.mark.parametrize("environ, message", [
    ({"TFATLAS_PORT": "eighty"}, "TFATLAS_PORT"),
    ({"TFATLAS_THREADS": "0"}, "greater than 0"),
    ({"TFATLAS_VALIDATE_ON_LOAD": "perhaps"}, "not a boolean"),
    ({"TFATLAS_ADMIN_TOKEN_SHA256": "the-token-itself"}, "64 hex digits"),
    ({"TFATLAS_STORE_DIALECT": "fuseki"}, "TFATLAS_STORE_DIALECT.*one of auto, oxigraph, virtuoso"),
])
def test_bad_values_name_their_origin(environ, message):
    with pytest.raises(InputError, match=message):
        load_config(environ=environ)


def test_bad_files(tmp_path):
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("prot = 1\n")
    with pytest.raises(InputError, match="unknown setting 'prot'"):
        load_config(config_file=unknown, environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("port = \n")
    with pytest.raises(InputError, match="broken.toml"):
        load_config(config_file=broken, environ={})
    with pytest.raises(InputError, match="does not exist"):
        load_config(config_file=tmp_path / "missing.toml", environ={})


def test_config_command_shows_values_and_origins(tmp_path):
    toml = tmp_path / "atlas.toml"
    toml.write_text('threads = 4\nadmin_token_sha256 = "' + "ab" * 32 + '"\n')
    result = run("--config", str(toml), "--store", str(tmp_path / "s"), "config", "--json",
                 env={"TFATLAS_PORT": "8181", "TFATLAS_THREADS": "6"})
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert set(shown) == {s.name for s in SETTINGS}
    assert shown["store"] == {"env": "TFATLAS_STORE", "value": str(tmp_path / "s"), "from": "command line"}
    assert shown["port"]["value"] == 8181 and shown["port"]["from"] == "TFATLAS_PORT"
    assert shown["threads"]["value"] == 6  # the environment beats the file
    assert shown["admin_token_sha256"]["value"] == "(set)"  # secrets are never printed
    assert shown["query_timeout"]["from"] == "default"

    table = run("config", env={"TFATLAS_PORT": "8181"})
    assert table.returncode == 0, table.stderr
    for setting in SETTINGS:
        assert setting.name in table.stdout
    assert "8181" in table.stdout and "TFATLAS_PORT" in table.stdout

    bad = run("config", env={"TFATLAS_PORT": "eighty"})
    assert bad.returncode == 2 and "TFATLAS_PORT" in bad.stderr and "Traceback" not in bad.stderr


# -- the README's configuration table ---------------------------------------------------------

def readme_default(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value in ("", ()):
        return "(empty)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def configuration_table() -> dict[str, list[str]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Configuration\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert section, "README.md has no '## Configuration' section"
    rows: dict[str, list[str]] = {}
    for line in section.group(1).splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [c.strip().strip("`").strip() for c in line.strip().strip("|").split("|")]
        if cells[0].lower() == "setting":
            assert [c.lower() for c in cells[:4]] == ["setting", "environment variable", "default", "help"]
            continue
        rows[cells[0]] = cells
    return rows


def test_readme_documents_every_setting():
    rows = configuration_table()
    missing = [s.name for s in SETTINGS if s.name not in rows]
    assert not missing, f"settings missing from the README's configuration table: {missing}"
    unknown = [name for name in rows if name not in {s.name for s in SETTINGS}]
    assert not unknown, f"the README documents settings that do not exist: {unknown}"
    for setting in SETTINGS:
        _, env, default, help_text = rows[setting.name][:4]
        assert env == setting.env, setting.name
        assert default == readme_default(setting.default), (setting.name, default)
        assert len(help_text) > 10, f"{setting.name}: the README gives no help"
