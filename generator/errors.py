"""The one error type the build reports to authors.

Every problem an author can cause becomes a BuildError carrying *where* (a file and
line, or a run or scene name) and *what to do*. The CLI prints it as one line.
"""
from __future__ import annotations

from pathlib import Path


class BuildError(Exception):
    def __init__(self, where: str, problem: str, fix: str = ""):
        self.where = where
        self.problem = problem
        self.fix = fix
        super().__init__(self.one_line())

    def __reduce__(self):  # survives the trip back from a worker process
        return (BuildError, (self.where, self.problem, self.fix))

    def one_line(self) -> str:
        text = f"{self.where}: {self.problem}"
        if self.fix:
            text += f"; {self.fix}"
        # One line, always: authors grep for it and CI logs show it whole.
        return " ".join(text.split())


def location(path: Path | str, line: int | None = None, root: Path | None = None) -> str:
    """'content/01-x/lesson.md:12', relative to the project root when possible."""
    path = Path(path)
    if root is not None:
        try:
            path = path.resolve().relative_to(root.resolve())
        except ValueError:
            pass
    return f"{path}:{line}" if line else str(path)


def did_you_mean(name: str, options) -> str:
    """' (did you mean 'x'?)' for the closest of `options` to a misspelled `name`, or ''."""
    import difflib

    close = difflib.get_close_matches(name, [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def deepest_frame(exc: BaseException, accept) -> tuple[str, int] | None:
    """(file, line) of the deepest frame in the exception's traceback whose resolved file
    path `accept(path)` accepts: where the author's code failed."""
    import traceback

    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if accept(Path(frame.filename).resolve()):
            found = (frame.filename, frame.lineno)
    return found


def line_in(exc: BaseException, file: Path | str) -> int | None:
    """The deepest line of `file` in the exception's traceback."""
    found = deepest_frame(exc, lambda path: path == Path(file).resolve())
    return found[1] if found else None


def relative(path: Path, root: Path) -> str:
    """`path` relative to the project root when it lies inside it, for labels and messages."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
