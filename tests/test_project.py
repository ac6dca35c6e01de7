"""Guard rails for the project as a whole: migrations, settings, set-up commands."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from moderation.env import env_bool
from tests.conftest import ROOT


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", check=True, dry_run=True, stdout=StringIO())


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("1", True), ("off", False)])
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not value) is value


def test_env_bool_refuses_what_it_does_not_understand(monkeypatch):
    monkeypatch.setenv("FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="FLAG='ture' is not a boolean"):
        env_bool("FLAG", False)


def settings_in_subprocess(**env):
    """Import the settings with exactly these variables, as a deployment would."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import moderation.settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE)",
        ],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = settings_in_subprocess()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_production_settings_turn_secure_flags_on():
    result = settings_in_subprocess(DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def printed_password(output, username):
    line = next(line for line in output.splitlines() if line.startswith(f"{username}:"))
    return line.split("password ")[1].split()[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "role"),
    [("admin", "Admin"), ("moderator", "Moderator"), ("researcher", "Researcher")],
)
def test_demo_accounts_have_their_role_and_a_printed_password(rf, username, role):
    out = StringIO()
    call_command("create_demo_accounts", stdout=out)
    password = printed_password(out.getvalue(), username)
    user = authenticate(rf.post("/accounts/login/"), username=username, password=password)
    assert list(user.groups.values_list("name", flat=True)) == [role]


@pytest.mark.django_db
def test_demo_accounts_are_created_once(rf):
    out = StringIO()
    call_command("create_demo_accounts", stdout=out)
    password = printed_password(out.getvalue(), "admin")
    request = rf.post("/accounts/login/")
    assert authenticate(request, username="admin", password=password).is_superuser

    again = StringIO()
    call_command("create_demo_accounts", stdout=again)
    assert "already exists, password unchanged" in again.getvalue()
    assert authenticate(request, username="admin", password=password) is not None
    assert get_user_model().objects.filter(username="admin").count() == 1


@pytest.mark.django_db
def test_createsuperuser_still_works_and_a_superuser_holds_every_capability(monkeypatch):
    from moderation import permissions

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long enough passphrase")
    call_command(
        "createsuperuser",
        interactive=False,
        username="root",
        email="root@example.org",
        stdout=StringIO(),
    )
    root = get_user_model().objects.get(username="root")
    for capability in (permissions.MODERATE, permissions.MANAGE_USERS, permissions.EXPORT_DATA):
        assert permissions.can(root, capability)
