"""Test accuracy of two networks as the test digits move, left to right or up and down,
with the share of ink the move pushes off the 8×8 frame.

Reads: constants shifts, dense_horizontal, dense_vertical, cnn_horizontal, cnn_vertical,
ink_lost_horizontal, ink_lost_vertical of the run; facts dense_params, cnn_params.
"""
from __future__ import annotations

from generator.widget_api import rounded

ARGS = {
    "run": {"type": "run", "help": "a run that records accuracy per shift for networks 'dense' and 'cnn', and ink lost per shift"},
    "axis": {"type": "choice", "choices": ["horizontal", "vertical"], "default": "horizontal",
             "help": "the direction shown when the page opens"},
}

DATA = {
    "shifts": "int[]",
    "axis": "str",
    "networks": [{"name": "str", "params": "int", "horizontal": "float[]", "vertical": "float[]"}],
    "ink_lost": {"horizontal": "float[]", "vertical": "float[]"},
}

NAMES = {"dense": "dense network", "cnn": "small CNN"}


def export(records, args):
    rec = records[args["run"]]
    const, facts = rec["constants"], rec["facts"]
    return {
        "shifts": [int(v) for v in const["shifts"]],
        "axis": args["axis"],
        "networks": [{"name": NAMES[key], "params": facts[f"{key}_params"],
                      "horizontal": rounded(const[f"{key}_horizontal"], 4),
                      "vertical": rounded(const[f"{key}_vertical"], 4)} for key in ("dense", "cnn")],
        "ink_lost": {axis: rounded(const[f"ink_lost_{axis}"], 4) for axis in ("horizontal", "vertical")},
    }


def describe(data):
    shifts = data["shifts"]
    zero = shifts.index(0)
    parts = []
    for axis in ("horizontal", "vertical"):
        for net in data["networks"]:
            values = net[axis]
            one = (values[shifts.index(1)] + values[shifts.index(-1)]) / 2
            two = (values[shifts.index(2)] + values[shifts.index(-2)]) / 2
            parts.append(f"{axis}ly, the {net['name']} scores {values[zero]:.0%} unshifted, {one:.0%} at 1 pixel "
                         f"and {two:.0%} at 2 pixels")
    return ("Test accuracy against the shift of the test digits, from "
            f"{shifts[0]} to {shifts[-1]} pixels: " + "; ".join(parts) + ".")


def figure(data, palette):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.2), layout="constrained", sharey=True)
    for ax, axis in zip(axes, ("horizontal", "vertical")):
        for net, token in zip(data["networks"], ("validation", "train")):
            ax.plot(data["shifts"], net[axis], marker="o", color=palette[token], linewidth=2, label=net["name"])
        ax.bar(data["shifts"], data["ink_lost"][axis], width=0.3, color=palette["muted"], label="share of ink lost")
        ax.set_title(f"shifted {'right (+) or left (−)' if axis == 'horizontal' else 'down (+) or up (−)'}",
                     fontsize=9)
        ax.set_xlabel("shift in pixels")
        ax.set_ylim(0, 1)
        ax.set_xticks(data["shifts"])
        ax.grid(True, linewidth=0.5)
    axes[0].set_ylabel("test accuracy")
    axes[1].legend(fontsize=8, frameon=False, loc="upper right")
    return fig
