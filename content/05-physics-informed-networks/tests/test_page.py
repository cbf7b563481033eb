"""Lesson 05 as a reader gets it: its sections in order, the references the issue asks
for, and its physics loss. (Typed numbers, facts, code that runs: tests/test_every_lesson.py.)"""
from __future__ import annotations

import re

from generator.snippets import read_region

SECTIONS = [
    "Try it first",
    "The problem",
    "The physics loss",
    "The extrapolation tax",
    "Why a first PINN trains to a flat line",
    "The weight between data and physics",
    "An inverse problem: learning the damping",
    "Where this leads",
]
REFERENCES = [  # (first author, year, venue as the page must name it)
    ("Lagaris", "1998", "IEEE Transactions on Neural Networks 9(5)"),
    ("Raissi", "2019", "Journal of Computational Physics 378"),
    ("Karniadakis", "2021", "Nature Reviews Physics 3"),
    ("Krishnapriyan", "2021", "(NeurIPS)"),
    ("Wang", "2021", "SIAM Journal on Scientific Computing 43(5)"),
    ("Lu", "2021", "Nature Machine Intelligence 3"),
    ("Li", "2021", "International Conference on Learning Representations (ICLR)"),
    ("Moseley", "2021", "Blog post"),  # the tutorial whose set-up the lesson follows
]


def test_sections_in_order(lesson):
    titles = re.findall(r"^## (.+)$", lesson.body, flags=re.M)
    assert titles == SECTIONS


def test_references_are_the_ones_asked_for(lesson):
    refs = lesson.meta["references"]
    assert len(refs) == len(REFERENCES)
    for ref, (author, year, venue) in zip(refs, REFERENCES):
        assert ref["text"].startswith(author) and f"({year})" in ref["text"] and venue in ref["text"], ref["text"]
        assert ref["url"].startswith("https://")


def test_prerequisite_is_lesson_01(lesson):
    assert any("Lesson 01" in p for p in lesson.meta["prerequisites"])


def test_physics_loss_uses_autograd_with_create_graph(lesson):
    region = read_region(lesson.folder / "experiments.py", "physics-loss")
    assert region.count("torch.autograd.grad(") == 2 and region.count("create_graph=True") == 2
