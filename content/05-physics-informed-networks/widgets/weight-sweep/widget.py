"""Slide through the weight λ on the physics term: the trained network's curve for each value,
and its error inside and outside the data window."""
from __future__ import annotations

import math

from generator.widget_api import rounded, split_runs

ARGS = {
    "runs": {"type": "runs", "help": "hybrid runs that differ only in physics_weight, in increasing order"},
}

DATA = {
    "grid": "float[]",
    "truth": "float[]",
    "data_end": "float",
    "observations": {"t": "float[]", "u": "float[]"},
    "sweep": [{"run": "str", "weight": "float", "prediction": "float[]", "rms_inside": "float",
               "rms_outside": "float"}],
}


def rms(values):
    return math.sqrt(sum(v * v for v in values) / len(values))


def export(records, args):
    names = split_runs(args["runs"])
    const = records[names[0]]["constants"]
    grid, truth, data_end = const["grid"], const["truth"], const["data_end"]
    sweep = []
    for name in names:
        rec = records[name]
        if rec["constants"]["t_obs"] != const["t_obs"]:
            raise ValueError(f"run '{name}' saw other measurements than '{names[0]}': a sweep needs the same data")
        prediction = rec["snapshots"]["prediction"][-1]
        error = [p - t for p, t in zip(prediction, truth)]
        sweep.append({
            "run": name,
            "weight": rec["config"]["physics_weight"],
            "prediction": rounded(prediction, 3),
            "rms_inside": round(rms([e for x, e in zip(grid, error) if x <= data_end]), 5),
            "rms_outside": round(rms([e for x, e in zip(grid, error) if x > data_end]), 5),
        })
    weights = [s["weight"] for s in sweep]
    if weights != sorted(weights) or len(set(weights)) != len(weights):
        raise ValueError(f"runs must be listed by increasing physics_weight; got {weights}")
    return {"grid": rounded(grid, 4), "truth": rounded(truth, 3), "data_end": data_end,
            "observations": {"t": rounded(const["t_obs"], 4), "u": rounded(const["u_obs"], 3)}, "sweep": sweep}


def describe(data):
    parts = [f"λ = {s['weight']:g}: {s['rms_outside']:.2g}" for s in data["sweep"]]
    return (f"The network trained on data plus λ times the physics loss, for {len(data['sweep'])} values of λ. "
            f"Root-mean-square error outside the data window (t > {data['data_end']:g}): " + ", ".join(parts) + ".")


def figure(data, palette):
    import matplotlib.pyplot as plt

    fig, (fit_ax, err_ax) = plt.subplots(1, 2, figsize=(8.0, 3.2), layout="constrained")
    fit_ax.axvspan(0, data["data_end"], color=palette["surface"], zorder=0)
    fit_ax.plot(data["grid"], data["truth"], color=palette["truth"], linestyle="--", linewidth=1.3,
                label="exact solution")
    count = len(data["sweep"])
    for i, s in enumerate(data["sweep"]):
        fit_ax.plot(data["grid"], s["prediction"], color=palette["model"], linewidth=1.4,
                    alpha=0.25 + 0.75 * (i + 1) / count, label=f"λ = {s['weight']:g}" if i in (0, count - 1) else None)
    fit_ax.scatter(data["observations"]["t"], data["observations"]["u"], s=12, color=palette["train"], zorder=3)
    fit_ax.set_xlabel("t")
    fit_ax.set_ylabel("u(t)")
    fit_ax.legend(loc="lower left", fontsize=8, frameon=False)
    weights = [s["weight"] for s in data["sweep"]]
    err_ax.plot(weights, [s["rms_outside"] for s in data["sweep"]], marker="o", color=palette["validation"],
                label="outside the data window")
    err_ax.plot(weights, [s["rms_inside"] for s in data["sweep"]], marker="s", color=palette["train"],
                label="inside it")
    err_ax.set_xscale("log")
    err_ax.set_yscale("log")
    err_ax.set_xlabel("λ, the weight on the physics loss")
    err_ax.set_ylabel("RMS error")
    err_ax.legend(fontsize=8, frameon=False)
    for ax in (fit_ax, err_ax):
        ax.grid(True, linewidth=0.5)
    return fig
