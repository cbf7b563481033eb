"""Lesson 01 as a reader gets it: its sections in order, code that is code run, and
numbers that come from the records rather than being typed into the prose."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.lessons import load_lesson
from generator.pages import read_region

ROOT = Path(__file__).resolve().parent.parent
SLUG = "01-why-the-weights-move"
SECTIONS = [
    "A network that learns too well",
    "One gradient by hand",
    "From the derivative to NumPy",
    "The same loop in PyTorch",
    "A layer's forward pass",
    "The loss landscape",
    "Reading a loss curve",
    "Watch the model find the function",
    "Three knobs that fix overfitting",
    "Saving and loading weights",
    "What's in here",
    "Prerequisites",
    "Next",
    "References",
]
# Files whose code the page shows and what runs them: the build trains experiments.py and
# imports the generator; the others are run by the tests named here.
EXECUTED = {
    f"content/{SLUG}/experiments.py": "the build's training stage",
    "generator/authoring.py": "the build's training stage",
    f"content/{SLUG}/load_checkpoint.py": "tests/test_lesson01_page.py::test_load_snippet_reproduces_predictions",
}


class Headings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h2: list[str] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        if tag == "h2" and ("class", "toc-title") not in attrs:
            self._in = True
            self.h2.append("")

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in = False

    def handle_data(self, data):
        if self._in:
            self.h2[-1] += data


@pytest.fixture(scope="module")
def lesson():
    return load_lesson(ROOT / "content" / SLUG, ROOT)


def test_sections_in_order(built_site):
    parser = Headings()
    parser.feed((built_site / SLUG / "index.html").read_text())
    titles = [t.replace("#", "").strip() for t in parser.h2]
    assert titles == SECTIONS


def test_the_hook_comes_first(lesson):
    first = lesson.embeds[0]
    assert (first.kind, first.name) == ("widget", "overfit-player")


def test_every_code_block_is_included_from_an_executed_file(lesson):
    assert "```" not in lesson.body and "~~~" not in lesson.body, "write code in a file and embed it with ::: code"
    code = [e for e in lesson.embeds if e.kind == "code"]
    assert len(code) >= 4
    for embed in code:
        assert embed.name in EXECUTED, f"{embed.name} is shown but nothing runs it"
        assert read_region(ROOT / embed.name, embed.args.get("region")).strip()


def _facts(built_site) -> dict[str, object]:
    """Every fact of every run of the lesson, from the build's cache entry."""
    from generator.cache import Cache
    from generator.training import cached_records

    facts = {}
    for name, record in cached_records(Cache(ROOT / "build" / "test" / "cache"), SLUG).items():
        for key, value in json.loads(record.read_text())["facts"].items():
            facts[f"{name}.{key}"] = value
    return facts


def _renderings(value: object) -> set[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return set()
    if isinstance(value, int) or float(value).is_integer():
        return {str(int(value))} if abs(value) >= 10 else set()  # small integers are just words
    out = {f"{value:.{d}f}" for d in (2, 3, 4)} | {f"{value:.{d}g}" for d in (2, 3)}
    return {s for s in out if not re.fullmatch(r"-?0\.0*", s)}


def test_no_number_in_the_prose_is_typed_where_a_record_holds_it(built_site, lesson):
    facts = _facts(built_site)
    prose = re.sub(r"\[\[[^\]]+\]\]", " ", lesson.body)            # numbers filled in from records
    prose = re.sub(r"\$[^$]*\$", " ", prose)                      # formulas
    prose = "\n".join(line for line in prose.split("\n") if not line.startswith(":::"))
    literals = set(re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", prose))
    clashes = {lit: name for name, value in facts.items() for lit in literals if lit in _renderings(value)}
    assert clashes == {}, f"write these as [[run.fact]]: {clashes}"


def test_numbers_on_the_page_match_the_records(built_site):
    facts = _facts(built_site)
    html = (built_site / SLUG / "index.html").read_text()
    shown = re.findall(r'<span class="fact" data-fact="([\w-]+\.\w+)">([^<]+)</span>', html)
    assert len(shown) >= 6
    for name, text in shown:
        value = facts[name]
        number = float(text.replace(",", "").rstrip("%")) / (100 if text.endswith("%") else 1)
        assert number == pytest.approx(value, rel=0.06, abs=0.006), name


def test_load_snippet_reproduces_predictions(built_site, built_records):
    """The page's loading code, run on every published network checkpoint."""
    import importlib.util
    import sys

    import torch

    lesson_dir = ROOT / "content" / SLUG
    sys.path.insert(0, str(lesson_dir))
    try:
        spec = importlib.util.spec_from_file_location("load_checkpoint", lesson_dir / "load_checkpoint.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        checked = 0
        overfit = json.loads(built_records[f"{SLUG}/overfit"].read_text())
        grid = torch.tensor(overfit["constants"]["grid"], dtype=torch.float32).reshape(-1, 1)  # shared by all runs
        for path in sorted((built_site / SLUG / "downloads").glob("*/model.pt")):
            record = json.loads(built_records[f"{SLUG}/{path.parent.name}"].read_text())
            model = module.load(str(path), record["config"].get("dropout", 0.0))
            with torch.no_grad():
                prediction = model(grid).squeeze(1).tolist()
            assert prediction == record["snapshots"]["prediction"][-1], path
            checked += 1
        assert checked >= 10  # the overfit network and the nine regularised ones
    finally:
        sys.path.remove(str(lesson_dir))


def _section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start:html.index("</section>", start)]


def test_whats_in_here_lists_what_the_learner_takes_away(built_site, lesson):
    """The items come from the front matter's `learn:`, not from the figure captions."""
    import html as html_lib

    page = (built_site / SLUG / "index.html").read_text()
    section = html_lib.unescape(_section(page, "whats-in-here"))
    assert len(lesson.meta["learn"]) >= 7
    for item in lesson.meta["learn"]:
        assert f"<li>{item}</li>" in section
    for needle in ("1-D slice", "by hand", "NumPy", "autograd", "forward, loss, zero, backward, step",
                   "5-hidden-layer, 128-wide MLP", "Three regularisers", "torch.save"):
        assert needle in section, needle
    assert "Interactive figure" not in section


def test_next_gives_each_lesson_its_reason(built_site, lesson):
    import html as html_lib

    page = (built_site / SLUG / "index.html").read_text()
    section = html_lib.unescape(_section(page, "next"))
    reasons = lesson.meta["next_reasons"]
    assert set(reasons) == {"02", "05"}
    assert "tabular workflow" in reasons["02"] and "PyTorch training loop" in reasons["02"]
    assert "loss function knows physics" in reasons["05"]
    for number, why in reasons.items():
        assert f'<p class="next-why">{why}</p>' in section, number


@pytest.mark.slow
def test_the_player_slider_moves_through_the_whole_run(page, server, built_site):
    """Every slider step is a snapshot; together they reach the last epoch with no leap.

    Walking the slider with the keyboard from Home to End, each step moves the epoch by
    one or by at most 0.1 decades on log10(epoch + 1), and the last step shows the last epoch.
    """
    import math

    tab, watch = page
    tab.goto(server.url(f"{SLUG}/index.html"))
    # Widgets mount as they near the viewport: bring this one there first.
    tab.locator("figure[data-widget='overfit-player']").first.scroll_into_view_if_needed()
    tab.wait_for_selector("figure[data-widget='overfit-player'][data-ready='true']")
    player = tab.locator("figure[data-widget='overfit-player']").first
    data = json.loads((built_site / SLUG / "data" / "overfit-player--overfit.json").read_text())
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
