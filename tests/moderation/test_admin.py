"""Django's admin shows moderation data but cannot change it around the services."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from moderation import services
from moderation.models import Status
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    root = get_user_model().objects.create_superuser("root", password="x" * 12)
    client.force_login(root)
    return client


@pytest.mark.parametrize(
    "model", ["policy", "category", "tag", "decision", "moderationstate", "auditevent"]
)
def test_admin_lists_moderation_data_but_offers_no_add(superuser_client, model):
    site = factories.make_site("Asbarez")
    comment = factories.make_comment(factories.make_article(site), "Hi.")
    services.decide(factories.make_moderator(), comment, Status.ESCALATED, expected_version=0)
    assert superuser_client.get(reverse(f"admin:moderation_{model}_changelist")).status_code == 200
    assert superuser_client.get(reverse(f"admin:moderation_{model}_add")).status_code == 403


def test_admin_cannot_delete_an_audit_event(superuser_client):
    factories.make_site("Asbarez")  # its policy creation is an audit event
    from moderation.models import AuditEvent

    event = AuditEvent.objects.get()
    url = reverse("admin:moderation_auditevent_delete", args=[event.pk])
    assert superuser_client.post(url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
