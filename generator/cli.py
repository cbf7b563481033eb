"""The command line: `python -m generator build|merge|serve|clean|new|widgets`. The Makefile wraps it."""
from __future__ import annotations

import argparse
import errno
import os
import shutil
import sys
from pathlib import Path

from generator.errors import BuildError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generator",
                                     description="Build the explainer site from content/, scenes/ and templates/.")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project folder (default: current folder)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="train, export, render and publish into build/site",
                                description="Build the site. Only what changed since the last build is redone.")
    build.add_argument("--quality", choices=("draft", "publish"), default="publish",
                       help="video quality: draft (480p15, quick) or publish (1080p30); default publish")
    build.add_argument("--why", action="store_true", help="list every output that was rebuilt and why")
    build.add_argument("--base-path", default=os.environ.get("SITE_BASE_PATH", "/"),
                       help="URL path the site is served from, e.g. /my-repo/ on GitHub Pages (default /)")
    build.add_argument("--site-url", default=os.environ.get("SITE_URL", ""),
                       help="absolute URL the site is published at, e.g. https://me.github.io/repo/; "
                            "needed for sitemap.xml, the Atom feed and social cards (left out without it)")
    _job_options(build)
    build.add_argument("--shard", metavar="K/N",
                       help="do only share K of N of the stale training and render jobs, into build/shard-K-of-N, "
                            "and publish nothing; 'merge' then combines the shares and publishes (CI)")
    build.add_argument("--lesson", metavar="NN",
                       help="build only this lesson's runs, videos and page; the rest of the site is kept "
                            "as the previous build published it")
    build.add_argument("--no-video", action="store_true",
                       help="render no video: the page shows a placeholder where each will be (for writing; "
                            "make site never does this)")

    merge = commands.add_parser("merge", help="combine the caches of sharded builds and publish the site",
                                description="Copy the entries each 'build --shard K/N' made into build/cache, "
                                            "then build and publish as 'build' does (every job a shard did is "
                                            "a cache hit).")
    merge.add_argument("shard_caches", nargs="*", type=Path, metavar="SHARD_CACHE",
                       help="folders written by 'build --shard K/N' (build/shard-K-of-N)")
    merge.add_argument("--quality", choices=("draft", "publish"), default="publish",
                       help="the quality the shards were built at (default publish)")
    merge.add_argument("--base-path", default=os.environ.get("SITE_BASE_PATH", "/"), help="as for build")
    merge.add_argument("--site-url", default=os.environ.get("SITE_URL", ""), help="as for build")
    merge.add_argument("--why", action="store_true", help="as for build")
    _job_options(merge)

    serve = commands.add_parser("serve", help="preview build/site on localhost, rebuilding on save",
                                description="Serve build/site with byte ranges (videos seek) and reload "
                                            "pages in the browser after each rebuild.")
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
    # Publish by default: the videos `make site` rendered are then reused, and an edit to
    # prose rebuilds in about a second instead of re-rendering every video at draft.
    serve.add_argument("--quality", choices=("draft", "publish"), default="publish",
                       help="video quality of rebuilds while serving (default publish, as make site)")
    serve.add_argument("--no-watch", action="store_true", help="serve only, never rebuild")

    commands.add_parser("clean", help="delete build/ (outputs and caches)",
                        description="Delete the build folder: the site, the caches and any leftovers.")

    new = commands.add_parser("new", help="start a lesson that builds at once: content/NN-slug/",
                              description="Copy templates/scaffold/ into content/NN-slug/: front matter, one "
                                          "of each embed, one small run, a widget and a scene of its own.")
    new.add_argument("name", help="the lesson folder's name, e.g. 06-momentum")
    new.add_argument("title", help='the lesson\'s title, e.g. "Momentum"')

    widgets = commands.add_parser("widgets", help="list the widgets: arguments and the fields they read",
                                  description="Print every built-in widget (and with --lesson, that lesson's "
                                              "own), its arguments and the record and data fields it reads.")
    widgets.add_argument("--lesson", metavar="NN", help="also list this lesson's own widgets")
    widgets.add_argument("--markdown", action="store_true", help="print Markdown (the catalogue in docs/authoring.md)")
    return parser


def _job_options(command: argparse.ArgumentParser) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    command.add_argument("--jobs", "-j", "--workers", dest="jobs", type=int, default=cores, metavar="N",
                         help=f"jobs (training runs, widget exports, renders) run at once, each in a worker "
                              f"process; default the cores available ({cores}); --workers is its old name")


def _shard(text: str | None) -> tuple[int, int] | None:
    """--shard K/N as (K, N); a malformed one is a one-line error like every bad option."""
    if text is None:
        return None
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise BuildError("--shard", f"'{text[:40]}' is not K/N", "give it like --shard 2/3") from None
    return k, n


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command in ("build", "merge"):
            return _build(root, args)
        if args.command == "serve":
            from generator import serve

            return serve.serve(root, port=args.port, quality=args.quality, watch=not args.no_watch)
        if args.command == "new":
            from generator.scaffold import new_lesson

            folder = new_lesson(root, args.name, args.title)
            print(f"Created {folder.relative_to(root)}/; build it with: python -m generator build "
                  f"--lesson {args.name[:2]} --quality draft")
            return 0
        if args.command == "widgets":
            return _widgets(root, args)
        if args.command == "clean":
            return _clean(root / "build")
    except BuildError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return 1
    except OSError as exc:  # a read-only or full disk, a folder where a file should be...
        where = exc.filename or "build"
        if exc.errno == errno.ENAMETOOLONG:
            print(f"error: {str(where)[:120]}...: file name too long; shorten the lesson, run, widget or scene "
                  "name it is made from", file=sys.stderr)
            return 1
        print(f"error: {where}: cannot read or write it ({exc.strerror or exc}); check that build/ is a "
              "writable folder with free space, or run 'make clean'", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; the previous site is untouched", file=sys.stderr)
        return 130
    return 2


def _clean(target: Path) -> int:
    """Delete build/ except its lock file, holding the lock: never under a running build."""
    from generator.build import build_lock

    if target.exists():
        with build_lock(target):
            for child in target.iterdir():
                if child.name == ".lock":
                    continue  # deleting a held lock file would let a second build take a new one
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    print(f"Removed {target}")
    return 0


def _build(root: Path, args: argparse.Namespace) -> int:
    from generator.build import BuildOptions, build
    from generator.progress import Progress

    progress = Progress()
    if args.command == "merge":
        options = BuildOptions(root, quality=args.quality, base_path=args.base_path, site_url=args.site_url,
                               workers=args.jobs, merge=tuple(p.resolve() for p in args.shard_caches))
    else:
        options = BuildOptions(root, quality=args.quality, base_path=args.base_path, site_url=args.site_url,
                               workers=args.jobs, lesson=args.lesson, videos=not args.no_video,
                               shard=_shard(args.shard))
    result = build(options, progress)
    if args.why:
        print("\n".join(result.rebuilt) if result.rebuilt else "Nothing was rebuilt.")
    return 0


def _widgets(root: Path, args: argparse.Namespace) -> int:
    from generator.lessons import find_lesson_folder
    from generator.widgets import catalogue, catalogue_markdown, catalogue_text

    folder = find_lesson_folder(root / "content", args.lesson, root) if args.lesson else None
    widgets = catalogue(root, folder)
    print(catalogue_markdown(widgets) if args.markdown else catalogue_text(widgets, root), end="")
    return 0
