"""Small helpers a widget's widget.py may import to turn records into compact JSON.

Shared by every widget, so a widget that imports this module has it in its cache key:
editing it re-exports exactly the widgets that use it. Plain Python, no heavy import.
"""
from __future__ import annotations

import math
from typing import Any


def rounded(values: list[float], digits: int) -> list[float]:
    """Floats rounded to `digits` decimals (-0.0 written as 0.0); nested lists keep their shape."""
    return [rounded(v, digits) if isinstance(v, list) else round(v, digits) + 0.0 for v in values]


def sig(value: float, digits: int = 6) -> float:
    """A float kept to `digits` significant digits (readouts show these exact numbers)."""
    return float(f"{value:.{digits}g}") + 0.0


def thin_log(steps: list[int], *columns: list[Any], per_decade: int) -> tuple[list[Any], ...]:
    """Rows spread evenly on a log(step + 1) axis: every step early on, then at most
    `per_decade` per decade, always with the last. For charts with a log epoch axis."""
    keep, last_x = [], -math.inf
    for i, step in enumerate(steps):
        x = math.log10(step + 1)
        if x - last_x >= 1 / per_decade or i == len(steps) - 1:
            keep.append(i)
            last_x = x
    return tuple([col[i] for i in keep] for col in (steps, *columns))


def log10_rounded(values: list[float], digits: int = 3) -> list[float]:
    return rounded([math.log10(max(v, 1e-12)) for v in values], digits)


def shown_points(xs: list[float], ys: list[float], limit: int = 40) -> dict[str, list[float]]:
    """At most `limit` evenly spaced points to draw (a big validation set would only clutter)."""
    stride = max(1, math.ceil(len(xs) / limit))
    return {"x": rounded(xs[::stride], 3), "y": rounded(ys[::stride], 3)}


def split_runs(value: str) -> list[str]:
    """The run names of a "runs" argument: 'a,b,c' -> ['a', 'b', 'c']."""
    return [n.strip() for n in value.split(",") if n.strip()]


def argmin(values: list[float]) -> int:
    return min(range(len(values)), key=values.__getitem__)


def rises(values: list[float]) -> int:
    """How many steps go up: values[i] > values[i - 1]."""
    return sum(b > a for a, b in zip(values, values[1:]))


def log_epoch_axis(ax, last_epoch: int) -> None:
    """A matplotlib x axis on log10(epoch + 1), ticked at epochs 0, 1, 10, 100, ..., the
    same scale the widgets' canvases use, so epoch 0 has a place and the early epochs,
    where the lesson's story happens, get most of the width."""
    import numpy as np

    ax.set_xscale("function", functions=(lambda e: np.log10(np.maximum(e, 0) + 1), lambda x: 10 ** x - 1))
    ticks = [0] + [10 ** p for p in range(0, 7) if 10 ** p <= last_epoch]
    ax.set_xticks(ticks, [f"{t:,}" for t in ticks])
    ax.set_xlim(0, last_epoch)
    ax.set_xlabel("epoch (log scale)")


def plain_log_y(ax) -> None:
    """A log y axis labelled with plain numbers (0.2, 0.03) rather than powers of ten."""
    from matplotlib.ticker import FuncFormatter

    ax.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
