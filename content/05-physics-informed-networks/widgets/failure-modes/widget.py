"""Choose a setting that was changed for the worse and compare that run with the one that works."""
from __future__ import annotations

import math

from generator.widget_api import rounded, sig, split_runs

ARGS = {
    "works": {"type": "run", "help": "the physics-only run with every setting right"},
    "fails": {"type": "runs", "help": "the same run with one setting changed, one run per setting"},
}

DATA = {
    "grid": "float[]",
    "truth": "float[]",
    "works": {"run": "str", "setting": "str", "prediction": "float[]", "variance_ratio": "float",
              "max_error": "float"},
    "fails": [{"run": "str", "setting": "str", "prediction": "float[]", "variance_ratio": "float",
               "max_error": "float"}],
}

# How each setting that can differ from the working run is named on the page.
SETTINGS = {
    "scale_residual": lambda v: "residual divided by ω₀²" if v else "residual not divided by ω₀²",
    "time_factor": lambda v: "time in seconds" if v == 1 else f"time in milliseconds (input × {v:g})",
    "collocation": lambda v: f"{v} collocation points",
    "lr": lambda v: f"learning rate {v:g}",
}


def summary(rec, truth, setting):
    prediction = rec["snapshots"]["prediction"][-1]
    mean = sum(prediction) / len(prediction)
    mean_truth = sum(truth) / len(truth)
    variance = sum((p - mean) ** 2 for p in prediction) / len(prediction)
    variance_truth = sum((t - mean_truth) ** 2 for t in truth) / len(truth)
    return {"run": rec["run"], "setting": setting, "prediction": rounded(prediction, 3),
            "variance_ratio": sig(variance / variance_truth, 3),
            "max_error": round(max(abs(p - t) for p, t in zip(prediction, truth)), 4)}


def changed_setting(rec, works):
    """The one config value in which `rec` differs from the working run, named for the reader."""
    changed = [k for k, v in rec["config"].items() if works["config"].get(k) != v and k in SETTINGS]
    if len(changed) != 1:
        raise ValueError(f"run '{rec['run']}' should differ from '{works['run']}' in one of "
                         f"{sorted(SETTINGS)}; it differs in {changed or 'none'}")
    return changed[0]


def export(records, args):
    works = records[args["works"]]
    truth = works["constants"]["truth"]
    fails = []
    working_settings = []
    for name in split_runs(args["fails"]):
        key = changed_setting(records[name], works)
        fails.append(summary(records[name], truth, SETTINGS[key](records[name]["config"][key])))
        working_settings.append(SETTINGS[key](works["config"][key]))
    return {
        "grid": rounded(works["constants"]["grid"], 4),
        "truth": rounded(truth, 3),
        "works": summary(works, truth, ", ".join(working_settings)),
        "fails": fails,
    }


def describe(data):
    flat = [f["setting"] for f in data["fails"] if f["variance_ratio"] < 0.01]
    parts = [f"{f['setting']}: largest error {f['max_error']:.2g}, output variance {f['variance_ratio']:.2g} times "
             f"the solution's" for f in data["fails"]]
    return (f"{len(data['fails'])} failing set-ups beside the working one ({data['works']['setting']}; largest "
            f"error {data['works']['max_error']:.2g}). " + "; ".join(parts) + ". "
            + (f"{len(flat)} of them end as a flat line." if flat else ""))


def figure(data, palette):
    import matplotlib.pyplot as plt

    count = len(data["fails"])
    cols = 2 if count > 1 else 1
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(8.0, 2.6 * rows), sharex=True, sharey=True,
                             layout="constrained", squeeze=False)
    for ax, fail in zip(axes.flat, data["fails"]):
        ax.plot(data["grid"], data["truth"], color=palette["truth"], linestyle="--", linewidth=1.3,
                label="exact solution")
        ax.plot(data["grid"], data["works"]["prediction"], color=palette["model"], linewidth=1.6, label="works")
        ax.plot(data["grid"], fail["prediction"], color=palette["validation"], linewidth=1.8, label="fails")
        ax.set_title(fail["setting"], fontsize=10)
        ax.grid(True, linewidth=0.5)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("t")
    axes[0][0].legend(loc="lower left", fontsize=8, frameon=False)
    return fig
