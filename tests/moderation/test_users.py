"""/users/: admins manage accounts and roles; every change is audited; nobody is deleted."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from moderation.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db
User = get_user_model()


def roles(user):
    return sorted(user.groups.values_list("name", flat=True))


def test_admin_sees_users_with_roles_and_activity(admin_client, moderator):
    response = admin_client.get(reverse("moderation:users"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "mona" in html
    assert "Moderator" in html


@pytest.mark.parametrize("persona", ["moderator_client", "researcher_client"])
def test_only_admins_reach_user_management(request, persona):
    client = request.getfixturevalue(persona)
    assert client.get(reverse("moderation:users")).status_code == 403
    response = client.post(
        reverse("moderation:user_create"), {"username": "x", "email": "x@example.org"}
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="x").exists()


def test_creating_a_user_sends_a_working_set_password_link(
    admin_client, admin, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the email leaves after commit
        response = admin_client.post(
            reverse("moderation:user_create"),
            {"username": "newbie", "email": "newbie@example.org", "roles": ["Moderator"]},
        )
    newbie = User.objects.get(username="newbie")
    assert response.status_code == 302
    assert not newbie.has_usable_password()
    assert roles(newbie) == ["Moderator"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newbie@example.org"]
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body)[1]

    # The new user follows the link in a browser of their own.
    form_url = client.get(link).url  # Django swaps the token for a session marker
    client.post(
        form_url,
        {"new_password1": "a long new passphrase", "new_password2": "a long new passphrase"},
    )
    newbie.refresh_from_db()
    assert newbie.check_password("a long new passphrase")
    event = AuditEvent.objects.get(action="user.create")
    assert event.actor == admin
    assert event.after["roles"] == ["Moderator"]


def messages_after(response):
    return [str(m) for m in response.context["messages"]]


def test_creating_a_user_says_where_the_link_went_and_warns_of_no_role(
    admin_client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = admin_client.post(
            reverse("moderation:user_create"),
            {"username": "carol", "email": "carol@example.org", "roles": ["Researcher"]},
            follow=True,
        )
    assert messages_after(sent) == [
        "Created carol; a set-password link was sent to carol@example.org."
    ]
    # No mail server (development): the link is on the console, and the page says so.
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        console = admin_client.post(
            reverse("moderation:user_create"),
            {"username": "dave", "email": "dave@example.org"},
            follow=True,
        )
    said = messages_after(console)
    assert said[0].startswith("Created dave; no mail server is configured (EMAIL_HOST)")
    assert "printed to the server's console, not sent" in said[0]
    assert said[1].startswith("dave has no role: they can sign in but see nothing")
    assert roles(User.objects.get(username="dave")) == []
    again = admin_client.post(
        reverse("moderation:user_password_link", args=[User.objects.get(username="dave").pk]),
        follow=True,
    )
    assert messages_after(again)[0].startswith("No mail server is configured (EMAIL_HOST)")


def test_taking_every_role_away_warns(admin_client, moderator):
    response = admin_client.post(
        reverse("moderation:user_roles", args=[moderator.pk]), {"roles": []}, follow=True
    )
    assert messages_after(response) == [
        "Roles of mona updated.",
        "mona has no role: they can sign in but see nothing of the dashboard until you give "
        "them one (Roles, on their page).",
    ]


def test_a_taken_username_is_refused_clearly(admin_client, moderator):
    response = admin_client.post(
        reverse("moderation:user_create"),
        {"username": "MONA", "email": "m@example.org"},
        follow=True,
    )
    assert "The username &#x27;MONA&#x27; is taken." in response.content.decode()
    assert User.objects.filter(username__iexact="mona").count() == 1


def test_changing_roles_is_audited_with_before_and_after(admin_client, moderator):
    admin_client.post(
        reverse("moderation:user_roles", args=[moderator.pk]), {"roles": ["Researcher"]}
    )
    assert roles(moderator) == ["Researcher"]
    event = AuditEvent.objects.get(action="user.roles")
    assert (event.before, event.after) == ({"roles": ["Moderator"]}, {"roles": ["Researcher"]})


def test_an_admin_cannot_take_away_their_own_admin_role(admin_client, admin):
    response = admin_client.post(
        reverse("moderation:user_roles", args=[admin.pk]), {"roles": ["Moderator"]}, follow=True
    )
    assert "You cannot take away your own Admin role" in response.content.decode()
    assert roles(admin) == ["Admin"]


def test_deactivating_needs_confirmation(admin_client, moderator):
    admin_client.post(reverse("moderation:user_active", args=[moderator.pk]), {"active": "0"})
    moderator.refresh_from_db()
    assert moderator.is_active


def test_a_deactivated_user_cannot_log_in_and_is_kept(admin_client, moderator):
    url = reverse("moderation:user_active", args=[moderator.pk])
    admin_client.post(url, {"active": "0", "confirm": "on"})
    moderator.refresh_from_db()
    assert not moderator.is_active
    assert User.objects.filter(pk=moderator.pk).exists()
    assert AuditEvent.objects.filter(action="user.deactivate", target_id=str(moderator.pk)).exists()

    admin_client.post(url, {"active": "1", "confirm": "on"})
    moderator.refresh_from_db()
    assert moderator.is_active


def test_an_admin_cannot_deactivate_themselves(admin_client, admin):
    response = admin_client.post(
        reverse("moderation:user_active", args=[admin.pk]),
        {"active": "0", "confirm": "on"},
        follow=True,
    )
    assert "You cannot deactivate your own account." in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_sending_a_new_link_is_audited(admin_client, moderator):
    moderator.email = "mona@example.org"
    moderator.save()
    admin_client.post(reverse("moderation:user_password_link", args=[moderator.pk]))
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="user.password_link").count() == 1


def test_user_list_query_count_is_constant(admin_client, django_assert_num_queries):
    url = reverse("moderation:users")
    admin_client.get(url)  # warm up the session
    # The page's queries, among them one for which of its users are locked out, and the
    # navigation's count of comments waiting.
    with django_assert_num_queries(9) as few:
        admin_client.get(url)
    for i in range(30):
        factories.make_member(f"user{i}", "Moderator", "Researcher")
    with django_assert_num_queries(len(few.captured_queries)):
        response = admin_client.get(url)
    assert len(response.context["page"].object_list) == 31


def test_an_email_already_in_use_is_refused_and_the_form_keeps_what_was_typed(
    admin_client, moderator
):
    moderator.email = "mona@example.org"
    moderator.save()
    response = admin_client.post(
        reverse("moderation:user_create"),
        {"username": "newbie", "email": "MONA@example.org", "roles": ["Moderator"]},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "MONA@example.org is already the address of mona." in html
    assert 'value="newbie"' in html
    assert not User.objects.filter(username="newbie").exists()


def test_users_filter_by_role_and_status(admin_client, moderator):
    gone = factories.make_researcher("gone")
    gone.is_active = False
    gone.save()

    def names(params):
        page = admin_client.get(reverse("moderation:users"), params).context["page"]
        return [user.username for user in page.object_list]

    assert names({"role": "Moderator"}) == ["mona"]
    assert names({"is_active": "no"}) == ["gone"]
    assert "Role" in admin_client.get(reverse("moderation:users")).content.decode()
