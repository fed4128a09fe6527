# Market Pulse. `make help` lists the targets.
# Every target prints what it does; variables can be overridden: make demo PORT=8001

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
MANAGE := $(PY) manage.py

.DEFAULT_GOAL := help

.PHONY: help  ## list the targets
help:
	@grep -E '^\.PHONY: [a-zA-Z0-9_-]+ +## ' $(MAKEFILE_LIST) | sed -E 's/^\.PHONY: ([a-zA-Z0-9_-]+) +## (.*)/  \1|\2/' | awk -F'|' '{printf "  %-24s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/base.txt requirements/web.txt requirements/jobs.txt requirements/dev.txt
	@echo ">> creating the virtualenv in $(VENV) and installing requirements/dev.txt (torch: CPU build)"
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0 || $(PIP) install --quiet torch==2.13.0 --index-url "$${TORCH_INDEX_URL:?no local torch wheel: set TORCH_INDEX_URL to the PyTorch CPU wheel index}"
	$(PIP) install --quiet -r requirements/dev.txt
	@touch $@

.PHONY: install  ## create .venv and install everything (idempotent)
install: $(VENV)/.installed

.PHONY: demo  ## the whole pipeline locally: migrate, load tickers, scrape the bundled replay, score, serve :8000
demo: install
	@echo ">> make demo: SQLite database db.sqlite3, site on http://127.0.0.1:$(PORT)"
	PY=$(PY) PORT=$(PORT) bash scripts/demo.sh

.PHONY: test  ## run the whole test suite (SQLite unless DATABASE_URL is set)
test: install
	@echo ">> running the test suite on $${DATABASE_URL:-SQLite (set DATABASE_URL for PostgreSQL)}"
	$(PY) -m pytest $(PYTEST_ARGS)
