"""Fixtures for every test, the generator's (tests/) and each lesson's (content/NN-slug/tests/).

pyproject.toml loads this module as a pytest plugin (`-p tests.plugin`), so a lesson's own
tests get these fixtures with no conftest of their own.

The real site is built at draft quality into build/test (its own cache beside the
published build's), so the browser tests look at exactly what `make site` publishes,
with smaller videos.

Lesson fixtures (`lesson`, `records`, `facts`, `page_html`, `guards`, `run_seeds`,
`claim_seeds`, `open_widget`) find their lesson from where the test file lives: a test in
content/03-x/tests/ gets lesson 03-x. The generator's own tests never use them.
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
    return {f"{lesson.name}/{run}": path for lesson in (TEST_CACHE / "runs").iterdir()
            for run, path in session_record_paths(lesson.name).items()}


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


def no_trouble(watch: PageWatch) -> None:
    """Nothing logged an error and nothing was fetched from another origin."""
    assert watch.errors == []
    assert watch.foreign_requests() == []


@pytest.fixture
def page(browser_context):
    """A fresh tab with a watcher: `page, watch = page`."""
    tab = browser_context.new_page()
    watch = PageWatch(tab)
    yield tab, watch
    tab.close()


@pytest.fixture(scope="session")
def nu_messages(built_site) -> list[tuple[Path, str]]:
    """(file, message) for every error the Nu HTML checker finds in the built site's HTML
    and CSS: one Java run for the whole site, read per page by the tests."""
    import json
    import subprocess
    from urllib.parse import unquote, urlsplit

    vnu = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    result = subprocess.run(["java", "-jar", str(vnu), "--also-check-css", "--skip-non-html", "--errors-only",
                             "--format", "json", str(built_site.resolve())], capture_output=True, text=True,
                            timeout=300)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    assert result.returncode == 0 or messages, result.stderr
    return [(Path(unquote(urlsplit(m.get("url", "")).path)), f"{m.get('url')}:{m.get('lastLine')}: {m['message']}")
            for m in messages]


# --------------------------------------------------------------------------- a lesson's own tests
CONTENT = ROOT / "content"


def lesson_slugs(content: Path = CONTENT) -> list[str]:
    """Every lesson folder of the series (content/NN-slug/), found at collection: the common
    checks are parametrised over these, so a new lesson is checked the moment it exists."""
    from generator.lessons import LESSON_DIR

    return sorted(p.name for p in content.iterdir() if p.is_dir() and LESSON_DIR.match(p.name))
# Claims over seeds are written on the lesson's seeds and checked again on seeds nobody
# looked at while writing them (issue: claims tuned on seeds 0-4 broke on others).
WRITTEN_SEEDS = (0, 1, 2, 3, 4)
HELD_OUT_SEEDS = (100, 101, 102, 103, 104)


def lesson_folder_of(test_file: Path) -> Path:
    """content/NN-slug for a test file anywhere inside that lesson folder."""
    test_file = test_file.resolve()
    for parent in test_file.parents:
        if parent.parent == CONTENT:
            return parent
    raise pytest.UsageError(f"{test_file} uses a lesson fixture but is not inside a lesson folder content/NN-slug/")


def session_record_paths(slug: str) -> dict[str, Path]:
    """Run name -> record path of one lesson, as the session build (built_site) wrote them."""
    from generator.cache import Cache
    from generator.training import cached_records

    found = cached_records(Cache(TEST_CACHE), slug)
    assert all(path.is_file() for path in found.values()), f"records of {slug} are missing from {TEST_CACHE}"
    return found


def session_records(slug: str) -> dict[str, dict]:
    """Run name -> record of one lesson, as the session build (built_site) wrote them; the
    run's measures (rec.measure) are among its facts, as the page shows them."""
    import json

    from generator.training import measures_file

    found = {}
    for name, path in session_record_paths(slug).items():
        record = json.loads(path.read_text())
        measures = measures_file(path)
        if measures.is_file():
            record["facts"] = {**record["facts"], **json.loads(measures.read_text())}
        found[name] = record
    return found


@pytest.fixture(scope="module")
def lesson(request):
    """The lesson this test file belongs to, loaded as the build loads it."""
    from generator.lessons import load_lesson

    return load_lesson(lesson_folder_of(request.path), ROOT)


@pytest.fixture(scope="module")
def records(lesson, built_site) -> dict[str, dict]:
    """Run name -> the record the build wrote for this lesson (nothing is retrained)."""
    return session_records(lesson.slug)


@pytest.fixture(scope="module")
def facts(records) -> dict[str, dict]:
    """Run name -> the facts it recorded."""
    return {name: record["facts"] for name, record in records.items()}


@pytest.fixture(scope="module")
def page_html(lesson, built_site) -> str:
    """The lesson's published page, as the session build wrote it."""
    return (built_site / lesson.slug / "index.html").read_text()


@pytest.fixture(scope="module")
def guards(lesson):
    """guards(sentence): the sentence a claim test keeps true must still be in lesson.md
    (whitespace-insensitive), so a rewritten sentence cannot leave its test guarding nothing."""
    page = " ".join(lesson.source.read_text().split())

    def check(sentence: str) -> None:
        assert " ".join(sentence.split()) in page, f"{lesson.source.name} no longer says: {sentence!r}"

    return check


def _execute_with_seed(experiments: str, name: str, seed: int, config: dict | None = None) -> dict:
    import dataclasses

    from generator.authoring import execute
    from generator.training import load_experiments

    specs = {spec.name: spec for spec in load_experiments(Path(experiments), ROOT)}
    spec = specs[name]
    if config:
        spec = dataclasses.replace(spec, config={**spec.config, **config})
    return execute(spec, seed=seed, root=ROOT)


# Records trained by run_seeds are kept in build/test/fresh, keyed by the content of
# what made them (the experiments file and the local modules it imports, the generator's
# authoring API, the run's name, seed and settings): a second `make test` with nothing
# changed trains nothing, and a changed experiment trains afresh. Their cost is reported
# at the end of the session.
FRESH_CACHE = TEST_CACHE.parent / "fresh"  # beside the build's cache, which prunes what it did not use
_FRESH_COST = {"runs": 0, "cpu_seconds": 0.0, "wall_seconds": 0.0}


def _children_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pytest_terminal_summary(terminalreporter):
    if _FRESH_COST["runs"]:
        terminalreporter.write_line(
            f"run_seeds trained {_FRESH_COST['runs']} runs afresh: {_FRESH_COST['cpu_seconds']:.0f} CPU-s "
            f"in {_FRESH_COST['wall_seconds']:.0f} s of wall time")


def _fresh_key(experiments: Path, name: str, seed: int, config: dict) -> str:
    import hashlib

    from generator.sources import local_imports

    digest = hashlib.sha256()
    for source in [experiments, *sorted(local_imports(experiments, experiments.parent)),
                   ROOT / "generator" / "authoring.py"]:
        digest.update(source.read_bytes())
    digest.update(repr((name, seed, sorted(config.items()))).encode())
    return digest.hexdigest()[:20]


def train_fresh(experiments: Path, name: str, seeds, /, **config) -> dict[int, dict]:
    """Run `name` of `experiments` trained with each seed (and `config` laid over its own),
    two at a time in worker processes; records already in FRESH_CACHE are read, not trained."""
    import json
    import multiprocessing
    import time
    from concurrent.futures import ProcessPoolExecutor

    seeds = list(seeds)
    paths = {s: FRESH_CACHE / f"{_fresh_key(experiments, name, s, config)}.json" for s in seeds}
    missing = [s for s in seeds if not paths[s].is_file()]
    if missing:
        cpu, wall = _children_cpu_seconds(), time.monotonic()
        with ProcessPoolExecutor(min(2, len(missing)), mp_context=multiprocessing.get_context("spawn")) as pool:
            found = pool.map(_execute_with_seed, [str(experiments)] * len(missing), [name] * len(missing), missing,
                             [config] * len(missing))
            FRESH_CACHE.mkdir(parents=True, exist_ok=True)
            for s, record in zip(missing, found):
                partial = paths[s].with_suffix(".part")
                partial.write_text(json.dumps(record))
                partial.replace(paths[s])   # whole or not at all
        # The pool's workers have been joined, so their CPU time is in RUSAGE_CHILDREN now.
        _FRESH_COST["runs"] += len(missing)
        _FRESH_COST["cpu_seconds"] += _children_cpu_seconds() - cpu
        _FRESH_COST["wall_seconds"] += time.monotonic() - wall
    return {s: json.loads(paths[s].read_text()) for s in seeds}


@pytest.fixture(scope="module")
def run_seeds(lesson):
    """run_seeds(name, seeds, **config) -> {seed: record}: the lesson's run `name` trained
    afresh with each seed (and `config` laid over its own, which may hold a `seeds` setting
    of the run's own), two at a time in worker processes. Records are cached by content
    (see FRESH_CACHE), so each is trained once."""
    experiments = lesson.folder / "experiments.py"

    def train(name: str, seeds, /, **config) -> dict[int, dict]:
        return train_fresh(experiments, name, seeds, **config)

    return train


@pytest.fixture(scope="module", params=["written", "held-out"])
def claim_seeds(request) -> tuple[int, ...]:
    """The seeds a claim over seeds is checked on: a test that takes this fixture runs twice,
    once on WRITTEN_SEEDS (the seeds the lesson's prose and tables were written from) and
    once on HELD_OUT_SEEDS (seeds nobody looked at while writing). The test reads the
    build's records for the first and trains what it needs with run_seeds for the second;
    `claim_seeds.held_out` tells it which. A claim that fails only on the held-out seeds was
    tuned to the written ones: rewrite the sentence (a rate, a range) or change the set-up."""
    return ClaimSeeds(WRITTEN_SEEDS if request.param == "written" else HELD_OUT_SEEDS)


class ClaimSeeds(tuple):
    """A tuple of seeds that knows whether it is the held-out set."""

    @property
    def held_out(self) -> bool:
        return tuple(self) == HELD_OUT_SEEDS


@pytest.fixture
def open_widget(lesson, server):
    """open_widget(tab, name, scheme) -> the figure of this lesson's first embed of widget
    `name`, mounted, in the given colour scheme ("light" or "dark")."""

    def open_(tab, name: str, scheme: str = "light"):
        tab.emulate_media(color_scheme=scheme)
        tab.goto(server.url(f"{lesson.slug}/index.html"))
        return mounted(tab, f"figure[data-widget='{name}']")

    return open_


@pytest.fixture(scope="module")
def widget_data(lesson, built_site):
    """widget_data(name) -> the data the page's first embed of widget `name` loads."""
    import json

    from generator.export import unpack

    def read(name: str) -> dict:
        paths = sorted((built_site / lesson.slug / "data").glob(f"{name}--*.json"))
        assert paths, f"no data exported for widget {name} of {lesson.slug}"
        return unpack(json.loads(paths[0].read_text()))  # long float arrays are published packed

    return read


@pytest.fixture(scope="module")
def widget_module(lesson):
    """widget_module(name) -> the widget's widget.py (the lesson's own or a built-in), imported."""
    from generator.widgets import catalogue

    widgets = catalogue(ROOT, lesson.folder)
    return lambda name: widgets[name].module()


# --------------------------------------------------------------------------- in the browser
def wait_until(condition, timeout: float = 5.0) -> None:
    """Poll from Python: the page's CSP (rightly) forbids the eval behind wait_for_function."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def canvas_pixels(tab, selector: str) -> str:
    """The canvas as a data URL: changes whenever what is drawn changes."""
    return tab.eval_on_selector(selector, "c => c.toDataURL()")


def pixel(tab, selector: str, fx: float, fy: float) -> list[int]:
    """RGBA of the canvas pixel at the fractions (fx, fy) of its width and height."""
    return tab.eval_on_selector(
        selector,
        f"c => Array.from(c.getContext('2d').getImageData(Math.floor(c.width*{fx}), "
        f"Math.floor(c.height*{fy}), 1, 1).data)")


def move_slider(figure, selector: str, value) -> str:
    """Set the figure's input `selector` to `value` as a drag would; returns the readout text."""
    return figure.evaluate("""(f, [selector, value]) => {
      const input = f.querySelector(selector);
      input.value = String(value);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      const readout = f.querySelector(".widget-readout");
      return readout ? readout.textContent : "";
    }""", [selector, value])


def mounted(tab, selector: str, timeout: float = 30_000):
    """The first element matching `selector` (a widget's figure), brought into view and
    mounted: widgets load their code and data only as they near the viewport."""
    figure = tab.locator(selector).first
    figure.scroll_into_view_if_needed()
    tab.wait_for_selector(f"{selector}[data-ready='true']", timeout=timeout)
    return figure
