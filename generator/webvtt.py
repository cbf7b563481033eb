"""WebVTT, the captions and chapters format of the videos: written by the render stage
from a scene's `self.say(...)` and `self.chapter(...)` calls, read back by the pages stage
(chapter links and the transcript under each video)."""
from __future__ import annotations

import html
import re
from pathlib import Path


def write(cues: list[tuple[float, str]], duration: float) -> str:
    """WebVTT text: each cue lasts until the next one starts, the last until the end."""
    lines = ["WEBVTT", ""]
    for i, (start, text) in enumerate(cues):
        end = cues[i + 1][0] if i + 1 < len(cues) else duration
        if end <= start:
            continue
        lines += [str(i + 1), f"{_timestamp(start)} --> {_timestamp(end)}", cue_text(text), ""]
    return "\n".join(lines)


def cue_text(text: str) -> str:
    """A cue's text as WebVTT reads it: one line (a blank line would end the cue, a newline
    split a chapter title), and &, < and > escaped (WebVTT has tags, like <c> and <v>)."""
    text = " ".join(str(text).split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _timestamp(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def read(path: Path) -> list[tuple[float, float, str]]:
    """(start s, end s, text) of each cue of a WebVTT file written by the render stage."""
    cues = []
    for block in Path(path).read_text(encoding="utf-8").split("\n\n"):
        m = re.search(r"(\d+):(\d\d):(\d\d\.\d+) --> (\d+):(\d\d):(\d\d\.\d+)\n(.+)", block, re.S)
        if m:
            start = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
            end = int(m[4]) * 3600 + int(m[5]) * 60 + float(m[6])
            cues.append((start, end, html.unescape(" ".join(m[7].split()))))  # plain text again
    return cues
