"""Hardening: lockout after failed logins, CSP without inline script, CSRF on every POST,
and `check --deploy` clean with production settings."""

import os
import re
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import AUDIT_KEY, ROOT

PASSWORD = "correct horse battery staple"


def log_in(client, username, password, address="198.51.100.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_a_correct_password_logs_in(client, moderator):
    response = log_in(client, moderator.username, PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("home"))["Location"] == reverse("moderation:queue")


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    client, settings, moderator
):
    mona = moderator.username
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, mona, "wrong").status_code == 200  # the form, with an error
    locked = log_in(client, mona, "wrong")
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    # The right password from another address is refused too: the username is locked.
    assert log_in(Client(), mona, PASSWORD, address="203.0.113.5").status_code == 429


def test_a_locked_address_cannot_try_other_accounts(client, settings, moderator, other_moderator):
    mona, bob = moderator.username, other_moderator.username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, mona, "wrong")
    assert log_in(Client(), bob, PASSWORD).status_code == 429  # same address
    assert log_in(Client(), bob, PASSWORD, address="203.0.113.5").status_code == 302


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        html = path.read_text("utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) or re.search(r"\son[a-z]+\s*=", html):
            offenders.append(path.name)
    assert offenders == []


def test_a_post_without_the_csrf_token_is_refused(moderator, client_for):
    client = client_for(moderator, enforce_csrf_checks=True)
    response = client.post(reverse("moderation:undo"), {"event": 1})
    assert response.status_code == 403
    assert b"CSRF verification failed" in response.content


def check_deploy(**settings):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "AUDIT_"))
    }
    env.update(
        DJANGO_SECRET_KEY="k3y-" + "x9Q!p" * 12,
        DJANGO_ALLOWED_HOSTS="moderation.example.org",
        # A server has no local .env (only `make run` writes one, for local use).
        DJANGO_ENV_FILE=os.devnull,
        **settings,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    key = tmp_path / "audit.key"
    key.write_text(AUDIT_KEY + "\n")
    result = check_deploy(AUDIT_SIGNING_KEY_FILE=str(key))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_an_audit_signing_key(tmp_path):
    result = check_deploy()
    assert result.returncode != 0
    assert "moderation.E001" in result.stderr
    assert "No audit signing key: set AUDIT_SIGNING_KEY_FILE" in result.stderr
    unreadable = check_deploy(AUDIT_SIGNING_KEY_FILE=str(tmp_path / "missing.key"))
    assert "missing.key cannot be read" in unreadable.stderr
    malformed = check_deploy(AUDIT_SIGNING_KEY="not base64!")
    assert "AUDIT_SIGNING_KEY is not an Ed25519 private key" in malformed.stderr
