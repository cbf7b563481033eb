"""Lesson 02's page: its code comes from files that ran, its references are the ones asked
for, and lesson 01 leads here. (Typed numbers and filled facts: tests/test_every_lesson.py.)"""
from __future__ import annotations

from generator.lessons import load_lesson
from generator.snippets import read_region
from tests.plugin import CONTENT, ROOT


def test_every_code_block_is_a_region_of_the_experiments_the_build_runs(lesson):
    assert "```" not in lesson.body and "~~~" not in lesson.body, "write code in a file and embed it with ::: code"
    code = [e for e in lesson.embeds if e.kind == "code"]
    assert len(code) >= 8
    for embed in code:
        assert embed.name == f"content/{lesson.slug}/experiments.py", f"{embed.name} is shown but the build does not run it"
        assert read_region(ROOT / embed.name, embed.args["region"]).strip()


def test_references_are_the_five_the_issue_lists(lesson):
    texts = [r["text"] for r in lesson.meta["references"]]
    expected = [("Pedregosa", "2011", "JMLR 12"), ("Hastie, Tibshirani & Friedman", "2009", "§7.10"),
                ("Kohavi", "1995", "IJCAI"), ("Varoquaux", "2018", "NeuroImage 180"),
                ("Kaufman, Rosset, Perlich & Stitelman", "2012", "ACM TKDD 6(4)")]
    assert len(texts) == len(expected)
    for text, words in zip(texts, expected):
        assert all(w in text for w in words), text


def test_lesson_01_leads_here():
    [first] = CONTENT.glob("01-*")
    assert load_lesson(first, ROOT).meta["next"][0] == "02"
