"""Lesson 04 as a reader gets it: the references the issue asks for, each cited; code
shown is code run; numbers come from records, not typed; the scene keeps to the rules."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from generator.pages import read_region
from tests.plugin import ROOT

LESSON = Path(__file__).resolve().parent.parent
REFERENCES = [("Fukushima", "1980"), ("LeCun", "1998"), ("Dumoulin", "2016"), ("Olah", "2017"), ("Alpaydin", "1998")]


@pytest.fixture(scope="module")
def fresh_facts(run_seeds) -> dict[str, dict]:
    return {name: run_seeds(name, [0])[0]["facts"] for name in ("by_hand", "networks")}


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


def _renderings(value: object) -> set[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return set()
    if isinstance(value, int) or float(value).is_integer():
        return {str(int(value)), f"{int(value):,}"} if abs(value) >= 10 else set()
    out = {f"{value:.{d}f}" for d in (1, 2, 3, 4)} | {f"{value:.{d}g}" for d in (2, 3)}
    out |= {f"{100 * value:.{d}f}%" for d in (0, 1)} if 0 < abs(value) <= 1 else set()
    return {s for s in out if not re.fullmatch(r"-?0\.0*|-?\d", s)}


@pytest.mark.slow
def test_no_number_in_the_prose_is_typed_where_a_record_holds_it(lesson, fresh_facts):
    prose = re.sub(r"\[\[[^\]]+\]\]", " ", lesson.body)
    prose = re.sub(r"\$\$.*?\$\$", " ", prose, flags=re.S)
    prose = re.sub(r"\$[^$]*\$", " ", prose)
    prose = "\n".join(line for line in prose.split("\n") if not line.startswith(":::"))
    literals = set(re.findall(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?%?(?![\w.])", prose))
    clashes = {lit: name for name, facts in fresh_facts.items() for fact, value in facts.items()
               for lit in literals if lit in _renderings(value)}
    assert clashes == {}, f"write these as [[run.fact]]: {clashes}"


@pytest.mark.slow
def test_every_fact_the_page_names_exists(lesson, fresh_facts):
    named = re.findall(r"\[\[(\w+)\.(\w+)(?::[^\]]+)?\]\]", lesson.body)
    missing = sorted(f"{run}.{fact}" for run, fact in named if fresh_facts.get(run, {}).get(fact) is None)
    assert missing == []


def test_scene_construct_is_a_short_list_of_named_steps():
    tree = ast.parse((LESSON / "scenes" / "kernel_slides.py").read_text())
    construct = next(node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "construct")
    assert construct.end_lineno - construct.lineno < 40
    assert all(isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) for s in construct.body)


def test_scene_text_is_at_least_a_twentieth_of_the_frame():
    source = (LESSON / "scenes" / "kernel_slides.py").read_text()
    text = float(re.search(r"^TEXT = (\d+)", source, flags=re.M).group(1))
    assert text / 72 >= 8 / 20           # em per font_size unit, frame 8 units high
    sizes = re.findall(r"label\([^)]*size=([^,)]+)", source)
    assert sizes and all(size.strip() == "TEXT" for size in sizes), sizes
