"""Shared fixtures: the project built once per session, a local server, a browser.

The real site is built at draft quality into build/test (its own cache beside the
published build's), so the browser tests look at exactly what `make site` publishes,
with smaller videos.
"""
from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from generator.progress import Silent

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", help="rewrite tests/golden from the fixture site")


# Where the test build says it is published: sitemap, feed and social cards need an address.
SITE_URL = "https://example.org/series/"


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The real project, built at draft quality (videos included)."""
    result = build(BuildOptions(ROOT, quality="draft", out=ROOT / "build" / "test", site_url=SITE_URL), Silent())
    return result.site


@pytest.fixture(scope="session")
def built_records(built_site) -> dict[str, Path]:
    """'lesson/run' -> record path, from the session build's cache (nothing is retrained)."""
    records = {}
    for lesson_dir in (ROOT / "build" / "test" / "cache" / "runs").iterdir():
        entries = [p for p in lesson_dir.iterdir() if (p / "entry.json").is_file()]
        assert len(entries) == 1, f"expected one fresh entry in {lesson_dir}"
        for record in entries[0].glob("*.json"):
            if record.name not in ("entry.json", "runs.json"):
                records[f"{lesson_dir.name}/{record.stem}"] = record
    return records


TEST_CACHE = ROOT / "build" / "test" / "cache"


def copy_project(destination: Path, *, with_cache_from: Path | None = None) -> Path:
    """A throwaway copy of the project's sources (for tests that break things)."""
    for name in ("content", "templates", "scenes", "generator"):
        shutil.copytree(ROOT / name, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
    if with_cache_from is not None and with_cache_from.is_dir():
        shutil.copytree(with_cache_from, destination / "build" / "cache", symlinks=True)
    return destination


class SiteServer:
    """The site served on 127.0.0.1 from a sub-path, as GitHub Pages serves a project."""

    def __init__(self, site: Path, mount: str = "/"):
        from generator.serve import make_server

        self.mount = mount
        self.folder = Path(tempfile.mkdtemp())
        target = self.folder / mount.strip("/") if mount.strip("/") else self.folder
        target.parent.mkdir(parents=True, exist_ok=True)
        if target == self.folder:
            self.folder.rmdir()
            self.folder.symlink_to(site.resolve())
        else:
            target.symlink_to(site.resolve())
        self.server = make_server(self.folder, 0, live_reload=False)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{self.mount}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def server(built_site):
    """The built site at http://127.0.0.1:PORT/repo/ (a sub-path, like GitHub Pages)."""
    srv = SiteServer(built_site, "/repo/")
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (its own browser download cannot work here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_context(browser):
    """A fresh context per test: no theme or storage left over from another test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


class PageWatch:
    """Console errors and every request a page makes, for assertions."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]


@pytest.fixture
def page(browser_context):
    """A fresh tab with a watcher: `page, watch = page`."""
    tab = browser_context.new_page()
    watch = PageWatch(tab)
    yield tab, watch
    tab.close()
