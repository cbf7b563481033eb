"""Lesson 02's widgets in headless Chromium, in both themes: each one mounts, its control
changes what is drawn and what the readout says, nothing logs an error and no request
leaves localhost."""
from __future__ import annotations

import json

import pytest

from tests.test_browser_overfit import canvas_pixels, wait_until

pytestmark = pytest.mark.browser
SLUG = "02-a-first-model-with-scikit-learn"
SCHEMES = ["light", "dark"]
# widget -> (its slider, the value to move it to, the figure's data-* key that follows it)
CONTROLS = {
    "leakage-sweep": (".count-slider", 0, "features"),
    "depth-curve": (".depth-slider", 9, "depth"),
    "descent-steps": (".step-slider", 120, "step"),
    "fold-spread": (".size-slider", 4, "size"),
}

MOVE = """(f, [selector, value]) => {
  const input = f.querySelector(selector);
  input.value = String(value);
  input.dispatchEvent(new Event("input", { bubbles: true }));
  return f.querySelector(".widget-readout").textContent;
}"""


def open_widget(tab, server, name, scheme):
    tab.emulate_media(color_scheme=scheme)
    tab.goto(server.url(f"{SLUG}/index.html"))
    selector = f"figure[data-widget='{name}']"
    # Widgets mount as they near the viewport: bring this one there first.
    tab.locator(f"{selector}").first.scroll_into_view_if_needed()
    tab.wait_for_selector(f"{selector}[data-ready='true']")
    figure = tab.locator(selector)
    figure.scroll_into_view_if_needed()
    return figure


def exported(built_site, name) -> dict:
    [path] = (built_site / SLUG / "data").glob(f"{name}--*.json")
    return json.loads(path.read_text())


def test_every_lesson_widget_is_tested():
    from generator.lessons import load_lesson
    from tests.helpers import ROOT

    embedded = {e.name for e in load_lesson(ROOT / "content" / SLUG, ROOT).embeds if e.kind == "widget"}
    assert embedded == set(CONTROLS)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", sorted(CONTROLS))
def test_widget_mounts_and_follows_its_control(page, server, built_site, name, scheme):
    tab, watch = page
    figure = open_widget(tab, server, name, scheme)
    canvas = f"figure[data-widget='{name}'] canvas"
    selector, value, key = CONTROLS[name]
    before_pixels = canvas_pixels(tab, canvas)
    before_text = figure.locator(".widget-readout").text_content()
    before_key = figure.get_attribute(f"data-{key}")
    after_text = figure.evaluate(MOVE, [selector, value])
    wait_until(lambda: figure.get_attribute(f"data-{key}") != before_key)
    assert after_text != before_text
    assert canvas_pixels(tab, canvas) != before_pixels
    assert watch.errors == [] and watch.foreign_requests() == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_readouts_show_the_exported_numbers(page, server, built_site, scheme):
    tab, watch = page
    leak = exported(built_site, "leakage-sweep")
    figure = open_widget(tab, server, "leakage-sweep", scheme)
    seed = next(s for s in leak["seeds"] if s["seed"] == leak["shown_seed"])
    text = figure.evaluate(MOVE, [".count-slider", len(leak["features"]) - 1])
    assert f"leaky {seed['leaky'][-1]:.3f}, honest {seed['honest'][-1]:.3f}" in text
    text = figure.evaluate(MOVE, [".count-slider", 0])
    assert "both are the same" in text and seed["leaky"][0] == seed["honest"][0]

    depth = exported(built_site, "depth-curve")
    figure = open_widget(tab, server, "depth-curve", scheme)
    best = depth["depths"].index(depth["best_depth"])
    text = figure.evaluate(MOVE, [".depth-slider", best])
    assert f"Depth {depth['best_depth']}:" in text and "lowest validation error" in text

    descent = exported(built_site, "descent-steps")
    figure = open_widget(tab, server, "descent-steps", scheme)
    text = figure.evaluate(MOVE, [".step-slider", len(descent["raw"]["step"]) - 1])
    assert f"raw columns reached the tolerance at step {descent['raw']['steps_to_tolerance']:,}" in text
    assert watch.errors == []


def test_descent_play_button_walks_the_steps(page, server):
    tab, watch = page
    figure = open_widget(tab, server, "descent-steps", "light")
    figure.locator("button.play").click()
    wait_until(lambda: int(figure.get_attribute("data-step")) > 100, timeout=30)
    figure.locator("button.play").click()
    assert figure.locator("button.play").text_content() == "Play"
    assert watch.errors == []


def test_seed_choice_redraws_the_leakage_sweep(page, server, built_site):
    tab, watch = page
    figure = open_widget(tab, server, "leakage-sweep", "dark")
    before = canvas_pixels(tab, "figure[data-widget='leakage-sweep'] canvas")
    figure.locator("select.seed-select").select_option("3")
    wait_until(lambda: figure.get_attribute("data-seed") == "3")
    assert canvas_pixels(tab, "figure[data-widget='leakage-sweep'] canvas") != before
    assert watch.errors == []
