"""Adam's steps on the narrow valley, one weight at a time: how far each weight moves per step
with and without bias correction, and the learning rate each weight effectively gets.

Reads: constants adam_steps_with, adam_steps_without (|Δw| per step, two weights),
adam_effective_lr (lr / (√ŝ + ε) per step, two weights); fact adam_lr.
"""
from __future__ import annotations

from generator.widget_api import sig

ARGS = {
    "run": {"type": "run", "help": "the valley run (constants adam_steps_with, adam_steps_without, adam_effective_lr)"},
}

DATA = {
    "lr": "float",
    "with": "float[][]",
    "without": "float[][]",
    "effective": "float[][]",
}


def as_multiples(rows, lr):
    """Each value as a multiple of the learning rate, 4 significant digits."""
    return [[sig(v / lr, 4) for v in row] for row in rows]


def export(records, args):
    record = records[args["run"]]
    const, lr = record["constants"], record["facts"]["adam_lr"]
    return {"lr": sig(lr, 4), "with": as_multiples(const["adam_steps_with"], lr),
            "without": as_multiples(const["adam_steps_without"], lr),
            "effective": as_multiples(const["adam_effective_lr"], lr)}


def describe(data):
    first_with, first_without = max(data["with"][0]), max(data["without"][0])
    largest_without = max(max(row) for row in data["without"])
    eff = data["effective"]
    return (f"Adam on the valley at learning rate {data['lr']:g}, first {len(data['with'])} steps. With bias correction "
            f"the first step moves each weight {first_with:.2f} times the learning rate; without it "
            f"{first_without:.2f} times, and up to {largest_without:.1f} times in the steps after. The shallow weight w1 "
            f"gets an effective learning rate {eff[0][0]:.2g} times the nominal one at the first step and "
            f"{eff[-1][0]:.2g} times at the last; the steep weight w2 {eff[0][1]:.2g} and {eff[-1][1]:.2g} times.")


def figure(data, palette):
    import matplotlib.pyplot as plt

    steps = list(range(1, len(data["with"]) + 1))
    fig, (move_ax, rate_ax) = plt.subplots(1, 2, figsize=(8.0, 3.2), layout="constrained")
    for i, token in enumerate(("model", "validation")):
        move_ax.plot(steps, [r[i] for r in data["with"]], color=palette[token], linewidth=1.6,
                     label=f"w{i + 1}, with correction")
        move_ax.plot(steps, [r[i] for r in data["without"]], color=palette[token], linewidth=1.2, linestyle="--",
                     label=f"w{i + 1}, without")
        rate_ax.plot(steps, [r[i] for r in data["effective"]], color=palette[token], linewidth=1.6, label=f"w{i + 1}")
    for ax in (move_ax, rate_ax):
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.axhline(1.0, color=palette["truth"], linestyle=":", linewidth=1)
        ax.grid(True, linewidth=0.5)
        ax.legend(fontsize=7, frameon=False)
    move_ax.set_ylabel("|step| ÷ learning rate")
    rate_ax.set_ylabel("effective rate ÷ learning rate")
    return fig
