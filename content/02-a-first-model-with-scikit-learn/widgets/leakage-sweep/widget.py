"""Leaky against honest cross-validated accuracy on pure noise; the reader steps through the number of noise columns."""
from __future__ import annotations

from matplotlib.figure import Figure

ARGS = {
    "run": {"type": "run", "help": "the leakage run: one row per seed and number of noise columns"},
}

DATA = {
    "samples": "int",
    "keep": "int",
    "chance": "float",
    "shown_seed": "int",
    "features": "int[]",
    "seeds": [{"seed": "int", "leaky": "float[]", "honest": "float[]"}],
}


def export(records: dict[str, dict], args: dict[str, str]) -> dict:
    rec = records[args["run"]]
    series, facts = rec["series"], rec["facts"]
    features = list(rec["config"]["features"])
    seeds = []
    for seed in rec["config"]["seeds"]:
        rows = [i for i, s in enumerate(series["seed"]) if s == seed]
        by_count = {int(series["features"][i]): i for i in rows}
        seeds.append({"seed": int(seed),
                      "leaky": [round(series["leaky"][by_count[n]], 4) for n in features],
                      "honest": [round(series["honest"][by_count[n]], 4) for n in features]})
    return {"samples": int(facts["samples"]), "keep": int(facts["keep"]), "chance": float(facts["chance"]),
            "shown_seed": int(rec["seed"]), "features": [int(n) for n in features], "seeds": seeds}


def shown(data: dict) -> dict:
    return next(s for s in data["seeds"] if s["seed"] == data["shown_seed"])


def describe(data: dict) -> str:
    first, last = data["features"][0], data["features"][-1]
    leaky = [v for s in data["seeds"] for v in (s["leaky"][-1],)]
    honest = [v for s in data["seeds"] for v in (s["honest"][-1],)]
    return (f"Cross-validated accuracy on {data['samples']} samples of pure noise with random labels, against "
            f"the number of noise columns from {first:,} to {last:,}, when the {data['keep']} best columns are "
            f"chosen on all rows (leaky) or inside the pipeline (honest), for {len(data['seeds'])} seeds. "
            f"At {last:,} columns the leaky accuracy is {min(leaky):.2f} to {max(leaky):.2f} and the honest one "
            f"{min(honest):.2f} to {max(honest):.2f}; chance is {data['chance']:.2f}.")


def figure(data: dict, palette: dict[str, str]) -> Figure:
    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    ax = fig.subplots()
    x = data["features"]
    ax.axhspan(data["chance"] - 0.1, data["chance"] + 0.1, color=palette["grid"], zorder=0)
    ax.axhline(data["chance"], color=palette["muted"], linestyle=":", linewidth=1)
    ax.text(x[0], data["chance"] - 0.1 + 0.01, "chance ± 0.1", color=palette["muted"], ha="left", va="bottom",
            fontsize=9)
    for s in data["seeds"]:
        if s["seed"] != data["shown_seed"]:
            ax.plot(x, s["leaky"], color=palette["validation"], alpha=0.35, linewidth=1)
            ax.plot(x, s["honest"], color=palette["train"], alpha=0.35, linewidth=1)
    main = shown(data)
    ax.plot(x, main["leaky"], color=palette["validation"], linewidth=2.2, marker="o", markersize=4,
            label="chosen on all rows, then cross-validated (leaky)")
    ax.plot(x, main["honest"], color=palette["train"], linewidth=2.2, marker="o", markersize=4,
            label="chosen inside the pipeline (honest)")
    ax.set_xscale("log")
    ax.set_xticks(x, [f"{n:,}" for n in x])
    ax.minorticks_off()
    ax.set_ylim(0.3, 1.0)
    ax.set_xlabel(f"noise columns to choose {data['keep']} from")
    ax.set_ylabel("cross-validated accuracy")
    ax.grid(True, linewidth=0.5)
    ax.legend(fontsize=8, loc="upper left")
    return fig
