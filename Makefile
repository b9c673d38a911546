# The two commands of the README: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck contracts pytest install install-dev browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

install: $(STAMP)
install-dev: $(DEVSTAMP)

run: $(STAMP)
	$(BIN)/penworks demo $(ARGS)

lint: $(DEVSTAMP)
	$(BIN)/ruff check penworks tests bench
	$(BIN)/ruff format --check penworks tests bench

typecheck: $(DEVSTAMP)
	$(BIN)/mypy
	$(BIN)/mypy bench  # the benches import the platform as a user would: they must not rot

contracts: $(DEVSTAMP)
	$(BIN)/lint-imports

pytest: $(DEVSTAMP) browser
	$(BIN)/pytest $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium; Playwright never downloads a browser.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium for the browser tests"; \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) || \
	  sudo -n apt-get install -y -q chromium >/dev/null; }

test: lint typecheck contracts pytest

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info
