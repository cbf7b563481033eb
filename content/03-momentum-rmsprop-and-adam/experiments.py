"""The recorded runs of lesson 03, "Momentum, RMSProp and Adam".

Two problems. A narrow quadratic valley, where every optimiser is written out in NumPy,
checked against torch.optim, and tuned by a recorded sweep; and a small network on
lesson 01's noisy curve, trained with SGD, momentum and Adam at learning rates a
recorded sweep chose, then with Adam's two kinds of weight decay.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from generator.authoring import run

# --------------------------------------------------------------------------- the valley
# L(w) = ½ (h1 w1² + h2 w2²): shallow along w1, steep along w2. Its condition number,
# the ratio of the largest to the smallest curvature, is h2 / h1 = 100.
CURVATURES = np.array([1.0, 100.0])
START_LOSS = 32.0            # every start lies on this level set (w1 = -8 when w2 = 0)
TOLERANCE = 1e-6             # "converged": the loss is below this share of where it started, for good
RACE_MULTIPLIERS = [0.25, 0.5, 1.0, 1.5, 2.0, 3.0]   # the race figure's learning rates: × each tuned rate
OPTIMISERS = ["gd", "heavy_ball", "nesterov", "rmsprop", "adam"]


def valley_loss(w: np.ndarray) -> np.ndarray:
    return 0.5 * np.sum(CURVATURES * w ** 2, axis=-1)


def valley_grad(w: np.ndarray) -> np.ndarray:
    return CURVATURES * w


def start_point(seed: int) -> np.ndarray:
    """A start on the level set L = START_LOSS, up the valley's left arm, at an angle the seed draws."""
    angle = np.random.default_rng(seed).uniform(math.pi / 8, 3 * math.pi / 8)
    radius = math.sqrt(2 * START_LOSS)
    return np.array([-radius * math.cos(angle) / math.sqrt(CURVATURES[0]),
                     radius * math.sin(angle) / math.sqrt(CURVATURES[1])])


# Each update takes the weights w, the optimiser's state (zeros at the start), the gradient
# g and the step number t (1 for the first step), and returns the new weights. They work on
# arrays of any shape, so one call can step a whole grid of learning rates at once.
# [start:gd]
def gd(w, state, g, t, lr, beta):
    return w - lr * g
# [end:gd]


# [start:heavy-ball]
def heavy_ball(w, state, g, t, lr, beta):
    state["v"] = beta * state["v"] + g           # velocity: gradients summed, older ones faded by beta
    return w - lr * state["v"]
# [end:heavy-ball]


# [start:nesterov]
def nesterov(w, state, g, t, lr, beta):
    state["v"] = beta * state["v"] + g
    return w - lr * (g + beta * state["v"])      # step with the velocity one step ahead
# [end:nesterov]


# [start:rmsprop]
def rmsprop(w, state, g, t, lr, beta, alpha=0.99, eps=1e-8):
    state["s"] = alpha * state["s"] + (1 - alpha) * g ** 2      # running mean of g², per parameter
    return w - lr * g / (np.sqrt(state["s"]) + eps)
# [end:rmsprop]


# [start:adam]
def adam(w, state, g, t, lr, beta, beta1=0.9, beta2=0.999, eps=1e-8, correct=True):
    state["m"] = beta1 * state["m"] + (1 - beta1) * g            # running mean of g
    state["s"] = beta2 * state["s"] + (1 - beta2) * g ** 2       # running mean of g²
    m_hat = state["m"] / (1 - beta1 ** t) if correct else state["m"]   # bias correction:
    s_hat = state["s"] / (1 - beta2 ** t) if correct else state["s"]   # undo the start at zero
    return w - lr * m_hat / (np.sqrt(s_hat) + eps)
# [end:adam]


UPDATES = {"gd": gd, "heavy_ball": heavy_ball, "nesterov": nesterov, "rmsprop": rmsprop, "adam": adam}


def turned_loss(w: np.ndarray) -> np.ndarray:
    return valley_loss(w @ TURN.T)


def turned_grad(w: np.ndarray) -> np.ndarray:
    """The gradient of the same valley turned by 45°: its axes no longer line up with w1 and w2."""
    return w @ (TURN.T @ np.diag(CURVATURES) @ TURN)


TURN_DEGREES = 45.0
TURN = np.array([[math.cos(math.radians(TURN_DEGREES)), math.sin(math.radians(TURN_DEGREES))],
                 [-math.sin(math.radians(TURN_DEGREES)), math.cos(math.radians(TURN_DEGREES))]])


def descend(name: str, start: np.ndarray, lr, beta, steps: int, grad=valley_grad, **options) -> np.ndarray:
    """Weights at steps 0..steps, shape (steps + 1, *lr.shape, 2), for arrays of lr and beta."""
    lr, beta = np.asarray(lr, dtype=float)[..., None], np.asarray(beta, dtype=float)[..., None]
    shape = np.broadcast_shapes(lr.shape[:-1], beta.shape[:-1]) + (2,)
    w = np.broadcast_to(start, shape).copy()
    state = {"v": np.zeros(shape), "s": np.zeros(shape), "m": np.zeros(shape)}
    path = [w]
    update = UPDATES[name]
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            w = update(w, state, grad(w), t, lr, beta, **options)
            path.append(w)
    return np.stack(path)


def steps_to_tolerance(path: np.ndarray, loss=valley_loss) -> np.ndarray:
    """The first step from which the loss stays below TOLERANCE × the start's loss; -1 if it never does."""
    with np.errstate(over="ignore", invalid="ignore"):
        inside = loss(path) < TOLERANCE * loss(path[0])   # NaN counts as outside
    outside_after = np.flip(np.logical_or.accumulate(np.flip(~inside, 0), 0), 0)   # some later step is outside
    reached = ~outside_after
    first = np.argmax(reached, axis=0)
    return np.where(reached.any(axis=0), first, -1)


def torch_path(name: str, start: np.ndarray, lr: float, beta: float, steps: int) -> np.ndarray:
    """The same descent with torch.optim's own optimiser, in float64."""
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    curvatures = torch.tensor(CURVATURES)
    # [start:torch-optimisers]
    make = {"gd": lambda: torch.optim.SGD([w], lr=lr),
            "heavy_ball": lambda: torch.optim.SGD([w], lr=lr, momentum=beta),
            "nesterov": lambda: torch.optim.SGD([w], lr=lr, momentum=beta, nesterov=True),
            "rmsprop": lambda: torch.optim.RMSprop([w], lr=lr, alpha=0.99, eps=1e-8),
            "adam": lambda: torch.optim.Adam([w], lr=lr, betas=(0.9, 0.999), eps=1e-8)}
    # [end:torch-optimisers]
    optimizer = make[name]()
    path = [w.detach().clone().numpy()]
    for _ in range(steps):
        loss = 0.5 * (curvatures * w ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        path.append(w.detach().clone().numpy())
    return np.stack(path)


def sweep(name: str, start: np.ndarray, lrs: np.ndarray, betas: np.ndarray, steps: int, grad=valley_grad,
          loss=valley_loss) -> dict:
    """Steps to tolerance over a grid of (beta, lr); the fastest cell wins (ties: the smaller lr)."""
    grid_beta, grid_lr = np.meshgrid(betas, lrs, indexing="ij")
    found = steps_to_tolerance(descend(name, start, grid_lr, grid_beta, steps, grad), loss)
    cost = np.where(found < 0, steps + 1, found)
    b, k = np.unravel_index(np.argmin(cost), cost.shape)
    return {"lr": float(lrs[k]), "beta": float(betas[b]), "steps": int(found[b, k]), "by_lr": cost.min(axis=0)}


@run(seed=0, steps=1000, race_steps=100, lr_points=61)
def valley(rec, *, seed: int, steps: int, race_steps: int, lr_points: int) -> None:
    """Five optimisers on the narrow valley, each at the learning rate a sweep found fastest."""
    start = start_point(seed)
    rec.constant(curvatures=CURVATURES, start=start, optimisers=",".join(OPTIMISERS), multipliers=RACE_MULTIPLIERS)
    momentum_betas = np.round(np.arange(0.0, 0.96, 0.05), 2)
    lr_grids = {"gd": np.geomspace(1e-3, 3e-2, lr_points), "heavy_ball": np.geomspace(1e-3, 3e-1, lr_points),
                "nesterov": np.geomspace(1e-3, 3e-1, lr_points), "rmsprop": np.geomspace(1e-3, 3.0, lr_points),
                "adam": np.geomspace(1e-3, 3.0, lr_points)}
    best = {}
    for name in OPTIMISERS:
        betas = momentum_betas if name in ("heavy_ball", "nesterov") else np.array([0.0])
        best[name] = sweep(name, start, lr_grids[name], betas, steps)
        rec.constant(**{f"sweep_{name}_lr": lr_grids[name], f"sweep_{name}_steps": best[name]["by_lr"]})

    # The same valley turned by 45°: a per-parameter scale no longer matches its directions.
    # The start is turned with it, so only the orientation differs.
    turned = {name: sweep(name, start @ TURN, lr_grids[name], np.array([0.0]), steps, turned_grad, turned_loss)
              for name in ("gd", "adam")}

    # The race: each optimiser at its tuned rate times each multiplier. A path that leaves
    # the view is held where it left (the figure shows it as diverged).
    race = np.stack([descend(name, start, best[name]["lr"] * np.array(RACE_MULTIPLIERS), best[name]["beta"],
                             race_steps) for name in OPTIMISERS], axis=1)      # (steps+1, opt, mult, 2)
    race = np.moveaxis(race, 0, 2)                                             # (opt, mult, steps+1, 2)
    left = ~np.isfinite(race).all(-1) | (np.abs(race[..., 0]) > 20) | (np.abs(race[..., 1]) > 2)
    for o, m in zip(*np.nonzero(left.any(-1))):
        first = int(np.argmax(left[o, m]))
        race[o, m, first:] = race[o, m, first - 1]
    rec.constant(race=race, race_left=np.where(left.any(-1), np.argmax(left, -1), -1))

    # Each NumPy update against torch.optim on the same problem, in float64.
    difference = {name: float(np.abs(descend(name, start, best[name]["lr"], best[name]["beta"], race_steps)
                                     - torch_path(name, start, best[name]["lr"], best[name]["beta"], race_steps)).max())
                  for name in OPTIMISERS}

    # Adam's effective step per parameter, and its first steps with and without bias correction.
    lr = best["adam"]["lr"]
    corrected = descend("adam", start, lr, 0.0, steps)
    uncorrected = descend("adam", start, lr, 0.0, steps, correct=False)
    step_with = np.abs(np.diff(corrected, axis=0))
    step_without = np.abs(np.diff(uncorrected, axis=0))
    rec.constant(adam_steps_with=step_with[:race_steps], adam_steps_without=step_without[:race_steps])
    s = np.zeros(2)
    effective = []
    for t, w in enumerate(corrected[:race_steps], start=1):   # lr / (√ŝ + ε): the rate each weight really gets
        s = 0.999 * s + 0.001 * valley_grad(w) ** 2
        effective.append(lr / (np.sqrt(s / (1 - 0.999 ** t)) + 1e-8))
    effective = np.array(effective)
    rec.constant(adam_effective_lr=effective)

    power = round(math.log10(TOLERANCE))
    facts = {"condition": CURVATURES.max() / CURVATURES.min(), "tolerance": TOLERANCE, "steps": steps,
             "tolerance_text": "10" + str(power).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")),
             "h1": CURVATURES[0], "h2": CURVATURES[1], "turn_degrees": TURN_DEGREES,
             "sqrt_condition": math.sqrt(CURVATURES.max() / CURVATURES.min()),
             "start_w1": start[0], "start_w2": start[1], "start_loss": float(valley_loss(start)),
             "lr_points": lr_points, "race_steps": race_steps,
             "gd_lr_limit": 2 / CURVATURES.max(), "gd_lr_theory": 2 / CURVATURES.sum(),
             "max_torch_difference": max(difference.values())}
    for name in OPTIMISERS:
        facts.update({f"{name}_lr": best[name]["lr"], f"{name}_steps": best[name]["steps"],
                      f"{name}_torch_difference": difference[name]})
    facts.update(heavy_ball_beta=best["heavy_ball"]["beta"], nesterov_beta=best["nesterov"]["beta"],
                 speedup_heavy_ball=best["gd"]["steps"] / best["heavy_ball"]["steps"],
                 speedup_nesterov=best["gd"]["steps"] / best["nesterov"]["steps"],
                 adam_first_step_with=step_with[0].max() / lr, adam_first_step_without=step_without[0].max() / lr,
                 adam_largest_step_without=step_without[:race_steps].max() / lr,
                 adam_largest_step_with=step_with[:race_steps].max() / lr,
                 adam_steps_without=int(steps_to_tolerance(uncorrected)),
                 turned_gd_steps=turned["gd"]["steps"], turned_adam_steps=turned["adam"]["steps"],
                 turned_adam_lr=turned["adam"]["lr"],
                 adam_effective_ratio_first=effective[0, 0] / effective[0, 1],
                 adam_effective_ratio_last=effective[-1, 0] / effective[-1, 1])
    rec.fact(**facts)


# --------------------------------------------------------------------------- a real network
# Lesson 01's curve: one hump and dip on [-1, 1], sampled with noise.
def curve(x: np.ndarray) -> np.ndarray:
    return 0.8 * np.sin(math.pi * x) + 0.3 * x


def curve_data(seed: int, samples: int, val_samples: int, noise: float):
    rng = np.random.default_rng(seed)
    x_train, x_val = rng.uniform(-1, 1, samples), rng.uniform(-1, 1, val_samples)
    y_train, y_val = curve(x_train) + rng.normal(0, noise, samples), curve(x_val) + rng.normal(0, noise, val_samples)
    column = lambda a: torch.tensor(a, dtype=torch.float32).reshape(-1, 1)   # noqa: E731
    return column(x_train), column(y_train), column(x_val), column(y_val)


def small_mlp(width: int, depth: int) -> nn.Sequential:
    layers, fan_in = [], 1
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), nn.Tanh()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(fan_in, 1))


NETWORK_OPTIMISERS = ["sgd", "momentum", "adam"]
MOMENTUM = 0.9           # the usual default; the valley's sweep showed the best β depends on the problem


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0):
    # [start:three-optimisers]
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=MOMENTUM)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)                         # betas (0.9, 0.999), eps 1e-8
    if name == "adam_l2":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)    # decay added to the gradient
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)   # decay applied to the weights
    # [end:three-optimisers]
    raise ValueError(f"unknown optimiser {name!r}")


def log_epochs(epochs: int, per_decade: int) -> list[int]:
    """0, 1, 2, ... then about `per_decade` epochs per decade: even on a log(epoch + 1) axis."""
    marks = np.unique(np.round(np.geomspace(1, epochs + 1, per_decade * math.ceil(math.log10(epochs + 1)))) - 1)
    return sorted({0, epochs, *map(int, marks)})


def train(seed: int, data, optimiser: str, lr: float, epochs: int, width: int, depth: int, logged: list[int],
          weight_decay: float = 0.0):
    """Full-batch training; losses at the logged epochs. Stops (diverged) if the loss leaves [0, 100]."""
    x_train, y_train, x_val, y_val = data
    torch.manual_seed(seed)                       # every optimiser starts from the same weights
    model = small_mlp(width, depth)
    optimizer = make_optimizer(optimiser, model.parameters(), lr, weight_decay)
    loss_fn = nn.MSELoss()
    train_curve, val_curve = [], []
    for epoch in range(epochs + 1):
        if epoch in logged:
            with torch.no_grad():
                train_curve.append(loss_fn(model(x_train), y_train).item())
                val_curve.append(loss_fn(model(x_val), y_val).item())
        if epoch == epochs:
            break
        loss = loss_fn(model(x_train), y_train)
        if not math.isfinite(loss.item()) or loss.item() > 100:
            return model, optimizer, train_curve, val_curve, True
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model, optimizer, train_curve, val_curve, False


@run(seed=0, samples=100, val_samples=400, noise=0.2, width=32, depth=3, epochs=2000, per_decade=12,
     lrs=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0])
def network(rec, *, seed: int, samples: int, val_samples: int, noise: float, width: int, depth: int, epochs: int,
            per_decade: int, lrs: list) -> None:
    """SGD, momentum and Adam on the same network and data, each at every learning rate of a sweep."""
    data = curve_data(seed, samples, val_samples, noise)
    logged = log_epochs(epochs, per_decade)
    ceiling = 10.0                                 # a diverged run's curve is drawn at this loss
    curves = np.full((len(NETWORK_OPTIMISERS), len(lrs), 2, len(logged)), ceiling)
    diverged = np.zeros((len(NETWORK_OPTIMISERS), len(lrs)), dtype=int)
    for o, name in enumerate(NETWORK_OPTIMISERS):
        for k, lr in enumerate(lrs):
            _, _, train_curve, val_curve, blew_up = train(seed, data, name, lr, epochs, width, depth, logged)
            n = len(train_curve)
            curves[o, k, 0, :n] = np.minimum(train_curve, ceiling)
            curves[o, k, 1, :n] = np.minimum(val_curve, ceiling)
            diverged[o, k] = blew_up
    final_train = np.where(diverged, np.inf, curves[:, :, 0, -1])
    best = np.argmin(final_train, axis=1)          # chosen by the training loss: what an optimiser minimises
    rec.constant(epochs_logged=logged, lrs=lrs, curves=curves, diverged=diverged, best=best,
                 optimisers=",".join(NETWORK_OPTIMISERS), noise_variance=noise ** 2)
    facts = {"samples": samples, "val_samples": val_samples, "width": width, "depth": depth, "epochs": epochs,
             "momentum": MOMENTUM, "lr_count": len(lrs), "lr_min": min(lrs), "lr_max": max(lrs),
             "noise_variance": noise ** 2,
             "parameters": sum(p.numel() for p in small_mlp(width, depth).parameters())}
    for o, name in enumerate(NETWORK_OPTIMISERS):
        k = best[o]
        facts.update({f"{name}_lr": lrs[k], f"{name}_train": curves[o, k, 0, -1], f"{name}_val": curves[o, k, 1, -1],
                      f"{name}_best_val": curves[o, k, 1].min(), f"{name}_diverged": int(diverged[o].sum())})
    rec.fact(**facts)


def weight_norm(model: nn.Module) -> float:
    return math.sqrt(sum(float((p.detach() ** 2).sum()) for p in model.parameters()))


def l2_decay_rates(optimizer, lr: float, weight_decay: float) -> np.ndarray:
    """For Adam with L2 in the gradient: the share of each parameter its decay term removes per
    step, lr·λ / (√ŝ + ε), read from the optimiser's own state at the end of training."""
    beta2, eps = optimizer.param_groups[0]["betas"][1], optimizer.param_groups[0]["eps"]
    rates = []
    for state in optimizer.state.values():
        s_hat = state["exp_avg_sq"] / (1 - beta2 ** float(state["step"]))
        rates.append((lr * weight_decay / (s_hat.sqrt() + eps)).flatten())
    return torch.cat(rates).numpy()


@run(seed=0, samples=100, val_samples=400, noise=0.2, width=32, depth=3, epochs=2000, per_decade=12, lr=0.01,
     l2=1e-3, decoupled=0.1)
def decay(rec, *, seed: int, samples: int, val_samples: int, noise: float, width: int, depth: int, epochs: int,
          per_decade: int, lr: float, l2: float, decoupled: float) -> None:
    """Adam with no decay, with L2 in the gradient, and AdamW's decoupled decay, on the network above."""
    data = curve_data(seed, samples, val_samples, noise)
    logged = log_epochs(epochs, per_decade)
    results = {}
    for name, strength in (("adam", 0.0), ("adam_l2", l2), ("adamw", decoupled)):
        model, optimizer, train_curve, val_curve, blew_up = train(seed, data, name, lr, epochs, width, depth,
                                                                 logged, weight_decay=strength)
        if blew_up:
            raise RuntimeError(f"{name} diverged at lr {lr}: lower it")
        results[name] = (model, optimizer, train_curve, val_curve)
        rec.constant(**{f"{name}_train": train_curve, f"{name}_val": val_curve})
    rates = l2_decay_rates(results["adam_l2"][1], lr, l2)
    rec.constant(epochs_logged=logged, l2_decay_rates=np.sort(rates))
    facts = {"lr": lr, "l2": l2, "decoupled": decoupled, "epochs": epochs, "adamw_rate": lr * decoupled,
             "l2_rate_p10": float(np.percentile(rates, 10)), "l2_rate_median": float(np.median(rates)),
             "l2_rate_p90": float(np.percentile(rates, 90)),
             "l2_rate_spread": float(np.percentile(rates, 90) / np.percentile(rates, 10)),
             "l2_rate_plain": lr * l2}
    for name, (model, _, train_curve, val_curve) in results.items():
        facts.update({f"{name}_train": train_curve[-1], f"{name}_val": val_curve[-1], f"{name}_norm": weight_norm(model)})
    rec.fact(**facts)
