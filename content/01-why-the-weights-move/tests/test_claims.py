"""Claim tests of lesson 01: the recorded runs show what the lesson says they show.

Each test quotes the sentence(s) of lesson.md it keeps true and checks them on the records
(or by rerunning the code independently). If a run changes so that a test fails, rewrite
the sentence, not the test. The overfit run is also re-executed for other seeds (two worker
processes), so its claims hold for the experiment, not for one lucky seed.
"""
from __future__ import annotations

import dataclasses
import json
import math

import pytest

from generator.authoring import execute
from generator.widgets import catalogue, check_embed
from tests.plugin import HELD_OUT_SEEDS, ROOT, WRITTEN_SEEDS

SWEEP = {"lr_crawl": "crawls", "lr_good": "converges", "lr_oscillate": "oscillates", "lr_diverge": "diverges"}
FAMILIES = {
    "early stopping": ["stop_patience_20", "stop_patience_100", "stop_patience_400"],
    "weight decay": ["decay_1e_4", "decay_1e_3", "decay_1e_2"],
    "dropout": ["dropout_0_1", "dropout_0_3", "dropout_0_5"],
}


@pytest.fixture(scope="module")
def specs(lesson) -> dict:
    from generator.training import load_experiments

    return {s.name: s for s in load_experiments(lesson.folder / "experiments.py", ROOT)}


@pytest.fixture(scope="module")
def experiments(specs) -> dict:
    """The module's namespace: its model builders and data, as a reader would use them."""
    return next(iter(specs.values())).fn.__globals__


# --------------------------------------------------------------------------- other seeds
@pytest.fixture(scope="module")
def overfit_records(run_seeds) -> dict[int, dict]:
    return run_seeds("overfit", WRITTEN_SEEDS + HELD_OUT_SEEDS)


@pytest.mark.slow
@pytest.mark.parametrize("seed", WRITTEN_SEEDS + HELD_OUT_SEEDS)
def test_validation_loss_turns_up_and_training_loss_ends_far_below(overfit_records, seed):
    """The overfit run overfits on every seed: its validation loss ends at least 1.5 times its
    best, and its training loss ends at under a fifth of its validation loss."""
    series = overfit_records[seed]["series"]
    val = series["val_loss"]
    best = min(range(len(val)), key=val.__getitem__)
    assert best < len(val) - 1, "validation loss is lowest at the last epoch: no overfitting to show"
    assert val[-1] >= 1.5 * val[best], f"final {val[-1]:.4f} < 1.5 x best {val[best]:.4f}"
    assert series["train_loss"][-1] < series["val_loss"][-1] / 5


def test_same_seed_same_record(specs):
    short = dataclasses.replace(specs["overfit"], config={**specs["overfit"].config, "epochs": 30, "snapshots": 20})
    assert execute(short) == execute(short)


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
def test_regularisers_train_the_overfit_setting(specs):
    """Same data, seed, network and optimiser as `overfit`: only the knob differs."""
    base = specs["overfit"]
    for names in FAMILIES.values():
        for name in names:
            spec = specs[name]
            assert spec.seed == base.seed
            shared = {k: v for k, v in spec.config.items() if k in base.config}
            assert shared == {k: base.config[k] for k in shared} and len(shared) == 8


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_best_setting_beats_no_regulariser_by_20_percent(records, family):
    unregularised = records["overfit"]["facts"]["final_val_loss"]
    finals = {name: records[name]["facts"]["final_val_loss"] for name in FAMILIES[family]}
    best = min(finals, key=finals.get)
    assert finals[best] <= 0.8 * unregularised, (
        f"{family}: best {best} ends at {finals[best]:.4f}, not 20% below {unregularised:.4f}; all: {finals}")


@pytest.mark.slow
def test_early_stopping_keeps_the_best_weights(records):
    for name in FAMILIES["early stopping"]:
        facts = records[name]["facts"]
        assert facts["stopped_epoch"] == facts["best_epoch"] + facts["patience"] < records[name]["config"]["epochs"]
        assert facts["final_val_loss"] == pytest.approx(facts["best_val_loss"], rel=1e-6)


# --------------------------------------------------------------------------- checkpoints
@pytest.mark.slow
def test_published_weights_reproduce_the_recorded_predictions(records, built_site, experiments, lesson):
    """A fresh model built from code, loaded from each download, predicts exactly as recorded."""
    import torch

    torch.set_num_threads(1)  # the runs predict with one thread: same kernels, same bits
    downloads = built_site / lesson.slug / "downloads"
    base = records["overfit"]["config"]
    data = experiments["OverfitData"].make(records["overfit"]["seed"], base["samples"], base["val_samples"],
                                           base["noise"])
    grid = data.tensors()[4]
    checked = 0
    for names in [["overfit"], *FAMILIES.values()]:
        for name in names:
            rec = records[name]
            assert rec["artifacts"] == ["model.pt"]
            model = experiments["over_large_mlp"](base["width"], base["depth"],
                                                  dropout=rec["config"].get("dropout", 0.0))
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
    assert checked == 10


def test_widget_embeds_name_runs_that_exist(lesson):
    """The three-knobs widget lists runs by family; a wrong name is a build error."""
    from generator.errors import BuildError
    from generator.lessons import Embed

    widgets = catalogue(ROOT)

    def check_widget_embed(embed, _, runs, root):
        return check_embed(embed, lesson.source, runs, widgets, root, lesson.slug)[0]

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


# =========================================================================== claims in the prose

def overfit_snapshot(rec: dict, epoch: int) -> list[float]:
    """The prediction at the snapshot nearest `epoch` (what the player shows there)."""
    snaps = rec["snapshots"]
    nearest = min(range(len(snaps["step"])), key=lambda i: abs(snaps["step"][i] - epoch))
    return snaps["prediction"][nearest]


@pytest.mark.slow
def test_claim_close_to_the_shape_then_bends_towards_the_noise(records):
    """"Around epoch [[overfit.best_epoch]] it is close to the smooth shape under the dots.
    Then it keeps going: it bends towards the training points, noise and all, until its mean
    squared error on them is [[overfit.final_train_loss]], far below the variance of the
    noise itself ([[overfit.noise_variance]])"."""
    import numpy as np

    rec = records["overfit"]
    facts, const = rec["facts"], rec["constants"]
    truth = np.array(const["truth"])
    gap = {e: float(np.mean((np.array(overfit_snapshot(rec, e)) - truth) ** 2))
           for e in (0, facts["best_epoch"], rec["config"]["epochs"])}
    assert gap[facts["best_epoch"]] < gap[0] / 5 and gap[facts["best_epoch"]] < gap[rec["config"]["epochs"]] / 2, gap
    # The noise the points really carry: the true function's own error on them.
    x, y = np.array(const["x_train"]), np.array(const["y_train"])
    truth_error = float(np.mean((0.8 * np.sin(np.pi * x) + 0.3 * x - y) ** 2))
    assert facts["noise_variance"] == pytest.approx(rec["config"]["noise"] ** 2)
    assert facts["final_train_loss"] < facts["noise_variance"] / 4
    assert facts["final_train_loss"] < truth_error / 4, "fitting the noise: better than the truth itself"


def test_claim_snapshots_cover_the_whole_run(specs, experiments):
    """"The frames are snapshots, every epoch at first and further apart later": and they
    cover the whole run evenly on a log(epoch + 1) axis (the player and film must reach the
    end): consecutive snapshots are adjacent or at most 0.1 decades apart. The network is the
    "5-hidden-layer, 128-wide MLP" the page names."""
    config = specs["overfit"].config
    assert config["depth"] == 5 and config["width"] == 128
    epochs = experiments["snapshot_epochs"](config["epochs"], config["snapshots"])
    assert len(epochs) <= config["snapshots"]
    assert epochs[0] == 0 and epochs[-1] == config["epochs"]
    for a, b in zip(epochs, epochs[1:]):
        assert b > a
        assert b == a + 1 or math.log10(b + 1) - math.log10(a + 1) <= 0.1 + 1e-12, (a, b)
    assert epochs[:10] == list(range(10)) and epochs[-1] - epochs[-2] > 1
    # Even on the log axis: no gap more than twice the median gap.
    gaps = sorted(math.log10(b + 1) - math.log10(a + 1) for a, b in zip(epochs, epochs[1:]) if b > a + 1)
    assert gaps[-1] <= 2 * gaps[len(gaps) // 2]


@pytest.mark.slow
def test_claim_the_recorded_snapshots_are_the_planned_ones(records, experiments):
    rec = records["overfit"]
    config = rec["config"]
    assert rec["snapshots"]["step"] == experiments["snapshot_epochs"](config["epochs"], config["snapshots"])


def test_claim_overfit_player_data_stays_under_its_gzip_budget(built_site, lesson):
    """The snapshots now spread over the whole run; the player's data must still be small."""
    import gzip

    from generator.export import WIDGET_BUDGET_GZIP_BYTES

    data = sorted((built_site / lesson.slug / "data").glob("overfit-player*.json"))
    assert data, "no overfit-player data exported"
    for path in data:
        size = len(gzip.compress(path.read_bytes(), 9))
        assert size <= WIDGET_BUDGET_GZIP_BYTES, f"{path.name}: {size} bytes gzipped"


@pytest.mark.slow
def test_claim_which_runs_use_which_optimiser(records):
    """"The fitted line and the learning-rate runs use exactly the update derived above, plain
    gradient descent (`torch.optim.SGD`). The over-large network and its regularised variants
    use Adam instead (`torch.optim.Adam`), with learning rate [[overfit.lr]], also on all
    [[overfit.samples]] points at once.\""""
    for name in ["by_hand", *SWEEP]:
        assert records[name]["facts"]["optimizer"] == "SGD", name
    for name in ["overfit", *[n for names in FAMILIES.values() for n in names]]:
        assert records[name]["facts"]["optimizer"] == "Adam", name
        assert records[name]["config"]["lr"] == records["overfit"]["facts"]["lr"]
    assert records["overfit"]["facts"]["batch"] == records["overfit"]["config"]["samples"]


@pytest.mark.slow
def test_claim_each_landscape_step_is_rate_times_slope(records):
    """"Each recorded step below moves $w$ by the learning rate times that slope.\""""
    for name in SWEEP:
        s, lr = records[name]["series"], records[name]["constants"]["lr"]
        for i in range(len(s["w"]) - 1):
            assert s["w"][i + 1] - s["w"][i] == pytest.approx(-lr * s["grad"][i], rel=1e-9, abs=1e-12)


@pytest.mark.slow
def test_claim_adam_raises_the_training_loss_on_many_epochs(records):
    """"That is not the negative gradient times $\\alpha$, and such a step can raise the loss:
    the over-large network's training loss went up on [[overfit.train_loss_rises]] of its
    [[overfit.epochs]] epochs." and "Its training loss does not fall at every epoch: Adam's
    steps raised it on [[overfit.train_loss_rises]] of the [[overfit.epochs]], some in sharp
    spikes. Still, it ends at [[overfit.final_train_loss]], a small fraction of where it
    started, so on its own that curve looks like success."
    (An earlier page said each spike comes back down and the loss ends close to its lowest.
    That held on one machine's record and not on another's, whose float sums differ: there
    the run ends 4.7 times above its lowest after a late spike. "A small fraction": under a
    tenth.)"""
    import numpy as np

    rec = records["overfit"]
    train = np.array(rec["series"]["train_loss"])
    rises = int(np.sum(train[1:] > train[:-1]))
    assert rises == rec["facts"]["train_loss_rises"] > len(train) // 10
    assert rec["series"]["step"] == list(range(rec["config"]["epochs"] + 1))
    lowest = np.minimum.accumulate(train)
    spikes = [i for i in range(100, len(train)) if train[i] > 2 * lowest[i]]
    assert spikes, "no sharp spike: drop 'some in sharp spikes'"
    assert train[-1] < train[0] / 10, "the loss does not end at a small fraction of where it started"
    assert rec["facts"]["final_train_loss"] == pytest.approx(train[-1])


@pytest.mark.slow
def test_claim_validation_turns_up_after_the_best_epoch(records):
    """"It is lowest at epoch [[overfit.best_epoch]] ([[overfit.best_val_loss]]), then climbs to
    [[overfit.final_val_loss]], [[overfit.val_rise]] times its best: from then on, each step that
    fits the training points more closely, noise included, makes the predictions on new points
    worse on the whole." And the watch-the-fit film's caption (scenes/watch_the_fit.py): "From here
    the training loss goes on down, with spikes, while the validation loss rises: the curve bends to
    fit the noise.\""""
    rec = records["overfit"]
    facts, s = rec["facts"], rec["series"]
    best = s["step"].index(facts["best_epoch"])
    assert s["val_loss"][best] == min(s["val_loss"]) == facts["best_val_loss"]
    assert s["val_loss"][-1] == facts["final_val_loss"] >= 1.5 * facts["best_val_loss"]
    assert s["train_loss"][-1] < s["train_loss"][best] / 4, "training error keeps falling after the best epoch"
    # "on the whole": the later the stretch, the higher its average validation loss.
    import numpy as np

    later = np.array(s["val_loss"][best:])
    means = [float(np.mean(chunk)) for chunk in np.array_split(later, 4)]
    assert means[0] < means[-1], means


@pytest.mark.slow
def test_claim_who_holds_out_validation_and_test_data(records):
    """"...which is why the over-large network and every regularised variant of it hold out
    [[overfit.val_samples]] validation points." and "the data also holds
    [[overfit.test_samples]] test points, drawn like the others and used by nothing until
    training is over.\""""
    for name in ["overfit", *[n for names in FAMILIES.values() for n in names]]:
        config = records[name]["config"]
        assert config["val_samples"] == records["overfit"]["facts"]["val_samples"] > 0
        assert config["test_samples"] == records["overfit"]["facts"]["test_samples"] > 0
        assert "final_test_loss" in records[name]["facts"]


def test_claim_test_points_are_fresh_and_leave_train_and_val_unchanged(experiments):
    """The test points are new draws, and adding them changed no training or validation point."""
    import numpy as np

    with_test = experiments["OverfitData"].make(0, 50, 200, 0.4, 1000)
    without = experiments["OverfitData"].make(0, 50, 200, 0.4)
    assert np.array_equal(with_test.x_train, without.x_train) and np.array_equal(with_test.y_val, without.y_val)
    assert len(with_test.x_test) == 1000 and not set(with_test.x_test) & (set(with_test.x_train) | set(with_test.x_val))


@pytest.mark.slow
def test_claim_patience_does_not_matter_here(records, built_site, lesson):
    """"With a patience of 20, 100 or 400 epochs it stops at different epochs but restores the
    same weights, those of epoch [[stop_patience_100.best_epoch]], because the validation loss
    never again goes below its value there: the three runs end as one and the same model.\""""
    names = FAMILIES["early stopping"]
    stopped = {records[n]["facts"]["stopped_epoch"] for n in names}
    assert len(stopped) == 3
    assert {records[n]["facts"]["best_epoch"] for n in names} == {records["overfit"]["facts"]["best_epoch"]}
    assert len({json.dumps(records[n]["snapshots"]["prediction"]) for n in names}) == 1
    files = {(built_site / lesson.slug / "downloads" / n / "model.pt").read_bytes() for n in names}
    import io

    import torch

    states = [torch.load(io.BytesIO(f), weights_only=True) for f in files]
    assert all(torch.equal(states[0][k], s[k]) for s in states for k in states[0])
    # "never again goes below": the unregularised run's validation loss after its best epoch.
    val, best = records["overfit"]["series"]["val_loss"], records["overfit"]["facts"]["best_epoch"]
    assert min(val[best + 1:]) > val[best]


@pytest.mark.slow
def test_claim_regularisers_on_held_out_test_data(records):
    """"On them the network without a regulariser scores [[overfit.final_test_loss]], early stopping
    [[stop_patience_100.final_test_loss]], weight decay [[decay_1e_2.final_test_loss]] and dropout
    [[dropout_0_5.final_test_loss]] (each at the strongest setting tried: decay
    [[decay_1e_2.weight_decay]], dropout [[dropout_0_5.dropout]]). All three do far better than no
    regulariser at all; early stopping and weight decay come out within 3% of each other, with
    dropout behind both.\""""
    test = {name: records[name]["facts"]["final_test_loss"]
            for name in ("overfit", "stop_patience_100", "decay_1e_2", "dropout_0_5")}
    for name in ("stop_patience_100", "decay_1e_2", "dropout_0_5"):
        assert test[name] <= 0.8 * test["overfit"], test
    early, decay, dropout = test["stop_patience_100"], test["decay_1e_2"], test["dropout_0_5"]
    assert abs(early - decay) / min(early, decay) < 0.03, test
    assert dropout > max(early, decay), test
    # "the strongest ... tried": the quoted runs are the largest settings of their family.
    assert records["decay_1e_2"]["config"]["weight_decay"] == max(
        records[n]["config"]["weight_decay"] for n in FAMILIES["weight decay"])
    assert records["dropout_0_5"]["config"]["dropout"] == max(
        records[n]["config"]["dropout"] for n in FAMILIES["dropout"])


@pytest.mark.slow
def test_claim_weaker_settings_still_overfit(records):
    """"The weaker settings help less and still overfit: with weight decay
    [[decay_1e_4.weight_decay]] or dropout [[dropout_0_1.dropout]], the validation loss still
    climbs well above its own minimum, to [[decay_1e_4.final_val_loss]] and
    [[dropout_0_1.final_val_loss]] (against [[overfit.final_val_loss]] without a regulariser).\""""
    unregularised = records["overfit"]["facts"]["final_val_loss"]
    for family in ("weight decay", "dropout"):
        weakest, *_, strongest = FAMILIES[family]
        facts, val = records[weakest]["facts"], records[weakest]["series"]["val_loss"]
        assert facts["final_val_loss"] == val[-1] >= 1.3 * min(val), weakest
        assert facts["final_val_loss"] < unregularised, f"{weakest} does not help at all"
        assert facts["final_val_loss"] > records[strongest]["facts"]["final_val_loss"], "helps less"


@pytest.mark.slow
def test_claim_weight_norm_baseline_and_decay(records, experiments):
    """"the total norm of all weight matrices (biases left out) is [[overfit.weight_norm]] without
    decay, and [[decay_1e_4.weight_norm]], [[decay_1e_3.weight_norm]] and [[decay_1e_2.weight_norm]]
    with decay ...": recomputed from the published weights, biases left out."""

    import torch

    norms = [records["overfit"]["facts"]["weight_norm"]]
    norms += [records[n]["facts"]["weight_norm"] for n in FAMILIES["weight decay"]]
    assert all(b < a for a, b in zip(norms, norms[1:])), norms
    # The overfit run's last snapshot holds its per-layer weight norms: same number.
    last = records["overfit"]["snapshots"]["weight_norms"][-1]
    assert norms[0] == pytest.approx(math.sqrt(sum(n * n for n in last)), rel=1e-9)
    model = experiments["over_large_mlp"](128, 5).requires_grad_(False)
    weights_only = math.sqrt(sum(float((m.weight ** 2).sum()) for m in model if isinstance(m, torch.nn.Linear)))
    everything = math.sqrt(sum(float((p ** 2).sum()) for p in model.parameters()))
    assert experiments["total_weight_norm"](model) == pytest.approx(weights_only, rel=1e-6)
    assert weights_only < everything, "the norm must leave the biases out"


def test_claim_adam_weight_decay_is_l2_on_every_parameter(experiments, lesson):
    """"L2 weight decay adds $\\lambda p$ to the gradient of every parameter $p$, biases included
    ... Here it is Adam's `weight_decay` argument, and Adam rescales that pull together with the
    rest of the gradient ... (AdamW instead shrinks each parameter directly ...; it is not used
    here.)" Checked by running both ways: Adam(weight_decay=λ) on the loss equals plain Adam on
    the loss plus (λ/2)·Σp² over all parameters, biases included, and differs from AdamW."""
    import torch

    def train(optimizer_for, penalty: float, steps: int = 5):
        torch.manual_seed(0)
        model = experiments["over_large_mlp"](8, 2)
        optimizer = optimizer_for(model)
        x = torch.linspace(-1, 1, 16).reshape(-1, 1)
        for _ in range(steps):
            loss = torch.nn.functional.mse_loss(model(x), torch.sin(3 * x))
            loss = loss + penalty / 2 * sum((p ** 2).sum() for p in model.parameters())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    lam = 0.1
    built_in = train(lambda m: torch.optim.Adam(m.parameters(), lr=3e-3, weight_decay=lam), 0.0)
    explicit = train(lambda m: torch.optim.Adam(m.parameters(), lr=3e-3), lam)
    decoupled = train(lambda m: torch.optim.AdamW(m.parameters(), lr=3e-3, weight_decay=lam), 0.0)
    assert torch.allclose(built_in, explicit, atol=1e-6)
    assert not torch.allclose(built_in, decoupled, atol=1e-6)
    # And the lesson's runs pass every parameter, biases included, to the decaying optimiser.
    source = (lesson.folder / "experiments.py").read_text()
    knobs = source.split("[start:knobs]")[1].split("[end:knobs]")[0]
    assert "torch.optim.Adam(model.parameters(), lr=lr," in knobs and "optim.AdamW(" not in knobs


@pytest.mark.slow
def test_claim_settle_steps_and_their_tolerance(records, experiments):
    """"Say $w$ has settled once it is within [[lr_good.settle_tolerance]] of the best $w$ and stays
    there. Compare the four rates: [[lr_crawl.lr]] crawls and has not settled after
    [[lr_crawl.stopped_at]] steps, [[lr_good.lr]] settles after [[lr_good.settle_steps]] steps,
    [[lr_oscillate.lr]] overshoots back and forth and settles only after
    [[lr_oscillate.settle_steps]] steps, and [[lr_diverge.lr]] is thrown further out by every step
    until the run stops it after [[lr_diverge.stopped_at]] steps." Recounted independently."""
    for name in SWEEP:
        rec = records[name]
        tol, w_star, ws = rec["facts"]["settle_tolerance"], rec["constants"]["w_star"], rec["series"]["w"]
        inside_from = None
        for i in range(len(ws)):
            if all(abs(w - w_star) < tol for w in ws[i:]):
                inside_from = i
                break
        expected = None if rec["facts"]["diverged"] else inside_from
        assert rec["facts"]["settle_steps"] == expected, name
    assert records["lr_crawl"]["facts"]["settle_steps"] is None
    assert records["lr_crawl"]["facts"]["stopped_at"] == records["lr_crawl"]["config"]["steps"]
    assert records["lr_good"]["facts"]["settle_steps"] < records["lr_oscillate"]["facts"]["settle_steps"]


@pytest.mark.slow
def test_claim_learning_rate_limit_of_the_two_parameter_loop(records, experiments):
    """"A larger learning rate would get there sooner, but only up to a point: in this loop,
    which moves $w$ and $b$ together, any rate above about [[by_hand.lr_limit]] makes every step
    overshoot further than the last, and the line flies off. (The loss landscape further down
    holds $b$ fixed, which tolerates rates up to [[lr_good.lr_limit]]; its two largest rates
    would diverge in this loop.)" Rerun: the NumPy loop of the page at rates around the limit."""
    import numpy as np

    x, y = experiments["line_data"](records["by_hand"]["seed"])
    w_best, b_best = np.polyfit(x, y, 1)

    def distance_after(lr: float, steps: int) -> float:
        w, b = experiments["LINE_START"]
        for _ in range(steps):
            error = (w * x + b) - y
            w, b = w - lr * 2 * np.mean(error * x), b - lr * 2 * np.mean(error)
        return float(np.hypot(w - w_best, b - b_best))

    start = distance_after(0.0, 0)
    limit = records["by_hand"]["facts"]["lr_limit"]
    by_hand = records["by_hand"]["facts"]
    assert distance_after(0.3, by_hand["steps"]) < distance_after(by_hand["lr"], by_hand["steps"]), "sooner"
    assert distance_after(0.97 * limit, 3000) < 1e-6 * start
    assert distance_after(1.03 * limit, 3000) > 1e3 * start
    assert distance_after(1.03 * limit, 200) > distance_after(1.03 * limit, 100), "further out every step"
    # One-parameter limit (b fixed), and the rates the landscape shows against both limits.
    assert records["lr_good"]["facts"]["lr_limit"] > limit
    larger = sorted(records[n]["facts"]["lr"] for n in SWEEP)[-2:]
    assert all(limit < lr for lr in larger) and larger[0] < records["lr_good"]["facts"]["lr_limit"] < larger[1]


@pytest.mark.slow
def test_claim_after_steps_updates_page_record_and_download_agree(records, built_site, experiments, lesson):
    """"After [[by_hand.steps]] updates the line is ŷ = [[by_hand.final_w]] x + [[by_hand.final_b]]":
    the loop shown makes exactly `steps` updates, and linear.pt holds that same line."""
    import numpy as np
    import torch

    rec = records["by_hand"]
    steps, lr = rec["facts"]["steps"], rec["facts"]["lr"]
    x, y = experiments["line_data"](rec["seed"])
    w, b = experiments["LINE_START"]
    for _ in range(steps):
        error = (w * x + b) - y
        w, b = w - lr * 2 * np.mean(error * x), b - lr * 2 * np.mean(error)
    assert rec["facts"]["final_w"] == pytest.approx(w, abs=1e-12)
    assert rec["facts"]["final_b"] == pytest.approx(b, abs=1e-12)
    state = torch.load(built_site / lesson.slug / "downloads" / "by_hand" / "linear.pt", weights_only=True)
    assert state["weight"].item() == pytest.approx(w, abs=1e-12)
    assert state["bias"].item() == pytest.approx(b, abs=1e-12)
    assert len(rec["series"]["w_numpy"]) == steps + 1  # the start, then one row per update


def test_claim_one_batch_of_all_points_is_what_fit_does(experiments):
    """"Here each step uses all the training points at once, as one batch ... With `batch_size`
    equal to the number of points and no shuffling, that loop makes exactly the updates of the one
    above; a test checks that both end with identical parameters.\""""
    import torch

    from generator.authoring import fit

    def fresh():
        torch.manual_seed(3)
        model = experiments["over_large_mlp"](16, 2)
        return model, torch.optim.Adam(model.parameters(), lr=3e-3)

    x = torch.linspace(-1, 1, 30).reshape(-1, 1)
    y = torch.sin(3 * x)
    loss_fn = torch.nn.MSELoss()
    full, full_opt = fresh()
    fit(full, full_opt, loss_fn, x, y, 20)
    batched, batched_opt = fresh()
    experiments["train_in_minibatches"](batched, batched_opt, loss_fn, x, y, 20, batch_size=30, shuffle=False)
    for a, b in zip(full.parameters(), batched.parameters()):
        assert torch.equal(a, b)
    small, small_opt = fresh()
    experiments["train_in_minibatches"](small, small_opt, loss_fn, x, y, 20, batch_size=8, shuffle=False)
    assert not all(torch.equal(a, b) for a, b in zip(full.parameters(), small.parameters())), "4 steps an epoch"


def test_claim_weights_only_load_runs_no_code(tmp_path, lesson):
    """"A `.pt` file is a Python pickle, and unpickling an arbitrary file can run code hidden in it;
    `torch.load(path, weights_only=True)`, as below, accepts only tensors and plain containers of
    them and refuses anything else, so a file loaded that way runs none of its own code.\""""
    import pickle

    import torch

    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pt"
    torch.save({"weight": torch.zeros(2), "extra": Payload()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    assert not marker.exists()
    torch.load(path, weights_only=False)  # a plain unpickling does run it
    assert marker.exists()
    snippet = (lesson.folder / "load_checkpoint.py").read_text()
    assert "weights_only=True" in snippet.split("[start:load]")[1].split("[end:load]")[0]


def test_claim_every_network_is_downloadable_and_linked(lesson, specs):
    """"Every network trained for this page can be downloaded, and the fitted line too: ... the
    over-large network after all its epochs ...": every run that trains a network saves its
    weights, and the page links the ones it names."""
    import re

    adam_runs = [s.name for s in specs.values() if "width" in s.config]
    assert set(adam_runs) == {"overfit", *[n for names in FAMILIES.values() for n in names]}
    source = (lesson.folder / "experiments.py").read_text()
    assert source.count('rec.artifact("model.pt")') == 2  # in `overfit` and in every regulariser run
    linked = set(re.findall(r"downloads/([\w]+)/", lesson.source.read_text()))
    assert {"by_hand", "overfit", "stop_patience_100", "decay_1e_2", "dropout_0_5"} <= linked


@pytest.mark.slow
def test_claim_film_and_page_count_settling_the_same_way(records, built_site):
    """The gradient-descent film's closing caption ("Within 0.02 of w* for good: lr 0.25: 4 steps,
    lr 0.6: 24 steps") and the page's "settles after [[lr_good.settle_steps]] steps" read one record."""
    captions = (built_site / "video" / "gradient-descent-light.vtt").read_text()
    tolerance = records["lr_good"]["facts"]["settle_tolerance"]
    assert f"Within {tolerance:g} of w* for good" in captions
    for name in ("lr_good", "lr_oscillate"):
        facts = records[name]["facts"]
        assert f"lr {facts['lr']:g}: {facts['settle_steps']} steps" in captions, name


def test_too_few_snapshots_to_cover_the_run_is_an_error(experiments):
    """Rather than leap over part of the run, snapshot_epochs refuses a count that cannot cover it."""
    with pytest.raises(ValueError, match="cannot cover 6000 epochs"):
        experiments["snapshot_epochs"](6000, 20)
    assert len(experiments["snapshot_epochs"](6000, 60)) <= 60
