"""Stage 2, training: run every experiment a lesson declares and record what happened.

What a run may do is the authoring API (generator/authoring.py); this module finds the
runs of a lesson, decides which are stale and executes those in worker processes.

Each run is one cache entry ("record", "<lesson>/<run>") holding `<run>.json` (the
record, without measures), `<run>.measures.json` and the files the run saved in
`<run>.files/`. Its key is what the run's numbers can depend on and nothing else
(see `run_inputs`); refactoring this module changes no key. A change here that changes
what records hold bumps TRAINING_VERSION, which every key includes.

A small index entry per lesson ("runs", "<lesson>") keyed on the lesson's sources by
syntax tree lists each run's key, so a build whose sources did not change finds every
record without importing experiments.py (nor torch).

Input:  a Lesson (its experiments.py, the local modules it imports, its data files).
Output: {run name: path of its record JSON}.
"""
from __future__ import annotations

import ast
import builtins
import importlib.util
import inspect
import json
import os
import sys
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import authoring, sources
from generator.authoring import DECLARED, RunSpec, execute
from generator.cache import Cache, file_digest, write_atomic
from generator.errors import BuildError, line_in, location, relative
from generator.safety import RUN_NAME, inside
from generator.workers import (ProcessExit, TimedOut, broken_pool_error, check_timeout, import_timeout,
                               job_leftovers, time_limit, worker_pool)

# Bump when a change to this stage changes the records it writes (their layout, what
# goes into the record file): every run then retrains once.
TRAINING_VERSION = 2
AUTHORING_API = Path(authoring.__file__)
LIBRARIES = ("torch", "numpy", "scikit-learn")
_CONFIG_TYPES = (bool, int, float, str, list, tuple)
# Lesson-folder parts that are not read by runs (the page, its units, its tests).
NOT_RUN_INPUTS = {"lesson.md", "widgets", "scenes", "tests", "__pycache__"}


# --------------------------------------------------------------------------- declared runs
def collect_runs(module: Any) -> list[RunSpec]:
    """The runs a module declares, in the order they were declared (a run made by a
    helper function counts even when no module-level name holds it)."""
    file = getattr(module, "__file__", None)
    specs = [v.__run_spec__ for v in vars(module).values() if hasattr(v, "__run_spec__")]
    specs += DECLARED.get(file, [])
    unique = {id(s): s for s in specs if s.file == file}
    return sorted(unique.values(), key=lambda s: s.line)


def check_config(spec: RunSpec, root: Path | None = None) -> None:
    """Config keys must match the run's keyword parameters, with the annotated types."""
    where = location(spec.file, spec.line, root)
    if not isinstance(spec.name, str) or not RUN_NAME.fullmatch(spec.name):
        raise BuildError(where, f"run name {str(spec.name)[:80]!r} is not a Python identifier",
                         "name the run's function with letters, digits and '_' (it names the run's files)")
    params = inspect.signature(spec.fn).parameters
    wanted = {n: p for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY and n != "seed"}
    unknown = sorted(set(spec.config) - set(wanted))
    if unknown:
        raise BuildError(where, f"run '{spec.name}' got unknown config {unknown}",
                         f"its function accepts {sorted(wanted)}")
    missing = sorted(n for n, p in wanted.items() if n not in spec.config and p.default is inspect.Parameter.empty)
    if missing:
        raise BuildError(where, f"run '{spec.name}' is missing config {missing}", "add them to @run(...)")
    hints = getattr(spec.fn, "__annotations__", {})
    for name, value in spec.config.items():
        expected = _resolve_annotation(hints.get(name), spec.fn)
        if expected is None:
            continue
        ok = isinstance(value, expected) and not (expected in (int, float) and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True  # an int is a fine float
        if not ok:
            raise BuildError(where, f"run '{spec.name}' config '{name}' is {type(value).__name__} {value!r}",
                             f"it must be {expected.__name__}")
    if not isinstance(spec.seed, int) or isinstance(spec.seed, bool):
        raise BuildError(where, f"run '{spec.name}' seed is {spec.seed!r}", "it must be an int")
    if check_timeout(spec.timeout):
        raise BuildError(where, f"run '{spec.name}': {check_timeout(spec.timeout)}", "write e.g. @run(timeout=600)")


def _resolve_annotation(annotation: Any, fn: Callable[..., None]) -> type | None:
    if isinstance(annotation, str):  # `from __future__ import annotations`
        base = annotation.split("[")[0].strip()
        annotation = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "tuple": tuple}.get(base)
    return annotation if annotation in _CONFIG_TYPES else None


# --------------------------------------------------------------------------- loading experiments
def load_experiments(path: Path, root: Path | None = None) -> list[RunSpec]:
    """Import a lesson's experiments.py and return its declared runs, checked."""
    where = location(path, None, root)
    if not path.is_file():
        raise BuildError(where, "experiments file is missing", "create it or remove the lesson's runs")
    module_name = f"_experiments_{path.parent.name.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    DECLARED.pop(str(path), None)  # an earlier import's runs are not this one's
    sys.path.insert(0, str(path.parent))
    try:
        with time_limit(import_timeout()):
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise BuildError(location(path, exc.lineno, root), f"syntax error: {exc.msg}", "fix the Python") from None
    except TimedOut:
        raise BuildError(location(path, None, root), f"importing experiments took over {import_timeout():g} s",
                         "do slow work inside a run, not at import time") from None
    except SystemExit as exc:
        call = "os._exit" if isinstance(exc, ProcessExit) else "sys.exit"
        raise BuildError(location(path, line_in(exc, str(path)), root), f"importing experiments called "
                         f"{call}({exc.code!r})", "remove it; a lesson's module cannot end the build") from None
    except Exception as exc:
        line = line_in(exc, str(path))
        raise BuildError(location(path, line, root), f"importing experiments raised {type(exc).__name__}: {exc}",
                         "fix the module so it imports cleanly") from None
    finally:
        sys.path.remove(str(path.parent))
    runs = collect_runs(module)
    seen: dict[str, RunSpec] = {}
    for run_spec in runs:
        check_config(run_spec, root)
        if run_spec.name in seen:  # each run has its own record: a second one would replace the first
            raise BuildError(location(run_spec.file, run_spec.line, root), f"run '{run_spec.name}' is declared "
                             f"twice (also at line {seen[run_spec.name].line})", "give each run its own function name")
        seen[run_spec.name] = run_spec
    return runs


# --------------------------------------------------------------------------- what a record depends on
def library_versions() -> dict[str, str]:
    return {package: sources.installed_version(package) for package in LIBRARIES}


def data_files(experiments: Path) -> list[Path]:
    """The files a run may read beside experiments.py: every file of the lesson folder
    but lesson.md, widgets/, scenes/, tests/ and Python files experiments.py does not
    import (a script readers download is not read by a run)."""
    folder = experiments.parent
    found = []
    for current, subfolders, files in os.walk(folder):
        here = Path(current)
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".")
                               and not (here == folder and d in NOT_RUN_INPUTS) and d != "__pycache__")
        for name in sorted(files):
            path = here / name
            if name.startswith(".") or (here == folder and name in NOT_RUN_INPUTS) or path.suffix == ".py":
                continue
            found.append(path)
    return found


def lesson_inputs(experiments: Path, root: Path) -> dict[str, str]:
    """What any run of the lesson may depend on: its Python sources by syntax tree, its
    data files by bytes, the authoring API, the library versions and TRAINING_VERSION."""
    inputs = {relative(experiments, root): sources.tree_digest(experiments)}
    for module in sources.local_imports(experiments, experiments.parent):
        inputs[relative(module, root)] = sources.tree_digest(module)
    for path in data_files(experiments):
        inputs[f"data:{relative(path, root)}"] = file_digest(path)
    inputs["generator/authoring.py"] = sources.tree_digest(AUTHORING_API)
    inputs["training-version"] = str(TRAINING_VERSION)
    inputs |= {f"version:{package}": version for package, version in library_versions().items()}
    # Any other installed library the sources import (scipy, say) counts with its version.
    for module in [experiments, *sources.local_imports(experiments, experiments.parent)]:
        try:
            names = sources.imported_names(sources.parse(module))
        except SyntaxError:
            continue  # reported when the module is imported
        for top in {name.split(".")[0] for name in names} - {"generator"}:
            version = sources.installed_version(top, ask_metadata=False)
            if version != "absent":
                inputs.setdefault(f"version:{top}", version)
    return inputs


def run_inputs(spec: RunSpec, lesson: dict[str, str], experiments: Path, root: Path) -> dict[str, str]:
    """One run's key: the lesson's inputs with experiments.py narrowed to the code the run
    reaches, plus its name, seed and configuration."""
    inputs = dict(lesson)
    code = reached_code(sources.parse(experiments), spec.line)
    if code is not None:
        inputs[relative(experiments, root)] = code
    inputs |= {"run": spec.name, "seed": str(spec.seed),
               "config": json.dumps(spec.config, sort_keys=True, default=repr)}
    return inputs


# Calls that read or bind names the syntax tree cannot see: the run is keyed on the whole module.
DYNAMIC = {"globals", "locals", "vars", "exec", "eval", "__import__", "setattr", "delattr"}
KNOWN_NAMES = set(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__", "__loader__", "__builtins__"}


def reached_code(tree: ast.Module, line: int) -> str | None:
    """A hash of the module-level statements the run declared at `line` reaches: the
    statement holding it, every statement binding a name it uses (followed transitively),
    and every statement that uses such a name without binding one (`CONFIG.update(...)`).
    None when the analysis cannot be sure: a call in DYNAMIC or `import *` in what it
    reaches or at the module's top level, or a name no statement binds."""
    body = tree.body
    summaries = [_summary(stmt) for stmt in body]
    start = next((i for i, stmt in enumerate(body) if _first_line(stmt) <= line <= stmt.end_lineno), None)
    if start is None or any(dynamic for (_, _, dynamic), stmt in zip(summaries, body)
                            if dynamic and not isinstance(stmt, _SCOPES)):
        return None  # a module-level globals()/exec may bind anything
    included = {start}
    needed = set(summaries[start][1])
    changed = True
    while changed:
        changed = False
        for i, (binds, uses, _) in enumerate(summaries):
            if i in included:
                continue
            future = isinstance(body[i], ast.ImportFrom) and body[i].module == "__future__"
            if future or binds & needed or (not binds and uses & needed):
                included.add(i)
                needed |= uses
                changed = True
    if any(summaries[i][2] for i in included):
        return None
    if needed - KNOWN_NAMES.union(*(binds for binds, _, _ in summaries)):
        return None  # a name bound at run time
    return sources.nodes_digest([ast.dump(body[i]) for i in sorted(included)])


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _first_line(stmt: ast.stmt) -> int:
    return min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])


def _summary(stmt: ast.stmt) -> tuple[set[str], set[str], bool]:
    """(names a module-level statement binds, names it reads from the module's scope,
    whether it calls something in DYNAMIC or imports *)."""
    flags: list[bool] = []
    loads, binds, declared_global = _scan([stmt], flags)
    if isinstance(stmt, _SCOPES):  # a def binds its name, and what it declares global
        binds = {stmt.name} | {n for node in ast.walk(stmt) if isinstance(node, ast.Global) for n in node.names}
    return binds | declared_global, loads, any(flags)


def _scan(nodes: list, flags: list[bool]) -> tuple[set[str], set[str], set[str]]:
    """(names read from outside, names bound, names declared global) in one scope; nested
    functions, lambdas and comprehensions add only their free names to what is read.
    A class body's own names are not subtracted (its methods do not see them): reading
    too much only widens a key."""
    loads: set[str] = set()
    binds: set[str] = set()
    declared: set[str] = set()
    todo = list(nodes)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if not isinstance(node, ast.Lambda):
                binds.add(node.name)
                todo += node.decorator_list + ([node.returns] if node.returns else [])
            arguments = node.args
            params = arguments.posonlyargs + arguments.args + arguments.kwonlyargs + \
                [a for a in (arguments.vararg, arguments.kwarg) if a]
            todo += [d for d in arguments.defaults + arguments.kw_defaults if d]
            todo += [a.annotation for a in params if a.annotation]
            inner_loads, inner_binds, inner_global = _scan(node.body if isinstance(node.body, list) else [node.body],
                                                           flags)
            loads |= inner_loads - ((inner_binds | {a.arg for a in params}) - inner_global)
            declared |= inner_global
        elif isinstance(node, ast.ClassDef):
            binds.add(node.name)
            todo += node.decorator_list + node.bases + [k.value for k in node.keywords]
            inner_loads, _, inner_global = _scan(node.body, flags)
            loads |= inner_loads
            declared |= inner_global
        elif isinstance(node, _COMPREHENSIONS):
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            inner_loads, inner_binds, _ = _scan(parts + node.generators, flags)
            loads |= inner_loads - inner_binds
        else:
            if isinstance(node, ast.Name):
                (loads if isinstance(node.ctx, ast.Load) else binds).add(node.id)
            elif isinstance(node, ast.alias):
                flags.append(node.name == "*")
                binds.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, ast.ExceptHandler) and node.name:
                binds.add(node.name)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                declared.update(node.names)
            elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
                binds.add(node.name)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in DYNAMIC:
                flags.append(True)
            todo += list(ast.iter_child_nodes(node))
    return loads, binds, declared


# --------------------------------------------------------------------------- the stage
@dataclass
class LessonRuns:
    """A lesson's runs as the plan knows them: their names and keys, and the imported
    specs when the index was stale (None when every key came from the index)."""

    slug: str
    experiments: Path
    keys: dict[str, dict[str, str]]        # run name -> its inputs
    specs: dict[str, RunSpec] | None = None   # as declared (without their functions, which stay in the worker)
    lesson_key: dict[str, str] | None = None

    @property
    def names(self) -> list[str]:
        return list(self.keys)


def plan_runs(experiments: Path, slug: str, root: Path, cache: Cache) -> LessonRuns:
    """The lesson's runs and each one's key: from the index when the lesson's sources did
    not change (no import), else by importing experiments.py (which checks each config)."""
    if not experiments.is_file():
        return LessonRuns(slug, experiments, {})
    inputs = lesson_inputs(experiments, root)
    index = cache.lookup("runs", slug, inputs)
    if index is not None:
        return LessonRuns(slug, experiments, json.loads(index.file("runs.json").read_text()), None, inputs)
    # Imported in a worker process: a lesson's module cannot end, hang or outlive the build.
    with worker_pool(1) as pool:
        declared = _result(pool.submit(_declare_in_worker, str(experiments), str(root)), experiments, root, [])
    specs = [RunSpec(d["name"], None, d["seed"], d["config"], d["file"], d["line"], d["timeout"]) for d in declared]
    keys = {spec.name: run_inputs(spec, inputs, experiments, root) for spec in specs}
    return LessonRuns(slug, experiments, keys, {spec.name: spec for spec in specs}, inputs)


def train_lesson(experiments: Path, slug: str, root: Path, cache: Cache, progress, workers: int = 2) -> dict[str, Path]:
    """Plan and train one lesson's runs outside a build (tests read the records this way)."""
    from generator.plan import BuildContext

    return train_runs(plan_runs(experiments, slug, root, cache), BuildContext(root, cache, progress, workers))


def train_runs(runs: LessonRuns, ctx) -> dict[str, Path]:
    """Make sure every run of one lesson has a fresh record. Returns run name -> record path.

    Only the runs whose own key changed are executed; deterministic training means an
    unchanged run would give the same record, and the stages keyed on records then have
    nothing to redo. (A build runs the stale runs through generator/schedule.py instead,
    with the same pieces: find_records, note_trained, write_index.)
    """
    found, stale = find_records(runs, ctx)
    before = {name: (ctx.cache.why("record", f"{runs.slug}/{name}", runs.keys[name]),
                     ctx.cache.previous("record", f"{runs.slug}/{name}")) for name in stale}
    for name, path in _train_all(runs, stale, ctx):
        found[name] = path
        note_trained(runs, name, path, *before[name], ctx)
    write_index(runs, ctx)
    return {name: found[name] for name in runs.keys}


def find_records(runs: LessonRuns, ctx) -> tuple[dict[str, Path], list[str]]:
    """(run name -> record path of every fresh run, names of the stale runs)."""
    found: dict[str, Path] = {}
    stale: list[str] = []
    for name, inputs in runs.keys.items():
        entry = ctx.cache.lookup("record", f"{runs.slug}/{name}", inputs)
        if entry is None:
            stale.append(name)
        else:
            found[name] = entry.file(f"{name}.json")
    return found, stale


def note_trained(runs: LessonRuns, name: str, path: Path, reason: str, before: Path | None, ctx) -> None:
    """Tell --why (and the stages keyed on records) what a fresh training changed."""
    fields = changed_fields(before / path.name if before else None, path)
    if fields:
        ctx.record_notes[f"record:{runs.slug}/{name}"] = "fields: " + ", ".join(fields)
    outcome = ("; record fields changed: " + ", ".join(fields) if fields
               else "; the record came out the same" if before else "")
    ctx.rebuilt.append(f"record/{runs.slug}/{name}: {reason}{outcome}")


def write_index(runs: LessonRuns, ctx) -> None:
    """The lesson's index of run keys, which the next build reads instead of importing."""
    if runs.specs is not None and runs.lesson_key is not None:
        pending = ctx.cache.begin("runs", runs.slug, runs.lesson_key)
        write_atomic(pending.file("runs.json"), json.dumps(runs.keys, sort_keys=True))
        pending.commit()


def changed_fields(old: Path | None, new: Path) -> list[str]:
    """The fields of a record that differ between two versions of it ("series.val_loss",
    "facts.best_epoch", "seed"...); none when there is no old one to compare with."""
    try:
        before = json.loads(old.read_text()) if old is not None else {}
    except (OSError, ValueError):
        before = {}
    after = json.loads(new.read_text())
    if not before:
        return []
    fields = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            fields += [f"{key}.{sub}" for sub in sorted(set(a) | set(b)) if a.get(sub) != b.get(sub)]
        elif a != b:
            fields.append(key)
    return fields


def cached_records(cache: Cache, slug: str) -> dict[str, Path]:
    """Run name -> record path of a lesson's newest build, read from its index without
    training (tests and the benchmark read a built project's records this way)."""
    index = cache.previous("runs", slug)
    if index is None:
        return {}
    keys = json.loads((index / "runs.json").read_text())
    return {name: cache.entry_folder("record", f"{slug}/{name}", inputs) / f"{name}.json"
            for name, inputs in keys.items()}


def artifacts_folder(record: Path) -> Path:
    """Where a run's files live in its cache entry: beside its record, '<run>.files/'."""
    return record.with_name(record.stem + ".files")


def measures_file(record: Path) -> Path:
    """The run's measures (rec.measure), beside its record: never part of what is keyed on it."""
    return record.with_name(record.stem + ".measures.json")


def write_record(record: dict[str, Any], path: Path) -> None:
    """The record without its measures, and the measures in a file of their own."""
    measures = record.pop("measures", {})
    write_atomic(path, json.dumps(record, separators=(",", ":")))
    write_atomic(measures_file(path), json.dumps(measures, separators=(",", ":"), sort_keys=True))


def _declare_in_worker(experiments: str, root: str) -> list[dict[str, Any]]:
    """Runs in a worker process: import experiments.py, return what each run declares."""
    specs = load_experiments(Path(experiments), Path(root))
    _check_leftovers(f"importing {Path(experiments).name}", location(experiments, None, Path(root)))
    return [{"name": s.name, "seed": s.seed, "config": s.config, "file": s.file, "line": s.line,
             "timeout": s.timeout} for s in specs]


def train_in_worker(experiments: str, run_name: str, out: str, root: str) -> str:
    """Runs in a worker process: import, execute one run, write its record."""
    runs = {s.name: s for s in load_experiments(Path(experiments), Path(root))}
    spec = runs[run_name]
    record = execute(spec, root=Path(root), artifact_dir=artifacts_folder(Path(out)))
    # (a run that failed is reported as such; its worker's leftovers are ended after every job)
    _check_leftovers(f"run '{run_name}'", location(spec.file, spec.line, Path(root)))
    write_record(record, inside(Path(out), Path(out).parent))
    return run_name


def _check_leftovers(what: str, where: str) -> None:
    """After a job: end the processes it started; refuse a thread it left running."""
    threads = job_leftovers()
    if threads:
        raise BuildError(where, f"{what} left thread(s) running after it returned: {', '.join(threads)}",
                         "join every thread the run starts before it returns")


def _result(future, experiments: Path, root: Path, names: list[str]):
    """A worker's result; a worker that died (os._exit, a crash, a kill) becomes a BuildError."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool:
        raise broken_pool_error(location(experiments, None, root), "run", names) from None


def _train_all(runs: LessonRuns, stale: list[str], ctx):
    """Execute the stale runs, all in worker processes (never in the build's own: a run
    cannot end, hang or outlive it), and commit each run's entry as soon as it is
    written. Yields (name, record path)."""
    if not stale:
        return
    pendings = {name: ctx.cache.begin("record", f"{runs.slug}/{name}", runs.keys[name]) for name in stale}
    committed: set[str] = set()
    try:
        with worker_pool(max(1, min(ctx.workers, len(stale)))) as pool:
            futures = [pool.submit(train_in_worker, str(runs.experiments), name,
                                   str(inside(pendings[name].file(f"{name}.json"), pendings[name].folder)),
                                   str(ctx.root)) for name in stale]
            for i, future in enumerate(as_completed(futures), 1):
                # re-raises a run's BuildError here
                name = _result(future, runs.experiments, ctx.root, [n for n in stale if n not in committed])
                ctx.progress.item("train", name, i, len(stale))
                committed.add(name)
                yield name, pendings[name].commit().file(f"{name}.json")
    finally:
        for name, pending in pendings.items():
            if name not in committed:
                pending.abandon()
