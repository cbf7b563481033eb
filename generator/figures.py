"""Static figures for widgets, drawn by matplotlib in the page's palette.

Each widget's figure is what a reader sees with JavaScript off, and what prints. It is
drawn from the same exported JSON the widget reads, so both show the same numbers.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

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
                   label="validation", zorder=3)
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


DRAWERS: dict[str, Callable[[dict[str, Any], dict[str, str]], Any]] = {
    "overfit-player": overfit_player,
}
