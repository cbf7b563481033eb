"""Lesson 02's page: its references are the ones asked for, and lesson 01 leads here.
(Typed numbers, facts, code that runs: tests/test_every_lesson.py.)"""
from __future__ import annotations

from generator.lessons import load_lesson
from tests.plugin import CONTENT, ROOT


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
