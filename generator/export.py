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
    optional_args: tuple[str, ...]                     # other arguments it accepts
    export: Callable[[dict[str, dict], dict[str, str]], dict[str, Any]]
    describe: Callable[[dict[str, Any]], str]          # alt text of the static figure


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
        "val": {"x": rounded(const["x_val"], 3), "y": rounded(const["y_val"], 3)},
        "snapshots": {
            "epoch": snaps["step"],
            "step": step,
            "prediction": [delta_encode(p, step) for p in snaps["prediction"]],
            "train_loss": [float(f"{series['train_loss'][at[s]]:.4g}") for s in snaps["step"]],
            "val_loss": [float(f"{series['val_loss'][at[s]]:.4g}") for s in snaps["step"]],
        },
        "loss": {"epoch": loss_steps, "log10_train": log10_rounded(train_loss), "log10_val": log10_rounded(val_loss)},
        "best": {"epoch": series["step"][best], "val_loss": float(f"{series['val_loss'][best]:.4g}")},
    }


def describe_overfit_player(data: dict[str, Any]) -> str:
    final_val = data["snapshots"]["val_loss"][-1]
    return (f"Left: the network's prediction after {data['epochs']} epochs passing through the noisy "
            f"training points. Right: training loss falls throughout, while validation loss is lowest "
            f"({data['best']['val_loss']:.3g}) at epoch {data['best']['epoch']} and ends at {final_val:.3g}.")


WIDGETS: dict[str, WidgetType] = {
    w.name: w
    for w in [
        WidgetType("overfit-player", ("run",), (), export_overfit_player, describe_overfit_player),
    ]
}


# --------------------------------------------------------------------------- the stage
def embed_id(embed: Embed) -> str:
    """A readable file-name-safe id, e.g. 'overfit-player--overfit'."""
    parts = [embed.name] + [f"{v}" for _, v in sorted(embed.args.items())]
    return "--".join("".join(c if c.isalnum() or c in "-_" else "-" for c in p) for p in parts)


def check_widget_embed(embed: Embed, lesson: Lesson, run_names: set[str], root: Path) -> WidgetType:
    where = location(lesson.source, embed.line, root)
    widget = WIDGETS.get(embed.name)
    if widget is None:
        raise BuildError(where, f"unknown widget '{embed.name}'", f"known widgets: {', '.join(sorted(WIDGETS))}")
    for arg in embed.args:
        if arg not in widget.run_args + widget.optional_args:
            raise BuildError(where, f"widget '{embed.name}' has no argument '{arg}'",
                             f"it takes: {', '.join(widget.run_args + widget.optional_args)}")
    for arg in widget.run_args:
        run_name = embed.args.get(arg)
        if run_name is None:
            raise BuildError(where, f"widget '{embed.name}' needs {arg}=RUN", "name a run from experiments.py")
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
        runs = [embed.args[a] for a in widget.run_args]
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
