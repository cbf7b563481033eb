"""Lesson 05's own widgets: in headless Chromium, in both themes and at phone width, each
redraws when its control moves (its canvas changes and its figure's dataset follows the
control); the alt texts state what the data says. (Mounting without a console error,
fallback figures and the DATA contract, which the build checks on every export:
tests/test_every_lesson.py.)
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from tests.plugin import canvas_pixels, mounted, move_slider, no_trouble, wait_until
from tests.test_every_lesson import shows

EMBEDS = {   # the arguments lesson.md passes to each widget
    "three-networks": {"data": "data_only", "physics": "physics_only", "hybrid": "hybrid"},
    "failure-modes": {"works": "physics_only", "fails": "fails_weighting,fails_units,fails_collocation,fails_lr"},
    "weight-sweep": {"runs": "lambda_0_001,lambda_0_01,lambda_0_1,hybrid,lambda_10,lambda_100"},
    "damping-estimate": {"run": "inverse"},
}


def test_the_tests_cover_every_widget_the_lesson_embeds(lesson):
    assert {e.name: e.args for e in lesson.embeds if e.kind == "widget"} == EMBEDS


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_three_networks_slider_steps_through_training(page, open_widget, widget_data, scheme):
    tab, watch = page
    figure = open_widget(tab, "three-networks", scheme)
    data = widget_data("three-networks")
    canvas = "figure[data-widget='three-networks'] canvas[data-role='hybrid']"
    assert figure.get_attribute("data-step") == str(data["steps"][-1])
    last = canvas_pixels(tab, canvas)
    move_slider(figure, ".step-slider", 0)
    wait_until(lambda: figure.get_attribute("data-step") == "0")
    assert canvas_pixels(tab, canvas) != last
    assert "Step 0 of" in figure.locator(".widget-readout").text_content()
    no_trouble(watch)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_three_networks_play_runs_to_the_end(page, open_widget, widget_data, scheme):
    tab, watch = page
    figure = open_widget(tab, "three-networks", scheme)
    data = widget_data("three-networks")
    figure.locator(".play").click()          # at the end: Play starts again from step 0
    wait_until(lambda: figure.get_attribute("data-step") != str(data["steps"][-1]))
    assert figure.locator(".play").text_content() == "Pause"
    wait_until(lambda: figure.locator(".play").text_content() == "Play", timeout=30)   # it stops at the end
    assert figure.get_attribute("data-step") == str(data["steps"][-1])
    no_trouble(watch)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_failure_modes_switches_setting(page, open_widget, widget_data, scheme):
    tab, watch = page
    figure = open_widget(tab, "failure-modes", scheme)
    data = widget_data("failure-modes")
    canvas = "figure[data-widget='failure-modes'] canvas"
    assert figure.get_attribute("data-setting") == data["fails"][0]["run"]
    before = canvas_pixels(tab, canvas)
    figure.locator("input[type=radio]").nth(2).check()
    wait_until(lambda: figure.get_attribute("data-setting") == data["fails"][2]["run"])
    assert canvas_pixels(tab, canvas) != before
    assert data["fails"][2]["setting"] in figure.locator(".widget-readout").text_content()
    no_trouble(watch)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_weight_sweep_slider_moves_lambda(page, open_widget, widget_data, scheme):
    tab, watch = page
    figure = open_widget(tab, "weight-sweep", scheme)
    data = widget_data("weight-sweep")
    assert figure.get_attribute("data-weight") == "1"
    before = canvas_pixels(tab, "figure[data-widget='weight-sweep'] .fit-canvas")
    move_slider(figure, ".lambda-slider", 0)
    first = data["sweep"][0]
    wait_until(lambda: figure.get_attribute("data-weight") == f"{first['weight']:g}")
    assert canvas_pixels(tab, "figure[data-widget='weight-sweep'] .fit-canvas") != before
    assert f"{first['rms_outside']:.4f} outside" in figure.locator(".widget-readout").text_content()
    no_trouble(watch)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_damping_estimate_follows_zeta(page, open_widget, widget_data, scheme):
    tab, watch = page
    figure = open_widget(tab, "damping-estimate", scheme)
    data = widget_data("damping-estimate")
    assert float(figure.get_attribute("data-zeta")) == pytest.approx(data["zeta"][-1], abs=1e-5)
    move_slider(figure, ".step-slider", 0)
    wait_until(lambda: figure.get_attribute("data-step") == "0")
    assert float(figure.get_attribute("data-zeta")) == pytest.approx(data["zeta"][0], abs=1e-5)
    no_trouble(watch)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_width_has_no_sideways_scroll(browser, server, lesson, scheme):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    try:
        tab = context.new_page()
        tab.goto(server.url(f"{lesson.slug}/index.html"))
        for name in EMBEDS:
            mounted(tab, f"figure[data-widget='{name}']")
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
        for name in EMBEDS:
            box = tab.locator(f"figure[data-widget='{name}'] canvas").first.bounding_box()
            assert box["width"] <= 390 and box["height"] > 100, name
    finally:
        context.close()


# --------------------------------------------------------------------------- alt texts
def numbers(text: str) -> list[str]:
    return re.findall(r"-?\d[\d,]*(?:\.\d+)?(?:e-?\d+)?", text)


def test_three_networks_alt_text_states_recorded_errors(records, widget_data, widget_module):
    data = widget_data("three-networks")
    text = widget_module("three-networks").describe(data)
    grid, truth = np.array(records["hybrid"]["constants"]["grid"]), np.array(records["hybrid"]["constants"]["truth"])
    outside = grid > 0.4
    for role, run in EMBEDS["three-networks"].items():
        prediction = np.array(records[run]["snapshots"]["prediction"][-1])
        error = float(np.sqrt(np.mean((prediction[outside] - truth[outside]) ** 2)))
        assert any(shows(n, error) for n in numbers(text)), (role, error, text)
    assert len(data["steps"]) == len(data["hybrid"]["prediction"]) == len(data["data"]["prediction"])


def test_failure_modes_names_each_changed_setting(widget_data, widget_module):
    data = widget_data("failure-modes")
    settings = [f["setting"] for f in data["fails"]]
    assert settings == ["residual not divided by ω₀²", "time in milliseconds (input × 1000)",
                        "8 collocation points", "learning rate 0.1"]
    text = widget_module("failure-modes").describe(data)
    flat = sum(f["variance_ratio"] < 0.01 for f in data["fails"])
    assert f"{flat} of them end as a flat line" in text
    assert flat == 3


def test_failure_modes_refuses_a_run_that_changes_two_settings(widget_module):
    module = widget_module("failure-modes")
    works = {"run": "a", "config": {"lr": 0.003, "collocation": 60}, "constants": {}, "snapshots": {}}
    both = {"run": "b", "config": {"lr": 0.1, "collocation": 8}, "constants": {}, "snapshots": {}}
    with pytest.raises(ValueError, match="differs in"):
        module.changed_setting(both, works)


def test_weight_sweep_is_ordered_and_states_each_error(records, widget_data, widget_module):
    data = widget_data("weight-sweep")
    weights = [s["weight"] for s in data["sweep"]]
    assert weights == sorted(weights) and weights[0] == 0.001 and weights[-1] == 100
    module = widget_module("weight-sweep")
    text = module.describe(data)
    for s in data["sweep"]:
        assert f"λ = {s['weight']:g}: {s['rms_outside']:.2g}" in text
    with pytest.raises(ValueError, match="increasing"):
        module.export(records, {"runs": "hybrid,lambda_0_1"})


def test_damping_estimate_alt_text(records, widget_data, widget_module):
    data = widget_data("damping-estimate")
    zeta = records["inverse"]["series"]["zeta"]
    text = widget_module("damping-estimate").describe(data)
    assert f"{zeta[-1]:.4g}" in text and f"{100 * abs(zeta[-1] - 0.05) / 0.05:.1f}% off" in text
    with pytest.raises(ValueError, match="does not learn"):
        widget_module("damping-estimate").export(records, {"run": "hybrid"})
