"""Reading what a unit declares (a widget's widget.py, a scene file) without importing it.

Planning a build must not import widget or scene code (nor matplotlib or manim behind it),
so the names the build needs are written as module-level literals and read with `ast`.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from generator import sources
from generator.errors import BuildError, location


def read_declarations(path: Path, names: tuple[str, ...], unit: str, root: Path,
                      literal_fix: str) -> tuple[ast.Module, dict[str, tuple[Any, int]], set[str]]:
    """The file's syntax tree, the literal value and line of each module-level assignment to
    one of `names`, and the names of its top-level functions and classes. A syntax error or
    a non-literal value is one BuildError naming `unit` (e.g. "scene 'x'")."""
    try:
        tree = sources.parse(path)
    except SyntaxError as exc:
        raise BuildError(location(path, exc.lineno, root), f"{unit} has a syntax error: {exc.msg}",
                         "fix the Python") from None
    values: dict[str, tuple[Any, int]] = {}
    defined: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in names:
            try:
                values[node.targets[0].id] = (ast.literal_eval(node.value), node.lineno)
            except ValueError:
                raise BuildError(location(path, node.lineno, root), f"{unit}: {node.targets[0].id} must be a literal",
                                 literal_fix) from None
    return tree, values, defined


def imported_names(path: Path) -> list[str]:
    """Every absolute module name a file imports, and `module.name` for each `from module
    import name` (which may be a submodule). A file that cannot be read or parsed imports
    nothing here: importing it reports the error with its line."""
    from generator import sources  # parsed once per build, shared with the keys

    try:
        tree = sources.parse(path)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
    return names
