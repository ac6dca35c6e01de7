# Two commands: `make run` (set up everything and serve) and `make test` (the whole suite).
# `make serve`: the production server (gunicorn, WhiteNoise, debug off) on this machine.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The local settings file manage.py reads (and `make serve` hands to gunicorn.conf.py).
ENV_FILE ?= .env
# The audit log's signing key and the copy of its checkpoints kept outside the database
# (moderation/checkpoints.py), beside the local settings file. Made once; keep the key safe.
AUDIT_KEY_FILE ?= $(dir $(abspath $(ENV_FILE))).audit-signing-key
AUDIT_CHECKPOINTS ?= $(dir $(abspath $(ENV_FILE))).audit-checkpoints.jsonl
# Local use: debug on (dev secret key, plain-http cookies). Production never runs this file.
export DJANGO_DEBUG ?= true

.PHONY: run serve test install lint fixtures screenshots clean

# Runs $(1) (the web server) with a background-task worker beside it (imports uploaded at
# /imports/; `manage.py task_worker`), stopped when the server stops. More workers: run more
# `manage.py task_worker` processes, on this machine or others sharing the database.
define with_worker
	@$(BIN)/python manage.py task_worker --interval 1 --no-startup-delay & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(1)
endef

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
$(ENV_FILE): | $(BIN)/python $(AUDIT_KEY_FILE)
	@printf '%s\n' \
	  '# Local settings for manage.py, written by `make run`. Not read by wsgi.py/asgi.py:' \
	  '# a server keeps the production defaults. The environment wins over this file.' \
	  'DJANGO_DEBUG=true' \
	  "DJANGO_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  'AUDIT_SIGNING_KEY_FILE=$(AUDIT_KEY_FILE)' \
	  'AUDIT_CHECKPOINT_FILE=$(AUDIT_CHECKPOINTS)' \
	  > $@
	@echo "wrote $@ (local settings for manage.py)"

# An Ed25519 private key is any 32 random bytes: base64, readable by its owner only.
$(AUDIT_KEY_FILE): | $(BIN)/python
	@umask 077 && $(BIN)/python -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())' > $@
	@echo "wrote $@ (the audit log's signing key: keep a copy of its public half, see README)"

run: export DJANGO_ENV_FILE = $(abspath $(ENV_FILE))
run: export AUDIT_SIGNING_KEY_FILE ?= $(AUDIT_KEY_FILE)
run: export AUDIT_CHECKPOINT_FILE ?= $(AUDIT_CHECKPOINTS)
run: install $(ENV_FILE) $(AUDIT_KEY_FILE)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_seeds
	$(BIN)/python manage.py create_demo_accounts
	$(call with_worker,$(BIN)/python manage.py runserver 127.0.0.1:$(PORT))

# The production server: gunicorn (gunicorn.conf.py: WEB_CONCURRENCY workers, else 2 x cores
# + 1, on 127.0.0.1:PORT) with WhiteNoise serving the collected static files, debug off, so the
# strict settings hold. A variable the environment lacks comes from $(ENV_FILE) (the secret key
# `make run` wrote); its DJANGO_DEBUG=true does not apply. Plain http on the loopback: no
# redirect to https unless DJANGO_SECURE_SSL_REDIRECT=true (behind a TLS proxy).
serve: export DJANGO_DEBUG = false
serve: export DJANGO_ENV_FILE = $(abspath $(ENV_FILE))
serve: export DJANGO_SECURE_SSL_REDIRECT ?= false
serve: export DJANGO_ALLOWED_HOSTS ?= 127.0.0.1,localhost
serve: export AUDIT_SIGNING_KEY_FILE ?= $(AUDIT_KEY_FILE)
serve: export AUDIT_CHECKPOINT_FILE ?= $(AUDIT_CHECKPOINTS)
serve: install $(ENV_FILE) $(AUDIT_KEY_FILE)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(call with_worker,PORT=$(PORT) $(BIN)/gunicorn --config gunicorn.conf.py)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# PNGs of the queue, thread, commenter, audit, policy, export and users pages at a desk
# (1366 x 900) and on a phone (390 x 844), over the seed captures, in screenshots/ (or
# SCREENSHOTS_DIR=…): the browser test that checks them for console errors and sideways
# scrolling, keeping its pictures. Needs Chromium (apt-get install chromium).
SCREENSHOTS_DIR ?= $(abspath screenshots)
screenshots: $(VENV)/.installed-test
	SCREENSHOTS_DIR=$(SCREENSHOTS_DIR) REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q -p no:cacheprovider \
	  tests/browser/test_screenshots.py tests/browser/test_insights_browser.py
	@echo "screenshots in $(SCREENSHOTS_DIR)"

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
