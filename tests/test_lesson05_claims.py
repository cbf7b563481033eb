"""Claim tests for lesson 05, "Physics-informed neural networks", over seeds 0 to 4.

The records are the ones the build writes: train_lesson on the build/test cache, the same
cache entry the session build (tests/conftest.py) reads, so the runs train once per change
of experiments.py. Errors are recomputed here from the recorded predictions and an
independent solution of the equation (Runge-Kutta), not read from the runs' own facts.
Each test quotes the sentence of lesson.md it guards.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from generator.cache import Cache
from generator.progress import Silent
from generator.training import train_lesson

ROOT = Path(__file__).resolve().parent.parent
LESSON = "05-physics-informed-networks"
EXPERIMENTS = ROOT / "content" / LESSON / "experiments.py"
PAGE = ROOT / "content" / LESSON / "lesson.md"
SEEDS = range(5)


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    paths = train_lesson(EXPERIMENTS, LESSON, ROOT, Cache(ROOT / "build" / "test" / "cache"), Silent(), workers=2)
    return {name: json.loads(path.read_text()) for name, path in paths.items()}


def seeded(records: dict[str, dict], name: str, seed: int) -> dict:
    rec = records[name if seed == 0 else f"{name}_seed{seed}"]
    assert rec["seed"] == seed
    return rec


def guards(sentence: str) -> None:
    """The sentence a test guards must still be on the page (whitespace-insensitive)."""
    page = " ".join(PAGE.read_text().split())
    assert " ".join(sentence.split()) in page, f"lesson.md no longer says: {sentence!r}"


# --------------------------------------------------------------------------- independent measurements
def runge_kutta(omega0: float, zeta: float, t: np.ndarray, substeps: int = 50) -> np.ndarray:
    """u'' + 2ζω₀u' + ω₀²u = 0, u(0) = 1, u'(0) = 0, integrated with classical RK4."""
    def slope(state):
        u, v = state
        return np.array([v, -2 * zeta * omega0 * v - omega0 ** 2 * u])

    state, out = np.array([1.0, 0.0]), [1.0]
    for a, b in zip(t, t[1:]):
        h = (b - a) / substeps
        for _ in range(substeps):
            k1 = slope(state)
            k2 = slope(state + h / 2 * k1)
            k3 = slope(state + h / 2 * k2)
            k4 = slope(state + h * k3)
            state = state + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(state[0])
    return np.array(out)


def final(rec: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(grid, final prediction, solution) from the record; the last snapshot is the last step."""
    snaps, const = rec["snapshots"], rec["constants"]
    assert snaps["step"][-1] == rec["config"]["steps"]
    grid = np.array(const["grid"])
    return grid, np.array(snaps["prediction"][-1]), runge_kutta(const["omega0"], const["zeta"], grid)


def rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(values ** 2)))


def errors(rec: dict) -> dict[str, float]:
    grid, prediction, solution = final(rec)
    inside = grid <= rec["constants"]["data_end"]
    error = prediction - solution
    return {"inside": rms(error[inside]), "outside": rms(error[~inside]) if (~inside).any() else 0.0,
            "all": rms(error), "max": float(np.abs(error).max()),
            "variance_ratio": float(prediction.var() / solution.var()), "mean": float(prediction.mean()),
            "swing_outside": rms(solution[~inside]) if (~inside).any() else 0.0}


# --------------------------------------------------------------------------- the problem
@pytest.mark.slow
def test_recorded_truth_is_the_solution_of_the_equation(records):
    """The display-math solution (used as `truth`) agrees with a numerical solution."""
    guards(r"$$u(t) = e^{-\zeta\omega_0 t}\left(\cos\omega_d t + \frac{\zeta\omega_0}{\omega_d}\sin\omega_d t\right)")
    const = records["hybrid"]["constants"]
    grid = np.array(const["grid"])
    assert np.max(np.abs(runge_kutta(const["omega0"], const["zeta"], grid) - np.array(const["truth"]))) < 1e-7


@pytest.mark.slow
def test_observations_are_where_the_page_says(records):
    guards("all taken early, before $t$ = [[hybrid.data_end]]")
    for seed in SEEDS:
        const = seeded(records, "hybrid", seed)["constants"]
        t = np.array(const["t_obs"])
        assert len(t) == 12 and t.min() >= 0 and t.max() <= const["data_end"] == 0.4
        noise = np.array(const["u_obs"]) - runge_kutta(const["omega0"], const["zeta"], np.concatenate([[0], t]))[1:]
        assert 0.5 * 0.03 < noise.std() < 2 * 0.03


@pytest.mark.slow
def test_facts_agree_with_recomputed_errors(records):
    """The numbers the page prints (run facts) are the errors recomputed here."""
    for name in ("data_only", "physics_only", "hybrid", "fails_collocation", "lambda_0_001", "inverse"):
        rec, mine = records[name], errors(records[name])
        facts = rec["facts"]
        for fact, key in (("rms_inside", "inside"), ("rms_outside", "outside"), ("max_error", "max"),
                          ("variance_ratio", "variance_ratio")):
            assert math.isclose(facts[fact], mine[key], rel_tol=1e-3, abs_tol=1e-5), (name, fact)


# --------------------------------------------------------------------------- data, physics, both
@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_hybrid_extrapolates_at_least_five_times_better(records, seed):
    guards("On every seed the network trained on both has an error outside the window at least five times "
           "smaller than the data-only network's")
    data, hybrid = errors(seeded(records, "data_only", seed)), errors(seeded(records, "hybrid", seed))
    assert data["outside"] >= 5 * hybrid["outside"], f"data only {data['outside']:.3f}, both {hybrid['outside']:.4f}"


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_physics_only_within_stated_tolerance(records, seed):
    guards("the physics-only network is within [[physics_only.tolerance]] of the exact solution at every point "
           "of the window")
    rec = seeded(records, "physics_only", seed)
    assert rec["facts"]["tolerance"] == 0.02
    assert errors(rec)["max"] <= rec["facts"]["tolerance"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_data_only_fits_inside_and_pays_outside(records, seed):
    guards("Inside the window the data-only network does its job: its error is about the size of the noise.")
    guards("Outside, it pays the extrapolation tax, with errors of the same size as the swing.")
    mine = errors(seeded(records, "data_only", seed))
    assert mine["inside"] < 2 * seeded(records, "data_only", seed)["config"]["noise"]
    assert mine["outside"] > mine["swing_outside"], "outside the window the error is smaller than the swing"


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_all_three_close_inside_the_window(records, seed):
    guards("Inside the shaded window all three end up close to the truth.")
    for name in ("data_only", "physics_only", "hybrid"):
        assert errors(seeded(records, name, seed))["inside"] < 0.1, name


@pytest.mark.slow
def test_physics_alone_is_usually_more_accurate(records):
    guards("Notice that physics alone is usually a little more accurate than physics plus data here")
    better = [errors(seeded(records, "physics_only", s))["all"] < errors(seeded(records, "hybrid", s))["all"]
              for s in SEEDS]
    assert sum(better) > len(better) / 2, better


# --------------------------------------------------------------------------- failures
FLAT = ["fails_weighting", "fails_units", "fails_lr"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", FLAT)
def test_failing_set_up_is_flat(records, name, seed):
    guards("a flat line at zero.")
    guards("The result is flat again")
    guards("and it ends on a constant")
    rec = seeded(records, name, seed)
    mine = errors(rec)
    assert mine["variance_ratio"] < rec["facts"]["flat_below"] == 0.01, f"variance ratio {mine['variance_ratio']:.3g}"
    # ... far below: the working run's ratio is about 1.
    assert errors(seeded(records, "physics_only", seed))["variance_ratio"] > 0.9


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_flat_lines_sit_where_the_page_says(records, seed):
    guards("a flat line at zero")
    guards("which is smallest at $c = 1/2$")
    assert abs(errors(seeded(records, "fails_weighting", seed))["mean"]) < 0.05
    assert abs(errors(seeded(records, "fails_lr", seed))["mean"] - 0.5) < 0.05


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_too_few_collocation_points_is_wrong_but_not_flat(records, seed):
    guards("the network satisfies the equation at those points and does something else in between. "
           "This one is not flat, but it is wrong")
    rec = seeded(records, "fails_collocation", seed)
    mine = errors(rec)
    assert mine["variance_ratio"] > 0.1
    assert mine["max"] > 0.3
    assert rec["series"]["physics_loss"][-1] < 1e-3   # the equation holds at its few points


# --------------------------------------------------------------------------- the weight λ
@pytest.mark.slow
def test_lambda_sweep(records):
    guards("It falls as $\\lambda$ grows")
    guards("Beyond that the physics has taken over and the error stays small")
    out = {name: errors(records[name])["outside"]
           for name in ("lambda_0_001", "lambda_0_01", "lambda_0_1", "hybrid", "lambda_10", "lambda_100")}
    assert out["lambda_0_001"] > out["lambda_0_01"] > out["lambda_0_1"]
    assert out["lambda_0_001"] > 0.2                           # too quiet to rescue the extrapolation
    for name in ("lambda_0_1", "hybrid", "lambda_10", "lambda_100"):   # small from 0.1 on
        assert out[name] < out["lambda_0_001"] / 10, name


# --------------------------------------------------------------------------- the inverse problem
@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_learned_damping_within_five_percent(records, seed):
    guards("With measurements over the whole window, every seed lands within 5% of the true $\\zeta$")
    rec = seeded(records, "inverse", seed)
    assert len(rec["constants"]["t_obs"]) == 60 and max(rec["constants"]["t_obs"]) > 0.9
    learned = rec["series"]["zeta"][-1]
    assert abs(learned - 0.05) / 0.05 < 0.05, f"ζ = {learned:.4f}"
    assert rec["series"]["zeta"][0] == pytest.approx(0.2)


@pytest.mark.slow
def test_early_measurements_alone_are_less_reliable(records):
    guards("with only the early ones, the estimate is much less reliable")
    window = max(abs(seeded(records, "inverse_window", s)["series"]["zeta"][-1] - 0.05) for s in SEEDS)
    whole = max(abs(seeded(records, "inverse", s)["series"]["zeta"][-1] - 0.05) for s in SEEDS)
    assert window > 3 * whole


# --------------------------------------------------------------------------- the slider's snapshots
@pytest.mark.slow
def test_snapshots_cover_the_whole_run(records):
    """Consecutive snapshot steps are adjacent or at most 0.1 decades apart, and the last is the last step."""
    steps = records["hybrid"]["snapshots"]["step"]
    assert steps[0] == 0 and steps[-1] == records["hybrid"]["config"]["steps"]
    for a, b in zip(steps, steps[1:]):
        assert b == a + 1 or math.log10(b + 1) - math.log10(a + 1) <= 0.1 + 1e-9, (a, b)
