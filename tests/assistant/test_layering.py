"""The layering the answer-layer issue asks for, read from the source (ast), never by importing it:

- data flows one way: config imports no project package; corpus only config; index only config and corpus;
  assistant only config, corpus and index; server and evaluation those four, not each other and not
  serov_qa (the CLI); nothing but serov_qa itself (and the tests) imports serov_qa;
- inside assistant/ the stages go one way: understand -> retrieve -> premise -> select -> decide -> compose,
  no module importing a later stage;
- no class in assistant/ over about 200 lines;
- every `from X import Y` of a project module names something X has.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from config.settings import PROJECT_DIR

PACKAGES = ("config", "corpus", "index", "assistant", "server", "evaluation", "serov_qa", "benchmarks")
ALLOWED = {
    "config": set(),
    "corpus": {"config"},
    "index": {"config", "corpus"},
    "assistant": {"config", "corpus", "index"},
    "server": {"config", "corpus", "index", "assistant"},
    "evaluation": {"config", "corpus", "index", "assistant"},
    "benchmarks": {"config", "corpus", "index", "assistant", "evaluation", "server"},  # they measure the server too
    "serov_qa": {"config", "corpus", "index", "assistant", "server", "evaluation"},
}
# The assistant's modules by stage; a module may import its own stage's and earlier stages' modules only.
STAGES = [
    {"models", "romanized", "language", "vocabulary", "realwords", "normalize", "entities", "subjects", "knowledge", "museum", "question"},  # understand
    {"retrieve"},
    {"claims", "sequence", "premise"},
    {"select"},
    {"gaps", "decide"},
    {"compose"},
    {"pipeline", "__init__"},
]
MAX_CLASS_LINES = 220
SEALED = PROJECT_DIR / "evaluation" / "independent"  # evaluation material: never read


def modules(package: str) -> list[Path]:
    return sorted(p for p in (PROJECT_DIR / package).rglob("*.py") if SEALED not in p.parents)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_DIR).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, absolute module, names) of every import in the file, at any depth (imports inside functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name, tuple(a.name for a in node.names)))
    return found


def project_imports(package: str) -> list[tuple[str, int, str]]:
    """(file, line, imported top-level package) for every import of a project package from another one."""
    found = []
    for path in modules(package):
        for line, name, _ in imports(path):
            top = name.split(".")[0]
            if top in PACKAGES and top != package:
                found.append((str(path.relative_to(PROJECT_DIR)), line, top))
    return found


@pytest.mark.parametrize("package", [
    "config", "corpus", "index", "assistant", "server",
    "evaluation", "benchmarks",
])
def test_each_package_imports_only_the_floors_below_it(package):
    wrong = [(f, line, top) for f, line, top in project_imports(package) if top not in ALLOWED[package]]
    assert wrong == [], f"{package} may import only {sorted(ALLOWED[package]) or 'no project package'}"


def test_the_floors_are_checked_where_it_matters():
    # The rules themselves: serov_qa is nobody's dependency; server and evaluation do not know each other.
    assert not any("serov_qa" in allowed for package, allowed in ALLOWED.items() if package != "serov_qa")
    assert "evaluation" not in ALLOWED["server"] and "server" not in ALLOWED["evaluation"]
    assert all(modules(package) for package in PACKAGES)


def stage_of(module: str) -> int:
    return next(i for i, stage in enumerate(STAGES) if module in stage)


def test_every_assistant_module_has_a_stage():
    assert {p.stem for p in modules("assistant")} == set().union(*STAGES)


@pytest.mark.parametrize("path", modules("assistant"), ids=lambda p: p.stem)
def test_no_assistant_module_imports_a_later_stage(path):
    own = stage_of(path.stem)
    later = [(line, name) for line, name, _ in imports(path)
             if name.startswith("assistant.") and stage_of(name.split(".")[1]) > own]
    assert later == []


@pytest.mark.parametrize("path", modules("assistant"), ids=lambda p: p.stem)
def test_no_class_in_the_assistant_is_over_about_200_lines(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sizes = {node.name: node.end_lineno - node.lineno + 1 for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    assert all(size < MAX_CLASS_LINES for size in sizes.values()), sizes


@pytest.mark.parametrize("package", [
    "config", "corpus", "index", "assistant", "server", "evaluation", "serov_qa", "benchmarks",
])
def test_every_imported_name_exists(package):
    missing = []
    for path in modules(package):
        for line, name, names in imports(path):
            if name.split(".")[0] not in PACKAGES or name.split(".")[0] == "benchmarks":
                continue
            module = importlib.import_module(name)
            for attribute in names:
                if attribute != "*" and not hasattr(module, attribute):
                    try:
                        importlib.import_module(f"{name}.{attribute}")
                    except ImportError:
                        missing.append((str(path.relative_to(PROJECT_DIR)), line, f"{name}.{attribute}"))
    assert missing == []


def test_the_old_modules_are_gone():
    for name in ("answerer", "focus", "messages", "selection", "setup"):
        assert not (PROJECT_DIR / "assistant" / f"{name}.py").exists()
    assert not hasattr(importlib.import_module("assistant"), "Assistant")
