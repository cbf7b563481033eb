"""A learning-rate sweep of three optimisers on one network: the final losses against the rate,
and the training and validation curves of any rate on a log-epoch axis.

Reads: constants lrs, epochs_logged, curves (optimiser × rate × [train, val] × logged epoch),
diverged, best, optimisers, noise_variance; fact momentum.
"""
from __future__ import annotations

from generator.widget_api import log10_rounded

ARGS = {
    "run": {"type": "run", "help": "the sweep run (constants lrs, epochs_logged, curves, diverged, best, optimisers)"},
}

DATA = {
    "lrs": "float[]",
    "epochs": "int[]",
    "noise_variance": "float",
    "optimisers": [{"name": "str", "label": "str", "best": "int", "diverged": "bool[]",
                    "log10_train": "float[][]", "log10_val": "float[][]"}],
}

LABELS = {"sgd": "SGD", "momentum": "SGD with momentum {momentum:g}", "adam": "Adam"}
TOKENS = ["muted", "model", "train"]


def export(records, args):
    const, facts = records[args["run"]]["constants"], records[args["run"]]["facts"]
    names = const["optimisers"].split(",")
    unknown = [n for n in names if n not in LABELS]
    if unknown:
        raise ValueError(f"run '{args['run']}' swept optimisers {unknown} this widget has no label for")
    optimisers = []
    for o, name in enumerate(names):
        optimisers.append({"name": name, "label": LABELS[name].format(**facts), "best": int(const["best"][o]),
                           "diverged": [bool(d) for d in const["diverged"][o]],
                           "log10_train": [log10_rounded(c[0], 3) for c in const["curves"][o]],
                           "log10_val": [log10_rounded(c[1], 3) for c in const["curves"][o]]})
    return {"lrs": const["lrs"], "epochs": [int(e) for e in const["epochs_logged"]],
            "noise_variance": const["noise_variance"], "optimisers": optimisers}


def final(opt, k, which):
    return 10 ** opt[which][k][-1]


def describe(data):
    parts = []
    for opt in data["optimisers"]:
        k = opt["best"]
        parts.append(f"{opt['label']} is best at learning rate {data['lrs'][k]:g}, ending with training loss "
                     f"{final(opt, k, 'log10_train'):.3f} and validation loss {final(opt, k, 'log10_val'):.3f}")
        if any(opt["diverged"]):
            parts[-1] += f" (it diverged at {sum(opt['diverged'])} of the rates)"
    return (f"Final losses of a small network after {data['epochs'][-1]:,} full-batch epochs, for "
            f"{len(data['optimisers'])} optimisers at {len(data['lrs'])} learning rates from {data['lrs'][0]:g} to "
            f"{data['lrs'][-1]:g}, and the loss curves at each one's best rate. " + "; ".join(parts) + ".")


def figure(data, palette):
    import matplotlib.pyplot as plt

    from generator.widget_api import log_epoch_axis, plain_log_y

    fig, (sweep_ax, curve_ax) = plt.subplots(1, 2, figsize=(8.0, 3.4), layout="constrained")
    for opt, token in zip(data["optimisers"], TOKENS):
        ok = [k for k, d in enumerate(opt["diverged"]) if not d]
        sweep_ax.plot([data["lrs"][k] for k in ok], [final(opt, k, "log10_train") for k in ok], color=palette[token],
                      marker="o", linestyle="--", linewidth=1, markersize=3)
        sweep_ax.plot([data["lrs"][k] for k in ok], [final(opt, k, "log10_val") for k in ok], color=palette[token],
                      marker="o", linewidth=1.6, markersize=4, label=opt["label"])
        k = opt["best"]
        curve_ax.plot(data["epochs"], [10 ** v for v in opt["log10_train"][k]], color=palette[token], linestyle="--",
                      linewidth=1.2)
        curve_ax.plot(data["epochs"], [10 ** v for v in opt["log10_val"][k]], color=palette[token], linewidth=1.6,
                      label=f"{opt['label']}, lr {data['lrs'][k]:g}")
    for ax in (sweep_ax, curve_ax):
        ax.axhline(data["noise_variance"], color=palette["truth"], linestyle=":", linewidth=1)
        plain_log_y(ax)
        ax.grid(True, linewidth=0.5)
    sweep_ax.set_xscale("log")
    sweep_ax.set_xlabel("learning rate")
    sweep_ax.set_ylabel("final loss (dashed: training)")
    sweep_ax.legend(fontsize=7, frameon=False)
    log_epoch_axis(curve_ax, data["epochs"][-1])
    curve_ax.set_ylabel("loss at each one's best rate")
    curve_ax.legend(fontsize=7, frameon=False)
    return fig
