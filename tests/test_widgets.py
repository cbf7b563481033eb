"""The lesson 01 widgets in headless Chromium, in both themes.

For each widget: its controls change what is drawn, its readouts show the exported
numbers, nothing logs an error and no request leaves localhost. The widgets checked by
the tests common to all are found from the lesson's embeds, not listed here.
"""
from __future__ import annotations

import json
import re

import pytest

from generator.lessons import load_lesson
from generator.widgets import catalogue
from tests.helpers import ROOT
from tests.test_browser_overfit import canvas_pixels, pixel, wait_until

pytestmark = pytest.mark.browser
LESSON = "01-why-the-weights-move"
SCHEMES = ["light", "dark"]
WIDGETS = sorted({e.name for e in load_lesson(ROOT / "content" / LESSON, ROOT).embeds if e.kind == "widget"})


def test_every_built_in_widget_is_on_a_page_these_tests_open():
    assert set(catalogue(ROOT)) <= set(WIDGETS)


def figure_selector(name: str) -> str:
    return f"figure[data-widget='{name}']"


def open_widget(tab, server, name, scheme="light"):
    tab.emulate_media(color_scheme=scheme)
    tab.goto(server.url(f"{LESSON}/index.html"))
    tab.evaluate("localStorage.clear()")
    tab.reload()
    # Widgets mount as they near the viewport: bring this one there first.
    tab.locator(f"{figure_selector(name)}").first.scroll_into_view_if_needed()
    tab.wait_for_selector(f"{figure_selector(name)}[data-ready='true']")
    figure = tab.locator(figure_selector(name))
    figure.scroll_into_view_if_needed()
    return figure


def exported(built_site, name) -> dict:
    [path] = (built_site / LESSON / "data").glob(f"{name}*.json")
    return json.loads(path.read_text())


MOVE_AND_READ = """(f, values) => {
  for (const [name, v] of Object.entries(values)) {
    const input = f.querySelector(`.${name}-slider`);
    input.value = String(v);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
  return [f.dataset.z, f.dataset.output, f.dataset.activation, f.querySelector(".layer-equation").textContent];
}"""


# The page's number formats, in Python, so readouts can be compared to the exported data.
def js_exponential(v: float, digits: int) -> str:
    mantissa, exponent = f"{v:.{digits}e}".split("e")
    return f"{mantissa}e{int(exponent):+d}".replace("e+-", "e-")


def format_number(v: float) -> str:
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
        text = js_exponential(v, 3)
        return text.replace("-", "−", 1) if text.startswith("-") else text
    short = float(f"{v:.4g}")
    text = str(int(short)) if short == int(short) else repr(short)
    return text.replace("-", "−", 1) if text.startswith("-") else text  # the page prints a true minus


def format_loss(v: float) -> str:
    return f"{v:.3f}" if v >= 0.01 else js_exponential(v, 2)


def no_trouble(watch):
    assert watch.errors == []
    assert watch.foreign_requests() == []


# --------------------------------------------------------------------------- layer playground
@pytest.mark.slow
@pytest.mark.parametrize("scheme", SCHEMES)
def test_layer_playground_matches_pytorch(page, server, scheme):
    import torch

    tab, watch = page
    figure = open_widget(tab, server, "layer-playground", scheme)
    sel = figure_selector("layer-playground")
    reference = {"identity": lambda z: z, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}
    before = canvas_pixels(tab, f"{sel} canvas")
    checked = 0
    for activation, f in reference.items():
        figure.locator(f".activation-choice button[data-value='{activation}']").click()
        for x in (-3.0, -1.2, 0.0, 0.7, 3.0):
            for w in (-2.0, -0.5, 1.5):
                for b in (-2.0, 0.0, 1.3):
                    # One round trip per input: move the three sliders, read what the page shows.
                    shown = figure.evaluate(MOVE_AND_READ, {"x": x, "w": w, "b": b})
                    z = torch.tensor(w, dtype=torch.float64) * x + b
                    expected = f(z).item()
                    assert shown[2] == activation
                    assert abs(float(shown[0]) - z.item()) <= 1e-6
                    assert abs(float(shown[1]) - expected) <= 1e-6, (activation, x, w, b, shown[1], expected)
                    # The readout's 4 decimals are the same number, rounded.
                    assert abs(float(shown[3].rsplit("= ", 1)[1].replace("−", "-")) - expected) <= 5.01e-5
                    checked += 1
    assert checked == 4 * 5 * 3 * 3
    assert canvas_pixels(tab, f"{sel} canvas") != before
    assert figure.locator(".x-slider").get_attribute("aria-valuetext") == "x = 3"
    no_trouble(watch)


# --------------------------------------------------------------------------- loss landscape
@pytest.mark.parametrize("scheme", SCHEMES)
def test_loss_landscape_walks_the_recorded_steps(page, server, built_site, scheme):
    tab, watch = page
    figure = open_widget(tab, server, "loss-landscape", scheme)
    sel = figure_selector("loss-landscape")
    data = exported(built_site, "loss-landscape")
    assert [r["behaviour"] for r in data["rates"]] == ["crawls", "converges", "oscillates", "diverges"]
    slider = figure.locator(".step-slider")
    for i, rate in enumerate(data["rates"]):
        before = canvas_pixels(tab, f"{sel} .landscape-canvas")
        figure.locator("select.rate").select_option(str(i))
        slider.focus()
        tab.keyboard.press("End")
        last = len(rate["w"]) - 1
        assert int(figure.get_attribute("data-step")) == last
        assert canvas_pixels(tab, f"{sel} .landscape-canvas") != before
        for key, column in (("w", "w"), ("loss", "loss"), ("grad", "grad")):
            assert float(figure.get_attribute(f"data-{key}")) == rate[column][last]
        text = slider.get_attribute("aria-valuetext")
        assert f"step {last} of {last}" in text
        assert f"w = {format_number(rate['w'][last])}" in text
        assert f"dL/dw = {format_number(rate['grad'][last])}" in text
        # The first step moves the point and its tangent.
        tab.keyboard.press("Home")
        assert float(figure.get_attribute("data-w")) == rate["w"][0]
        before = canvas_pixels(tab, f"{sel} .landscape-canvas")
        tab.keyboard.press("ArrowRight")
        assert float(figure.get_attribute("data-w")) == rate["w"][1]
        assert canvas_pixels(tab, f"{sel} .landscape-canvas") != before

    # Play walks forward from the start.
    figure.locator("select.rate").select_option("1")
    figure.locator("button.play").click()
    wait_until(lambda: int(figure.get_attribute("data-step")) >= 2)
    figure.locator("button.play").click()
    no_trouble(watch)


# --------------------------------------------------------------------------- reading a loss curve
@pytest.mark.parametrize("scheme", SCHEMES)
def test_loss_curve_reveals_validation_and_best_epoch(page, server, built_site, scheme):
    tab, watch = page
    figure = open_widget(tab, server, "loss-curve-reading", scheme)
    sel = figure_selector("loss-curve-reading")
    data = exported(built_site, "loss-curve-reading")
    assert figure.get_attribute("data-validation") == "hidden"
    readout = figure.locator(".widget-readout")
    assert "validation loss" not in readout.text_content()

    before = canvas_pixels(tab, f"{sel} canvas")
    figure.locator("input.show-val").check()
    assert figure.get_attribute("data-validation") == "shown"
    assert canvas_pixels(tab, f"{sel} canvas") != before
    best = data["best"]
    assert f"lowest at epoch {best['epoch']} ({format_loss(best['val_loss'])})" in readout.text_content()

    slider = figure.locator(".epoch-slider")
    slider.focus()
    tab.keyboard.press("Home")
    assert int(figure.get_attribute("data-epoch")) == data["epoch"][0]
    tab.keyboard.press("ArrowRight")
    i = 1
    assert int(figure.get_attribute("data-epoch")) == data["epoch"][i]
    text = slider.get_attribute("aria-valuetext")
    assert f"training loss {format_loss(10 ** data['log10_train'][i])}" in text
    assert f"validation loss {format_loss(10 ** data['log10_val'][i])}" in text
    no_trouble(watch)


# --------------------------------------------------------------------------- three knobs
@pytest.mark.parametrize("scheme", SCHEMES)
def test_three_knobs_compares_each_regulariser(page, server, built_site, scheme):
    tab, watch = page
    figure = open_widget(tab, server, "three-knobs", scheme)
    sel = figure_selector("three-knobs")
    data = exported(built_site, "three-knobs")
    slider = figure.locator(".strength-slider")
    for i, knob in enumerate(data["knobs"]):
        before = canvas_pixels(tab, f"{sel} .fit-canvas")
        figure.locator(f".knob-choice button[data-value='{i}']").click()
        assert figure.get_attribute("data-knob") == knob["name"]
        slider.focus()
        tab.keyboard.press("Home")
        for j, setting in enumerate(knob["settings"]):
            if j:
                before = canvas_pixels(tab, f"{sel} .val-canvas")
                tab.keyboard.press("ArrowRight")
                assert canvas_pixels(tab, f"{sel} .val-canvas") != before
            assert figure.get_attribute("data-run") == setting["run"]
            assert float(figure.get_attribute("data-final-val")) == setting["final_val"]
            readout = figure.locator(".widget-readout").text_content()
            assert f"final validation loss {format_loss(setting['final_val'])}" in readout
            assert f"unregularised {format_loss(data['base']['final_val'])}" in readout
        assert canvas_pixels(tab, f"{sel} .fit-canvas") != before
    no_trouble(watch)


# --------------------------------------------------------------------------- every widget
@pytest.mark.parametrize("name", WIDGETS)
def test_theme_toggle_recolours(page, server, name):
    tab, watch = page
    open_widget(tab, server, name, "light")
    corner = (f"{figure_selector(name)} canvas", 0.02, 0.02)
    light = pixel(tab, *corner)
    tab.click("#theme-toggle")
    dark = pixel(tab, *corner)
    assert sum(dark[:3]) < sum(light[:3]) - 300
    no_trouble(watch)


@pytest.mark.parametrize("name", WIDGETS)
def test_labelled_for_screen_readers(page, server, name):
    tab, watch = page
    figure = open_widget(tab, server, name)
    for canvas in figure.locator("canvas").all():
        assert canvas.get_attribute("role") == "img" and len(canvas.get_attribute("aria-label")) > 30
    for control in figure.locator("input, select").all():
        labelled = control.evaluate("el => el.labels.length > 0")
        assert labelled, control.evaluate("el => el.outerHTML")
    for slider in figure.locator("input[type=range]").all():
        assert slider.get_attribute("aria-valuetext")
    no_trouble(watch)


@pytest.mark.parametrize("name", WIDGETS)
def test_play_and_menus_are_announced(page, server, name):
    """What Play or a menu changes is said by a status region once it settles; the slider's
    own moves are read from its aria-valuetext and are not said a second time."""
    tab, watch = page
    figure = open_widget(tab, server, name)
    play, menu = figure.locator("button.play"), figure.locator("select")
    if play.count() == 0 and menu.count() == 0:
        pytest.skip(f"{name} has no Play button and no menu")
    status = figure.locator("[role='status']")
    assert status.count() == 1, f"{name} changes its chart silently"
    assert status.inner_text() == "", "the first drawing is announced"
    slider = figure.locator("input[type=range]").first
    slider.focus()
    tab.keyboard.press("Home")  # from the start, so Play has a way to go before it ends
    tab.wait_for_timeout(900)
    assert status.inner_text() == "", "a slider move is announced twice"
    if menu.count():
        values = menu.first.evaluate("s => [...s.options].map(o => o.value)")
        menu.first.select_option(values[-1] if menu.first.input_value() != values[-1] else values[0])
    else:
        play.click()
        tab.wait_for_timeout(300)
        assert play.inner_text() == "Pause"
        play.click()  # pause: the chart settles where Play left it
    wait_until(lambda: status.inner_text() != "")
    assert status.inner_text() == figure.locator(".widget-readout").inner_text()
    no_trouble(watch)


def test_fits_a_phone(page, server):
    tab, watch = page
    tab.set_viewport_size({"width": 360, "height": 740})
    open_widget(tab, server, "three-knobs")
    assert tab.evaluate("document.documentElement.scrollWidth") <= 360
    for name in WIDGETS:
        right = tab.locator(figure_selector(name)).evaluate("f => f.getBoundingClientRect().right")
        assert right <= 360, name
    no_trouble(watch)


def test_static_figures_without_javascript(browser, server):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(server.url(f"{LESSON}/index.html"))
    for name in WIDGETS:
        img = tab.locator(f"{figure_selector(name)} img.widget-figure")
        assert img.count() == 1, name
        assert len(img.get_attribute("alt")) > 60
        assert img.evaluate("img => img.complete && img.naturalWidth > 0"), name
    context.close()


def test_downloads_are_linked_and_published(built_site):
    html = (built_site / LESSON / "index.html").read_text()
    links = re.findall(r'href="(downloads/[^"]+)"', html)
    assert links
    for link in links:
        assert (built_site / LESSON / link).is_file(), link
