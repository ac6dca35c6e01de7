"""Settings for the moderation dashboard, read from the environment.

Local use needs nothing: `make run` sets DJANGO_DEBUG=true and the database is a SQLite file
beside manage.py. Production sets DJANGO_DEBUG=false (the default), DJANGO_SECRET_KEY,
DJANGO_ALLOWED_HOSTS and DATABASE_URL (postgres://...); with debug off the secure flags are on.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from moderation.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(for local use, run through `make run` / `make test`, or set DJANGO_DEBUG=true)."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS",
    ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [],
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "axes",
    "csp",
    # Background tasks (imports uploaded at /imports/): Django 6's tasks framework, backported,
    # with its database backend (`manage.py task_worker`; `make run` starts one).
    "django_tasks",
    "django_tasks_db",
    "archive",
    "moderation",
]

MIDDLEWARE = [
    "moderation.middleware.RequestIdMiddleware",
    # Before anything reads the body: a request larger than it may be is refused unread.
    "moderation.middleware.BodyLimitMiddleware",
    # A view whose writes lost a lock race even after the services' retries: 503, not 500.
    "moderation.middleware.ContentionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from STATIC_ROOT (collectstatic), compressed and cached forever by name.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page requires login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses to even check a password for a locked-out account or address.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "moderation.urls"
WSGI_APPLICATION = "moderation.wsgi.application"
ASGI_APPLICATION = "moderation.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "moderation.context_processors.limits",
                "moderation.context_processors.waiting",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Seconds a connection is kept for the next request (0: one per request). A server
        # keeps them (gunicorn.conf.py: a new PostgreSQL connection is a new server process
        # with cold caches, several milliseconds a request); each checked before reuse.
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
# How long a statement waits for a lock before giving up (the service then runs again, a few
# times, and a request still contended is answered 503: see moderation/services/locks.py).
DB_LOCK_TIMEOUT_MS = env_int("DJANGO_DB_LOCK_TIMEOUT_MS", 5 * 1000)
_database = DATABASES["default"]
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (gunicorn's workers, commands) share one file. WAL: readers never
    # block the writer nor it them, and synchronous=NORMAL is safe in WAL mode (a power cut
    # may lose the last commits, never corrupt). IMMEDIATE: every transaction takes the
    # write lock when it begins, so two never both read and then fail to upgrade to write
    # ("database is locked" at once); busy_timeout: a writer waits its turn instead of failing.
    _database.setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        init_command=(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA busy_timeout={DB_LOCK_TIMEOUT_MS}"
        ),
    )
elif _database["ENGINE"] == "django.db.backends.postgresql":
    _options = _database.setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c lock_timeout={DB_LOCK_TIMEOUT_MS}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Repeated failed logins lock the username and, separately, the address they came from.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
# A lockout is for one username from one address: five wrong passwords for a name lock that
# name out from that address only, never other people behind the same address (a newsroom's
# proxy), nor the same person from elsewhere. An admin can lift it at /users/.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "moderation.views.accounts.locked_out"  # says for how long
AXES_VERBOSE = False
# The client's address, as the lockout, the rate limits and the audit log read it: behind
# the TLS proxy, the address the proxy appended to X-Forwarded-For (moderation.clients).
AXES_CLIENT_IP_CALLABLE = "moderation.clients.client_address"

# A moderator's session ends after a working day, or when the browser closes.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_SECONDS", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# No inline script anywhere: behaviour lives in static files (see static/js/).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Set-password links and other mail: printed to the console unless an SMTP host is set.
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "moderation@localhost")

# The export page's counts and agreement figures are kept (per process, per filter) and
# shown "as of" their time for up to this many seconds after newer actions: reading every
# label on every view would cost seconds at a newsroom's size. 0: always fresh.
EXPORT_FIGURES_MAX_AGE = env_int("EXPORT_FIGURES_MAX_AGE", 300)

# Imports uploaded at /imports/ run as background tasks in a worker (`manage.py task_worker`):
# the queue is a table in the same database, so it needs nothing else running, works on SQLite
# and PostgreSQL, and several workers share it (each task claimed by one, with row locks).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Screening (moderation.screening): new comments are scored as they are stored (on by
# default). Off, an import stores them unscored (`manage.py screen_comments` scores them
# later); bench/screening.py measures the import both ways.
SCREENING_AT_IMPORT = env_bool("DJANGO_SCREENING", True)
# How long a worker (`manage.py task_worker`) waits for a lock before giving up.
TASK_WORKER_LOCK_TIMEOUT_MS = env_int("TASK_WORKER_LOCK_TIMEOUT_MS", 10 * 60 * 1000)
# Uploaded files wait here until their import has run; the worker writes its progress here
# too (a cache every process of this machine reads: the import's own transaction holds the
# database until it ends). Web servers and workers on several machines: point the "imports"
# cache below at one they share (Django's RedisCache).
IMPORT_DIR = Path(env_str("IMPORT_DIR", str(BASE_DIR / "var" / "imports")))
# The largest file an upload may be (bytes); bigger exports go through the import commands.
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
# An import queued or running with no sign of life for this long may be run again or given
# up from its page (its worker was killed, the machine restarted).
IMPORT_STALLED_SECONDS = env_int("IMPORT_STALLED_SECONDS", 10 * 60)
# Any other request's body (forms, actions): no other page takes files.
MAX_REQUEST_BYTES = env_int("DJANGO_MAX_REQUEST_BYTES", 10 * 1024 * 1024)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "imports": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(IMPORT_DIR / "progress"),
        "TIMEOUT": 7 * 24 * 3600,
    },
}

# Signed checkpoints of the audit log (moderation.checkpoints). The Ed25519 private key: the
# base64 line itself, or a file holding it (or a PEM). Required with debug off (a system
# check says so); `make run` makes one for local use, which debug mode finds by itself.
# AUDIT_VERIFY_KEY: the public half alone, for verifying where the private key is not.
_LOCAL_KEY = BASE_DIR / ".audit-signing-key"
AUDIT_SIGNING_KEY = env_str("AUDIT_SIGNING_KEY", "")
AUDIT_SIGNING_KEY_FILE = env_str(
    "AUDIT_SIGNING_KEY_FILE", str(_LOCAL_KEY) if DEBUG and _LOCAL_KEY.exists() else ""
)
AUDIT_VERIFY_KEY = env_str("AUDIT_VERIFY_KEY", "")
# A checkpoint every this many events (0: only on demand), each also appended to this file.
AUDIT_CHECKPOINT_EVERY = env_int("AUDIT_CHECKPOINT_EVERY", 1000)
AUDIT_CHECKPOINT_FILE = env_str(
    "AUDIT_CHECKPOINT_FILE",
    str(BASE_DIR / ".audit-checkpoints.jsonl") if DEBUG and _LOCAL_KEY.exists() else "",
)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Debug off (`make serve`, production): WhiteNoise serves what collectstatic wrote, each file
# under a name with its hash (cached for good) and pre-compressed. Debug on: the files as they
# are in static/, no collectstatic needed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# WhiteNoise's own defaults follow DEBUG when the middleware starts; fixed here, with the
# storage, so the test runner (which turns DEBUG off later) does not look for STATIC_ROOT.
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS = DEBUG

# Secure transport whenever debug is off; a local `make run` stays on plain http.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Keep the proxy's X-Request-ID beside our own id in the audit log: only when the proxy sets
# that header itself (a client's own is never trusted).
TRUST_FORWARDED_REQUEST_ID = env_bool("DJANGO_TRUST_FORWARDED_REQUEST_ID", False)
BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    # Only behind a proxy that sets X-Forwarded-Proto itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "WARNING")},
}
