"""Claim tests for the runs of lesson 01 added by issue 4 (seed of each run).

The records come from the same cache the browser tests' build uses (build/test), so
the runs train once per change of experiments.py, not once per test session.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from generator.cache import Cache
from generator.widgets import catalogue, check_embed
from generator.progress import Silent
from generator.training import load_experiments, train_lesson

ROOT = Path(__file__).resolve().parent.parent
LESSON = "01-why-the-weights-move"
EXPERIMENTS = ROOT / "content" / LESSON / "experiments.py"
SWEEP = {"lr_crawl": "crawls", "lr_good": "converges", "lr_oscillate": "oscillates", "lr_diverge": "diverges"}
FAMILIES = {
    "early stopping": ["stop_patience_20", "stop_patience_100", "stop_patience_400"],
    "weight decay": ["decay_1e_4", "decay_1e_3", "decay_1e_2"],
    "dropout": ["dropout_0_1", "dropout_0_3", "dropout_0_5"],
}


@pytest.fixture(scope="module")
def record_paths() -> dict[str, Path]:
    return train_lesson(EXPERIMENTS, LESSON, ROOT, Cache(ROOT / "build" / "test" / "cache"), Silent(), workers=2)


@pytest.fixture(scope="module")
def records(record_paths) -> dict[str, dict]:
    return {name: json.loads(path.read_text()) for name, path in record_paths.items()}


@pytest.fixture(scope="module")
def experiments() -> dict:
    """The module's namespace: its model builders and data, as a reader would use them."""
    specs = load_experiments(EXPERIMENTS, ROOT)
    return specs[0].fn.__globals__


# --------------------------------------------------------------------------- by hand vs autograd
@pytest.mark.slow
def test_numpy_and_pytorch_agree_at_every_step(records):
    rec = records["by_hand"]
    series, const = rec["series"], rec["constants"]
    assert len(series["w_numpy"]) == len(const["w_torch"]) == rec["config"]["steps"] + 1
    for name in ("w", "b", "loss"):
        numpy_values, torch_values = series[f"{name}_numpy"], const[f"{name}_torch"]
        worst = max(abs(a - b) for a, b in zip(numpy_values, torch_values))
        assert worst <= 1e-6, f"{name}: NumPy and PyTorch differ by {worst:g}"
    # And the loop really learned the line it came from.
    assert series["loss_numpy"][-1] < series["loss_numpy"][0] / 10


# --------------------------------------------------------------------------- learning rates
def optimum(rec: dict) -> tuple[float, float]:
    c = rec["constants"]
    return c["w_star"], c["c0"] - c["c1"] ** 2 / (4 * c["c2"])


@pytest.mark.slow
def test_sweep_starts_alike_and_is_finite(records):
    starts = {records[name]["series"]["w"][0] for name in SWEEP}
    assert len(starts) == 1
    for name in SWEEP:
        for column in ("w", "loss", "grad"):
            assert all(math.isfinite(v) for v in records[name]["series"][column])


@pytest.mark.slow
def test_small_rate_crawls(records):
    rec = records["lr_crawl"]
    w_star, min_loss = optimum(rec)
    w, loss = rec["series"]["w"], rec["series"]["loss"]
    assert all(b < a for a, b in zip(loss, loss[1:])), "every small step goes downhill"
    assert abs(w[-1] - w_star) > 0.25 * abs(w[0] - w_star), "after all steps w is still far from the bottom"
    assert loss[-1] > 2 * min_loss


@pytest.mark.slow
def test_good_rate_converges(records):
    rec = records["lr_good"]
    w_star, min_loss = optimum(rec)
    w, loss = rec["series"]["w"], rec["series"]["loss"]
    assert all(b <= a + 1e-12 for a, b in zip(loss, loss[1:])), "loss never goes up (to rounding)"
    assert all(x < w_star + 1e-12 for x in w), "never overshoots"
    assert abs(w[-1] - w_star) < 1e-6 and loss[-1] - min_loss < 1e-9


@pytest.mark.slow
def test_large_rate_oscillates_but_settles(records):
    rec = records["lr_oscillate"]
    w_star, min_loss = optimum(rec)
    w = rec["series"]["w"]
    sides = [x > w_star for x in w[:15]]
    assert all(a != b for a, b in zip(sides, sides[1:])), "w jumps to the other side at every step"
    distance = [abs(x - w_star) for x in w]
    assert max(distance) <= distance[0] + 1e-12, "bounded"
    assert distance[-1] < 1e-3 * distance[0], "and it still converges"


@pytest.mark.slow
def test_too_large_rate_diverges_and_stops(records):
    rec = records["lr_diverge"]
    w_star, _ = optimum(rec)
    distance = [abs(x - w_star) for x in rec["series"]["w"]]
    assert all(b > a for a, b in zip(distance, distance[1:])), "each overshoot lands further out"
    assert rec["facts"]["diverged"] and rec["facts"]["stopped_at"] < rec["config"]["steps"]
    assert distance[-1] > 20 * distance[0]


@pytest.mark.slow
def test_exported_labels_match_what_each_rate_does(records):
    for name, label in SWEEP.items():
        rec = records[name]
        classify_descent = catalogue(ROOT)["loss-landscape"].module().classify_descent
        assert classify_descent(rec["series"]["w"], rec["constants"]["w_star"], rec["facts"]["diverged"]) == label
    rates = sorted(records[n]["constants"]["lr"] for n in SWEEP)
    assert [records[n]["constants"]["lr"] for n in SWEEP] == rates, "labels in order of rate"


# --------------------------------------------------------------------------- regularisers
def test_regularisers_train_the_overfit_setting():
    """Same data, seed, network and optimiser as `overfit`: only the knob differs."""
    specs = {s.name: s for s in load_experiments(EXPERIMENTS, ROOT)}
    base = specs["overfit"]
    for names in FAMILIES.values():
        for name in names:
            spec = specs[name]
            assert spec.seed == base.seed
            shared = {k: v for k, v in spec.config.items() if k in base.config}
            assert shared == {k: base.config[k] for k in shared} and len(shared) == 7


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_best_setting_beats_no_regulariser_by_20_percent(records, family):
    unregularised = records["overfit"]["facts"]["final_val_loss"]
    finals = {name: records[name]["facts"]["final_val_loss"] for name in FAMILIES[family]}
    best = min(finals, key=finals.get)
    assert finals[best] <= 0.8 * unregularised, (
        f"{family}: best {best} ends at {finals[best]:.4f}, not 20% below {unregularised:.4f}; all: {finals}")


@pytest.mark.slow
def test_weight_norm_falls_as_weight_decay_grows(records):
    last_layers = records["overfit"]["snapshots"]["weight_norms"][-1]
    norms = [math.sqrt(sum(n * n for n in last_layers))]
    norms += [records[name]["facts"]["weight_norm"] for name in FAMILIES["weight decay"]]
    decays = [records[name]["config"]["weight_decay"] for name in FAMILIES["weight decay"]]
    assert decays == sorted(decays)
    assert all(b < a for a, b in zip(norms, norms[1:])), f"norms at decay 0, {decays}: {norms}"


@pytest.mark.slow
def test_early_stopping_keeps_the_best_weights(records):
    for name in FAMILIES["early stopping"]:
        facts = records[name]["facts"]
        assert facts["stopped_epoch"] == facts["best_epoch"] + facts["patience"] < records[name]["config"]["epochs"]
        assert facts["final_val_loss"] == pytest.approx(facts["best_val_loss"], rel=1e-6)


# --------------------------------------------------------------------------- checkpoints
@pytest.mark.slow
def test_published_weights_reproduce_the_recorded_predictions(records, built_site, experiments):
    """A fresh model built from code, loaded from each download, predicts exactly as recorded."""
    import torch

    torch.set_num_threads(1)  # the runs predict with one thread: same kernels, same bits
    downloads = built_site / LESSON / "downloads"
    base = records["overfit"]["config"]
    data = experiments["OverfitData"].make(records["overfit"]["seed"], base["samples"], base["val_samples"],
                                           base["noise"])
    grid = data.tensors()[4]
    checked = 0
    for names in FAMILIES.values():
        for name in names:
            rec = records[name]
            assert rec["artifacts"] == ["model.pt"]
            model = experiments["over_large_mlp"](base["width"], base["depth"], dropout=rec["config"]["dropout"])
            model.load_state_dict(torch.load(downloads / name / "model.pt", weights_only=True))
            model.eval()
            with torch.no_grad():
                prediction = model(grid).squeeze(1).tolist()
            assert prediction == rec["snapshots"]["prediction"][-1], name
            checked += 1
    line = experiments["line_model"](0.0, 0.0)
    line.load_state_dict(torch.load(downloads / "by_hand" / "linear.pt", weights_only=True))
    x = torch.tensor(records["by_hand"]["constants"]["x"], dtype=torch.float64).reshape(-1, 1)
    with torch.no_grad():
        assert line(x).squeeze(1).tolist() == records["by_hand"]["constants"]["final_prediction"]
    assert checked == 9


def test_widget_embeds_name_runs_that_exist():
    """The three-knobs widget lists runs by family; a wrong name is a build error."""
    from generator.errors import BuildError
    from generator.lessons import Embed

    widgets = catalogue(ROOT)

    def check_widget_embed(embed, lesson, runs, root):
        return check_embed(embed, ROOT / "content" / LESSON / "lesson.md", runs, widgets, root, LESSON)[0]

    runs = {"overfit", "a", "b"}
    good = Embed("widget", "three-knobs", {"run": "overfit", "early": "a", "decay": "a,b", "dropout": "b"}, "", 3)
    assert check_widget_embed(good, None, runs, ROOT) is widgets["three-knobs"]
    bad = Embed("widget", "three-knobs", {"run": "overfit", "early": "a", "decay": "a,c", "dropout": "b"}, "", 3)
    with pytest.raises(BuildError, match="names run 'c'"):
        check_widget_embed(bad, None, runs, ROOT)
    missing = Embed("widget", "loss-landscape", {}, "", 4)
    with pytest.raises(BuildError, match="needs runs=RUN,RUN"):
        check_widget_embed(missing, None, runs, ROOT)
    assert check_widget_embed(Embed("widget", "layer-playground", {}, "", 5), None, runs, ROOT)
