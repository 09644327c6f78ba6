"""The command line as a new user meets it (issue 11): the counts `load` reports, and `config`
shows every value whole."""

from __future__ import annotations

import re
from pathlib import Path


def _cells(table: str, column: int) -> dict[str, str]:
    """setting -> the text of one column, with the lines of a folded cell joined again."""
    cells: dict[str, str] = {}
    name = None
    for line in table.splitlines():
        if not line.startswith("│"):
            continue
        parts = [part.strip() for part in line.strip("│").split("│")]
        if parts[0]:
            name = parts[0]
            cells[name] = parts[column]
        elif name is not None:
            cells[name] += parts[column]
    return cells


def test_config_shows_long_values_whole_in_a_pipe(run_cli, tmp_path: Path):
    long_dir = str(tmp_path / ("release-" + "x" * 90) / "directory")  # longer than 80 columns
    code, out, err = run_cli("--store", str(tmp_path / "store"), "config",
                             env={"TFATLAS_RELEASE_DIR": long_dir, "COLUMNS": "80"})
    assert code == 0, err
    assert _cells(out, 2)["release_dir"] == long_dir
    assert "…" not in out


def test_load_of_a_one_triple_turtle_file_reports_one_statement(run_cli, tmp_path: Path):
    data = tmp_path / "one.ttl"
    data.write_text("@prefix ex: <https://w3id.org/tfatlas/id/test/> .\n"
                    "# one statement, written for the test\n"
                    "ex:a ex:b ex:c .\n", encoding="utf-8")
    code, out, err = run_cli("--store", str(tmp_path / "store"), "load", "--progress", str(data))
    assert code == 0, err
    counts = re.findall(r"([\d,]+) statements?\b", err)
    assert counts and counts[-1] == "1", err


def test_readme_quick_start_names_the_installed_command(run_cli):
    root = Path(__file__).resolve().parents[1]
    venv = re.search(r"^VENV\s*\?=\s*(\S+)", (root / "Makefile").read_text(), re.M).group(1)
    readme = (root / "README.md").read_text(encoding="utf-8")
    quick_start = readme[readme.index("make run"):readme.index("What is where")]
    command = f"{venv}/bin/tfatlas"
    assert f"`{command}" in quick_start, "the quick start must say where `make run` put the CLI"
    if (root / command).exists():  # a checkout set up with make: the named command runs
        import subprocess

        assert subprocess.run([str(root / command), "--version"], capture_output=True).returncode == 0
