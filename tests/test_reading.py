"""A lesson as a reader sees it in Chromium, at a desktop and a phone width: typography,
code blocks, the theme switch, videos, search, print, and the page's weight.

Each test looks for a defect a reader would see (a copy button over code, a theme switch
that does not say which theme is on, a light caption file fetched on a dark page...).
"""
from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import poll
from tests.plugin import CONTENT, ROOT, SITE_URL, PageWatch, lesson_slugs, wait_until

pytestmark = pytest.mark.browser


def richest_lesson() -> tuple[str, str]:
    """(slug, title) of the first lesson with all a reader reads here: code, a video, a
    citation and a margin note (chosen by what it holds, so no lesson is named)."""
    from generator.lessons import load_lesson

    for slug in lesson_slugs():
        lesson = load_lesson(CONTENT / slug, ROOT)
        kinds = {e.kind for e in lesson.embeds}
        if {"code", "video"} <= kinds and "[@" in lesson.body and "[^" in lesson.body:
            return slug, lesson.meta["title"]
    raise AssertionError("no lesson has code, a video, a citation and a margin note to read")


SLUG, TITLE = richest_lesson()
WIDTHS = {"desktop": 1280, "phone": 390}
PAGE_BUDGET_GZIP = 150_000  # bytes a lesson page loads, videos and fonts aside


@pytest.fixture
def open_lesson(browser, server):
    """open_lesson(width, scheme="light", javascript=True) -> (tab, watch)."""
    contexts = []

    def opener(width: int, scheme: str = "light", javascript: bool = True, path: str = f"{SLUG}/"):
        context = browser.new_context(viewport={"width": width, "height": 844}, color_scheme=scheme,
                                      java_script_enabled=javascript)
        contexts.append(context)
        tab = context.new_page()
        watch = PageWatch(tab)
        tab.goto(server.url(path), wait_until="networkidle")
        return tab, watch

    yield opener
    for context in contexts:
        context.close()


def scroll_through(tab) -> None:
    """Scroll to the bottom a screen at a time, so lazy files load as a reader's would."""
    height = tab.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height, 600):
        tab.evaluate(f"window.scrollTo(0, {y})")
        tab.wait_for_timeout(30)
    tab.wait_for_load_state("networkidle")


# --------------------------------------------------------------------------- code
@pytest.mark.parametrize("width", WIDTHS.values())
def test_copy_buttons_never_cover_code(open_lesson, width):
    tab, _ = open_lesson(width)
    overlaps = tab.evaluate("""() => [...document.querySelectorAll('.highlight')].map((block, i) => {
        const figure = block.closest('figure.code-snippet');
        const button = (figure || block).querySelector('.copy-button');
        if (!button) return `block ${i} has no copy button`;
        const b = button.getBoundingClientRect();
        for (const line of block.querySelectorAll('pre code')) {
          for (const r of line.getClientRects()) {
            if (b.left < r.right && r.left < b.right && b.top < r.bottom && r.top < b.bottom) return `block ${i}`;
          }
        }
        return null;
    }).filter(Boolean)""")
    assert tab.locator(".highlight").count() >= 5
    assert overlaps == [], f"copy buttons over code at {width} px: {overlaps}"


def test_code_comments_stay_in_sight_on_a_phone(open_lesson):
    tab, _ = open_lesson(WIDTHS["phone"])
    hidden = tab.evaluate("""() => {
        const out = [];
        for (const pre of document.querySelectorAll('.highlight pre')) {
          const box = pre.getBoundingClientRect();
          if (pre.scrollWidth > pre.clientWidth) out.push('a block scrolls sideways');
          for (const c of pre.querySelectorAll('.c1, .c')) {
            for (const r of c.getClientRects()) if (r.right > box.right + 0.5) out.push(c.textContent);
          }
        }
        return out;
    }""")
    assert tab.locator(".highlight pre .c1").count() > 10
    assert hidden == []


def test_copied_code_keeps_its_spacing(open_lesson):
    """Phones hide the spaces that align comments; the copied text must still have them."""
    tab, _ = open_lesson(WIDTHS["phone"])
    copied = tab.evaluate("document.querySelector('.highlight pre').textContent")
    shown = tab.evaluate("document.querySelector('.highlight pre').innerText")
    assert re.search(r"\S {2,}#", copied) and copied != shown


# --------------------------------------------------------------------------- theme switch
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_theme_switch_fits_a_phone_and_shows_the_theme(open_lesson, scheme):
    tab, _ = open_lesson(WIDTHS["phone"], scheme)
    switch = tab.locator("#theme-toggle")
    box = switch.bounding_box()
    line = tab.evaluate("parseFloat(getComputedStyle(document.querySelector('#theme-toggle')).lineHeight)")
    assert box["height"] < 2 * line and box["x"] + box["width"] <= WIDTHS["phone"], "the switch wraps or overflows"
    header = tab.locator(".site-header").bounding_box()
    assert header["height"] < 64, "the header takes two lines on a phone"
    knob = lambda: tab.locator(".theme-knob").bounding_box()["x"]  # noqa: E731
    before = knob()
    assert switch.get_attribute("aria-pressed") == str(scheme == "dark").lower()
    switch.click()
    tab.wait_for_timeout(300)  # the knob slides
    assert switch.get_attribute("aria-pressed") == str(scheme != "dark").lower()
    assert tab.evaluate("document.documentElement.dataset.theme") == ("light" if scheme == "dark" else "dark")
    assert (knob() > before) == (scheme == "light"), "the knob does not move to the theme that is on"


# --------------------------------------------------------------------------- typography
@pytest.mark.parametrize("width", WIDTHS.values())
def test_display_equations_fit_and_are_not_tab_stops(open_lesson, width):
    tab, _ = open_lesson(width)
    sizes = tab.evaluate("""() => [...document.querySelectorAll('.math-display')].map(d =>
        [d.scrollWidth - d.clientWidth, d.scrollHeight - d.clientHeight])""")
    assert len(sizes) >= 4 and all(dx <= 0 and dy <= 0 for dx, dy in sizes), sizes
    stops = []
    for _ in range(60):
        tab.keyboard.press("Tab")
        stops.append(tab.evaluate("document.activeElement.className"))
    assert "math-display" not in stops


def test_text_face_and_math_font_are_used(open_lesson):
    tab, watch = open_lesson(WIDTHS["desktop"])
    assert tab.evaluate("document.fonts.check('1rem Charis') && document.fonts.check('1rem \"Latin Modern Math\"')")
    fonts = {u.rsplit("/", 1)[1] for u in watch.requests if u.endswith(".woff2")}
    assert {"text-regular.woff2", "math.woff2"} <= fonts


def test_reference_urls_break_only_between_words(open_lesson):
    tab, _ = open_lesson(WIDTHS["phone"])
    broken = tab.evaluate("""() => {
        const out = [];
        for (const a of document.querySelectorAll('.ref-url')) {
          for (const node of a.childNodes) {
            if (node.nodeType !== Node.TEXT_NODE) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            if (lines.size > 1) out.push(node.textContent);
          }
        }
        return out;
    }""")
    assert tab.locator(".ref-url wbr").count() > 4
    assert broken == []


def test_no_empty_divider_closes_the_lesson(open_lesson):
    tab, _ = open_lesson(WIDTHS["desktop"])
    empty = tab.evaluate("""() => [...document.querySelectorAll('.lesson *')].filter(e => {
        const s = getComputedStyle(e);
        const ruled = parseFloat(s.borderTopWidth) > 0 || e.tagName === 'HR';
        return ruled && e.textContent.trim() === '' && e.getBoundingClientRect().height < 30 && !e.closest('.widget, .video, .theme-toggle');
    }).map(e => e.className || e.tagName)""")
    assert empty == []


def test_margin_notes_sit_in_the_margin_on_desktop_and_inline_on_a_phone(open_lesson):
    tab, _ = open_lesson(WIDTHS["desktop"])
    note = tab.locator(".sidenote").first
    text_right = tab.evaluate("document.querySelector('.lesson-body > p').getBoundingClientRect().right")
    assert note.bounding_box()["x"] >= text_right, "the note is not in the margin"
    assert tab.locator(".footnote").count() == 0, "the end-of-page footnote list is still there"
    tab, _ = open_lesson(WIDTHS["phone"])
    box = tab.locator(".sidenote").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS["phone"]


def test_citations_link_to_their_references(open_lesson):
    tab, _ = open_lesson(WIDTHS["desktop"])
    links = tab.eval_on_selector_all(".citation a", "as => as.map(a => [a.getAttribute('href'), a.textContent])")
    assert len(links) >= 3
    for href, number in links:
        target = tab.locator(f"ol.references > li{href}")
        assert target.count() == 1, href
        index = tab.evaluate(f"[...document.querySelectorAll('ol.references > li')].indexOf(document.querySelector('{href}'))")
        assert index + 1 == int(number), f"{href} is reference {index + 1}, cited as {number}"


# --------------------------------------------------------------------------- videos
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_only_the_current_themes_video_files_are_fetched(open_lesson, scheme):
    tab, watch = open_lesson(WIDTHS["desktop"], scheme)
    scroll_through(tab)
    tab.locator("video.video-live").first.evaluate("v => v.play().catch(() => {})")
    tab.wait_for_timeout(500)
    other = "dark" if scheme == "light" else "light"
    fetched = [u.rsplit("/", 1)[1] for u in watch.requests if "/video/" in u]
    assert any(f.endswith(f"-{scheme}.webp") for f in fetched) and any(f.endswith(f"-{scheme}.vtt") for f in fetched)
    assert any(f.endswith(f"-{scheme}.mp4") for f in fetched)
    assert [f for f in fetched if f"-{other}." in f] == []


def test_videos_far_below_the_first_screen_are_given_their_files_as_they_near_it(open_lesson):
    """A player given its source at load has the browser build its controls during the page's
    first seconds; a film far down the page gets its file, poster and captions on approach."""
    tab, _ = open_lesson(WIDTHS["phone"])
    players = tab.evaluate("""() => [...document.querySelectorAll('video.video-live')].map(v => ({
        top: v.getBoundingClientRect().top + scrollY, src: v.hasAttribute('src'), poster: v.hasAttribute('poster'),
        track: v.querySelector('track') !== null}))""")
    far = [i for i, p in enumerate(players) if p["top"] > 2 * 844 + 600]
    assert far, "no video lies far below the first screen"
    assert not [players[i] for i in far if players[i]["src"] or players[i]["poster"] or players[i]["track"]]
    video = tab.locator("video.video-live").nth(far[0])
    video.scroll_into_view_if_needed()
    poll(tab, "v => v.hasAttribute('src') && v.hasAttribute('poster') && v.querySelector('track') !== null",
         video.element_handle())


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_without_javascript_only_the_system_themes_files_are_fetched(open_lesson, scheme):
    """One player per video, its poster and film chosen by the system theme; nothing of the
    other theme is fetched, even scrolling the whole page."""
    tab, watch = open_lesson(WIDTHS["desktop"], scheme, javascript=False)
    scroll_through(tab)
    shown = tab.evaluate("""() => [...document.querySelectorAll('figure.video')].map(f => {
        const players = [...f.querySelectorAll('video')].filter(v => v.getBoundingClientRect().height > 0);
        const poster = f.querySelector('.video-static-poster');
        const over = players[0] && poster ? Math.abs(players[0].getBoundingClientRect().top - poster.getBoundingClientRect().top) : -1;
        return [players.length, poster ? poster.currentSrc : '', over];
    })""")
    assert len(shown) >= 3
    for players, poster, over in shown:
        assert players == 1 and poster.endswith(f"-{scheme}.webp") and over < 1, shown
    other = "dark" if scheme == "light" else "light"
    fetched = [u.rsplit("/", 1)[1] for u in watch.requests if "/video/" in u]
    assert fetched and [f for f in fetched if f"-{other}." in f] == [], fetched


def caption_state(tab, figure) -> dict:
    return figure.evaluate("""f => {
        const v = f.querySelector('video.video-live'), line = f.querySelector('.video-cue');
        const track = v.textTracks[0];
        const active = track ? [...(track.activeCues || [])].map(c => c.text).join(' ') : '';
        const vb = v.getBoundingClientRect(), lb = line.getBoundingClientRect();
        return {mode: track && track.mode, active, line: line.textContent, lineTop: lb.top, videoBottom: vb.bottom,
                fontSize: parseFloat(getComputedStyle(line).fontSize),
                bodySize: parseFloat(getComputedStyle(document.querySelector('.lesson-body p')).fontSize)};
    }""")


def settled_shot(tab, box, tries: int = 40):
    """A screenshot of `box` once nothing in it moves: two shots in a row alike (the native
    controls fade in and out, slower on a loaded machine)."""
    import io

    from PIL import Image, ImageChops

    previous = None
    for _ in range(tries):
        shot = Image.open(io.BytesIO(tab.screenshot(clip=box))).convert("RGB")
        if previous is not None and ImageChops.difference(shot, previous).getbbox() is None:
            return shot
        previous = shot
        tab.wait_for_timeout(100)
    raise AssertionError("the video box never stopped changing")


@pytest.mark.parametrize("width", WIDTHS.values())
def test_captions_are_drawn_under_the_video_never_over_it(open_lesson, width):
    """Paused with the controls showing (where Chromium lifts its own caption box into the
    frame), the video box holds no caption pixel: it looks the same with captions on and off,
    and the caption of the moment is in the line under the video, at the page's type size."""
    from PIL import ImageChops

    tab, _ = open_lesson(width)
    figure = tab.locator("figure.video").first
    video = figure.locator("video.video-live")
    figure.scroll_into_view_if_needed()
    video.evaluate("v => { v.preload = 'auto'; v.load(); }")
    poll(tab, "v => v.readyState >= 2 && v.textTracks[0] && v.textTracks[0].cues && "
                          "v.textTracks[0].cues.length > 1", video.element_handle(), timeout_ms=60_000)
    middle = video.evaluate("v => { const c = v.textTracks[0].cues[1]; return (c.startTime + c.endTime) / 2; }")
    video.evaluate("(v, t) => new Promise(done => { v.pause(); v.addEventListener('seeked', done, {once: true}); "
                   "v.currentTime = t; })", middle)
    video.hover()
    poll(tab, "f => f.querySelector('.video-cue').textContent.length > 0", figure.element_handle())
    state = caption_state(tab, figure)
    assert state["mode"] == "hidden", f"the browser draws the track itself: {state}"
    assert state["line"] == state["active"] and state["line"], state
    assert state["lineTop"] >= state["videoBottom"] - 0.5, "the caption line overlaps the video"
    assert state["fontSize"] >= 0.85 * state["bodySize"], state
    box = video.bounding_box()
    with_captions = settled_shot(tab, box)  # once the controls have faded in
    # The reader turns captions off (the native menu sets the track to "disabled").
    video.evaluate("v => { v.textTracks[0].mode = 'disabled'; }")
    poll(tab, "f => f.querySelector('.video-cue').textContent === ''", figure.element_handle())
    video.hover()
    without = settled_shot(tab, box)
    differ = ImageChops.difference(with_captions, without).convert("L").point(lambda v: 255 if v > 40 else 0)
    assert differ.getbbox() is None, f"caption pixels inside the video box at {differ.getbbox()}"
    # And the captions button turns them back on, in the line, not in the frame.
    video.evaluate("v => { v.textTracks[0].mode = 'showing'; }")
    poll(tab, "f => f.querySelector('.video-cue').textContent.length > 0", figure.element_handle())
    assert caption_state(tab, figure)["mode"] == "hidden"


def test_chapters_seek_and_transcript_is_under_the_video(open_lesson):
    tab, _ = open_lesson(WIDTHS["desktop"])
    figure = tab.locator("figure.video", has=tab.locator(".video-chapters")).first
    figure.scroll_into_view_if_needed()
    chapters = figure.locator(".video-chapters a")
    assert chapters.count() >= 3
    start = float(chapters.nth(2).get_attribute("data-start"))
    assert start > 0
    chapters.nth(2).click()
    tab.wait_for_timeout(800)
    now = figure.locator("video.video-live").evaluate("v => v.currentTime")
    assert start - 0.05 <= now < start + 1.5, f"chapter at {start}s, video at {now}s"
    transcript = figure.locator(".video-transcript p")
    assert transcript.count() >= 3
    captions = figure.locator("video.video-live track").evaluate("t => t.src")
    assert captions.endswith("-light.vtt")


def test_playback_speed_buttons_set_the_rate(open_lesson):
    tab, _ = open_lesson(WIDTHS["phone"])
    figure = tab.locator("figure.video").first
    figure.scroll_into_view_if_needed()
    figure.locator(".video-speed button[data-rate='1.5']").click()
    assert figure.locator("video.video-live").evaluate("v => v.playbackRate") == 1.5
    assert figure.locator(".video-speed button[aria-pressed='true']").get_attribute("data-rate") == "1.5"


def smallest_text_em() -> float:
    """MIN_TEXT_EM of scenes/common.py: every scene's smallest em, as a share of the frame's
    height (ThemedScene fails a render that draws text smaller: tests/test_render.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("scene_common", ROOT / "scenes" / "common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MIN_TEXT_EM


# Smallest in-frame em a phone reader gets, in CSS px (the page's body text is 16): 1/20 of
# the frame's height where the film runs the full 390 px, less its 1-px top and bottom borders.
PHONE_TEXT_PX = 10.8


def test_in_frame_text_reads_on_a_phone(open_lesson, built_site):
    """At 390 px every video of every lesson is drawn tall enough that the smallest text a
    scene may draw is at least PHONE_TEXT_PX per em."""
    em = smallest_text_em()
    heights = {}
    for slug in lesson_slugs():
        if not (built_site / slug / "index.html").is_file():
            continue
        tab, _ = open_lesson(WIDTHS["phone"], path=f"{slug}/")
        for video in tab.locator("figure.video video.video-live").all():
            # The frame as drawn: the content box, letterboxed to 16:9 inside it.
            heights[f"{slug} {video.get_attribute('aria-label')}"] = video.evaluate(
                "v => Math.min(v.clientHeight, v.clientWidth * 9 / 16)")
    assert len(heights) >= 3, heights
    small = {name: round(h * em, 1) for name, h in heights.items() if h * em < PHONE_TEXT_PX}
    assert not small, f"in-frame text below {PHONE_TEXT_PX} px per em at 390 px: {small}"


def test_play_full_screen_on_a_phone_turns_the_video_sideways(open_lesson):
    """On a narrow upright screen a video offers "Play full screen": it fills the screen, asks
    for landscape (where the browser allows it) and plays. A desktop does not offer it."""
    tab, _ = open_lesson(WIDTHS["phone"])
    figure = tab.locator("figure.video").first
    figure.scroll_into_view_if_needed()
    button = figure.locator(".video-fullscreen")
    assert button.is_visible()
    # Headless Chromium refuses an orientation lock; record what the page asks for instead.
    tab.evaluate("""() => { window.lockedTo = [];
        Object.defineProperty(screen.orientation, 'lock', { value: (o) => { window.lockedTo.push(o);
                                                                           return Promise.resolve(); } }); }""")
    button.click()
    poll(tab, "f => document.fullscreenElement === f.querySelector('video.video-live')", figure.element_handle())
    poll(tab, "f => !f.querySelector('video.video-live').paused", figure.element_handle(), timeout_ms=30_000)
    assert tab.evaluate("window.lockedTo") == ["landscape"]
    tab.evaluate("document.exitFullscreen()")
    wait_until(lambda: tab.evaluate("document.fullscreenElement === null"))

    desktop, _ = open_lesson(WIDTHS["desktop"])
    assert not desktop.locator("figure.video .video-fullscreen").first.is_visible()


# --------------------------------------------------------------------------- the series
def test_search_finds_a_lesson_offline_under_the_csp(open_lesson):
    tab, watch = open_lesson(WIDTHS["phone"], path="search.html")
    tab.fill("#search-input", max(re.findall(r"[a-z]+", TITLE.lower()), key=len))
    tab.wait_for_selector(".search-results li a")
    hrefs = tab.eval_on_selector_all(".search-results a", "as => as.map(a => a.getAttribute('href'))")
    assert any(href.split("#")[0].rstrip("/").endswith(f"/repo/{SLUG}") for href in hrefs), hrefs
    assert tab.locator(".search-results mark").count() >= 1
    tab.fill("#search-input", "photosynthesis")
    # Up to 20 s: on a loaded machine Pagefind's debounced answer can take several seconds.
    for _ in range(200):  # wait_for_function would need eval, which the CSP forbids
        if tab.locator(".search-results li").count() == 0 and "No lesson" in tab.inner_text(".search-status"):
            break
        tab.wait_for_timeout(100)
    assert tab.locator(".search-results li").count() == 0
    assert "No lesson" in tab.inner_text(".search-status")
    assert watch.errors == [] and watch.foreign_requests() == []


def test_sitemap_feed_and_social_card(built_site):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "a": "http://www.w3.org/2005/Atom"}
    locs = [e.text for e in ET.parse(built_site / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
    lessons = sorted(p.parent.name for p in built_site.glob("[0-9][0-9]-*/index.html"))
    assert locs == [SITE_URL, *[f"{SITE_URL}{slug}/" for slug in lessons]]
    feed = ET.parse(built_site / "feed.xml").getroot()
    assert [e.find("a:id", ns).text for e in feed.findall("a:entry", ns)] == locs[1:]
    page = (built_site / SLUG / "index.html").read_text()
    card = re.search(r'<meta property="og:image" content="([^"]+)">', page)[1]
    assert card == f"{SITE_URL}{SLUG}/card.png" and 'name="twitter:card" content="summary_large_image"' in page
    from PIL import Image

    with Image.open(built_site / SLUG / "card.png") as image:
        assert image.size == (1200, 630)


def test_pager_links_neighbours_only_when_there_are_some(built_site):
    lessons = sorted(p.parent.name for p in built_site.glob("[0-9][0-9]-*/index.html"))
    for i, slug in enumerate(lessons):
        page = (built_site / slug / "index.html").read_text()
        assert ('rel="prev"' in page) == (i > 0) and ('rel="next"' in page) == (i + 1 < len(lessons))
        assert ('class="pager"' in page) == (len(lessons) > 1)


def test_print_shows_the_static_figures_not_the_canvases(open_lesson):
    tab, _ = open_lesson(WIDTHS["desktop"])
    tab.emulate_media(media="print")
    scroll_through(tab)  # the figures are lazy images: Chromium loads them all before it prints
    state = tab.evaluate("""() => [...document.querySelectorAll('figure.widget')].map(f => [
        getComputedStyle(f.querySelector('.widget-live')).display,
        getComputedStyle(f.querySelector('.widget-static')).display,
        f.querySelector('.widget-static img').naturalWidth > 0 && f.querySelector('.widget-static img').currentSrc])""")
    assert state and all(live == "none" and static != "none" for live, static, _ in state), state
    assert all(src.endswith("-light.png") for *_, src in state), f"print uses the light figures: {state}"


# --------------------------------------------------------------------------- budget
def test_lesson_page_weight_within_budget(open_lesson):
    """Everything the page loads on opening, videos and fonts aside, gzipped as a server would."""
    tab, _ = open_lesson(WIDTHS["phone"])
    responses = []
    tab.on("response", lambda response: responses.append(response))
    tab.reload(wait_until="networkidle")
    total = 0
    for response in responses:
        name = response.url.rsplit("/", 1)[1].split("?")[0]
        if name.endswith((".mp4", ".woff2")):
            continue
        body = response.body()
        total += len(body) if name.endswith((".png", ".webp")) else len(gzip.compress(body, mtime=0))
    assert 10_000 < total <= PAGE_BUDGET_GZIP, f"{total} bytes"


# --------------------------------------------------------------------------- build-time pieces
def test_subset_fonts_hold_every_character_the_pages_show(built_site):
    from fontTools.ttLib import TTFont

    from generator import fonts

    pages = [p.read_text(encoding="utf-8") for p in built_site.rglob("*.html") if "pagefind" not in p.parts]
    wanted = fonts.characters(pages)
    math_shown = set("".join(fonts.math_text(page) for page in pages))
    assert math_shown and math_shown <= wanted["math"]
    sources = {face.output: face.source for face in fonts.faces(ROOT / "templates")}
    for name, kind in [("text-regular.woff2", "text"), ("text-bold.woff2", "text"), ("math.woff2", "math")]:
        cmap = TTFont(str(built_site / "static" / "fonts" / name)).getBestCmap()
        has = TTFont(str(sources[name])).getBestCmap()  # what the full face could give
        dropped = sorted(c for c in wanted[kind] if ord(c) in has and ord(c) not in cmap)
        assert dropped == [], f"the subset {name} dropped {dropped}"
        assert len(cmap) < len(has) / 4, f"{name} is hardly subset"
    font = TTFont(str(built_site / "static" / "fonts" / "math.woff2"))
    assert "MATH" in font, "the math subset lost its MATH table"
    assert not (built_site / "static" / "fonts" / "latinmodern-math.woff2").exists(), "the full face is published"


def test_code_colours_are_written_once_per_theme():
    from generator import styles, theme

    css = styles.stylesheet(Path(__file__).resolve().parent.parent / "templates")
    rules = styles._code_rules()
    light_keyword = rules["k"]["light"]["color"]
    # Once as the light value, once more in the print block (which prints the light palette).
    assert css.count(light_keyword) == 2, css.count(light_keyword)
    assert css.count(theme.tokens("dark")["background"]) == 2  # system-dark fallback and chosen dark
    assert ".highlight .k," in css and "var(--code-" in css


def test_footnotes_become_margin_notes():
    from generator.markdown_ext import footnotes_to_sidenotes
    import markdown

    html = markdown.markdown("A claim[^a] and another[^b], and the first again[^a].\n\n"
                             "[^a]: First, *emphasised*.\n[^b]: Second.", extensions=["footnotes"])
    out = footnotes_to_sidenotes(html)
    assert 'class="footnote"' not in out and "<hr" not in out
    assert out.count('class="sidenote"') == 2 and out.count('class="sidenote-ref"') == 3
    assert re.search(r'<p>A claim<sup class="sidenote-ref"[^>]*>.*?</sup><span class="sidenote" id="sn-1" '
                     r'role="note"><span class="sidenote-number">1</span> First, <em>emphasised</em>\.</span>', out)


def test_urls_wrap_only_at_slashes_and_dots():
    from generator.pages import breakable_url

    out = str(breakable_url("https://jmlr.org/papers/v15/srivastava14a.html?x=1&y=2"))
    assert out.replace("<wbr>", "") == "https://jmlr.org/papers/v15/srivastava14a.html?x=1&amp;y=2"
    # Every break opportunity follows a slash or comes before a separator, never inside a word.
    assert out.count("<wbr>") >= 8
    assert all(m.group(1) == "/" or re.match(r"[.?#&=_-]", m.group(2))
               for m in re.finditer(r"(.)<wbr>(.)", out)), out


# --------------------------------------------------------------------------- reading, second pass
def test_header_says_what_the_lesson_needs_and_gives(open_lesson, built_site):
    """Prerequisites and the learn: list in the header, on the first screens of a phone; the
    end sections stay."""
    from generator.lessons import load_series

    series = load_series(ROOT / "content", ROOT)
    for lesson in series.lessons:
        tab, _ = open_lesson(WIDTHS["phone"], path=f"{lesson.slug}/")
        brief = tab.locator(".lesson-header .lesson-brief")
        assert brief.count() == 1, lesson.slug
        text = brief.inner_text()
        for item in [*lesson.meta.get("prerequisites", []), *lesson.meta.get("learn", [])]:
            assert item in text, f"{lesson.slug}: header lacks {item!r}"
        assert brief.bounding_box()["y"] < 844, f"{lesson.slug}: the header's needs are below the first screen"
        assert tab.locator("#prerequisites").count() == (1 if lesson.meta.get("prerequisites") else 0)


@pytest.mark.parametrize("width", WIDTHS.values())
def test_a_citation_shows_its_reference_on_focus_and_hover(open_lesson, width):
    tab, _ = open_lesson(width)
    links = tab.locator(".cite > a")
    assert links.count() >= 4
    for how in ("focus", "hover"):
        link = links.nth(1 if how == "focus" else 2)
        link.scroll_into_view_if_needed()
        getattr(link, how)()
        note = link.locator("xpath=following-sibling::span[contains(@class, 'cite-note')]")
        note.wait_for(state="visible")
        href = link.get_attribute("href")
        reference = tab.locator(f"ol.references > li{href}").inner_text()
        assert note.inner_text() and reference.startswith(note.inner_text()), (note.inner_text(), reference)
        box = note.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, f"the note runs off the screen: {box}"
        assert link.get_attribute("aria-describedby") == note.get_attribute("id")
        tab.mouse.move(0, 0)
        tab.evaluate("document.activeElement.blur()")


def test_every_reference_is_cited(built_site):
    """A citation number for every entry of every lesson's reference list (the build refuses
    an uncited one; this checks the published pages say so too)."""
    for slug in lesson_slugs():
        page = (built_site / slug / "index.html").read_text()
        ids = re.findall(r'<li id="ref-([\w:-]+)">', page)
        listed = len(re.findall(r"<ol class=\"references\">(.*?)</ol>", page, re.S)[0].split("<li")) - 1 \
            if 'class="references"' in page else 0
        assert len(ids) == listed, f"{slug}: a reference without a key"
        for key in ids:
            assert f'href="#ref-{key}"' in page, f"{slug}: reference {key} is never cited"


def test_display_maths_is_centred_and_fits_every_phone_page(open_lesson, built_site):
    tab, _ = open_lesson(WIDTHS["desktop"])
    offsets = tab.evaluate("""() => [...document.querySelectorAll('.math-display')].map(d => {
        const b = d.getBoundingClientRect(), m = d.querySelector('math').getBoundingClientRect();
        return Math.abs((m.left + m.right) / 2 - (b.left + b.right) / 2);
    })""")
    assert offsets and max(offsets) < 3, f"display maths off centre by {offsets}"
    for slug in lesson_slugs():
        tab, _ = open_lesson(WIDTHS["phone"], path=f"{slug}/")
        wide = tab.evaluate("""() => [...document.querySelectorAll('.math-display')]
            .filter(d => d.scrollWidth > d.clientWidth + 1).map(d => d.textContent.slice(0, 40))""")
        assert wide == [], f"{slug}: equations wider than a phone: {wide}"


def test_a_wide_equation_shows_a_fade_and_takes_the_keyboard(open_lesson):
    tab, _ = open_lesson(WIDTHS["phone"])
    box = tab.locator(".math-display").first
    assert box.get_attribute("tabindex") is None, "an equation that fits is a tab stop"
    box.evaluate("d => { d.style.width = '60px'; }")  # as a screen too narrow for it would
    poll(tab, "d => d.getAttribute('tabindex') === '0'", box.element_handle())
    assert "gradient" in box.evaluate("d => getComputedStyle(d).backgroundImage")
    box.focus()
    tab.keyboard.press("ArrowRight")
    tab.keyboard.press("ArrowRight")
    poll(tab, "d => d.scrollLeft > 0", box.element_handle())


def test_widgets_load_only_as_they_near_the_screen(open_lesson):
    tab, watch = open_lesson(WIDTHS["phone"])
    figures = tab.locator("figure[data-widget]")
    last = figures.nth(figures.count() - 1)
    data = last.get_attribute("data-src")
    assert not any(u.endswith(data) for u in watch.requests), "the last widget's data was fetched at load"
    assert last.get_attribute("data-ready") is None
    last.scroll_into_view_if_needed()
    poll(tab, "f => f.dataset.ready === 'true'", last.element_handle())
    assert any(u.endswith(data) for u in watch.requests)


def test_search_lands_on_the_section_with_a_prose_excerpt(open_lesson):
    tab, watch = open_lesson(WIDTHS["desktop"], path="search.html")
    tab.fill("#search-input", "gradient")
    tab.wait_for_selector(".search-results li a")
    tab.wait_for_timeout(600)  # the debounced answer settles
    links = tab.eval_on_selector_all(".search-results li > a",
                                     "as => as.map(a => [a.getAttribute('href'), a.textContent])")
    # A result whose best match is under a heading names that section and links to it; one
    # whose best match is above the first heading (the lesson's opening) links to the top.
    for href, text in links:
        assert ("›" in text) == ("#" in href), f"a result and its link disagree: {text!r} -> {href}"
    sections = [(href, text) for href, text in links if "#" in href]
    # Headings weigh more than body text: the best-ranked section is one whose heading says it.
    assert sections and "gradient" in sections[0][1].lower(), f"no gradient heading ranks first: {links}"
    excerpts = tab.eval_on_selector_all(".search-results p", "ps => ps.map(p => p.textContent)")
    assert excerpts and not any(re.search(r"\w#\s|def |import |\(\)", e) for e in excerpts), excerpts
    anchor = sections[0][0].split("#", 1)[1]
    tab.goto(tab.locator(f".search-results li > a[href='{sections[0][0]}']").first.evaluate("a => a.href"))
    assert tab.locator(f"[id='{anchor}']").count() == 1


def test_print_shows_video_posters_and_open_transcripts(open_lesson):
    tab, _ = open_lesson(WIDTHS["desktop"])
    tab.emulate_media(media="print")
    scroll_through(tab)
    state = tab.evaluate("""() => [...document.querySelectorAll('figure.video')].map(f => [
        f.querySelector('img.video-print').getBoundingClientRect().height,
        f.querySelector('img.video-print').currentSrc,
        f.querySelector('.video-transcript p').getBoundingClientRect().height,
        getComputedStyle(f.querySelector('video.video-live')).display])""")
    assert len(state) >= 3
    for poster_height, poster, transcript, player in state:
        assert poster_height > 100 and poster.endswith("-light.webp") and transcript > 0 and player == "none", state


def test_phone_without_javascript_gets_stacked_figures_and_no_instructions(open_lesson):
    tab, _ = open_lesson(WIDTHS["phone"], javascript=False)
    scroll_through(tab)
    figures = tab.evaluate("""() => [...document.querySelectorAll('figure.widget')].map(f => {
        const img = f.querySelector('.widget-static img');
        const caption = f.querySelector('figcaption');
        return [img.currentSrc, img.naturalWidth / img.naturalHeight, caption ? caption.innerText : ''];
    })""")
    assert figures
    for source, ratio, caption in figures:
        assert source.endswith("-light-narrow.png") and ratio < 1.5, figures
        assert not re.search(r"\b(drag|press|click|tap)", caption, re.I), f"an instruction with no control: {caption}"


def test_index_thumbnails_are_small_and_offer_sizes(built_site):
    page = (built_site / "index.html").read_text()
    images = re.findall(r'<img class="thumb" src="([^"]+)" srcset="([^"]+)"', page)
    assert images, "no thumbnail on the index"
    files = {url for _, srcset in images for url in re.findall(r"(\S+) \d+w", srcset)}
    files |= {url for srcset in re.findall(r'<source class="thumb-dark" srcset="([^"]+)"', page)
              for url in re.findall(r"(\S+) \d+w", srcset)}
    for url in files:
        size = (built_site / url).stat().st_size
        assert size <= 30 * 1024, f"{url} is {size} bytes"
    assert "video/" not in page.split("<main")[1], "the index still loads a full poster"


def test_every_video_with_chapters_lists_them(built_site):
    for slug in lesson_slugs():
        page = (built_site / slug / "index.html").read_text()
        for scene in re.findall(r'data-video="([^"]+)"', page):
            chapters = list((built_site / "video").glob(f"*{scene}*-light.chapters.vtt"))
            if chapters and chapters[0].read_text().count("-->") > 1:
                figure = page.split(f'data-video="{scene}"', 1)[1].split("</figure>", 1)[0]
                assert 'class="video-chapters"' in figure, f"{slug}: {scene} has chapters but lists none"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_index_thumbnail_follows_the_theme(page, server, scheme):
    """The lesson's thumbnail is its poster in the current theme, also after a toggle."""
    tab, watch = page
    tab.emulate_media(color_scheme=scheme)
    tab.goto(server.url("index.html"))
    thumb = tab.locator("img.thumb").first
    wait_until(lambda: thumb.evaluate("img => img.complete && img.naturalWidth > 0"))
    # A resized thumbnail of the poster (thumbs/<lesson>-<theme>-<width>.webp), not the poster.
    assert re.search(rf"/thumbs/\d+-{scheme}-\d+\.webp$", thumb.evaluate("img => img.currentSrc"))
    tab.click("#theme-toggle")
    other = "dark" if scheme == "light" else "light"
    wait_until(lambda: re.search(rf"-{other}-\d+\.webp$", thumb.evaluate("img => img.currentSrc")))
    assert watch.errors == []
