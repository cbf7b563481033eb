"""Golden test: the fixture site, built, must equal tests/golden file by file.

After an intended change to templates or pages, refresh with `make goldens` and review
the diff like any other change. CI never refreshes them.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import ROOT, cli, fixture_project

GOLDEN = ROOT / "tests" / "golden"
TEXT_SUFFIXES = {".html", ".css", ".js", ".json", ".svg", ".txt", ".vtt", ""}


# Static files copied verbatim from templates/static are not compared (a copy test says
# nothing); the stylesheet the build generates from the palette is, inlined in each page.
# Pagefind's output (pagefind/) is another program's: tests/test_reading.py searches it.
SKIPPED = ("static/", "pagefind/")


def text_files(folder: Path) -> dict[str, str]:
    folder = folder.resolve()
    files = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_file() and path.suffix in TEXT_SUFFIXES and not name.startswith(SKIPPED):
            files[name] = path.read_text(encoding="utf-8")
    return files


def test_fixture_site_matches_goldens(tmp_path, request):
    project = fixture_project(tmp_path / "project")
    result = cli(project, "build", "--quality", "draft")
    assert result.returncode == 0, result.stderr
    built = text_files(project / "build" / "site")
    assert "01-tiny-lesson/index.html" in built and "index.html" in built
    if request.config.getoption("--update-goldens"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, text in built.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_text(text, encoding="utf-8")
    expected = text_files(GOLDEN)
    assert sorted(built) == sorted(expected), "files added or missing: run `make goldens` if intended"
    for name in expected:
        assert built[name] == expected[name], f"{name} differs from tests/golden: run `make goldens` if intended"
    pngs = sorted(str(p.relative_to(project / "build" / "site" / "01-tiny-lesson")) for p in
                  (project / "build" / "site" / "01-tiny-lesson" / "data").glob("*.png"))
    assert pngs == ["data/overfit-player--tiny-dark-narrow.png", "data/overfit-player--tiny-dark.png",
                    "data/overfit-player--tiny-light-narrow.png", "data/overfit-player--tiny-light.png"]
