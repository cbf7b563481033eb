"""Lesson 04 as a reader gets it: the references the issue asks for, each cited; code
shown is code run; the scene's text is large enough for a phone. (Typed numbers, filled
facts and short construct() bodies are checked for every lesson: tests/test_every_lesson.py,
tests/test_render.py.)"""
from __future__ import annotations

import re
from pathlib import Path

from generator.pages import read_region
from tests.plugin import ROOT

LESSON = Path(__file__).resolve().parent.parent
REFERENCES = [("Fukushima", "1980"), ("LeCun", "1998"), ("Dumoulin", "2016"), ("Olah", "2017"), ("Alpaydin", "1998")]


def test_references_are_the_ones_asked_for_and_each_is_cited(lesson):
    refs = lesson.meta["references"]
    assert [(r["text"].split(" ")[0].rstrip(","), re.search(r"\((\d{4})\)", r["text"]).group(1)) for r in refs] == REFERENCES
    for ref in refs:
        assert ref["url"].startswith("https://")
        assert f"[@{ref['key']}]" in lesson.body, f"{ref['key']} is never cited"


def test_front_matter_says_what_to_learn_what_to_know_and_what_next(lesson):
    assert len(lesson.meta["learn"]) >= 5
    assert any("Lesson 01" in p for p in lesson.meta["prerequisites"])
    import yaml

    front = yaml.safe_load(lesson.source.read_text().split("---")[1])
    assert front["next"] and all(item["lesson"] and item["why"] for item in front["next"])


def test_code_shown_is_code_run(lesson):
    assert "```" not in lesson.body, "write code in experiments.py and embed it with ::: code"
    code = [e for e in lesson.embeds if e.kind == "code"]
    assert {e.args.get("region") for e in code} >= {"by-hand", "against-torch", "networks", "shift", "receptive-field"}
    for embed in code:
        assert embed.name == "content/04-convolutions/experiments.py"
        assert read_region(ROOT / embed.name, embed.args.get("region")).strip()


def test_conv2d_named_a_cross_correlation(lesson):
    assert "*cross-correlation*" in lesson.body and "conv2d" in lesson.body


def test_scene_text_is_at_least_a_twentieth_of_the_frame():
    source = (LESSON / "scenes" / "kernel_slides.py").read_text()
    text = float(re.search(r"^TEXT = (\d+)", source, flags=re.M).group(1))
    assert text / 72 >= 8 / 20           # em per font_size unit, frame 8 units high
    sizes = re.findall(r"label\([^)]*size=([^,)]+)", source)
    assert sizes and all(size.strip() == "TEXT" for size in sizes), sizes
