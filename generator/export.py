"""Stage 2, export: turn run records into the compact JSON each page widget reads.

A widget embed in a lesson (`::: widget overfit-player run=overfit | caption`) names a
widget type and the runs it shows. For each embed this stage writes, into the cache:
  data.json           schema-versioned, rounded, within a size budget (gzip);
  figure-light.png,   the static figure shown when JavaScript is off (and in print),
  figure-dark.png     drawn by matplotlib in the page's palette;
  alt.txt             a sentence describing the figure, from the data.

Input:  a lesson's widget embeds and its records ({run name: record path}).
Output: {embed id: ExportedWidget}.
"""
from __future__ import annotations

import gzip
import importlib.metadata
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.cache import Cache, file_digest, write_atomic
from generator.errors import BuildError, location
from generator.lessons import Embed, Lesson
from generator.theme import THEMES, palette_fingerprint

# A widget's JSON is fetched before it can draw: keep each one small.
WIDGET_BUDGET_GZIP_BYTES = 64 * 1024


@dataclass(frozen=True)
class WidgetType:
    name: str
    run_args: tuple[str, ...]                          # embed arguments that name runs
    optional_args: dict[str, tuple[str, ...]]          # other arguments -> the values each allows
    export: Callable[[dict[str, dict], dict[str, str]], dict[str, Any]]
    describe: Callable[[dict[str, Any]], str]          # alt text of the static figure
    run_list_args: tuple[str, ...] = ()                # arguments naming several runs: a=r1,r2

    def runs_of(self, args: dict[str, str]) -> list[str]:
        """Every run an embed with these arguments reads, in order, without repeats."""
        names = [args[a] for a in self.run_args if a in args]
        names += [n for a in self.run_list_args if a in args for n in split_runs(args[a])]
        return list(dict.fromkeys(names))


def split_runs(value: str) -> list[str]:
    return [n.strip() for n in value.split(",") if n.strip()]


@dataclass(frozen=True)
class ExportedWidget:
    widget: str
    embed_id: str
    data: Path
    figures: dict[str, Path]   # theme -> png
    alt: str


# --------------------------------------------------------------------------- compact numbers
def rounded(values: list[float], digits: int) -> list[float]:
    return [round(v, digits) + 0.0 for v in values]  # + 0.0 turns -0.0 into 0.0


def delta_encode(values: list[float], step: float) -> list[int]:
    """Quantise to multiples of `step`, store the first value and then differences.

    Smooth curves have small differences, which JSON writes in few digits and gzip
    squeezes further. The page decodes with a running sum.
    """
    ints = [int(round(v / step)) for v in values]
    return [ints[0]] + [b - a for a, b in zip(ints, ints[1:])]


def delta_decode(deltas: list[int], step: float) -> list[float]:
    total, out = 0, []
    for d in deltas:
        total += d
        out.append(total * step)
    return out


def thin(steps: list[int], *columns: list[float], limit: int) -> tuple[list[int], ...]:
    """Keep at most about `limit` evenly spaced rows (always the first and the last)."""
    stride = max(1, math.ceil(len(steps) / limit))
    keep = list(range(0, len(steps), stride))
    if keep[-1] != len(steps) - 1:
        keep.append(len(steps) - 1)
    return tuple([col[i] for i in keep] for col in (steps, *columns))


def log10_rounded(values: list[float], digits: int = 3) -> list[float]:
    return rounded([math.log10(max(v, 1e-12)) for v in values], digits)


def sig(value: float, digits: int = 6) -> float:
    """A float kept to `digits` significant digits (readouts show these exact numbers)."""
    return float(f"{value:.{digits}g}") + 0.0


def shown_points(xs: list[float], ys: list[float], limit: int = 40) -> dict[str, list[float]]:
    """At most `limit` evenly spaced points to draw (a big validation set would only clutter)."""
    stride = max(1, math.ceil(len(xs) / limit))
    return {"x": rounded(xs[::stride], 3), "y": rounded(ys[::stride], 3)}


# --------------------------------------------------------------------------- widgets
def export_overfit_player(records: dict[str, dict], args: dict[str, str]) -> dict[str, Any]:
    rec = records[args["run"]]
    const, series, snaps = rec["constants"], rec["series"], rec["snapshots"]
    step = 0.002
    loss_steps, train_loss, val_loss = thin(series["step"], series["train_loss"], series["val_loss"], limit=600)
    at = {s: i for i, s in enumerate(series["step"])}
    best = min(range(len(series["val_loss"])), key=series["val_loss"].__getitem__)
    return {
        "schema": "overfit-player/1",
        "run": rec["run"],
        "seed": rec["seed"],
        "epochs": series["step"][-1],
        "grid": rounded(const["grid"], 3),
        "truth": rounded(const["truth"], 3),
        "train": {"x": rounded(const["x_train"], 3), "y": rounded(const["y_train"], 3)},
        "val": shown_points(const["x_val"], const["y_val"]),
        "snapshots": {
            "epoch": snaps["step"],
            "step": step,
            "prediction": [delta_encode(p, step) for p in snaps["prediction"]],
            "train_loss": [sig(series["train_loss"][at[s]], 4) for s in snaps["step"]],
            "val_loss": [sig(series["val_loss"][at[s]], 4) for s in snaps["step"]],
        },
        "loss": {"epoch": loss_steps, "log10_train": log10_rounded(train_loss), "log10_val": log10_rounded(val_loss)},
        "best": {"epoch": series["step"][best], "val_loss": sig(series["val_loss"][best], 4)},
    }


def describe_overfit_player(data: dict[str, Any]) -> str:
    final_val = data["snapshots"]["val_loss"][-1]
    return (f"Left: the network's prediction after {data['epochs']} epochs passing through the noisy "
            f"training points. Right: training loss falls throughout, while validation loss is lowest "
            f"({data['best']['val_loss']:.3g}) at epoch {data['best']['epoch']} and ends at {final_val:.3g}.")


def classify_descent(w: list[float], w_star: float, diverged: bool) -> str:
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


def export_loss_landscape(records: dict[str, dict], args: dict[str, str]) -> dict[str, Any]:
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
        "schema": "loss-landscape/1",
        "b": sig(const["b"]),
        "w_star": sig(const["w_star"]),
        "coef": [sig(const["c2"], 8), sig(const["c1"], 8), sig(const["c0"], 8)],  # L(w) = c2 w² + c1 w + c0
        "rates": sorted(rates, key=lambda r: r["lr"]),
    }


def describe_loss_landscape(data: dict[str, Any]) -> str:
    parts = [f"learning rate {r['lr']:g} {r['behaviour']} (w ends at {r['w'][-1]:.3g} after {len(r['w']) - 1} steps)"
             for r in data["rates"]]
    return (f"The loss L(w) with b fixed at {data['b']:.3g} is a parabola with its minimum at w = "
            f"{data['w_star']:.3g}. Gradient descent from the same start: " + "; ".join(parts) + ".")


# The layer playground needs no run: it computes w·x + b and the activation in the page.
LAYER_RANGES = {"x": (-3.0, 3.0, 0.1, 1.0), "w": (-2.0, 2.0, 0.1, 1.5), "b": (-2.0, 2.0, 0.1, -0.5)}
ACTIVATIONS = ("identity", "relu", "sigmoid", "tanh")


def export_layer_playground(records: dict[str, dict], args: dict[str, str]) -> dict[str, Any]:
    sliders = {name: dict(zip(("min", "max", "step", "value"), r)) for name, r in LAYER_RANGES.items()}
    return {"schema": "layer-playground/1", "sliders": sliders, "activations": list(ACTIVATIONS),
            "activation": args.get("activation", "relu"), "z_range": [-8.0, 8.0]}


def describe_layer_playground(data: dict[str, Any]) -> str:
    return ("The four activation functions, identity, ReLU, sigmoid and tanh, plotted for z from "
            f"{data['z_range'][0]:g} to {data['z_range'][1]:g}, with the point z = w·x + b marked for "
            f"x = {data['sliders']['x']['value']:g}, w = {data['sliders']['w']['value']:g}, "
            f"b = {data['sliders']['b']['value']:g}.")


def export_loss_curve_reading(records: dict[str, dict], args: dict[str, str]) -> dict[str, Any]:
    rec = records[args["run"]]
    series = rec["series"]
    epochs, train, val = thin(series["step"], series["train_loss"], series["val_loss"], limit=400)
    best = min(range(len(series["val_loss"])), key=series["val_loss"].__getitem__)
    return {
        "schema": "loss-curve-reading/1",
        "run": rec["run"],
        "epochs": series["step"][-1],
        "epoch": epochs,
        "log10_train": log10_rounded(train, 4),
        "log10_val": log10_rounded(val, 4),
        "best": {"epoch": series["step"][best], "train_loss": sig(series["train_loss"][best], 4),
                 "val_loss": sig(series["val_loss"][best], 4)},
        "final": {"train_loss": sig(series["train_loss"][-1], 4), "val_loss": sig(series["val_loss"][-1], 4)},
    }


def describe_loss_curve_reading(data: dict[str, Any]) -> str:
    return (f"Training loss falls for all {data['epochs']} epochs to {data['final']['train_loss']:.3g}. "
            f"Validation loss is lowest ({data['best']['val_loss']:.3g}) at epoch {data['best']['epoch']}, "
            f"the early-stopping point, and then rises to {data['final']['val_loss']:.3g}.")


PREDICTION_STEP = 0.002
KNOBS = (("early", "early stopping", "patience", "patience"),
         ("decay", "weight decay", "weight_decay", "strength"),
         ("dropout", "dropout", "dropout", "rate"))


def _knob_setting(rec: dict, value: float) -> dict[str, Any]:
    series, snaps, facts = rec["series"], rec["snapshots"], rec["facts"]
    epochs, val = thin(series["step"], series["val_loss"], limit=250)
    return {
        "run": rec["run"],
        "value": value,
        "epoch": delta_encode(epochs, 1),
        "log10_val": log10_rounded(val, 3),
        "prediction": delta_encode(snaps["prediction"][-1], PREDICTION_STEP),
        "final_val": sig(facts["final_val_loss"], 4),
        "weight_norm": sig(facts["weight_norm"], 4),
        "stopped_epoch": facts["stopped_epoch"],
        "best_epoch": facts["best_epoch"],
    }


def export_three_knobs(records: dict[str, dict], args: dict[str, str]) -> dict[str, Any]:
    base = records[args["run"]]
    const, series, snaps = base["constants"], base["series"], base["snapshots"]
    epochs, val = thin(series["step"], series["val_loss"], limit=250)
    knobs = []
    for arg, label, config_key, unit in KNOBS:
        settings = [_knob_setting(records[r], records[r]["config"][config_key]) for r in split_runs(args[arg])]
        knobs.append({"name": label, "unit": unit, "settings": sorted(settings, key=lambda s: s["value"])})
    return {
        "schema": "three-knobs/1",
        "epochs": series["step"][-1],
        "grid": rounded(const["grid"], 3),
        "truth": rounded(const["truth"], 3),
        "train": {"x": rounded(const["x_train"], 3), "y": rounded(const["y_train"], 3)},
        "val": shown_points(const["x_val"], const["y_val"]),
        "prediction_step": PREDICTION_STEP,
        "base": {"run": base["run"], "epoch": delta_encode(epochs, 1), "log10_val": log10_rounded(val, 3),
                 "prediction": delta_encode(snaps["prediction"][-1], PREDICTION_STEP),
                 "final_val": sig(series["val_loss"][-1], 4)},
        "knobs": knobs,
    }


def best_setting(knob: dict[str, Any]) -> dict[str, Any]:
    return min(knob["settings"], key=lambda s: s["final_val"])


def describe_three_knobs(data: dict[str, Any]) -> str:
    parts = [f"{k['name']} ({k['unit']} {best_setting(k)['value']:g}) {best_setting(k)['final_val']:.3g}"
             for k in data["knobs"]]
    return (f"Final validation loss of the unregularised network, {data['base']['final_val']:.3g}, against "
            f"the best setting of each regulariser: " + ", ".join(parts) + ". Each panel shows the "
            "validation curves and the fitted curves over the data.")


WIDGETS: dict[str, WidgetType] = {
    w.name: w
    for w in [
        WidgetType("overfit-player", ("run",), {}, export_overfit_player, describe_overfit_player),
        WidgetType("loss-landscape", (), {}, export_loss_landscape, describe_loss_landscape, ("runs",)),
        WidgetType("layer-playground", (), {"activation": ACTIVATIONS}, export_layer_playground, describe_layer_playground),
        WidgetType("loss-curve-reading", ("run",), {}, export_loss_curve_reading, describe_loss_curve_reading),
        WidgetType("three-knobs", ("run",), {}, export_three_knobs, describe_three_knobs,
                   ("early", "decay", "dropout")),
    ]
}


# --------------------------------------------------------------------------- the stage
def embed_id(embed: Embed) -> str:
    """A readable file-name-safe id, e.g. 'overfit-player--overfit'.

    Embeds naming many runs would make unwieldy file names: past 48 characters the
    arguments are replaced by a short hash of them.
    """
    parts = [embed.name] + [f"{v}" for _, v in sorted(embed.args.items())]
    readable = "--".join("".join(c if c.isalnum() or c in "-_" else "-" for c in p) for p in parts)
    if len(readable) <= 48:
        return readable
    from generator.cache import text_digest

    return f"{embed.name}--{text_digest(json.dumps(embed.args, sort_keys=True))[:8]}"


def check_widget_embed(embed: Embed, lesson: Lesson, run_names: set[str], root: Path) -> WidgetType:
    where = location(lesson.source, embed.line, root)
    widget = WIDGETS.get(embed.name)
    if widget is None:
        raise BuildError(where, f"unknown widget '{embed.name}'", f"known widgets: {', '.join(sorted(WIDGETS))}")
    accepted = widget.run_args + widget.run_list_args + tuple(widget.optional_args)
    for arg, value in embed.args.items():
        if arg not in accepted:
            raise BuildError(where, f"widget '{embed.name}' has no argument '{arg}'",
                             f"it takes: {', '.join(accepted) or 'no arguments'}")
        allowed = widget.optional_args.get(arg)
        if allowed is not None and value not in allowed:
            raise BuildError(where, f"widget '{embed.name}' argument {arg}={value} is not one it knows",
                             f"use one of: {', '.join(allowed)}")
    for arg in widget.run_args + widget.run_list_args:
        if arg not in embed.args or not split_runs(embed.args[arg]):
            form = "RUN" if arg in widget.run_args else "RUN,RUN,..."
            raise BuildError(where, f"widget '{embed.name}' needs {arg}={form}", "name runs from experiments.py")
    for run_name in widget.runs_of(embed.args):
        if run_name not in run_names:
            known = ", ".join(sorted(run_names)) or "none"
            raise BuildError(where, f"widget '{embed.name}' names run '{run_name}', which "
                             f"{lesson.slug}/experiments.py does not declare", f"declared runs: {known}")
    return widget


def export_lesson(lesson: Lesson, records: dict[str, Path], root: Path, cache: Cache, progress,
                  why: list[str] | None = None) -> dict[str, ExportedWidget]:
    """Export every widget embed of one lesson. Returns embed id -> ExportedWidget."""
    embeds = [e for e in lesson.embeds if e.kind == "widget"]
    exported: dict[str, ExportedWidget] = {}
    for i, embed in enumerate(embeds, 1):
        widget = check_widget_embed(embed, lesson, set(records), root)
        eid = embed_id(embed)
        runs = widget.runs_of(embed.args)
        inputs = {f"record:{r}": file_digest(records[r]) for r in runs}
        inputs |= {
            "args": json.dumps(embed.args, sort_keys=True),
            "generator/export.py": file_digest(Path(__file__)),
            "generator/figures.py": file_digest(Path(__file__).with_name("figures.py")),
            "palette": palette_fingerprint(),
            "version:matplotlib": _version("matplotlib"),
        }
        name = f"{lesson.slug}/{eid}"
        entry = cache.lookup("export", name, inputs)
        if entry is None:
            progress.item("export", eid, i, len(embeds))
            if why is not None:
                why.append(f"export/{name}: {cache.why('export', name, inputs)}")
            entry = _export_one(widget, embed, lesson, records, runs, name, inputs, cache, root)
        exported[eid] = ExportedWidget(widget.name, eid, entry.file("data.json"),
                                       {t: entry.file(f"figure-{t}.png") for t in THEMES},
                                       entry.file("alt.txt").read_text())
    return exported


def _export_one(widget, embed, lesson, records, runs, name, inputs, cache, root):
    from generator import figures  # matplotlib: imported only when a figure must be drawn

    loaded = {r: json.loads(records[r].read_text()) for r in runs}
    data = widget.export(loaded, embed.args)
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    size = len(gzip.compress(text.encode(), mtime=0))
    if size > WIDGET_BUDGET_GZIP_BYTES:
        raise BuildError(location(lesson.source, embed.line, root),
                         f"widget '{embed.name}' data is {size // 1024} KB gzipped, over the "
                         f"{WIDGET_BUDGET_GZIP_BYTES // 1024} KB budget", "record fewer snapshots or grid points")
    pending = cache.begin("export", name, inputs)
    try:
        write_atomic(pending.file("data.json"), text)
        for theme in THEMES:
            figures.draw(widget.name, data, theme, pending.file(f"figure-{theme}.png"))
        write_atomic(pending.file("alt.txt"), widget.describe(data))
        return pending.commit()
    except BaseException:
        pending.abandon()
        raise


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"
