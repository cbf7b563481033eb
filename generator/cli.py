"""The command line: `python -m generator build|serve|clean`. The Makefile wraps it."""
from __future__ import annotations

import argparse
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
    build.add_argument("--workers", type=int, default=2, help="parallel processes for training and rendering")

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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command == "build":
            return _build(root, args)
        if args.command == "serve":
            from generator import serve

            return serve.serve(root, port=args.port, quality=args.quality, watch=not args.no_watch)
        if args.command == "clean":
            return _clean(root / "build")
    except BuildError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return 1
    except OSError as exc:  # a read-only or full disk, a folder where a file should be...
        where = exc.filename or "build"
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
    result = build(BuildOptions(root, quality=args.quality, base_path=args.base_path, workers=args.workers),
                   progress)
    if args.why:
        print("\n".join(result.rebuilt) if result.rebuilt else "Nothing was rebuilt.")
    return 0
