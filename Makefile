# Two commands: `make run` (set up everything and serve) and `make test` (the whole suite).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Local use: debug on (dev secret key, plain-http cookies). Production never runs this file.
export DJANGO_DEBUG ?= true

.PHONY: run test install lint fixtures clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs exactly what constraints.txt pins (what CI tested); re-runs when either file changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

install: $(VENV)/.installed

# Local settings that manage.py reads (never wsgi.py), so that `.venv/bin/python manage.py …`
# works as written after `make run`. Written once; edit it freely, delete it to start over.
.env: | $(BIN)/python
	@printf '%s\n' \
	  '# Local settings for manage.py, written by `make run`. Not read by wsgi.py/asgi.py:' \
	  '# a server keeps the production defaults. The environment wins over this file.' \
	  'DJANGO_DEBUG=true' \
	  "DJANGO_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  > $@
	@echo "wrote $@ (local settings for manage.py)"

run: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_seeds
	$(BIN)/python manage.py create_demo_accounts
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerates fixtures/seeds.json from the captures in fixtures/pages/, byte for byte.
fixtures: install
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	export DATABASE_URL="sqlite:///$$tmp/fixtures.sqlite3" && \
	$(BIN)/python manage.py migrate --noinput -v0 && \
	$(BIN)/python manage.py seed_fixtures

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
