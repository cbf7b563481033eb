"""Lesson 02's own widgets: in headless Chromium each control changes what is drawn and
what the readout says, in both themes; the exported data and alt texts hold the recorded
numbers. (Mounting, fallback figures, alt texts present and the DATA contract, which the
build checks on every export: tests/test_every_lesson.py.)
"""
from __future__ import annotations

import re

import pytest

from tests.plugin import canvas_pixels, move_slider, wait_until

SCHEMES = ["light", "dark"]
# widget -> (its slider, the value to move it to, the figure's data-* key that follows it)
CONTROLS = {
    "leakage-sweep": (".count-slider", 0, "features"),
    "depth-curve": (".depth-slider", 9, "depth"),
    "descent-steps": (".step-slider", 120, "step"),
    "fold-spread": (".size-slider", 4, "size"),
}


def test_every_lesson_widget_is_tested(lesson):
    assert {e.name for e in lesson.embeds if e.kind == "widget"} == set(CONTROLS)
    assert sorted(p.name for p in (lesson.folder / "widgets").iterdir() if (p / "widget.py").is_file()) == sorted(CONTROLS)


# --------------------------------------------------------------------------- in the browser
@pytest.mark.browser
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", sorted(CONTROLS))
def test_widget_follows_its_control(page, open_widget, name, scheme):
    tab, watch = page
    figure = open_widget(tab, name, scheme)
    canvas = f"figure[data-widget='{name}'] canvas"
    selector, value, key = CONTROLS[name]
    before_pixels = canvas_pixels(tab, canvas)
    before_text = figure.locator(".widget-readout").text_content()
    before_key = figure.get_attribute(f"data-{key}")
    after_text = move_slider(figure, selector, value)
    wait_until(lambda: figure.get_attribute(f"data-{key}") != before_key)
    assert after_text != before_text
    assert canvas_pixels(tab, canvas) != before_pixels
    assert watch.errors == [] and watch.foreign_requests() == []


@pytest.mark.browser
@pytest.mark.parametrize("scheme", SCHEMES)
def test_readouts_show_the_exported_numbers(page, open_widget, widget_data, scheme):
    tab, watch = page
    leak = widget_data("leakage-sweep")
    figure = open_widget(tab, "leakage-sweep", scheme)
    seed = next(s for s in leak["seeds"] if s["seed"] == leak["shown_seed"])
    text = move_slider(figure, ".count-slider", len(leak["features"]) - 1)
    assert f"leaky {seed['leaky'][-1]:.3f}, honest {seed['honest'][-1]:.3f}" in text
    text = move_slider(figure, ".count-slider", 0)
    assert "both are the same" in text and seed["leaky"][0] == seed["honest"][0]

    depth = widget_data("depth-curve")
    figure = open_widget(tab, "depth-curve", scheme)
    text = move_slider(figure, ".depth-slider", depth["depths"].index(depth["best_depth"]))
    assert f"Depth {depth['best_depth']}:" in text and "lowest validation error" in text

    descent = widget_data("descent-steps")
    figure = open_widget(tab, "descent-steps", scheme)
    text = move_slider(figure, ".step-slider", len(descent["raw"]["step"]) - 1)
    assert f"raw columns reached the tolerance at step {descent['raw']['steps_to_tolerance']:,}" in text
    assert watch.errors == []


@pytest.mark.browser
def test_descent_play_button_walks_the_steps(page, open_widget):
    tab, watch = page
    figure = open_widget(tab, "descent-steps", "light")
    figure.locator("button.play").click()
    wait_until(lambda: int(figure.get_attribute("data-step")) > 100, timeout=30)
    figure.locator("button.play").click()
    assert figure.locator("button.play").text_content() == "Play"
    assert watch.errors == []


@pytest.mark.browser
def test_seed_choice_redraws_the_leakage_sweep(page, open_widget):
    tab, watch = page
    figure = open_widget(tab, "leakage-sweep", "dark")
    before = canvas_pixels(tab, "figure[data-widget='leakage-sweep'] canvas")
    figure.locator("select.seed-select").select_option("3")
    wait_until(lambda: figure.get_attribute("data-seed") == "3")
    assert canvas_pixels(tab, "figure[data-widget='leakage-sweep'] canvas") != before
    assert watch.errors == []


# --------------------------------------------------------------------------- data and alt texts
def test_leakage_sweep_holds_the_recorded_scores(widget_data, widget_module, records):
    data, rec = widget_data("leakage-sweep"), records["leakage"]
    shown = next(s for s in data["seeds"] if s["seed"] == data["shown_seed"])
    assert shown["leaky"][-1] == pytest.approx(rec["facts"]["leaky"], abs=1e-4)
    assert shown["honest"][-1] == pytest.approx(rec["facts"]["honest"], abs=1e-4)
    assert data["features"] == rec["config"]["features"] and len(data["seeds"]) == 5
    alt = widget_module("leakage-sweep").describe(data)
    assert f"{rec['facts']['leaky_min']:.2f} to {rec['facts']['leaky_max']:.2f}" in alt


def test_depth_curve_marks_the_recorded_best_depth(widget_data, widget_module, records):
    data, rec = widget_data("depth-curve"), records["depth_curve"]
    assert data["best_depth"] == rec["facts"]["best_depth"] == data["start_depth"]
    assert len(data["val_folds"]) == len(data["depths"]) and all(len(f) == 5 for f in data["val_folds"])
    widget = widget_module("depth-curve")
    moved = widget.export({"depth_curve": rec}, {"run": "depth_curve", "depth": "7"})
    assert moved["start_depth"] == 7
    assert f"lowest at depth {rec['facts']['best_depth']}" in widget.describe(data)


def test_descent_steps_cross_the_tolerance_where_recorded(widget_data, widget_module, records):
    data, f = widget_data("descent-steps"), records["scaling"]["facts"]
    for side in ("raw", "scaled"):
        s = data[side]
        assert s["steps_to_tolerance"] == f[f"{side}_steps"] == s["step"][-1]
        assert s["excess"][0] > data["tolerance"] >= s["excess"][-1]
    alt = widget_module("descent-steps").describe(data)
    assert f"{f['raw_steps']:,} steps" in alt and f"{f['scaled_steps']:,} steps" in alt


def test_fold_spread_shrinks_as_recorded(widget_data, widget_module, records):
    data, f = widget_data("fold-spread"), records["cv_spread"]["facts"]
    assert data["sizes"] == records["cv_spread"]["config"]["sizes"]
    assert all(len(s) == f["repeats"] * f["folds"] for s in data["fold_scores"])
    assert data["spread"][0] == pytest.approx(f["small_spread"], abs=1e-4)
    assert all(b < a for a, b in zip(data["spread"], data["spread"][1:]))
    alt = widget_module("fold-spread").describe(data)
    assert re.search(rf"falls from {f['small_spread']:.3f} at {f['smallest']}", alt)
