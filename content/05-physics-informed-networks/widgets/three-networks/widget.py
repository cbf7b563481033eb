"""Step through training (or press Play): the same network trained on data, on physics and on
both, side by side against the exact solution, with the window that has data shaded."""
from __future__ import annotations

import math

from generator.widget_api import rounded

ARGS = {
    "data": {"type": "run", "help": "the network trained on the measurements only"},
    "physics": {"type": "run", "help": "the network trained on the equation and starting conditions only"},
    "hybrid": {"type": "run", "help": "the network trained on both"},
}

DATA = {
    "grid": "float[]",
    "truth": "float[]",
    "data_end": "float",
    "observations": {"t": "float[]", "u": "float[]"},
    "steps": "int[]",
    "data": {"prediction": "float[][]", "rms_inside": "float", "rms_outside": "float"},
    "physics": {"prediction": "float[][]", "rms_inside": "float", "rms_outside": "float"},
    "hybrid": {"prediction": "float[][]", "rms_inside": "float", "rms_outside": "float"},
}
TITLES = {"data": "data only", "physics": "physics only", "hybrid": "data and physics"}


def rms(values):
    return math.sqrt(sum(v * v for v in values) / len(values))


def model_data(rec, grid, truth, data_end):
    predictions = rec["snapshots"]["prediction"]
    error = [p - t for p, t in zip(predictions[-1], truth)]
    inside = [e for x, e in zip(grid, error) if x <= data_end]
    outside = [e for x, e in zip(grid, error) if x > data_end]
    return {"prediction": rounded(predictions, 3), "rms_inside": round(rms(inside), 5),
            "rms_outside": round(rms(outside), 5)}


def export(records, args):
    first = records[args["data"]]
    const = first["constants"]
    steps = first["snapshots"]["step"]
    for role in ("physics", "hybrid"):
        if records[args[role]]["snapshots"]["step"] != steps:
            raise ValueError(f"run '{args[role]}' was recorded at other steps than '{args['data']}'")
    grid, truth, data_end = const["grid"], const["truth"], const["data_end"]
    return {
        "grid": rounded(grid, 4),
        "truth": rounded(truth, 3),
        "data_end": data_end,
        "observations": {"t": rounded(const["t_obs"], 4), "u": rounded(const["u_obs"], 3)},
        "steps": steps,
        **{role: model_data(records[args[role]], grid, truth, data_end) for role in ("data", "physics", "hybrid")},
    }


def describe(data):
    parts = [f"{TITLES[role]}, root-mean-square error {data[role]['rms_inside']:.3g} inside the window and "
             f"{data[role]['rms_outside']:.3g} outside it" for role in ("data", "physics", "hybrid")]
    return (f"Three panels, one per network, after {data['steps'][-1]:,} training steps, each against the exact "
            f"solution (dashed), with the {len(data['observations']['t'])} measurements in the shaded window "
            f"t ≤ {data['data_end']:g}: " + "; ".join(parts) + ".")


def figure(data, palette):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(9.0, 3.0), sharey=True, layout="constrained")
    for ax, role in zip(axes, ("data", "physics", "hybrid")):
        ax.axvspan(0, data["data_end"], color=palette["surface"], zorder=0)
        ax.plot(data["grid"], data["truth"], color=palette["truth"], linestyle="--", linewidth=1.3,
                label="exact solution")
        ax.plot(data["grid"], data[role]["prediction"][-1], color=palette["model"], linewidth=1.8, label="network")
        if role != "physics":
            ax.scatter(data["observations"]["t"], data["observations"]["u"], s=14, color=palette["train"],
                       zorder=3, label="measurements")
        ax.set_title(f"{TITLES[role]}\nRMS error outside {data[role]['rms_outside']:.3g}", fontsize=10)
        ax.set_xlabel("t")
        ax.set_ylim(-2, 2)
        ax.grid(True, linewidth=0.5)
    axes[0].set_ylabel("u(t)")
    axes[0].legend(loc="lower left", fontsize=8, frameon=False)
    return fig
