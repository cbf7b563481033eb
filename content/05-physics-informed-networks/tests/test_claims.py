"""Claim tests for lesson 05, "Physics-informed neural networks".

Each test quotes the sentence of lesson.md it guards (`guards`). Errors are recomputed here
from the recorded predictions and an independent solution of the equation (classical
Runge-Kutta), not read from the runs' own facts.

A claim over seeds takes the `claim_seeds` fixture and so runs twice: on the seeds the page
was written from (0-4, the build's records) and on held-out seeds 100-104, trained here with
`run_seeds` for only the runs that claim needs. Thresholds: each test's docstring gives the
measured values on both seed sets and why the margin is what it is.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tests.plugin import HELD_OUT_SEEDS, WRITTEN_SEEDS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seeded(records, run_seeds, claim_seeds):
    """seeded(name) -> {seed: record} of run `name` on the claim's seeds: the build's records
    for the written seeds, fresh training for the held-out ones."""

    def get(name: str) -> dict[int, dict]:
        if claim_seeds.held_out:
            return run_seeds(name, claim_seeds)
        found = {s: records[name if s == 0 else f"{name}_seed{s}"] for s in claim_seeds}
        assert all(rec["seed"] == s for s, rec in found.items())
        return found

    return get


# --------------------------------------------------------------------------- independent measurements
def runge_kutta(omega0: float, zeta: float, t: np.ndarray, substeps: int = 50) -> np.ndarray:
    """u'' + 2ζω₀u' + ω₀²u = 0, u(0) = 1, u'(0) = 0, integrated with classical RK4 from t = 0."""
    def slope(state):
        u, v = state
        return np.array([v, -2 * zeta * omega0 * v - omega0 ** 2 * u])

    times = np.concatenate([[0.0], t])
    state, out = np.array([1.0, 0.0]), []
    for a, b in zip(times, times[1:]):
        h = (b - a) / substeps
        for _ in range(substeps):
            k1 = slope(state)
            k2 = slope(state + h / 2 * k1)
            k3 = slope(state + h / 2 * k2)
            k4 = slope(state + h * k3)
            state = state + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(state[0])
    return np.array(out)


def rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(values ** 2)))


def errors(rec: dict) -> dict[str, float]:
    """Errors of the run's final prediction against Runge-Kutta, inside and outside the data
    window, and beyond the collocation window (t in (1, 1.5])."""
    snaps, const = rec["snapshots"], rec["constants"]
    assert snaps["step"][-1] == rec["facts"].get("total_steps", rec["config"]["steps"])
    grid, prediction = np.array(const["grid"]), np.array(snaps["prediction"][-1])
    solution = runge_kutta(const["omega0"], const["zeta"], grid)
    inside = grid <= const["data_end"]
    error = prediction - solution
    beyond = np.array(const["grid_beyond"])
    solution_beyond = runge_kutta(const["omega0"], const["zeta"], np.concatenate([grid, beyond]))[len(grid):]
    return {"inside": rms(error[inside]), "outside": rms(error[~inside]) if (~inside).any() else 0.0,
            "all": rms(error), "max": float(np.abs(error).max()),
            "variance_ratio": float(prediction.var() / solution.var()), "mean": float(prediction.mean()),
            "swing_outside": rms(solution[~inside]) if (~inside).any() else 0.0,
            "beyond": rms(np.array(const["prediction_beyond"]) - solution_beyond),
            "swing_beyond": rms(solution_beyond)}


def zeta_error(rec: dict) -> float:
    return abs(rec["series"]["zeta"][-1] - rec["constants"]["zeta"]) / rec["constants"]["zeta"]


def test_the_seed_sets_are_disjoint():
    assert not set(WRITTEN_SEEDS) & set(HELD_OUT_SEEDS)


# --------------------------------------------------------------------------- the problem
def test_recorded_truth_is_the_solution_of_the_equation(records, guards):
    """The display-math solution (recorded as `truth`, in and beyond the window) agrees with
    a numerical solution of the equation."""
    guards(r"$$u(t) = e^{-\zeta\omega_0 t}\left(\cos\omega_d t + \frac{\zeta\omega_0}{\omega_d}\sin\omega_d t\right)")
    const = records["hybrid"]["constants"]
    # One fine integration over both grids (short steps all the way out to t = 1.5).
    solved = runge_kutta(const["omega0"], const["zeta"], np.concatenate([const["grid"], const["grid_beyond"]]))
    assert np.max(np.abs(solved - np.concatenate([const["truth"], const["truth_beyond"]]))) < 1e-7


def test_observations_are_where_the_page_says(records, guards):
    """12 readings in [0, 0.4] whose scatter about the solution is the stated noise (0.03):
    the sample standard deviation of 12 normal draws lies within a factor 2 of σ with
    probability above 0.99."""
    guards("all taken early, before $t$ = [[hybrid.data_end]]")
    for seed in WRITTEN_SEEDS:
        const = records["hybrid" if seed == 0 else f"hybrid_seed{seed}"]["constants"]
        t = np.array(const["t_obs"])
        assert len(t) == 12 and t.min() >= 0 and t.max() <= const["data_end"] == 0.4
        noise = np.array(const["u_obs"]) - runge_kutta(const["omega0"], const["zeta"], t)
        assert 0.5 * 0.03 < noise.std() < 2 * 0.03


def test_facts_agree_with_recomputed_errors(records):
    """The numbers the page prints (run facts) are the errors recomputed here."""
    for name in ("data_only", "physics_only", "hybrid", "physics_hard", "fails_collocation", "lambda_0_001",
                 "inverse"):
        rec, mine = records[name], errors(records[name])
        facts = rec["facts"]
        for fact, key in (("rms_inside", "inside"), ("rms_outside", "outside"), ("max_error", "max"),
                          ("variance_ratio", "variance_ratio"), ("rms_beyond", "beyond"),
                          ("swing_beyond", "swing_beyond")):
            assert math.isclose(facts[fact], mine[key], rel_tol=1e-3, abs_tol=1e-5), (name, fact)


def test_envelope_has_shrunk_by_the_stated_share_at_the_end_of_the_data(records, guards):
    """ "by $t$ = 0.4 the envelope of the swing has shrunk by only 12%": e^(-ζω₀t) recomputed,
    and the Runge-Kutta solution's peak near t = 1 (one period on) shrunk by about as much
    per 0.4 of time."""
    guards("the envelope of the swing has shrunk by only [[hybrid.envelope_drop_pct:.0f]]%")
    facts = records["hybrid"]["facts"]
    drop = 100 * (1 - math.exp(-0.05 * 2 * math.pi * 0.4))
    assert facts["envelope_drop_pct"] == pytest.approx(drop) and round(drop) == 12
    # u at its first peak after one period, t = 2π/ω_d, is the envelope there.
    period = 2 * math.pi / (2 * math.pi * math.sqrt(1 - 0.05 ** 2))
    peak = runge_kutta(2 * math.pi, 0.05, np.linspace(0, period, 201)[1:])[-1]
    assert peak == pytest.approx(math.exp(-0.05 * 2 * math.pi * period), rel=1e-6)


# --------------------------------------------------------------------------- tanh, not ReLU
def test_a_relu_network_has_no_second_derivative():
    """ "A ReLU network is made of straight pieces, so its second derivative is zero almost
    everywhere": u″ by the same double autograd.grad the physics loss uses, at 200 points."""
    torch.manual_seed(0)
    layers = []
    for fan_in in (1, 32, 32):
        layers += [torch.nn.Linear(fan_in, 32), torch.nn.ReLU()]
    relu = torch.nn.Sequential(*layers, torch.nn.Linear(32, 1))
    t = torch.rand(200, 1, requires_grad=True)
    u = relu(t)
    du = torch.autograd.grad(u, t, torch.ones_like(u), create_graph=True)[0]
    assert du.abs().max() > 0
    d2u = torch.autograd.grad(du, t, torch.ones_like(du), allow_unused=True)[0]
    assert d2u is None or torch.count_nonzero(d2u) == 0
    tanh = torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))
    v = tanh(t)
    dv = torch.autograd.grad(v, t, torch.ones_like(v), create_graph=True)[0]
    assert torch.count_nonzero(torch.autograd.grad(dv, t, torch.ones_like(dv))[0]) == 200


# --------------------------------------------------------------------------- data, physics, both
def test_hybrid_extrapolates_at_least_five_times_better(seeded, guards):
    """Measured: the ratio data-only / hybrid RMS error after the window is at least 78 on
    seeds 0-4; 5 is the page's round, safe bar."""
    guards("On every seed the network trained on both has an error outside the window at least five times "
           "smaller than the data-only network's")
    data, hybrid = seeded("data_only"), seeded("hybrid")
    for seed in data:
        d, h = errors(data[seed])["outside"], errors(hybrid[seed])["outside"]
        assert d >= 5 * h, f"seed {seed}: data only {d:.3f}, both {h:.4f}"


def test_physics_only_within_stated_tolerance(seeded, guards):
    """Max |error| within 0.02 on at least 4 of 5 seeds. Measured: at most 0.007 on seeds
    0-4; 0.0003-0.0027 on 100-102 and 104 but 0.029 on 103, which is why the page says
    "on most seeds, though not all" instead of every seed."""
    guards("The physics-only network is\nwithin [[physics_only.tolerance]] of the exact solution at every point of the window on\n"
           "most seeds, though not all")
    within = []
    for seed, rec in seeded("physics_only").items():
        assert rec["facts"]["tolerance"] == 0.02
        within.append(errors(rec)["max"] <= rec["facts"]["tolerance"])
    assert sum(within) >= 4, within


def test_data_only_fits_inside_and_pays_outside(seeded, guards):
    """Inside the window the data-only error is at most 3 times the noise (0.03): measured
    0.016-0.039 on seeds 0-4 and 0.014-0.040 on 100-104, but 0.089 on seed 7 in an audit,
    so "about the noise" became "at most three times the noise"; outside, larger than the
    swing on every seed (0.70 at the least, against a swing of RMS 0.61)."""
    guards("its error is at most three times the noise")
    guards("Outside, it pays the extrapolation tax, with errors of the same size as the swing.")
    for seed, rec in seeded("data_only").items():
        mine = errors(rec)
        assert mine["inside"] <= 3 * rec["config"]["noise"], f"seed {seed}: {mine['inside']:.3f}"
        assert mine["outside"] > mine["swing_outside"], f"seed {seed}: smaller than the swing outside"


def test_all_three_close_inside_the_window(seeded, guards):
    """ "close": RMS error inside the window below 0.1, a tenth of the starting amplitude
    (data only is the loosest, measured up to 0.089 by the audit)."""
    guards("Inside the shaded window all three end up close to the truth.")
    for name in ("data_only", "physics_only", "hybrid"):
        for seed, rec in seeded(name).items():
            assert errors(rec)["inside"] < 0.1, f"{name} seed {seed}"


def test_physics_alone_is_usually_more_accurate(seeded, guards):
    """ "usually": on at least 3 of the 5 seeds of each set (RMS error over the window).
    Measured on 100-104: physics alone better on 4 (not on 103)."""
    guards("Notice that physics alone is usually a little more accurate than physics plus data here")
    physics, hybrid = seeded("physics_only"), seeded("hybrid")
    better = [errors(physics[s])["all"] < errors(hybrid[s])["all"] for s in physics]
    assert sum(better) >= 3, better


def test_no_network_extrapolates_past_the_collocation_window(seeded, guards):
    """Past t = 1 no collocation point checks the equation: each network's RMS error there is
    at least a third of the swing's own RMS (0.48). Measured: physics only 0.32-0.53 and
    hybrid 0.39-0.64 on seeds 0-4, 0.29-0.47 and 0.36-0.54 on 100-104 (0.6 of the swing at
    the least); an audit saw 0.19 at its lowest, 0.4 of the swing, so a third keeps room."""
    guards("Past $t$ = 1, where no collocation point checks the equation")
    for name in ("physics_only", "hybrid"):
        for seed, rec in seeded(name).items():
            mine = errors(rec)
            assert mine["beyond"] > mine["swing_beyond"] / 3, f"{name} seed {seed}: {mine['beyond']:.3f}"


# --------------------------------------------------------------------------- failures
FLAT = ["fails_weighting", "fails_units", "fails_lr"]


@pytest.mark.parametrize("name", FLAT)
def test_failing_set_up_is_flat(seeded, name, guards):
    """Flat: output variance below 1% of the solution's (measured at most 2.4e-4 on seeds 0-4),
    against about 1 for the working run."""
    guards("a flat line at zero.")
    guards("The result is flat again")
    guards("and it ends on a constant")
    working = seeded("physics_only")
    for seed, rec in seeded(name).items():
        mine = errors(rec)
        assert mine["variance_ratio"] < rec["facts"]["flat_below"] == 0.01, f"seed {seed}: {mine['variance_ratio']:.3g}"
        assert errors(working[seed])["variance_ratio"] > 0.9


def test_flat_lines_sit_where_the_page_says(seeded, guards):
    """Raw residual: the constant minimising ω₀⁴c² + (c−1)², 1/(1+ω₀⁴) = 6.4e-4, so within
    0.05 of zero. Learning rate and milliseconds: "near one half", within 0.15 of c = 1/2,
    the minimum of c² + (c−1)²; Adam at lr 0.1 keeps jostling the flat line, and it ended at
    0.41 on seed 4 (0.094 from 1/2), so 0.05 was too tight."""
    guards("near one half on every seed tested")
    guards("a flat line at zero")
    guards("which is smallest at $c = 1/2$")
    guards("The milliseconds run ends on the same constant")
    for name, target, within in (("fails_weighting", 1 / (1 + (2 * math.pi) ** 4), 0.05), ("fails_lr", 0.5, 0.15),
                                 ("fails_units", 0.5, 0.15)):
        for seed, rec in seeded(name).items():
            assert abs(errors(rec)["mean"] - target) < within, f"{name} seed {seed}: {errors(rec)['mean']:.3f}"


def test_the_zero_line_is_a_trap_not_the_best_answer(records, guards):
    """The raw-residual loss of the working run's curve is far below that of any constant:
    the flat line is where the optimiser stops, not the minimum."""
    guards("a trap the optimiser falls into")
    omega0 = 2 * math.pi
    best_constant = min(omega0 ** 4 * c ** 2 + (c - 1) ** 2 for c in np.linspace(-1, 1, 20001))
    rec = records["physics_only"]
    # The working run's loss is on the scaled residual; unscaled, the residual is ω₀² times larger.
    raw_loss = omega0 ** 4 * rec["facts"]["final_physics_loss"] + rec["series"]["initial_loss"][-1]
    assert raw_loss < best_constant / 100


def test_milliseconds_saturate_the_first_layer(records, guards):
    """At the start, the share of (first-layer unit, collocation point) pairs with tanh′ < 0.002
    is recorded: most of them in milliseconds, few in seconds."""
    guards("[[fails_units.saturated_pct_at_start:.0f]]% of")
    ms, s = records["fails_units"]["facts"], records["physics_only"]["facts"]
    assert ms["saturated_pct_at_start"] > 80 and s["saturated_pct_at_start"] < 20


def test_first_layer_starts_between_minus_one_and_one():
    """ "PyTorch starts the first layer's weights between −1 and 1": U(−1/√fan_in, 1/√fan_in)
    with one input."""
    torch.manual_seed(0)
    layer = torch.nn.Linear(1, 10_000)
    for values in (layer.weight, layer.bias):
        assert values.abs().max() <= 1 and values.abs().max() > 0.99


def test_too_few_collocation_points_is_wrong_but_not_flat(seeded, guards):
    """"Wrong": a largest error above 0.05, seven times the working run's 0.007. Measured on
    seeds 0-4: above 0.3; on held-out seed 102 only 0.104, which is why the bar is not the
    0.3 first written. "Not flat": variance ratio above 0.1 (0.86 on seed 102). Final
    physics loss at most 4e-4 on seeds 0-4 (bar 1e-3): the equation holds at the points."""
    guards("the network satisfies the equation at those points and does something else in between. "
           "This one is not flat, but it is wrong")
    for seed, rec in seeded("fails_collocation").items():
        mine = errors(rec)
        assert mine["variance_ratio"] > 0.1 and mine["max"] > 0.05, f"seed {seed}"
        assert rec["series"]["physics_loss"][-1] < 1e-3, f"seed {seed}"


# --------------------------------------------------------------------------- hard initial conditions
def test_hard_initial_conditions_hold_exactly(records):
    """u(t) = 1 + t²·N(t): the recorded initial-condition term is zero at every step."""
    rec = records["physics_hard"]
    assert max(rec["series"]["initial_loss"]) < 1e-12
    assert rec["snapshots"]["prediction"][0][0] == pytest.approx(1.0)


def test_built_in_starting_conditions(seeded, guards):
    """Inside the window neither version is closer on every seed: measured, the built-in one
    had the smaller largest error on 2 of 5 seeds in each set (all errors below 0.0035 except
    penalised seed 103, 0.029). Past t = 1 the built-in one's RMS error was lower on all ten
    seeds: 0.06-0.50 against 0.32-0.53 on 0-4, 0.05-0.30 against 0.29-0.47 on 100-104."""
    guards("which of the two is closer\nchanges from seed to seed")
    guards("the\nbuilt-in version did better than the penalised one on every seed tested")
    hard, penalised = seeded("physics_hard"), seeded("physics_only")
    closer = [errors(hard[s])["max"] < errors(penalised[s])["max"] for s in hard]
    assert 0 < sum(closer) < len(closer), closer
    for s in hard:
        assert errors(hard[s])["beyond"] < errors(penalised[s])["beyond"], f"seed {s}"


# --------------------------------------------------------------------------- the weight λ
def test_lambda_sweep(records, guards):
    """On the recorded seed: the error after the window falls from λ = 0.001 to 0.1, and from
    0.1 to 100 stays below a tenth of the λ = 0.001 error."""
    guards("It falls as $\\lambda$ grows")
    guards("A large weight does no harm here")
    out = {name: errors(records[name])["outside"]
           for name in ("lambda_0_001", "lambda_0_01", "lambda_0_1", "hybrid", "lambda_10", "lambda_100")}
    assert out["lambda_0_001"] > out["lambda_0_01"] > out["lambda_0_1"]
    assert out["lambda_0_001"] > 0.2
    for name in ("lambda_0_1", "hybrid", "lambda_10", "lambda_100"):
        assert out[name] < out["lambda_0_001"] / 10, name


# --------------------------------------------------------------------------- the inverse problem
def test_zeta_has_converged(seeded):
    """The L-BFGS finish stops when ζ moved less than 1e-6 over its last 50 iterations:
    checked on the logged series, and the table's ζ is that last value. Measured on held-out
    seeds: the finish took 70 to 300 iterations, ζ then not moving at all (below 1e-15), and
    the largest gradient component left was at most 2e-5; the cap is 1,000."""
    for seed, rec in seeded("inverse").items():
        steps, zeta = rec["series"]["step"], rec["series"]["zeta"]
        last = steps[-1]
        before = next(z for s, z in zip(reversed(steps), reversed(zeta)) if s <= last - 50)
        assert abs(zeta[-1] - before) < 1e-6, f"seed {seed}: ζ moved {abs(zeta[-1] - before):.1e}"
        assert rec["facts"]["zeta_learned"] == zeta[-1]
        assert rec["facts"]["finish_iterations"] < 1000, f"seed {seed}: stopped by the cap"


def test_learned_damping_within_stated_range(seeded, guards):
    """Converged ζ, 60 readings over the whole window: 0.5% to 5.2% off on held-out seeds
    100-104 (5.2% on seed 103, which is why the page no longer says 5%); 3.1% and 0.1% on
    seeds 0 and 1.
    An audit of the estimator found it missing 5% on about 15% of draws, so 10% is about
    twice the typical miss, not a bar tuned to these seeds."""
    guards("every seed lands within a tenth of the true $\\zeta$")
    for seed, rec in seeded("inverse").items():
        assert len(rec["constants"]["t_obs"]) == 60 and max(rec["constants"]["t_obs"]) > 0.9
        assert zeta_error(rec) < 0.10, f"seed {seed}: ζ = {rec['series']['zeta'][-1]:.4f}"
        assert rec["series"]["zeta"][0] == pytest.approx(0.2)


def test_early_measurements_alone_are_less_reliable(seeded, guards):
    """"Less reliable": the worst of five seeds from the 12 early measurements is more than
    twice as far off as the worst from the 60. Held-out seeds: 23.0% against 5.2% (4.4
    times); a single seed can still do well from the early ones (3.6% on seed 102), which
    is why the claim is about the worst case, not every seed."""
    guards("with only the early ones, the estimate is much less reliable")
    window = max(zeta_error(r) for r in seeded("inverse_window").values())
    whole = max(zeta_error(r) for r in seeded("inverse").values())
    assert window > 2 * whole, (window, whole)


# --------------------------------------------------------------------------- the slider's snapshots
def test_snapshots_cover_the_whole_run(records):
    """Consecutive snapshot steps are adjacent or at most 0.1 decades apart, and the last is the last step."""
    steps = records["hybrid"]["snapshots"]["step"]
    assert steps[0] == 0 and steps[-1] == records["hybrid"]["config"]["steps"]
    for a, b in zip(steps, steps[1:]):
        assert b == a + 1 or math.log10(b + 1) - math.log10(a + 1) <= 0.1 + 1e-9, (a, b)
