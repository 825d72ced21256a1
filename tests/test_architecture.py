"""The house's rules of who may import whom (docs/architecture.md), read from the code's own
imports, so a change that breaks one fails here and not in a later reader's head."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from survey.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "survey"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = modules()


def imported(path: Path) -> set[str]:
    """Every module of ours the file imports, `from survey import x` read as survey.x."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in MODULES else node.module)
    return found


IMPORTS = {name: imported(path) for name, path in MODULES.items()}


def part(module: str) -> str:
    """The part of the house a module belongs to: survey.kiosk.views → kiosk."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else pieces[0]


def imports_of(prefix: str) -> Iterator[tuple[str, str]]:
    for module, targets in sorted(IMPORTS.items()):
        for target in sorted(targets):
            if target == prefix or target.startswith(prefix + "."):
                yield module, target


def test_the_rules_see_the_code() -> None:
    """A reader that found no imports would pass every rule below."""
    assert "survey.responses.flow" in IMPORTS["survey.responses.tablet"]
    assert "survey.instruments.asking" in IMPORTS["survey.trend.data"]


def test_only_the_form_filling_parts_import_the_instrument_form_builder() -> None:
    """survey.forms builds WTForms classes from instruments; what is asked, shown and how an
    answer reads is survey.instruments.asking, so reports, exports and the trend never need
    the form layer. Its shared WTForms base (survey.forms.base) is for every form."""
    allowed = {"forms", "responses", "kiosk", "app"}
    offenders = [
        f"{module} imports {target}"
        for module, target in imports_of("survey.forms")
        if target != "survey.forms.base" and part(module) not in allowed
    ]
    assert offenders == []


def test_the_instrument_core_is_pure() -> None:
    """Instruments are data and pure functions: no Flask, no Babel request state, no database."""
    forbidden = ("flask", "flask_babel", "flask_wtf", "wtforms", "sqlalchemy", "sqlmodel")
    offenders = []
    for module, path in MODULES.items():
        if part(module) != "instruments" or module == "survey.instruments.cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                ours = name.startswith("survey.") and not name.startswith("survey.instruments")
                if top in forbidden or ours:
                    offenders.append(f"{module} imports {name}")
    assert offenders == []


def test_no_two_parts_import_each_other() -> None:
    """Dependencies point one way: no cycle between the parts (auth, kiosk, responses, ...)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in IMPORTS.items():
        for target in targets:
            while target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in MODULES and target != "survey" and part(target) != part(module):
                edges[part(module)].add(part(target))
    cycles = [
        f"{a} ↔ {b}" for a in sorted(edges) for b in sorted(edges[a]) if a < b and a in edges[b]
    ]
    assert cycles == []
    # and no longer cycles either: every part can be put in an order where it imports only
    # parts before it
    placed: list[str] = []
    remaining = set(edges) | {b for targets in edges.values() for b in targets}
    while remaining:
        ready = sorted(p for p in remaining if edges[p] <= set(placed))
        assert ready, f"a cycle among {sorted(remaining)}"
        placed.extend(ready)
        remaining -= set(ready)


def view_modules() -> set[str]:
    """Modules that declare routes on a blueprint."""
    return {m for m, path in MODULES.items() if "@bp." in path.read_text(encoding="utf-8")}


def test_no_view_module_imports_another() -> None:
    """A view parses, calls a service, renders; what two views share is a module of its own."""
    views = view_modules()
    assert {"survey.kiosk.views", "survey.responses.views", "survey.responses.tablet"} <= views
    offenders = [
        f"{module} imports {target}"
        for module in sorted(views)
        for target in sorted(IMPORTS[module])
        if target in views
    ]
    assert offenders == []


@pytest.mark.parametrize("reader", ["reports", "interop", "trend"])
def test_reports_exports_and_the_trend_read_answers_never_forms(reader: str) -> None:
    offenders = [
        f"{module} imports {target}"
        for prefix in ("survey.responses", "survey.kiosk")
        for module, target in imports_of(prefix)
        if part(module) == reader
    ]
    assert offenders == []
