"""Unit tests of the pure pieces: cache keys, embeds, regions, encodings, math, theme."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import theme
from generator.cache import Cache, key_of
from generator.errors import BuildError
from generator.lessons import parse_embed
from generator.markdown_ext import to_mathml
from generator.authoring import Recorder
from generator.snippets import read_region
from generator.sources import local_imports
from generator.widget_api import rounded, thin_log
from generator.widgets import catalogue, check_embed


def test_key_ignores_order_but_not_values():
    assert key_of({"a": "1", "b": "2"}) == key_of({"b": "2", "a": "1"})
    assert key_of({"a": "1"}) != key_of({"a": "2"})
    assert key_of({"a": "1"}) != key_of({"b": "1"})


def test_cache_entry_appears_only_when_committed(tmp_path):
    cache = Cache(tmp_path)
    inputs = {"source": "abc"}
    pending = cache.begin("runs", "lesson", inputs)
    pending.file("r.json").write_text("{}")
    assert cache.lookup("runs", "lesson", inputs) is None  # half-written: not fresh
    entry = pending.commit()
    assert cache.lookup("runs", "lesson", inputs) == entry
    assert cache.why("runs", "lesson", {"source": "abd"}) == "changed: source"
    assert cache.why("runs", "other", inputs) == "not built before"


def test_prune_keeps_only_used_entries(tmp_path):
    first = Cache(tmp_path)
    first.begin("s", "n", {"v": "1"}).commit()
    second = Cache(tmp_path)
    kept = second.begin("s", "n", {"v": "2"}).commit()
    assert second.prune() == 1
    assert [p.name for p in (tmp_path / "s" / "n").iterdir() if p.is_dir()] == [kept.key]


def test_pruning_and_leftovers_never_follow_a_link_out_of_the_cache(tmp_path):
    outside = tmp_path / "outside"
    (outside / "0123abcd").mkdir(parents=True)
    (outside / ".tmp-0123-1").mkdir()
    (outside / "0123abcd" / "precious.txt").write_text("keep")
    cache_dir = tmp_path / "cache"
    cache = Cache(cache_dir)
    cache.begin("s", "n", {"v": "1"}).commit()
    (cache_dir / "s" / "victim").symlink_to(outside)
    (cache_dir / "linked").symlink_to(outside)
    cache.remove_leftovers()
    Cache(cache_dir).prune()
    assert (outside / "0123abcd" / "precious.txt").read_text() == "keep"
    assert (outside / ".tmp-0123-1").is_dir()


def test_embed_parsing():
    embed = parse_embed("widget", 'overfit-player run=overfit | A caption | with a bar', Path("l.md"), 7, Path("."))
    assert (embed.name, embed.args, embed.caption, embed.line) == (
        "overfit-player", {"run": "overfit"}, "A caption | with a bar", 7)


@pytest.mark.parametrize("rest, message", [
    ("overfit-player run", "is not key=value"),
    ("overfit-player run=a run=b", "given twice"),
    ("", "needs a name"),
])
def test_bad_embeds_name_the_line(rest, message):
    with pytest.raises(BuildError) as caught:
        parse_embed("widget", rest, Path("content/x/lesson.md"), 12, None)
    assert caught.value.one_line().startswith("content/x/lesson.md:12: ")
    assert message in caught.value.one_line()


def test_unknown_embed_kind():
    with pytest.raises(BuildError, match="unknown embed kind 'vidoe'"):
        parse_embed("vidoe", "x", Path("l.md"), 1, None)


def test_region_extraction(tmp_path):
    source = tmp_path / "f.py"
    source.write_text("a = 1\n    # [start:inner]\n    b = 2\n    c = 3\n    # [end:inner]\nd = 4\n")
    assert read_region(source, "inner") == "b = 2\nc = 3\n"
    assert "[start" not in read_region(source, None)
    with pytest.raises(KeyError):
        read_region(source, "missing")


def test_rounded_keeps_nested_shape_and_drops_negative_zero():
    assert rounded([[0.12345, -0.0001], [1.0, 2.5]], 3) == [[0.123, 0.0], [1.0, 2.5]]
    assert str(rounded([-0.0001], 2)[0]) == "0.0"


def test_thin_log_keeps_every_early_step_and_spreads_the_rest():
    steps = list(range(6001))
    kept, = thin_log(steps, per_decade=100)
    assert kept[:40] == list(range(40)) and kept[-1] == 6000
    import math

    # Past the adjacent early steps, no gap on the log axis is much wider than 1/100 decade.
    gaps = [math.log10(b + 1) - math.log10(a + 1) for a, b in zip(kept, kept[1:]) if b > a + 1]
    assert gaps and max(gaps) <= 0.02 and len(kept) < 500


def test_recorder_refuses_non_finite_values():
    rec = Recorder()
    rec.log(1, loss=0.5)
    with pytest.raises(ValueError, match="loss is not finite at step 2"):
        rec.log(2, loss=float("nan"))
    with pytest.raises(ValueError):
        rec.snapshot(3, prediction=[0.0, float("inf")])
    assert rec.series == {"step": [1], "loss": [0.5]}


def test_local_imports_follow_chains(tmp_path):
    (tmp_path / "experiments.py").write_text("import helpers\nimport numpy\n")
    (tmp_path / "helpers.py").write_text("from data import load\n")
    (tmp_path / "data.py").write_text("x = 1\n")
    found = [p.name for p in local_imports(tmp_path / "experiments.py", tmp_path)]
    assert found == ["data.py", "helpers.py"]


def test_math_becomes_mathml():
    mathml = to_mathml(r"\frac{\partial L}{\partial w}", display=True)
    assert mathml.startswith("<math") and 'display="block"' in mathml and "<mfrac>" in mathml


def test_palette_has_the_same_tokens_in_both_themes():
    assert set(theme.tokens("light")) == set(theme.tokens("dark"))
    css = theme.css_variables("dark")
    assert "--code-background: " in css and theme.tokens("dark")["background"] in css


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("name", theme.THEMES)
def test_palette_text_and_lines_have_contrast(name):
    """Text tokens reach 4.5:1 and line colours 3:1 against the background (WCAG AA)."""
    t = theme.tokens(name)
    bg = _luminance(t["background"])

    def contrast(colour: str) -> float:
        hi, lo = sorted([_luminance(colour), bg], reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    for token in ("text", "muted", "accent"):
        assert contrast(t[token]) >= 4.5, token
    for token in ("train", "validation", "model", "truth", "highlight"):
        assert contrast(t[token]) >= 3.0, token


def test_json_is_compact(tmp_path):
    widget = catalogue(Path(__file__).resolve().parent.parent)["overfit-player"]
    record = {
        "run": "r", "seed": 0,
        "constants": {"grid": [0.0, 0.5], "truth": [0.0, 0.25], "x_train": [0.1], "y_train": [0.2],
                      "x_val": [0.3], "y_val": [0.4]},
        "series": {"step": [0, 1, 2], "train_loss": [1.0, 0.5, 0.25], "val_loss": [1.0, 0.4, 0.6]},
        "snapshots": {"step": [0, 2], "prediction": [[0.0, 0.1], [0.2, 0.3]]},
    }
    data = widget.module().export({"r": record}, {"run": "r"})
    assert data["best"] == {"epoch": 1, "val_loss": 0.4}
    assert data["snapshots"]["prediction"] == [[0.0, 0.1], [0.2, 0.3]]
    assert json.dumps(data, allow_nan=False)


def test_widget_arguments_with_fixed_choices_are_checked(tmp_path):
    root = Path(__file__).resolve().parent.parent
    widgets = catalogue(root)
    good = parse_embed("widget", "layer-playground activation=tanh", tmp_path / "lesson.md", 5, None)
    assert check_embed(good, tmp_path / "lesson.md", set(), widgets, tmp_path)[0].name == "layer-playground"
    bad = parse_embed("widget", "layer-playground activation=relux", tmp_path / "lesson.md", 5, None)
    with pytest.raises(BuildError, match=r"activation=relux is not one it knows \(did you mean 'relu'\?\); use one of: identity, relu"):
        check_embed(bad, tmp_path / "lesson.md", set(), widgets, tmp_path)


def _lesson_with_front_matter(tmp_path: Path, front: str) -> Path:
    folder = tmp_path / "content" / "01-a-lesson"
    folder.mkdir(parents=True)
    (folder / "lesson.md").write_text(f"---\ntitle: A\nsummary: B\n{front}---\n\nBody.\n")
    return folder


def test_learn_and_next_reasons_are_read_from_front_matter(tmp_path):
    from generator.lessons import load_lesson

    folder = _lesson_with_front_matter(tmp_path, 'learn:\n  - one thing\n  - another\nnext:\n'
                                                 '  - lesson: "02"\n    why: Because.\n  - 5\n')
    lesson = load_lesson(folder, tmp_path)
    assert lesson.meta["learn"] == ["one thing", "another"]
    assert lesson.meta["next"] == ["02", "05"]
    assert lesson.meta["next_reasons"] == {"02": "Because."}


@pytest.mark.parametrize("front, message", [
    ("next:\n  - {lesson: '02', because: x}\n", r"lesson\.md:4: 'next' entry .* is malformed"),
    ("learn:\n  - 3\n", r"lesson\.md:4: every 'learn' item must be a non-empty string"),
    ("learn: one thing\n", r"lesson\.md:4: front-matter key 'learn' must be a list"),
])
def test_bad_learn_or_next_names_the_line(tmp_path, front, message):
    from generator.lessons import load_lesson

    folder = _lesson_with_front_matter(tmp_path, front)
    with pytest.raises(BuildError, match=message):
        load_lesson(folder, tmp_path)


@pytest.mark.parametrize("value", [None, float("nan"), float("inf")])
def test_a_fact_that_is_not_a_number_is_refused(value):
    import markdown

    from generator.markdown_ext import ProseError, FactExtension

    md = markdown.Markdown(extensions=[FactExtension(lambda run, fact: value)])
    with pytest.raises(ProseError) as caught:
        md.convert("It took [[run.steps]] steps.")
    assert caught.value.token == "[[run.steps]]" and "not a number the prose can state" in caught.value.problem
    ok = markdown.Markdown(extensions=[FactExtension(lambda run, fact: 4)])
    assert ">4</span>" in ok.convert("It took [[run.steps]] steps.")
