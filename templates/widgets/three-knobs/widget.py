"""Three regularisers at three strengths each, against the same network trained without one."""
from __future__ import annotations

from generator.widget_api import (log10_rounded, log_epoch_axis, plain_log_y, rounded, shown_points,
                                  sig, split_runs, thin_log)

ARGS = {
    "run": {"type": "run", "help": "the unregularised run (constants x_train, y_train, x_val, y_val, grid, "
                                   "truth; series val_loss; snapshots of prediction)"},
    "early": {"type": "runs", "help": "early-stopping runs, each with config 'patience' and facts "
                                      "final_val_loss, weight_norm, stopped_epoch, best_epoch"},
    "decay": {"type": "runs", "help": "weight-decay runs, each with config 'weight_decay' (same facts)"},
    "dropout": {"type": "runs", "help": "dropout runs, each with config 'dropout' (same facts)"},
}

# One knob per argument: its label in the page, the config key holding its strength, and
# what that strength is called.
KNOBS = (("early", "early stopping", "patience", "patience"),
         ("decay", "weight decay", "weight_decay", "strength"),
         ("dropout", "dropout", "dropout", "rate"))

DATA = {
    "epochs": "int",
    "grid": "float[]",
    "truth": "float[]",
    "train": {"x": "float[]", "y": "float[]"},
    "val": {"x": "float[]", "y": "float[]"},
    "base": {"run": "str", "epoch": "int[]", "log10_val": "float[]", "prediction": "float[]", "final_val": "float"},
    "knobs": [{
        "name": "str",
        "unit": "str",
        "settings": [{
            "run": "str",
            "value": "float",
            "epoch": "int[]",
            "log10_val": "float[]",
            "prediction": "float[]",
            "final_val": "float",
            "weight_norm": "float",
            "stopped_epoch": "int",
            "best_epoch": "int",
        }],
    }],
}


def _curve(rec):
    """The validation curve, spread evenly on the log epoch axis."""
    epochs, val = thin_log(rec["series"]["step"], rec["series"]["val_loss"], per_decade=60)
    return epochs, log10_rounded(val, 3)


def _setting(rec, value):
    facts = rec["facts"]
    epochs, log_val = _curve(rec)
    return {
        "run": rec["run"],
        "value": value,
        "epoch": epochs,
        "log10_val": log_val,
        "prediction": rounded(rec["snapshots"]["prediction"][-1], 3),
        "final_val": sig(facts["final_val_loss"], 4),
        "weight_norm": sig(facts["weight_norm"], 4),
        "stopped_epoch": facts["stopped_epoch"],
        "best_epoch": facts["best_epoch"],
    }


def export(records, args):
    base = records[args["run"]]
    const, series, snaps = base["constants"], base["series"], base["snapshots"]
    epochs, log_val = _curve(base)
    knobs = []
    for arg, label, config_key, unit in KNOBS:
        settings = [_setting(records[r], records[r]["config"][config_key]) for r in split_runs(args[arg])]
        knobs.append({"name": label, "unit": unit, "settings": sorted(settings, key=lambda s: s["value"])})
    return {
        "epochs": series["step"][-1],
        "grid": rounded(const["grid"], 3),
        "truth": rounded(const["truth"], 3),
        "train": {"x": rounded(const["x_train"], 3), "y": rounded(const["y_train"], 3)},
        "val": shown_points(const["x_val"], const["y_val"]),
        "base": {"run": base["run"], "epoch": epochs, "log10_val": log_val,
                 "prediction": rounded(snaps["prediction"][-1], 3), "final_val": sig(series["val_loss"][-1], 4)},
        "knobs": knobs,
    }


def best_setting(knob):
    return min(knob["settings"], key=lambda s: s["final_val"])


def describe(data):
    parts = [f"{k['name']} ({k['unit']} {best_setting(k)['value']:g}) {best_setting(k)['final_val']:.3g}"
             for k in data["knobs"]]
    return (f"Final validation loss of the unregularised network, {data['base']['final_val']:.3g}, against "
            "the setting of each regulariser with the lowest final validation loss: " + ", ".join(parts) +
            ". Left: their validation losses on a log epoch axis. Right: their final fits over the training "
            "points.")


def figure(data, palette):
    """The unregularised run against each regulariser at its best setting."""
    import matplotlib.pyplot as plt

    t = palette
    fig, (loss_ax, fit_ax) = plt.subplots(1, 2, figsize=(8.0, 3.8), layout="constrained")
    runs = [(data["base"], t["muted"], "no regulariser")]
    for knob, color in zip(data["knobs"], (t["highlight"], t["model"], t["truth"])):
        best = best_setting(knob)
        runs.append((best, color, f"{knob['name']} ({knob['unit']} {best['value']:g})"))
    for run, color, label in runs:
        loss_ax.plot(run["epoch"], [10 ** v for v in run["log10_val"]], color=color, linewidth=1.4,
                     label=f"{label}: {run['final_val']:.3g}")
        fit_ax.plot(data["grid"], run["prediction"], color=color, linewidth=1.6)
    fit_ax.scatter(data["train"]["x"], data["train"]["y"], s=14, color=t["train"], zorder=3, label="training points")
    plain_log_y(loss_ax)
    log_epoch_axis(loss_ax, data["epochs"])
    loss_ax.set_ylabel("validation loss")
    fit_ax.set_xlabel("x")
    fit_ax.set_ylabel("y")
    # Legends below the axes: never over a curve.
    loss_ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8.5, ncol=1, frameon=False,
                   title="final validation loss", title_fontsize=8.5)
    fit_ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8.5, frameon=False)
    for ax in (loss_ax, fit_ax):
        ax.grid(True, linewidth=0.5)
    return fig
