"""Fold scores on random subsets of a few dozen to a few hundred tumours: pick a size, see the folds scatter."""
from __future__ import annotations

import statistics

from matplotlib.figure import Figure

ARGS = {
    "run": {"type": "run", "help": "the cv_spread run: fold scores of every subset, per size"},
}

DATA = {
    "folds": "int",
    "repeats": "int",
    "sizes": "int[]",
    "fold_scores": "float[][]",
    "spread": "float[]",
}


def export(records: dict[str, dict], args: dict[str, str]) -> dict:
    rec = records[args["run"]]
    snaps, f = rec["snapshots"], rec["facts"]
    return {"folds": int(f["folds"]), "repeats": int(f["repeats"]), "sizes": [int(s) for s in snaps["step"]],
            "fold_scores": [[round(v, 4) for v in scores] for scores in snaps["fold_scores"]],
            "spread": [round(statistics.fmean(spreads), 4) for spreads in snaps["repeat_spread"]]}


def describe(data: dict) -> str:
    s = data["sizes"]
    return (f"{data['folds']}-fold cross-validated accuracies of {data['repeats']} random subsets for each size "
            f"from {s[0]} to {s[-1]} tumours. The average standard deviation of the fold scores falls from "
            f"{data['spread'][0]:.3f} at {s[0]} tumours to {data['spread'][-1]:.3f} at {s[-1]}.")


def figure(data: dict, palette: dict[str, str]) -> Figure:
    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    ax = fig.subplots()
    positions = list(range(len(data["sizes"])))
    for i, scores in zip(positions, data["fold_scores"]):
        n = len(scores)
        offsets = [((k % 20) - 9.5) / 40 for k in range(n)]   # spread the dots sideways, deterministically
        ax.scatter([i + o for o in offsets], scores, s=8, color=palette["train"], alpha=0.45)
        mean = statistics.fmean(scores)
        ax.errorbar(i, mean, yerr=data["spread"][i], color=palette["highlight"], capsize=6, linewidth=2,
                    marker="o", markersize=5)
    ax.set_xticks(positions, [f"{n} tumours" for n in data["sizes"]])
    ax.set_ylabel("fold accuracy")
    ax.set_ylim(top=1.03)
    ax.grid(True, axis="y", linewidth=0.5)
    ax.set_title("dots: every fold score; bars: mean ± the average spread of the folds", fontsize=9)
    return fig
