# The two commands: `make demo` runs the hub end to end on the embedded default; `make test` runs the
# whole suite on SQLite and on PostgreSQL with a real Redis. Both set up their own virtualenv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test install clean bench fuzz

# Quiet installs: setuptools' build warnings (UserWarnings, e.g. its note on every editable install) are
# silenced, so the first `make demo` starts with the demo, not a page of install output.
PIP := PYTHONWARNINGS=ignore::UserWarning $(VENV)/bin/python -m pip install --quiet

$(STAMP): pyproject.toml examples/hub-connector-example/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e '.[test]'
	$(PIP) --no-deps -e examples/hub-connector-example
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/hub demo

test: $(STAMP)
	$(VENV)/bin/python scripts/run_tests.py

# Every operation of the OpenAPI document under generated requests, with every Schemathesis check (a few minutes).
fuzz: $(STAMP)
	HUB_FUZZ_FULL=1 $(VENV)/bin/python -m pytest -q -s -p no:cacheprovider tests/api/test_fuzz.py

bench: $(STAMP)
	$(VENV)/bin/hub bench routing --time-limit 5

clean:
	rm -rf $(VENV) var .pytest_cache
