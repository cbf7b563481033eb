"""The checks every lesson gets without writing a line: each test here is parametrised over
the lesson folders found in content/ at collection, so a new lesson is covered the moment
its folder exists (test_cli_commands shows it on a lesson `generator new` makes).

A lesson's own claims live in its folder (content/NN-slug/tests/); what holds for every
lesson lives here.
"""
from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

from tests.plugin import CONTENT, ROOT, PageWatch, lesson_slugs, mounted, session_records

SLUGS = lesson_slugs()
SCHEMES = ["light", "dark"]


@cache
def lesson_of(slug: str):
    from generator.lessons import load_lesson

    return load_lesson(CONTENT / slug, ROOT)


class Page(HTMLParser):
    """What the checks read from a built page: ids, references, figures and their files."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []   # (tag, attribute, value)
        self.widgets: list[dict[str, str]] = []      # attributes of each widget's fallback <img>/<source>
        self.videos: list[dict[str, str]] = []       # attributes of each scripted <video>
        self.facts: list[tuple[str, str]] = []       # (run.fact, text shown)
        self._fact: list[str] | None = None
        self._widget: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if "id" in attrs:
            self.ids.add(attrs["id"])
        self.refs += [(tag, k, attrs[k]) for k in ("href", "src", "poster", "srcset") if k in attrs]
        self.refs += [(tag, k, v) for k, v in attrs.items() if k.startswith(("data-src", "data-poster", "data-captions"))]
        if tag == "figure" and "data-widget" in attrs:
            self._widget = {"name": attrs["data-widget"]}
            self.widgets.append(self._widget)
        elif tag == "source" and self._widget is not None:
            self._widget["dark"] = attrs.get("srcset", "")
        elif tag == "img" and self._widget is not None and "widget-figure" in attrs.get("class", ""):
            self._widget.update(light=attrs.get("src", ""), alt=attrs.get("alt", ""))
        elif tag == "video" and "video-live" in attrs.get("class", ""):
            self.videos.append(attrs)
        elif tag == "span" and attrs.get("class") == "fact":
            self._fact = [attrs["data-fact"], ""]

    def handle_endtag(self, tag):
        if tag == "figure":
            self._widget = None
        elif tag == "span" and self._fact is not None:
            self.facts.append(tuple(self._fact))
            self._fact = None

    def handle_data(self, data):
        if self._fact is not None:
            self._fact[1] += data


@pytest.fixture(scope="module")
def pages(built_site) -> dict[str, Page]:
    return {slug: Page((built_site / slug / "index.html").read_text(encoding="utf-8")) for slug in SLUGS}


def facts_of(slug: str) -> dict[str, object]:
    """'run.fact' -> value, for every fact every run of the lesson recorded."""
    return {f"{run}.{key}": value for run, record in session_records(slug).items()
            for key, value in record["facts"].items()}


# --------------------------------------------------------------------------- numbers
NUMBER = re.compile(r"(?<![\w.,])-?\d+(?:,\d{3})*(?:\.\d+)?%?(?![\w.%]|,\d)")


def renderings(value: object) -> set[str]:
    """The ways prose could type `value`, a share also as a percentage. Small integers (and
    zero, a float that rounds to one digit, as in "from 0 to 1", and a one-digit percentage)
    are words, not measurements."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return set()
    if isinstance(value, int) or float(value).is_integer():
        return {str(int(value)), f"{int(value):,}"} if abs(value) >= 10 else set()
    out = {f"{value:.{d}f}" for d in (1, 2, 3, 4)} | {f"{value:.{d}g}" for d in (2, 3)}
    if 0 < abs(value) <= 1:  # a share typed as a percentage ("92%" for 0.9213)
        out |= {f"{100 * value:.{d}f}%" for d in (0, 1)}
    return {s for s in out if not re.fullmatch(r"-?0\.0*%?|-?\d%?", s)}


def typed_numbers(body: str) -> set[str]:
    """Numbers typed in the prose: not filled in from records, not in formulas, embeds or notes."""
    prose = re.sub(r"\[\[[^\]]+\]\]", " ", body)
    prose = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", " ", prose, flags=re.S)
    prose = re.sub(r"<!--.*?-->", " ", prose, flags=re.S)
    prose = "\n".join(line for line in prose.split("\n") if not line.startswith(":::"))
    return set(NUMBER.findall(prose))


def test_the_typed_number_check_finds_a_typed_fact():
    assert typed_numbers("It ends at 0.1234 after 1,200 steps ([[run.x:.2f]]), $x = 3.5$, in 12 s, "
                         "92% right.") == {"0.1234", "1,200", "12", "92%"}
    assert "0.123" in renderings(0.12345) and "1,200" in renderings(1200) and renderings(3) == set()
    assert "92%" in renderings(0.9213) and "92.1%" in renderings(0.9213)


@pytest.mark.parametrize("slug", SLUGS)
def test_prose_types_no_number_a_record_holds(built_site, slug):
    """README: "for each lesson, a test fails when its prose types a number a record holds"."""
    literals = typed_numbers(lesson_of(slug).body)
    clashes = {lit: name for name, value in facts_of(slug).items() for lit in literals if lit in renderings(value)}
    assert clashes == {}, f"content/{slug}/lesson.md: write these as [[run.fact]]: {clashes}"


@pytest.mark.parametrize("slug", SLUGS)
def test_every_fact_is_filled_from_its_record(pages, slug):
    """Every [[run.fact]] the prose names was recorded, and the page shows that number."""
    from generator.markdown_ext import FACT

    facts = facts_of(slug)
    named = {f"{m['run']}.{m['fact']}" for m in re.finditer(FACT, lesson_of(slug).body)}
    assert sorted(n for n in named if facts.get(n) is None) == []
    shown = pages[slug].facts
    assert {name for name, _ in shown} == named, "a fact the prose names is missing from the page"
    for name, text in shown:
        value = facts[name]
        if isinstance(value, str):
            assert text == value, name
            continue
        assert shows(text, value), f"{name} shows {text}, recorded {value}"


def shows(text: str, value: float) -> bool:
    """True if `text` is `value` rounded to the digits it shows (1,234 / 0.12 / 1.2e-05 / 12%)."""
    number = text.replace(",", "")
    scale = 100 if number.endswith("%") else 1
    m = re.fullmatch(r"-?\d+(?:\.(\d+))?(?:e([+-]?\d+))?", number.rstrip("%"))
    assert m, f"{text!r} is not a number"
    decimals = len(m[1] or "") - int(m[2] or 0)
    return abs(float(number.rstrip("%")) - value * scale) <= 0.5 * 10.0 ** -decimals * (1 + 1e-9)


def test_a_shown_number_must_be_the_recorded_one_rounded():
    assert shows("0.1", 0.117) and shows("1,200", 1200.4) and shows("1.2e-05", 1.24e-5) and shows("12%", 0.1249)
    assert not shows("0.2", 0.117) and not shows("1,201", 1200) and not shows("1.3e-05", 1.24e-5)


# --------------------------------------------------------------------------- code
@pytest.mark.parametrize("slug", SLUGS)
def test_code_shown_is_code_that_runs(slug):
    """No code is typed into the prose: each block is a region of a file the build runs (the
    lesson's experiments.py, a module it imports, the generator) or one of its tests runs."""
    from generator.snippets import read_region
    from generator.sources import local_imports

    lesson = lesson_of(slug)
    assert "```" not in lesson.body and "~~~" not in lesson.body, "write code in a file and embed it with ::: code"
    experiments = lesson.folder / "experiments.py"
    ran = {experiments, *local_imports(experiments, lesson.folder)} if experiments.is_file() else set()
    tests = " ".join(p.read_text(encoding="utf-8") for p in (lesson.folder / "tests").glob("*.py"))
    for embed in (e for e in lesson.embeds if e.kind == "code"):
        path = (ROOT / embed.name).resolve()
        assert path in ran or path.parent == ROOT / "generator" or path.name in tests, \
            f"{embed.name} is shown but nothing runs it"
        assert read_region(path, embed.args.get("region")).strip(), f"{embed.name}: an empty region"


# --------------------------------------------------------------------------- widgets and videos
@pytest.mark.parametrize("slug", SLUGS)
def test_every_widget_has_a_fallback_figure_in_both_themes_and_alt_text(built_site, pages, slug):
    embedded = [e.name for e in lesson_of(slug).embeds if e.kind == "widget"]
    assert [w["name"] for w in pages[slug].widgets] == embedded
    for widget in pages[slug].widgets:
        for theme in SCHEMES:
            image = built_site / slug / widget.get(theme, "")
            assert image.is_file() and image.stat().st_size > 1000, f"{widget['name']}: no {theme} figure"
        assert len(widget["alt"]) > 30, f"{widget['name']}: its alt text says too little: {widget['alt']!r}"


@pytest.mark.browser
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("slug", SLUGS)
def test_every_widget_mounts_without_a_console_error(page, server, slug, scheme):
    names = sorted({e.name for e in lesson_of(slug).embeds if e.kind == "widget"})
    tab, watch = page
    tab.emulate_media(color_scheme=scheme)
    tab.goto(server.url(f"{slug}/index.html"))
    for name in names:
        mounted(tab, f"figure[data-widget='{name}']")
    assert tab.evaluate("document.documentElement.dataset.theme") == scheme
    assert watch.errors == [] and watch.foreign_requests() == []


@pytest.mark.parametrize("slug", SLUGS)
def test_every_video_has_both_themes_captions_chapters_and_a_poster(built_site, pages, slug):
    embedded = [e.name for e in lesson_of(slug).embeds if e.kind == "video"]
    assert len(pages[slug].videos) == len(embedded)
    for video in pages[slug].videos:
        for theme in SCHEMES:
            files = {kind: built_site / slug / video[f"data-{kind}-{theme}"] for kind in ("src", "poster", "captions")}
            files["chapters"] = files["captions"].with_suffix(".chapters.vtt")
            for kind, path in files.items():
                assert path.is_file() and path.stat().st_size > 0, f"{video['aria-label']}: no {theme} {kind}"
            for kind in ("captions", "chapters"):
                text = files[kind].read_text(encoding="utf-8")
                assert text.startswith("WEBVTT") and " --> " in text, f"{files[kind].name}: no cue"
            assert_web_ready_on_the_theme_background(files["src"], theme)
        captions = [built_site / slug / video[f"data-captions-{theme}"] for theme in SCHEMES]
        assert captions[0].read_text(encoding="utf-8") == captions[1].read_text(encoding="utf-8")


def assert_web_ready_on_the_theme_background(video: Path, theme: str) -> None:
    """H.264 in yuv420p that starts playing before it has all loaded, its corners the theme's
    background at the start and the end."""
    from generator.render import faststart, probe
    from generator.theme import manim_colors
    from tests.test_render import close, frame_pixels, hex_rgb

    info = probe(video)
    assert (info["codec"], info["pix_fmt"]) == ("h264", "yuv420p") and faststart(video), video.name
    background, (w, h) = hex_rgb(manim_colors(theme)["background"]), (info["width"], info["height"])
    for at in (0.5, info["duration"] - 0.5):
        pixels = frame_pixels(video, at)
        for x, y in [(2, 2), (w - 3, 2), (2, h - 3), (w - 3, h - 3)]:
            offset = (y * w + x) * 3
            assert close(tuple(pixels[offset:offset + 3]), background), f"{video.name}: corner {x},{y} at {at}s"


# --------------------------------------------------------------------------- links and citations
@pytest.mark.parametrize("slug", SLUGS)
def test_links_and_citations_resolve(built_site, pages, slug):
    """Every file the page links or loads exists; every #anchor (citations included) is an id."""
    page, folder = pages[slug], built_site / slug
    problems = []
    for tag, attr, value in page.refs:
        for raw in ([u.split()[0] for u in value.split(",")] if attr == "srcset" else [value]):
            parts = urlsplit(raw)
            if parts.scheme or parts.netloc:
                continue  # a link to a reference elsewhere: loading from elsewhere is test_quality's
            path, fragment = urldefrag(unquote(raw))
            target = (folder / path).resolve() if path else folder / "index.html"
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"<{tag} {attr}={raw!r}> names no file")
            elif fragment and target == folder / "index.html" and fragment not in page.ids:
                problems.append(f"<{tag} {attr}={raw!r}> names no element of the page")
    references = lesson_of(slug).meta.get("references") or []
    cited = re.findall(r"\[@([\w:-]+)", lesson_of(slug).body)
    assert set(cited) <= {r.get("key") for r in references}, "a citation names no reference"
    assert problems == []


# --------------------------------------------------------------------------- validity and accessibility
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
# (system theme, click the toggle?) -> the theme the page must show
THEME_CASES = [("light", False, "light"), ("dark", False, "dark"), ("light", True, "dark"), ("dark", True, "light")]


def axe_failures(context, url: str, name: str) -> list[str]:
    """Axe's WCAG 2.1 AA violations, requests to other origins and console errors of one page,
    in both themes, reached from the system setting and from the toggle."""
    from axe_playwright_python.sync_playwright import Axe

    failures = []
    for scheme, toggle, expected in THEME_CASES:
        tab = context.new_page()
        watch = PageWatch(tab)
        try:
            tab.emulate_media(color_scheme=scheme)
            tab.goto(url, wait_until="networkidle")
            if toggle:
                tab.click("#theme-toggle")
                tab.wait_for_timeout(100)  # charts redraw on the theme event
            shown = tab.evaluate("document.documentElement.dataset.theme")
            assert shown == expected, f"{name}: system {scheme}, toggle {toggle}: page shows {shown}"
            case = f"{name} [{expected}{', toggled' if toggle else ''}]"
            for violation in Axe().run(tab, options=AXE_OPTIONS).response["violations"]:
                nodes = "; ".join(n["target"][0] if n["target"] else "?" for n in violation["nodes"][:4])
                failures.append(f"{case}: {violation['id']} ({violation['help']}): {nodes}")
            failures += [f"{case}: requested {u}" for u in watch.foreign_requests()]
            failures += [f"{case}: console error {e}" for e in watch.errors if not name.startswith("404")]
        finally:
            tab.evaluate("localStorage.removeItem('theme')")  # leave no choice behind for other tests
            tab.close()
    return failures


@pytest.mark.browser
@pytest.mark.parametrize("slug", SLUGS)
def test_page_passes_axe_in_both_themes(server, browser_context, slug):
    failures = axe_failures(browser_context, server.url(f"{slug}/"), f"{slug}/index.html")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("slug", SLUGS)
def test_page_passes_the_nu_checker(nu_messages, built_site, slug):
    folder = (built_site / slug).resolve()
    mine = [m for path, m in nu_messages if folder in path.parents]
    assert mine == [], "\n".join(mine)


# --------------------------------------------------------------------------- a new lesson
# The checks above, by name: test_cli_commands runs each on a lesson `generator new` makes.
COMMON_CHECKS = sorted(name for name, f in dict(globals()).items()
                       if name.startswith("test_") and "slug" in f.__code__.co_varnames[:f.__code__.co_argcount])
