"""The public surfaces: front-ends use only what ``retrieval`` and ``embeddings`` export."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("retrieval", "embeddings")


def _exported(package: str) -> set[str]:
    return set(importlib.import_module(package).__all__)


def _library_imports(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, module, name) of every import of a library in a file (name None: the module)."""
    found: list[tuple[int, str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [
                (node.lineno, alias.name, None)
                for alias in node.names
                if alias.name.split(".")[0] in LIBRARIES
            ]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] in LIBRARIES
        ):
            found += [(node.lineno, str(node.module), alias.name) for alias in node.names]
    return found


def test_the_front_ends_import_only_the_libraries_public_names() -> None:
    exported = {package: _exported(package) for package in LIBRARIES}
    wrong = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for line, module, name in _library_imports(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if module not in LIBRARIES:
                wrong.append(f"{where}: imports {module}, inside {module.split('.')[0]}")
            elif name is None or name not in exported[module]:
                wrong.append(f"{where}: {module}.{name} is not in {module}.__all__")
    assert wrong == []


def test_the_check_catches_a_front_end_reaching_inside(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from retrieval.search.evaluation import evaluate\nimport embeddings.model\n"
        "from retrieval import Engine\n",
        encoding="utf-8",
    )
    modules = [module for _, module, _ in _library_imports(sneaky)]
    assert modules == ["retrieval.search.evaluation", "embeddings.model", "retrieval"]


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetically."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("package", LIBRARIES)
def test_each_public_surface_is_complete_and_sorted(package: str) -> None:
    module = importlib.import_module(package)
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    imported = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
        for alias in node.names
    }
    public = {name for name in imported if not name.startswith("_")}
    assert sorted(public) == sorted(module.__all__)  # every name imported is exported, and back
    assert list(module.__all__) == sorted(module.__all__, key=_isort_key)
    for name in module.__all__:
        assert getattr(module, name) is not None
