"""What a lesson folder may name and what the build may write: a lesson can come from a
stranger's pull request, so its names are data to check, never paths to trust.

- Names (runs, widgets, scenes, artifacts) match strict patterns, so none can climb
  out of the folder it names a file in.
- Every path the build writes from such a name is resolved and checked to lie inside
  the folder it belongs to.
- build/ itself holds no symbolic link the build would follow: a link in the cache, the
  site versions or the lock is refused before anything is deleted or written.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from generator.errors import BuildError, relative

# A run's name is a Python identifier (it is its function's name) and names its record file.
RUN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Widgets and scenes name folders, files and page ids: letters, digits, '-' and '_'.
FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# A file a run saves: a plain name with one of the data suffixes below.
ARTIFACT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
# Data a reader may download. Never anything a browser runs or renders as a document
# (.js, .html, .svg, .xml...): those would be scripts of the site's own origin.
ARTIFACT_SUFFIXES = (".pt", ".pth", ".ckpt", ".safetensors", ".json", ".csv", ".tsv", ".npz", ".npy",
                     ".png", ".jpg", ".jpeg", ".webp", ".gif", ".txt")
# A lesson folder's name becomes a folder and a URL: keep it well under any file-name limit.
MAX_SLUG_LENGTH = 80


def artifact_problem(name: object) -> str | None:
    """Why `name` cannot be a file a run saves, or None if it can."""
    if not isinstance(name, str) or not ARTIFACT_NAME.fullmatch(name):
        return (f"artifact name {name!r} is not a plain file name (letters, digits, '.', '_' and '-', "
                "at most 100 characters)")
    if not name.lower().endswith(ARTIFACT_SUFFIXES):
        return (f"artifact '{name}' is not a data file a reader may download; use one of "
                f"{' '.join(ARTIFACT_SUFFIXES)}")
    return None


def inside(path: Path, folder: Path, where: str = "", what: str = "a file") -> Path:
    """`path` resolved, after checking it lies inside `folder` (else a BuildError)."""
    resolved = path.resolve()
    base = folder.resolve()
    if resolved != base and base not in resolved.parents:
        raise BuildError(where or str(path), f"{what} would be written to {resolved}, outside {base}",
                         "give it a plain name (letters, digits, '-' and '_')")
    return resolved


def shown(path: Path, root: Path) -> str:
    """`path` relative to the project without following links (a link's own name, not its target)."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _link_error(path: Path, root: Path) -> BuildError:
    return BuildError(shown(path, root), "is a symbolic link inside build/, which the build never follows",
                      "delete the link (rm, not rm -r), then build again")


def _real_children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []


def check_build_folder(out: Path, root: Path) -> None:
    """Refuse a symbolic link where the build deletes or writes: the lock, the cache's
    stage, name and entry folders, the site versions, the staging folders. (build/site
    itself is a link the build makes; it is checked where it is followed.)"""
    suspects = [out / ".lock", out / "cache", out / "sites", *out.glob(".staging-*")]
    for stage in _real_children(out / "cache") if not (out / "cache").is_symlink() else []:
        suspects.append(stage)
        if stage.is_symlink() or not stage.is_dir():
            continue
        for name in _real_children(stage):
            suspects.append(name)
            if name.is_dir() and not name.is_symlink():
                suspects += _real_children(name)
    if not (out / "sites").is_symlink():
        suspects += _real_children(out / "sites")
    for path in suspects:
        if path.is_symlink():
            raise _link_error(path, root)


def site_link_target(site: Path, out: Path, root: Path) -> Path | None:
    """Where build/site points, if it is a link into build/sites/; None if there is no site yet.
    A link anywhere else (or a plain folder) is refused: the build copies from it."""
    if not site.is_symlink() and not site.exists():
        return None
    target = site.resolve()
    versions = (out / "sites").resolve()
    if not site.is_symlink() or target.parent != versions or not target.is_dir():
        raise BuildError(shown(site, root), f"does not point to a site version in {relative(versions, root)}/ "
                         f"(it points to {target})", "delete it and run a full build: python -m generator build")
    return target


def open_no_follow(path: Path) -> int:
    """A file descriptor for reading and writing `path`, created if needed, never through a link."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if path.is_symlink():
            raise BuildError(str(path), "is a symbolic link; the lock file is never written through one",
                             "delete the link (rm), then build again") from None
        raise


def check_unique_embeds(lesson, root: Path) -> None:
    """Each widget (with its arguments) and each video at most once per page: the page
    gives each an id, and two elements with one id break links, labels and scripts."""
    from generator.errors import location
    from generator.export import embed_id

    seen: dict[str, int] = {}
    for embed in lesson.embeds:
        if embed.kind not in ("widget", "video"):
            continue
        anchor = f"widget-{embed_id(embed)}" if embed.kind == "widget" else f"video-{embed.name}"
        if anchor in seen:
            raise BuildError(location(lesson.source, embed.line, root),
                             f"{embed.kind} '{embed.name}' is embedded twice (also at line {seen[anchor]})",
                             f"show it once, and link back to it with [text](#{anchor})")
        seen[anchor] = embed.line
