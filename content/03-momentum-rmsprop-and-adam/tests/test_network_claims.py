"""Claims the lesson makes about the network runs (the learning-rate sweep and Adam's two kinds
of weight decay), checked on the written seeds and on held-out ones, from the records' own
curves where possible rather than from the facts alone.

Each test quotes the sentence it keeps true and checks the sentence is still in lesson.md.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.plugin import HELD_OUT_SEEDS, WRITTEN_SEEDS

SEED_SETS = {"written": WRITTEN_SEEDS, "held-out": HELD_OUT_SEEDS}


@pytest.fixture(scope="module")
def networks(run_seeds) -> dict[int, dict]:
    return run_seeds("network", WRITTEN_SEEDS + HELD_OUT_SEEDS)


@pytest.fixture(scope="module")
def decays(run_seeds) -> dict[int, dict]:
    return run_seeds("decay", WRITTEN_SEEDS + HELD_OUT_SEEDS)


def at_best(record: dict, optimiser: str) -> tuple[np.ndarray, np.ndarray]:
    """(train curve, val curve) of `optimiser` at the rate with the lowest final training loss,
    chosen here from the curves, not read from the record's choice."""
    const = record["constants"]
    o = const["optimisers"].split(",").index(optimiser)
    curves, diverged = np.asarray(const["curves"])[o], np.asarray(const["diverged"])[o]
    finals = np.where(diverged == 1, np.inf, curves[:, 0, -1])
    k = int(np.argmin(finals))
    assert k == const["best"][o]
    return curves[k, 0], curves[k, 1]


@pytest.mark.slow
@pytest.mark.parametrize("seeds", SEED_SETS.values(), ids=SEED_SETS.keys())
def test_adam_fits_the_training_points_most_closely(networks, seeds, guards):
    """"At those rates the final training losses are [[network.sgd_train:.4f]],
    [[network.momentum_train:.4f]] and [[network.adam_train:.4f]]: Adam fits the training points
    most closely.\""""
    guards("[[network.adam_train:.4f]]: Adam fits the training points most closely.")
    for seed in seeds:
        record = networks[seed]
        finals = {name: at_best(record, name)[0][-1] for name in ("sgd", "momentum", "adam")}
        assert finals["adam"] < min(finals["sgd"], finals["momentum"]), (seed, finals)


@pytest.mark.slow
@pytest.mark.parametrize("seeds", SEED_SETS.values(), ids=SEED_SETS.keys())
def test_adam_does_not_predict_new_points_best(networks, seeds, guards):
    """"It does not predict new points best. Its final validation loss, [[network.adam_val:.4f]],
    is higher than momentum's [[network.momentum_val:.4f]]" and "it reaches its lowest,
    [[network.adam_best_val:.4f]], long before the last epoch and climbs after.\""""
    guards("It does not predict new points best. Its final validation loss, [[network.adam_val:.4f]], "
           "is higher than momentum's [[network.momentum_val:.4f]]")
    guards("it reaches its lowest, [[network.adam_best_val:.4f]], long before the last epoch and climbs after.")
    for seed in seeds:
        record = networks[seed]
        epochs = np.asarray(record["constants"]["epochs_logged"])
        _, adam_val = at_best(record, "adam")
        _, momentum_val = at_best(record, "momentum")
        assert adam_val[-1] > momentum_val[-1], seed
        lowest = int(np.argmin(adam_val))
        assert epochs[lowest] <= epochs[-1] / 2, (seed, epochs[lowest])          # long before the end
        assert adam_val[-1] > 1.1 * adam_val[lowest], seed                       # and clearly higher after


@pytest.mark.slow
@pytest.mark.parametrize("seeds", SEED_SETS.values(), ids=SEED_SETS.keys())
def test_no_validation_loss_goes_much_below_the_noise(networks, seeds, guards):
    """"The noise in the data has variance [[network.noise_variance:g]], so no model can get the
    validation loss much below that" — true of every curve of the sweep: none goes below 3/4 of it."""
    guards("The noise in the data has variance [[network.noise_variance:g]], so no model can get the "
           "validation loss much below that")
    for seed in seeds:
        const = networks[seed]["constants"]
        assert np.asarray(const["curves"])[:, :, 1].min() > 0.75 * const["noise_variance"], seed


@pytest.mark.slow
@pytest.mark.parametrize("seeds", SEED_SETS.values(), ids=SEED_SETS.keys())
def test_both_decays_shrink_the_weights_and_lower_validation_loss(decays, seeds, guards):
    """"Both kinds of decay shrink the weights and lower the validation loss against no decay.\""""
    guards("Both kinds of decay shrink the weights and lower the validation loss against no decay.")
    for seed in seeds:
        f = decays[seed]["facts"]
        for decayed in ("adam_l2", "adamw"):
            assert f[f"{decayed}_norm"] < f["adam_norm"], (seed, decayed)
            assert f[f"{decayed}_val"] < f["adam_val"], (seed, decayed)


@pytest.mark.slow
@pytest.mark.parametrize("seeds", SEED_SETS.values(), ids=SEED_SETS.keys())
def test_l2_decay_under_adam_is_a_spread_far_above_its_nominal_rate(decays, seeds, guards):
    """"... is not one number but a spread: [[decay.l2_rate_p10:.2g]] for the tenth percentile of
    the weights, [[decay.l2_rate_p90:.2g]] for the ninetieth, a factor of [[decay.l2_rate_spread:.1f]]."
    and "$\\alpha\\lambda$ is [[decay.l2_rate_plain:g]], yet the median weight loses
    [[decay.l2_rate_median:.2g]] of itself per step." Recomputed from the recorded rates."""
    guards("is not one number but a spread: [[decay.l2_rate_p10:.2g]] for the tenth percentile of the weights, "
           "[[decay.l2_rate_p90:.2g]] for the ninetieth, a factor of [[decay.l2_rate_spread:.1f]].")
    guards("yet the median weight loses [[decay.l2_rate_median:.2g]] of itself per step.")
    for seed in seeds:
        record = decays[seed]
        f, rates = record["facts"], np.asarray(record["constants"]["l2_decay_rates"])
        assert f["l2_rate_spread"] == pytest.approx(np.percentile(rates, 90) / np.percentile(rates, 10), rel=1e-6)
        assert f["l2_rate_spread"] > 3, seed
        assert np.median(rates) > 10 * f["lr"] * f["l2"], seed


def test_adamw_shrinks_every_weight_by_lr_times_lambda(facts, guards):
    """"... with AdamW at $\\lambda$ = [[decay.decoupled:g]], which shrinks every weight by
    [[decay.adamw_rate:g]] of itself per step." Checked on torch.optim.AdamW with a zero gradient."""
    guards("which shrinks every weight by [[decay.adamw_rate:g]] of itself per step.")
    f = facts["decay"]
    weights = torch.tensor([0.5, -2.0, 3.0], requires_grad=True)
    optimizer = torch.optim.AdamW([weights], lr=f["lr"], weight_decay=f["decoupled"])
    weights.grad = torch.zeros(3)
    before = weights.detach().clone()
    optimizer.step()
    shrink = 1 - weights.detach() / before
    assert torch.allclose(shrink, torch.full((3,), f["adamw_rate"]), rtol=1e-4)
