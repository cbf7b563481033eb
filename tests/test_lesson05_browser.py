"""Lesson 05's own widgets in headless Chromium, in both themes and at phone width.

Each widget mounts, redraws when its control moves (its canvas changes and its figure's
dataset follows the control), logs no error and makes no request beyond localhost.
"""
from __future__ import annotations

import json

import pytest

from generator.lessons import load_lesson
from tests.helpers import ROOT
from tests.test_browser_overfit import canvas_pixels, wait_until

pytestmark = pytest.mark.browser
LESSON = "05-physics-informed-networks"
EMBEDDED = sorted({e.name for e in load_lesson(ROOT / "content" / LESSON, ROOT).embeds if e.kind == "widget"})

MOVE_SLIDER = """(f, [selector, value]) => {
  const input = f.querySelector(selector);
  input.value = String(value);
  input.dispatchEvent(new Event("input", { bubbles: true }));
}"""


def open_widget(tab, server, name, scheme):
    tab.emulate_media(color_scheme=scheme)
    tab.goto(server.url(f"{LESSON}/index.html"))
    tab.evaluate("localStorage.clear()")
    tab.reload()
    # Widgets mount as they near the viewport: bring this one there first.
    tab.locator(f"figure[data-widget='{name}']").first.scroll_into_view_if_needed()
    tab.wait_for_selector(f"figure[data-widget='{name}'][data-ready='true']")
    figure = tab.locator(f"figure[data-widget='{name}']")
    figure.scroll_into_view_if_needed()
    return figure


def exported(built_site, name) -> dict:
    [path] = (built_site / LESSON / "data").glob(f"{name}*.json")
    return json.loads(path.read_text())


def no_trouble(watch):
    assert watch.errors == []
    assert watch.foreign_requests() == []


def test_the_tests_cover_every_widget_the_lesson_embeds():
    assert EMBEDDED == ["damping-estimate", "failure-modes", "three-networks", "weight-sweep"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_three_networks_slider_steps_through_training(page, server, built_site, scheme):
    tab, watch = page
    figure = open_widget(tab, server, "three-networks", scheme)
    data = exported(built_site, "three-networks")
    canvas = "figure[data-widget='three-networks'] canvas[data-role='hybrid']"
    assert figure.get_attribute("data-step") == str(data["steps"][-1])
    last = canvas_pixels(tab, canvas)
    figure.evaluate(MOVE_SLIDER, [".step-slider", 0])
    wait_until(lambda: figure.get_attribute("data-step") == "0")
    assert canvas_pixels(tab, canvas) != last
    assert "Step 0 of" in figure.locator(".widget-readout").text_content()
    no_trouble(watch)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_three_networks_play_runs_to_the_end(page, server, built_site, scheme):
    tab, watch = page
    figure = open_widget(tab, server, "three-networks", scheme)
    data = exported(built_site, "three-networks")
    figure.locator(".play").click()          # at the end: Play starts again from step 0
    wait_until(lambda: figure.get_attribute("data-step") != str(data["steps"][-1]))
    assert figure.locator(".play").text_content() == "Pause"
    wait_until(lambda: figure.locator(".play").text_content() == "Play", timeout=30)   # it stops at the end
    assert figure.get_attribute("data-step") == str(data["steps"][-1])
    no_trouble(watch)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_failure_modes_switches_setting(page, server, built_site, scheme):
    tab, watch = page
    figure = open_widget(tab, server, "failure-modes", scheme)
    data = exported(built_site, "failure-modes")
    canvas = "figure[data-widget='failure-modes'] canvas"
    assert figure.get_attribute("data-setting") == data["fails"][0]["run"]
    before = canvas_pixels(tab, canvas)
    figure.locator("input[type=radio]").nth(2).check()
    wait_until(lambda: figure.get_attribute("data-setting") == data["fails"][2]["run"])
    assert canvas_pixels(tab, canvas) != before
    assert data["fails"][2]["setting"] in figure.locator(".widget-readout").text_content()
    no_trouble(watch)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_weight_sweep_slider_moves_lambda(page, server, built_site, scheme):
    tab, watch = page
    figure = open_widget(tab, server, "weight-sweep", scheme)
    data = exported(built_site, "weight-sweep")
    assert figure.get_attribute("data-weight") == "1"
    before = canvas_pixels(tab, "figure[data-widget='weight-sweep'] .fit-canvas")
    figure.evaluate(MOVE_SLIDER, [".lambda-slider", 0])
    first = data["sweep"][0]
    wait_until(lambda: figure.get_attribute("data-weight") == f"{first['weight']:g}")
    assert canvas_pixels(tab, "figure[data-widget='weight-sweep'] .fit-canvas") != before
    assert f"{first['rms_outside']:.4f} outside" in figure.locator(".widget-readout").text_content()
    no_trouble(watch)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_damping_estimate_follows_zeta(page, server, built_site, scheme):
    tab, watch = page
    figure = open_widget(tab, server, "damping-estimate", scheme)
    data = exported(built_site, "damping-estimate")
    assert float(figure.get_attribute("data-zeta")) == pytest.approx(data["zeta"][-1], abs=1e-5)
    figure.evaluate(MOVE_SLIDER, [".step-slider", 0])
    wait_until(lambda: figure.get_attribute("data-step") == "0")
    assert float(figure.get_attribute("data-zeta")) == pytest.approx(data["zeta"][0], abs=1e-5)
    no_trouble(watch)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_width_has_no_sideways_scroll(browser, server, scheme):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    try:
        tab = context.new_page()
        tab.goto(server.url(f"{LESSON}/index.html"))
        for name in EMBEDDED:
            # Widgets mount as they near the viewport: bring this one there first.
            tab.locator(f"figure[data-widget='{name}']").first.scroll_into_view_if_needed()
            tab.wait_for_selector(f"figure[data-widget='{name}'][data-ready='true']")
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
        for name in EMBEDDED:
            box = tab.locator(f"figure[data-widget='{name}'] canvas").first.bounding_box()
            assert box["width"] <= 390 and box["height"] > 100, name
    finally:
        context.close()
