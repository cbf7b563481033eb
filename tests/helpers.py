"""Helpers shared by tests: fixture projects, tree fingerprints, running the CLI."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "site"


def fixture_project(destination: Path) -> Path:
    """The tiny fixture site with the real templates, in a folder of its own."""
    shutil.copytree(FIXTURE / "content", destination / "content")
    shutil.copytree(ROOT / "templates", destination / "templates")
    (destination / "scenes").mkdir()
    return destination


def with_tests(project: Path, destination: Path) -> Path:
    """A copy of `project` that can run pytest on its own: the generator, tests/ (its
    plugin and common checks) and pyproject.toml beside its content, and its build cache
    as the test build's, so the session build there retrains and re-renders nothing."""
    shutil.copytree(project, destination, symlinks=True, ignore=shutil.ignore_patterns("site", ".staging-*"))
    skip = shutil.ignore_patterns("__pycache__", "fixtures", "golden")
    for name in ("generator", "tests"):
        shutil.rmtree(destination / name, ignore_errors=True)
        shutil.copytree(ROOT / name, destination / name, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", destination)
    (destination / "node_modules").symlink_to(ROOT / "node_modules")
    if (project / "build" / "cache").is_dir():
        (destination / "build" / "test").mkdir(parents=True, exist_ok=True)
        (destination / "build" / "cache").rename(destination / "build" / "test" / "cache")
    return destination


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `folder` (following the site link)."""
    folder = folder.resolve()
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SITE_COMMIT="0123456789abcdef", SITE_COMMIT_DATE="2026-01-02T03:04:05+00:00")
    return subprocess.run([sys.executable, "-m", "generator", "--root", str(project), *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)


def break_and_build(good_project: Path, scratch: Path, breakage, *build_args: str) -> tuple[Path, str]:
    """Copy a built project, break it with `breakage`, build again (with `build_args`).

    Asserts what every bad input must give: a non-zero exit, exactly one line on stderr
    besides progress lines, starting 'error: ' and matching the pattern `breakage`
    returns, and the previous site byte for byte. Returns the copy and that line.
    """
    import re

    project = scratch / "p"
    shutil.copytree(good_project, project, symlinks=True)
    before = tree_digest(project / "build" / "site")
    expected = breakage(project)
    result = cli(project, "build", "--quality", "draft", *build_args)
    assert result.returncode != 0
    # Progress lines start with "[stage]" (or announce the render workers); everything else on
    # stderr is the error report.
    lines = [line for line in result.stderr.strip().split("\n")
             if line and not line.startswith("[") and not re.fullmatch(r"rendering \d+ videos \(\d+ scenes?\) in \d+ worker processes", line)]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert re.search(expected, lines[0]), lines[0]
    assert tree_digest(project / "build" / "site") == before
    return project, lines[0]


def poll(tab, script: str, handle, timeout_ms: float = 15_000) -> None:
    """Wait until `script` (a JS function of the element) is true for `handle`, polling from
    Python: the pages' CSP forbids the eval behind Playwright's wait_for_function."""
    from tests.plugin import wait_until

    wait_until(lambda: handle.evaluate(script), timeout=timeout_ms / 1000)
