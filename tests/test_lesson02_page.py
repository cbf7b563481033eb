"""Lesson 02's page: its code comes from files that ran, its numbers from the records."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.lessons import load_lesson
from generator.pages import read_region

ROOT = Path(__file__).resolve().parent.parent
SLUG = "02-a-first-model-with-scikit-learn"
EXPERIMENTS = f"content/{SLUG}/experiments.py"


@pytest.fixture(scope="module")
def lesson():
    return load_lesson(ROOT / "content" / SLUG, ROOT)


def test_every_code_block_is_a_region_of_the_experiments_the_build_runs(lesson):
    assert "```" not in lesson.body and "~~~" not in lesson.body, "write code in a file and embed it with ::: code"
    code = [e for e in lesson.embeds if e.kind == "code"]
    assert len(code) >= 8
    for embed in code:
        assert embed.name == EXPERIMENTS, f"{embed.name} is shown but the build does not run it"
        assert read_region(ROOT / embed.name, embed.args["region"]).strip()


def test_references_are_the_five_the_issue_lists(lesson):
    texts = [r["text"] for r in lesson.meta["references"]]
    expected = [("Pedregosa", "2011", "JMLR 12"), ("Hastie, Tibshirani & Friedman", "2009", "§7.10"),
                ("Kohavi", "1995", "IJCAI"), ("Varoquaux", "2018", "NeuroImage 180"),
                ("Kaufman, Rosset, Perlich & Stitelman", "2012", "ACM TKDD 6(4)")]
    assert len(texts) == len(expected)
    for text, words in zip(texts, expected):
        assert all(w in text for w in words), text


def test_lesson_01_leads_here(built_site):
    assert load_lesson(ROOT / "content" / "01-why-the-weights-move", ROOT).meta["next"][0] == "02"
    assert (built_site / SLUG / "index.html").is_file()


def _facts() -> dict[str, object]:
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
        return {str(int(value)), f"{int(value):,}"} if abs(value) >= 10 else set()  # small integers are words
    out = {f"{value:.{d}f}" for d in (1, 2, 3, 4)} | {f"{value:.{d}g}" for d in (2, 3)}
    return {s for s in out if not re.fullmatch(r"-?0\.0*", s)}


@pytest.mark.slow
def test_no_number_in_the_prose_is_typed_where_a_record_holds_it(built_site, lesson):
    facts = _facts()
    prose = re.sub(r"\[\[[^\]]+\]\]", " ", lesson.body)       # numbers filled in from records
    prose = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", prose, flags=re.S)  # formulas
    prose = "\n".join(line for line in prose.split("\n") if not line.startswith(":::"))
    literals = set(re.findall(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w.])", prose))
    clashes = {lit: name for name, value in facts.items() for lit in literals if lit in _renderings(value)}
    assert clashes == {}, f"write these as [[run.fact]]: {clashes}"


@pytest.mark.slow
def test_numbers_on_the_page_match_the_records(built_site):
    facts = _facts()
    html = (built_site / SLUG / "index.html").read_text()
    shown = re.findall(r'<span class="fact" data-fact="([\w-]+\.\w+)">([^<]+)</span>', html)
    assert len(shown) >= 60
    for name, text in shown:
        value = facts[name]
        if isinstance(value, str):
            assert text == value, name
            continue
        number = float(text.replace(",", "").rstrip("%")) / (100 if text.endswith("%") else 1)
        assert number == pytest.approx(value, rel=0.06, abs=0.006), name
