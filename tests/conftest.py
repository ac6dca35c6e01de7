"""Shared test fixtures: personas, the seed data, a fast password hasher."""

import importlib
from pathlib import Path

import pytest
from django.core.management import call_command

from tests import factories

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "fixtures" / "pages"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
    install_guard()
    yield
    remove_guard()


@pytest.fixture
def staff_user(db):
    """Alice reads the published record: a Researcher, the least-privileged role."""
    return factories.make_member("alice", "Researcher")


@pytest.fixture
def alice_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def mona(db):
    """A moderator."""
    return factories.make_moderator("mona")


@pytest.fixture
def bob(db):
    """Another moderator, for two people acting on the same comment."""
    return factories.make_moderator("bob")


@pytest.fixture
def mona_client(client, mona):
    client.force_login(mona)
    return client


@pytest.fixture
def seeds(db):
    """The five seed articles, loaded the way `make run` loads them."""
    call_command("loaddata", ROOT / "fixtures" / "seeds.json", verbosity=0)
