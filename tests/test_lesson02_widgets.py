"""Lesson 02's own widgets (content/02-.../widgets/<name>/widget.py), run on the build's records.

Each widget's export must match its declared DATA contract, its alt text must state what
the data holds, and its fallback figure must draw in both themes.
"""
from __future__ import annotations

import importlib.util
import io
import json
import re
from pathlib import Path

import pytest

from generator.theme import THEMES, tokens

ROOT = Path(__file__).resolve().parent.parent
SLUG = "02-a-first-model-with-scikit-learn"
WIDGETS = ROOT / "content" / SLUG / "widgets"
ARG_TYPES = {"run", "runs", "choice", "number", "text"}
# widget -> the embed arguments the lesson gives it
EMBEDS = {
    "leakage-sweep": {"run": "leakage"},
    "depth-curve": {"run": "depth_curve"},
    "descent-steps": {"run": "scaling"},
    "fold-spread": {"run": "cv_spread"},
}


def load_widget(name: str):
    spec = importlib.util.spec_from_file_location(f"widget_{name.replace('-', '_')}", WIDGETS / name / "widget.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def conforms(value, spec, where: str = "data") -> list[str]:
    """Every way `value` departs from a DATA type spec (empty when it conforms)."""
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return [f"{where} is not an object"]
        problems = [f"{where}.{k} is missing" for k in spec if k not in value]
        problems += [f"{where}.{k} is not declared" for k in value if k not in spec]
        for k in spec:
            if k in value:
                problems += conforms(value[k], spec[k], f"{where}.{k}")
        return problems
    if isinstance(spec, list):
        if not isinstance(value, list):
            return [f"{where} is not an array"]
        return [p for i, v in enumerate(value) for p in conforms(v, spec[0], f"{where}[{i}]")]
    optional = spec.endswith("?")
    base = spec.rstrip("?")
    if value is None:
        return [] if optional else [f"{where} is null"]
    if base.endswith("[]"):
        if not isinstance(value, list):
            return [f"{where} is not an array"]
        return [p for i, v in enumerate(value) for p in conforms(v, base[:-2], f"{where}[{i}]")]
    checks = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
    }
    return [] if checks[base](value) else [f"{where} is {type(value).__name__}, not {base}"]


def test_the_type_checker_finds_departures():
    spec = {"a": "int", "b": "float[][]", "c": [{"d": "str"}]}
    assert conforms({"a": 1, "b": [[1.0]], "c": [{"d": "x"}]}, spec) == []
    assert conforms({"a": 1.5, "b": [[1.0]], "c": [{"d": "x"}]}, spec) == ["data.a is float, not int"]
    assert conforms({"a": 1, "b": [1.0], "c": [{"d": 2}], "e": 0}, spec) == [
        "data.e is not declared", "data.b[0] is not an array", "data.c[0].d is int, not str"]


@pytest.fixture(scope="module")
def records(built_records) -> dict[str, dict]:
    return {key.split("/", 1)[1]: json.loads(path.read_text())
            for key, path in built_records.items() if key.startswith(SLUG + "/")}


@pytest.fixture(scope="module")
def exported(records) -> dict[str, dict]:
    out = {}
    for name, args in EMBEDS.items():
        widget = load_widget(name)
        out[name] = widget.export({args["run"]: records[args["run"]]}, args)
    return out


def test_every_widget_folder_is_tested():
    assert sorted(p.name for p in WIDGETS.iterdir() if (p / "widget.py").is_file()) == sorted(EMBEDS)


@pytest.mark.parametrize("name", sorted(EMBEDS))
def test_widget_declares_its_arguments(name):
    widget = load_widget(name)
    assert widget.__doc__ and widget.__doc__.strip()
    for arg, spec in widget.ARGS.items():
        assert spec["type"] in ARG_TYPES, f"{name}: {arg}"
        assert spec.get("help"), f"{name}: {arg} needs help text"
    assert set(EMBEDS[name]) <= set(widget.ARGS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EMBEDS))
def test_export_matches_the_data_contract(name, exported):
    widget = load_widget(name)
    data = exported[name]
    assert conforms(data, widget.DATA) == []
    from generator.widgets import data_mismatch  # the build's own check agrees

    assert data_mismatch(widget.DATA, data, "data") is None
    assert json.loads(json.dumps(data)) == data
    assert len(json.dumps(data)) < 64 * 1024


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EMBEDS))
def test_figure_draws_in_both_themes(name, exported):
    widget = load_widget(name)
    for theme in THEMES:
        fig = widget.figure(exported[name], tokens(theme))
        assert fig.axes, f"{name} in {theme}: no axes"
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=50)
        assert buffer.tell() > 1000


@pytest.mark.slow
def test_leakage_sweep_holds_the_recorded_scores(exported, records):
    data, rec = exported["leakage-sweep"], records["leakage"]
    shown = next(s for s in data["seeds"] if s["seed"] == data["shown_seed"])
    assert shown["leaky"][-1] == pytest.approx(rec["facts"]["leaky"], abs=1e-4)
    assert shown["honest"][-1] == pytest.approx(rec["facts"]["honest"], abs=1e-4)
    assert data["features"] == rec["config"]["features"] and len(data["seeds"]) == 5
    alt = load_widget("leakage-sweep").describe(data)
    assert f"{rec['facts']['leaky_min']:.2f} to {rec['facts']['leaky_max']:.2f}" in alt


@pytest.mark.slow
def test_depth_curve_marks_the_recorded_best_depth(exported, records):
    data, rec = exported["depth-curve"], records["depth_curve"]
    assert data["best_depth"] == rec["facts"]["best_depth"] == data["start_depth"]
    assert len(data["val_folds"]) == len(data["depths"]) and all(len(f) == 5 for f in data["val_folds"])
    widget = load_widget("depth-curve")
    moved = widget.export({"depth_curve": rec}, {"run": "depth_curve", "depth": "7"})
    assert moved["start_depth"] == 7
    alt = widget.describe(data)
    assert f"lowest at depth {rec['facts']['best_depth']}" in alt


@pytest.mark.slow
def test_descent_steps_cross_the_tolerance_where_recorded(exported, records):
    data, f = exported["descent-steps"], records["scaling"]["facts"]
    for side in ("raw", "scaled"):
        s = data[side]
        assert s["steps_to_tolerance"] == f[f"{side}_steps"] == s["step"][-1]
        assert s["excess"][0] > data["tolerance"] >= s["excess"][-1]
    alt = load_widget("descent-steps").describe(data)
    assert f"{f['raw_steps']:,} steps" in alt and f"{f['scaled_steps']:,} steps" in alt


@pytest.mark.slow
def test_fold_spread_shrinks_as_recorded(exported, records):
    data, f = exported["fold-spread"], records["cv_spread"]["facts"]
    assert data["sizes"] == records["cv_spread"]["config"]["sizes"]
    assert all(len(s) == f["repeats"] * f["folds"] for s in data["fold_scores"])
    assert data["spread"][0] == pytest.approx(f["small_spread"], abs=1e-4)
    assert all(b < a for a, b in zip(data["spread"], data["spread"][1:]))
    alt = load_widget("fold-spread").describe(data)
    assert re.search(rf"falls from {f['small_spread']:.3f} at {f['smallest']}", alt)
