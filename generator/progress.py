"""The progress display: stage, item, count and elapsed time while a build works.

On a terminal it rewrites one status line; elsewhere (CI logs, pipes) it prints one
line per item. Tests pass `Silent()`.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO = sys.stderr):
        self.stream = stream
        self.started = time.monotonic()
        self.live = stream.isatty()
        self._width = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def item(self, stage: str, name: str, index: int, total: int) -> None:
        self._show(f"[{stage}] {name} ({index}/{total}) {self.elapsed():.1f}s")

    def note(self, text: str) -> None:
        self._show(text)

    def _show(self, text: str) -> None:
        if self.live:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self, text: str) -> None:
        if self.live and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
        self.stream.write(text + "\n")
        self.stream.flush()


class Silent:
    def elapsed(self) -> float:
        return 0.0

    def item(self, stage: str, name: str, index: int, total: int) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def finish(self, text: str) -> None:
        pass
