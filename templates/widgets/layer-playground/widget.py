"""One neuron's forward pass: move x, w and b and watch z = w·x + b and the activation's output."""
from __future__ import annotations

# The activations the page offers, in this order (the one list of them: export() passes it
# to the page, which computes each; figure() draws each).
ARGS = {
    "activation": {"type": "choice", "choices": ["identity", "relu", "sigmoid", "tanh"], "default": "relu",
                   "help": "the activation selected when the page opens"},
}

DATA = {
    "sliders": {
        "x": {"min": "float", "max": "float", "step": "float", "value": "float"},
        "w": {"min": "float", "max": "float", "step": "float", "value": "float"},
        "b": {"min": "float", "max": "float", "step": "float", "value": "float"},
    },
    "activations": "str[]",
    "activation": "str",
    "z_range": "float[]",
}

# The layer playground needs no run: the page computes w·x + b and the activation itself.
SLIDERS = {"x": (-3.0, 3.0, 0.1, 1.0), "w": (-2.0, 2.0, 0.1, 1.5), "b": (-2.0, 2.0, 0.1, -0.5)}
Z_RANGE = [-8.0, 8.0]


def export(records, args):
    return {
        "sliders": {name: dict(zip(("min", "max", "step", "value"), r)) for name, r in SLIDERS.items()},
        "activations": ARGS["activation"]["choices"],
        "activation": args["activation"],
        "z_range": Z_RANGE,
    }


def describe(data):
    s = data["sliders"]
    return ("The four activation functions, identity, ReLU, sigmoid and tanh, plotted for z from "
            f"{data['z_range'][0]:g} to {data['z_range'][1]:g}, with the point z = w·x + b marked for "
            f"x = {s['x']['value']:g}, w = {s['w']['value']:g}, b = {s['b']['value']:g}.")


def activation(name, z):
    import numpy as np

    return {"identity": lambda: z, "relu": lambda: np.maximum(z, 0.0), "sigmoid": lambda: 1.0 / (1.0 + np.exp(-z)),
            "tanh": lambda: np.tanh(z)}[name]()


def figure(data, palette):
    import matplotlib.pyplot as plt
    import numpy as np

    t = palette
    fig, axes = plt.subplots(1, len(data["activations"]), figsize=(8.0, 3.2), layout="constrained")
    s = data["sliders"]
    z_now = s["w"]["value"] * s["x"]["value"] + s["b"]["value"]
    z = np.linspace(*data["z_range"], 300)
    for ax, name in zip(np.atleast_1d(axes), data["activations"]):
        out = float(activation(name, np.array(z_now)))
        ax.plot(z, activation(name, z), color=t["model"], linewidth=1.8)
        ax.plot([z_now], [out], "o", color=t["highlight"], markersize=7)
        ax.set_title(f"{name}({z_now:.2f}) = {out:.3f}", fontsize=9)
        ax.set_xlabel("z = w·x + b")
        ax.grid(True, linewidth=0.5)
    np.atleast_1d(axes)[0].set_ylabel("output")
    return fig
