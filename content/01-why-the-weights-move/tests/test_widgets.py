"""Lesson 01's widgets in headless Chromium, in both themes: each control changes what is
drawn, each readout shows the exported numbers, nothing logs an error and no request leaves
localhost. The built-in widgets are all on this page, so these are their tests too.
(Mounting, fallback figures and alt texts of every lesson: tests/test_every_lesson.py.)
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from generator.lessons import load_lesson
from generator.widgets import catalogue
from tests.plugin import ROOT, canvas_pixels, mounted, no_trouble, pixel, wait_until

pytestmark = pytest.mark.browser
SCHEMES = ["light", "dark"]
WIDGETS = sorted({e.name for e in load_lesson(Path(__file__).parents[1], ROOT).embeds if e.kind == "widget"})
PLAYER = "figure[data-widget='overfit-player']"


def test_every_built_in_widget_is_on_this_page():
    assert set(catalogue(ROOT)) <= set(WIDGETS)


# --------------------------------------------------------------------------- overfit player
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_slider_play_and_readout(page, open_widget, widget_data, scheme):
    tab, watch = page
    player = open_widget(tab, "overfit-player", scheme)
    assert tab.evaluate("document.documentElement.dataset.theme") == scheme
    data = widget_data("overfit-player")
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

    no_trouble(watch)


def test_theme_toggle_recolours_the_chart(page, open_widget):
    tab, watch = page
    open_widget(tab, "overfit-player", "light")
    corner = (f"{PLAYER} .loss-canvas", 0.02, 0.02)
    light_bg = pixel(tab, *corner)
    tab.click("#theme-toggle")
    assert tab.evaluate("document.documentElement.dataset.theme") == "dark"
    dark_bg = pixel(tab, *corner)
    assert sum(dark_bg[:3]) < sum(light_bg[:3]) - 300  # a dark background now
    # The choice is remembered across a reload.
    tab.reload()
    mounted(tab, PLAYER)
    assert tab.evaluate("document.documentElement.dataset.theme") == "dark"
    tab.evaluate("localStorage.clear()")
    assert watch.errors == []


def test_page_reads_without_javascript(browser, server, lesson):
    """With JavaScript off the reader gets the static figure in place of the widget."""
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(server.url(f"{lesson.slug}/index.html"))
    figure = tab.locator(f"{PLAYER} img.widget-figure")
    assert figure.count() == 1
    assert "validation loss" in figure.get_attribute("alt")
    assert figure.evaluate("img => img.complete && img.naturalWidth > 0")
    assert tab.locator("#theme-toggle").is_hidden()
    context.close()


@pytest.mark.slow
def test_the_player_slider_moves_through_the_whole_run(page, open_widget, widget_data):
    """Every slider step is a snapshot; together they reach the last epoch with no leap.

    Walking the slider with the keyboard from Home to End, each step moves the epoch by
    one or by at most 0.1 decades on log10(epoch + 1), and the last step shows the last epoch.
    """
    tab, watch = page
    player = open_widget(tab, "overfit-player")
    data = widget_data("overfit-player")
    slider = player.locator("input[type=range]")
    slider.focus()
    tab.keyboard.press("Home")
    seen = [int(player.get_attribute("data-epoch"))]
    for _ in range(len(data["snapshots"]["epoch"]) - 1):
        tab.keyboard.press("ArrowRight")
        seen.append(int(player.get_attribute("data-epoch")))
    assert seen[0] == 0 and seen[-1] == data["epochs"]
    for a, b in zip(seen, seen[1:]):
        assert b == a + 1 or 0 < math.log10(b + 1) - math.log10(a + 1) <= 0.1 + 1e-12, (a, b)
    assert watch.errors == []


FIGURE = "figure[data-widget='{}']"
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


# --------------------------------------------------------------------------- layer playground
@pytest.mark.slow
@pytest.mark.parametrize("scheme", SCHEMES)
def test_layer_playground_matches_pytorch(page, open_widget, scheme):
    import torch

    tab, watch = page
    figure = open_widget(tab, "layer-playground", scheme)
    sel = FIGURE.format("layer-playground")
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
def test_loss_landscape_walks_the_recorded_steps(page, open_widget, widget_data, scheme):
    tab, watch = page
    figure = open_widget(tab, "loss-landscape", scheme)
    sel = FIGURE.format("loss-landscape")
    data = widget_data("loss-landscape")
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
def test_loss_curve_reveals_validation_and_best_epoch(page, open_widget, widget_data, scheme):
    tab, watch = page
    figure = open_widget(tab, "loss-curve-reading", scheme)
    sel = FIGURE.format("loss-curve-reading")
    data = widget_data("loss-curve-reading")
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
def test_three_knobs_compares_each_regulariser(page, open_widget, widget_data, scheme):
    tab, watch = page
    figure = open_widget(tab, "three-knobs", scheme)
    sel = FIGURE.format("three-knobs")
    data = widget_data("three-knobs")
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
def test_theme_toggle_recolours(page, open_widget, name):
    tab, watch = page
    open_widget(tab, name, "light")
    corner = (f"{FIGURE.format(name)} canvas", 0.02, 0.02)
    light = pixel(tab, *corner)
    tab.click("#theme-toggle")
    dark = pixel(tab, *corner)
    assert sum(dark[:3]) < sum(light[:3]) - 300
    no_trouble(watch)


@pytest.mark.parametrize("name", WIDGETS)
def test_labelled_for_screen_readers(page, open_widget, name):
    tab, watch = page
    figure = open_widget(tab, name)
    for canvas in figure.locator("canvas").all():
        assert canvas.get_attribute("role") == "img" and len(canvas.get_attribute("aria-label")) > 30
    for control in figure.locator("input, select").all():
        labelled = control.evaluate("el => el.labels.length > 0")
        assert labelled, control.evaluate("el => el.outerHTML")
    for slider in figure.locator("input[type=range]").all():
        assert slider.get_attribute("aria-valuetext")
    no_trouble(watch)


@pytest.mark.parametrize("name", WIDGETS)
def test_play_and_menus_are_announced(page, open_widget, name):
    """What Play or a menu changes is said by a status region once it settles; the slider's
    own moves are read from its aria-valuetext and are not said a second time."""
    tab, watch = page
    figure = open_widget(tab, name)
    play, menu = figure.locator("button.play"), figure.locator("select")
    if play.count() == 0 and menu.count() == 0:
        # Nothing moves on its own: each slider says its value, and a live region the rest.
        sliders = figure.locator("input[type=range]")
        assert sliders.count() >= 1, f"{name} has no control at all"
        assert all(sliders.nth(i).get_attribute("aria-valuetext") for i in range(sliders.count())), name
        assert figure.locator("[aria-live]").count() >= 1, f"{name} changes its chart silently"
        no_trouble(watch)
        return
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


def test_fits_a_phone(page, open_widget):
    tab, watch = page
    tab.set_viewport_size({"width": 360, "height": 740})
    open_widget(tab, "three-knobs")
    assert tab.evaluate("document.documentElement.scrollWidth") <= 360
    for name in WIDGETS:
        right = tab.locator(FIGURE.format(name)).evaluate("f => f.getBoundingClientRect().right")
        assert right <= 360, name
    no_trouble(watch)


def test_downloads_are_linked_and_published(page_html):
    """(That each link names a published file: test_every_lesson's link check.)"""
    assert re.findall(r'href="(downloads/[^"]+)"', page_html)


# --------------------------------------------------------------------------- loss charts
LOSS_CHARTS = {"overfit-player": "overfit-player--overfit", "loss-curve-reading": "loss-curve-reading--overfit",
               "three-knobs": None}


@pytest.mark.parametrize("name", sorted(LOSS_CHARTS))
def test_loss_charts_use_a_log_epoch_axis(widget_data, name):
    """In the page (the canvas plot is asked for it) and in the fallback figure."""
    import matplotlib.pyplot as plt

    from generator.theme import tokens

    widget = catalogue(ROOT)[name]
    assert "xLogEpoch: true" in widget.js.read_text()
    fig = widget.module().figure(widget_data(name), tokens("light"))
    try:
        scales = [ax.get_xscale() for ax in fig.axes]
        assert "function" in scales
        loss_ax = fig.axes[scales.index("function")]
        assert [t.get_text() for t in loss_ax.get_xticklabels()][:4] == ["0", "1", "10", "100"]
        # Legends sit outside the axes, so none covers a curve.
        for ax in fig.axes:
            legend = ax.get_legend()
            if legend is not None:
                fig.canvas.draw()
                box, area = legend.get_window_extent(), ax.get_window_extent()
                assert box.y1 <= area.y0 + 1 or box.x0 >= area.x1 - 1, f"{name}: legend inside the axes"
    finally:
        plt.close(fig)


def test_alt_texts_state_what_the_overfit_record_shows(page_html, records):
    """Recomputed here from the record, independently of the widgets' code."""
    record = records["overfit"]
    train = record["series"]["train_loss"]
    ups = sum(1 for i in range(1, len(train)) if train[i] > train[i - 1])
    assert 0 < ups < len(train) - 1  # the training loss does not fall at every epoch
    alts = dict(re.findall(r'data-widget="([\w-]+)".*?alt="([^"]*)"', page_html, re.S))
    assert f"rises at {ups:,} of the {len(train) - 1:,} logged epochs" in alts["loss-curve-reading"]
    for alt in alts.values():
        assert "falls throughout" not in alt and "falls for all" not in alt
    best = min(range(len(record["series"]["val_loss"])), key=record["series"]["val_loss"].__getitem__)
    assert f"at epoch {record['series']['step'][best]}" in alts["overfit-player"]
