# Two commands on a fresh Debian/Ubuntu clone: `make site` builds the site, `make test`
# runs every test. Each installs what it needs: system packages with apt-get (when
# missing), Python packages into .venv/ from the list in pyproject.toml.

PYTHON       ?= python3
VENV         := .venv
PY           := $(VENV)/bin/python
QUALITY      ?= publish
BASE_PATH    ?= /
# Where the site is published (absolute): sitemap.xml, the Atom feed and social cards need it.
SITE_URL     ?=
# Cairo and Pango headers build Manim's text renderer; ffmpeg checks videos; DejaVu is
# the font videos are set in; Charis SIL (OFL) is the pages' text face, subset by the build.
SYSTEM_PKGS  := libcairo2-dev libpango1.0-dev pkg-config ffmpeg fonts-dejavu-core fonts-sil-charis
# The browser tests drive Debian's Chromium (Playwright's own browser download cannot
# work offline); the HTML checker runs on Java. Node runs the checker's and Lighthouse's
# npm packages; asked for only when npm is absent, since a NodeSource nodejs already
# bundles npm and conflicts with Debian's npm package.
TEST_PKGS    := chromium default-jre-headless $(if $(shell command -v npm),,nodejs npm)

.PHONY: site test serve clean bench goldens setup test-setup lesson draft widgets shard merge

site: setup
	$(PY) -m generator build --quality $(QUALITY) --base-path $(BASE_PATH) --site-url "$(SITE_URL)"

# CI with several runners (README, "Sharded builds"): `make shard SHARD=2/3` on each runner
# trains and renders its share into build/shard-2-of-3/; `make merge SHARD_CACHES="a b c"`
# on one runner combines the shares and publishes as `make site` does.
shard: setup
	$(PY) -m generator build --quality $(QUALITY) --shard $(SHARD)

merge: setup
	$(PY) -m generator merge --quality $(QUALITY) --base-path $(BASE_PATH) --site-url "$(SITE_URL)" $(SHARD_CACHES)

# make test N=03 runs only lesson 03's own tests (content/03-*/tests/).
test: test-setup
	$(PY) -m pytest -q $(if $(N),$(wildcard content/$(N)-*/tests))

serve: setup
	$(PY) -m generator serve

# Through the CLI, which takes the build lock: it refuses while a build runs. Without a
# .venv no build can be running, so a plain delete is safe.
clean:
	@if [ -x $(PY) ]; then $(PY) -m generator clean; else rm -rf build; fi

# While writing lesson N (e.g. make lesson N=05): only its runs, videos and page, at draft
# quality, into the site the last full build published. `make draft N=05` renders no video.
lesson: setup
	$(PY) -m generator build --lesson $(N) --quality draft

draft: setup
	$(PY) -m generator build --lesson $(N) --quality draft --no-video

# The widgets a lesson can embed, their arguments and the fields they read (N= adds lesson N's own).
widgets: setup
	$(PY) -m generator widgets $(if $(N),--lesson $(N))

bench: test-setup
	$(PY) tests/bench.py $(if $(LESSONS),--lessons $(LESSONS))

# Refresh the golden fixture site on purpose (never done by CI).
goldens: setup
	$(PY) -m pytest -q tests/test_golden.py --update-goldens

setup: .system-deps.stamp $(VENV)/.installed

test-setup: setup .test-deps.stamp node_modules/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
	  print('\n'.join(p['dependencies'] + p['optional-dependencies']['test']))" > $(VENV)/requirements.txt
	$(PY) -m pip install -q -r $(VENV)/requirements.txt
	touch $@

.system-deps.stamp:
	@$(MAKE) --no-print-directory apt-install PKGS="$(SYSTEM_PKGS)"
	@touch $@

.test-deps.stamp:
	@$(MAKE) --no-print-directory apt-install PKGS="$(TEST_PKGS)"
	@touch $@

# vnu-jar and Lighthouse, exactly as package-lock.json pins them. --ignore-scripts: the
# jar ships in the package; its install script would only try to download a Java.
node_modules/.installed: package-lock.json | .test-deps.stamp
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

# Install the Debian packages in PKGS that are missing, or say exactly what to install.
.PHONY: apt-install
apt-install:
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "error: missing system packages:$$missing; install them with your package manager, then rerun make"; exit 1; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "error: missing system packages:$$missing; run: sudo apt-get install -y$$missing"; exit 1; fi; \
	echo "Installing system packages:$$missing"; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null
