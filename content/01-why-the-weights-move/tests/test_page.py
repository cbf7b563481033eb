"""Lesson 01 as a reader gets it: its sections in order, the downloads its loading code
reads, what the learner takes away and where to go next. (Typed numbers, facts, code
that runs: tests/test_every_lesson.py.)"""
from __future__ import annotations

import html as html_lib
from html.parser import HTMLParser


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


def test_sections_in_order(page_html):
    parser = Headings()
    parser.feed(page_html)
    titles = [t.replace("#", "").strip() for t in parser.h2]
    assert titles == SECTIONS


def test_the_hook_comes_first(lesson):
    first = lesson.embeds[0]
    assert (first.kind, first.name) == ("widget", "overfit-player")


def test_load_snippet_reproduces_predictions(built_site, records, lesson):
    """The page's loading code, run on every published network checkpoint."""
    import importlib.util
    import sys

    import torch

    lesson_dir = lesson.folder
    sys.path.insert(0, str(lesson_dir))
    try:
        spec = importlib.util.spec_from_file_location("load_checkpoint", lesson_dir / "load_checkpoint.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        checked = 0
        overfit = records["overfit"]
        grid = torch.tensor(overfit["constants"]["grid"], dtype=torch.float32).reshape(-1, 1)  # shared by all runs
        for path in sorted((built_site / lesson.slug / "downloads").glob("*/model.pt")):
            record = records[path.parent.name]
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


def test_whats_in_here_lists_what_the_learner_takes_away(page_html, lesson):
    """The items come from the front matter's `learn:`, not from the figure captions."""
    section = html_lib.unescape(_section(page_html, "whats-in-here"))
    assert len(lesson.meta["learn"]) >= 7
    for item in lesson.meta["learn"]:
        assert f"<li>{item}</li>" in section
    for needle in ("1-D slice", "by hand", "NumPy", "autograd", "forward, loss, zero, backward, step",
                   "5-hidden-layer, 128-wide MLP", "Three regularisers", "torch.save"):
        assert needle in section, needle
    assert "Interactive figure" not in section


def test_next_gives_each_lesson_its_reason(page_html, lesson):
    section = html_lib.unescape(_section(page_html, "next"))
    reasons = lesson.meta["next_reasons"]
    assert set(reasons) == {"02", "05"}
    assert "tabular workflow" in reasons["02"] and "PyTorch training loop" in reasons["02"]
    assert "loss function knows physics" in reasons["05"]
    for number, why in reasons.items():
        assert f'<p class="next-why">{why}</p>' in section, number
