"""Widgets as units: find them, read what each declares, check embeds and data against it.

A widget is one folder (see docs and the widget contract):
    widget.py    ARGS, DATA, export(records, args), describe(data), figure(data, palette)
    widget.js    the in-page part, an ES module mounted by templates/static/js/mount.js
    widget.css   optional styles, linked only on pages that use the widget
Built-in widgets live in templates/widgets/<name>/; a lesson's own in
content/NN-slug/widgets/<name>/, which for that lesson wins over a built-in of the same
name. Nothing registers a widget: its folder is enough.

ARGS and DATA are read from the file as literals (with `ast`), so checking every embed
before training, and listing the catalogue, imports no widget code (and no matplotlib).
The module itself is imported only when an embed must be exported.
"""
from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from generator.declarations import imported_names, read_declarations
from generator.errors import BuildError, did_you_mean, line_in, location
from generator.safety import FOLDER_NAME
from generator.widget_api import split_runs

ARG_TYPES = {
    "run": "one run name declared by the lesson's experiments.py",
    "runs": "comma-separated run names",
    "choice": "one of the argument's choices",
    "number": "a number",
    "text": "a string",
}
SCALAR_TYPES = ("int", "float", "str", "bool")
FUNCTIONS = ("export", "describe", "figure")


@dataclass(frozen=True)
class Widget:
    name: str                    # the folder's name, used in `::: widget NAME`
    folder: Path
    doc: str                     # the first line of widget.py's docstring
    args: dict[str, dict[str, Any]]
    data: dict[str, Any]         # the DATA spec: the fields of the JSON export() returns
    lesson: str | None = None    # the lesson slug for a lesson-local widget
    reads: str = ""              # the docstring's "Reads:" paragraph: record fields it reads
    _module: list[ModuleType] = field(default_factory=list, compare=False, repr=False)

    @property
    def source(self) -> Path:
        return self.folder / "widget.py"

    @property
    def js(self) -> Path:
        return self.folder / "widget.js"

    @property
    def css(self) -> Path | None:
        css = self.folder / "widget.css"
        return css if css.is_file() else None

    def files(self) -> list[Path]:
        """Every file of the folder (what the widget's cache key covers)."""
        return sorted(p for p in self.folder.rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith("."))

    def runs_of(self, args: dict[str, str]) -> list[str]:
        """Every run an embed with these (checked) arguments reads, in order, once each."""
        names: list[str] = []
        for arg, spec in self.args.items():
            if arg in args and spec["type"] == "run":
                names.append(args[arg])
            elif arg in args and spec["type"] == "runs":
                names += split_runs(args[arg])
        return list(dict.fromkeys(names))

    def module(self) -> ModuleType:
        """widget.py, imported (once per process)."""
        if not self._module:
            self._module.append(_import(self))
        return self._module[0]

    def shared_imports(self, generator_dir: Path) -> list[Path]:
        """The generator modules widget.py imports, directly or through each other."""
        found: list[Path] = []
        todo = [self.source]
        while todo:
            for name in imported_names(todo.pop()):
                parts = name.split(".")
                if parts[0] != "generator" or len(parts) < 2:
                    continue
                path = generator_dir / f"{parts[1]}.py"
                if path.is_file() and path not in found:
                    found.append(path)
                    todo.append(path)
        return sorted(found)


def builtin_folder(root: Path) -> Path:
    return root / "templates" / "widgets"


def catalogue(root: Path, lesson_folder: Path | None = None,
              builtins: dict[str, Widget] | None = None) -> dict[str, Widget]:
    """Every widget a lesson can embed, by name: the built-ins, then the lesson's own
    (which replace a built-in of the same name). Without a lesson: the built-ins only.
    `builtins`, the built-ins read already, spares reading them again for every lesson."""
    widgets = dict(builtins) if builtins is not None else {w.name: w for w in _widgets_in(builtin_folder(root), root, None)}
    if lesson_folder is not None:
        widgets |= {w.name: w for w in _widgets_in(lesson_folder / "widgets", root, lesson_folder.name)}
    return dict(sorted(widgets.items()))


def _widgets_in(folder: Path, root: Path, lesson: str | None) -> list[Widget]:
    if not folder.is_dir():
        return []
    return [read_widget(sub, root, lesson) for sub in sorted(folder.iterdir())
            if sub.is_dir() and not sub.name.startswith((".", "_"))]


def read_widget(folder: Path, root: Path, lesson: str | None = None) -> Widget:
    """A widget folder's declarations, checked, without importing its code."""
    source = folder / "widget.py"
    if not FOLDER_NAME.fullmatch(folder.name):  # it names files, a URL and ids on the page
        raise BuildError(location(folder, None, root), f"widget folder name {folder.name[:80]!r} is not a plain name",
                         "rename it with letters, digits, '-' and '_' (at most 64 characters)")
    for required in ("widget.py", "widget.js"):
        if not (folder / required).is_file():
            raise BuildError(location(folder / required, None, root), f"widget '{folder.name}' has no {required}",
                             "every widget folder needs widget.py and widget.js")
    tree, values, functions = read_declarations(source, ("ARGS", "DATA"), f"widget '{folder.name}'", root,
                                             "write it out as a dict of strings, lists and numbers")
    for name in ("ARGS", "DATA"):
        if name not in values:
            raise BuildError(location(source, None, root), f"widget '{folder.name}' does not declare {name}",
                             f"add {name} = {{...}} at module level (see the widget contract)")
    missing = [f for f in FUNCTIONS if f not in functions]
    if missing:
        raise BuildError(location(source, None, root), f"widget '{folder.name}' does not define {', '.join(missing)}",
                         "define export(records, args), describe(data) and figure(data, palette)")
    args, args_line = values["ARGS"]
    data, data_line = values["DATA"]
    _check_args_spec(args, folder.name, location(source, args_line, root))
    _check_data_spec(data, folder.name, location(source, data_line, root), "DATA")
    docstring = (ast.get_docstring(tree) or "").strip()
    return Widget(folder.name, folder, docstring.split("\n")[0], args, data, lesson, reads=_reads(docstring))


def _reads(docstring: str) -> str:
    """The paragraph of a docstring that starts 'Reads:', joined into one line."""
    for paragraph in docstring.split("\n\n"):
        if paragraph.strip().startswith("Reads:"):
            return " ".join(paragraph.strip()[len("Reads:"):].split())
    return ""


def _check_args_spec(args: Any, name: str, where: str) -> None:
    if not isinstance(args, dict):
        raise BuildError(where, f"widget '{name}': ARGS must be a dict", 'like {"run": {"type": "run", "help": "..."}}')
    for arg, spec in args.items():
        if not isinstance(spec, dict) or spec.get("type") not in ARG_TYPES:
            raise BuildError(where, f"widget '{name}': argument '{arg}' needs a type",
                             f"give it \"type\": one of {', '.join(ARG_TYPES)}")
        if not isinstance(spec.get("help"), str):
            raise BuildError(where, f"widget '{name}': argument '{arg}' has no help", 'add "help": "what it sets"')
        if spec["type"] == "choice" and not (isinstance(spec.get("choices"), list) and spec["choices"]):
            raise BuildError(where, f"widget '{name}': choice argument '{arg}' lists no choices",
                             'add "choices": ["a", "b"]')
        if "default" in spec and spec["type"] == "choice" and spec["default"] not in spec["choices"]:
            raise BuildError(where, f"widget '{name}': argument '{arg}' default {spec['default']!r} is not a choice",
                             f"use one of {spec['choices']}")
        unknown = set(spec) - {"type", "help", "choices", "default"}
        if unknown:
            raise BuildError(where, f"widget '{name}': argument '{arg}' has unknown keys {sorted(unknown)}",
                             "use type, help, choices and default")


def _check_data_spec(spec: Any, name: str, where: str, path: str) -> None:
    if isinstance(spec, dict):
        for key, sub in spec.items():
            _check_data_spec(sub, name, where, f"{path}.{key}")
    elif isinstance(spec, list) and len(spec) == 1 and isinstance(spec[0], dict):
        _check_data_spec(spec[0], name, where, f"{path}[]")
    elif not (isinstance(spec, str) and _scalar_of(spec) in SCALAR_TYPES):
        raise BuildError(where, f"widget '{name}': {path} has type {spec!r}",
                         "use int, float, str or bool, with [] per array level and ? to allow null, "
                         "a dict, or [ {...} ] for an array of objects")


def _scalar_of(type_string: str) -> str:
    return type_string.rstrip("?").replace("[]", "")


def _import(widget: Widget) -> ModuleType:
    module_name = f"_widget_{(widget.lesson or 'builtin').replace('-', '_')}_{widget.name.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(module_name, widget.source)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise BuildError(location(widget.source, line_in(exc, str(widget.source)), None),
                         f"importing widget '{widget.name}' raised {type(exc).__name__}: {exc}",
                         "fix widget.py so it imports cleanly") from None
    return module


# --------------------------------------------------------------------------- checking embeds
def check_embed(embed, source: Path, run_names: set[str], widgets: dict[str, Widget], root: Path,
                slug: str = "the lesson") -> tuple[Widget, dict[str, str]]:
    """One `::: widget` line against the widget's ARGS. Returns the widget and the
    arguments with defaults filled in (all strings, as written in an embed)."""
    where = location(source, embed.line, root)
    widget = widgets.get(embed.name)
    if widget is None:
        raise BuildError(where, f"unknown widget '{embed.name}'{did_you_mean(embed.name, widgets)}",
                         f"known widgets: {', '.join(widgets) or 'none'} (or add a folder widgets/{embed.name}/)")
    for arg, value in embed.args.items():
        spec = widget.args.get(arg)
        if spec is None:
            raise BuildError(where, f"widget '{embed.name}' has no argument '{arg}'{did_you_mean(arg, widget.args)}",
                             f"it takes: {', '.join(widget.args) or 'no arguments'}")
        if spec["type"] == "choice" and value not in [str(c) for c in spec["choices"]]:
            raise BuildError(where, f"widget '{embed.name}' argument {arg}={value} is not one it knows"
                             f"{did_you_mean(value, spec['choices'])}",
                             f"use one of: {', '.join(str(c) for c in spec['choices'])}")
        if spec["type"] == "number":
            try:
                float(value)
            except ValueError:
                raise BuildError(where, f"widget '{embed.name}' argument {arg}={value} is not a number",
                                 f"write {arg}=NUMBER") from None
        if spec["type"] == "runs" and not split_runs(value):
            raise BuildError(where, f"widget '{embed.name}' argument {arg} names no run", f"write {arg}=RUN,RUN,...")
    resolved = {}
    for arg, spec in widget.args.items():
        if arg in embed.args:
            resolved[arg] = embed.args[arg]
        elif "default" in spec:
            resolved[arg] = str(spec["default"])
        else:
            form = {"run": "RUN", "runs": "RUN,RUN,...", "choice": "|".join(map(str, spec.get("choices", [])))}
            raise BuildError(where, f"widget '{embed.name}' needs {arg}={form.get(spec['type'], spec['type'].upper())}",
                             f"{arg}: {spec['help']}")
    for run_name in widget.runs_of(resolved):
        if run_name not in run_names:
            known = ", ".join(sorted(run_names)) or "none"
            raise BuildError(where, f"widget '{embed.name}' names run '{run_name}', which "
                             f"{slug}/experiments.py does not declare{did_you_mean(run_name, run_names)}",
                             f"declared runs: {known}")
    return widget, resolved


# --------------------------------------------------------------------------- checking data
def check_data(widget: Widget, data: Any, where: str) -> None:
    """The JSON export() returned must match DATA exactly: every field, no other."""
    problem = data_mismatch(widget.data, data, "data")
    if problem:
        raise BuildError(where, f"widget '{widget.name}' export does not match its DATA: {problem}",
                         f"fix export() or DATA in {widget.source.name} of {widget.folder}")


def data_mismatch(spec: Any, value: Any, path: str) -> str | None:
    """Where `value` departs from `spec`, as one phrase, or None if it matches."""
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return f"{path} is {type(value).__name__}, DATA says an object"
        extra = sorted(set(value) - set(spec))
        if extra:
            return f"{path}.{extra[0]} is not declared"
        for key, sub in spec.items():
            if key not in value:
                return f"{path}.{key} is missing"
            found = data_mismatch(sub, value[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(spec, list):
        if not isinstance(value, list):
            return f"{path} is {type(value).__name__}, DATA says an array of objects"
        for i, item in enumerate(value):
            found = data_mismatch(spec[0], item, f"{path}[{i}]")
            if found:
                return found
        return None
    return _type_mismatch(spec, value, path)


def _type_mismatch(type_string: str, value: Any, path: str) -> str | None:
    nullable = type_string.endswith("?")
    base = type_string.rstrip("?")
    if value is None:
        return None if nullable else f"{path} is null, DATA says {type_string}"
    if base.endswith("[]"):
        if not isinstance(value, list):
            return f"{path} is {type(value).__name__}, DATA says {type_string}"
        item_type = base[:-2] + ("?" if nullable else "")
        for i, item in enumerate(value):
            found = _type_mismatch(item_type, item, f"{path}[{i}]")
            if found:
                return found
        return None
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "bool": isinstance(value, bool),
    }[base]
    return None if ok else f"{path} is {type(value).__name__} {value!r:.40}, DATA says {type_string}"


# --------------------------------------------------------------------------- the catalogue, as text
def data_fields(spec: Any, prefix: str = "") -> list[tuple[str, str]]:
    """DATA flattened to (field path, type) pairs: 'best.epoch', 'rates[].lr'."""
    if isinstance(spec, dict):
        return [pair for key, sub in spec.items() for pair in data_fields(sub, f"{prefix}.{key}" if prefix else key)]
    if isinstance(spec, list):
        return data_fields(spec[0], f"{prefix}[]")
    return [(prefix, spec)]


def argument_summary(spec: dict[str, Any]) -> str:
    """'choice (identity | relu), default relu' or 'run, required'."""
    text = spec["type"]
    if spec["type"] == "choice":
        text += f" ({' | '.join(map(str, spec['choices']))})"
    return text + (f", default {spec['default']}" if "default" in spec else ", required")


def catalogue_text(widgets: dict[str, Widget], root: Path) -> str:
    """What `python -m generator widgets` prints: each widget, its arguments, what it reads."""
    lines = []
    for widget in widgets.values():
        where = location(widget.folder, None, root)
        lines += [f"{widget.name}  ({'lesson ' + widget.lesson if widget.lesson else 'built-in'}: {where})",
                  f"  {widget.doc}"]
        if widget.reads:
            lines.append(f"  reads: {widget.reads}")
        lines.append("  arguments:" if widget.args else "  arguments: none")
        for arg, spec in widget.args.items():
            lines += [f"    {arg}: {argument_summary(spec)}", f"      {spec['help']}"]
        lines.append("  data (what widget.js may read):")
        lines += [f"    {path}: {kind}" for path, kind in data_fields(widget.data)]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def catalogue_markdown(widgets: dict[str, Widget]) -> str:
    """The catalogue as Markdown, for docs/authoring.md (a test keeps that copy current)."""
    parts = []
    for widget in widgets.values():
        parts.append(f"#### `{widget.name}`\n\n{widget.doc}\n")
        if widget.reads:
            parts.append(f"Reads: {widget.reads}\n")
        if widget.args:
            parts.append("| argument | type | help |\n|---|---|---|")
            parts += [f"| `{arg}` | {argument_summary(spec)} | {spec['help']} |" for arg, spec in widget.args.items()]
            parts.append("")
        else:
            parts.append("Arguments: none.\n")
        parts.append("Data fields: " + ", ".join(f"`{path}` ({kind})" for path, kind in data_fields(widget.data))
                     + "\n")
    return "\n".join(parts)
