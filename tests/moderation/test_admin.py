"""Django's admin shows moderation data but cannot change it around the services."""

import pytest
from django.urls import reverse

from moderation import services
from moderation.models import Status

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", ["policy", "category", "tag", "decision", "moderationstate", "auditevent"]
)
def test_admin_lists_moderation_data_but_offers_no_add(superuser_client, moderator, comment, model):
    services.decide(moderator, comment, Status.ESCALATED, expected_version=0)
    assert superuser_client.get(reverse(f"admin:moderation_{model}_changelist")).status_code == 200
    assert superuser_client.get(reverse(f"admin:moderation_{model}_add")).status_code == 403


def test_admin_cannot_delete_an_audit_event(superuser_client, site):
    # The site's policy creation is an audit event.
    from moderation.models import AuditEvent

    event = AuditEvent.objects.get()
    url = reverse("admin:moderation_auditevent_delete", args=[event.pk])
    assert superuser_client.post(url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_cannot_change_roles_or_delete_users_around_the_services(superuser_client, moderator):
    change = reverse("admin:auth_user_change", args=[moderator.pk])
    superuser_client.post(change, {"username": "mona", "groups": [], "is_staff": "on"})
    delete = reverse("admin:auth_user_delete", args=[moderator.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    moderator.refresh_from_db()
    assert list(moderator.groups.values_list("name", flat=True)) == ["Moderator"]
    assert not moderator.is_staff
    assert superuser_client.get(reverse("admin:auth_group_add")).status_code == 403
