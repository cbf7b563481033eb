"""The recorded runs of lesson 01, "Why the weights move".

Every number and curve the lesson shows comes from these runs. The build trains each
one (seeded, deterministic), records it, and exports what the page's widgets read.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from generator.training import fit, run

GRID_POINTS = 200


# --------------------------------------------------------------------------- data
def true_function(x: np.ndarray) -> np.ndarray:
    """A smooth curve with one and a half wiggles on [-1, 1]: easy to fit, easy to overfit."""
    return np.sin(2.5 * math.pi * x) * 0.8 + 0.3 * x


def noisy_samples(count: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(rng.uniform(-1.0, 1.0, count))
    return x, true_function(x) + rng.normal(0.0, noise, count)


def as_column(values: np.ndarray) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32).reshape(-1, 1)


def snapshot_epochs(epochs: int, count: int) -> list[int]:
    """About `count` epochs, log-spaced so early epochs (where the curve moves fast) are dense."""
    picked: set[int] = {0, epochs}
    wanted = count
    while len(picked) < count:
        picked |= {int(round(e)) for e in np.geomspace(1, epochs, wanted)}
        wanted += count - len(picked) if len(picked) < count else 0
    return sorted(picked)[:count - 1] + [epochs]


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


def layer_weight_norms(model: nn.Module) -> list[float]:
    """The Frobenius norm of each Linear layer's weight matrix, input side first."""
    return [m.weight.detach().norm().item() for m in model.modules() if isinstance(m, nn.Linear)]


# --------------------------------------------------------------------------- runs
@run(seed=0, samples=30, val_samples=100, noise=0.3, width=128, depth=5, epochs=2000, lr=1e-3, snapshots=150)
def overfit(rec, *, seed: int, samples: int, val_samples: int, noise: float, width: int, depth: int, epochs: int,
            lr: float, snapshots: int) -> None:
    """An over-large network memorises 30 noisy points: train loss falls, validation turns up."""
    rng = np.random.default_rng(seed)
    x_train, y_train = noisy_samples(samples, noise, rng)
    x_val, y_val = noisy_samples(val_samples, noise, rng)
    grid = np.linspace(-1.0, 1.0, GRID_POINTS)
    rec.constant(x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val,
                 grid=grid, truth=true_function(grid), noise=noise)

    model = over_large_mlp(width, depth)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    xt, yt, xv, yv, xg = as_column(x_train), as_column(y_train), as_column(x_val), as_column(y_val), as_column(grid)
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
    val = rec.series["val_loss"]
    best = int(np.argmin(val))
    rec.fact(best_epoch=rec.series["step"][best], best_val_loss=val[best],
             final_val_loss=val[-1], final_train_loss=rec.series["train_loss"][-1])
