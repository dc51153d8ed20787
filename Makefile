# One entry point: make run, make test, make lint, make bench. CI calls `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test lint format bench messages clean venv

$(VENV)/.installed-dev: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version))."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed-run

$(VENV)/.installed-run: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version))."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

# The dev install is a superset of the runtime one.
venv-run: $(VENV)/.installed-run
venv-dev: $(VENV)/.installed-dev

# Translations: GNU gettext's msgfmt when the system has it, else the same catalogues
# compiled by polib (a dependency), so a machine with only Python and make still runs.
messages:
	@if command -v msgfmt >/dev/null 2>&1; then \
		DJANGO_DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv -v 0; \
	else \
		echo "msgfmt (GNU gettext) not found; compiling translations with polib instead."; \
		echo "To install gettext: sudo apt-get install gettext (Debian/Ubuntu) or brew install gettext (macOS)."; \
		$(PY) -m live.i18n_compile; \
	fi

run: export DJANGO_DEBUG ?= 1
run: venv-run
	@$(MAKE) --no-print-directory messages
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py load_demo
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py print_urls --host $(HOST) --port $(PORT)
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

test: venv-dev
	@$(MAKE) --no-print-directory messages
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: venv-dev
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache db.sqlite3 .test-db-*.sqlite3*
