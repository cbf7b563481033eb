"""The lesson's three widgets in headless Chromium, in both themes, on the built page: what
they show must be what the records (PyTorch) say."""
from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def set_value(element, value) -> None:
    element.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : "
                     "'input', { bubbles: true })); }", str(value))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_filter_explorer_predicts_what_pytorch_predicts(page, open_widget, records, scheme):
    tab, watch = page
    figure = open_widget(tab, "filter-explorer", scheme)
    const = records["networks"]["constants"]
    scores = np.asarray(const["example_scores"])   # (digit, dy, dx, class)
    shifts = const["example_shifts"]
    for k, (dx, dy) in [(0, (0, 0)), (3, (1, 0)), (7, (0, -2)), (9, (2, 1))]:
        figure.locator(f"[data-example='{k}']").click()
        set_value(figure.locator("select.fx-dx"), dx)
        set_value(figure.locator("select.fx-dy"), dy)
        tab.wait_for_function("([el, s]) => el.dataset.shift === s", arg=[figure.element_handle(), f"{dx},{dy}"])
        expected = int(scores[k, shifts.index(dy), shifts.index(dx)].argmax())
        assert figure.get_attribute("data-prediction") == str(expected)
        assert f"says {expected} " in figure.locator(".widget-readout").inner_text()
    assert watch.errors == []


def test_filter_explorer_paints(page, open_widget):
    """Clear empties the grid; a click inks one pixel; a drag down the middle inks a stroke."""
    tab, watch = page
    figure = open_widget(tab, "filter-explorer")
    handle = figure.element_handle()
    figure.locator(".fx-clear").click()
    tab.wait_for_function("el => el.dataset.source === 'your drawing' && el.dataset.ink === '0'", arg=handle)
    box = figure.locator(".fx-digit").bounding_box()
    x = box["x"] + box["width"] * 0.5 + 2           # inside column 4 of 0-7
    tab.mouse.click(x, box["y"] + box["height"] * 0.1)
    tab.wait_for_function("el => el.dataset.ink === '1'", arg=handle)
    tab.mouse.move(x, box["y"] + box["height"] * 0.1)
    tab.mouse.down()
    for k in range(2, 10):
        tab.mouse.move(x, box["y"] + box["height"] * (k / 10 - 0.01), steps=3)
    tab.mouse.up()
    tab.wait_for_function("el => Number(el.dataset.ink) >= 6", arg=handle)
    assert figure.locator(".widget-readout").inner_text().startswith("Your drawing, unshifted: the network says ")
    assert watch.errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_kernel_slide_sums_equal_the_recorded_map(page, open_widget, records, scheme):
    tab, watch = page
    figure = open_widget(tab, "kernel-slide", scheme)
    output = np.asarray(records["by_hand"]["constants"]["output"])
    for step in (0, 27, 45, 63):
        set_value(figure.locator("input[type=range]"), step)
        tab.wait_for_function("([el, s]) => el.dataset.step === s", arg=[figure.element_handle(), str(step)])
        assert float(figure.get_attribute("data-sum")) == pytest.approx(output[step // 8, step % 8], abs=1e-6)
    assert watch.errors == []


def test_shift_accuracy_reads_the_record(page, open_widget, records):
    tab, watch = page
    figure = open_widget(tab, "shift-accuracy")
    const = records["networks"]["constants"]
    set_value(figure.locator("select"), "vertical")
    set_value(figure.locator("input[type=range]"), -2)
    tab.wait_for_function("el => el.dataset.axis === 'vertical' && el.dataset.shift === '-2'", arg=figure.element_handle())
    text = figure.locator(".widget-readout").inner_text()
    at = const["shifts"].index(-2)
    assert f"small CNN {100 * const['cnn_vertical'][at]:.1f}%" in text
    assert f"dense network {100 * const['dense_vertical'][at]:.1f}%" in text
    assert watch.errors == []
