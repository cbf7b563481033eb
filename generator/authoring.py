"""The authoring API: what a lesson's experiments.py imports (`run`, `Recorder`, `fit`).

A lesson's `experiments.py` declares named runs with the `@run(...)` decorator. Each run
receives a Recorder and writes three kinds of data into it:
  - constants: data fixed for the whole run (the training points, the x grid),
  - series: values logged at every step (train and validation loss),
  - snapshots: arrays recorded at chosen steps (the prediction on the grid, weight norms).
Each may be a number or an array of any shape (NumPy, torch or nested lists); arrays are
stored as nested lists, so `np.asarray(record["snapshots"]["w"])` gives them back with
their shape (steps first for series and snapshots).
Named results go into facts (`rec.fact`); numbers that differ from one execution to the
next (wall time, ms per step) go into measures (`rec.measure`): pages show both through
`[[run.name]]`, but widgets and videos never see measures, so re-running an unchanged
experiment re-exports and re-renders nothing.
A run may also write files (saved weights) with `rec.artifact(name)`; they are kept in
the cache beside the record and published as downloads.
Records hold only finite numbers: a run that diverges must stop before logging a NaN.

This module is apart from the training stage (generator/training.py) because every record
is keyed on it: editing it retrains every run of the series, editing the stage does not.
"""
from __future__ import annotations

import inspect
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import BuildError, line_in, location
from generator.safety import artifact_problem, inside
from generator.workers import ProcessExit, TimedOut, time_limit

RECORD_SCHEMA = "run-record/1"
# A run that takes longer than this many seconds is stopped; @run(timeout=...) changes it.
DEFAULT_RUN_TIMEOUT = 1200.0
# Every run declared so far, by the file that declared it: a run made by a helper
# function (a loop over seeds) is found without being bound to a module-level name.
DECLARED: dict[str, list["RunSpec"]] = {}


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
        spec = RunSpec(fn.__name__, fn, seed, dict(config), file, line, timeout)
        fn.__run_spec__ = spec  # type: ignore[attr-defined]
        DECLARED.setdefault(file, []).append(spec)
        return fn

    return declare


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
    measures: dict[str, Any] = field(default_factory=dict)
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

    def measure(self, **values: Any) -> None:
        """Numbers that differ from one execution to the next (wall time, ms per step).

        Pages show them like facts (`[[run.name]]`), but they are kept out of the record
        that widgets, videos and their cache keys read: a re-run that measured a different
        time re-exports and re-renders nothing.
        """
        for name, value in values.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                raise ValueError(f"measure {name} must be a finite number, got {value!r}")
            if name in self.facts:
                raise ValueError(f"{name} is already a fact of this run; give the measure its own name")
            self.measures[name] = value

    def artifact(self, name: str) -> Path:
        """A path to write one file the run produces (e.g. torch.save of its weights).

        The build keeps it beside the record and publishes it as downloads/<run>/<name>.
        """
        problem = artifact_problem(name)
        if problem or name in self.artifacts:
            raise ValueError(problem or f"artifact name {name!r} is used twice; give each file its own name")
        if self.artifact_dir is None:
            self.artifact_dir = Path(tempfile.mkdtemp(prefix="run-artifacts-"))
        self.artifact_dir.mkdir(parents=True, exist_ok=True)
        self.artifacts.append(name)
        return inside(self.artifact_dir / name, self.artifact_dir, what=f"artifact '{name}'")

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
            "measures": self.measures,
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
    # Subnormal floats (below about 1e-38) are flushed to zero. Weights that decay towards
    # zero pass through them, and the CPU handles each one in microcode: a weight-decay run
    # took 31.6 CPU-s with them and 8.5 without. A long run's exact numbers differ either
    # way (every bit feeds the next step); the claim tests hold the lessons' sentences to
    # whichever records are built.
    torch.set_flush_denormal(True)


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
    except SystemExit as exc:  # sys.exit() or os._exit() in a run must not end the build as a success
        call = "os._exit" if isinstance(exc, ProcessExit) else "sys.exit"
        line = line_in(exc, spec.file) or spec.line
        raise BuildError(location(spec.file, line, root), f"run '{spec.name}' called {call}({exc.code!r})",
                         "return from the run instead; a run cannot end the build") from None
    except BuildError:
        raise
    except Exception as exc:  # an author's code failed: point at their line
        line = line_in(exc, spec.file) or spec.line
        raise BuildError(location(spec.file, line, root),
                         f"run '{spec.name}' raised {type(exc).__name__}: {exc}",
                         "fix the experiment and rebuild") from None
    return rec.as_record(spec, seed)
