"""Stage 2, training: run every experiment a lesson declares and record what happened.

A lesson's `experiments.py` declares named runs with the `@run(...)` decorator. Each run
receives a Recorder and writes three kinds of data into it:
  - constants: data fixed for the whole run (the training points, the x grid),
  - series: values logged at every step (train and validation loss),
  - snapshots: arrays recorded at chosen steps (the prediction on the grid, weight norms).
Each may be a number or an array of any shape (NumPy, torch or nested lists); arrays are
stored as nested lists, so `np.asarray(record["snapshots"]["w"])` gives them back with
their shape (steps first for series and snapshots).
A run may also write files (saved weights) with `rec.artifact(name)`; they are kept in
the cache beside the record and published as downloads.
The stage writes one JSON record per run into the cache. Records hold only finite numbers:
a run that diverges must stop before logging a NaN (the build refuses it otherwise).

Input:  a Lesson (its experiments.py and the local modules it imports).
Output: {run name: path of its record JSON}.
"""
from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import inspect
import json
import math
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.cache import Cache, file_digest, write_atomic
from generator.errors import BuildError, line_in, location
from generator.workers import TimedOut, check_timeout, time_limit, worker_pool

RECORD_SCHEMA = "run-record/1"
# A run that takes longer than this many seconds is stopped; @run(timeout=...) changes it.
DEFAULT_RUN_TIMEOUT = 1200.0
_CONFIG_TYPES = (bool, int, float, str, list, tuple)


# --------------------------------------------------------------------------- declaring runs
@dataclass(frozen=True)
class RunSpec:
    name: str
    fn: Callable[..., None]
    seed: int
    config: dict[str, Any]
    file: str
    line: int
    timeout: float = DEFAULT_RUN_TIMEOUT


def run(*, seed: int = 0, timeout: float = DEFAULT_RUN_TIMEOUT, **config: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Declare a recorded run. The function is called as fn(rec, seed=..., **config)."""

    def declare(fn: Callable[..., None]) -> Callable[..., None]:
        file = inspect.getsourcefile(fn) or "<unknown>"
        line = inspect.getsourcelines(fn)[1]
        fn.__run_spec__ = RunSpec(fn.__name__, fn, seed, dict(config), file, line, timeout)  # type: ignore[attr-defined]
        return fn

    return declare


def collect_runs(module: Any) -> list[RunSpec]:
    """The runs a module declares, in the order they appear in its source."""
    specs = [v.__run_spec__ for v in vars(module).values() if hasattr(v, "__run_spec__")]
    specs = [s for s in specs if s.file == getattr(module, "__file__", s.file)]
    return sorted(specs, key=lambda s: s.line)


def check_config(spec: RunSpec, root: Path | None = None) -> None:
    """Config keys must match the run's keyword parameters, with the annotated types."""
    where = location(spec.file, spec.line, root)
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


# --------------------------------------------------------------------------- recording
class NonFiniteValue(ValueError):
    def __init__(self, name: str, step: int):
        self.name, self.step = name, step
        super().__init__(f"{name} is not finite at step {step}")


def _finite_array(name: str, step: int, value: Any) -> Any:
    """A number or an array of any shape (list, NumPy array, torch tensor) as plain JSON.

    An array becomes nested lists of floats with its shape (np.asarray restores it); a
    scalar becomes a float. Refuses NaN and infinities, and ragged nesting.
    """
    import numpy as np  # here, not at the top: a build with nothing to do imports no numpy

    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers with a regular shape, "
                         f"got {type(value).__name__}") from None
    if not np.isfinite(array).all():
        raise NonFiniteValue(name, step)
    return array.tolist()


def _shape(value: Any) -> tuple[int, ...]:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


@dataclass
class Recorder:
    constants: dict[str, Any] = field(default_factory=dict)
    series: dict[str, list[float]] = field(default_factory=dict)
    snapshots: dict[str, list[Any]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    artifact_dir: Path | None = None   # where rec.artifact() files go (a temporary folder if None)
    artifacts: list[str] = field(default_factory=list)

    def constant(self, **values: Any) -> None:
        """Data fixed for the whole run: numbers, strings, or arrays of any shape
        (lists, NumPy arrays, torch tensors), stored as nested lists."""
        for name, value in values.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if not math.isfinite(value):
                    raise NonFiniteValue(name, 0)
                self.constants[name] = float(value) if isinstance(value, float) else value
            elif isinstance(value, str):
                self.constants[name] = value
            else:
                converted = _finite_array(name, 0, value)
                # A 0-d array is kept as a one-element list, as records always had it.
                self.constants[name] = converted if isinstance(converted, list) else [converted]

    def log(self, step: int, **values: Any) -> None:
        """Values at one step: scalars, or arrays of any shape (the same shape at every
        step). The step goes into the 'step' series."""
        converted = {name: _finite_array(name, step, value) for name, value in values.items()}
        self._append(self.series, step, converted)

    def snapshot(self, step: int, **arrays: Any) -> None:
        """Arrays of any shape at one chosen step; the step goes into the 'step' list."""
        converted = {}
        for name, value in arrays.items():
            value = _finite_array(name, step, value)
            converted[name] = value if isinstance(value, list) else [value]  # a scalar snapshot is [x]
        self._append(self.snapshots, step, converted)

    @staticmethod
    def _append(table: dict[str, list[Any]], step: int, values: dict[str, Any]) -> None:
        for name, value in values.items():
            earlier = table.get(name)
            if earlier and _shape(earlier[0]) != _shape(value):
                raise ValueError(f"{name} has shape {_shape(value)} at step {step} but "
                                 f"{_shape(earlier[0])} before; keep one shape per name")
        table.setdefault("step", []).append(int(step))
        for name, value in values.items():
            table.setdefault(name, []).append(value)

    def fact(self, **values: Any) -> None:
        """Named results of the run (best epoch, stopped early...) for pages and tests."""
        self.facts.update(values)

    def artifact(self, name: str) -> Path:
        """A path to write one file the run produces (e.g. torch.save of its weights).

        The build keeps it beside the record and publishes it as downloads/<run>/<name>.
        """
        if "/" in name or name.startswith(".") or name in self.artifacts:
            raise ValueError(f"artifact name {name!r} must be a new plain file name")
        if self.artifact_dir is None:
            self.artifact_dir = Path(tempfile.mkdtemp(prefix="run-artifacts-"))
        self.artifact_dir.mkdir(parents=True, exist_ok=True)
        self.artifacts.append(name)
        return self.artifact_dir / name

    def as_record(self, spec: RunSpec, seed: int) -> dict[str, Any]:
        return {
            "schema": RECORD_SCHEMA,
            "run": spec.name,
            "seed": seed,
            "config": spec.config,
            "constants": self.constants,
            "series": self.series,
            "snapshots": self.snapshots,
            "facts": self.facts,
            "artifacts": self.artifacts,
        }


# --------------------------------------------------------------------------- the training loop
def fit(model, optimizer, loss_fn, x, y, epochs: int, after_epoch=None) -> int:
    """Full-batch training: the one loop every run uses.

    `after_epoch(epoch)` is called after each update; returning True stops training
    (early stopping). Returns the number of epochs done.
    """
    for epoch in range(1, epochs + 1):
        model.train()
        # [start:five-lines]
        prediction = model(x)          # 1. forward: run the model
        loss = loss_fn(prediction, y)  # 2. loss: how wrong is it?
        optimizer.zero_grad()          # 3. forget the previous step's gradients
        loss.backward()                # 4. backward: autograd fills every .grad
        optimizer.step()               # 5. step: move each weight against its gradient
        # [end:five-lines]
        if after_epoch is not None and after_epoch(epoch):
            return epoch
    return epochs


def seed_everything(seed: int) -> None:
    """Same seed, same numbers: one thread and deterministic kernels."""
    import numpy as np
    import torch

    torch.manual_seed(seed)
    np.random.seed(seed)
    # One thread: for these small models it is faster than two and removes any
    # dependence of the float sums on thread scheduling. Parallelism is across runs.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def execute(spec: RunSpec, seed: int | None = None, root: Path | None = None,
            artifact_dir: Path | None = None) -> dict[str, Any]:
    """Run one experiment and return its record. Raises BuildError naming the run."""
    seed = spec.seed if seed is None else seed
    seed_everything(seed)
    rec = Recorder(artifact_dir=artifact_dir)
    try:
        with time_limit(spec.timeout):
            spec.fn(rec, seed=seed, **spec.config)
    except TimedOut:
        raise BuildError(location(spec.file, spec.line, root),
                         f"run '{spec.name}' did not finish within its {spec.timeout:g} s time limit",
                         "make it faster, or give it more time with @run(timeout=SECONDS)") from None
    except NonFiniteValue as exc:
        raise BuildError(location(spec.file, spec.line, root),
                         f"run '{spec.name}' recorded a non-finite {exc.name} at step {exc.step}",
                         "lower the learning rate, or stop the run before it diverges") from None
    except BuildError:
        raise
    except Exception as exc:  # an author's code failed: point at their line
        line = line_in(exc, spec.file) or spec.line
        raise BuildError(location(spec.file, line, root),
                         f"run '{spec.name}' raised {type(exc).__name__}: {exc}",
                         "fix the experiment and rebuild") from None
    return rec.as_record(spec, seed)


# --------------------------------------------------------------------------- loading experiments
def local_imports(path: Path, search_dir: Path) -> list[Path]:
    """Python files in `search_dir` that `path` imports, directly or through each other."""
    from generator.declarations import imported_names

    found: list[Path] = []
    todo = [path]
    while todo:
        for name in imported_names(todo.pop()):
            candidate = search_dir / (name.split(".")[0] + ".py")
            if candidate.is_file() and candidate not in found and candidate != path:
                found.append(candidate)
                todo.append(candidate)
    return sorted(found)


def load_experiments(path: Path, root: Path | None = None) -> list[RunSpec]:
    """Import a lesson's experiments.py and return its declared runs, checked."""
    where = location(path, None, root)
    if not path.is_file():
        raise BuildError(where, "experiments file is missing", "create it or remove the lesson's runs")
    module_name = f"_experiments_{path.parent.name.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise BuildError(location(path, exc.lineno, root), f"syntax error: {exc.msg}", "fix the Python") from None
    except Exception as exc:
        line = line_in(exc, str(path))
        raise BuildError(location(path, line, root), f"importing experiments raised {type(exc).__name__}: {exc}",
                         "fix the module so it imports cleanly") from None
    finally:
        sys.path.remove(str(path.parent))
    runs = collect_runs(module)
    for run_spec in runs:
        check_config(run_spec, root)
    return runs


def declared_runs(experiments: Path, slug: str, root: Path, cache: Cache) -> list[str]:
    """The run names a lesson declares, before any training: from the cache when its
    records are fresh (no import at all), else by importing experiments.py (which also
    checks each run's config)."""
    if not experiments.is_file():
        return []
    entry = cache.lookup("runs", slug, experiment_inputs(experiments, root))
    if entry is not None:
        return json.loads(entry.file("runs.json").read_text())
    return [spec.name for spec in load_experiments(experiments, root)]


def library_versions() -> dict[str, str]:
    versions = {}
    for package in ("torch", "numpy", "scikit-learn"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "absent"
    return versions


def experiment_inputs(path: Path, root: Path) -> dict[str, str]:
    """Everything a lesson's records depend on: sources, the loop, library versions."""
    inputs = {str(path.relative_to(root)): file_digest(path)}
    for dep in local_imports(path, path.parent):
        inputs[str(dep.relative_to(root))] = file_digest(dep)
    inputs["generator/training.py"] = file_digest(Path(__file__))
    for package, version in library_versions().items():
        inputs[f"version:{package}"] = version
    return inputs


# --------------------------------------------------------------------------- the stage
def _train_in_worker(experiments: str, run_name: str, out: str, root: str) -> str:
    """Runs in a worker process: import, execute one run, write its record."""
    runs = {s.name: s for s in load_experiments(Path(experiments), Path(root))}
    record = execute(runs[run_name], root=Path(root), artifact_dir=artifacts_folder(Path(out)))
    write_atomic(Path(out), json.dumps(record, separators=(",", ":")))
    return run_name


def train_lesson(experiments: Path, slug: str, root: Path, cache: Cache, progress, workers: int = 2,
                 why: list[str] | None = None) -> dict[str, Path]:
    """Make sure every run of one lesson has a fresh record. Returns run name -> record path.

    All runs of a lesson share one cache entry keyed by the experiments file and its
    local imports: the file declares the runs, so any edit may change any of them.
    Deterministic training means unchanged runs give identical records, and the
    export stage, keyed by record content, then has nothing to redo.
    """
    if not experiments.is_file():
        return {}
    inputs = experiment_inputs(experiments, root)
    entry = cache.lookup("runs", slug, inputs)
    if entry is None:
        reason = cache.why("runs", slug, inputs)
        specs = load_experiments(experiments, root)
        pending = cache.begin("runs", slug, inputs)
        try:
            _train_all(experiments, specs, pending.folder, root, progress, workers)
            write_atomic(pending.file("runs.json"), json.dumps([s.name for s in specs]))
            entry = pending.commit()
        except BaseException:
            pending.abandon()
            raise
        if why is not None:
            why.append(f"runs/{slug}: {reason}")
    names = json.loads(entry.file("runs.json").read_text())
    return {name: entry.file(f"{name}.json") for name in names}


def artifacts_folder(record: Path) -> Path:
    """Where a run's files live in its cache entry: beside its record, '<run>.files/'."""
    return record.with_name(record.stem + ".files")


def _train_all(experiments: Path, specs: list[RunSpec], folder: Path, root: Path, progress, workers: int) -> None:
    if not specs:
        return
    if workers <= 1 or len(specs) == 1:
        for i, spec in enumerate(specs, 1):
            progress.item("train", spec.name, i, len(specs))
            record = execute(spec, root=root, artifact_dir=artifacts_folder(folder / f"{spec.name}.json"))
            write_atomic(folder / f"{spec.name}.json", json.dumps(record, separators=(",", ":")))
        return
    with worker_pool(min(workers, len(specs))) as pool:
        futures = [pool.submit(_train_in_worker, str(experiments), s.name, str(folder / f"{s.name}.json"), str(root))
                   for s in specs]
        for i, future in enumerate(as_completed(futures), 1):
            name = future.result()  # re-raises a run's BuildError here
            progress.item("train", name, i, len(specs))
