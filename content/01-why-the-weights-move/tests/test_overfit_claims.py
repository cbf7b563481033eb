"""Claim tests: the recorded runs show what the lesson says they show.

The overfit run is re-executed for seeds 0 to 4 (two worker processes), so the claims
hold for the experiment, not for one lucky seed.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.authoring import execute
from generator.training import load_experiments
from tests.plugin import ROOT

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments.py"
SEEDS = range(5)


@pytest.fixture(scope="module")
def overfit_records(run_seeds) -> dict[int, dict]:
    return run_seeds("overfit", SEEDS)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_validation_loss_turns_up(overfit_records, seed):
    series = overfit_records[seed]["series"]
    val = series["val_loss"]
    best = min(range(len(val)), key=val.__getitem__)
    assert best < len(val) - 1, "validation loss is lowest at the last epoch: no overfitting to show"
    assert val[-1] >= 1.5 * val[best], f"final {val[-1]:.4f} < 1.5 x best {val[best]:.4f}"


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_training_loss_ends_far_below_validation(overfit_records, seed):
    series = overfit_records[seed]["series"]
    assert series["train_loss"][-1] < series["val_loss"][-1] / 5


def test_overfit_record_shape():
    """The recorded run has what the player needs: ~150 snapshots, denser early."""
    specs = {s.name: s for s in load_experiments(EXPERIMENTS, ROOT)}
    spec = specs["overfit"]
    assert spec.config["depth"] == 5 and spec.config["width"] == 128
    namespace = spec.fn.__globals__
    epochs = namespace["snapshot_epochs"](spec.config["epochs"], spec.config["snapshots"])
    assert len(epochs) <= spec.config["snapshots"]
    assert epochs[0] == 0 and epochs[-1] == spec.config["epochs"]
    gaps = [b - a for a, b in zip(epochs, epochs[1:])]
    assert max(gaps[:20]) < min(gaps[-20:])  # dense early, sparse late


def test_same_seed_same_record():
    specs = {s.name: s for s in load_experiments(EXPERIMENTS, ROOT)}
    import dataclasses

    short = dataclasses.replace(specs["overfit"], config={**specs["overfit"].config, "epochs": 30, "snapshots": 20})
    assert execute(short) == execute(short)
