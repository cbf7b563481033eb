"""One design for every interactive figure, seen in Chromium: legible labels, styled
controls in both themes, readouts with proper signs, charts one can drag, and on a phone
a chart and its slider on screen together.

The widgets are found from the lesson's embeds, so a new widget is checked too.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.lessons import load_lesson
from tests.plugin import ROOT

pytestmark = pytest.mark.browser
LESSON = Path(__file__).parents[1].name
WIDGETS = sorted({e.name for e in load_lesson(ROOT / "content" / LESSON, ROOT).embeds if e.kind == "widget"})
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def lesson_tab(browser, server):
    """lesson_tab(scheme="light", viewport=desktop) -> a tab on lesson 01 with every widget mounted."""
    contexts = []

    def opener(scheme: str = "light", viewport: dict | None = None):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, color_scheme=scheme)
        contexts.append(context)
        tab = context.new_page()
        tab.goto(server.url(f"{LESSON}/"))
        for name in WIDGETS:
            # Widgets mount as they near the viewport: bring this one there first.
            tab.locator(f"figure[data-widget='{name}']").first.scroll_into_view_if_needed()
            tab.wait_for_selector(f"figure[data-widget='{name}'][data-ready='true']")
        return tab

    yield opener
    for context in contexts:
        context.close()


def figure(tab, name):
    located = tab.locator(f"figure[data-widget='{name}']")
    located.scroll_into_view_if_needed()
    return located


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_in_figures_is_at_least_12_px(lesson_tab, scheme):
    tab = lesson_tab(scheme)
    small = tab.evaluate("""() => {
        const out = [];
        for (const f of document.querySelectorAll('figure.widget .widget-live')) {
          const walker = document.createTreeWalker(f, NodeFilter.SHOW_TEXT);
          while (walker.nextNode()) {
            const el = walker.currentNode.parentElement;
            if (!walker.currentNode.textContent.trim() || !el.getClientRects().length) continue;
            const size = parseFloat(getComputedStyle(el).fontSize);
            if (size < 12) out.push(`${el.className || el.tagName}: ${size}px`);
          }
          for (const c of f.querySelectorAll('canvas')) {
            const size = parseFloat(c.getContext('2d').font);
            if (size < 12) out.push(`canvas ${c.className}: ${size}px`);
          }
        }
        return out;
    }""")
    assert small == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_controls_are_styled_from_the_palette(lesson_tab, scheme):
    tab = lesson_tab(scheme)
    accent = tab.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
    rgb = tab.evaluate(f"""() => {{ const e = document.createElement('i'); e.style.color = '{accent}';
        document.body.append(e); const c = getComputedStyle(e).color; e.remove(); return c; }}""")
    styles = tab.evaluate("""() => ({
        ranges: [...document.querySelectorAll('figure.widget input[type=range]')].map(i => getComputedStyle(i).appearance),
        buttons: [...document.querySelectorAll('figure.widget .widget-button')].map(b => [getComputedStyle(b).backgroundColor, b.getBoundingClientRect().height]),
        selects: [...document.querySelectorAll('figure.widget select')].map(s => [parseFloat(getComputedStyle(s).fontSize), s.getBoundingClientRect().height]),
        radios: document.querySelectorAll('figure.widget input[type=radio], figure.widget fieldset').length,
    })""")
    assert styles["ranges"] and set(styles["ranges"]) == {"none"}, "sliders keep the browser's default look"
    assert styles["buttons"] and all(bg == rgb and h >= 32 for bg, h in styles["buttons"]), styles["buttons"]
    assert all(size >= 14 and h >= 32 for size, h in styles["selects"]), styles["selects"]
    assert styles["radios"] == 0, "a choice is a segmented control, not a fieldset of radio buttons"


def test_segmented_controls_show_one_choice_and_switch(lesson_tab):
    tab = lesson_tab()
    groups = tab.locator("figure.widget .segmented")
    assert groups.count() >= 2
    for g in range(groups.count()):
        group = groups.nth(g)
        group.scroll_into_view_if_needed()
        buttons = group.locator("button")
        assert group.get_attribute("role") == "group" and group.get_attribute("aria-labelledby")
        assert [buttons.nth(i).get_attribute("aria-pressed") for i in range(buttons.count())].count("true") == 1
        buttons.last.click()
        pressed = [buttons.nth(i).get_attribute("aria-pressed") for i in range(buttons.count())]
        assert pressed == ["false"] * (buttons.count() - 1) + ["true"]


def test_readouts_print_signs_properly(lesson_tab):
    tab = lesson_tab()
    layer = figure(tab, "layer-playground")
    text = layer.evaluate("""(f) => {
        for (const [name, v] of Object.entries({x: 1, w: 1.5, b: -0.5})) {
          const input = f.querySelector(`.${name}-slider`);
          input.value = String(v);
          input.dispatchEvent(new Event('input', { bubbles: true }));
        }
        return f.querySelector('.layer-equation').textContent;
    }""")
    assert "1.5 × 1.0 − 0.5" in text, text
    readouts = " ".join(tab.eval_on_selector_all("figure.widget .widget-readout", "rs => rs.map(r => r.textContent)"))
    assert not re.search(r"[+−-]\s*[+−-]\s*\d", readouts), "a sign doubled, like '+ -0.5'"
    assert not re.search(r"(?<![\w.])-\d", readouts), "a hyphen where a minus sign belongs"


def drag(tab, canvas, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press at `start`, move to `end`, release; fractions of the canvas's width and height."""
    box = canvas.bounding_box()
    at = lambda fx, fy: (box["x"] + fx * box["width"], box["y"] + fy * box["height"])  # noqa: E731
    tab.mouse.move(*at(*start))
    tab.mouse.down()
    for k in range(1, 6):
        fx = start[0] + (end[0] - start[0]) * k / 5
        fy = start[1] + (end[1] - start[1]) * k / 5
        tab.mouse.move(*at(fx, fy))
    tab.mouse.up()


def test_drag_the_epoch_marker_on_loss_charts(lesson_tab):
    tab = lesson_tab()
    for name, canvas in [("loss-curve-reading", ".curve-canvas"), ("overfit-player", ".loss-canvas")]:
        fig = figure(tab, name)
        epochs = []
        for fx in (0.3, 0.6, 0.95):
            drag(tab, fig.locator(canvas), (0.9, 0.5), (fx, 0.5))
            epochs.append(int(fig.get_attribute("data-epoch")))
        assert epochs == sorted(epochs) and len(set(epochs)) == 3, (name, epochs)
        slider = fig.locator(".epoch-slider")
        assert slider.get_attribute("aria-valuetext").startswith(f"Epoch {epochs[-1]} ")


def test_drag_the_point_on_the_loss_landscape(lesson_tab):
    tab = lesson_tab()
    fig = figure(tab, "loss-landscape")
    canvas = fig.locator(".landscape-canvas")
    assert int(fig.get_attribute("data-step")) == 0
    w0, loss0 = float(fig.get_attribute("data-w")), float(fig.get_attribute("data-loss"))
    # The point starts high on one side of the parabola; drag it down towards the bottom.
    drag(tab, canvas, (0.2, 0.3), (0.55, 0.9))
    step = int(fig.get_attribute("data-step"))
    assert step > 0, "dragging towards the minimum moved no step"
    assert float(fig.get_attribute("data-loss")) < loss0
    assert fig.locator(".step-slider").input_value() == str(step)
    drag(tab, canvas, (0.55, 0.9), (0.0, 0.0))
    assert int(fig.get_attribute("data-step")) == 0 and float(fig.get_attribute("data-w")) == w0


@pytest.mark.parametrize("name", ["overfit-player", "loss-landscape", "three-knobs"])
def test_on_a_phone_chart_and_slider_are_on_screen_together(lesson_tab, name):
    tab = lesson_tab("light", PHONE)
    fig = figure(tab, name)
    canvases = fig.locator("canvas")
    slider = fig.locator("input[type=range]").first
    assert canvases.count() == 2
    for i in range(2):
        # Bring each chart to the middle of the screen, as a reader scrolling to it would.
        canvases.nth(i).evaluate("c => c.scrollIntoView({ block: 'center' })")
        chart, control = canvases.nth(i).bounding_box(), slider.bounding_box()
        assert 0 <= control["y"] and control["y"] + control["height"] <= PHONE["height"], (name, i, control)
        visible = min(chart["y"] + chart["height"], PHONE["height"]) - max(chart["y"], 0)
        assert visible >= 0.6 * chart["height"], (name, i, chart)
        overlap = min(chart["y"] + chart["height"], control["y"] + control["height"]) - max(chart["y"], control["y"])
        assert overlap <= 0.4 * chart["height"], "the controls hide most of the chart"


def test_captions_do_not_say_left_or_right(page_html):
    captions = re.findall(r'<figure class="widget".*?<figcaption>(.*?)</figcaption>', page_html, re.S)
    assert len(captions) == len(WIDGETS) or len(captions) >= 4
    positional = [c for c in captions if re.search(r"\b(left|right)\b", c, re.I)]
    assert positional == [], "panels stack on phones: name them, not their place"
