"""Quality gates on the built site: valid HTML and CSS, no broken reference, no
accessibility violation in either theme, nothing fetched from another origin, and a
linted Pages workflow.

The link, browser and CSP checks use the real project built for the sub-path /repo/ (as
`make site BASE_PATH=/repo/` does for GitHub Pages) and served from there; the build
reuses the session's cache, so nothing is retrained or re-rendered.
"""
from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import yaml

from generator.build import BuildOptions, build
from generator.progress import Silent
from tests.plugin import ROOT, SiteServer, copy_project

MOUNT = "/repo/"
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def repo_site(built_site, tmp_path_factory) -> Path:
    """The real project built with base path /repo/, from a copy sharing the session cache."""
    project = copy_project(tmp_path_factory.mktemp("quality"), with_cache_from=built_site.parent / "cache")
    result = build(BuildOptions(project, quality="draft", base_path=MOUNT), Silent())
    return result.site.resolve()


@pytest.fixture(scope="module")
def repo_server(repo_site):
    srv = SiteServer(repo_site, MOUNT)
    yield srv
    srv.close()


def html_pages(site: Path) -> list[str]:
    """Site-relative paths of every HTML page."""
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html"))


def page_url(server: SiteServer, rel: str) -> str:
    # Pages are linked as folders ("01-x/"), as GitHub Pages serves them.
    return server.url(rel[: -len("index.html")] if rel.endswith("index.html") else rel)


# --------------------------------------------------------------------------- (a) Nu checker
def test_html_and_css_pass_the_nu_checker(nu_messages, built_site):
    """The pages no lesson owns, and the stylesheets (each lesson's page: test_every_lesson)."""
    lessons = [p.resolve() for p in built_site.glob("[0-9][0-9]-*") if p.is_dir()]
    assert len(lessons) >= 1
    others = [m for path, m in nu_messages if not any(folder in path.parents for folder in lessons)]
    assert others == [], "\n".join(others)


# --------------------------------------------------------------------------- (b) references
URL_ATTRS = {"href", "src", "poster"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""")


class Refs(HTMLParser):
    """Ids, and every (attribute, URL) a page references."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []   # (tag, attribute, url)
        self.styles: list[str] = []                  # inline CSS: <style> and style=""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name in URL_ATTRS or re.fullmatch(r"data-(src|poster)(-[\w-]+)?", name):
                self.refs.append((tag, name, value))
            elif name in ("srcset", "imagesrcset"):
                self.refs += [(tag, name, part.split()[0]) for part in value.split(",") if part.strip()]
            elif name == "style":
                self.styles.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def css_urls(text: str) -> list[str]:
    return [m[2] or m[4] for m in CSS_URL.finditer(re.sub(r"/\*.*?\*/", "", text, flags=re.S))]


class Fetcher:
    """GETs over HTTP, memoised: status, content type and body of each URL."""

    def __init__(self):
        self.memo: dict[str, tuple[int, str, bytes]] = {}

    def get(self, url: str) -> tuple[int, str, bytes]:
        if url not in self.memo:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    self.memo[url] = (response.status, response.headers.get_content_type(), response.read())
            except urllib.error.HTTPError as exc:
                self.memo[url] = (exc.code, "", b"")
        return self.memo[url]


def test_every_internal_link_anchor_and_asset_resolves(repo_site, repo_server):
    origin = repo_server.url("")[: -len(MOUNT)]
    fetch = Fetcher()
    parsed: dict[str, Refs] = {}

    def page_refs(url: str) -> Refs:
        if url not in parsed:
            parser = Refs()
            parser.feed(fetch.get(url)[2].decode("utf-8"))
            parsed[url] = parser
        return parsed[url]

    problems: list[str] = []
    stylesheets: set[str] = set()
    for rel in html_pages(repo_site):
        base = page_url(repo_server, rel)
        status, _, _ = fetch.get(base)
        assert status == 200, f"{base} answered {status}"
        refs = page_refs(base)
        inline_css = [("style", "css", u) for css in refs.styles for u in css_urls(css)]
        for tag, attr, raw in refs.refs + inline_css:
            url = urljoin(base, raw)
            where = f"{rel}: <{tag} {attr}={raw!r}>"
            if urlsplit(url).scheme in ("data", "mailto", "blob"):
                continue
            if not url.startswith(origin):
                # Links may point elsewhere (references); nothing the page loads may.
                if not (tag == "a" and attr == "href"):
                    problems.append(f"{where} loads from another origin")
                continue
            if not urlsplit(url).path.startswith(MOUNT):
                problems.append(f"{where} leaves the site's sub-path {MOUNT}")
                continue
            target, fragment = urldefrag(url)
            status, ctype, _ = fetch.get(target)
            if status not in (200, 206):
                problems.append(f"{where} -> {target} answered {status}")
                continue
            if ctype == "text/css":
                stylesheets.add(target)
            if fragment and ctype == "text/html" and fragment not in page_refs(target).ids:
                problems.append(f"{where}: no element with id '{fragment}' in {target}")
    for sheet in sorted(stylesheets):
        for raw in css_urls(fetch.get(sheet)[2].decode("utf-8")):
            url = urljoin(sheet, raw)
            if urlsplit(url).scheme == "data":
                continue
            status = fetch.get(urldefrag(url)[0])[0] if url.startswith(origin) else None
            if status not in (200, 206):
                problems.append(f"{sheet}: url({raw}) -> {url} answered {status}")
    assert not problems, "\n".join(problems)
    assert len(fetch.memo) > 10, "the checker saw suspiciously few URLs"


# --------------------------------------------------------------------------- (c) axe, (d) origins
def test_axe_finds_nothing_in_either_theme_and_nothing_leaves_the_origin(repo_site, repo_server, browser_context):
    """The pages no lesson owns (each lesson's page: test_every_lesson), served from /repo/."""
    from tests.test_every_lesson import axe_failures

    failures: list[str] = []
    for rel in html_pages(repo_site):
        if not re.match(r"\d\d-", rel):
            failures += axe_failures(browser_context, page_url(repo_server, rel), rel)
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- (d) CSP
class HeadOrder(HTMLParser):
    """The CSP meta's content, and whether anything loadable came before it."""

    def __init__(self):
        super().__init__()
        self.csp: list[str] = []
        self.loaded_before_csp: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp.append(attrs.get("content") or "")
        elif tag in ("script", "link", "style", "img", "video", "iframe") and not self.csp:
            self.loaded_before_csp.append(tag)


ALLOWED_SOURCES = re.compile(r"'self'|'none'|data:|blob:|'sha(256|384|512)-[A-Za-z0-9+/=]+'")
# Pagefind's index reader is WebAssembly: compiling it needs this in script-src, and nothing broader.
SCRIPT_ONLY_SOURCES = {"'wasm-unsafe-eval'"}


def parse_csp(text: str) -> dict[str, list[str]]:
    policy = {}
    for directive in filter(None, (d.strip() for d in text.split(";"))):
        name, *values = directive.split()
        policy[name.lower()] = values
    return policy


def test_every_page_has_a_csp_that_forbids_other_origins(repo_site):
    for rel in html_pages(repo_site):
        head = HeadOrder()
        head.feed((repo_site / rel).read_text(encoding="utf-8"))
        assert len(head.csp) == 1, f"{rel}: expected one CSP meta, found {len(head.csp)}"
        assert not head.loaded_before_csp, f"{rel}: {head.loaded_before_csp} come before the CSP meta"
        policy = parse_csp(head.csp[0])
        assert policy.get("default-src") == ["'self'"], f"{rel}: default-src is {policy.get('default-src')}"
        for name, values in policy.items():
            if name.endswith("-src") or name in ("base-uri", "form-action"):
                bad = [v for v in values if not ALLOWED_SOURCES.fullmatch(v)
                       and not (name == "script-src" and v in SCRIPT_ONLY_SOURCES)]
                assert not bad, f"{rel}: {name} allows {bad}"
        assert "'unsafe-inline'" not in policy.get("script-src", []) and "'unsafe-eval'" not in head.csp[0]
        assert policy.get("object-src") == ["'none'"], f"{rel}: plugins are not forbidden"


# --------------------------------------------------------------------------- (e) the workflow
def test_pages_workflow_passes_actionlint():
    actionlint = Path(sys.executable).parent / "actionlint"
    result = subprocess.run([str(actionlint), "-no-color", str(WORKFLOW)], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_workflow_builds_with_make_site_and_deploys():
    flow = yaml.safe_load(WORKFLOW.read_text())
    triggers = flow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"] and "workflow_dispatch" in triggers
    build_job, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    runs = [step.get("run", "") for step in build_job["steps"]]
    # The base path comes from configure-pages, not the repository's name: a user or
    # organisation site (name.github.io) and a custom domain are served from "/".
    assert ('make site BASE_PATH="${{ steps.pages.outputs.base_path }}/" '
            'SITE_URL="${{ steps.pages.outputs.base_url }}/"' in runs)
    assert not any("repository.name" in run for run in runs)
    ids = [step.get("id") for step in build_job["steps"]]
    assert ids.index("pages") < runs.index(next(r for r in runs if r.startswith("make site")))
    uses = [step.get("uses", "").split("@")[0] for step in build_job["steps"]]
    assert uses.index("actions/cache") < uses.index("") < uses.index("actions/upload-pages-artifact")
    cache = next(s for s in build_job["steps"] if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == "build/cache" and "hashFiles(" in cache["with"]["key"]
    assert "cpu" in build_job["env"]["PIP_INDEX_URL"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")


def test_pages_workflow_shards_a_build_when_n_is_above_one():
    flow = yaml.safe_load(WORKFLOW.read_text())
    jobs = flow["jobs"]
    # N is set in one place, and the matrix and the shard's K/N both come from it.
    assert WORKFLOW.read_text().count("SHARDS:") == 1
    split = jobs["plan"]["steps"][0]
    assert int(split["env"]["SHARDS"]) >= 1 and "GITHUB_OUTPUT" in split["run"]
    shard = jobs["shard"]
    assert shard["if"] == "needs.plan.outputs.count != '1'"  # N = 1: no shard job, one build job as before
    assert shard["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
    steps = shard["steps"]
    runs = [step.get("run", "") for step in steps]
    assert 'make shard SHARD="${{ matrix.shard }}/${{ needs.plan.outputs.count }}"' in runs
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "build/shard-${{ matrix.shard }}-of-${{ needs.plan.outputs.count }}"
    restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore"))
    build_cache = next(s for s in jobs["build"]["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert restore["with"]["key"] == build_cache["with"]["key"]  # every shard splits from the same cache
    build = jobs["build"]
    assert build["needs"] == ["plan", "shard"] and "skipped" in build["if"]
    download = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/download-artifact"))
    assert download["with"] == {"pattern": "shard-*", "path": "shards"}
    merge = next(s for s in build["steps"] if s.get("run", "").startswith("make merge"))
    assert "shards" in merge["run"] and 'BASE_PATH="${{ steps.pages.outputs.base_path }}/"' in merge["run"]
    make_site = next(s for s in build["steps"] if s.get("run", "").startswith("make site"))
    assert make_site["if"] == "needs.plan.outputs.count == '1'" and merge["if"] == "needs.plan.outputs.count != '1'"
