"""Lesson 05 as a reader gets it: its sections in order, code that is code run, numbers
that come from the records rather than being typed into the prose, and the references
the issue asks for."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.cache import Cache
from generator.lessons import load_lesson
from generator.pages import read_region
from generator.progress import Silent
from generator.training import train_lesson

ROOT = Path(__file__).resolve().parent.parent
SLUG = "05-physics-informed-networks"
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
# Files whose code the page shows, and what runs them.
EXECUTED = {
    f"content/{SLUG}/experiments.py": "the build's training stage",
    "generator/authoring.py": "the build's training stage",
}
REFERENCES = [  # (first author, year, venue as the page must name it)
    ("Lagaris", "1998", "IEEE Transactions on Neural Networks 9(5)"),
    ("Raissi", "2019", "Journal of Computational Physics 378"),
    ("Karniadakis", "2021", "Nature Reviews Physics 3"),
    ("Krishnapriyan", "2021", "(NeurIPS)"),
    ("Wang", "2021", "SIAM Journal on Scientific Computing 43(5)"),
    ("Lu", "2021", "Nature Machine Intelligence 3"),
    ("Li", "2021", "International Conference on Learning Representations (ICLR)"),
]


@pytest.fixture(scope="module")
def lesson():
    return load_lesson(ROOT / "content" / SLUG, ROOT)


@pytest.fixture(scope="module")
def facts() -> dict[str, object]:
    paths = train_lesson(ROOT / "content" / SLUG / "experiments.py", SLUG, ROOT,
                         Cache(ROOT / "build" / "test" / "cache"), Silent(), workers=2)
    return {f"{name}.{key}": value for name, path in paths.items()
            for key, value in json.loads(path.read_text())["facts"].items()}


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


def test_every_code_block_is_included_from_an_executed_file(lesson):
    assert "```" not in lesson.body and "~~~" not in lesson.body, "write code in a file and embed it with ::: code"
    code = [e for e in lesson.embeds if e.kind == "code"]
    assert len(code) >= 2
    for embed in code:
        assert embed.name in EXECUTED, f"{embed.name} is shown but nothing runs it"
        assert read_region(ROOT / embed.name, embed.args.get("region")).strip()


def test_physics_loss_uses_autograd_with_create_graph():
    region = read_region(ROOT / "content" / SLUG / "experiments.py", "physics-loss")
    assert region.count("torch.autograd.grad(") == 2 and region.count("create_graph=True") == 2


def _renderings(value: object) -> set[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return set()
    if isinstance(value, int) or float(value).is_integer():
        return {str(int(value))} if abs(value) >= 10 else set()  # small integers are just words
    out = {f"{value:.{d}f}" for d in (1, 2, 3, 4)} | {f"{value:.{d}g}" for d in (2, 3)}
    # zero, and a float that rounds to a small integer ("from 0 to 1"), are just words
    return {s for s in out if not re.fullmatch(r"-?0\.0*|-?\d", s)}


@pytest.mark.slow
def test_no_number_in_the_prose_is_typed_where_a_record_holds_it(lesson, facts):
    prose = re.sub(r"\[\[[^\]]+\]\]", " ", lesson.body)            # numbers filled in from records
    prose = re.sub(r"\$\$.*?\$\$", " ", prose, flags=re.S)          # display formulas
    prose = re.sub(r"\$[^$]*\$", " ", prose)                       # inline formulas
    prose = re.sub(r"<!--.*?-->", " ", prose, flags=re.S)           # notes for authors
    prose = "\n".join(line for line in prose.split("\n") if not line.startswith(":::"))
    literals = set(re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", prose))
    clashes = {lit: name for name, value in facts.items() for lit in literals if lit in _renderings(value)}
    assert clashes == {}, f"write these as [[run.fact]]: {clashes}"


@pytest.mark.slow
def test_every_fact_the_page_names_exists(lesson, facts):
    named = set(re.findall(r"\[\[([\w-]+\.\w+)(?::[^\]]+)?\]\]", lesson.body))
    missing = sorted(n for n in named if facts.get(n) is None)
    assert missing == []
