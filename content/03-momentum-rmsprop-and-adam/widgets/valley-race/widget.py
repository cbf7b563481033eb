"""Five optimisers racing down the same narrow valley, at each one's tuned learning rate or a
multiple of it.

Reads: constants curvatures, start, multipliers, race (optimiser × multiplier × step × 2) and
race_left (the step a path left the view, -1 if never); facts <name>_lr, <name>_steps,
heavy_ball_beta, nesterov_beta, tolerance.
"""
from __future__ import annotations

from generator.widget_api import rounded, sig

ARGS = {
    "run": {"type": "run", "help": "the valley run (constants race, race_left, curvatures, start, multipliers)"},
}

DATA = {
    "curvatures": "float[]",
    "start": "float[]",
    "multipliers": "float[]",
    "steps": "int",
    "view": {"x": "float[]", "y": "float[]"},
    "optimisers": [{"name": "str", "label": "str", "lr": "float", "beta": "float?", "tuned_steps": "int",
                    "paths": "float[][][]", "left": "int[]"}],
}

NAMES = ["gd", "heavy_ball", "nesterov", "rmsprop", "adam"]
LABELS = {"gd": "Gradient descent", "heavy_ball": "Heavy ball", "nesterov": "Nesterov", "rmsprop": "RMSProp",
          "adam": "Adam"}
TOKENS = ["muted", "model", "truth", "validation", "train"]


# Paths keep 3 significant digits (not decimals): near the bottom the weights are tiny, and
# the readout's loss must not round to zero while the optimiser is still moving.
def export(records, args):
    record = records[args["run"]]
    const, facts = record["constants"], record["facts"]
    order = const["optimisers"].split(",")
    if order != NAMES:
        raise ValueError(f"run '{args['run']}' raced {order}; this widget expects {NAMES}")
    start = const["start"]
    optimisers = []
    for o, name in enumerate(NAMES):
        beta = facts.get(f"{name}_beta")
        optimisers.append({"name": name, "label": LABELS[name], "lr": sig(facts[f"{name}_lr"], 3),
                           "beta": beta, "tuned_steps": facts[f"{name}_steps"],
                           "paths": [[[sig(v, 3) for v in point] for point in path] for path in const["race"][o]], "left": [int(v) for v in const["race_left"][o]]})
    # The view: the start's quarter plus room for overshoot on the far side.
    x0, y0 = abs(start[0]), abs(start[1])
    return {"curvatures": const["curvatures"], "start": rounded(start, 4), "multipliers": const["multipliers"],
            "steps": len(const["race"][0][0]) - 1, "view": {"x": [-1.25 * x0, 0.75 * x0], "y": [-1.6 * y0, 1.6 * y0]},
            "optimisers": optimisers}


def loss(curvatures, point):
    return 0.5 * sum(h * w * w for h, w in zip(curvatures, point))


def tuned(data):
    """Index of the multiplier 1 (each optimiser's own tuned rate)."""
    return data["multipliers"].index(1.0)


def describe(data):
    k = tuned(data)
    parts = []
    for opt in data["optimisers"]:
        end = loss(data["curvatures"], opt["paths"][k][-1])
        parts.append(f"{opt['label']} (learning rate {opt['lr']:g}) at loss {end:.2g}")
    return (f"Contours of the valley L(w) = ½({data['curvatures'][0]:g}·w1² + {data['curvatures'][1]:g}·w2²) with the "
            f"paths of five optimisers from the same start over {data['steps']} steps, each at its tuned learning rate. "
            f"After {data['steps']} steps: " + "; ".join(parts) + ".")


def figure(data, palette):
    import matplotlib.pyplot as plt
    import numpy as np

    k = tuned(data)
    fig, ax = plt.subplots(figsize=(8.0, 3.6), layout="constrained")
    x = np.linspace(*data["view"]["x"], 300)
    y = np.linspace(*data["view"]["y"], 200)
    X, Y = np.meshgrid(x, y)
    h1, h2 = data["curvatures"]
    start_loss = loss(data["curvatures"], data["start"])
    levels = start_loss * np.logspace(-4, 0, 9)
    ax.contour(X, Y, 0.5 * (h1 * X ** 2 + h2 * Y ** 2), levels=levels, colors=palette["border"], linewidths=0.8)
    for opt, token in zip(data["optimisers"], TOKENS):
        path = np.array(opt["paths"][k])
        ax.plot(path[:, 0], path[:, 1], color=palette[token], linewidth=1.4, marker="o", markersize=2,
                label=f"{opt['label']}, lr {opt['lr']:g}")
    ax.plot(*data["start"], marker="s", color=palette["text"], markersize=5)
    ax.plot(0, 0, marker="*", color=palette["highlight"], markersize=10)
    ax.set_xlim(*data["view"]["x"])
    ax.set_ylim(*data["view"]["y"])
    ax.set_xlabel("w1 (shallow direction)")
    ax.set_ylabel("w2 (steep)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    return fig
