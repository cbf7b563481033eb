"""Reading and parsing source files, each once per build.

Several steps look at the same Python file (the plan reads a scene's declarations, the
render key follows its imports); they all go through `parse`, memoised on the file's
path, size and modification time, so a build parses each file once. `tree_digest`
hashes a Python file by its syntax tree: comments, blank lines and moved lines change
nothing, so a comment never retrains or re-renders. Docstrings are part of the tree.
"""
from __future__ import annotations

import ast
import hashlib
import os
import re
import sys
from collections import Counter
from pathlib import Path

# How often each file was really parsed in this process (tests count them).
PARSES: Counter[str] = Counter()
_TREES: dict[tuple[str, int, int], ast.Module | SyntaxError] = {}
_DIGESTS: dict[tuple[str, int, int], str] = {}
_IMPORTS: dict[tuple[str, int, int], list[str]] = {}


def _stamp(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path), stat.st_size, stat.st_mtime_ns


def parse(path: Path) -> ast.Module:
    """The file's syntax tree (raises SyntaxError, once per version of the file)."""
    stamp = _stamp(path)
    if stamp not in _TREES:
        PARSES[str(path)] += 1
        try:
            _TREES[stamp] = ast.parse(path.read_bytes().decode("utf-8-sig"), filename=str(path))
        except SyntaxError as exc:
            _TREES[stamp] = exc
    found = _TREES[stamp]
    if isinstance(found, SyntaxError):
        raise found
    return found


def tree_digest(path: Path) -> str:
    """A hash of a Python file's syntax tree; a file that does not parse is hashed by its bytes."""
    stamp = _stamp(path)
    if stamp not in _DIGESTS:
        try:
            text = ast.dump(parse(path), include_attributes=False)
        except SyntaxError:
            text = path.read_bytes().hex()
        _DIGESTS[stamp] = nodes_digest([text])
    return _DIGESTS[stamp]


def nodes_digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def local_imports(path: Path, search_dir: Path) -> list[Path]:
    """Python files in `search_dir` that `path` imports, directly or through each other."""
    found: list[Path] = []
    todo = [path]
    while todo:
        current = todo.pop()
        stamp = _stamp(current)
        if stamp not in _IMPORTS:
            try:
                _IMPORTS[stamp] = imported_names(parse(current))
            except SyntaxError:
                _IMPORTS[stamp] = []  # reported when the module is imported
        for name in _IMPORTS[stamp]:
            candidate = search_dir / (name.split(".")[0] + ".py")
            if candidate.is_file() and candidate not in found and candidate != path:
                found.append(candidate)
                todo.append(candidate)
    return sorted(found)


def imported_names(tree: ast.Module) -> list[str]:
    """Every absolute module name the tree imports, anywhere in it."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


_VERSIONS: dict[str, str] = {}


def installed_version(package: str, ask_metadata: bool = True) -> str:
    """An installed distribution's version, read from its *.dist-info folder's name
    (importlib.metadata takes a tenth of a second to import); "absent" if not installed.
    Without `ask_metadata`, a name no *.dist-info folder carries is "absent" at once."""
    if not _VERSIONS:
        for folder in sys.path:
            if os.path.isdir(folder):
                for name in os.listdir(folder):
                    if name.endswith(".dist-info") and "-" in name:
                        dist, _, version = name[: -len(".dist-info")].partition("-")
                        _VERSIONS.setdefault(_normal(dist), version)
    found = _VERSIONS.get(_normal(package))
    if found is None and not ask_metadata:
        return "absent"
    if found is None:
        import importlib.metadata

        try:
            found = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found = "absent"
    return found


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()
