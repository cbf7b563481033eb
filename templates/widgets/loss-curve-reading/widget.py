"""A run's training loss alone, then its validation loss revealed with the epoch to stop at."""
from __future__ import annotations

from generator.widget_api import (argmin, log10_rounded, log_epoch_axis, plain_log_y, rises,
                                  sig, thin_log)

ARGS = {
    "run": {"type": "run", "help": "a run that logs train_loss and val_loss every epoch"},
}

DATA = {
    "run": "str",
    "epochs": "int",
    "epoch": "int[]",
    "log10_train": "float[]",
    "log10_val": "float[]",
    "best": {"epoch": "int", "train_loss": "float", "val_loss": "float"},
    "first": {"train_loss": "float", "val_loss": "float"},
    "final": {"train_loss": "float", "val_loss": "float"},
    "train_rises": "int",
    "logged": "int",
}


def export(records, args):
    rec = records[args["run"]]
    series = rec["series"]
    train_loss, val_loss = series["train_loss"], series["val_loss"]
    epochs, train, val = thin_log(series["step"], train_loss, val_loss, per_decade=100)
    best = argmin(val_loss)
    return {
        "run": rec["run"],
        "epochs": series["step"][-1],
        "epoch": epochs,
        "log10_train": log10_rounded(train, 4),
        "log10_val": log10_rounded(val, 4),
        "best": {"epoch": series["step"][best], "train_loss": sig(train_loss[best], 4),
                 "val_loss": sig(val_loss[best], 4)},
        "first": {"train_loss": sig(train_loss[0], 4), "val_loss": sig(val_loss[0], 4)},
        "final": {"train_loss": sig(train_loss[-1], 4), "val_loss": sig(val_loss[-1], 4)},
        # Counted on every logged epoch, not the thinned curve: the alt text states it.
        "train_rises": rises(train_loss),
        "logged": len(train_loss),
    }


def describe(data):
    ups = data["train_rises"]
    moves = (f", not steadily: it rises at {ups:,} of the {data['logged'] - 1:,} logged epochs"
             if ups else ", falling at every logged epoch")
    val_end = ("then rises to" if data["final"]["val_loss"] > data["best"]["val_loss"] else "ends at")
    return (f"On a log epoch axis: training loss goes from {data['first']['train_loss']:.3g} to "
            f"{data['final']['train_loss']:.3g} over {data['epochs']:,} epochs{moves}. Validation loss is "
            f"lowest ({data['best']['val_loss']:.3g}) at epoch {data['best']['epoch']}, the early-stopping "
            f"point, and {val_end} {data['final']['val_loss']:.3g}.")


def figure(data, palette):
    import matplotlib.pyplot as plt

    t = palette
    fig, ax = plt.subplots(figsize=(8.0, 3.4), layout="constrained")
    ax.plot(data["epoch"], [10 ** v for v in data["log10_train"]], color=t["train"], label="training loss")
    ax.plot(data["epoch"], [10 ** v for v in data["log10_val"]], color=t["validation"], label="validation loss")
    best = data["best"]
    ax.axvline(best["epoch"], color=t["highlight"], linestyle=":", linewidth=1.2)
    ax.plot([best["epoch"]], [best["val_loss"]], "o", color=t["highlight"],
            label=f"lowest validation loss, epoch {best['epoch']}: stop here")
    plain_log_y(ax)
    log_epoch_axis(ax, data["epochs"])
    ax.set_ylabel("mean squared error")
    # The legend sits below the axes, never over a curve.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=9, frameon=False)
    ax.grid(True, linewidth=0.5)
    return fig
