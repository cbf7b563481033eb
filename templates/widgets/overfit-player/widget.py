"""Scrub or play through a run's snapshots: the prediction over the data beside both losses."""
from __future__ import annotations

from generator.widget_api import (argmin, log10_rounded, log_epoch_axis, plain_log_y, rounded,
                                  shown_points, sig, thin_log)

ARGS = {
    "run": {"type": "run", "help": "a run that records constants x_train, y_train, x_val, y_val, grid, "
                                   "truth; series train_loss, val_loss; snapshots of prediction on grid"},
}

DATA = {
    "run": "str",
    "seed": "int",
    "epochs": "int",
    "grid": "float[]",
    "truth": "float[]",
    "train": {"x": "float[]", "y": "float[]"},
    "val": {"x": "float[]", "y": "float[]"},
    "snapshots": {
        "epoch": "int[]",
        "prediction": "float[][]",
        "train_loss": "float[]",
        "val_loss": "float[]",
    },
    "loss": {"epoch": "int[]", "log10_train": "float[]", "log10_val": "float[]"},
    "best": {"epoch": "int", "val_loss": "float"},
}


def export(records, args):
    rec = records[args["run"]]
    const, series, snaps = rec["constants"], rec["series"], rec["snapshots"]
    # The chart's epoch axis is logarithmic: keep every early epoch, fewer later ones.
    loss_steps, train_loss, val_loss = thin_log(series["step"], series["train_loss"], series["val_loss"],
                                                per_decade=150)
    at = {s: i for i, s in enumerate(series["step"])}
    best = argmin(series["val_loss"])
    return {
        "run": rec["run"],
        "seed": rec["seed"],
        "epochs": series["step"][-1],
        "grid": rounded(const["grid"], 3),
        "truth": rounded(const["truth"], 3),
        "train": {"x": rounded(const["x_train"], 3), "y": rounded(const["y_train"], 3)},
        "val": shown_points(const["x_val"], const["y_val"]),
        "snapshots": {
            "epoch": snaps["step"],
            # 0.01 is under a pixel at the size the curve is drawn, and keeps the file
            # about half the size it has with 0.001 (150 snapshots of the whole grid).
            "prediction": rounded(snaps["prediction"], 2),
            "train_loss": [sig(series["train_loss"][at[s]], 4) for s in snaps["step"]],
            "val_loss": [sig(series["val_loss"][at[s]], 4) for s in snaps["step"]],
        },
        "loss": {"epoch": loss_steps, "log10_train": log10_rounded(train_loss), "log10_val": log10_rounded(val_loss)},
        "best": {"epoch": series["step"][best], "val_loss": sig(series["val_loss"][best], 4)},
    }


def describe(data):
    snaps = data["snapshots"]
    return (f"Left: the network's prediction after {data['epochs']} epochs, over the noisy training points. "
            f"Right, on a log epoch axis: training loss goes from {snaps['train_loss'][0]:.3g} at epoch "
            f"{snaps['epoch'][0]} to {snaps['train_loss'][-1]:.3g}; validation loss is lowest "
            f"({data['best']['val_loss']:.3g}) at epoch {data['best']['epoch']} and ends at "
            f"{snaps['val_loss'][-1]:.3g}.")


def figure(data, palette):
    import matplotlib.pyplot as plt

    t = palette
    fig, (fit_ax, loss_ax) = plt.subplots(1, 2, figsize=(8.0, 3.6), layout="constrained")
    fit_ax.plot(data["grid"], data["truth"], color=t["truth"], linestyle="--", linewidth=1.2, label="true function")
    fit_ax.plot(data["grid"], data["snapshots"]["prediction"][-1], color=t["model"], linewidth=1.8,
                label=f"model, epoch {data['epochs']}")
    fit_ax.scatter(data["train"]["x"], data["train"]["y"], s=18, color=t["train"], label="training", zorder=3)
    fit_ax.scatter(data["val"]["x"], data["val"]["y"], s=18, facecolors="none", edgecolors=t["validation"],
                   label="validation (a sample)", zorder=3)
    fit_ax.set_xlabel("x")
    fit_ax.set_ylabel("y")
    epochs = data["loss"]["epoch"]
    loss_ax.plot(epochs, [10 ** v for v in data["loss"]["log10_train"]], color=t["train"], label="training loss")
    loss_ax.plot(epochs, [10 ** v for v in data["loss"]["log10_val"]], color=t["validation"], label="validation loss")
    loss_ax.axvline(data["best"]["epoch"], color=t["highlight"], linestyle=":", linewidth=1.2,
                    label=f"best validation, epoch {data['best']['epoch']}")
    plain_log_y(loss_ax)
    log_epoch_axis(loss_ax, data["epochs"])
    loss_ax.set_ylabel("mean squared error")
    # Legends below the axes: never over a curve.
    for ax in (fit_ax, loss_ax):
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=9, frameon=False)
        ax.grid(True, linewidth=0.5)
    return fig
