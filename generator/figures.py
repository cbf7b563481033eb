"""Static figures for widgets, drawn by matplotlib in the page's palette.

Each widget's figure is what a reader sees with JavaScript off, and what prints. It is
drawn from the same exported JSON the widget reads, so both show the same numbers.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from generator.export import delta_decode  # noqa: E402
from generator.theme import matplotlib_style, tokens  # noqa: E402

FIGURE_SIZE = (8.0, 3.2)  # inches; at 100 dpi the PNG fits the text column at 2x density
DPI = 100


def draw(widget: str, data: dict[str, Any], theme: str, out: Path) -> None:
    drawer = DRAWERS[widget]
    with plt.rc_context(matplotlib_style(theme)):
        fig = drawer(data, tokens(theme))
        # No timestamps or version strings in the file: two builds give the same bytes.
        fig.savefig(out, dpi=DPI, metadata={"Software": None})
        plt.close(fig)


def overfit_player(data: dict[str, Any], t: dict[str, str]):
    fig, (fit_ax, loss_ax) = plt.subplots(1, 2, figsize=FIGURE_SIZE, layout="constrained")
    final = delta_decode(data["snapshots"]["prediction"][-1], data["snapshots"]["step"])
    fit_ax.plot(data["grid"], data["truth"], color=t["truth"], linestyle="--", linewidth=1.2, label="true function")
    fit_ax.plot(data["grid"], final, color=t["model"], linewidth=1.8, label=f"model, epoch {data['epochs']}")
    fit_ax.scatter(data["train"]["x"], data["train"]["y"], s=18, color=t["train"], label="training", zorder=3)
    fit_ax.scatter(data["val"]["x"], data["val"]["y"], s=18, facecolors="none", edgecolors=t["validation"],
                   label="validation (a sample)", zorder=3)
    fit_ax.set_xlabel("x")
    fit_ax.set_ylabel("y")
    fit_ax.legend(fontsize=8, loc="lower left")
    epochs = data["loss"]["epoch"]
    loss_ax.plot(epochs, [10 ** v for v in data["loss"]["log10_train"]], color=t["train"], label="training loss")
    loss_ax.plot(epochs, [10 ** v for v in data["loss"]["log10_val"]], color=t["validation"], label="validation loss")
    loss_ax.axvline(data["best"]["epoch"], color=t["highlight"], linestyle=":", linewidth=1.2,
                    label=f"best validation, epoch {data['best']['epoch']}")
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("mean squared error")
    loss_ax.legend(fontsize=8)
    for ax in (fit_ax, loss_ax):
        ax.grid(True, linewidth=0.5)
    return fig


def loss_landscape(data: dict[str, Any], t: dict[str, str]):
    rates = data["rates"]
    fig, axes = plt.subplots(1, len(rates), figsize=FIGURE_SIZE, layout="constrained", sharey=True)
    c2, c1, c0 = data["coef"]
    start, w_star = rates[0]["w"][0], data["w_star"]
    span = abs(start - w_star) * 1.6
    lo, hi = w_star - span, w_star + span
    ws = np.linspace(lo, hi, 200)
    for ax, rate in zip(np.atleast_1d(axes), rates):
        ax.plot(ws, c2 * ws * ws + c1 * ws + c0, color=t["truth"], linewidth=1.5)
        # Only the steps inside the view: a diverging run leaves it within a few steps.
        shown = [(w, l) for w, l in zip(rate["w"], rate["loss"]) if lo <= w <= hi]
        ax.plot([w for w, _ in shown], [l for _, l in shown], color=t["model"], linewidth=1, marker="o",
                markersize=3.5)
        ax.axvline(w_star, color=t["muted"], linestyle=":", linewidth=1)
        ax.set_title(f"lr {rate['lr']:g}: {rate['behaviour']}", fontsize=9)
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, (c2 * lo * lo + c1 * lo + c0) * 1.1)
        ax.set_xlabel("w")
        ax.grid(True, linewidth=0.5)
    np.atleast_1d(axes)[0].set_ylabel("loss L(w)")
    return fig


def layer_playground(data: dict[str, Any], t: dict[str, str]):
    fig, axes = plt.subplots(1, len(data["activations"]), figsize=FIGURE_SIZE, layout="constrained")
    s = data["sliders"]
    z_now = s["w"]["value"] * s["x"]["value"] + s["b"]["value"]
    z = np.linspace(*data["z_range"], 300)
    for ax, name in zip(axes, data["activations"]):
        f = ACTIVATION_FUNCTIONS[name]
        ax.plot(z, f(z), color=t["model"], linewidth=1.8)
        ax.plot([z_now], [f(np.array(z_now))], "o", color=t["highlight"], markersize=7)
        ax.set_title(f"{name}({z_now:.2f}) = {float(f(np.array(z_now))):.3f}", fontsize=9)
        ax.set_xlabel("z = w·x + b")
        ax.grid(True, linewidth=0.5)
    axes[0].set_ylabel("output")
    return fig


ACTIVATION_FUNCTIONS = {
    "identity": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
}


def loss_curve_reading(data: dict[str, Any], t: dict[str, str]):
    fig, ax = plt.subplots(figsize=FIGURE_SIZE, layout="constrained")
    ax.plot(data["epoch"], [10 ** v for v in data["log10_train"]], color=t["train"], label="training loss")
    ax.plot(data["epoch"], [10 ** v for v in data["log10_val"]], color=t["validation"], label="validation loss")
    best = data["best"]
    ax.axvline(best["epoch"], color=t["highlight"], linestyle=":", linewidth=1.2)
    ax.plot([best["epoch"]], [best["val_loss"]], "o", color=t["highlight"],
            label=f"lowest validation loss, epoch {best['epoch']}: stop here")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean squared error")
    ax.legend(fontsize=8)
    ax.grid(True, linewidth=0.5)
    return fig


def three_knobs(data: dict[str, Any], t: dict[str, str]):
    """The unregularised run against each regulariser at its best setting."""
    fig, (loss_ax, fit_ax) = plt.subplots(1, 2, figsize=FIGURE_SIZE, layout="constrained")
    step = data["prediction_step"]
    runs = [(data["base"], t["muted"], "no regulariser")]
    for knob, color in zip(data["knobs"], (t["highlight"], t["model"], t["truth"])):
        best = min(knob["settings"], key=lambda s: s["final_val"])
        runs.append((best, color, f"{knob['name']} ({knob['unit']} {best['value']:g})"))
    for run, color, label in runs:
        loss_ax.plot(delta_decode(run["epoch"], 1), [10 ** v for v in run["log10_val"]], color=color,
                     linewidth=1.4, label=f"{label}: {run['final_val']:.3g}")
        fit_ax.plot(data["grid"], delta_decode(run["prediction"], step), color=color, linewidth=1.6)
    fit_ax.scatter(data["train"]["x"], data["train"]["y"], s=14, color=t["train"], zorder=3, label="training")
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("validation loss")
    loss_ax.legend(fontsize=7, title="final validation loss", title_fontsize=7)
    fit_ax.set_xlabel("x")
    fit_ax.set_ylabel("y")
    fit_ax.legend(fontsize=7, loc="lower left")
    for ax in (loss_ax, fit_ax):
        ax.grid(True, linewidth=0.5)
    return fig


DRAWERS: dict[str, Callable[[dict[str, Any], dict[str, str]], Any]] = {
    "overfit-player": overfit_player,
    "loss-landscape": loss_landscape,
    "layer-playground": layer_playground,
    "loss-curve-reading": loss_curve_reading,
    "three-knobs": three_knobs,
}
