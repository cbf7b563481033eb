"""Screenshots of every page of a built site at 1280 and 390 px wide, in both themes.

    .venv/bin/python tests/screenshots.py [SITE] [OUT]    # default build/site -> build/screenshots

`make bench` calls `take_screenshots`. Each page is shot one screen at a time while
scrolling down, as a reader sees it (a long lesson as one tall image is too small to read,
and sticky controls only behave as on a real screen when the page scrolls), named
<page>-<width>-<theme>-<part>.png. Widgets and videos are given time to draw first.

Every video is also shot at 390 px in both themes, paused with its controls showing at each
of its caption cues, with the caption line under it as the page draws it:
video-<scene>-390-<theme>-<nn>.png. Each is taken two thirds into its cue: what the caption
talks about has been drawn (it appears as the cue starts), and the fades that end a part of a
scene, late in a cue, have not begun.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.plugin import CHROMIUM, CHROMIUM_ARGS, SiteServer  # noqa: E402
from tests.helpers import poll  # noqa: E402

VIEWPORTS = {1280: 800, 390: 844}
THEMES = ("light", "dark")


def page_names(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if "pagefind" not in p.parts)


def take_screenshots(site: Path, out: Path, pages: list[str] | None = None) -> list[Path]:
    from playwright.sync_api import sync_playwright

    site = site.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    server = SiteServer(site, "/")
    written = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for width, height in VIEWPORTS.items():
                for theme in THEMES:
                    context = browser.new_context(viewport={"width": width, "height": height},
                                                  color_scheme=theme, device_scale_factor=1)
                    tab = context.new_page()
                    for rel in pages or page_names(site):
                        tab.goto(server.url(rel), wait_until="networkidle")
                        # Scroll down as a reader would, so lazy posters and figures load.
                        for y in range(0, tab.evaluate("document.body.scrollHeight"), height):
                            tab.evaluate(f"window.scrollTo(0, {y})")
                            tab.wait_for_timeout(20)
                        tab.evaluate("window.scrollTo(0, 0)")
                        tab.wait_for_load_state("networkidle")
                        tab.wait_for_timeout(400)  # widgets draw after their data arrives
                        stem = rel.replace("/index.html", "").replace(".html", "").replace("/", "_")
                        total = tab.evaluate("document.documentElement.scrollHeight")
                        for part, top in enumerate(range(0, total, height), 1):
                            tab.evaluate(f"window.scrollTo(0, {top})")
                            tab.wait_for_timeout(60)
                            path = out / f"{stem}-{width}-{theme}-{part:02d}.png"
                            path.write_bytes(tab.screenshot())
                            written.append(path)
                        if width == min(VIEWPORTS):
                            written += video_frames(tab, out, theme)
                    context.close()
            browser.close()
    finally:
        server.close()
    return written


def video_frames(tab, out: Path, theme: str) -> list[Path]:
    """Each video of the open page, paused in each of its cues, with the pointer over it so
    the controls show, as a reader on a phone sees it."""
    written = []
    for index in range(tab.locator("figure.video video.video-live").count()):
        figure = tab.locator("figure.video").nth(index)
        video = figure.locator("video.video-live")
        scene = figure.get_attribute("data-video")
        figure.scroll_into_view_if_needed()
        video.evaluate("v => { v.preload = 'auto'; v.load(); }")
        poll(tab, "v => v.readyState >= 2 && v.textTracks[0] && v.textTracks[0].cues "
                              "&& v.textTracks[0].cues.length > 0", video.element_handle(), timeout_ms=60_000)
        # The whole file, so that no shot catches the player's loading spinner.
        poll(tab, "v => v.buffered.length > 0 && v.buffered.end(v.buffered.length - 1) >= v.duration - 0.1",
             video.element_handle(), timeout_ms=60_000)
        moments = video.evaluate("v => [...v.textTracks[0].cues].map(c => c.startTime + 0.65 * (c.endTime - c.startTime))")
        for n, time in enumerate(moments, 1):
            video.evaluate("(v, t) => new Promise(done => { v.pause(); v.addEventListener('seeked', done, "
                           "{ once: true }); v.currentTime = t; })", time)
            poll(tab, "v => !v.seeking && v.readyState >= 2", video.element_handle())
            video.hover()
            tab.wait_for_timeout(300)  # the controls fade in
            path = out / f"video-{scene}-{tab.viewport_size['width']}-{theme}-{n:02d}.png"
            path.write_bytes(still_shot(tab, figure))
            written.append(path)
    return written


def still_shot(tab, element, tries: int = 40) -> bytes:
    """A screenshot once two in a row are alike: the controls fade in, and the player may
    still draw its loading spinner for a moment after a seek."""
    previous = element.screenshot()
    for _ in range(tries):
        tab.wait_for_timeout(100)
        shot = element.screenshot()
        if shot == previous:
            return shot
        previous = shot
    return previous


if __name__ == "__main__":
    site = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "site"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "build" / "screenshots"
    print(f"wrote {len(take_screenshots(site, out))} screenshots into {out}")
