"""Gradient descent on raw against standardised columns: how the excess loss falls, step by step, on a log scale."""
from __future__ import annotations

import math

from matplotlib.figure import Figure

ARGS = {
    "run": {"type": "run", "help": "the scaling run: excess loss at log-spaced steps, raw and standardised"},
}

DATA = {
    "tolerance": "float",
    "raw": {"step": "int[]", "excess": "float[]", "steps_to_tolerance": "int", "condition": "float"},
    "scaled": {"step": "int[]", "excess": "float[]", "steps_to_tolerance": "int", "condition": "float"},
}


def _sig(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits}g}") + 0.0


def export(records: dict[str, dict], args: dict[str, str]) -> dict:
    rec = records[args["run"]]
    c, f = rec["constants"], rec["facts"]

    def side(name: str) -> dict:
        return {"step": [int(s) for s in c[f"{name}_step"]], "excess": [_sig(v) for v in c[f"{name}_excess"]],
                "steps_to_tolerance": int(f[f"{name}_steps"]), "condition": _sig(f[f"{name}_condition"])}

    return {"tolerance": f["tolerance_percent"] / 100, "raw": side("raw"), "scaled": side("scaled")}


def describe(data: dict) -> str:
    raw, scaled = data["raw"], data["scaled"]
    return (f"The loss of gradient descent, as its excess over the best loss, against the step, both on log "
            f"scales. On standardised columns (condition number {scaled['condition']:.1f}) the loss is within "
            f"{data['tolerance']:.0%} of the best after {scaled['steps_to_tolerance']:,} steps; on raw columns "
            f"(condition number {raw['condition']:,.0f}) after {raw['steps_to_tolerance']:,} steps.")


def figure(data: dict, palette: dict[str, str]) -> Figure:
    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    ax = fig.subplots()
    for name, colour, label in (("raw", "validation", "raw columns"), ("scaled", "train", "standardised columns")):
        side = data[name]
        ax.plot([s + 1 for s in side["step"]], side["excess"], color=palette[colour], linewidth=2,
                marker="o" if len(side["step"]) < 20 else None, markersize=4,
                label=f"{label}: {side['steps_to_tolerance']:,} steps")
        ax.axvline(side["steps_to_tolerance"] + 1, color=palette[colour], linestyle=":", linewidth=1)
    ax.axhline(data["tolerance"], color=palette["muted"], linestyle="--", linewidth=1)
    ax.text(data["raw"]["steps_to_tolerance"] / 2, data["tolerance"] * 1.15,
            f"within {data['tolerance']:.0%} of the best loss", color=palette["muted"], ha="right", va="bottom",
            fontsize=9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    every = data["raw"]["excess"] + data["scaled"]["excess"]
    ax.set_ylim(min(every) / 2, 10 ** math.ceil(math.log10(max(every))))
    ax.set_xlabel("step + 1")
    ax.set_ylabel("loss / best loss − 1")
    ax.grid(True, linewidth=0.5)
    ax.legend(fontsize=8, loc="upper right")
    return fig
