"""The overfit player in headless Chromium: what a reader sees and can do, both themes."""
from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.browser
LESSON = "01-why-the-weights-move/index.html"
PLAYER = "figure[data-widget='overfit-player']"


def open_lesson(tab, server, scheme="light"):
    tab.emulate_media(color_scheme=scheme)
    tab.goto(server.url(LESSON))
    tab.evaluate("localStorage.clear()")
    tab.reload()
    # Widgets mount as they near the viewport: bring this one there first.
    tab.locator(f"{PLAYER}").first.scroll_into_view_if_needed()
    tab.wait_for_selector(f"{PLAYER}[data-ready='true']")
    return tab.locator(PLAYER).first


def wait_until(condition, timeout=5.0):
    """Poll from Python: the page's CSP (rightly) forbids the eval behind wait_for_function."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def canvas_pixels(tab, selector):
    """The canvas as a data URL: changes whenever what is drawn changes."""
    return tab.eval_on_selector(selector, "c => c.toDataURL()")


def pixel(tab, selector, fx, fy):
    return tab.eval_on_selector(
        selector,
        f"c => Array.from(c.getContext('2d').getImageData(Math.floor(c.width*{fx}), Math.floor(c.height*{fy}), 1, 1).data)")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_slider_play_and_readout(page, server, built_site, scheme):
    tab, watch = page
    player = open_lesson(tab, server, scheme)
    assert tab.evaluate("document.documentElement.dataset.theme") == scheme
    data = json.loads((built_site / "01-why-the-weights-move" / "data" / "overfit-player--overfit.json").read_text())
    slider = player.locator("input[type=range]")
    fit = f"{PLAYER} .fit-canvas"

    # Dragging the slider to the start redraws the curve and announces epoch 0 and both losses.
    before = canvas_pixels(tab, fit)
    slider.focus()
    tab.keyboard.press("Home")
    assert canvas_pixels(tab, fit) != before
    text = slider.get_attribute("aria-valuetext")
    assert text.startswith(f"Epoch {data['snapshots']['epoch'][0]} of {data['epochs']}")
    assert "training loss" in text and "validation loss" in text

    # Keyboard alone moves it one snapshot at a time; the readout shows the exported numbers.
    tab.keyboard.press("ArrowRight")
    assert int(player.get_attribute("data-epoch")) == data["snapshots"]["epoch"][1]
    val = data["snapshots"]["val_loss"][1]
    assert f"{val:.3f}" in slider.get_attribute("aria-valuetext") or f"{val:.2e}" in slider.get_attribute("aria-valuetext")

    # Play advances the epoch; pause stops it.
    player.locator("button.play").click()
    wait_until(lambda: int(player.get_attribute("data-epoch")) > data["snapshots"]["epoch"][5])
    player.locator("button.play").click()
    stopped = player.get_attribute("data-epoch")
    tab.wait_for_timeout(300)
    assert player.get_attribute("data-epoch") == stopped

    # The true function can be hidden.
    before = canvas_pixels(tab, fit)
    player.locator("input.show-truth").uncheck()
    assert canvas_pixels(tab, fit) != before

    assert watch.errors == []
    assert watch.foreign_requests() == []


def test_theme_toggle_recolours_the_chart(page, server):
    tab, watch = page
    open_lesson(tab, server, "light")
    corner = (f"{PLAYER} .loss-canvas", 0.02, 0.02)
    light_bg = pixel(tab, *corner)
    tab.click("#theme-toggle")
    assert tab.evaluate("document.documentElement.dataset.theme") == "dark"
    dark_bg = pixel(tab, *corner)
    assert sum(dark_bg[:3]) < sum(light_bg[:3]) - 300  # a dark background now
    # The choice is remembered across a reload.
    tab.reload()
    # Widgets mount as they near the viewport: bring this one there first.
    tab.locator(f"{PLAYER}").first.scroll_into_view_if_needed()
    tab.wait_for_selector(f"{PLAYER}[data-ready='true']")
    assert tab.evaluate("document.documentElement.dataset.theme") == "dark"
    tab.evaluate("localStorage.clear()")
    assert watch.errors == []


def test_page_reads_without_javascript(browser, server):
    """With JavaScript off the reader gets the static figure in place of the widget."""
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(server.url(LESSON))
    figure = tab.locator(f"{PLAYER} img.widget-figure")
    assert figure.count() == 1
    assert "validation loss" in figure.get_attribute("alt")
    assert figure.evaluate("img => img.complete && img.naturalWidth > 0")
    assert tab.locator("#theme-toggle").is_hidden()
    context.close()


def test_phone_width_has_no_horizontal_scroll(page, server):
    tab, _ = page
    tab.set_viewport_size({"width": 360, "height": 740})
    open_lesson(tab, server)
    assert tab.evaluate("document.documentElement.scrollWidth") <= 360
    tab.set_viewport_size({"width": 1280, "height": 900})


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
