"""Lesson 03 as written: the references the issue asks for, each cited; numbers filled from
records rather than typed; code on the page taken from the file the build runs; and the
published page carrying its widgets and video."""
from __future__ import annotations

import re

import pytest

from generator.pages import read_region
from tests.plugin import ROOT

CITED = {  # key: (first author, year)
    "polyak1964": ("Polyak", "1964"),
    "nesterov1983": ("Nesterov", "1983"),
    "sutskever2013": ("Sutskever", "2013"),
    "tieleman2012": ("Tieleman", "2012"),
    "kingma2015": ("Kingma", "2015"),
    "loshchilov2019": ("Loshchilov", "2019"),
    "goh2017": ("Goh", "2017"),
}


def test_every_reference_asked_for_is_listed_and_cited(lesson):
    references = {ref["key"]: ref["text"] for ref in lesson.meta["references"]}
    assert set(references) == set(CITED)
    for key, (author, year) in CITED.items():
        assert references[key].startswith(author) and f"({year})" in references[key]
        assert re.search(rf"\[@[^\]]*\b{key}\b", lesson.body), f"{key} is listed but never cited"


def test_prerequisites_name_lesson_01_and_lesson_02s_scaling(lesson):
    prerequisites = " ".join(lesson.meta["prerequisites"])
    assert "Lesson 01" in prerequisites and "Lesson 02" in prerequisites and "scaling" in prerequisites


def test_code_on_the_page_is_the_code_the_runs_use(lesson):
    assert "```" not in lesson.body, "write code in experiments.py and embed it with ::: code"
    experiments = f"content/{lesson.slug}/experiments.py"
    embeds = [e for e in lesson.embeds if e.kind == "code"]
    assert {e.args.get("region") for e in embeds} >= {"gd", "heavy-ball", "nesterov", "rmsprop", "adam",
                                                       "torch-optimisers", "three-optimisers"}
    for embed in embeds:
        assert embed.name == experiments
        assert read_region(ROOT / embed.name, embed.args.get("region")).strip()


@pytest.mark.slow
def test_the_page_has_its_widgets_video_and_filled_facts(page_html):
    for widget in ("valley-race", "lr-sweep", "adam-steps"):
        assert f'data-widget="{widget}"' in page_html
    assert "heavy-ball-light.mp4" in page_html and "heavy-ball-dark.mp4" in page_html
    assert "[[" not in page_html
