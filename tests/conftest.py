"""Shared test fixtures: personas, the seed data, a fast password hasher."""

from pathlib import Path

import pytest
from django.core.management import call_command

from tests import factories

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "fixtures" / "pages"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_user(db):
    """Someone with a dashboard account (roles arrive with issue 4)."""
    return factories.make_user("alice")


@pytest.fixture
def alice_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def seeds(db):
    """The five seed articles, loaded the way `make run` loads them."""
    call_command("loaddata", ROOT / "fixtures" / "seeds.json", verbosity=0)
