"""Builds people can trust: reproducible, crash-safe, one at a time, and clear about bad input.

Every test works on a throwaway copy of the tiny fixture site (tests/fixtures/site) with
a one-second scene added (tests/fixtures/robust/tiny_dot.py), so a whole build with
training and videos takes a few seconds. Builds run as real `python -m generator`
processes, since the point is what survives a SIGKILL.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT, break_and_build, cli, fixture_project, tree_digest

LESSON = "content/01-tiny-lesson"
SLUG = "01-tiny-lesson"
ROBUST = ROOT / "tests" / "fixtures" / "robust"
ENV = dict(os.environ, SITE_COMMIT="0123456789abcdef", SITE_COMMIT_DATE="2026-01-02T03:04:05+00:00")


# --------------------------------------------------------------------------- helpers
def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def robust_project(destination: Path, *, scenes: tuple[str, ...] = ()) -> Path:
    """The tiny fixture site plus a video, with a run long enough (~1 s) to be caught training."""
    project = fixture_project(destination)
    shutil.copy(ROOT / "scenes" / "common.py", project / "scenes")
    shutil.copy(ROBUST / "tiny_dot.py", project / "scenes")
    for scene in scenes:  # real scenes, for checks that must hold for them too
        shutil.copy(ROOT / "scenes" / f"{scene.replace('-', '_')}.py", project / "scenes")
    edit(project / LESSON / "experiments.py", "epochs=30,", "epochs=2000,")
    lesson = project / LESSON / "lesson.md"
    # Links that resolve must stay accepted by the missing-file check.
    lesson.write_text(lesson.read_text() + "\n## A video\n\nBack to [the index](../index.html) or "
                      "[the widget](#the-widget); see also [an outside page](https://example.org/).\n\n"
                      "::: video tiny-dot | A circle is drawn.\n"
                      + "".join(f"\n::: video {scene} | A real scene.\n" for scene in scenes))
    return project


def build_command(project: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "generator", "--root", str(project), "build", "--quality", "draft", *extra]


def start_build(project: Path, log: Path, command: list[str] | None = None) -> subprocess.Popen:
    """A build in its own process group (so a kill reaches its worker processes too)."""
    with open(log, "ab") as out:
        return subprocess.Popen(command or build_command(project), cwd=ROOT, env=ENV, stdout=out, stderr=out,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def wait_for(condition, proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    """Poll until `condition()` holds; fail if the build ends first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the build ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.005)


def kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def framemd5(video: Path) -> str:
    """The decoded frames' checksums: equal videos, whatever the container bytes say."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-map", "0:v", "-f", "framemd5", "-"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return "\n".join(line for line in out.split("\n") if line and not line.startswith("#"))


def site_fingerprint(site: Path) -> dict[str, str]:
    """Path -> bytes hash, or for videos the hash of their decoded frames."""
    site = site.resolve()
    prints = {}
    for path in sorted(site.rglob("*")):
        if path.is_file():
            rel = str(path.relative_to(site))
            prints[rel] = (hashlib.sha256(framemd5(path).encode()).hexdigest() if path.suffix in (".mp4", ".webm")
                           else hashlib.sha256(path.read_bytes()).hexdigest())
    return prints


def incomplete_entries(cache: Path) -> list[str]:
    """Entry folders a lookup could find that lack entry.json (none may exist)."""
    return [str(p) for p in cache.glob("*/*/*") if p.is_dir() and not p.name.startswith(".")
            and not (p / "entry.json").is_file()]


def leftovers(out: Path) -> list[str]:
    return [str(p) for p in [*out.glob(".staging-*"), *out.glob(".site-link-*"), *out.glob("cache/*/*/.tmp-*")]]


# --------------------------------------------------------------------------- reproducible
def test_two_clean_builds_are_identical(tmp_path):
    """`make clean && make site` twice, in two folders: same bytes, same video frames."""
    first = robust_project(tmp_path / "a")
    second = tmp_path / "b"
    shutil.copytree(first, second)
    for project in (first, second):
        result = cli(project, "build", "--quality", "draft")
        assert result.returncode == 0, result.stderr
    a, b = site_fingerprint(first / "build" / "site"), site_fingerprint(second / "build" / "site")
    assert sorted(a) == sorted(b)
    assert any(name.endswith(".mp4") for name in a), "no video was built: the test would prove nothing"
    differ = [name for name in a if a[name] != b[name]]
    assert not differ, f"these differ between two clean builds: {differ}"


# --------------------------------------------------------------------------- crash-safe
SLOW_PAGES = """
import sys, time
import generator.pages as pages
original = pages.PageRenderer.render_index
def render_index(self, *args):
    time.sleep(60)  # hold the build inside page writing so the test can kill it there
    return original(self, *args)
pages.PageRenderer.render_index = render_index
from generator.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_killed_builds_leave_the_site_and_cache_sound(tmp_path):
    project = robust_project(tmp_path / "p")
    out = project / "build"
    result = cli(project, "build", "--quality", "draft")
    assert result.returncode == 0, result.stderr
    site = out / "site"
    before, link_before = tree_digest(site), os.readlink(site)

    def staged_lesson() -> bool:
        return any(out.glob(f".staging-*/{SLUG}/index.html"))

    phases = [
        # (phase, an edit that makes that stage stale, the sign the build is inside it, command)
        # Real edits: a comment changes no syntax tree, so it would retrain and re-render nothing.
        ("training", (LESSON + "/experiments.py", "epochs=2000,", "epochs=2001,"),
         lambda: any(out.glob("cache/record/*/.tmp-*")), None),
        ("rendering", ("scenes/tiny_dot.py", "run_time=0.6", "run_time=0.7"),
         lambda: any(out.glob("cache/render/*/.tmp-*")), None),
        ("writing pages", (LESSON + "/lesson.md", "## The formula", "## The formula, edited"),
         staged_lesson, [sys.executable, "-c", SLOW_PAGES, *build_command(project)[3:]]),
    ]
    logs = []
    for phase, (file, old, new), inside, command in phases:
        edit(project / file, old, new)
        logs.append(tmp_path / f"{phase}.log")
        proc = start_build(project, logs[-1], command)
        wait_for(inside, proc, f"the build reached {phase}")
        kill(proc)
        assert os.readlink(site) == link_before, f"killed while {phase}: build/site was switched"
        assert tree_digest(site) == before, f"killed while {phase}: the previous site changed"
        assert not incomplete_entries(out / "cache"), f"killed while {phase}: a half-written entry looks complete"
    # The builds after each kill redid the work it cut short: nothing half-done was served. The
    # scene reads no record, so it renders while the runs train: the second kill may cut the
    # retraining short again, and then the third build redoes it.
    assert "[train] tiny" in logs[1].read_text() + logs[2].read_text(), "the training cut short was not redone"
    assert "[render] tiny-dot" in logs[2].read_text(), "the rendering cut short was not redone"

    # The next build succeeds, rebuilds the site, and cleans up after the killed ones.
    result = cli(project, "build", "--quality", "draft", "--why")
    assert result.returncode == 0, result.stderr
    assert "site:" in result.stdout, result.stdout
    assert not leftovers(out), leftovers(out)

    # ...and its site equals a clean build of the same sources.
    clean = tmp_path / "clean"
    shutil.copytree(project, clean, ignore=shutil.ignore_patterns("build"))
    result = cli(clean, "build", "--quality", "draft")
    assert result.returncode == 0, result.stderr
    assert site_fingerprint(site) == site_fingerprint(clean / "build" / "site")


KILL_BEFORE_COMMIT = """
import os, signal, sys
from pathlib import Path
from generator.cache import Cache
pending = Cache(Path(sys.argv[1])).begin("runs", "lesson", {"input": "1"})
(pending.folder / "record.json").write_text('{"half": ')  # cut short mid-write
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_an_entry_cut_short_is_never_served(tmp_path):
    from generator.cache import Cache

    cache_dir = tmp_path / "cache"
    proc = subprocess.run([sys.executable, "-c", KILL_BEFORE_COMMIT, str(cache_dir)], cwd=ROOT, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    cache = Cache(cache_dir)
    assert list((cache_dir / "runs" / "lesson").glob(".tmp-*")), "the killed writer left no temporary folder"
    assert cache.lookup("runs", "lesson", {"input": "1"}) is None
    # A finished entry is found; the killed one's leftovers are pruned.
    pending = cache.begin("runs", "lesson", {"input": "1"})
    (pending.folder / "record.json").write_text("{}")
    entry = pending.commit()
    assert Cache(cache_dir).lookup("runs", "lesson", {"input": "1"}).folder == entry.folder
    cache.prune()
    assert [p.name for p in (cache_dir / "runs" / "lesson").iterdir() if p.is_dir()] == [entry.key]


# --------------------------------------------------------------------------- one build at a time
def test_a_second_build_stops_with_a_message_and_output_never_interleaves(tmp_path):
    project = robust_project(tmp_path / "p")
    log = tmp_path / "shared.log"  # both builds write to one file, as to one terminal
    first = start_build(project, log)
    lock = project / "build" / ".lock"
    wait_for(lambda: lock.is_file() and lock.read_text().strip() == str(first.pid), first, "the lock was taken")
    started = time.monotonic()
    with open(log, "ab") as out:
        second = subprocess.run(build_command(project), cwd=ROOT, env=ENV, stdout=out, stderr=out, timeout=60)
    assert time.monotonic() - started < 20, "the second build waited instead of stopping"
    assert first.poll() is None, "the first build ended before the second started: nothing was tested"
    assert first.wait(timeout=300) == 0, log.read_text()
    assert second.returncode != 0
    text = log.read_text()
    message = f"error: {lock}: another build is running (pid {first.pid}); wait for it to finish, then build again"
    lines = text.rstrip("\n").split("\n")
    assert lines.count(message) == 1, text
    # Every other line is one of the first build's own, whole.
    own = re.compile(r"^(\[[\w-]+\] [^\[\]]+ \(\d+/\d+\) [\d.]+s"
                     r"|\[jobs\] running [^\[\]]+; \d+ waiting \(\d+ on records\); about \d+s left"
                     r"|Built \S+ in [\d.]+s)$")
    assert all(own.match(line) for line in lines if line != message), text
    assert (project / "build" / "site" / SLUG / "index.html").is_file()


# --------------------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def good_project(tmp_path_factory) -> Path:
    project = robust_project(tmp_path_factory.mktemp("robust") / "p")
    result = cli(project, "build", "--quality", "draft")
    assert result.returncode == 0, result.stderr
    return project


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().split("\n"), 1) if text in line)


def widget_bad_argument(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "run=tiny |", "run=tiny speed=2 |")
    n = line_of(p / LESSON / "lesson.md", "speed=2")
    return rf"{LESSON}/lesson\.md:{n}: widget 'overfit-player' has no argument 'speed'; it takes: run"


def embed_argument_not_key_value(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "::: video tiny-dot |", "::: video tiny-dot loop |")
    n = line_of(p / LESSON / "lesson.md", "tiny-dot loop")
    return rf"{LESSON}/lesson\.md:{n}: embed argument 'loop' is not key=value"


def video_unknown_argument(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "::: video tiny-dot |", "::: video tiny-dot loop=yes |")
    n = line_of(p / LESSON / "lesson.md", "loop=yes")
    return rf"{LESSON}/lesson\.md:{n}: video embed takes no arguments, got loop"


def code_unknown_argument(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "region=model |", "region=model lines=3 |")
    n = line_of(p / LESSON / "lesson.md", "lines=3")
    return rf"{LESSON}/lesson\.md:{n}: code embed has unknown argument\(s\) \['lines'\]"


def scene_syntax_error(p: Path) -> str:
    edit(p / "scenes" / "tiny_dot.py", "    def construct(self) -> None:", "    def construct(self) -> None\n")
    n = line_of(p / "scenes" / "tiny_dot.py", "def construct")
    return rf"scenes/tiny_dot\.py:{n}: scene 'tiny-dot' has a syntax error"


def missing_image(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "## The widget", "![A diagram](diagram.png)\n\n## The widget")
    n = line_of(p / LESSON / "lesson.md", "diagram.png")
    return rf"{LESSON}/lesson\.md:{n}: 'diagram\.png' points to no file of the built site"


def missing_link(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "## The snippet", "Read [the next one](../02-later/) first.\n\n## The snippet")
    n = line_of(p / LESSON / "lesson.md", "02-later")
    return rf"{LESSON}/lesson\.md:{n}: '\.\./02-later/' points to no file of the built site"


# Region and config-type mistakes are covered by tests/test_errors.py.
@pytest.mark.parametrize("breakage", [widget_bad_argument, embed_argument_not_key_value, video_unknown_argument,
                                      code_unknown_argument, scene_syntax_error, missing_image, missing_link])
def test_bad_input_is_one_line_naming_file_and_line(good_project, tmp_path, breakage):
    project, _ = break_and_build(good_project, tmp_path, breakage)
    assert not leftovers(project / "build")


# --------------------------------------------------------------------------- nothing outside a lesson
def symlink_to_a_secret(p: Path) -> str:
    """An unreferenced link in a lesson folder must not publish what it points to."""
    secret = p.parent / "secret.txt"
    secret.write_text("password")
    (p / LESSON / "leak.pdf").symlink_to(secret)
    return rf"{LESSON}/leak\.pdf: is a symbolic link or not a regular file; only regular files inside the lesson"


def symlinked_image_folder(p: Path) -> str:
    (p.parent / "elsewhere").mkdir()
    (p.parent / "elsewhere" / "x.png").write_bytes(b"\x89PNG")
    (p / LESSON / "images").symlink_to(p.parent / "elsewhere")
    return rf"{LESSON}/images: is a symbolic link"


def run_saves_a_link(p: Path) -> str:
    edit(p / LESSON / "experiments.py", "    rec.fact(final_val_loss",
         "    import os; os.symlink('/etc/hostname', rec.artifact('weights.pt'))\n    rec.fact(final_val_loss")
    return rf"{LESSON}/experiments\.py: run 'tiny' saved 'weights\.pt', which is not a regular file"


@pytest.mark.parametrize("breakage", [symlink_to_a_secret, symlinked_image_folder, run_saves_a_link])
def test_links_are_refused_and_files_are_copied(good_project, tmp_path, breakage):
    project, _ = break_and_build(good_project, tmp_path, breakage)
    site = (project / "build" / "site").resolve()
    assert not any(p.is_symlink() for p in site.rglob("*"))
    assert "password" not in "".join(p.read_text(errors="replace") for p in site.rglob("*") if p.is_file())


def test_published_files_share_nothing_with_the_cache(good_project):
    """Copies, not hard links: damage to the cache (or content) can never reach the live site."""
    site = (good_project / "build" / "site").resolve()
    files = [p for p in site.rglob("*") if p.is_file()]
    assert any(p.suffix == ".mp4" for p in files) and any(p.name.endswith(".json") for p in files)
    shared = [str(p) for p in files if p.stat().st_nlink > 1 or p.is_symlink()]
    assert not shared, shared


# --------------------------------------------------------------------------- the cache checks itself
def only_entry(cache: Path, stage: str) -> Path:
    entries = [p for p in cache.glob(f"{stage}/*/*") if p.is_dir() and (p / "entry.json").is_file()]
    assert len(entries) == 1, entries
    return entries[0]


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


@pytest.mark.parametrize("stage, damage, redone", [
    ("export", lambda entry: truncate(entry / "data.json"), "[export]"),
    ("record", lambda entry: truncate(entry / "tiny.json"), "[train] tiny"),
    ("export", lambda entry: (entry / "figure-dark.png").unlink(), "[export]"),
])
def test_a_damaged_cache_entry_is_rebuilt_with_a_warning(good_project, tmp_path, stage, damage, redone):
    project = tmp_path / "p"
    shutil.copytree(good_project, project, symlinks=True)
    site = project / "build" / "site"
    # Data and figures from the cache; Pagefind's index of the edited prose changes, rightly.
    published = {p.name: p.read_bytes() for p in site.resolve().rglob("*") if p.suffix in (".json", ".png")
                 and "pagefind" not in p.parts}
    entry = only_entry(project / "build" / "cache", stage)
    damage(entry)
    # An edit to the prose makes the site be published again, from the repaired entry.
    edit(project / LESSON / "lesson.md", "## The formula", "## The formula, again")
    result = cli(project, "build", "--quality", "draft")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.split("\n") if line.startswith("warning:")]
    assert len(warnings) == 1 and re.fullmatch(
        rf"warning: cache entry {stage}/{SLUG}\S* is damaged \(.+\); rebuilding it", warnings[0]), result.stderr
    assert redone in result.stderr, result.stderr
    after = {p.name: p.read_bytes() for p in site.resolve().rglob("*") if p.suffix in (".json", ".png")
             and "pagefind" not in p.parts}
    assert after == published
    assert only_entry(project / "build" / "cache", stage).name == entry.name
    again = cli(project, "build", "--quality", "draft")
    assert again.returncode == 0 and "warning" not in again.stderr, again.stderr


def test_leftovers_of_killed_builds_go_even_when_there_is_nothing_to_do(good_project, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(good_project, project, symlinks=True)
    out = project / "build"
    (out / "cache" / "record" / f"{SLUG}__tiny" / ".tmp-0123-99999").mkdir()
    (out / "cache" / "record" / f"{SLUG}__tiny" / ".tmp-0123-99999" / "tiny.json").write_text("{")
    (out / ".staging-99999").mkdir()
    assert leftovers(out)
    result = cli(project, "build", "--quality", "draft")
    assert result.returncode == 0, result.stderr
    assert "nothing to do" in result.stderr
    assert not leftovers(out), leftovers(out)


# --------------------------------------------------------------------------- time limits
def run_over_its_time_limit(p: Path) -> str:
    path = p / LESSON / "experiments.py"
    path.write_text(path.read_text() + "\n\n@run(seed=0, timeout=0.5)\ndef slow(rec, *, seed: int) -> None:\n"
                    "    import time\n    time.sleep(60)\n")
    n = line_of(path, "timeout=0.5")
    return rf"{LESSON}/experiments\.py:{n}: run 'slow' did not finish within its 0\.5 s time limit; .*@run\(timeout="


def run_with_a_bad_time_limit(p: Path) -> str:
    edit(p / LESSON / "experiments.py", "@run(seed=0, epochs=", "@run(seed=0, timeout=-1, epochs=")
    return rf"{LESSON}/experiments\.py:\d+: run 'tiny': timeout -1 is not a number of seconds"


def scene_over_its_time_limit(p: Path) -> str:
    edit(p / "scenes" / "tiny_dot.py", "\nclass TinyDot", "\nTIMEOUT = 0.2\n\n\nclass TinyDot")
    return r"scenes/tiny_dot\.py: scene 'tiny-dot' \((light|dark)(, (light|dark))*\) did not finish rendering within its 0\.2 s " \
           r"time limit; .*TIMEOUT = SECONDS"


def scene_with_a_bad_time_limit(p: Path) -> str:
    edit(p / "scenes" / "tiny_dot.py", "\nclass TinyDot", "\nTIMEOUT = 'long'\n\n\nclass TinyDot")
    n = line_of(p / "scenes" / "tiny_dot.py", "TIMEOUT =")
    return rf"scenes/tiny_dot\.py:{n}: scene 'tiny-dot': timeout 'long' is not a number of seconds"


@pytest.mark.parametrize("breakage", [run_over_its_time_limit, run_with_a_bad_time_limit, scene_over_its_time_limit,
                                      scene_with_a_bad_time_limit])
def test_runs_and_scenes_have_time_limits(good_project, tmp_path, breakage):
    project, _ = break_and_build(good_project, tmp_path, breakage)
    assert not leftovers(project / "build")


# --------------------------------------------------------------------------- no process outlives its build
SLOW_RUNS = """

@run(seed=0)
def slow_a(rec, *, seed: int) -> None:
    import time
    for step in range(1200):  # a minute, in small steps like a training loop
        time.sleep(0.05)
    rec.fact(steps=step)


@run(seed=1)
def slow_b(rec, *, seed: int) -> None:
    import time
    for step in range(1200):
        time.sleep(0.05)
    rec.fact(steps=step)
"""


def session_processes(session: int) -> list[str]:
    """'pid command' of every live process in a session (the build was started as its leader)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == session:
            found.append(f"{stat.parent.name} {text.split('(', 1)[1].rsplit(')', 1)[0]}")
    return found


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_build_stopped_while_training_leaves_no_process(tmp_path, signum):
    """The signal goes to the build process alone, not its group: its workers must follow it."""
    project = robust_project(tmp_path / "p")
    path = project / LESSON / "experiments.py"
    path.write_text(path.read_text() + SLOW_RUNS)
    log = tmp_path / "build.log"
    proc = start_build(project, log)
    wait_for(lambda: any(project.glob("build/cache/record/*/.tmp-*")) and len(session_processes(proc.pid)) >= 3,
             proc, "the workers were training")
    time.sleep(1)  # well inside the runs
    os.kill(proc.pid, signum)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"the build did not stop within 20 s of signal {signum}")
    deadline = time.monotonic() + 10
    while session_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = session_processes(proc.pid)
    if left:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not left, f"processes outlived the build: {left}"
    if signum == signal.SIGINT:  # Ctrl-C: one line, no worker's traceback
        assert proc.returncode == 130
        lines = [line for line in log.read_text().strip().split("\n") if line and not line.startswith("[")]
        assert lines == ["error: interrupted; the previous site is untouched"], log.read_text()
    # The lock went with the build: the next build may take it.
    import fcntl

    with open(project / "build" / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_clean_waits_for_no_build_and_keeps_the_lock(tmp_path):
    project = robust_project(tmp_path / "p")
    path = project / LESSON / "experiments.py"
    path.write_text(path.read_text().replace("epochs=2000,", "epochs=30,") + SLOW_RUNS.replace("1200", "100"))
    out = project / "build"
    log = tmp_path / "build.log"
    proc = start_build(project, log)
    wait_for(lambda: any(out.glob("cache/record/*/.tmp-*")), proc, "the build was training")
    result = cli(project, "clean")
    assert result.returncode != 0
    assert result.stderr.strip().split("\n") == [
        f"error: {out / '.lock'}: another build is running (pid {proc.pid}); wait for it to finish, then build again"]
    assert proc.wait(timeout=300) == 0, log.read_text()
    assert (out / "site" / SLUG / "index.html").is_file()
    result = cli(project, "clean")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in out.iterdir()] == [".lock"]


# --------------------------------------------------------------------------- a hostile or careless lesson
# A lesson folder may come from a stranger's pull request. Each case below is a reproduction
# from a fuzz pass: the build must stop with one line, keep the previous site, and write or
# delete nothing outside the project (a sentinel folder beside it is checked).
def sentinel_folder(scratch: Path) -> Path:
    outside = scratch / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "keep.txt").write_text("keep")
    (outside / "sub" / "data.bin").write_bytes(b"\x00data")
    return outside


def folder_state(folder: Path) -> dict[str, str]:
    """Every path under `folder` (links not followed), with its bytes' hash or its link target."""
    state = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        state[rel] = ("link:" + os.readlink(path) if path.is_symlink() else "dir" if path.is_dir()
                      else hashlib.sha256(path.read_bytes()).hexdigest())
    return state


def hostile_build(good_project: Path, scratch: Path, breakage, *build_args: str) -> tuple[Path, str]:
    """break_and_build, and nothing outside the project written or deleted."""
    outside = sentinel_folder(scratch)
    before = folder_state(outside)
    project, line = break_and_build(good_project, scratch, breakage, *build_args)
    assert folder_state(outside) == before, "something outside the project was written or deleted"
    assert not leftovers(project / "build")
    return project, line


def append_run(p: Path, source: str) -> int:
    """Add code to the lesson's experiments.py; returns the line it starts at."""
    path = p / LESSON / "experiments.py"
    start = len(path.read_text().split("\n")) + 2
    path.write_text(path.read_text() + "\n\n" + source)
    return start


def in_tiny_run(p: Path, code: str) -> int:
    """Put `code` into the run 'tiny', before its facts; returns the line of its first statement."""
    path = p / LESSON / "experiments.py"
    edit(path, "    rec.fact(final_val_loss", "".join(f"    {line}\n" for line in code.split("\n"))
         + "    rec.fact(final_val_loss")
    return line_of(path, code.split("\n")[0])


# 1. names and paths
def run_name_climbs_out(p: Path) -> str:
    line = append_run(p, "def _evil(rec, *, seed: int) -> None:\n    rec.fact(x=1)\n\n\n"
                         "_evil.__name__ = '../../../../../../outside/evilrun'\nevil = run(seed=0)(_evil)\n")
    return rf"{LESSON}/experiments\.py:{line}: run name '\.\./\.\./\.\./\.\./\.\./\.\./outside/evilrun' is not a " \
           r"Python identifier"


def cache_links_out(p: Path) -> str:
    (p / "build" / "cache" / "export" / "victimlink").symlink_to(p.parent / "outside")
    edit(p / LESSON / "lesson.md", "## The formula", "## The formula, edited")  # a full build with pruning
    return r"build/cache/export/victimlink: is a symbolic link inside build/, which the build never follows"


def lock_links_out(p: Path) -> str:
    (p / "build" / ".lock").unlink()
    (p / "build" / ".lock").symlink_to(p.parent / "outside" / "keep.txt")
    return r"build/\.lock: is a symbolic link; the lock file is never written through one"


def artifact_name_climbs_out(p: Path) -> str:
    n = in_tiny_run(p, "open(rec.artifact('../../../outside/w.pt'), 'wb').write(b'x')")
    return rf"{LESSON}/experiments\.py:{n}: run 'tiny' raised ValueError: artifact name '\.\./\.\./\.\./outside/w\.pt' " \
           r"is not a plain file name"


# 2. what a lesson may publish
def artifact_is_a_script(suffix: str):
    def breakage(p: Path) -> str:
        n = in_tiny_run(p, f"open(rec.artifact('evil{suffix}'), 'w').write('alert(1)')")
        edit(p / LESSON / "lesson.md", "## The widget", f'<script src="downloads/tiny/evil{suffix}"></script>\n\n'
             "## The widget")
        return rf"{LESSON}/experiments\.py:{n}: run 'tiny' raised ValueError: artifact 'evil\{suffix}' is not a " \
               r"data file a reader may download"
    breakage.__name__ = f"artifact_is_{suffix[1:]}"
    return breakage


def raw_html(markdown: str, problem: str, name: str, at: str | None = None):
    """`markdown` written into lesson.md; the error must point at its line (the one with `at`)."""
    def breakage(p: Path) -> str:
        edit(p / LESSON / "lesson.md", "## The widget", f"Some text.\n\n{markdown}\n\n## The widget")
        n = line_of(p / LESSON / "lesson.md", at or markdown.split("\n")[0])
        return rf"{LESSON}/lesson\.md:{n}: {problem}"
    breakage.__name__ = name
    return breakage


RAW_HTML = [
    raw_html('<meta http-equiv="refresh" content="0;url=https://example.org/">',
             r"raw HTML <meta> is not allowed in a lesson", "meta_refresh"),
    raw_html("<script>alert(1)</script>", r"raw HTML <script> is not allowed", "script_tag"),
    raw_html('<p>A figure <img src="diagram.svg" alt="x" onerror="alert(1)"></p>',
             r"attribute 'onerror' on <img> is not allowed", "event_handler"),
    raw_html('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>', r"raw HTML <iframe> is not allowed",
             "iframe_srcdoc"),
    raw_html("Read [this](javascript:alert(1)).", r"link to 'javascript:alert\(1\)' is refused", "javascript_link"),
    raw_html('<a href="data:text/html;base64,PHNjcmlwdD4=">this</a>', r"link to 'data:text/html;base64,PHNjcmlwdD4=' "
             r"is refused", "data_link"),
    raw_html("![A tracker](https://example.org/pixel.png)", r"'https://example\.org/pixel\.png' is not a file of this "
             r"site; the published site makes no request to another site", "third_party_image"),
    raw_html('<p><img src="//example.org/pixel.png" alt="x"></p>', r"'//example\.org/pixel\.png' is not a file of "
             r"this site", "protocol_relative_image"),
    raw_html('<link rel="stylesheet" href="https://example.org/x.css">', r"raw HTML <link> is not allowed",
             "third_party_stylesheet"),
    raw_html('A paragraph with a handler.\n{: onclick="alert(1)" }', r"attribute 'onclick' on <p> is not allowed",
             "attribute_list_handler", at="{: onclick"),
    raw_html("<!--> <img src=x onerror=alert(1)> -->", r"(raw HTML here does not survive the sanitiser unchanged|"
             r"attribute 'onerror' on <img> is not allowed)", "comment_trick"),
]


def reference_url_runs_script(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "url: https://example.org/papers/a-rather-long-path/with-several-parts.html",
         "url: javascript:alert(1)")
    n = line_of(p / LESSON / "lesson.md", "url: javascript")
    return rf"{LESSON}/lesson\.md:{n}: reference url 'javascript:alert\(1\)': link to 'javascript:alert\(1\)' is refused"


def bad_citation(key: str):
    def breakage(p: Path) -> str:
        edit(p / LESSON / "lesson.md", "## The widget", f"As shown {key}.\n\n## The widget")
        n = line_of(p / LESSON / "lesson.md", f"As shown {key}")
        return rf"{LESSON}/lesson\.md:{n}: citation {re.escape(key)} is not a reference key"
    breakage.__name__ = "bad_citation_" + re.sub(r"\W", "_", key)
    return breakage


# 3. inputs to the CLI
def base_path(value: str):
    def breakage(p: Path) -> str:
        return r"--base-path: base path '.*' is not a URL path of plain segments"
    return breakage, ("--base-path", value)


def workers(value: str):
    def breakage(p: Path) -> str:
        return rf"--jobs: {value} is not a number of worker processes; give a whole number of at least 1"
    return breakage, ("--workers", value)


def shard(value: str, problem: str):
    def breakage(p: Path) -> str:
        return rf"--shard: {problem}"
    return breakage, ("--shard", value)


# 4. containment
def run_calls_sys_exit(p: Path) -> str:
    n = in_tiny_run(p, "import sys; sys.exit(0)")
    return rf"{LESSON}/experiments\.py:{n}: run 'tiny' called sys\.exit\(0\); return from the run instead"


def run_calls_os_exit(p: Path) -> str:
    n = in_tiny_run(p, "import os; os._exit(3)")
    return rf"{LESSON}/experiments\.py:{n}: run 'tiny' called os\._exit\(3\)"


def run_kills_its_worker(p: Path) -> str:
    in_tiny_run(p, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    return rf"{LESSON}/experiments\.py: a worker process died while running run 'tiny' \(a crash, or it was killed\)"


def scene_kills_its_worker(p: Path) -> str:
    edit(p / "scenes" / "tiny_dot.py", "        self.wait(0.4)",
         "        self.wait(0.4)\n        import os, signal\n        os.kill(os.getpid(), signal.SIGKILL)")
    return r"scenes/tiny_dot\.py: a worker process died while running (scene|one of the scenes) 'tiny-dot'"


def import_calls_sys_exit(p: Path) -> str:
    line = append_run(p, "import sys\nsys.exit(0)\n")
    return rf"{LESSON}/experiments\.py:{line + 1}: importing experiments called sys\.exit\(0\)"


def widget(p: Path) -> Path:
    return p / "templates" / "widgets" / "overfit-player" / "widget.py"


def export_calls(code: str, call: str):
    def breakage(p: Path) -> str:
        edit(widget(p), "def export(records, args):\n", f"def export(records, args):\n    {code}\n")
        edit(p / LESSON / "lesson.md", "## The formula", "## The formula, edited")
        n = line_of(widget(p), code)
        return rf"{LESSON}/lesson\.md:\d+: widget 'overfit-player' export\(\) called {call} \(at overfit-player/" \
               rf"widget\.py:{n}\)"
    breakage.__name__ = "export_calls_" + call.split("(")[0].replace("\\", "").replace(".", "_")
    return breakage


def import_sleeps(p: Path) -> str:
    append_run(p, "import time\ntime.sleep(3600)\n")
    return rf"{LESSON}/experiments\.py: importing experiments took over 2 s; do slow work inside a run"


def run_leaves_a_thread(p: Path) -> str:
    in_tiny_run(p, "import threading, time\nthreading.Thread(target=time.sleep, args=(3600,), name='forever').start()")
    return rf"{LESSON}/experiments\.py:\d+: run 'tiny' left thread\(s\) running after it returned: forever"


# 5. duplicates
def duplicate_run(p: Path) -> str:
    line = append_run(p, "@run(seed=1)\ndef tiny(rec, *, seed: int) -> None:\n    rec.fact(epochs=1)\n")
    first = line_of(p / LESSON / "experiments.py", "@run(seed=0, epochs=")
    return rf"{LESSON}/experiments\.py:{line}: run 'tiny' is declared twice \(also at line {first}\)"


def duplicate_embed(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "## The snippet", "::: widget overfit-player run=tiny | Again.\n\n## The snippet")
    first = line_of(p / LESSON / "lesson.md", "::: widget overfit-player run=tiny | A tiny run.")
    second = line_of(p / LESSON / "lesson.md", "| Again.")
    return rf"{LESSON}/lesson\.md:{second}: widget 'overfit-player' is embedded twice \(also at line {first}\)"


def empty_scene(p: Path) -> str:
    path = p / "scenes" / "tiny_dot.py"
    path.write_text(path.read_text().split("    def construct(self) -> None:")[0]
                    + "    def construct(self) -> None:\n        pass\n")
    return r"scenes/tiny_dot\.py: scene 'tiny-dot' drew nothing: its construct\(\) played no animation"


HOSTILE = [run_name_climbs_out, cache_links_out, lock_links_out, artifact_name_climbs_out,
           artifact_is_a_script(".js"), artifact_is_a_script(".html"), artifact_is_a_script(".svg"),
           *RAW_HTML, reference_url_runs_script,
           bad_citation("[@]"), bad_citation("[@../../x]"), bad_citation('[@a"><script>]'),
           run_calls_sys_exit, run_calls_os_exit, import_calls_sys_exit, run_kills_its_worker, scene_kills_its_worker,
           export_calls("import sys; sys.exit(0)", r"sys\.exit\(0\)"), export_calls("import os; os._exit(3)",
                                                                                 r"os\._exit\(3\)"),
           run_leaves_a_thread, duplicate_run, duplicate_embed, empty_scene]


@pytest.mark.parametrize("breakage", HOSTILE, ids=lambda b: b.__name__)
def test_a_hostile_lesson_is_one_line_and_harms_nothing(good_project, tmp_path, breakage):
    hostile_build(good_project, tmp_path, breakage)


def test_a_module_that_hangs_at_import_is_stopped(good_project, tmp_path, monkeypatch):
    monkeypatch.setenv("GENERATOR_IMPORT_TIMEOUT", "2")
    hostile_build(good_project, tmp_path, import_sleeps)


@pytest.mark.parametrize("breakage, args", [base_path("/x/</style><script>alert(1)</script>"), base_path("../../"),
                                            base_path("/a b/"), workers("0"), workers("-5"),
                                            shard("4/3", r"shard 4/3 does not exist; give K/N with 1 <= K <= N"),
                                            shard("two", r"'two' is not K/N; give it like --shard 2/3")],
                         ids=["base-path-markup", "base-path-climbs", "base-path-space", "workers-0", "workers-minus",
                              "shard-beyond-n", "shard-not-k-of-n"])
def test_bad_build_options_are_one_line(good_project, tmp_path, breakage, args):
    hostile_build(good_project, tmp_path, breakage, *args)


def test_lesson_build_refuses_a_site_link_out_of_build(good_project, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(good_project, project, symlinks=True)
    outside = sentinel_folder(tmp_path)
    (outside / SLUG).mkdir()
    (outside / SLUG / "index.html").write_text("not ours")
    versions = folder_state(project / "build" / "sites")
    before = folder_state(outside)
    (project / "build" / "site").unlink()
    (project / "build" / "site").symlink_to(outside)
    result = cli(project, "build", "--quality", "draft", "--lesson", "01")
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().split("\n") if line and not line.startswith("[")]
    assert len(lines) == 1 and re.fullmatch(r"error: build/site: does not point to a site version in build/sites/ "
                                            r"\(it points to .*outside\); delete it and run a full build.*", lines[0]), \
        result.stderr
    assert folder_state(outside) == before
    assert folder_state(project / "build" / "sites") == versions


def test_string_facts_and_run_children_are_contained(good_project, tmp_path):
    """A string fact is text on the page, never markup; a process a run forks is ended with
    its job, so nothing writes after the build (here: outside the project) or outlives it."""
    project = tmp_path / "p"
    shutil.copytree(good_project, project, symlinks=True)
    outside = sentinel_folder(tmp_path)
    pid_file = tmp_path / "child.pid"
    in_tiny_run(project, "import os, time\npid = os.fork()\nif pid == 0:\n    time.sleep(30)\n"
                         f"    open({str(outside / 'late.txt')!r}, 'w').write('late')\n    os._exit(0)\n"
                         f"open({str(pid_file)!r}, 'w').write(str(pid))\n"
                         "rec.fact(label='<img src=x onerror=alert(1)> & co')")
    edit(project / LESSON / "lesson.md", "## The widget", "The label is [[tiny.label]].\n\n## The widget")
    result = cli(project, "build", "--quality", "draft")
    assert result.returncode == 0, result.stderr
    page = (project / "build" / "site" / SLUG / "index.html").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; co" in page
    assert "<img src=x" not in page
    child = int(pid_file.read_text())
    try:
        state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        state = "gone"
    assert state in ("gone", "Z"), f"the process the run forked outlived its job (state {state})"
    assert not (outside / "late.txt").exists()


# --------------------------------------------------------------------------- Ctrl-C is deferred, never dropped
SIGINT_DURING_SUBMIT = """
import os, signal, sys
from concurrent.futures import ProcessPoolExecutor
from generator import workers

spawn = ProcessPoolExecutor._spawn_process
def spawn_after_ctrl_c(self):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while a worker is being started
    spawn(self)
ProcessPoolExecutor._spawn_process = spawn_after_ctrl_c
try:
    with workers.worker_pool(1) as pool:
        future = pool.submit(abs, -1)
        print("not interrupted", future.result(), flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


def test_a_ctrl_c_during_a_submit_is_deferred_not_dropped():
    result = subprocess.run([sys.executable, "-c", SIGINT_DURING_SUBMIT], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip() == "interrupted", result.stdout + result.stderr
    assert result.returncode == 130
    assert "Traceback" not in result.stderr, result.stderr  # no worker saw it


# --------------------------------------------------------------------------- serve reloads for a new site only
def test_serve_reloads_pages_only_for_a_new_site(good_project, tmp_path):
    import socket
    import urllib.request

    project = tmp_path / "p"
    shutil.copytree(good_project, project, symlinks=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "serve.log"
    with open(log, "ab") as out:  # its rebuilds run `python -m generator` in the project: find the package
        proc = subprocess.Popen([sys.executable, "-m", "generator", "--root", str(project), "serve", "--port",
                                 str(port), "--quality", "draft"], cwd=ROOT, env=dict(ENV, PYTHONPATH=str(ROOT)),
                                stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True)

    def version() -> str:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/__reload", timeout=5) as response:
                return response.read().decode()
        except OSError:
            return ""

    try:
        wait_for(lambda: version() == "0", proc, "the server answered")
        lesson = project / LESSON / "lesson.md"
        os.utime(lesson)  # saved without a change: a rebuild with nothing to publish
        wait_for(lambda: "nothing to do" in log.read_text(), proc, "the rebuild of an unchanged site finished")
        assert version() == "0", "pages were told to reload although the site did not change"
        edit(lesson, "## The formula", "## The formula, edited")
        wait_for(lambda: version() == "1", proc, "the reload after a real change", timeout=300)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
