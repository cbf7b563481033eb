"""Stage 3, export: turn run records into what each widget embed shows.

A widget embed in a lesson (`::: widget NAME key=value ... | caption`) names a widget
(a folder, see generator/widgets.py) and its arguments. For each embed this stage runs
the widget's own code and writes, into the cache:
  data.json           what export() returned: checked against the widget's DATA, within
                      a size budget (gzip);
  figure-light.png,   the static figure shown when JavaScript is off (and in print):
  figure-dark.png     figure() drawn once per theme with the theme's rcParams applied;
  alt.txt             describe(data), the figure's alt text.
Each embed is cached by its widget folder's files, the generator modules widget.py
imports, the records it reads, its arguments, the palette and matplotlib's version: so
editing one widget re-exports only its embeds.

Input:  a lesson's widget embeds, the widgets it can use, its records ({run: path}).
Output: {embed id: ExportedWidget}.
"""
from __future__ import annotations

import gzip
import importlib.metadata
import json
from dataclasses import dataclass
from pathlib import Path

from generator.cache import Cache, file_digest, text_digest, write_atomic
from generator.errors import BuildError, line_in, location, relative
from generator.lessons import Embed, Lesson
from generator.theme import THEMES, matplotlib_style, palette_fingerprint, tokens
from generator.widgets import Widget, catalogue, check_data, check_embed

# A widget's JSON is fetched before it can draw: keep each one small.
WIDGET_BUDGET_GZIP_BYTES = 64 * 1024
FIGURE_DPI = 100  # figures are drawn at 8 x 3.2 inches or so: 800 px, sharp at 2x in the column
GENERATOR_DIR = Path(__file__).parent


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


def check_lesson_widgets(lesson: Lesson, run_names: set[str], root: Path) -> dict[int, tuple[Widget, dict]]:
    """Every widget embed of a lesson against its widget's ARGS, before any training.
    Returns embed line -> (widget, arguments with defaults filled in)."""
    widgets = catalogue(root, lesson.folder)
    return {e.line: check_embed(e, lesson.source, run_names, widgets, root, lesson.slug)
            for e in lesson.embeds if e.kind == "widget"}


def embed_inputs(widget: Widget, args: dict[str, str], records: dict[str, Path], root: Path) -> dict[str, str]:
    """Exactly what one embed's outputs depend on."""
    inputs = {f"widget:{relative(p, root)}": file_digest(p) for p in widget.files()}
    for module in widget.shared_imports(GENERATOR_DIR):
        inputs[f"generator/{module.name}"] = file_digest(module)
    inputs |= {f"record:{r}": file_digest(records[r]) for r in widget.runs_of(args)}
    inputs |= {
        "args": json.dumps(args, sort_keys=True),
        "palette": palette_fingerprint(),
        # The look the build gives every figure: the theme's rcParams and the resolution.
        "figure-style": text_digest(json.dumps({t: matplotlib_style(t) for t in THEMES}, sort_keys=True,
                                               default=repr) + f"dpi={FIGURE_DPI}"),
        "version:matplotlib": _version("matplotlib"),
    }
    return inputs


def export_lesson(lesson: Lesson, records: dict[str, Path], root: Path, cache: Cache, progress,
                  why: list[str] | None = None) -> dict[str, ExportedWidget]:
    """Export every widget embed of one lesson. Returns embed id -> ExportedWidget."""
    embeds = [e for e in lesson.embeds if e.kind == "widget"]
    checked = check_lesson_widgets(lesson, set(records), root)
    exported: dict[str, ExportedWidget] = {}
    for i, embed in enumerate(embeds, 1):
        widget, args = checked[embed.line]
        eid = embed_id(embed)
        inputs = embed_inputs(widget, args, records, root)
        name = f"{lesson.slug}/{eid}"
        entry = cache.lookup("export", name, inputs)
        if entry is None:
            progress.item("export", eid, i, len(embeds))
            if why is not None:
                why.append(f"export/{name}: {cache.why('export', name, inputs)}")
            where = location(lesson.source, embed.line, root)
            entry = _export_one(widget, args, records, where, cache.begin("export", name, inputs))
        exported[eid] = ExportedWidget(widget, eid, entry.file("data.json"),
                                       {t: entry.file(f"figure-{t}.png") for t in THEMES},
                                       entry.file("alt.txt").read_text())
    return exported


def _export_one(widget: Widget, args: dict[str, str], records: dict[str, Path], where: str, pending):
    try:
        module = widget.module()
        loaded = {r: json.loads(records[r].read_text()) for r in widget.runs_of(args)}
        data = _call(widget, "export", where, module.export, loaded, dict(args))
        check_data(widget, data, where)
        try:
            text = json.dumps(data, separators=(",", ":"), allow_nan=False)
        except ValueError:
            raise BuildError(where, f"widget '{widget.name}' exported a NaN or infinite number",
                             "round or drop non-finite values in export()") from None
        size = len(gzip.compress(text.encode(), mtime=0))
        if size > WIDGET_BUDGET_GZIP_BYTES:
            raise BuildError(where, f"widget '{widget.name}' data is {size // 1024} KB gzipped, over the "
                             f"{WIDGET_BUDGET_GZIP_BYTES // 1024} KB budget", "export fewer snapshots or grid points")
        write_atomic(pending.file("data.json"), text)
        for theme in THEMES:
            draw_figure(widget, module, data, theme, pending.file(f"figure-{theme}.png"), where)
        alt = _call(widget, "describe", where, module.describe, data)
        if not isinstance(alt, str) or not alt.strip():
            raise BuildError(where, f"widget '{widget.name}' describe() gave no text", "return a sentence")
        write_atomic(pending.file("alt.txt"), alt)
        return pending.commit()
    except BaseException:
        pending.abandon()
        raise


def draw_figure(widget: Widget, module, data: dict, theme: str, out: Path, where: str) -> None:
    """The widget's fallback figure in one theme: its rcParams applied, saved, closed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(matplotlib_style(theme)):
        fig = _call(widget, "figure", where, module.figure, data, dict(tokens(theme)))
        try:
            # No timestamps or version strings in the file: two builds give the same bytes.
            fig.savefig(out, dpi=FIGURE_DPI, metadata={"Software": None})
        finally:
            plt.close(fig)


def _call(widget: Widget, function: str, where: str, fn, *args):
    """Run one of the widget's functions; a failure points at its line in widget.py."""
    try:
        return fn(*args)
    except BuildError:
        raise
    except Exception as exc:
        line = line_in(exc, str(widget.source))
        at = f"{widget.source.parent.name}/widget.py" + (f":{line}" if line else "")
        raise BuildError(where, f"widget '{widget.name}' {function}() raised {type(exc).__name__}: {exc} "
                         f"(at {at})", "fix the widget") from None


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"
