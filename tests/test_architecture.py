"""The package's shape: no import cycle, Flask only in the web and CLI layers, one content negotiator.

These read the source (every import statement, also those inside functions), so they fail the
moment a module adds an edge that breaks the layering, not only when the edge is executed.
"""

from __future__ import annotations

import ast
from pathlib import Path

from support.paths import REPO

SERVER = REPO / "server"
PACKAGE = SERVER / "tfatlas"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SERVER).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py") if "_model" not in p.parts}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of the package that ``name`` imports, anywhere in its source."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            # "from pkg import sub" imports the submodule when there is one, else names of pkg
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_walker_finds_a_cycle_when_there_is_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_the_package():
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    assert graph["tfatlas.web.app"], "the walker sees no imports: it is broken, not the package clean"
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def _third_party(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_web_and_cli_layers_import_flask():
    web_only = {"flask", "flask_cors", "werkzeug", "waitress", "jinja2"}
    offenders = {name: sorted(_third_party(path) & web_only) for name, path in _modules().items()
                 if not name.startswith(("tfatlas.web", "tfatlas.cli"))}
    offenders = {name: found for name, found in offenders.items() if found}
    # Header parsers from werkzeug (no Flask, no request): Accept, Accept-Language, Content-Type.
    assert offenders == {"tfatlas.i18n": ["werkzeug"], "tfatlas.sparql.conneg": ["werkzeug"],
                         "tfatlas.sparql.protocol": ["werkzeug"]}


def test_accept_headers_are_parsed_only_by_conneg_and_i18n():
    needles = ("accept_mimetypes", "accept_languages", "parse_accept_header", "MIMEAccept", "LanguageAccept")
    # Accept in conneg, Accept-Language in i18n (the language choice), nowhere else.
    offenders = []
    for name, path in _modules().items():
        if name in ("tfatlas.sparql.conneg", "tfatlas.i18n"):
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{name}: {needle}" for needle in needles if needle in text]
    assert offenders == []


def test_docs_architecture_names_every_package_and_module():
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "_model" in path.parts or path.name in ("__init__.py", "__main__.py"):
            continue
        relative = path.relative_to(PACKAGE)
        if relative.parent != Path(".") and f"{relative.parts[0]}/" not in text:
            missing.append(f"{relative.parts[0]}/")
        if f"`{path.name}`" not in text and f"{path.stem}" not in text:
            missing.append(str(relative))
    assert missing == []
