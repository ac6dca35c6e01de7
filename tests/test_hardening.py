"""Hardening: lockout after failed logins, CSP without inline script, CSRF on every POST,
and `check --deploy` clean with production settings."""

import os
import re
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from moderation import throttle
from moderation.models import AuditEvent
from moderation.views import accounts
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


def lock_out(username, address="198.51.100.7", *, limit):
    for _ in range(limit):
        response = log_in(Client(), username, "wrong", address=address)
    return response


def test_repeated_failures_lock_that_name_from_that_address_and_say_for_how_long(
    settings, moderator
):
    mona = moderator.username
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(Client(), mona, "wrong").status_code == 200  # the form, with an error
    locked = log_in(Client(), mona, "wrong")
    assert locked.status_code == 429
    text = " ".join(locked.content.decode().split())
    assert "Too many failed attempts" in text
    assert (
        f"logging in as <strong>{mona}</strong> from this address is blocked for 30 minutes" in text
    )
    assert "ask an admin to lift the lockout" in text
    # Even the right password, from that address, until the lockout ends or is lifted.
    assert log_in(Client(), mona, PASSWORD).status_code == 429
    assert log_in(Client(), mona, PASSWORD, address="203.0.113.5").status_code == 302


def test_guessing_one_name_locks_out_no_one_else_at_that_address(
    settings, moderator, other_moderator
):
    """Behind a newsroom's proxy everyone shares one address: a made-up name, or a colleague's,
    guessed five times must not lock the others out."""
    lock_out("made-up-name", limit=settings.AXES_FAILURE_LIMIT)
    lock_out(moderator.username, limit=settings.AXES_FAILURE_LIMIT)
    assert log_in(Client(), other_moderator.username, PASSWORD).status_code == 302


def test_an_admin_lifts_a_lockout_and_it_is_audited(settings, admin_client, moderator):
    lock_out(moderator.username, limit=settings.AXES_FAILURE_LIMIT)
    listed = admin_client.get(reverse("moderation:users")).content.decode()
    assert "locked out</a>" in listed
    page = admin_client.get(reverse("moderation:user", args=[moderator.pk])).content.decode()
    assert "Locked out" in page
    assert "5 failed logins from 198.51.100.7" in page
    done = admin_client.post(reverse("moderation:user_unlock", args=[moderator.pk]), follow=True)
    assert f"{moderator.username} can log in again" in done.content.decode()
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.target_id) == ("user.unlock", str(moderator.pk))
    assert event.before == {"failures": 5, "addresses": ["198.51.100.7"]}
    assert log_in(Client(), moderator.username, PASSWORD).status_code == 302
    again = admin_client.post(reverse("moderation:user_unlock", args=[moderator.pk]), follow=True)
    assert "is not locked out" in again.content.decode()


def test_only_admins_lift_lockouts(moderator_client, moderator):
    response = moderator_client.post(reverse("moderation:user_unlock", args=[moderator.pk]))
    assert response.status_code == 403


def reset(email, address="198.51.100.7"):
    return Client().post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


@pytest.fixture
def mona_with_email(moderator):
    moderator.email = "mona@example.org"
    moderator.save()
    return moderator


def test_password_reset_requests_are_rate_limited(mona_with_email, mailoutbox):
    moderator = mona_with_email
    for _ in range(accounts.RESETS_PER_EMAIL):
        assert reset(moderator.email).status_code == 302
    assert len(mailoutbox) == accounts.RESETS_PER_EMAIL
    # One inbox gets no more this hour, and the page does not say so (nor whether it exists).
    assert reset(moderator.email, address="203.0.113.5").status_code == 302
    assert len(mailoutbox) == accounts.RESETS_PER_EMAIL
    for n in range(accounts.RESETS_PER_ADDRESS - accounts.RESETS_PER_EMAIL):
        assert reset(f"someone{n}@example.org").status_code == 302
    refused = reset("someone-else@example.org")
    assert refused.status_code == 429
    assert "Too many reset requests from your address: try again in" in refused.content.decode()


def test_set_password_links_are_rate_limited(admin_client, mona_with_email, mailoutbox):
    moderator = mona_with_email
    url = reverse("moderation:user_password_link", args=[moderator.pk])
    for _ in range(3):
        admin_client.post(url)
    assert len(mailoutbox) == 3
    refused = admin_client.post(url, follow=True).content.decode()
    assert len(mailoutbox) == 3
    assert "3 set-password links were already sent to" in refused


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


def test_behind_the_proxy_each_client_is_told_apart_by_the_address_the_proxy_adds(
    settings, moderator, other_moderator
):
    """Behind the TLS proxy every request comes from the proxy's address: the client is the
    last X-Forwarded-For entry (the one the proxy appended; what a client sent before it is
    not believed)."""
    settings.BEHIND_TLS_PROXY = True

    def from_client(client_ip, username, password, claimed="10.9.9.9"):
        return Client().post(
            reverse("login"),
            {"username": username, "password": password},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"{claimed}, {client_ip}",
        )

    for _ in range(settings.AXES_FAILURE_LIMIT):
        from_client("203.0.113.66", moderator.username, "wrong")
    assert from_client("203.0.113.66", moderator.username, PASSWORD).status_code == 429
    # The same name from the moderator's own machine, through the same proxy, logs in.
    assert from_client("198.51.100.20", moderator.username, PASSWORD).status_code == 302
    # A forged first entry does not make the attacker someone else.
    assert (
        from_client("203.0.113.66", moderator.username, PASSWORD, "198.51.100.20").status_code
        == 429
    )


def test_case_and_unicode_variants_of_an_address_share_its_reset_limit(mona_with_email, mailoutbox):
    variants = ["mona@example.org", "MONA@example.org", " Mona@Example.org ", "mona@example.org"]
    for n, email in enumerate(variants):
        Client().post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=f"198.51.100.{n}")
    assert len(mailoutbox) == accounts.RESETS_PER_EMAIL
    assert throttle.hashed("corpu\u017f-admin@example.org") == throttle.hashed(
        "corpus-admin@example.org"
    )
