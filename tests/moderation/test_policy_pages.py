"""/policy/…: admins edit each site's policy and categories; every change is a new version."""

import re

import pytest
from django.urls import reverse

from moderation import services
from moderation.models import AuditEvent, Category, Policy
from tests import factories

pytestmark = pytest.mark.django_db

POLICY = reverse("moderation:policy")
POSTED = "No profanity, no personal attacks."  # the policy of the `site` fixture, Asbarez


def edit_page(site):
    return reverse("moderation:policy_edit", args=[site.pk])


def messages_on(response):
    return [str(m) for m in response.context["messages"]]


# Access


def test_moderator_reads_the_policies_but_gets_403_on_every_page_that_changes_them(
    moderator_client, site
):
    category = factories.category(site, "profanity")
    add = reverse("moderation:category_add", args=[site.pk])
    edit = reverse("moderation:category_edit", args=[category.pk])
    for url in (edit_page(site), edit):
        assert moderator_client.get(url).status_code == 403, url
    for url in (edit_page(site), add, edit):
        assert moderator_client.post(url, {"name": "x", "definition": "y"}).status_code == 403
    assert Policy.objects.filter(site=site).count() == 1


@pytest.mark.parametrize("reader", ["moderator_client", "researcher_client"])
def test_moderators_and_researchers_read_every_policy_and_definition(request, reader, site):
    long_text = "Be civil. " * 80  # the whole text, not the admin list's excerpt
    services.edit_policy(
        factories.make_admin("policy-admin"), site, text=long_text.strip(), expected_version=1
    )
    response = request.getfixturevalue(reader).get(POLICY)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Be civil.") == 80
    assert factories.category(site, "personal-attack").definition in html
    assert f'href="{edit_page(site)}"' not in html
    assert "/categories/" not in html  # no edit links
    assert "Only Admins change them" in html


# The list


def test_admin_sees_each_sites_policy_and_categories(admin_client, site):
    factories.make_site("The Armenian Report", policy_text="Be civil.")
    response = admin_client.get(POLICY)
    html = response.content.decode()
    assert response.status_code == 200
    assert [(s.name, s.policy_version) for s in response.context["sites"]] == [
        ("Asbarez", 1),
        ("The Armenian Report", 1),
    ]
    assert POSTED in html
    assert "Be civil." in html
    assert '<td class="num"><kbd>2</kbd></td>\n        <th scope="row">Personal attack</th>' in html
    assert factories.category(site, "personal-attack").definition in html
    assert f'href="{edit_page(site)}"' in html


def test_policy_list_says_when_there_are_no_sites(admin_client):
    assert "No sites yet." in admin_client.get(POLICY).content.decode()


def test_policy_list_costs_the_same_queries_for_1_or_3_sites(
    admin_client, site, django_assert_num_queries
):
    # session, user, permissions (2), sites with their current version, categories, the
    # navigation's count of comments waiting
    with django_assert_num_queries(7):
        admin_client.get(POLICY)
    factories.make_site("The Armenian Report")
    factories.make_site("Azatutyun")
    with django_assert_num_queries(7):
        admin_client.get(POLICY)


# The text


def test_edit_page_shows_the_current_text_at_its_version(admin_client, site):
    form = admin_client.get(edit_page(site)).context["policy_form"]
    assert form.initial == {"text": POSTED, "version": 1}


def test_admin_edits_the_policy_and_the_old_text_stays_viewable(admin_client, site, admin):
    response = admin_client.post(
        edit_page(site),
        {"text": "No profanity, no personal attacks, no spam.", "version": 1, "note": "Spam"},
        follow=True,
    )
    html = response.content.decode()
    assert messages_on(response) == ["The policy of Asbarez is now version 2."]
    current = services.current_policy(site)
    assert (current.version, current.created_by, current.note) == (2, admin, "Spam")
    assert [p.version for p in response.context["versions"]] == [2, 1]
    old = re.search(
        r"<summary>Version 1</summary>\s*<div class=\"policy-text\">(.*?)</div>", html, re.S
    )
    assert old[1] == f"<p>{POSTED}</p>"
    assert AuditEvent.objects.filter(action="policy.edit", actor=admin).count() == 1


def test_a_stale_policy_edit_is_refused_and_keeps_the_text(admin_client, site, admin):
    services.edit_policy(admin, site, text="Be kind.", expected_version=1)
    response = admin_client.post(
        edit_page(site), {"text": "Be nice.", "version": 1, "note": "Friendlier"}
    )
    assert response.status_code == 409
    error, hint = messages_on(response)
    assert error.startswith("The policy changed while you were editing: it is now version 2")
    assert "compare it with version 2" in hint
    assert response.context["policy_form"].initial == {
        "text": "Be nice.",
        "version": 2,
        "note": "Friendlier",
    }
    assert services.current_policy(site).text == "Be kind."


def test_saving_the_same_text_is_refused(admin_client, site):
    response = admin_client.post(edit_page(site), {"text": POSTED, "version": 1})
    assert response.status_code == 400
    assert messages_on(response) == ["The text is the same as the current version."]
    assert Policy.objects.filter(site=site).count() == 1


def test_an_empty_text_is_refused(admin_client, site):
    response = admin_client.post(edit_page(site), {"text": "", "version": 1})
    assert response.status_code == 400
    assert response.context["policy_form"].errors == {"text": ["This field is required."]}


# Categories


def test_admin_adds_a_category_which_makes_a_new_version_with_it(admin_client, site):
    response = admin_client.post(
        reverse("moderation:category_add", args=[site.pk]),
        {"name": "Spam", "definition": "Advertising and repeated off-topic links."},
        follow=True,
    )
    assert messages_on(response) == ["Added Spam (key 4); the policy of Asbarez is now version 2."]
    current = services.current_policy(site)
    assert current.version == 2
    assert current.text == POSTED
    assert current.categories[-1] == {
        "slug": "spam",
        "name": "Spam",
        "definition": "Advertising and repeated off-topic links.",
        "active": True,
    }
    assert "Advertising and repeated off-topic links." in response.content.decode()


def test_adding_a_category_twice_is_refused(admin_client, site):
    response = admin_client.post(
        reverse("moderation:category_add", args=[site.pk]),
        {"name": "Profanity", "definition": "Swearing."},
    )
    assert response.status_code == 400
    assert messages_on(response) == ["Asbarez already has a category 'Profanity'."]
    assert response.context["category_form"]["definition"].value() == "Swearing."


def test_a_category_needs_a_definition(admin_client, site):
    response = admin_client.post(
        reverse("moderation:category_add", args=[site.pk]), {"name": "Spam"}
    )
    assert response.status_code == 400
    assert response.context["category_form"].errors == {"definition": ["This field is required."]}
    assert Category.objects.filter(site=site).count() == 3


def test_category_edit_form_shows_the_category(admin_client, site):
    category = factories.category(site, "profanity")
    response = admin_client.get(reverse("moderation:category_edit", args=[category.pk]))
    assert response.context["form"].initial == {
        "name": "Profanity",
        "definition": category.definition,
        "active": True,
    }


def test_admin_retires_a_category(admin_client, site):
    category = factories.category(site, "other-inappropriate")
    response = admin_client.post(
        reverse("moderation:category_edit", args=[category.pk]),
        {"name": category.name, "definition": category.definition},
        follow=True,
    )
    assert response.redirect_chain == [(edit_page(site), 302)]
    assert messages_on(response) == [
        "Saved Other inappropriate material (retired); the policy of Asbarez is now version 2."
    ]
    assert not Category.objects.get(pk=category.pk).active
    assert services.current_policy(site).categories[2]["active"] is False
    assert '<span class="badge retired">Retired</span>' in response.content.decode()


def test_editing_a_category_without_a_change_is_refused(admin_client, site):
    category = factories.category(site, "profanity")
    response = admin_client.post(
        reverse("moderation:category_edit", args=[category.pk]),
        {"name": category.name, "definition": category.definition, "active": "on"},
    )
    assert response.status_code == 400
    assert messages_on(response) == ["Nothing changed."]
