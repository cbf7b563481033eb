"""The lesson's three widgets in a real browser, in both themes: they mount, their controls
do what their labels say, and their readouts agree with the records."""
from __future__ import annotations

import re

import pytest

THEMES = ("light", "dark")


@pytest.mark.slow
@pytest.mark.parametrize("scheme", THEMES)
def test_race_shows_gradient_descent_leaving_at_twice_its_rate(page, open_widget, records, scheme):
    tab, watch = page
    figure = open_widget(tab, "valley-race", scheme)
    steps = records["valley"]["config"]["race_steps"]
    assert figure.get_attribute("data-step") == str(steps)            # opens on the whole race
    readout = figure.locator(".widget-readout")
    assert "Gradient descent" in readout.text_content() and "left the view" not in readout.text_content()
    figure.locator("select").select_option(label="2 × tuned rate")
    assert figure.get_attribute("data-multiplier") == "2"
    assert re.search(r"Gradient descent \(lr [\d.]+\) left the view at step \d+", readout.text_content())
    figure.locator("input[value='nesterov']").check()
    assert "Nesterov" in readout.text_content()
    assert watch.errors == []


@pytest.mark.slow
@pytest.mark.parametrize("scheme", THEMES)
def test_sweep_opens_on_adams_best_rate_and_switches_optimiser(page, open_widget, records, facts, scheme):
    tab, watch = page
    figure = open_widget(tab, "lr-sweep", scheme)
    assert figure.get_attribute("data-optimiser") == "adam"
    assert float(figure.get_attribute("data-lr")) == facts["network"]["adam_lr"]
    figure.get_by_role("button", name="SGD", exact=True).click()
    assert figure.get_attribute("data-optimiser") == "sgd"
    assert float(figure.get_attribute("data-lr")) == facts["network"]["sgd_lr"]
    assert "(its best rate)" in figure.locator(".widget-readout").text_content()
    assert watch.errors == []


@pytest.mark.slow
@pytest.mark.parametrize("scheme", THEMES)
def test_adam_steps_toggles_bias_correction(page, open_widget, facts, scheme):
    tab, watch = page
    figure = open_widget(tab, "adam-steps", scheme)
    readout = figure.locator(".widget-readout")
    assert figure.get_attribute("data-corrected") == "true" and "with bias correction" in readout.text_content()
    figure.get_by_role("button", name="Without").click()
    assert figure.get_attribute("data-corrected") == "false"
    moved = re.search(r"w1 moves ([\d.]+)", readout.text_content())
    assert float(moved[1]) == pytest.approx(facts["valley"]["adam_first_step_without"], rel=1e-3)
    assert watch.errors == []
