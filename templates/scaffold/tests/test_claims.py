"""Claims of this lesson: each test quotes the sentence of lesson.md it keeps true and checks
it on the records the build wrote (`records`, `facts`), or on runs trained afresh with
other seeds (`run_seeds`). Run them with `make test N=__NUMBER__`. The checks every lesson
gets (typed numbers, facts, widgets, videos, links, axe) need no test here.
"""
import pytest

from tests.plugin import HELD_OUT_SEEDS


def test_the_loss_falls_at_every_step(records, guards):
    """"the loss goes from [[descent.first_loss:.3g]] to [[descent.final_loss:.3g]]": and it
    falls at every step on the way."""
    guards("the loss goes from [[descent.first_loss:.3g]] to [[descent.final_loss:.3g]]")
    loss = records["descent"]["series"]["loss"]
    assert all(b < a for a, b in zip(loss, loss[1:]))


def test_the_run_takes_the_steps_it_says(records, facts):
    """"The run takes [[descent.steps]] steps": one logged row for the start and one per step."""
    assert len(records["descent"]["series"]["step"]) == facts["descent"]["steps"] + 1


@pytest.mark.slow
def test_the_loss_falls_on_seeds_nobody_looked_at(run_seeds):
    """A claim over seeds must hold on seeds not used while writing it."""
    for seed, record in run_seeds("descent", HELD_OUT_SEEDS[:2]).items():
        loss = record["series"]["loss"]
        assert loss[-1] < loss[0] / 10, f"seed {seed}"
