"""Stage 3, export: turn run records into what each widget embed shows.

A widget embed in a lesson (`::: widget NAME key=value ... | caption`) names a widget
(a folder, see generator/widgets.py) and its arguments. For each embed this stage runs
the widget's own code and writes, into the cache:
  data.json           what export() returned: checked against the widget's DATA, within
                      a size budget (gzip);
  figure-light.png,   the static figure shown when JavaScript is off (and in print):
  figure-dark.png     figure() drawn once per theme with the theme's rcParams applied;
  alt.txt             describe(data), the figure's alt text.
Each embed is cached by its widget folder's files (Python by syntax tree), the
generator modules widget.py imports (generator/widget_api.py), the records it reads, its
arguments, the palette, matplotlib's version and EXPORT_VERSION: so editing one widget
re-exports only its embeds, and refactoring this module re-exports nothing.

Input:  the plan's export jobs of one lesson (embed, widget, checked arguments), its records ({run: path}).
Output: {embed id: ExportedWidget}.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from generator.cache import file_digest, text_digest, write_atomic
from generator.errors import BuildError, line_in, location, relative
from generator.lessons import Embed, Lesson
from generator.sources import installed_version, tree_digest
from generator.theme import THEMES, matplotlib_style, palette_fingerprint, tokens
from generator.widgets import Widget, catalogue, check_data, check_embed, read_widget
from generator.workers import ProcessExit, TimedOut, time_limit

# A widget's JSON is fetched before it can draw: keep each one small.
WIDGET_BUDGET_GZIP_BYTES = 64 * 1024
FIGURE_DPI = 100  # figures are drawn at 8 x 3.2 inches or so: 800 px, sharp at 2x in the column
# Bump when a change to this module changes what an export writes (data.json, figures,
# alt text): every embed is then exported again once.
EXPORT_VERSION = 2
GENERATOR_DIR = Path(__file__).parent
# Seconds one embed's export, figures and description may take.
EXPORT_TIMEOUT = 600.0


@dataclass(frozen=True)
class ExportedWidget:
    widget: Widget
    embed_id: str
    data_file: Path            # the exported JSON (Widget.data is the DATA spec it conforms to)
    figures: dict[str, Path]   # theme -> png
    alt: str


# --------------------------------------------------------------------------- the stage
def embed_id(embed: Embed) -> str:
    """A readable file-name-safe id: the widget's name and its argument values.

    Embeds naming many runs would make unwieldy file names: past 48 characters the
    arguments are replaced by a short hash of them.
    """
    parts = [embed.name] + [f"{v}" for _, v in sorted(embed.args.items())]
    readable = "--".join("".join(c if c.isalnum() or c in "-_" else "-" for c in p) for p in parts)
    if len(readable) <= 48:
        return readable
    return f"{embed.name}--{text_digest(json.dumps(embed.args, sort_keys=True))[:8]}"


def check_lesson_widgets(lesson: Lesson, run_names: set[str], root: Path,
                         builtins: dict[str, Widget] | None = None) -> dict[int, tuple[Widget, dict]]:
    """Every widget embed of a lesson against its widget's ARGS, before any training.
    Returns embed line -> (widget, arguments with defaults filled in)."""
    widgets = catalogue(root, lesson.folder, builtins)
    return {e.line: check_embed(e, lesson.source, run_names, widgets, root, lesson.slug)
            for e in lesson.embeds if e.kind == "widget"}


def embed_inputs(widget: Widget, args: dict[str, str], records: dict[str, Path], root: Path) -> dict[str, str]:
    """Exactly what one embed's outputs depend on."""
    inputs = {f"widget:{relative(p, root)}": tree_digest(p) if p.suffix == ".py" else file_digest(p)
              for p in widget.files()}
    for module in widget.shared_imports(GENERATOR_DIR):
        inputs[f"generator/{module.name}"] = tree_digest(module)
    inputs |= {f"record:{r}": file_digest(records[r]) for r in widget.runs_of(args)}
    inputs |= {
        "args": json.dumps(args, sort_keys=True),
        "palette": palette_fingerprint(),
        # The look the build gives every figure: the theme's rcParams and the resolution.
        "figure-style": text_digest(json.dumps({t: matplotlib_style(t) for t in THEMES}, sort_keys=True,
                                               default=repr) + f"dpi={FIGURE_DPI}"),
        "version:matplotlib": _version("matplotlib"),
        "export-version": str(EXPORT_VERSION),
        "narrow-figure": f"{NARROW_WIDTH_IN}x{NARROW_PANEL_HEIGHT_IN}",
    }
    return inputs


def look_up(job, records: dict[str, Path], ctx):
    """(cache name, inputs, fresh entry or None) of one embed (a plan.ExportJob); a stale
    one is noted for --why."""
    name = f"{job.lesson.slug}/{embed_id(job.embed)}"
    inputs = embed_inputs(job.widget, job.args, records, ctx.root)
    entry = ctx.cache.lookup("export", name, inputs)
    if entry is None:
        prefix = f"record:{job.lesson.slug}/"  # an embed's inputs name its lesson's runs without the lesson
        notes = {"record:" + k[len(prefix):]: v for k, v in ctx.record_notes.items() if k.startswith(prefix)}
        ctx.rebuilt.append(f"export/{name}: {ctx.cache.why('export', name, inputs, notes)}")
    return name, inputs, entry


def where_of(job, root: Path) -> str:
    """The embed's line in its lesson, which every error about it names."""
    return location(job.lesson.source, job.embed.line, root)


def exported_widget(job, entry) -> ExportedWidget:
    return ExportedWidget(job.widget, embed_id(job.embed), entry.file("data.json"),
                          {name: entry.file(f"figure-{name}.png") for name in figure_names()},
                          entry.file("alt.txt").read_text())


def export_in_worker(folder: str, lesson: str | None, root: str, args: dict[str, str], records: dict[str, Path],
                      where: str, out: str) -> None:
    """Runs in a worker process: the widget's export(), figure() and describe(), within a time limit."""
    widget = read_widget(Path(folder), Path(root), lesson)
    try:
        with time_limit(EXPORT_TIMEOUT):
            _write_export(widget, args, records, where, Path(out))
    except TimedOut:
        raise BuildError(where, f"widget '{widget.name}' did not export within {EXPORT_TIMEOUT:g} s",
                         "export less data, or compute it in a run") from None


def _write_export(widget: Widget, args: dict[str, str], records: dict[str, Path], where: str, folder: Path) -> None:
    """Write data.json, both figures and alt.txt into `folder`."""
    module = widget.module()
    loaded = {r: json.loads(records[r].read_text()) for r in widget.runs_of(args)}
    data = _call(widget, "export", where, module.export, loaded, dict(args))
    check_data(widget, data, where)
    try:
        text = json.dumps(pack(data, widget.data), separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise BuildError(where, f"widget '{widget.name}' exported a NaN or infinite number",
                         "round or drop non-finite values in export()") from None
    size = len(gzip.compress(text.encode(), mtime=0))
    if size > WIDGET_BUDGET_GZIP_BYTES:
        raise BuildError(where, f"widget '{widget.name}' data is {size // 1024} KB gzipped, over the "
                         f"{WIDGET_BUDGET_GZIP_BYTES // 1024} KB budget", "export fewer snapshots or grid points")
    write_atomic(folder / "data.json", text)
    for theme in THEMES:
        draw_figure(widget, module, data, theme, folder / f"figure-{theme}.png", where)
        draw_figure(widget, module, data, theme, folder / f"figure-{theme}-narrow.png", where, narrow=True)
    alt = _call(widget, "describe", where, module.describe, data)
    if not isinstance(alt, str) or not alt.strip():
        raise BuildError(where, f"widget '{widget.name}' describe() gave no text", "return a sentence")
    write_atomic(folder / "alt.txt", alt)


# ------------------------------------------------------------------ compact number tables
# A long float array (DATA "float[]" or "float[][]") is written as the differences between
# neighbouring values, as integers in units of its last decimal: a curve sampled densely
# changes little from one point to the next, so the integers are short and repeat, and
# gzip keeps a quarter of the bytes it keeps of the decimals. Lossless: static/js/mount.js
# (and `unpack` below) give back exactly the numbers export() returned.
PACK_MIN_VALUES = 1000  # shorter arrays are left readable
PACK_MAX_DECIMALS = 6


def pack(data, spec):
    """`data` with each long float array of the DATA `spec` replaced by its packed form."""
    if isinstance(spec, dict) and isinstance(data, dict):
        return {key: pack(value, spec.get(key)) for key, value in data.items()}
    if isinstance(spec, list) and isinstance(data, list):
        return [pack(value, spec[0]) for value in data]
    if spec in ("float[]", "float[][]") and isinstance(data, list):
        return _packed(data) or data
    return data


def _packed(values: list) -> dict | None:
    rows = None
    if values and all(isinstance(row, list) for row in values):
        if len({len(row) for row in values}) != 1:
            return None  # ragged rows stay as they are
        rows, values = len(values), [v for row in values for v in row]
    if len(values) < PACK_MIN_VALUES or not all(isinstance(v, (int, float)) for v in values):
        return None
    for decimals in range(PACK_MAX_DECIMALS + 1):
        scale = 10 ** decimals
        units = [round(v * scale) for v in values]
        if all(u / scale == v for u, v in zip(units, values)):
            break
    else:
        return None  # unrounded floats: nothing to gain, written as they are
    deltas = [units[0]] + [b - a for a, b in zip(units, units[1:])]
    packed = {"$delta": deltas, "scale": scale, **({"rows": rows} if rows is not None else {})}
    # Noise, or rows of a few unrelated columns, can come out no smaller: then it stays readable.
    sizes = [len(gzip.compress(json.dumps(v, separators=(",", ":")).encode(), mtime=0)) for v in (packed, values)]
    return packed if sizes[0] < sizes[1] else None


def unpack(data):
    """The numbers export() returned, from a published data file (for tests and tools)."""
    if isinstance(data, dict) and "$delta" in data:
        values, total = [], 0
        for step in data["$delta"]:
            total += step
            values.append(total / data["scale"])
        if "rows" not in data:
            return values
        width = len(values) // data["rows"]
        return [values[i:i + width] for i in range(0, len(values), width)]
    if isinstance(data, dict):
        return {key: unpack(value) for key, value in data.items()}
    if isinstance(data, list):
        return [unpack(value) for value in data]
    return data


def figure_names() -> list[str]:
    """The fallback figures of an embed: each theme, wide and narrow (see stack_for_phone)."""
    return [*THEMES, *(f"{t}-narrow" for t in THEMES)]


def draw_figure(widget: Widget, module, data: dict, theme: str, out: Path, where: str, narrow: bool = False) -> None:
    """The widget's fallback figure in one theme: its rcParams applied, saved, closed.
    `narrow`: the phone version, its panels stacked (stack_for_phone)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(matplotlib_style(theme)):
        fig = _call(widget, "figure", where, module.figure, data, dict(tokens(theme)))
        try:
            if narrow:
                stack_for_phone(fig)
            # No timestamps or version strings in the file: two builds give the same bytes.
            fig.savefig(out, dpi=FIGURE_DPI * (2 if narrow else 1), metadata={"Software": None})
        finally:
            plt.close(fig)


# A phone shows a figure about 360 CSS px wide: drawn NARROW_WIDTH_IN wide, a 10-pt label is
# still about 12 px there, where the wide figure's would shrink to 4 px.
NARROW_WIDTH_IN = 4.0
NARROW_PANEL_HEIGHT_IN = 3.0


def stack_for_phone(fig) -> None:
    """Rearrange a widget's figure for a narrow screen: each panel (axes on the figure's grid)
    one under another, at a phone's width. A figure of one panel only gets the narrow size."""
    panels = [ax for ax in fig.axes if ax.get_subplotspec() is not None]
    if len(panels) > 1:
        grid = fig.add_gridspec(len(panels), 1)
        for row, ax in enumerate(panels):
            ax.set_subplotspec(grid[row, 0])
            if len(ax.get_shared_y_axes().get_siblings(ax)) > 1:
                ax.tick_params(axis="y", labelleft=True)  # shared y labels were on the first column only
    title = 0.4 if getattr(fig, "_suptitle", None) is not None else 0.0
    fig.set_size_inches(NARROW_WIDTH_IN, NARROW_PANEL_HEIGHT_IN * max(1, len(panels)) + title)


def _call(widget: Widget, function: str, where: str, fn, *args):
    """Run one of the widget's functions; a failure points at its line in widget.py."""
    try:
        return fn(*args)
    except BuildError:
        raise
    except SystemExit as exc:  # sys.exit() or os._exit() in a widget must not end the build
        line = line_in(exc, str(widget.source))
        at = f"{widget.source.parent.name}/widget.py" + (f":{line}" if line else "")
        call = "os._exit" if isinstance(exc, ProcessExit) else "sys.exit"
        raise BuildError(where, f"widget '{widget.name}' {function}() called {call}({exc.code!r}) (at {at})",
                         "return instead; a widget cannot end the build") from None
    except Exception as exc:
        line = line_in(exc, str(widget.source))
        at = f"{widget.source.parent.name}/widget.py" + (f":{line}" if line else "")
        raise BuildError(where, f"widget '{widget.name}' {function}() raised {type(exc).__name__}: {exc} "
                         f"(at {at})", "fix the widget") from None


def _version(package: str) -> str:
    return installed_version(package)
