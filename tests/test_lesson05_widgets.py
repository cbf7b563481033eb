"""Unit tests of lesson 05's own widgets: export, describe and figure on the lesson's records.

Each widget's export must match the DATA contract it declares, its alt text must state
what the data says, and its fallback figure must draw in both themes.
"""
from __future__ import annotations

import importlib.util
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from generator.cache import Cache
from generator.progress import Silent
from generator.theme import THEMES, tokens
from generator.training import train_lesson

ROOT = Path(__file__).resolve().parent.parent
LESSON = "05-physics-informed-networks"
WIDGETS = ROOT / "content" / LESSON / "widgets"
EMBEDS = {   # the arguments lesson.md passes (or will pass) to each widget
    "three-networks": {"data": "data_only", "physics": "physics_only", "hybrid": "hybrid"},
    "failure-modes": {"works": "physics_only", "fails": "fails_weighting,fails_units,fails_collocation,fails_lr"},
    "weight-sweep": {"runs": "lambda_0_001,lambda_0_01,lambda_0_1,hybrid,lambda_10,lambda_100"},
    "damping-estimate": {"run": "inverse"},
}


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    paths = train_lesson(ROOT / "content" / LESSON / "experiments.py", LESSON, ROOT,
                         Cache(ROOT / "build" / "test" / "cache"), Silent(), workers=2)
    return {name: json.loads(path.read_text()) for name, path in paths.items()}


def widget(name: str):
    spec = importlib.util.spec_from_file_location(f"lesson05_widget_{name.replace('-', '_')}",
                                                  WIDGETS / name / "widget.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exported(name: str, records: dict) -> dict:
    module, args = widget(name), EMBEDS[name]
    needed = [n for key, value in args.items() if module.ARGS[key]["type"] in ("run", "runs")
              for n in value.split(",")]
    return module.export({n: records[n] for n in needed}, args)


def conforms(value, kind, where="data") -> None:
    """Check `value` against a DATA type: a type string, a dict of fields or [element type]."""
    if isinstance(kind, dict):
        assert isinstance(value, dict) and set(value) == set(kind), f"{where}: fields {sorted(value)} != {sorted(kind)}"
        for key, sub in kind.items():
            conforms(value[key], sub, f"{where}.{key}")
    elif isinstance(kind, list):
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            conforms(item, kind[0], f"{where}[{i}]")
    elif kind.endswith("[]"):
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            conforms(item, kind[:-2], f"{where}[{i}]")
    else:
        expected = {"int": int, "float": (int, float), "str": str, "bool": bool}[kind]
        assert isinstance(value, expected) and not (kind != "bool" and isinstance(value, bool)), where
        if kind == "float":
            assert math.isfinite(value), where


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EMBEDS))
def test_export_matches_its_data_contract(records, name):
    module = widget(name)
    assert module.__doc__ and set(EMBEDS[name]) <= set(module.ARGS)
    conforms(exported(name, records), module.DATA)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EMBEDS))
@pytest.mark.parametrize("theme", THEMES)
def test_figure_draws_in_both_themes(records, name, theme):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = widget(name).figure(exported(name, records), tokens(theme))
    try:
        drawn = [ax for ax in fig.axes if ax.get_visible()]
        assert drawn and all(ax.lines for ax in drawn)
        fig.canvas.draw()
    finally:
        plt.close(fig)


def numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"-?\d[\d,]*\.?\d*(?:e-?\d+)?", text)]


@pytest.mark.slow
def test_three_networks_alt_text_states_recorded_errors(records):
    data = exported("three-networks", records)
    text = widget("three-networks").describe(data)
    grid, truth = np.array(records["hybrid"]["constants"]["grid"]), np.array(records["hybrid"]["constants"]["truth"])
    outside = grid > 0.4
    for role, run in EMBEDS["three-networks"].items():
        prediction = np.array(records[run]["snapshots"]["prediction"][-1])
        error = float(np.sqrt(np.mean((prediction[outside] - truth[outside]) ** 2)))
        assert any(math.isclose(n, error, rel_tol=0.01) for n in numbers(text)), (role, error, text)
    assert len(data["steps"]) == len(data["hybrid"]["prediction"]) == len(data["data"]["prediction"])


@pytest.mark.slow
def test_failure_modes_names_each_changed_setting(records):
    data = exported("failure-modes", records)
    settings = [f["setting"] for f in data["fails"]]
    assert settings == ["residual not divided by ω₀²", "time in milliseconds (input × 1000)",
                        "8 collocation points", "learning rate 0.1"]
    text = widget("failure-modes").describe(data)
    flat = sum(f["variance_ratio"] < 0.01 for f in data["fails"])
    assert f"{flat} of them end as a flat line" in text
    assert flat == 3


def test_failure_modes_refuses_a_run_that_changes_two_settings():
    module = widget("failure-modes")
    works = {"run": "a", "config": {"lr": 0.003, "collocation": 60}, "constants": {}, "snapshots": {}}
    both = {"run": "b", "config": {"lr": 0.1, "collocation": 8}, "constants": {}, "snapshots": {}}
    with pytest.raises(ValueError, match="differs in"):
        module.changed_setting(both, works)


@pytest.mark.slow
def test_weight_sweep_is_ordered_and_states_each_error(records):
    data = exported("weight-sweep", records)
    weights = [s["weight"] for s in data["sweep"]]
    assert weights == sorted(weights) and weights[0] == 0.001 and weights[-1] == 100
    text = widget("weight-sweep").describe(data)
    for s in data["sweep"]:
        assert f"λ = {s['weight']:g}: {s['rms_outside']:.2g}" in text
    module = widget("weight-sweep")
    with pytest.raises(ValueError, match="increasing"):
        module.export(records, {"runs": "hybrid,lambda_0_1"})


@pytest.mark.slow
def test_damping_estimate_alt_text(records):
    data = exported("damping-estimate", records)
    zeta = records["inverse"]["series"]["zeta"]
    text = widget("damping-estimate").describe(data)
    assert f"{zeta[-1]:.4g}" in text and f"{100 * abs(zeta[-1] - 0.05) / 0.05:.1f}% off" in text
    with pytest.raises(ValueError, match="does not learn"):
        widget("damping-estimate").export(records, {"run": "hybrid"})
