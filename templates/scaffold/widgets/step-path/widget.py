"""One run's weights, step by step, on the (w1, w2) plane, with the loss at each step.

Reads: series w (a 2-vector per step), series loss and series step of the run.
"""
from __future__ import annotations

from generator.widget_api import rounded, sig

ARGS = {
    "run": {"type": "run", "help": "a run that logs w (two weights) and loss at every step"},
}

DATA = {
    "run": "str",
    "step": "int[]",
    "w": "float[][]",
    "loss": "float[]",
}


def export(records, args):
    series = records[args["run"]]["series"]
    return {
        "run": args["run"],
        "step": series["step"],
        "w": rounded(series["w"], 4),
        "loss": [sig(v, 4) for v in series["loss"]],
    }


def describe(data):
    first, last = data["w"][0], data["w"][-1]
    return (f"The weights of run {data['run']} over {data['step'][-1]} steps, from ({first[0]:.2g}, {first[1]:.2g}) "
            f"to ({last[0]:.2g}, {last[1]:.2g}); the loss goes from {data['loss'][0]:.3g} to {data['loss'][-1]:.3g}.")


def figure(data, palette):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.0, 3.2), layout="constrained")
    ax.plot([p[0] for p in data["w"]], [p[1] for p in data["w"]], marker="o", markersize=3,
            color=palette["train"])
    ax.plot([0], [0], marker="*", markersize=10, color=palette["highlight"], linestyle="none")
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    return fig
