"""Shared test fixtures: the personas and their logged-in clients, a site with an article and
a comment, the export's pseudonym key, the seed data, a fast password hasher, and `make serve`
running on a SQLite file (`served`).

The personas, one per role (made by `tests/factories.py`, in the groups migration 0003 makes):

    admin            ada    in the Admin group: users and policy (see the note on `admin_client`)
    moderator        mona   in the Moderator group: the queue, tags, decisions, blocks
    other_moderator  bob    a second Moderator, for two people acting on the same thing
    researcher       rhea   in the Researcher group: reads threads, downloads exports
    outsider         otto   logged in, in no group: may do nothing but log out
    superuser        root   Django's superuser, for Django's own admin site only

Each `<persona>_client` is its own `django.test.Client`, logged in as that persona, so a test
may hold several at once; pytest-django's `client` stays an anonymous visitor. For any other
user, or a client that checks CSRF tokens as a browser does, use `client_for(user)`.
"""

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.test import Client

from tests import factories

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "fixtures" / "pages"

# Long enough for the export's check; tests that compare pseudonyms derive them from it.
PSEUDONYM_KEY = "test-export-key-0123456789abcdef-0123456789abcdef"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with nothing kept (the export page keeps its figures in the cache,
    and a rolled-back test's audit ids come again in the next)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    """Uploads and import progress in the test's own folder, never the checkout's var/."""
    settings.IMPORT_DIR = tmp_path / "imports"
    settings.CACHES = {
        **settings.CACHES,
        "imports": {**settings.CACHES["imports"], "LOCATION": str(tmp_path / "progress")},
    }


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The audit log's signing key in tests (never a checkout's own .audit-signing-key).
AUDIT_KEY = "dGVzdC1hdWRpdC1zaWduaW5nLWtleS0zMi1ieXRlcyE="


@pytest.fixture(autouse=True)
def _audit_signing_key(settings):
    """Tests sign with their own key, at the default interval, and keep no file outside
    unless they ask (`settings.AUDIT_CHECKPOINT_FILE`)."""
    settings.AUDIT_SIGNING_KEY = AUDIT_KEY
    settings.AUDIT_SIGNING_KEY_FILE = ""
    settings.AUDIT_VERIFY_KEY = ""
    settings.AUDIT_CHECKPOINT_FILE = ""


@pytest.fixture(autouse=True)
def _audit_guard_around_flush(request):
    """A transactional test ends by emptying every table, which the audit table's triggers
    refuse: lift them for that flush only, and put them back for the next test. The flush
    also empties what data migrations made (the role groups): make them again."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from moderation.audit import install_guard, remove_guard

    importlib.import_module("moderation.migrations.0003_roles").create_roles(apps, None)
    importlib.import_module("moderation.migrations.0012_imports").grant(apps, None)
    install_guard()
    yield
    remove_guard()


# Personas


@pytest.fixture
def admin(db):
    """Ada, in the Admin group."""
    return factories.make_admin("ada")


@pytest.fixture
def moderator(db):
    """Mona, in the Moderator group."""
    return factories.make_moderator("mona")


@pytest.fixture
def other_moderator(db):
    """Bob, another Moderator, for two people acting on the same comment or commenter."""
    return factories.make_moderator("bob")


@pytest.fixture
def researcher(db):
    """Rhea, in the Researcher group: the least-privileged role."""
    return factories.make_researcher("rhea")


@pytest.fixture
def outsider(db):
    """Otto, who can log in but is in no group."""
    return factories.make_user("otto")


@pytest.fixture
def superuser(db):
    """Root, a Django superuser: every permission without any group. Only for Django's own
    admin site; never stands in for the Admin role."""
    return factories.make_superuser("root")


@pytest.fixture
def admin_user():
    # pytest-django's `admin_user` is a superuser named "admin", which passes every permission
    # check: next to our `admin` it would read as the Admin role and prove nothing about it.
    pytest.fail("admin_user is pytest-django's superuser: use `admin` (the role) or `superuser`")


# Logged-in clients


@pytest.fixture
def client_for(db):
    """client_for(user) → a new Client logged in as `user`, separate from every other client
    in the test; `enforce_csrf_checks=True` makes it check CSRF tokens as a browser does (the
    test client skips the check by default)."""

    def log_in(user, *, enforce_csrf_checks=False):
        client = Client(enforce_csrf_checks=enforce_csrf_checks)
        client.force_login(user)
        return client

    return log_in


@pytest.fixture
def admin_client(client_for, admin):
    """Logged in as ada, in the Admin group.

    This deliberately shadows pytest-django's `admin_client`, which is logged in as a
    superuser: here "admin" means the Admin role, everywhere, and a superuser client would pass
    every permission check whatever the role may do. Django's admin site uses
    `superuser_client`."""
    return client_for(admin)


@pytest.fixture
def moderator_client(client_for, moderator):
    return client_for(moderator)


@pytest.fixture
def other_moderator_client(client_for, other_moderator):
    return client_for(other_moderator)


@pytest.fixture
def researcher_client(client_for, researcher):
    return client_for(researcher)


@pytest.fixture
def outsider_client(client_for, outsider):
    return client_for(outsider)


@pytest.fixture
def superuser_client(client_for, superuser):
    return client_for(superuser)


# Data


@pytest.fixture
def site(db):
    """Asbarez, with its posted policy "No profanity, no personal attacks." as version 1 and
    the three categories every new site gets."""
    return factories.make_site("Asbarez", policy_text="No profanity, no personal attacks.")


@pytest.fixture
def article(site):
    return factories.make_article(site, title="Budget debate")


@pytest.fixture
def comment(article):
    """Comment 1 of the article, by Vartan; "idiot" is at offsets 11 to 16."""
    return factories.make_comment(article, "You are an idiot and a liar.", author="Vartan")


@pytest.fixture
def pseudonym_key(monkeypatch):
    """The export's pseudonym key, set in the environment as the deployment sets it."""
    from moderation import export

    monkeypatch.setenv(export.KEY_VARIABLE, PSEUDONYM_KEY)
    return PSEUDONYM_KEY


@pytest.fixture
def seeds(db):
    """The five seed articles, loaded the way `make run` loads them."""
    call_command("loaddata", ROOT / "fixtures" / "seeds.json", verbosity=0)


# A production server


def bench_module(name):
    """bench/<name>.py as a module (bench/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_bench(name: str, *args: str, cwd: Path, timeout: int = 180):
    """bench/<name>.py run as a person runs it: a fresh environment (the bench makes its own
    database, whatever the suite runs on), temporary files under `cwd`."""
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{name}.py"), *args],
        cwd=cwd,
        env={**clean_environment(), "TMPDIR": str(cwd)},
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def clean_environment() -> dict:
    """The environment without DJANGO_* and DATABASE_* settings, as a fresh shell has it."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """`make serve` with two workers, on a fresh SQLite file, its static files and local
    settings file (written by make, as `make run` writes .env) in a temporary folder; started
    once per session by bench/load.py's own Server and stopped at the end. Gives the server
    (its `url`, `output()`), the environment it runs in, and the folder."""
    where = tmp_path_factory.mktemp("serve")
    env = {
        **clean_environment(),
        "DATABASE_URL": f"sqlite:///{where / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(where / "static"),
        "IMPORT_DIR": str(where / "imports"),
    }
    server = bench_module("load").Server(workers=2, env_file=str(where / ".env"), env=env)
    try:
        server.wait()
        yield SimpleNamespace(server=server, env=env, where=where)
    finally:
        server.stop()
