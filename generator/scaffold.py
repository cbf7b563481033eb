"""`python -m generator new NN-slug "Title"`: a new lesson folder that builds at once.

The lesson is copied from templates/scaffold/ (real files an author can read and the
tests build), with three tokens replaced in every file: __SLUG__ (the folder's name),
__NUMBER__ (its two digits) and __TITLE__ (as a quoted YAML string). The copy holds one of each embed, one small
recorded run, a widget and a scene of the lesson's own, written to the contract in
docs/authoring.md, to change or delete.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from generator.errors import BuildError, location
from generator.lessons import LESSON_DIR
from generator.safety import MAX_SLUG_LENGTH


def scaffold_folder(root: Path) -> Path:
    return root / "templates" / "scaffold"


def new_lesson(root: Path, name: str, title: str) -> Path:
    """Create content/<name>/ from the scaffold. Refuses a bad name, a number already in
    use or planned, and an existing folder, changing nothing."""
    content = root / "content"
    match = LESSON_DIR.match(name)
    if not match:
        raise BuildError(name, "a lesson's name must look like 'NN-some-slug' (two digits, lowercase words "
                               "joined by '-')", 'e.g. python -m generator new 06-momentum "Momentum"')
    if len(name) > MAX_SLUG_LENGTH:
        raise BuildError(name[:40] + "...", f"a lesson's name is {len(name)} characters long, over the limit of "
                         f"{MAX_SLUG_LENGTH} (it names a folder and a URL)", "choose a shorter slug")
    if not title.strip() or "\n" in title:
        raise BuildError(name, "the title is empty or spans lines", 'give it in quotes: "A short title"')
    number = match["number"]
    target = content / name
    if target.exists():
        raise BuildError(location(target, None, root), "that folder exists already", "choose another name")
    for folder in sorted(content.glob(f"{number}-*")) if content.is_dir() else []:
        raise BuildError(location(folder, None, root), f"lesson number {number} is taken by {folder.name}",
                         "choose a free number")
    series = content / "series.yaml"
    planned = (yaml.safe_load(series.read_text(encoding="utf-8")) or {}).get("planned") or [] \
        if series.is_file() else []
    if any(isinstance(p, dict) and str(p.get("number", "")).zfill(2) == number for p in planned):
        raise BuildError(location(series, None, root), f"lesson {number} is listed under 'planned'",
                         "remove that entry first: a written lesson is no longer planned")
    source = scaffold_folder(root)
    if not source.is_dir():
        raise BuildError(location(source, None, root), "the scaffold folder is missing",
                         "restore templates/scaffold/ from the repository")
    # The title goes into YAML front matter: as a JSON string it is quoted whatever it holds.
    tokens = {"__SLUG__": name, "__NUMBER__": number, "__TITLE__": json.dumps(title.strip(), ensure_ascii=False)}
    staging = content / f".new-{name}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for path in sorted(source.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            out = staging / path.relative_to(source)
            out.parent.mkdir(parents=True, exist_ok=True)
            text = path.read_text(encoding="utf-8")
            for token, value in tokens.items():
                text = text.replace(token, value)
            out.write_text(text, encoding="utf-8")
        staging.rename(target)  # the lesson appears whole or not at all
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
