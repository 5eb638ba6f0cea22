# The two commands: `make run` and `make test`. Everything else is set up by them.
# The interpreter is the one in .python-version (pyenv reads the file too; the Lambda functions
# run on the same minor version, because Chalice packages for the interpreter it runs under).
PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= python$(PYTHON_VERSION)
VENV := .venv
PY := $(VENV)/bin/python
# The stamp names the version: a .venv built by another Python is rebuilt, not reused.
STAMP := $(VENV)/.installed-$(PYTHON_VERSION)
# Succeeds when the venv at $(1) runs the .python-version interpreter.
venv_ok = $(1)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(PYTHON_VERSION)".split("."))))' 2>/dev/null
PORT ?= 8000
MOTO_PORT ?= 5000
WEB_PORT ?= 8080

.PHONY: run test test-unit test-integration test-api test-e2e bench install clean mail openapi \
	ts-client py-client

# pip is pinned: Chalice 1.34 requires pip<26.3, so an unpinned upgrade breaks the install.
$(STAMP): requirements.txt requirements-dev.txt .python-version
	$(call venv_ok,$(VENV)) || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet "pip==26.2.1"
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP) web
	PORT=$(PORT) MOTO_PORT=$(MOTO_PORT) WEB_PORT=$(WEB_PORT) $(PY) -m local.stack

# The TypeScript client's packages (npm ci from the lockfile) for tests/clients; the rule is
# below (TS_CLIENT).
# Three pytest-xdist workers, each with its own moto server (much of a test's time is spent
# waiting on it, so three beat two on two cores: README "Tests"); tests/conftest.py hands out
# whole files and tiers, longest first. `make test PYTEST_WORKERS=` runs in one process.
PYTEST_WORKERS ?= -n 3 --dist loadscope --no-loadscope-reorder
test: $(STAMP) chromium clients/typescript/node_modules/.installed
	$(PY) -m pytest $(PYTEST_WORKERS)

# The browser tier (tests/browser) drives Debian's headless Chromium. Installed when missing, as
# root or in CI (sudo there); elsewhere the browser test is skipped with its reason.
.PHONY: chromium test-browser
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	  elif [ -n "$$CI" ]; then sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	  else echo "chromium is missing: the browser test will be skipped (apt-get install -y chromium)"; fi; }

test-browser: $(STAMP) chromium
	$(PY) -m pytest tests/browser

test-unit test-integration test-api test-e2e test-clients: $(STAMP)
	$(PY) -m pytest tests/$(subst test-,,$@)

# Regenerate openapi.json from the routes' declarations (chalicelib/contract.py); commit it.
# tests/api/test_openapi.py fails while the committed file is stale.
openapi: $(STAMP)
	$(PY) -m chalicelib.openapi

# Typed clients from openapi.json. TypeScript: openapi-typescript + openapi-fetch, pinned by
# clients/typescript/package-lock.json (npm ci works offline from npm's cache once installed).
TS_CLIENT := clients/typescript
$(TS_CLIENT)/node_modules/.installed: $(TS_CLIENT)/package.json $(TS_CLIENT)/package-lock.json
	cd $(TS_CLIENT) && npm ci --no-audit --no-fund --prefer-offline
	touch $@

ts-client: $(TS_CLIENT)/node_modules/.installed openapi.json
	cd $(TS_CLIENT) && npm run -s generate && npm run -s check

# Python: openapi-python-client into clients/python/infopass_client (git-ignored).
py-client: $(STAMP)
	rm -rf clients/python/infopass_client
	$(VENV)/bin/openapi-python-client generate --path openapi.json --meta none \
	  --config clients/python/config.yml --output-path clients/python/infopass_client

# The TypeScript client test (tests/clients) needs its npm packages.
test test-clients: $(TS_CLIENT)/node_modules/.installed

# The web app (web/, README "Web app"): npm ci from its lockfile, then an offline build
# (typed client from openapi.json, type check, UI text from the catalogs, esbuild) into web/dist.
# `make run` serves it on WEB_PORT; the browser tests (tests/browser) drive it.
.PHONY: web
WEB := web
WEB_SOURCES := $(shell find $(WEB)/src -type f -not -name schema.d.ts 2>/dev/null) $(WEB)/build.mjs \
	openapi.json $(wildcard chalicelib/i18n/locales/*/LC_MESSAGES/messages.po)
$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --prefer-offline
	touch $@

$(WEB)/dist/.built: $(WEB)/node_modules/.installed $(WEB_SOURCES)
	cd $(WEB) && node build.mjs

web: $(WEB)/dist/.built

test test-browser: web

# Every email the running local stack sent (and letters queued), read from moto.
mail: $(STAMP)
	MOTO_PORT=$(MOTO_PORT) $(PY) -m local.mail

# One run writes bench/results.md: operations, cold start, the scheduled jobs at 41 and 400
# offices with the triage queue, and the local stack's throughput (README "Benchmarks").
bench: $(STAMP)
	$(PY) -m bench.operations
	$(PY) -m bench.cold
	$(PY) -m bench.jobs
	$(PY) -m bench.soak --throughput 1,8,32 --seconds 10 --results

clean:
	rm -rf $(VENV) .pytest_cache

# --- Deploying a stage (README "Deploying a stage"; infra/README.md) -----------------------
STAGE ?= dev
WHEELHOUSE := build/wheelhouse
CHECKOV_VENV := .venv-checkov

.PHONY: package deploy policies wheelhouse checkov-venv bench-package

# Lambda-platform wheels of requirements.txt, fetched with the other installs, so that
# `chalice package` (and the packaging tests) never need the network.
$(WHEELHOUSE)/.stamp: requirements.txt .python-version | $(STAMP)
	rm -rf $(WHEELHOUSE)
	$(PY) -m pip download --quiet --dest $(WHEELHOUSE) --only-binary=:all: \
	  --platform manylinux2014_x86_64 --implementation cp \
	  --python-version $(PYTHON_VERSION) --abi cp$(subst .,,$(PYTHON_VERSION)) \
	  -r requirements.txt
	touch $@

wheelhouse: $(WHEELHOUSE)/.stamp

# checkov pins an old boto3, so it gets its own virtual environment.
$(CHECKOV_VENV)/.installed: infra/requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r infra/requirements-checkov.txt
	touch $@

checkov-venv: $(CHECKOV_VENV)/.installed

# The infra tests (tests/infra) package every stage offline and run checkov.
test: $(WHEELHOUSE)/.stamp $(CHECKOV_VENV)/.installed

# Rewrites .chalice/policy-<stage>.json from the table and queue definitions.
policies: $(STAMP)
	$(PY) -m infra.policy

# make package STAGE=prod-us-east-1 -> build/<stage>/{sam.json,deployment.zip}, offline.
package: $(STAMP) $(WHEELHOUSE)/.stamp web
	$(PY) -m infra.package --stage $(STAGE)
	rm -rf build/$(STAGE)/web && cp -r $(WEB)/dist build/$(STAGE)/web && rm -f build/$(STAGE)/web/.built
	$(PY) -m infra.web --stage $(STAGE)

# make deploy STAGE=prod-us-east-1 ARTIFACT_BUCKET=<bucket in that region>: needs the AWS CLI
# and credentials for the stage's account; never run by CI.
deploy: package
	infra/deploy.sh $(STAGE) $$($(PY) -m infra.stages region $(STAGE)) \
	  $$($(PY) -m infra.stages stack $(STAGE))

# A staff bearer token for the local stack (development key; the token is the last line):
#   make -s token ROLE=tier2 OFFICE=hartford [SUB=officer-7]
.PHONY: token
token: $(STAMP)
	@$(PY) -m local.token --role "$(ROLE)" --office "$(OFFICE)" --sub "$(SUB)"

# Zip size and cold import time of the packaged code -> bench/package-results.md.
bench-package: $(STAMP) $(WHEELHOUSE)/.stamp
	$(PY) -m bench.package --stage prod-us-east-1
