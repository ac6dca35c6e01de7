"""gunicorn's settings for `make serve` (gunicorn reads ./gunicorn.conf.py by itself).

* Workers: WEB_CONCURRENCY, else 2 x CPU cores + 1 (gunicorn's own advice), each a separate
  process with its own database connection, kept between requests (DJANGO_CONN_MAX_AGE,
  600 s here); `sync` workers, one request at a time each.
* Address: the loopback, port PORT (8000). gunicorn alone would listen on 0.0.0.0:$PORT when
  PORT is set; here a public address is a deliberate choice, e.g. behind a proxy:
  GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000" (which wins over this file).
* Settings: the strict production ones (DJANGO_DEBUG off). Only when DJANGO_ENV_FILE names a
  file (`make serve` names the `.env` that `make run` writes) are the variables the
  environment lacks read from it, e.g. the secret key; DJANGO_DEBUG is set to false first, so
  the file's `DJANGO_DEBUG=true` never applies. A deployment sets its variables itself.
"""

import multiprocessing
import os
from pathlib import Path

from moderation.env import env_int, load_env_file

os.environ.setdefault("DJANGO_DEBUG", "false")
# Each worker keeps its database connection between requests (checked before each reuse),
# rather than opening one per request: a sync worker serves one request at a time, so this
# is one connection per worker.
os.environ.setdefault("DJANGO_CONN_MAX_AGE", "600")
if os.environ.get("DJANGO_ENV_FILE"):
    load_env_file(Path(os.environ["DJANGO_ENV_FILE"]))

wsgi_app = "moderation.wsgi:application"
bind = [f"127.0.0.1:{env_int('PORT', 8000)}"]
workers = env_int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
# Longer than a contended request normally takes: each wait for a lock gives up after
# DJANGO_DB_LOCK_TIMEOUT_MS (5 s) and a service tries 4 times (moderation/services/locks.py).
timeout = 30
graceful_timeout = 10
accesslog = "-"
