"""Gradient descent on a one-weight loss parabola, step by step, at several learning rates."""
from __future__ import annotations

from generator.widget_api import sig, split_runs

ARGS = {
    "runs": {"type": "runs", "help": "gradient-descent runs on one weight, each with constants b, w_star, "
                                     "c2, c1, c0 (L(w) = c2 w² + c1 w + c0), lr; series w, loss, grad; "
                                     "fact diverged"},
}

DATA = {
    "b": "float",
    "w_star": "float",
    "coef": "float[]",
    "rates": [{"run": "str", "lr": "float", "behaviour": "str", "w": "float[]", "loss": "float[]",
               "grad": "float[]"}],
}


def classify_descent(w, w_star, diverged):
    """What a gradient-descent trajectory did, read from the trajectory itself."""
    if diverged:
        return "diverges"
    sides = [x > w_star for x in w if abs(x - w_star) > 1e-9]
    crossings = sum(a != b for a, b in zip(sides, sides[1:]))
    if crossings >= 3:
        return "oscillates"
    if abs(w[-1] - w_star) > 0.05 * abs(w[0] - w_star):
        return "crawls"
    return "converges"


def export(records, args):
    rates = []
    for name in split_runs(args["runs"]):
        rec = records[name]
        series, const = rec["series"], rec["constants"]
        rates.append({
            "run": name,
            "lr": const["lr"],
            "behaviour": classify_descent(series["w"], const["w_star"], rec["facts"]["diverged"]),
            "w": [sig(v) for v in series["w"]],
            "loss": [sig(v) for v in series["loss"]],
            "grad": [sig(v) for v in series["grad"]],
        })
    const = records[split_runs(args["runs"])[0]]["constants"]
    return {
        "b": sig(const["b"]),
        "w_star": sig(const["w_star"]),
        "coef": [sig(const["c2"], 8), sig(const["c1"], 8), sig(const["c0"], 8)],  # L(w) = c2 w² + c1 w + c0
        "rates": sorted(rates, key=lambda r: r["lr"]),
    }


def describe(data):
    parts = [f"learning rate {r['lr']:g} {r['behaviour']} (w ends at {r['w'][-1]:.3g} after {len(r['w']) - 1} steps)"
             for r in data["rates"]]
    return (f"The loss L(w) with b fixed at {data['b']:.3g} is a parabola with its minimum at w = "
            f"{data['w_star']:.3g}. Gradient descent from the same start: " + "; ".join(parts) + ".")


def figure(data, palette):
    import matplotlib.pyplot as plt
    import numpy as np

    t = palette
    rates = data["rates"]
    fig, axes = plt.subplots(1, len(rates), figsize=(8.0, 3.2), layout="constrained", sharey=True)
    c2, c1, c0 = data["coef"]
    start, w_star = rates[0]["w"][0], data["w_star"]
    span = abs(start - w_star) * 1.6
    lo, hi = w_star - span, w_star + span
    ws = np.linspace(lo, hi, 200)
    for ax, rate in zip(np.atleast_1d(axes), rates):
        ax.plot(ws, c2 * ws * ws + c1 * ws + c0, color=t["truth"], linewidth=1.5)
        # Only the steps inside the view: a diverging run leaves it within a few steps.
        shown = [(w, loss) for w, loss in zip(rate["w"], rate["loss"]) if lo <= w <= hi]
        ax.plot([w for w, _ in shown], [loss for _, loss in shown], color=t["model"], linewidth=1, marker="o",
                markersize=3.5)
        ax.axvline(w_star, color=t["muted"], linestyle=":", linewidth=1)
        ax.set_title(f"lr {rate['lr']:g}: {rate['behaviour']}", fontsize=9)
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, (c2 * lo * lo + c1 * lo + c0) * 1.1)
        ax.set_xlabel("w")
        ax.grid(True, linewidth=0.5)
    np.atleast_1d(axes)[0].set_ylabel("loss L(w)")
    return fig
