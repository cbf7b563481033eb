"""The recorded runs of lesson 01, "Why the weights move".

Every number and curve the lesson shows comes from these runs. The build trains each
one (seeded, deterministic), records it, and exports what the page's widgets read.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from generator.authoring import fit, run

GRID_POINTS = 200


# --------------------------------------------------------------------------- data
def true_function(x: np.ndarray) -> np.ndarray:
    """One smooth hump and dip on [-1, 1]: the network finds it within a few dozen epochs."""
    return np.sin(math.pi * x) * 0.8 + 0.3 * x


def noisy_samples(count: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(rng.uniform(-1.0, 1.0, count))
    return x, true_function(x) + rng.normal(0.0, noise, count)


def as_column(values: np.ndarray) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32).reshape(-1, 1)


MAX_SNAPSHOT_GAP = 0.1  # decades of log10(epoch + 1): no wider jump between two snapshots


def log_spaced_epochs(epochs: int, gap: float) -> list[int]:
    """0, then each next epoch at most `gap` decades of log10(epoch + 1) on (or the very next epoch), to `epochs`."""
    picked = [0]
    while picked[-1] < epochs:
        a = picked[-1]
        furthest = int(math.floor((a + 1) * 10 ** gap - 1 + 1e-9))
        picked.append(min(epochs, max(a + 1, furthest)))
    return picked


def snapshot_epochs(epochs: int, count: int) -> list[int]:
    """At most `count` epochs covering 0 to `epochs` evenly on a log(epoch + 1) axis.

    The finest spacing that fits in `count` is used, never coarser than MAX_SNAPSHOT_GAP,
    so the player and the film move at an even pace on a log axis through the whole run.
    """
    fine, coarse = 0.0, MAX_SNAPSHOT_GAP
    if len(log_spaced_epochs(epochs, coarse)) > count:
        raise ValueError(f"{count} snapshots cannot cover {epochs} epochs at {MAX_SNAPSHOT_GAP} decades apart")
    for _ in range(40):  # bisect the gap: finer means more snapshots
        middle = (fine + coarse) / 2
        if len(log_spaced_epochs(epochs, middle)) <= count:
            coarse = middle
        else:
            fine = middle
    return log_spaced_epochs(epochs, coarse)


class OverfitData:
    """The few noisy training points, validation and test sets from the same distribution, a grid.

    The overfit run and every regulariser run use this, so with the same seed they see
    exactly the same data and differ only in how they train. The validation set is what
    a run may look at to choose (early stopping picks its epoch by it); the test set is
    never looked at until the end, so it can compare the regularisers fairly.
    """

    def __init__(self, x_train, y_train, x_val, y_val, x_test, y_test, noise: float):
        self.x_train, self.y_train, self.x_val, self.y_val = x_train, y_train, x_val, y_val
        self.x_test, self.y_test = x_test, y_test
        self.noise = noise
        self.grid = np.linspace(-1.0, 1.0, GRID_POINTS)

    @classmethod
    def make(cls, seed: int, samples: int, val_samples: int, noise: float, test_samples: int = 0) -> "OverfitData":
        rng = np.random.default_rng(seed)
        x_train, y_train = noisy_samples(samples, noise, rng)
        x_val, y_val = noisy_samples(val_samples, noise, rng)
        x_test, y_test = noisy_samples(test_samples, noise, rng)   # drawn last: train and val stay as they were
        return cls(x_train, y_train, x_val, y_val, x_test, y_test, noise)

    def record(self, rec) -> None:
        rec.constant(x_train=self.x_train, y_train=self.y_train, x_val=self.x_val, y_val=self.y_val,
                     grid=self.grid, truth=true_function(self.grid), noise=self.noise)

    def tensors(self) -> tuple[torch.Tensor, ...]:
        """(x_train, y_train, x_val, y_val, grid) as float32 columns."""
        return tuple(as_column(a) for a in (self.x_train, self.y_train, self.x_val, self.y_val, self.grid))

    def test_tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        return as_column(self.x_test), as_column(self.y_test)


# --------------------------------------------------------------------------- models
def over_large_mlp(width: int, depth: int, dropout: float = 0.0) -> nn.Sequential:
    """`depth` hidden layers of `width` ReLU units: far more capacity than 30 points need."""
    layers: list[nn.Module] = []
    fan_in = 1
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        fan_in = width
    layers.append(nn.Linear(fan_in, 1))
    return nn.Sequential(*layers)


def parameter_count(model: nn.Module) -> int:
    """Every weight and every bias: what the optimiser moves."""
    return sum(p.numel() for p in model.parameters())


def layer_weight_norms(model: nn.Module) -> list[float]:
    """The Frobenius norm of each Linear layer's weight matrix, input side first."""
    return [m.weight.detach().norm().item() for m in model.modules() if isinstance(m, nn.Linear)]


def total_weight_norm(model: nn.Module) -> float:
    """The L2 norm of all weight matrices together, biases left out."""
    return math.sqrt(sum(n * n for n in layer_weight_norms(model)))


# --------------------------------------------------------------------------- runs
# 50 points with noise 0.4 and 6000 full-batch Adam epochs at 3e-3: enough for the network
# to memorise the noise completely for each seed the claim tests try (0 to 4), so the
# validation loss ends far above its early minimum. 200 validation points keep that
# measurement steady (with 30 its own noise hid the effect for some seeds). 1000 test
# points, looked at only once training is over, compare the regularisers.
@run(seed=0, samples=50, val_samples=200, test_samples=1000, noise=0.4, width=128, depth=5, epochs=6000, lr=3e-3,
     snapshots=150)
def overfit(rec, *, seed: int, samples: int, val_samples: int, test_samples: int, noise: float, width: int,
            depth: int, epochs: int, lr: float, snapshots: int) -> None:
    """An over-large network memorises 50 noisy points: train loss falls, validation turns up."""
    data = OverfitData.make(seed, samples, val_samples, noise, test_samples)
    data.record(rec)

    model = over_large_mlp(width, depth)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    xt, yt, xv, yv, xg = data.tensors()
    record_at = set(snapshot_epochs(epochs, snapshots))

    def observe(epoch: int) -> bool:
        model.eval()
        with torch.no_grad():
            rec.log(epoch, train_loss=loss_fn(model(xt), yt), val_loss=loss_fn(model(xv), yv))
            if epoch in record_at:
                rec.snapshot(epoch, prediction=model(xg).squeeze(1), weight_norms=layer_weight_norms(model))
        return False

    observe(0)
    fit(model, optimizer, loss_fn, xt, yt, epochs, after_epoch=observe)
    val, train = rec.series["val_loss"], rec.series["train_loss"]
    best = int(np.argmin(val))
    xs, ys = data.test_tensors()
    with torch.no_grad():
        test_loss = loss_fn(model(xs), ys).item()
    torch.save(model.state_dict(), rec.artifact("model.pt"))
    rec.fact(best_epoch=rec.series["step"][best], best_val_loss=val[best], final_val_loss=val[-1],
             final_train_loss=train[-1], val_rise=val[-1] / val[best], final_test_loss=test_loss,
             train_loss_rises=sum(b > a for a, b in zip(train, train[1:])),
             noise_variance=noise ** 2, weight_norm=total_weight_norm(model),
             parameters=parameter_count(model), samples=samples, epochs=epochs, val_samples=val_samples,
             test_samples=test_samples, optimizer=type(optimizer).__name__, lr=lr, batch=samples)


# --------------------------------------------------------------------------- the mini-batch form
def train_in_minibatches(model, optimizer, loss_fn, x, y, epochs: int, batch_size: int, shuffle: bool = True) -> None:
    """The five lines in their usual form: one update per batch, several batches per epoch.

    The runs of this lesson pass all their points as one batch (see generator/authoring.py's
    fit); with batch_size = len(x) and no shuffling this does exactly the same updates.
    """
    # [start:minibatch]
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)
    for epoch in range(epochs):
        model.train()
        for xb, yb in loader:                 # one update per batch of points
            prediction = model(xb)            # 1. forward
            loss = loss_fn(prediction, yb)    # 2. loss on this batch only
            optimizer.zero_grad()             # 3. clear old gradients
            loss.backward()                   # 4. backward
            optimizer.step()                  # 5. step
    # [end:minibatch]


# ===========================================================================
# The rest of the lesson: one gradient by hand, learning rates, and three regularisers.

# --------------------------------------------------------------------------- a line, by hand
LINE_W, LINE_B = 1.5, 0.5   # the line the noisy points come from
LINE_START = (-1.0, 2.0)     # the (w, b) every line fit starts from


def line_data(seed: int, count: int = 40, noise: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Noisy points from y = 1.5 x + 0.5 on [0, 2]."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 2.0, count))
    return x, LINE_W * x + LINE_B + rng.normal(0.0, noise, count)


def line_model(w: float, b: float) -> nn.Linear:
    """nn.Linear(1, 1) in float64 (so it agrees with NumPy to the last digits), set to (w, b)."""
    model = nn.Linear(1, 1).double()
    with torch.no_grad():
        model.weight.fill_(w)
        model.bias.fill_(b)
    return model


@run(seed=0, lr=0.1, steps=60)
def by_hand(rec, *, seed: int, lr: float, steps: int) -> None:
    """The same gradient descent twice: gradients derived by hand in NumPy, then by autograd."""
    x, y = line_data(seed)
    rec.constant(x=x, y=y)

    # [start:numpy-loop]
    w, b = LINE_START
    for step in range(steps):
        error = (w * x + b) - y               # e = ŷ − y
        loss = np.mean(error ** 2)            # L = (1/N) Σ e²
        dw = 2 * np.mean(error * x)           # ∂L/∂w = (2/N) Σ e·x
        db = 2 * np.mean(error)               # ∂L/∂b = (2/N) Σ e
        rec.log(step, w_numpy=w, b_numpy=b, loss_numpy=loss)
        w, b = w - lr * dw, b - lr * db       # step against the gradient
    # [end:numpy-loop]
    rec.log(steps, w_numpy=w, b_numpy=b, loss_numpy=np.mean(((w * x + b) - y) ** 2))  # where `steps` updates end

    model = line_model(*LINE_START)
    # [start:torch-loop]
    xs = torch.tensor(x).reshape(-1, 1)       # float64, a column of inputs
    ys = torch.tensor(y).reshape(-1, 1)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    torch_w, torch_b, torch_loss = [], [], []
    for step in range(steps):
        prediction = model(xs)                # 1. forward
        loss = loss_fn(prediction, ys)        # 2. loss
        optimizer.zero_grad()                 # 3. clear old gradients
        loss.backward()                       # 4. autograd computes ∂L/∂w and ∂L/∂b
        torch_w.append(model.weight.item())   # (record the weights the loss was computed at)
        torch_b.append(model.bias.item())
        torch_loss.append(loss.item())
        optimizer.step()                      # 5. w ← w − lr·∂L/∂w, b ← b − lr·∂L/∂b
    # [end:torch-loop]
    with torch.no_grad():
        torch_w.append(model.weight.item())
        torch_b.append(model.bias.item())
        torch_loss.append(loss_fn(model(xs), ys).item())
    rec.constant(w_torch=torch_w, b_torch=torch_b, loss_torch=torch_loss)
    numpy_w, numpy_b = rec.series["w_numpy"], rec.series["b_numpy"]
    # Gradient descent on this quadratic loss diverges once lr > 2 / (largest eigenvalue of its Hessian).
    hessian = 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    rec.fact(points=len(x), start_w=LINE_START[0], start_b=LINE_START[1], lr=lr, steps=steps,
             final_w=numpy_w[-1], final_b=numpy_b[-1], optimizer=type(optimizer).__name__,
             lr_limit=float(2 / np.linalg.eigvalsh(hessian).max()),
             max_difference=max(max(abs(a - c), abs(b - d))
                                for a, b, c, d in zip(numpy_w, numpy_b, torch_w, torch_b)))
    # [start:save-linear]
    torch.save(model.state_dict(), rec.artifact("linear.pt"))
    # [end:save-linear]
    with torch.no_grad():
        rec.constant(final_prediction=model(xs).squeeze(1))


# --------------------------------------------------------------------------- learning rates
SETTLED = 0.02  # w has settled once it comes this close to the best w and stays there


def settle_step(ws: list[float], w_star: float, tolerance: float = SETTLED) -> int | None:
    """The first step from which w stays within `tolerance` of w* to the end, or None if it never does."""
    last_outside = max((i for i, w in enumerate(ws) if abs(w - w_star) >= tolerance), default=-1)
    return last_outside + 1 if last_outside + 1 < len(ws) else None


def descend_w(rec, seed: int, lr: float, steps: int) -> None:
    """Gradient descent on w alone, b held at its best value: L(w) is then a parabola.

    Records w, L and dL/dw at every step. A rate that diverges stops itself once w is
    far outside the view (long before any number overflows).
    """
    x, y = line_data(seed)
    w_star, b_star = np.polyfit(x, y, 1)      # the least-squares line
    # L(w) = mean((w x + b* − y)²) = c2 w² + c1 w + c0
    c2, c1, c0 = np.mean(x * x), 2 * np.mean(x * (b_star - y)), np.mean((b_star - y) ** 2)
    rec.constant(b=b_star, w_star=w_star, c2=c2, c1=c1, c0=c0, lr=lr)

    model = line_model(LINE_START[0], b_star)
    model.bias.requires_grad_(False)          # b is fixed: only w moves
    xs, ys = torch.tensor(x).reshape(-1, 1), torch.tensor(y).reshape(-1, 1)
    loss_fn = nn.MSELoss()
    start_distance = abs(LINE_START[0] - w_star)

    def observe(step: int) -> bool:
        model.zero_grad()
        loss = loss_fn(model(xs), ys)
        loss.backward()
        w = model.weight.item()
        rec.log(step, w=w, loss=loss, grad=model.weight.grad.item())
        return abs(w - w_star) > 20 * start_distance   # diverged: stop before it overflows

    observe(0)
    optimizer = torch.optim.SGD([model.weight], lr=lr)
    done = fit(model, optimizer, loss_fn, xs, ys, steps, after_epoch=observe)
    settled = settle_step(rec.series["w"], w_star) if done == steps else None
    rec.fact(stopped_at=done, diverged=done < steps, lr=lr, w_star=float(w_star), settle_tolerance=SETTLED,
             settle_steps=rec.series["step"][settled] if settled is not None else None,
             optimizer=type(optimizer).__name__, lr_limit=float(1 / np.mean(x * x)))


@run(seed=0, lr=0.01, steps=40)
def lr_crawl(rec, *, seed: int, lr: float, steps: int) -> None:
    """Too small: each step is safe but tiny, and after 40 steps w is still far off."""
    descend_w(rec, seed, lr, steps)


@run(seed=0, lr=0.25, steps=40)
def lr_good(rec, *, seed: int, lr: float, steps: int) -> None:
    """About right: w slides down the parabola and settles in a few steps."""
    descend_w(rec, seed, lr, steps)


@run(seed=0, lr=0.6, steps=40)
def lr_oscillate(rec, *, seed: int, lr: float, steps: int) -> None:
    """Too large: every step overshoots the bottom, w zig-zags across it and still settles."""
    descend_w(rec, seed, lr, steps)


@run(seed=0, lr=0.85, steps=40)
def lr_diverge(rec, *, seed: int, lr: float, steps: int) -> None:
    """Far too large: each overshoot lands higher than the last, and w flies off."""
    descend_w(rec, seed, lr, steps)


# --------------------------------------------------------------------------- three regularisers
# Each regulariser run is the `overfit` training (same data, seed, network, optimiser and
# epochs, read from its config so they follow it) with one knob turned.
BASE = overfit.__run_spec__.config
BASE_SEED = overfit.__run_spec__.seed
SHARED = {k: BASE[k] for k in ("samples", "val_samples", "test_samples", "noise", "width", "depth", "epochs", "lr")}


def train_regularised(rec, *, seed: int, samples: int, val_samples: int, test_samples: int, noise: float,
                      width: int, depth: int, epochs: int, lr: float, weight_decay: float, dropout: float,
                      patience: int) -> None:
    data = OverfitData.make(seed, samples, val_samples, noise, test_samples)
    # [start:knobs]
    model = over_large_mlp(width, depth, dropout=dropout)            # dropout: zero random units
    optimizer = torch.optim.Adam(model.parameters(), lr=lr,          # Adam's weight_decay adds decay × p to
                                 weight_decay=weight_decay)          # every gradient, biases too (L2, not AdamW)
    # [end:knobs]
    loss_fn = nn.MSELoss()
    xt, yt, xv, yv, xg = data.tensors()
    best = {"val": math.inf, "epoch": 0, "state": None}
    # Early stopping must look every epoch; otherwise ~500 points make the curve (and save time).
    every = 1 if patience > 0 else max(1, epochs // 500)

    def observe(epoch: int) -> bool:
        if epoch % every and epoch != epochs:
            return False
        model.eval()                                                 # no dropout when measuring
        with torch.no_grad():
            val = loss_fn(model(xv), yv).item()
        rec.log(epoch, val_loss=val)                                 # per epoch, only what the widgets show
        # [start:early-stopping]
        if val < best["val"]:
            best.update(val=val, epoch=epoch, state={k: v.clone() for k, v in model.state_dict().items()})
        return patience > 0 and epoch - best["epoch"] >= patience   # no better for `patience` epochs: stop
        # [end:early-stopping]

    observe(0)
    stopped = fit(model, optimizer, loss_fn, xt, yt, epochs, after_epoch=observe)
    if patience > 0:
        model.load_state_dict(best["state"])                         # go back to the best epoch
    model.eval()
    with torch.no_grad():
        final_val = loss_fn(model(xv), yv).item()
        final_train = loss_fn(model(xt), yt).item()
        final_test = loss_fn(model(data.test_tensors()[0]), data.test_tensors()[1]).item()   # first look at test
        rec.snapshot(stopped, prediction=model(xg).squeeze(1), weight_norms=layer_weight_norms(model))
    torch.save(model.state_dict(), rec.artifact("model.pt"))
    rec.fact(final_val_loss=final_val, final_train_loss=final_train, best_val_loss=best["val"],
             best_epoch=best["epoch"], stopped_epoch=stopped, weight_norm=total_weight_norm(model),
             final_test_loss=final_test, weight_decay=weight_decay, dropout=dropout, patience=patience,
             optimizer=type(optimizer).__name__)


def regulariser_run(name: str, *, weight_decay: float = 0.0, dropout: float = 0.0, patience: int = 0):
    """Declare the run `name`: the overfit training with one knob set."""

    def train(rec, *, seed: int, samples: int, val_samples: int, test_samples: int, noise: float, width: int,
              depth: int, epochs: int, lr: float, weight_decay: float, dropout: float, patience: int) -> None:
        train_regularised(rec, seed=seed, samples=samples, val_samples=val_samples, test_samples=test_samples,
                          noise=noise, width=width, depth=depth, epochs=epochs, lr=lr, weight_decay=weight_decay,
                          dropout=dropout, patience=patience)

    train.__name__ = train.__qualname__ = name
    return run(seed=BASE_SEED, **SHARED, weight_decay=weight_decay, dropout=dropout, patience=patience)(train)


stop_patience_20 = regulariser_run("stop_patience_20", patience=20)
stop_patience_100 = regulariser_run("stop_patience_100", patience=100)
stop_patience_400 = regulariser_run("stop_patience_400", patience=400)
decay_1e_4 = regulariser_run("decay_1e_4", weight_decay=1e-4)
decay_1e_3 = regulariser_run("decay_1e_3", weight_decay=1e-3)
decay_1e_2 = regulariser_run("decay_1e_2", weight_decay=1e-2)
dropout_0_1 = regulariser_run("dropout_0_1", dropout=0.1)
dropout_0_3 = regulariser_run("dropout_0_3", dropout=0.3)
dropout_0_5 = regulariser_run("dropout_0_5", dropout=0.5)
