"""Training and validation error of a regression tree against its depth; the reader moves a marker along the depth."""
from __future__ import annotations

from matplotlib.figure import Figure

ARGS = {
    "run": {"type": "run", "help": "the depth-curve run: one row per seed and depth, fold scores per depth"},
    "depth": {"type": "number", "default": 0, "help": "the depth marked first (0: the best depth)"},
}

DATA = {
    "seed": "int",
    "depths": "int[]",
    "train_mse": "float[]",
    "val_mse": "float[]",
    "val_folds": "float[][]",
    "baseline_mse": "float",
    "best_depth": "int",
    "start_depth": "int",
}


def export(records: dict[str, dict], args: dict[str, str]) -> dict:
    rec = records[args["run"]]
    series, snaps, seed = rec["series"], rec["snapshots"], rec["seed"]
    rows = [i for i, s in enumerate(series["seed"]) if s == seed]
    depths = [int(series["depth"][i]) for i in rows]
    val = [series["val_mse"][i] for i in rows]
    best = depths[min(range(len(val)), key=val.__getitem__)]
    wanted = int(float(args.get("depth", 0) or 0))
    folds_at = dict(zip(snaps["step"], snaps["val_folds"]))
    return {
        "seed": int(seed),
        "depths": depths,
        "train_mse": [round(series["train_mse"][i], 1) for i in rows],
        "val_mse": [round(v, 1) for v in val],
        "val_folds": [[round(v, 1) for v in folds_at[d]] for d in depths],
        "baseline_mse": round(series["baseline_mse"][rows[0]], 1),
        "best_depth": best,
        "start_depth": wanted if wanted in depths else best,
    }


def describe(data: dict) -> str:
    i = data["depths"].index(data["best_depth"])
    return (f"Cross-validated mean squared error of a regression tree on the diabetes data for depths "
            f"{data['depths'][0]} to {data['depths'][-1]}. The training error falls from "
            f"{data['train_mse'][0]:,.0f} to {data['train_mse'][-1]:,.0f}; the validation error is lowest at depth "
            f"{data['best_depth']} ({data['val_mse'][i]:,.0f}) and reaches {data['val_mse'][-1]:,.0f} at depth "
            f"{data['depths'][-1]}, against {data['baseline_mse']:,.0f} for always predicting the mean.")


def figure(data: dict, palette: dict[str, str]) -> Figure:
    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    ax = fig.subplots()
    d = data["depths"]
    for depth, folds in zip(d, data["val_folds"]):
        ax.scatter([depth] * len(folds), folds, s=10, color=palette["validation"], alpha=0.35, zorder=2)
    ax.plot(d, data["train_mse"], color=palette["train"], linewidth=2, marker="o", markersize=4, label="training")
    ax.plot(d, data["val_mse"], color=palette["validation"], linewidth=2, marker="o", markersize=4,
            label="validation (mean of the folds; dots: each fold)")
    ax.axhline(data["baseline_mse"], color=palette["muted"], linestyle="--", linewidth=1)
    ax.text(d[0], data["baseline_mse"], " always predict the mean", color=palette["muted"], va="bottom", fontsize=9)
    best = data["best_depth"]
    ax.axvline(best, color=palette["highlight"], linestyle=":", linewidth=1.4)
    ax.text(best, ax.get_ylim()[1] * 0.02, f" best depth {best}", color=palette["highlight"], fontsize=9)
    ax.set_xticks(d)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("tree depth (max_depth)")
    ax.set_ylabel("mean squared error")
    ax.grid(True, linewidth=0.5)
    ax.legend(fontsize=8, loc="center right")
    return fig
