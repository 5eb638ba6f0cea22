# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
MOTO_PORT ?= 5000

.PHONY: run test test-unit test-integration test-api test-e2e bench install clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	PORT=$(PORT) MOTO_PORT=$(MOTO_PORT) $(PY) -m local.stack

test: $(STAMP)
	$(PY) -m pytest

test-unit test-integration test-api test-e2e: $(STAMP)
	$(PY) -m pytest tests/$(subst test-,,$@)

bench: $(STAMP)
	$(PY) -m bench.operations

clean:
	rm -rf $(VENV) .pytest_cache
